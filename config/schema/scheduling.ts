/**
 * The pod keys of every workload section (the Pulse services, Keycloak, Caddy, the migrator and nats-init): where the
 * pods run (placement: node selection, tolerations, affinity added to the program's own spreading, never replacing
 * it, priority, a topology spread of one's own, extra pod labels and annotations) and what they get besides their own
 * (environment from existing Secrets or ConfigMaps, extra read-only volumes: a CA bundle, say). The Helm releases'
 * sections take the same keys where their chart can honour them, worded from their registry entry (`releaseScheduling`).
 */
import { z } from "zod";
import { isLabelKey, isLabelValue } from "./apimachinery";
import { annotationMap, intAtLeast, labelMap } from "./blocks";
import { k8sName } from "./formats";
import { ReleaseEntry, ReleaseKey, RELEASES, SchedulingBlock } from "../releases";

/** A Kubernetes object given as is (affinity terms, spread constraints); the API server validates its shape. */
const k8sObject = () => z.record(z.string(), z.unknown(), { error: "must be an object (as in the Kubernetes API)" });

const TOLERATION_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;

const toleration = z
    .strictObject({
        key: z.string().min(1).optional(),
        operator: z.enum(["Exists", "Equal"], { error: "must be Exists or Equal" }).default("Equal"),
        value: z.string().optional(),
        effect: z.enum(TOLERATION_EFFECTS, { error: `must be one of ${TOLERATION_EFFECTS.join(", ")}` }).optional(),
        tolerationSeconds: intAtLeast(0).optional(),
    })
    .superRefine((t, ctx) => {
        const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], input: t[path as keyof typeof t], message });
        if (t.operator === "Exists" && t.value !== undefined) issue("value", "must be unset with operator Exists");
        if (t.operator === "Equal" && t.key === undefined) issue("key", "is required with operator Equal");
        if (t.tolerationSeconds !== undefined && t.effect !== "NoExecute") issue("tolerationSeconds", "applies only with effect NoExecute");
        // k8s.io/kubernetes pkg/apis/core/validation ValidateTolerations: the key is a label key, an Equal value a label value.
        const keyProblems = t.key === undefined ? [] : isLabelKey(t.key);
        if (keyProblems.length > 0) issue("key", `is not a valid taint key: ${keyProblems.join("; ")}`);
        const valueProblems = t.operator === "Equal" && t.value !== undefined ? isLabelValue(t.value) : [];
        if (valueProblems.length > 0) issue("value", `is not a valid taint value: ${valueProblems.join("; ")}`);
    });

/** One source of extra environment: every key of an existing Secret or ConfigMap. */
const envSource = z
    .strictObject({
        secret: k8sName("a Secret name").optional(),
        configMap: k8sName("a ConfigMap name").optional(),
        prefix: z.string().optional().describe("Prefix added to each variable name"),
    })
    .refine((s) => (s.secret === undefined) !== (s.configMap === undefined), { error: "must name exactly one of secret and configMap" });

/** An existing Secret or ConfigMap mounted read-only. */
const extraVolume = z
    .strictObject({
        // The pod names it extra-<name>, apart from its own volumes: at most 57 characters here.
        name: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,55}[a-z0-9])?$/, { error: "must be a DNS label of at most 57 characters" }),
        secret: k8sName("a Secret name").optional(),
        configMap: k8sName("a ConfigMap name").optional(),
        mountPath: z.string().regex(/^\/[^:]*$/, { error: "must be an absolute path" }),
    })
    .refine((v) => (v.secret === undefined) !== (v.configMap === undefined), { error: "must name exactly one of secret and configMap" });

/** Mount paths the pod builder uses itself (its writable /tmp). */
const RESERVED_MOUNTS = ["/tmp"];
const RESERVED_LABEL_PREFIX = "app.kubernetes.io/";

/** Extra pod labels: never the program's own, which the selectors use, nor `chartLabels` (which a chart sets itself). */
const podLabels = (chartLabels: readonly string[] = []) =>
    labelMap()
        .default({})
        .superRefine((labels, ctx) => {
            for (const [key, value] of Object.entries(labels)) {
                if (key.startsWith(RESERVED_LABEL_PREFIX)) {
                    ctx.addIssue({ code: "custom", path: [key], input: value, message: `is reserved: the program sets ${RESERVED_LABEL_PREFIX}* labels` });
                } else if (chartLabels.includes(key)) {
                    ctx.addIssue({ code: "custom", path: [key], input: value, message: "is reserved: the chart sets this label on its pods" });
                }
            }
        });

/** Extra volumes: each name and mount path once, none where the pod mounts its own (`reservedMounts`). */
const extraVolumes = (reservedMounts: readonly string[] = RESERVED_MOUNTS) =>
    z
        .array(extraVolume)
        .default([])
        .superRefine((volumes, ctx) => {
            const seen = { names: new Set<string>(), paths: new Set<string>(reservedMounts) };
            volumes.forEach((v, i) => {
                if (seen.names.has(v.name)) ctx.addIssue({ code: "custom", path: [i, "name"], input: v.name, message: "is used twice" });
                if (seen.paths.has(v.mountPath)) ctx.addIssue({ code: "custom", path: [i, "mountPath"], input: v.mountPath, message: "is used twice" });
                seen.names.add(v.name);
                seen.paths.add(v.mountPath);
            });
        });

/** What the program or a chart adds to the pods that the section's keys join or replace, in the reference's words. */
interface Wording {
    readonly affinity: string;
    readonly topologySpreadConstraints: string;
    /** Pod labels the chart sets itself (refused as extra labels). */
    readonly chartLabels?: readonly string[];
}

/**
 * Topology spread constraints, passed through for the API server to check their shape; one per topologyKey and
 * whenUnsatisfiable (k8s.io/kubernetes v1.35.4 core validation ValidateSpreadConstraintNotRepeat; the list's map keys
 * for server-side apply).
 */
const spreadConstraints = () =>
    z.array(k8sObject()).superRefine((list, ctx) => {
        const seen = new Set<string>();
        list.forEach((c, i) => {
            const key = JSON.stringify([c.topologyKey, c.whenUnsatisfiable]);
            if (seen.has(key)) {
                ctx.addIssue({
                    code: "custom",
                    path: [i],
                    input: c,
                    message: `repeats topologyKey ${String(c.topologyKey)} with whenUnsatisfiable ${String(c.whenUnsatisfiable)}: the API server allows one constraint per pair`,
                });
            }
            seen.add(key);
        });
    });

/** Where the pods run and how they are marked: the keys every section with pods has. */
const placementFields = (says: Wording) => ({
    nodeSelector: labelMap().default({}).describe("Node labels the pods require (nodeSelector)"),
    tolerations: z.array(toleration).default([]).describe("Taints the pods tolerate"),
    affinity: z
        .strictObject({
            nodeAffinity: k8sObject().optional(),
            podAffinity: k8sObject().optional(),
            podAntiAffinity: z
                .strictObject({
                    requiredDuringSchedulingIgnoredDuringExecution: z.array(k8sObject()).optional(),
                    preferredDuringSchedulingIgnoredDuringExecution: z.array(k8sObject()).optional(),
                })
                .optional(),
        })
        .default({})
        .describe(says.affinity),
    priorityClassName: k8sName("a PriorityClass name").optional().describe("PriorityClass of the pods"),
    topologySpreadConstraints: spreadConstraints().optional().describe(says.topologySpreadConstraints),
    podAnnotations: annotationMap().default({}).describe("Extra pod annotations"),
    podLabels: podLabels(says.chartLabels).describe(
        `Extra pod labels (not ${RESERVED_LABEL_PREFIX}*: the program's own, which the selectors use${says.chartLabels?.length ? `; nor ${says.chartLabels.join(", ")}, which the chart sets` : ""})`,
    ),
});

/** The pod settings of a workload section (placement, extra environment and volumes), to spread into its object; each carries its own rules. */
export const podSettingsFields = () => ({
    ...placementFields({
        affinity: "Affinity as in the Kubernetes API; its pod anti-affinity terms are added to the program's own (spreading over hosts)",
        topologySpreadConstraints: "Topology spread constraints as in the Kubernetes API; when set, they replace the program's zone spreading",
    }),
    envFrom: z.array(envSource).default([]).describe("Extra environment from existing Secrets or ConfigMaps (every key)"),
    extraVolumes: extraVolumes().describe("Existing Secrets or ConfigMaps mounted read-only (e.g. a CA bundle)"),
});

/** What the pod builder reads of a section; a whole validated section is one (it has every key). */
export type PodSettings = z.output<z.ZodObject<ReturnType<typeof podSettingsFields>>>;

const NO_SPREAD = "Topology spread constraints as in the Kubernetes API (the chart sets none)";

/**
 * The releases whose chart's layout needs a mapping of its own (no `scheduling` blocks in their entry:
 * lib/releaseScheduling.ts), each with the keys that mapping takes. NATS: `envFrom` through its container merge hook,
 * and no `extraVolumes`: its chart's merge hooks replace the pod's volume list instead of adding to it.
 */
const OWN_MAPPING_KEYS = {
    nats: () => ({
        ...placementFields({
            affinity: "Affinity as in the Kubernetes API, for the NATS servers and nats-box (the chart sets none)",
            topologySpreadConstraints: `${NO_SPREAD}; the NATS servers only, not nats-box`,
        }),
        envFrom: z.array(envSource).default([]).describe("Extra environment of the nats-server container from existing Secrets or ConfigMaps (every key)"),
    }),
} satisfies { readonly [K in OwnMappingKey]: () => z.ZodRawShape };

/** The releases whose entry has no `scheduling` blocks: each needs its keys in OWN_MAPPING_KEYS (tsc names one without). */
export type OwnMappingKey = { [K in ReleaseKey]: (typeof RELEASES)[K] extends { readonly scheduling: readonly SchedulingBlock[] } ? never : K }[ReleaseKey];

/** Whether a block takes the section's `extraVolumes` (all keys when it names none). */
type TakesVolumes<B> = B extends { readonly keys: readonly (infer T)[] } ? ("extraVolumes" extends T ? true : false) : true;
const takesVolumes = (b: SchedulingBlock): boolean => b.keys === undefined || b.keys.includes("extraVolumes");

type Placement = ReturnType<typeof placementFields>;
type Volumes = { extraVolumes: ReturnType<typeof extraVolumes> };

/** The scheduling keys of release K's section: its own mapping's, or the placement keys and, when a block takes them, `extraVolumes`. */
export type SchedulingShape<K extends ReleaseKey> = K extends OwnMappingKey
    ? ReturnType<(typeof OWN_MAPPING_KEYS)[K]>
    : (typeof RELEASES)[K] extends { readonly scheduling: readonly (infer B)[] }
      ? Placement & (true extends TakesVolumes<B> ? Volumes : unknown)
      : never;

/**
 * The scheduling keys of a Helm release's section, worded from its registry entry (config/releases.ts): the workloads'
 * names and rules where the chart can honour them. `affinity` joins Bitnami's soft spreading over hosts when a block
 * keeps that preset (`bitnamiComponent`), otherwise the chart sets none (a cluster's nodes, `talksTo` its own `*`, are
 * then not spread at all); `podLabels` refuses the chart's own labels (`chartPodLabels`); `extraVolumes`, where a block
 * takes them, refuses the container's own mounts (`ownMounts`). No `envFrom`: Bitnami's charts take one extra ConfigMap
 * and one extra Secret, EMQX's one Secret (which holds the program's credentials). An entry without blocks has its own
 * mapping's keys (OWN_MAPPING_KEYS).
 */
export function releaseSchedulingFields(key: string, entry: ReleaseEntry): z.ZodRawShape {
    if (entry.scheduling === undefined) {
        const own = (OWN_MAPPING_KEYS as Readonly<Record<string, () => z.ZodRawShape>>)[key];
        if (own === undefined) throw new Error(`${key}: RELEASES.${key} has no scheduling blocks, and config/schema/scheduling.ts no keys of its own mapping`);
        return own();
    }
    const { product, scheduledPods } = entry.section;
    const where = scheduledPods === undefined ? "" : ` for ${scheduledPods}`;
    const preset = entry.scheduling.some((b) => b.bitnamiComponent !== undefined);
    const cluster = entry.talksTo.some((t) => t === `${key}:*`);
    return {
        ...placementFields({
            affinity: preset
                ? `Affinity as in the Kubernetes API${where}; its pod anti-affinity terms are added to the chart's own (its soft spreading over hosts, which a plain \`affinity\` value would drop)`
                : `Affinity as in the Kubernetes API${where} (the chart sets none${cluster ? `: ${product} nodes are not spread unless you spread them` : ""})`,
            topologySpreadConstraints: NO_SPREAD,
            chartLabels: entry.chartPodLabels,
        }),
        ...(entry.scheduling.some(takesVolumes)
            ? {
                  extraVolumes: extraVolumes(entry.ownMounts ?? []).describe(
                      `Existing Secrets or ConfigMaps mounted read-only into the ${product} container (e.g. a CA bundle)`,
                  ),
              }
            : {}),
    };
}

/** The scheduling keys of release `key`'s section (releaseSchedulingFields over its registry entry). */
export const releaseScheduling = <K extends ReleaseKey>(key: K): SchedulingShape<K> => releaseSchedulingFields(key, RELEASES[key]) as SchedulingShape<K>;

/** The keys every release section has, which its chart's values are built from (lib/releaseScheduling.ts). */
export type ReleasePlacement = z.output<z.ZodObject<ReturnType<typeof placementFields>>>;
export type EnvSource = z.output<typeof envSource>;
export type ExtraVolume = z.output<typeof extraVolume>;
