/**
 * Pod Security "restricted" over rendered pod specs, offline: the checks of the Pod Security admission controller
 * (k8s.io/pod-security-admission v0.35.4, policy/check_*.go) at level restricted, version 1.35 (the cluster the
 * integration suite runs; the namespace enforces `restricted`, latest). Each violation reads as the controller's
 * forbidden reason and detail, so a finding here is what admission would refuse.
 *
 * Baseline checks (restricted includes them): host namespaces, privileged, Windows host process, host ports, AppArmor,
 * SELinux, sysctls, probe and lifecycle hosts. Restricted checks: volume types (replaces hostPath), procMount (1.35:
 * also for user-namespaced pods), allowPrivilegeEscalation, runAsNonRoot, runAsUser, seccompProfile (replaces the
 * baseline's), capabilities (replaces the baseline's). Windows pods (spec.os.name windows) are exempt from the
 * privilege-escalation, seccomp and capabilities checks; pods with hostUsers false from runAsNonRoot and runAsUser.
 */

/** The parts of a pod the checks read (a rendered manifest: anything may be missing). */
interface SecurityContext {
    privileged?: boolean;
    allowPrivilegeEscalation?: boolean;
    runAsNonRoot?: boolean;
    runAsUser?: number;
    procMount?: string;
    capabilities?: { add?: string[]; drop?: string[] };
    seccompProfile?: { type?: string };
    appArmorProfile?: { type?: string };
    seLinuxOptions?: { type?: string; user?: string; role?: string };
    windowsOptions?: { hostProcess?: boolean };
    sysctls?: { name: string }[];
    [field: string]: unknown;
}
interface Handler {
    httpGet?: { host?: string };
    tcpSocket?: { host?: string };
}
interface Container {
    name: string;
    securityContext?: SecurityContext;
    ports?: { hostPort?: number; [field: string]: unknown }[];
    livenessProbe?: Handler;
    readinessProbe?: Handler;
    startupProbe?: Handler;
    lifecycle?: { postStart?: Handler; preStop?: Handler };
    [field: string]: unknown;
}
export interface PodSpec {
    securityContext?: SecurityContext;
    hostNetwork?: boolean;
    hostPID?: boolean;
    hostIPC?: boolean;
    hostUsers?: boolean;
    os?: { name?: string };
    initContainers?: Container[];
    containers?: Container[];
    ephemeralContainers?: Container[];
    volumes?: ({ name: string } & Record<string, unknown>)[];
    [field: string]: unknown;
}
export interface PodMetadata {
    annotations?: Record<string, string>;
    [field: string]: unknown;
}

const ALLOWED_VOLUMES = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim", "projected", "secret"];
const ALLOWED_SYSCTLS = new Set([
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
]);
const SELINUX_TYPES = new Set(["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"]);
const APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/";

/** Init, regular and ephemeral containers, in the controller's order. */
const containersOf = (spec: PodSpec): Container[] => [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
const names = (cs: Container[]) => cs.map((c) => `"${c.name}"`).join(", ");
const plural = (cs: unknown[]) => (cs.length === 1 ? "container" : "containers");
/** `container "a"` / `containers "a", "b"`. */
const which = (cs: Container[]) => `${plural(cs)} ${names(cs)}`;
const setters = (pod: boolean, cs: Container[]) => [...(pod ? ["pod"] : []), ...(cs.length > 0 ? [which(cs)] : [])].join(" and ");

type Check = (spec: PodSpec, metadata: PodMetadata) => string | undefined;

const CHECKS: Record<string, Check> = {
    hostNamespaces: (spec) => {
        const on = (["hostNetwork", "hostPID", "hostIPC"] as const).filter((k) => spec[k] === true);
        return on.length ? `host namespaces (${on.map((k) => `${k}=true`).join(", ")})` : undefined;
    },
    privileged: (spec) => {
        const bad = containersOf(spec).filter((c) => c.securityContext?.privileged === true);
        return bad.length ? `privileged (${which(bad)} must not set securityContext.privileged=true)` : undefined;
    },
    windowsHostProcess: (spec) => {
        const bad = containersOf(spec).filter((c) => c.securityContext?.windowsOptions?.hostProcess === true);
        const pod = spec.securityContext?.windowsOptions?.hostProcess === true;
        return pod || bad.length ? `hostProcess (${setters(pod, bad)} must not set securityContext.windowsOptions.hostProcess=true)` : undefined;
    },
    hostPorts: (spec) => {
        const bad = containersOf(spec).filter((c) => (c.ports ?? []).some((p) => (p.hostPort ?? 0) !== 0));
        return bad.length ? `hostPort (${which(bad)} use${bad.length === 1 ? "s" : ""} hostPorts)` : undefined;
    },
    appArmorProfile: (spec, metadata) => {
        const ok = (t: unknown) => t === "RuntimeDefault" || t === "Localhost";
        const pod = spec.securityContext?.appArmorProfile !== undefined && !ok(spec.securityContext.appArmorProfile.type);
        const bad = containersOf(spec).filter((c) => c.securityContext?.appArmorProfile !== undefined && !ok(c.securityContext.appArmorProfile.type));
        const annotations = Object.entries(metadata.annotations ?? {}).filter(
            ([k, v]) => k.startsWith(APPARMOR_ANNOTATION) && !(v === "" || v === "runtime/default" || v.startsWith("localhost/")),
        );
        if (!pod && bad.length === 0 && annotations.length === 0) return undefined;
        return `forbidden AppArmor profile (${setters(pod, bad) || "annotations"} must not set AppArmor profile type to a type other than RuntimeDefault or Localhost)`;
    },
    seLinuxOptions: (spec) => {
        const bad = (o: SecurityContext["seLinuxOptions"]) => o !== undefined && (!SELINUX_TYPES.has(o.type ?? "") || !!o.user || !!o.role);
        const pod = bad(spec.securityContext?.seLinuxOptions);
        const cs = containersOf(spec).filter((c) => bad(c.securityContext?.seLinuxOptions));
        return pod || cs.length ? `seLinuxOptions (${setters(pod, cs)} set forbidden securityContext.seLinuxOptions)` : undefined;
    },
    sysctls: (spec) => {
        const bad = (spec.securityContext?.sysctls ?? []).map((s) => s.name).filter((n) => !ALLOWED_SYSCTLS.has(n));
        return bad.length ? `forbidden sysctls (${bad.join(", ")})` : undefined;
    },
    hostProbesAndHostLifecycle: (spec) => {
        const hosts = (h: Handler | undefined) => [h?.httpGet?.host, h?.tcpSocket?.host].filter((x): x is string => !!x);
        const bad = containersOf(spec).filter(
            (c) => [c.livenessProbe, c.readinessProbe, c.startupProbe, c.lifecycle?.postStart, c.lifecycle?.preStop].flatMap(hosts).length > 0,
        );
        return bad.length ? `probe or lifecycle host (${which(bad)} must not set a host)` : undefined;
    },
    restrictedVolumes: (spec) => {
        const bad = (spec.volumes ?? []).filter((v) => !ALLOWED_VOLUMES.some((t) => v[t] !== undefined && v[t] !== null));
        return bad.length ? `restricted volume types (volume${bad.length === 1 ? "" : "s"} ${bad.map((v) => `"${v.name}"`).join(", ")})` : undefined;
    },
    procMount: (spec) => {
        const bad = containersOf(spec).filter((c) => c.securityContext?.procMount !== undefined && c.securityContext.procMount !== "Default");
        return bad.length ? `procMount (${which(bad)} must not set securityContext.procMount)` : undefined;
    },
    allowPrivilegeEscalation: (spec) => {
        if (spec.os?.name === "windows") return undefined;
        const bad = containersOf(spec).filter((c) => c.securityContext?.allowPrivilegeEscalation !== false);
        return bad.length ? `allowPrivilegeEscalation != false (${which(bad)} must set securityContext.allowPrivilegeEscalation=false)` : undefined;
    },
    runAsNonRoot: (spec) => {
        if (spec.hostUsers === false) return undefined;
        const podValue = spec.securityContext?.runAsNonRoot;
        const explicit = containersOf(spec).filter((c) => c.securityContext?.runAsNonRoot === false);
        if (podValue === false || explicit.length)
            return `runAsNonRoot != true (${setters(podValue === false, explicit)} must not set securityContext.runAsNonRoot=false)`;
        const implicit = containersOf(spec).filter((c) => c.securityContext?.runAsNonRoot === undefined && podValue !== true);
        return implicit.length ? `runAsNonRoot != true (pod or ${which(implicit)} must set securityContext.runAsNonRoot=true)` : undefined;
    },
    runAsUser: (spec) => {
        if (spec.hostUsers === false) return undefined;
        const pod = spec.securityContext?.runAsUser === 0;
        const bad = containersOf(spec).filter((c) => c.securityContext?.runAsUser === 0);
        return pod || bad.length ? `runAsUser=0 (${setters(pod, bad)} must not set runAsUser=0)` : undefined;
    },
    seccompProfile: (spec) => {
        if (spec.os?.name === "windows") return undefined;
        const valid = (t: unknown) => t === "RuntimeDefault" || t === "Localhost";
        const podProfile = spec.securityContext?.seccompProfile;
        const podBad = podProfile !== undefined && !valid(podProfile.type);
        const explicit = containersOf(spec).filter((c) => c.securityContext?.seccompProfile !== undefined && !valid(c.securityContext.seccompProfile.type));
        if (podBad || explicit.length)
            return `seccompProfile (${setters(podBad, explicit)} must not set securityContext.seccompProfile.type to an unconfined profile)`;
        const podSet = podProfile !== undefined;
        const implicit = containersOf(spec).filter((c) => c.securityContext?.seccompProfile === undefined && !podSet);
        return implicit.length
            ? `seccompProfile (pod or ${which(implicit)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`
            : undefined;
    },
    capabilities: (spec) => {
        if (spec.os?.name === "windows") return undefined;
        const cs = containersOf(spec);
        const noDrop = cs.filter((c) => !(c.securityContext?.capabilities?.drop ?? []).includes("ALL"));
        const adding = cs.filter((c) => (c.securityContext?.capabilities?.add ?? []).some((a) => a !== "NET_BIND_SERVICE"));
        const details = [
            ...(noDrop.length ? [`${which(noDrop)} must set securityContext.capabilities.drop=["ALL"]`] : []),
            ...(adding.length ? [`${which(adding)} must not add capabilities other than NET_BIND_SERVICE`] : []),
        ];
        return details.length ? `unrestricted capabilities (${details.join("; ")})` : undefined;
    },
};

/** Each way a pod (its spec and metadata) fails Pod Security "restricted": `<check>: <reason (detail)>`. */
export function restrictedViolations(spec: PodSpec, metadata: PodMetadata = {}): string[] {
    return Object.entries(CHECKS).flatMap(([id, check]) => {
        const found = check(spec, metadata);
        return found ? [`${id}: ${found}`] : [];
    });
}

interface PodTemplate {
    metadata?: PodMetadata;
    spec?: PodSpec;
}
/** A rendered object that may hold pod templates. */
interface WorkloadLike {
    kind: string;
    spec?: { template?: PodTemplate; jobTemplate?: { spec?: { template?: PodTemplate } } } & PodSpec;
    metadata?: PodMetadata;
}

/** The pod templates of a rendered object (Pod, the workload controllers, CronJob), with where each sits. */
export function podsOf(object: WorkloadLike): { where: string; spec: PodSpec; metadata: PodMetadata }[] {
    const pod = (where: string, t: PodTemplate | undefined) => [{ where, spec: t?.spec ?? {}, metadata: t?.metadata ?? {} }];
    if (object.kind === "Pod") return pod("spec", { spec: object.spec, metadata: object.metadata });
    if (object.kind === "CronJob") return pod("spec.jobTemplate.spec.template", object.spec?.jobTemplate?.spec?.template);
    if (["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"].includes(object.kind))
        return pod("spec.template", object.spec?.template);
    return [];
}
