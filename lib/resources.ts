/** Container resources as Kubernetes takes them: only the quantities that are set. */
import { ResourcesConfig } from "../config";

export interface ResourceRequirements {
    readonly requests: Record<string, string>;
    readonly limits: Record<string, string>;
}

/** Config key -> Kubernetes resource name. */
const NAMES: Record<string, string> = { cpu: "cpu", memory: "memory", ephemeralStorage: "ephemeral-storage" };

const defined = (m: Record<string, string | undefined>) =>
    Object.fromEntries(
        Object.entries(m)
            .filter((e): e is [string, string] => e[1] !== undefined)
            .map(([k, v]) => [NAMES[k] ?? k, v]),
    );

export function resourceRequirements(r: ResourcesConfig): ResourceRequirements {
    return { requests: defined(r.requests), limits: defined(r.limits) };
}
