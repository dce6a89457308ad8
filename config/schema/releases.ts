/**
 * Every Helm release's config section, built from its registry entry (config/releases.ts): `enabled` (worded by the
 * entry's `section.install`), the chart's own keys when the release has any (`RELEASE_OWN_KEYS`,
 * config/schema/platform.ts), the scheduling keys worded from the entry (`releaseScheduling`,
 * config/schema/scheduling.ts) and the `chart` block, whose defaults are the entry's `source`; described by the entry's
 * `section.description`. The root schema (index.ts) takes every section from `releaseSections`.
 */
import { z } from "zod";
import { ReleaseEntry, RELEASE_KEYS, ReleaseKey, RELEASES } from "../releases";
import { bool, chart } from "./blocks";
import { releaseScheduling, releaseSchedulingFields, SchedulingShape } from "./scheduling";

/** A release without keys of its own. */
type NoKeys = Record<never, never>;

type Enabled = { enabled: z.ZodDefault<ReturnType<typeof bool>> };

/**
 * A release's keys of its own: `keys` (its pods' own: replicas, storage, resources), listed before the scheduling
 * keys, `moreKeys` after them, and `refine`, the checks across them.
 */
export interface OwnKeys<Keys extends z.ZodRawShape = NoKeys, MoreKeys extends z.ZodRawShape = NoKeys> {
    readonly keys: Keys;
    readonly moreKeys: MoreKeys;
    refine?(this: void, section: z.output<z.ZodObject<Enabled & Keys & MoreKeys>>, ctx: z.RefinementCtx): void;
}

/** `S` when every key of it has a default (`{}` is a whole section), otherwise a type that says so. */
type Defaulted<S extends z.ZodRawShape> = NoKeys extends z.input<z.ZodObject<S>> ? unknown : { "every key of a release section needs a default": never };

/** A release's keys of its own, typed for `refine`; tsc refuses a key without a default. */
export const ownKeys = <Keys extends z.ZodRawShape = NoKeys, MoreKeys extends z.ZodRawShape = NoKeys>(own: {
    readonly keys?: Keys & Defaulted<Keys>;
    readonly moreKeys?: MoreKeys & Defaulted<MoreKeys>;
    refine?(this: void, section: z.output<z.ZodObject<Enabled & Keys & MoreKeys>>, ctx: z.RefinementCtx): void;
}): OwnKeys<Keys, MoreKeys> => ({ keys: own.keys ?? ({} as Keys), moreKeys: own.moreKeys ?? ({} as MoreKeys), refine: own.refine });

const NO_KEYS: OwnKeys = { keys: {}, moreKeys: {} };

/**
 * The section of a release from its entry: `enabled`, `keys`, the scheduling keys, `moreKeys` and the `chart` block
 * last, the order the config reference lists them in.
 */
function sectionSchema<Keys extends z.ZodRawShape, Scheduling extends z.ZodRawShape, MoreKeys extends z.ZodRawShape>(
    entry: ReleaseEntry,
    own: OwnKeys<Keys, MoreKeys>,
    scheduling: Scheduling,
) {
    const section = z
        .strictObject({
            enabled: bool().default(true).describe(entry.section.install),
            ...own.keys,
            ...scheduling,
            ...own.moreKeys,
            chart: chart(entry.source),
        })
        // Every key has a default (`ownKeys` holds the release's own to it), so `{}` is a whole section.
        .prefault({} as never);
    const refine = own.refine;
    return (refine ? section.superRefine((s, ctx) => refine(s as never, ctx)) : section).describe(entry.section.description);
}

/** The section of release K with its keys of its own. */
export type ReleaseSection<K extends ReleaseKey, Keys extends z.ZodRawShape = NoKeys, MoreKeys extends z.ZodRawShape = NoKeys> = ReturnType<
    typeof sectionSchema<Keys, SchedulingShape<K>, MoreKeys>
>;

/** The section of release `key`, from its registry entry and its keys of its own. */
const releaseSection = <K extends ReleaseKey, Keys extends z.ZodRawShape = NoKeys, MoreKeys extends z.ZodRawShape = NoKeys>(
    key: K,
    own?: OwnKeys<Keys, MoreKeys>,
): ReleaseSection<K, Keys, MoreKeys> => sectionSchema(RELEASES[key], own ?? (NO_KEYS as OwnKeys<Keys, MoreKeys>), releaseScheduling(key));

/**
 * The section of an entry that is not (yet) in the registry: what `releaseSection` builds for it once it is. The recipe
 * test (test/add-a-release.test.ts) builds a new release's section with it.
 */
export const entrySection = (key: string, entry: ReleaseEntry, own: OwnKeys<z.ZodRawShape, z.ZodRawShape> = NO_KEYS) =>
    sectionSchema(entry, own, releaseSchedulingFields(key, entry));

type OwnKeysTable = { readonly [K in ReleaseKey]?: OwnKeys<z.ZodRawShape, z.ZodRawShape> };
type SectionWith<K extends ReleaseKey, O> = O extends OwnKeys<infer Keys, infer MoreKeys> ? ReleaseSection<K, Keys, MoreKeys> : ReleaseSection<K>;
export type ReleaseSections<T extends OwnKeysTable> = { [K in ReleaseKey]: SectionWith<K, T[K]> };

/** Every release's section, by registry key: `own` holds the keys of their own of the releases that have any. */
export const releaseSections = <T extends OwnKeysTable>(own: T): ReleaseSections<T> =>
    Object.fromEntries(RELEASE_KEYS.map((k) => [k, releaseSection(k, own[k])])) as ReleaseSections<T>;
