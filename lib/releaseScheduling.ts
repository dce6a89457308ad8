/**
 * The scheduling keys of the Helm releases' sections (config/schema/scheduling.ts, `releaseScheduling`) as each pinned
 * chart's values: the same names and meaning as in the workload sections, at the paths the chart reads: where its
 * registry entry's `scheduling` says (config/releases.ts), or by a mapping of its own for a layout the entry cannot say.
 * Every value is set only when configured, so the defaults add nothing to a release's values. Each values builder
 * merges `schedulingValues` in with `withScheduling`.
 */
import { ExtraVolume, OwnMappingKey, PulseConfig, ReleaseEntry, ReleaseKey, ReleasePlacement, RELEASES, SchedulingBlock, SchedulingKey } from "../config";
import { Affinity, envFromSources, extraVolumeName, withConfiguredAffinity } from "./pod";

type Values = Record<string, unknown>;

const isMap = (v: unknown): v is Values => typeof v === "object" && v !== null && !Array.isArray(v);
const isList = (v: unknown): v is unknown[] => Array.isArray(v);

/** `values` with `scheduling` merged in: maps key by key, lists appended (extra volumes after the program's own). */
export function withScheduling(values: Values, scheduling: Values): Values {
    const out: Values = { ...values };
    for (const [key, v] of Object.entries(scheduling)) {
        const base = out[key];
        out[key] = isMap(base) && isMap(v) ? withScheduling(base, v) : isList(base) && isList(v) ? [...base, ...v] : v;
    }
    return out;
}

const some = (v: Values): boolean => Object.keys(v).length > 0;

/** The pod spec fields: node selection, tolerations, affinity (joined to the chart's own spreading), priority, spread. */
function placementSpec(p: ReleasePlacement, chartAffinity?: Affinity, withSpread = true): Values {
    const affinity = Object.keys(p.affinity).length > 0 ? withConfiguredAffinity(chartAffinity, p.affinity) : undefined;
    return {
        ...(Object.keys(p.nodeSelector).length > 0 ? { nodeSelector: { ...p.nodeSelector } } : {}),
        ...(p.tolerations.length > 0 ? { tolerations: p.tolerations.map((t) => ({ ...t })) } : {}),
        ...(affinity ? { affinity } : {}),
        ...(p.priorityClassName ? { priorityClassName: p.priorityClassName } : {}),
        ...(withSpread && p.topologySpreadConstraints ? { topologySpreadConstraints: p.topologySpreadConstraints } : {}),
    };
}

/** `podLabels` / `podAnnotations`, the keys Bitnami's and EMQX's charts share. */
const podMetadataValues = (p: ReleasePlacement): Values => ({
    ...(Object.keys(p.podLabels).length > 0 ? { podLabels: { ...p.podLabels } } : {}),
    ...(Object.keys(p.podAnnotations).length > 0 ? { podAnnotations: { ...p.podAnnotations } } : {}),
});

/** `extraVolumes` / `extraVolumeMounts` (read-only), the keys Bitnami's and EMQX's charts share. */
function extraVolumeValues(volumes: readonly ExtraVolume[]): Values {
    if (volumes.length === 0) return {};
    return {
        extraVolumes: volumes.map((v) => ({
            name: extraVolumeName(v.name),
            ...(v.secret !== undefined ? { secret: { secretName: v.secret } } : { configMap: { name: v.configMap! } }),
        })),
        extraVolumeMounts: volumes.map((v) => ({ name: extraVolumeName(v.name), mountPath: v.mountPath, readOnly: true })),
    };
}

/**
 * What Bitnami's default `podAntiAffinityPreset: soft` renders for a component's pods: preferred spreading over hosts.
 * The chart drops its presets as soon as `affinity` is set, so a configured affinity carries this term along.
 */
function bitnamiSoftAntiAffinity(release: ReleaseEntry, component: string): Affinity {
    return {
        podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
                {
                    podAffinityTerm: {
                        labelSelector: {
                            matchLabels: {
                                "app.kubernetes.io/instance": release.releaseName,
                                "app.kubernetes.io/name": release.chart,
                                "app.kubernetes.io/component": component,
                            },
                        },
                        topologyKey: "kubernetes.io/hostname",
                    },
                    weight: 1,
                },
            ],
        },
    };
}

/**
 * nats 1.2.11: the chart's pod template merge hook (`podTemplate.merge`, a Pod's metadata and spec) and the nats-server
 * container's (`container.merge`, for envFrom); nats-box, when on, gets the pod's through its own hook, without the
 * servers' topology spread.
 */
function natsScheduling(nats: PulseConfig["nats"]): Values {
    const metadata = {
        ...(Object.keys(nats.podLabels).length > 0 ? { labels: { ...nats.podLabels } } : {}),
        ...(Object.keys(nats.podAnnotations).length > 0 ? { annotations: { ...nats.podAnnotations } } : {}),
    };
    const podTemplate = (withSpread: boolean): Values => {
        const spec = placementSpec(nats, undefined, withSpread);
        const merge = { ...(some(metadata) ? { metadata } : {}), ...(some(spec) ? { spec } : {}) };
        return some(merge) ? { podTemplate: { merge } } : {};
    };
    const servers = podTemplate(true);
    const box = nats.natsBox.enabled ? podTemplate(false) : {};
    return {
        ...servers,
        ...(nats.envFrom.length > 0 ? { container: { merge: { envFrom: envFromSources(nats.envFrom) } } } : {}),
        ...(some(box) ? { natsBox: box } : {}),
    };
}

/** The section's key a values key comes from, where their names differ. */
const KEY_OF: Readonly<Record<string, SchedulingKey>> = { extraVolumeMounts: "extraVolumes" };

/** `values` at the dot-separated `path` ("": `values` itself). */
const nested = (path: string, values: Values): Values =>
    path === "" ? values : path.split(".").reduceRight<Values>((inner, key) => ({ [key]: inner }), values);

/** The entry's blocks, each with its keys (`extraVolumes` only where the section has them). */
function blockValues(
    entry: ReleaseEntry,
    blocks: readonly SchedulingBlock[],
    section: ReleasePlacement & { readonly extraVolumes?: readonly ExtraVolume[] },
): Values {
    return blocks.reduce<Values>((out, block) => {
        const preset = block.bitnamiComponent === undefined ? undefined : bitnamiSoftAntiAffinity(entry, block.bitnamiComponent);
        const all = { ...placementSpec(section, preset), ...podMetadataValues(section), ...extraVolumeValues(section.extraVolumes ?? []) };
        const taken = Object.entries(all).filter(([key]) => block.keys === undefined || block.keys.includes(KEY_OF[key] ?? (key as SchedulingKey)));
        return taken.length > 0 ? withScheduling(out, nested(block.at, Object.fromEntries(taken))) : out;
    }, {});
}

/** The releases whose entry has no `scheduling`, each with a mapping of its chart's own: tsc names one without. */
const OWN_MAPPINGS: { readonly [K in OwnMappingKey]: (section: PulseConfig[K]) => Values } = { nats: natsScheduling };

/** The scheduling keys of release `key`'s section as its chart's values. */
export function schedulingValues<K extends ReleaseKey>(key: K, section: PulseConfig[K]): Values {
    const entry: ReleaseEntry = RELEASES[key];
    if (entry.scheduling) return blockValues(entry, entry.scheduling, section);
    return (OWN_MAPPINGS as Readonly<Record<string, (section: PulseConfig[K]) => Values>>)[key](section);
}

/**
 * The scheduling keys of a section as the values of an entry with `scheduling` blocks that is not (yet) in the registry:
 * what `schedulingValues` gives it once it is (test/add-a-release.test.ts).
 */
export function entrySchedulingValues(entry: ReleaseEntry, section: ReleasePlacement & { readonly extraVolumes?: readonly ExtraVolume[] }): Values {
    if (!entry.scheduling) throw new Error(`the entry of ${entry.releaseName} has no scheduling blocks`);
    return blockValues(entry, entry.scheduling, section);
}
