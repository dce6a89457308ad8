/**
 * The scheduling keys of the Helm releases' sections (config/schema/scheduling.ts, `releaseScheduling`) as each pinned
 * chart's values: the same names and meaning as in the workload sections, at the paths the chart reads. Every value is
 * set only when configured, so the defaults add nothing to a release's values. Each *Values function merges its chart's
 * block in with `withScheduling`.
 */
import { ExtraVolume, PulseConfig, ReleaseEntry, ReleasePlacement, RELEASES } from "../config";
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
 * bitnami/postgresql 15.5.38: `primary.*` and `readReplicas.*` (component `read`, in the replication architecture) take
 * every key; the backup CronJob (`backup.cronjob`) has only nodeSelector and tolerations.
 */
export function postgresqlScheduling(pg: PulseConfig["postgresql"]): Values {
    const pod = (component: string) => ({
        ...placementSpec(pg, bitnamiSoftAntiAffinity(RELEASES.postgresql, component)),
        ...podMetadataValues(pg),
        ...extraVolumeValues(pg.extraVolumes),
    });
    const { nodeSelector, tolerations } = placementSpec(pg);
    const cronjob = { ...(nodeSelector ? { nodeSelector } : {}), ...(tolerations ? { tolerations } : {}) };
    const primary = pod("primary");
    return { ...(some(primary) ? { primary, readReplicas: pod("read") } : {}), ...(some(cronjob) ? { backup: { cronjob } } : {}) };
}

/** emqx 5.8.9: every key at the top level of the values; the chart spreads nothing itself. Extra volumes follow the program's. */
export function emqxScheduling(emqx: PulseConfig["emqx"]): Values {
    return { ...placementSpec(emqx), ...podMetadataValues(emqx), ...extraVolumeValues(emqx.extraVolumes) };
}

/**
 * nats 1.2.11: the chart's pod template merge hook (`podTemplate.merge`, a Pod's metadata and spec) and the nats-server
 * container's (`container.merge`, for envFrom); nats-box, when on, gets the pod's through its own hook, without the
 * servers' topology spread.
 */
export function natsScheduling(nats: PulseConfig["nats"]): Values {
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
