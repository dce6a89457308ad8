/**
 * The one pod every Pulse workload and Job runs: its token-less ServiceAccount, one container under Pod Security
 * "restricted", image pull secrets, a writable /tmp plus scratch emptyDirs, ConfigMaps and Secrets mounted read-only, and
 * the section's pod settings (placement, extra environment and volumes: config/schema/scheduling.ts).
 * components/workload.ts and components/awaitedJob.ts wrap it in a Deployment or a Job.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { EnvSource, ResourcesConfig, PodSettings } from "../config";
import { ResolvedImage } from "./images";
import { resourceRequirements } from "./resources";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "./security";

export type Probe = k8s.types.input.core.v1.Probe;
type EnvFromSource = k8s.types.input.core.v1.EnvFromSource;
type Container = k8s.types.input.core.v1.Container;
type PodSpec = k8s.types.input.core.v1.PodSpec;

/** What every Pulse pod (Deployment or Job) is made of: one container, its identity and its storage. */
export interface PodArgs {
    readonly namespace: pulumi.Input<string>;
    /** Stable key: objects are named objectName(component) (lib/contracts; a Job adds a suffix). */
    readonly component: string;
    readonly image: ResolvedImage;
    readonly imagePullSecrets: readonly string[];
    readonly resources: ResourcesConfig;
    readonly command?: readonly string[];
    readonly args?: readonly string[];
    readonly env?: readonly k8s.types.input.core.v1.EnvVar[];
    /** Named container ports (none for a worker without a server). */
    readonly ports?: Readonly<Record<string, number>>;
    readonly probes?: { readonly liveness?: Probe; readonly readiness?: Probe; readonly startup?: Probe };
    readonly readOnlyMounts?: Readonly<Record<string, ReadOnlyMount>>;
    /** Writable emptyDirs: volume name -> mount path. `/tmp` is always there. */
    readonly scratch?: Readonly<Record<string, string>>;
    /** Non-root identity. */
    readonly runAsUser: number;
    /** Defaults to runAsUser. */
    readonly runAsGroup?: number;
    /** Default true; false only with a documented reason in the object's annotations. */
    readonly readOnlyRootFilesystem?: boolean;
    /** Capabilities added back after dropping ALL (restricted allows only NET_BIND_SERVICE). */
    readonly addCapabilities?: readonly "NET_BIND_SERVICE"[];
    /** The section's pod settings: where the pods run, extra labels and annotations, environment and volumes. */
    readonly podSettings?: PodSettings;
}

/** A ConfigMap or a Secret mounted read-only as a directory; `items` (ConfigMaps): only these keys, each as the file named `path`. */
export type ReadOnlyMount =
    | { readonly configMapName: pulumi.Input<string>; readonly mountPath: string; readonly items?: readonly { key: string; path: string }[] }
    | { readonly secretName: pulumi.Input<string>; readonly mountPath: string };

/**
 * Volumes and the matching container mounts. `scratch` maps volume name -> mount path (emptyDirs, so the root file
 * system can stay read-only); `/tmp` is always there.
 */
function podStorage(scratch: Readonly<Record<string, string>> = {}, readOnlyMounts: Readonly<Record<string, ReadOnlyMount>> = {}) {
    const emptyDirs = { tmp: "/tmp", ...scratch };
    return {
        volumes: [
            ...Object.keys(emptyDirs).map((name) => ({ name, emptyDir: {} })),
            ...Object.entries(readOnlyMounts).map(([name, m]) =>
                "secretName" in m
                    ? { name, secret: { secretName: m.secretName } }
                    : { name, configMap: { name: m.configMapName, ...(m.items ? { items: [...m.items] } : {}) } },
            ),
        ],
        volumeMounts: [
            ...Object.entries(emptyDirs).map(([name, mountPath]) => ({ name, mountPath })),
            ...Object.entries(readOnlyMounts).map(([name, m]) => ({ name, mountPath: m.mountPath, readOnly: true })),
        ],
    };
}

/** The pod's own ServiceAccount (`<name>-sa`, object name `objectName`), its token never mounted. */
export function podServiceAccount(name: string, metadata: k8s.types.input.meta.v1.ObjectMeta, parent: pulumi.Resource): k8s.core.v1.ServiceAccount {
    return new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata, automountServiceAccountToken: false }, { parent });
}

/** Pod spec fields only some wrappers set (a Job's restart policy, a Deployment's spreading). */
export interface PodSpecExtras {
    readonly restartPolicy?: "Never";
    readonly affinity?: PodSpec["affinity"];
    readonly topologySpreadConstraints?: PodSpec["topologySpreadConstraints"];
}

export type Affinity = NonNullable<PodSpec["affinity"]>;
type AntiAffinityTerms = k8s.types.input.core.v1.PodAntiAffinity;

/** The configured extra environment sources as the container's envFrom entries. */
export const envFromSources = (sources: readonly EnvSource[]): EnvFromSource[] =>
    sources.map((s) => ({
        ...(s.secret !== undefined ? { secretRef: { name: s.secret } } : { configMapRef: { name: s.configMap! } }),
        ...(s.prefix !== undefined ? { prefix: s.prefix } : {}),
    }));

/** An extra volume's name in the pod, apart from the pod's own volumes. */
export const extraVolumeName = (name: string): string => `extra-${name}`;

/**
 * The program's (or a chart's) affinity, spreading over hosts, with the configured one added: anti-affinity terms are
 * joined; node and pod affinity are the configured ones.
 */
export function withConfiguredAffinity(ours: Affinity | undefined, theirs: PodSettings["affinity"]): Affinity | undefined {
    const oursAnti = (ours as { podAntiAffinity?: AntiAffinityTerms } | undefined)?.podAntiAffinity;
    const join = (key: keyof AntiAffinityTerms) => [...((oursAnti?.[key] as unknown[] | undefined) ?? []), ...(theirs.podAntiAffinity?.[key] ?? [])];
    const required = join("requiredDuringSchedulingIgnoredDuringExecution");
    const preferred = join("preferredDuringSchedulingIgnoredDuringExecution");
    const anti = {
        ...(required.length > 0 ? { requiredDuringSchedulingIgnoredDuringExecution: required } : {}),
        ...(preferred.length > 0 ? { preferredDuringSchedulingIgnoredDuringExecution: preferred } : {}),
    };
    const merged = {
        ...(theirs.nodeAffinity ? { nodeAffinity: theirs.nodeAffinity } : {}),
        ...(theirs.podAffinity ? { podAffinity: theirs.podAffinity } : {}),
        ...(Object.keys(anti).length > 0 ? { podAntiAffinity: anti } : {}),
    };
    return Object.keys(merged).length > 0 ? (merged as Affinity) : undefined;
}

/** The pod template's extra labels and annotations from the section's pod settings, over the program's own. */
export function podMetadata(labels: Record<string, string>, annotations: Readonly<Record<string, pulumi.Input<string>>> | undefined, settings?: PodSettings) {
    const allAnnotations = { ...settings?.podAnnotations, ...annotations };
    return {
        labels: { ...settings?.podLabels, ...labels },
        ...(Object.keys(allAnnotations).length > 0 ? { annotations: allAnnotations } : {}),
    };
}

/** The pod spec: the component's one container, its ServiceAccount without a token, restricted security, its storage. */
export function podSpec(args: PodArgs, serviceAccountName: pulumi.Input<string>, extras: PodSpecExtras = {}) {
    const uid = args.runAsUser;
    const gid = args.runAsGroup ?? uid;
    const settings = args.podSettings;
    const extraMounts: Record<string, ReadOnlyMount> = Object.fromEntries(
        (settings?.extraVolumes ?? []).map((v) => [
            extraVolumeName(v.name),
            v.secret !== undefined ? { secretName: v.secret, mountPath: v.mountPath } : { configMapName: v.configMap!, mountPath: v.mountPath },
        ]),
    );
    const storage = podStorage(args.scratch, { ...args.readOnlyMounts, ...extraMounts });
    const envFrom = envFromSources(settings?.envFrom ?? []);
    const affinity = settings ? withConfiguredAffinity(extras.affinity, settings.affinity) : extras.affinity;
    const topologySpreadConstraints = (settings?.topologySpreadConstraints as PodSpec["topologySpreadConstraints"]) ?? extras.topologySpreadConstraints;
    const ports = args.ports ?? {};
    const probes = args.probes ?? {};
    const container: Container = {
        name: args.component,
        image: args.image.ref,
        imagePullPolicy: args.image.pullPolicy,
        ...(args.command ? { command: [...args.command] } : {}),
        ...(args.args ? { args: [...args.args] } : {}),
        ...(envFrom.length > 0 ? { envFrom } : {}),
        ...(args.env?.length ? { env: [...args.env] } : {}),
        ...(Object.keys(ports).length > 0
            ? { ports: Object.entries(ports).map(([portName, containerPort]) => ({ name: portName, containerPort, protocol: "TCP" })) }
            : {}),
        resources: resourceRequirements(args.resources),
        ...(probes.startup ? { startupProbe: probes.startup } : {}),
        ...(probes.readiness ? { readinessProbe: probes.readiness } : {}),
        ...(probes.liveness ? { livenessProbe: probes.liveness } : {}),
        securityContext: restrictedContainerSecurityContext({
            uid,
            gid,
            readOnlyRootFilesystem: args.readOnlyRootFilesystem ?? true,
            addCapabilities: args.addCapabilities,
        }),
        volumeMounts: storage.volumeMounts,
    };
    return {
        ...(extras.restartPolicy ? { restartPolicy: extras.restartPolicy } : {}),
        serviceAccountName,
        automountServiceAccountToken: false,
        ...(args.imagePullSecrets.length > 0 ? { imagePullSecrets: args.imagePullSecrets.map((s) => ({ name: s })) } : {}),
        securityContext: restrictedPodSecurityContext(uid, gid),
        ...(Object.keys(settings?.nodeSelector ?? {}).length > 0 ? { nodeSelector: { ...settings!.nodeSelector } } : {}),
        ...(settings?.tolerations.length ? { tolerations: settings.tolerations.map((t) => ({ ...t })) } : {}),
        ...(settings?.priorityClassName ? { priorityClassName: settings.priorityClassName } : {}),
        ...(affinity ? { affinity } : {}),
        ...(topologySpreadConstraints ? { topologySpreadConstraints } : {}),
        containers: [container],
        volumes: storage.volumes,
    };
}
