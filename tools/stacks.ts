/**
 * The stack configurations the chart checks cover: the project's stacks (dev, prod), the CI fixture (every option on)
 * and the integration suite's overlays (prod with the devices' TLS listener), each as Pulumi hands it to the program,
 * a template's production secrets as placeholders. The integration suite deploys its overlays from here too.
 */
import * as path from "path";
import { RawStackConfig } from "../config";
import { asConfigString, PROJECT_DIR, readStackFile, stackFilePath, withPlaceholderSecrets } from "./stackfile";

export const CI_STACK_FILE = path.join(PROJECT_DIR, "test", "fixtures", "Pulumi.ci.yaml");

/**
 * What the integration suite adds to each project stack it deploys (besides its namespace, chart paths and secrets).
 * prod also exercises the devices' entry: the 8883 mutual-TLS listener (Secrets named, not created: KWOK mounts no
 * volumes; a real cluster waits for them) and the NetworkPolicy that admits devices.
 */
export const SUITE_OVERLAYS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
    dev: {},
    prod: {
        "pulse:emqx": { deviceTls: { serverCertSecret: "pulse-emqx-tls", deviceCaSecret: "pulse-device-ca" } },
        "pulse:networkPolicy": { mqttClientCidrs: ["0.0.0.0/0"] },
    },
};

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** An overlay on config values: maps are merged key by key; anything else (a list, a scalar) replaces. */
export function mergeConfig(base: unknown, overlay: unknown): unknown {
    if (!isMap(base) || !isMap(overlay)) return overlay;
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(overlay)) out[k] = k in out ? mergeConfig(out[k], v) : v;
    return out;
}

/** A raw stack config with an overlay of full keys ("pulse:emqx") merged in. */
export function withOverlay(raw: RawStackConfig, overlay: Readonly<Record<string, unknown>>): RawStackConfig {
    const values = { ...raw.values };
    const parsed = (s: string | undefined): unknown => {
        try {
            return s === undefined ? undefined : JSON.parse(s);
        } catch {
            return s;
        }
    };
    for (const [key, v] of Object.entries(overlay)) values[key] = asConfigString(mergeConfig(parsed(values[key]), v));
    return { values, secretKeys: raw.secretKeys };
}

export interface CheckedStack {
    /** dev, prod, ci, or `<stack>+integration` for a stack with the suite's overlay. */
    readonly name: string;
    readonly raw: RawStackConfig;
}

/** dev, prod, the CI fixture, then every non-empty overlay of the integration suite on its stack. */
export function checkedStacks(): CheckedStack[] {
    const read = (stack: string) => withPlaceholderSecrets(readStackFile(stackFilePath(stack)));
    const stacks: CheckedStack[] = [
        { name: "dev", raw: read("dev") },
        { name: "prod", raw: read("prod") },
        { name: "ci", raw: read(CI_STACK_FILE) },
    ];
    for (const [stack, overlay] of Object.entries(SUITE_OVERLAYS)) {
        if (Object.keys(overlay).length > 0) stacks.push({ name: `${stack}+integration`, raw: withOverlay(read(stack), overlay) });
    }
    return stacks;
}
