/**
 * A simulated Kubernetes cluster for the integration suite, from upstream parts: `kwokctl create cluster --runtime
 * binary` runs the real etcd, kube-apiserver (RBAC, admission with Pod Security), kube-controller-manager and
 * kube-scheduler built by scripts/toolchain.sh, plus the kwok controller, which plays the kubelet for fake nodes:
 * it makes scheduled pods Running and Ready with IPs, completes Job pods and removes deleted pods, by its stages.
 *
 * What is simulated: nodes (CPU, memory, ephemeral storage, pods), containers (no image is pulled, nothing runs) and
 * their timing. On top of KWOK's stock stages the suite adds two behaviours a real cluster has:
 *   - slow starts: pods of the charts (every release of config/releases.ts) and Keycloak become ready only after `slowStartMs`,
 *     and after SLOWER_START_MS in a namespace whose name ends in SLOWER_NAMESPACE_SUFFIX (where the suite kills a
 *     first install: every release is still installing then);
 *   - failing containers: a Job pod whose image tag ends in FAILING_TAG_SUFFIX exits 1 instead of completing;
 *   - long Jobs: a Job pod whose image tag ends in SLOW_TAG_SUFFIX completes after SLOW_JOB_MS.
 * Storage is a default StorageClass with pre-created PersistentVolumes (static provisioning, bound by the real PV
 * controller); the IngressClass `nginx` exists, its controller is simulated by the suite where needed.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { promisify } from "util";
import * as k8s from "@kubernetes/client-node";
import * as YAML from "yaml";
import { RELEASE_KEYS, RELEASES } from "../../config";
import { TOOLCHAIN_BIN, TOOLCHAIN_DIR, toolchainVar } from "../../tools/toolchain";

const run = promisify(execFile);

/** A Job pod with this image tag suffix fails (exit code 1) instead of completing. */
export const FAILING_TAG_SUFFIX = "-failing";
/** A Job pod with this image tag suffix completes only after SLOW_JOB_MS (a long migration). */
export const SLOW_TAG_SUFFIX = "-slow";
const SLOW_JOB_MS = 8000;
/** Namespaces whose slow pods start slower still: every release of a first install there is in flight for a while. */
export const SLOWER_NAMESPACE_SUFFIX = "-install";
const SLOWER_START_MS = 20_000;
/**
 * Labels whose values mark pods that start slowly: the releases' pods and Keycloak's. By the charts' names, not their
 * release names: the peer chart installs the same charts as subcharts of one release (test/fixtures/peer-chart).
 */
const SLOW_POD_LABELS: Readonly<Record<string, readonly string[]>> = {
    "app.kubernetes.io/name": [...RELEASE_KEYS.map((k) => RELEASES[k].chart), "pulse-keycloak"],
};

export interface KwokOptions {
    /** Directory with the toolchain's binaries (kwokctl, kwok, etcd, kube-*, kubectl). */
    readonly bin: string;
    /** KWOK's stock stage files (scripts/toolchain.sh copies them from the pinned module). */
    readonly stagesDir: string;
    /** Scratch directory: kwokctl's work directory, the kubeconfig, the logs. */
    readonly dir: string;
    readonly kubernetesVersion: string;
    readonly nodes: number;
    /** Allocatable of each node. */
    readonly node: { readonly cpu: string; readonly memory: string; readonly ephemeralStorage: string; readonly pods: number };
    /** Pre-created PersistentVolumes: how many, and the size of each. */
    readonly volumes: { readonly count: number; readonly size: string };
    readonly slowStartMs: number;
}

export interface KwokCluster {
    readonly kubeconfig: string;
    readonly kc: k8s.KubeConfig;
    /** The last lines of every component's log (for a failure message). */
    logs(): string;
    stop(): Promise<void>;
}

const NAME = "pulse-it";
const STORAGE_CLASS = "standard";
export const INGRESS_CLASS = "nginx";

type Stage = { metadata: { name: string }; spec: { selector: { matchExpressions: unknown[] }; delay?: unknown; next: Record<string, unknown> } };

/** A jq query (KWOK's selector keys) that is true for pods any of whose labels holds one of the given values. */
function labelQuery(labels: Readonly<Record<string, readonly string[]>>): string {
    const tests = Object.entries(labels).flatMap(([k, vs]) => vs.map((v) => `.metadata.labels[${JSON.stringify(k)}] == ${JSON.stringify(v)}`));
    return `[${tests.join(", ")}] | any`;
}
/** How fast a pod becomes ready: "fast", "slow" (the slow labels) or "slower" (those in a SLOWER_NAMESPACE_SUFFIX namespace). */
const readyQuery = (labels: Readonly<Record<string, readonly string[]>>) =>
    `if (${labelQuery(labels)}) then (if (.metadata.namespace | endswith(${JSON.stringify(SLOWER_NAMESPACE_SUFFIX)})) then "slower" else "slow" end) else "fast" end`;
/** How a Job pod ends, by its (first) container's image tag: "fail", "slow" or "complete". */
const JOB_OUTCOME_QUERY =
    `.spec.containers[0].image | if endswith(${JSON.stringify(FAILING_TAG_SUFFIX)}) then "fail" ` +
    `elif endswith(${JSON.stringify(SLOW_TAG_SUFFIX)}) then "slow" else "complete" end`;

/**
 * The stage set: KWOK's stock node and pod stages, with pod-ready split into fast and slow pods and pod-complete split
 * into completing, slowly completing and failing Job pods. Each split is by one query's value, so exactly one stage of
 * a split matches a pod.
 */
function kwokStages(stagesDir: string, slowStartMs: number): Stage[] {
    const load = (name: string): Stage => YAML.parse(fs.readFileSync(path.join(stagesDir, `${name}.yaml`), "utf8"));
    const withExpression = (s: Stage, name: string, key: string, value: string): Stage => {
        const copy: Stage = structuredClone(s);
        copy.metadata.name = name;
        copy.spec.selector.matchExpressions.push({ key, operator: "In", values: [value] });
        return copy;
    };
    const ready = load("pod-ready");
    const slow = withExpression(ready, "pod-ready-slow", readyQuery(SLOW_POD_LABELS), "slow");
    slow.spec.delay = { durationMilliseconds: slowStartMs };
    const slower = withExpression(ready, "pod-ready-slower", readyQuery(SLOW_POD_LABELS), "slower");
    slower.spec.delay = { durationMilliseconds: SLOWER_START_MS };
    const complete = load("pod-complete");
    const slowComplete = withExpression(complete, "pod-complete-slow", JOB_OUTCOME_QUERY, "slow");
    slowComplete.spec.delay = { durationMilliseconds: SLOW_JOB_MS };
    const failing = withExpression(complete, "pod-fail", JOB_OUTCOME_QUERY, "fail");
    // Exit code 1, phase Failed: what the job controller counts against backoffLimit.
    const template = String(complete.spec.next.statusTemplate);
    failing.spec.next.statusTemplate = template
        .replace("exitCode: 0", "exitCode: 1")
        .replace(/(\n\s*)reason: Completed/, `$1reason: Error$1message: "simulated failure: the image tag ends in ${FAILING_TAG_SUFFIX}"`)
        .replace("phase: Succeeded", "phase: Failed");
    for (const part of ["exitCode: 0", "reason: Completed", "phase: Succeeded"]) {
        if (!template.includes(part)) throw new Error(`KWOK's pod-complete stage has no "${part}": cannot derive the failing stage from it`);
    }
    return [
        load("node-initialize"),
        load("node-heartbeat-with-lease"),
        withExpression(ready, "pod-ready", readyQuery(SLOW_POD_LABELS), "fast"),
        slow,
        slower,
        withExpression(complete, "pod-complete", JOB_OUTCOME_QUERY, "complete"),
        slowComplete,
        failing,
        load("pod-delete"),
    ];
}

/** The control plane's binaries and KWOK's: what every cluster of the suite needs from the toolchain. */
const CLUSTER_BINARIES = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl", "kwok", "kwokctl"];

/** What the toolchain lacks of `binaries` and the cluster's own (scripts/toolchain.sh builds them), or undefined. */
function toolchainMissing(binaries: readonly string[] = []): string | undefined {
    const missing = [...new Set([...CLUSTER_BINARIES, ...binaries])].filter((b) => !fs.existsSync(path.join(TOOLCHAIN_BIN, b)));
    if (!fs.existsSync(path.join(TOOLCHAIN_DIR, "kwok-stages"))) missing.push("kwok-stages/");
    return missing.length ? `missing ${missing.join(", ")} in ${TOOLCHAIN_DIR}: run scripts/toolchain.sh` : undefined;
}

/**
 * A cluster of the toolchain (its binaries, KWOK's stages, the pinned Kubernetes version) with nodes of 8 CPUs, 32 Gi,
 * 100 Gi of ephemeral storage and 110 pods; fails first, naming what the toolchain lacks of it and of `needs`.
 */
export function createToolchainCluster(
    o: Pick<KwokOptions, "dir" | "nodes" | "volumes" | "slowStartMs"> & { readonly needs?: readonly string[] },
): Promise<KwokCluster> {
    const missing = toolchainMissing(o.needs);
    if (missing) throw new Error(missing);
    return createKwokCluster({
        bin: TOOLCHAIN_BIN,
        stagesDir: path.join(TOOLCHAIN_DIR, "kwok-stages"),
        kubernetesVersion: toolchainVar("KUBERNETES_VERSION"),
        node: { cpu: "8", memory: "32Gi", ephemeralStorage: "100Gi", pods: 110 },
        ...o,
    });
}

async function createKwokCluster(o: KwokOptions): Promise<KwokCluster> {
    const workdir = path.join(o.dir, "kwok");
    const kubeconfig = path.join(o.dir, "kubeconfig");
    fs.mkdirSync(workdir, { recursive: true });
    const env = { ...process.env, KWOK_WORKDIR: workdir, KUBECONFIG: kubeconfig };
    const kwokctl = (...args: string[]) => run(path.join(o.bin, "kwokctl"), ["--name", NAME, ...args], { env, maxBuffer: 16 << 20 });
    const bin = (b: string) => path.join(o.bin, b);
    const configFile = path.join(o.dir, "kwokctl.yaml");
    const config = {
        apiVersion: "config.kwok.x-k8s.io/v1alpha1",
        kind: "KwokctlConfiguration",
        options: {
            runtime: "binary",
            kubeVersion: o.kubernetesVersion,
            kubeAuthorization: true,
            kubeAdmission: true,
            etcdBinary: bin("etcd"),
            kubeApiserverBinary: bin("kube-apiserver"),
            kubeControllerManagerBinary: bin("kube-controller-manager"),
            kubeSchedulerBinary: bin("kube-scheduler"),
            kwokControllerBinary: bin("kwok"),
            kubectlBinary: bin("kubectl"),
        },
    };
    const stages = kwokStages(o.stagesDir, o.slowStartMs).map((s) => ({ apiVersion: "kwok.x-k8s.io/v1alpha1", kind: "Stage", ...s }));
    fs.writeFileSync(configFile, [config, ...stages].map((d) => YAML.stringify(d, { lineWidth: 0 })).join("---\n"));

    const logsDir = path.join(workdir, "clusters", NAME, "logs");
    const logs = () => {
        if (!fs.existsSync(logsDir)) return "(no component logs)";
        return fs
            .readdirSync(logsDir)
            .map((f) => `--- ${f} ---\n${fs.readFileSync(path.join(logsDir, f), "utf8").split("\n").slice(-12).join("\n")}`)
            .join("\n");
    };
    const stop = async () => {
        await kwokctl("delete", "cluster").catch(() => undefined);
    };

    try {
        await kwokctl("create", "cluster", "--config", configFile, "--kubeconfig", kubeconfig, "--wait", "90s");
        await kwokctl(
            "scale",
            "node",
            "--replicas",
            String(o.nodes),
            "--param",
            `.allocatable.cpu=${JSON.stringify(o.node.cpu)}`,
            "--param",
            `.allocatable.memory=${JSON.stringify(o.node.memory)}`,
            "--param",
            `.allocatable["ephemeral-storage"]=${JSON.stringify(o.node.ephemeralStorage)}`,
            "--param",
            `.allocatable.pods=${o.node.pods}`,
        );
        const kc = new k8s.KubeConfig();
        kc.loadFromFile(kubeconfig);
        await addStorageAndIngressClass(kc, o.volumes);
        await waitForNodes(kc, o.nodes);
        return { kubeconfig, kc, logs, stop };
    } catch (e) {
        const detail = (e as { stderr?: string }).stderr ?? "";
        await stop();
        throw new Error(`KWOK cluster did not come up: ${(e as Error).message}\n${detail}\n${logs()}`, { cause: e });
    }
}

/** The default StorageClass, PersistentVolumes to bind claims to (no provisioner), and the IngressClass. */
async function addStorageAndIngressClass(kc: k8s.KubeConfig, volumes: KwokOptions["volumes"]): Promise<void> {
    const storage = kc.makeApiClient(k8s.StorageV1Api);
    await storage.createStorageClass({
        body: {
            metadata: { name: STORAGE_CLASS, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
            provisioner: "kubernetes.io/no-provisioner",
            reclaimPolicy: "Retain",
            volumeBindingMode: "WaitForFirstConsumer",
        },
    });
    const core = kc.makeApiClient(k8s.CoreV1Api);
    for (let i = 0; i < volumes.count; i++) {
        await core.createPersistentVolume({
            body: {
                metadata: { name: `pv-${String(i).padStart(3, "0")}` },
                spec: {
                    capacity: { storage: volumes.size },
                    accessModes: ["ReadWriteOnce"],
                    persistentVolumeReclaimPolicy: "Retain",
                    storageClassName: STORAGE_CLASS,
                    hostPath: { path: `/var/lib/pulse-it/pv-${i}` },
                },
            },
        });
    }
    await kc.makeApiClient(k8s.NetworkingV1Api).createIngressClass({
        body: { metadata: { name: INGRESS_CLASS }, spec: { controller: "k8s.io/ingress-nginx" } },
    });
}

async function waitForNodes(kc: k8s.KubeConfig, count: number): Promise<void> {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const deadline = Date.now() + 60_000;
    for (;;) {
        const nodes = (await core.listNode()).items;
        const ready = nodes.filter((n) => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
        if (ready.length >= count) return;
        if (Date.now() > deadline) throw new Error(`${ready.length} of ${count} nodes ready after 60 s`);
        await new Promise((r) => setTimeout(r, 250));
    }
}
