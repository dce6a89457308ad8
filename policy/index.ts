// Pulse's policy pack: `pulumi preview --policy-pack policy` (or `pulumi up --policy-pack policy`).
import { PolicyPack } from "@pulumi/policy";
import { pulsePolicies } from "./rules";

new PolicyPack("pulse", { enforcementLevel: "mandatory", policies: pulsePolicies });
