/**
 * The keys every Helm release's section has, from its registry entry (config/releases.ts): `enabled`, the section's
 * scheduling keys (`releaseScheduling`, config/schema/scheduling.ts) and the `chart` block, whose defaults are the
 * entry's `source`. A section adds its chart's own keys around them.
 */
import { z } from "zod";
import { RELEASES, ReleaseKey } from "../releases";
import { bool, chart } from "./blocks";
import { releaseScheduling } from "./scheduling";

type SchedulingShape<K extends ReleaseKey> = ReturnType<(typeof releaseScheduling)[K]>;

/**
 * The section of release `key`: `enabled` (described by `install`), then `keys` (the pods' own: replicas, storage,
 * resources), the scheduling keys, `moreKeys`, and the `chart` block last, the order the config reference lists them in.
 * The caller adds `.prefault({})`, where the type-checker sees that every key of the section has a default.
 */
export function releaseSection<K extends ReleaseKey, Keys extends z.ZodRawShape, MoreKeys extends z.ZodRawShape = Record<never, never>>(
    key: K,
    install: string,
    keys: Keys,
    moreKeys?: MoreKeys,
) {
    const scheduling = (releaseScheduling as { readonly [P in ReleaseKey]: () => SchedulingShape<P> })[key]();
    return z.strictObject({
        enabled: bool().default(true).describe(install),
        ...keys,
        ...scheduling,
        ...(moreKeys as MoreKeys),
        chart: chart(RELEASES[key].source),
    });
}
