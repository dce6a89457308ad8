/**
 * The settings every component shares, resolved once by the Platform (components/platform.ts) and handed to each
 * component next to its own config section(s): the namespace, `global.*` (image registry, pull secrets, cluster
 * domain, awaitReadiness), `appVersion` and `helm` (stuck releases' recovery). Components never see the whole PulseConfig.
 */
import * as pulumi from "@pulumi/pulumi";
import { PulseConfig } from "../config";

export interface Globals extends Readonly<PulseConfig["global"]> {
    /** The namespace every object goes into: the Namespace resource's name, so each object waits for it. */
    readonly namespace: pulumi.Input<string>;
    /** The same name as a plain string, for values built when the program runs (fully qualified DNS names). */
    readonly namespaceName: string;
    /** `pulse:appVersion`: the default tag of Pulse's images. */
    readonly appVersion: string;
    /** `pulse:helm`: recovery of releases an interrupted `pulumi up` left pending (lib/releaseRecovery.ts). */
    readonly helm: PulseConfig["helm"];
}

/** The shared settings of a config; `namespace` is the created Namespace's name (the config's, when omitted). */
export function globalsOf(config: PulseConfig, namespace: pulumi.Input<string> = config.namespace): Globals {
    return { ...config.global, namespace, namespaceName: config.namespace, appVersion: config.appVersion, helm: config.helm };
}
