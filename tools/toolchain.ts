/**
 * The integration toolchain as scripts/toolchain.sh builds it: where its binaries are, and the versions it pins
 * (`NAME=value` lines of the script), for the suite, the real-chart check and the tests.
 */
import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIR } from "./stackfile";

export const TOOLCHAIN_DIR = path.join(PROJECT_DIR, ".tools", "toolchain");
export const TOOLCHAIN_BIN = path.join(TOOLCHAIN_DIR, "bin");

/** `NAME=value` from scripts/toolchain.sh (KUBERNETES_VERSION, HELM_VERSION, ...). */
export function toolchainVar(name: string): string {
    const m = new RegExp(`^${name}=(\\S+)$`, "m").exec(fs.readFileSync(path.join(PROJECT_DIR, "scripts", "toolchain.sh"), "utf8"));
    if (!m) throw new Error(`scripts/toolchain.sh sets no ${name}`);
    return m[1];
}
