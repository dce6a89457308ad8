/**
 * Recovery of a Helm release that an interrupted `pulumi up` left pending (pulumi-kubernetes#2054): a `pulumi up`
 * killed while the provider's embedded Helm installs or upgrades a release leaves that release's last revision
 * `pending-install` or `pending-upgrade`, and every later install or upgrade fails with "another operation
 * (install/upgrade/rollback) is in progress" (Helm's upgrade refuses a pending last revision; its install refuses a
 * name still in use).
 *
 * Where Helm keeps a release: its storage driver (the provider's default, Secrets) writes one Secret per revision,
 * `sh.helm.release.v1.<release>.v<N>` of type `helm.sh/release.v1`, labelled owner=helm, name=<release>,
 * status=<status>, version=<N>, its `release` key base64(gzip(JSON of the release)). Nothing else: Helm holds no lock
 * and records no process, so "is the operation still running" cannot be asked. It is judged instead:
 *   - this runs inside `pulumi up`, which holds the stack's lock: no other Pulumi operation of this stack (the only
 *     thing that installs these releases) runs;
 *   - the pending revision (its Secret's creationTimestamp, the API server's clock) is older than
 *     `helm.stuckAfterSeconds`, which the config requires to exceed every release's Helm timeout: an install or
 *     upgrade anyone else started has given up by then.
 * A younger pending revision is left alone and fails the `up` saying when it will be recovered.
 *
 * How it recovers, and why not by Helm's own rollback: a rollback re-applies the last deployed revision's objects
 * with Helm's apply logic, which is inside the provider, not reachable from the program, and the Release's upgrade
 * that follows in the same `up` would apply the wanted objects again (two rollouts of the database). What the rollback
 * leaves in storage is what the next upgrade needs, and is reached by storage alone:
 *   - pending-upgrade: the pending revision is marked `failed` (status label and record, as Helm marks an upgrade that
 *     failed). Helm's upgrade then takes the last deployed revision as the current one and diffs the wanted objects
 *     against it (a three-way merge with the live objects); the revision stays in `helm history`, described;
 *   - pending-install of a first install (the release's only revision): its record is removed, so the provider's
 *     install (Create, `Replace` off) finds the name free; Helm's install adopts the objects the interrupted install
 *     created, which carry its ownership labels and annotations (meta.helm.sh/release-name/-namespace), instead of
 *     refusing them. Unlike `helm uninstall`, nothing of the release is deleted.
 * The only objects ever changed or deleted are the release's pending storage Secret, checked before each write
 * (`planProblems`): never a PersistentVolumeClaim, never an object Helm keeps (`helm.sh/resource-policy: keep`),
 * never a deployed revision. A pending-rollback, or a pending install with earlier history, is left to an operator.
 */
import * as zlib from "zlib";
import * as pulumi from "@pulumi/pulumi";
import { providerKubeconfig } from "../config/load";
import { ClusterAccess, clusterAccess, KubeconfigSource, kubeRequest, providerKubeconfigText, Unsupported } from "./kubeAccess";

/** Helm's storage Secret of one revision: type, labels and name (helm pkg/storage/driver/secrets.go). */
export const STORAGE_SECRET_TYPE = "helm.sh/release.v1";
export const storageSecretName = (release: string, version: number) => `sh.helm.release.v1.${release}.v${version}`;
/** Statuses an interrupted install or upgrade leaves; pending-rollback is never left by the provider (atomic is off). */
const RECOVERABLE = ["pending-install", "pending-upgrade"] as const;
const KEEP_POLICY = "helm.sh/resource-policy";

/** One revision as Helm's storage holds it, from its Secret's metadata. */
export interface StoredRevision {
    readonly kind: string;
    readonly name: string;
    readonly type: string;
    readonly uid: string;
    readonly resourceVersion: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
    readonly createdAt: Date;
}

/** The release to check, and the settings `helm.*` gives. */
export interface RecoveryTarget {
    readonly release: string;
    readonly namespace: string;
    /** `helm.stuckAfterSeconds`. */
    readonly stuckAfterSeconds: number;
}

export type RecoveryPlan =
    | { readonly action: "none" }
    /** A pending revision that may still be running (or one not recovered automatically): left alone, `up` fails. */
    | { readonly action: "refuse"; readonly message: string }
    | { readonly action: "mark-failed"; readonly revision: StoredRevision; readonly lastDeployed?: number; readonly message: string }
    | { readonly action: "remove-record"; readonly revision: StoredRevision; readonly message: string };

const versionOf = (r: StoredRevision) => Number(r.labels.version);
const statusOf = (r: StoredRevision) => r.labels.status ?? "";

/**
 * What to do about a release, from its stored revisions (every Secret labelled owner=helm, name=<release>). Pure: the
 * clock and the store are the caller's.
 */
export function planRecovery(target: RecoveryTarget, revisions: readonly StoredRevision[], now: Date): RecoveryPlan {
    const own = revisions.filter((r) => r.labels.owner === "helm" && r.labels.name === target.release && Number.isInteger(versionOf(r)));
    if (own.length === 0) return { action: "none" };
    const last = own.reduce((a, b) => (versionOf(b) > versionOf(a) ? b : a));
    const status = statusOf(last);
    const id = `Helm release ${target.namespace}/${target.release}`;
    if (status === "pending-rollback") {
        return {
            action: "refuse",
            message: `${id}: revision ${versionOf(last)} is pending-rollback, which is not recovered automatically: see docs/operations.md`,
        };
    }
    if (!(RECOVERABLE as readonly string[]).includes(status)) return { action: "none" };
    const ageSeconds = Math.floor((now.getTime() - last.createdAt.getTime()) / 1000);
    const since = `revision ${versionOf(last)} is ${status} since ${last.createdAt.toISOString()} (${ageSeconds} s)`;
    if (ageSeconds < target.stuckAfterSeconds) {
        return {
            action: "refuse",
            message:
                `${id}: ${since}, younger than helm.stuckAfterSeconds (${target.stuckAfterSeconds} s): its install or upgrade may still run. ` +
                `Run pulumi up again from ${new Date(last.createdAt.getTime() + target.stuckAfterSeconds * 1000).toISOString()}; it is recovered then`,
        };
    }
    if (status === "pending-upgrade") {
        const deployed = own.filter((r) => statusOf(r) === "deployed" && versionOf(r) < versionOf(last)).map(versionOf);
        const lastDeployed = deployed.length > 0 ? Math.max(...deployed) : undefined;
        const from = lastDeployed !== undefined ? `from revision ${lastDeployed}, the last deployed` : "from the last revision Helm can upgrade";
        return {
            action: "mark-failed",
            revision: last,
            lastDeployed,
            message: `${id}: ${since}, its upgrade interrupted: marked it failed (helm.recoverStuckReleases); this up upgrades the release ${from}. Nothing else was changed`,
        };
    }
    if (own.length > 1) {
        return {
            action: "refuse",
            message: `${id}: ${since}, after earlier revisions (${own.length} in all): not recovered automatically (an install over history needs Helm's replace): see docs/operations.md`,
        };
    }
    return {
        action: "remove-record",
        revision: last,
        message: `${id}: ${since}, its first install interrupted: removed its pending record ${last.name} (helm.recoverStuckReleases); this up installs the release again and Helm adopts the objects the interrupted install created. No object, claim or volume was deleted`,
    };
}

/**
 * Why a plan must not run: its one write may touch only this release's pending storage Secret. Empty when safe;
 * checked again right before each write.
 */
export function planProblems(target: RecoveryTarget, plan: RecoveryPlan): string[] {
    if (plan.action === "none" || plan.action === "refuse") return [];
    const r = plan.revision;
    const problems: string[] = [];
    if (r.kind !== "Secret") problems.push(`${r.kind} ${r.name} is not a Secret: only Helm's storage Secrets are ever changed`);
    if (r.type !== STORAGE_SECRET_TYPE) problems.push(`${r.name} is of type "${r.type}", not Helm's storage (${STORAGE_SECRET_TYPE})`);
    if (r.labels.owner !== "helm" || r.labels.name !== target.release)
        problems.push(`${r.name} is not labelled as release ${target.release}'s storage (owner=helm, name=${target.release})`);
    if (r.name !== storageSecretName(target.release, versionOf(r)))
        problems.push(`${r.name} is not named as revision ${r.labels.version} of ${target.release}`);
    const wanted = plan.action === "mark-failed" ? "pending-upgrade" : "pending-install";
    if (statusOf(r) !== wanted) problems.push(`${r.name} is ${statusOf(r) || "without status"}, not ${wanted}: only a pending revision is recovered`);
    if (r.annotations[KEEP_POLICY] === "keep") problems.push(`${r.name} carries ${KEEP_POLICY}: keep`);
    return problems;
}

/** Helm's encoding of a release in its storage Secret's `release` key: base64(gzip(JSON)) (pkg/storage/driver/util.go). */
export function decodeRelease(stored: string): Record<string, unknown> {
    const raw = Buffer.from(stored, "base64");
    const gzipped = raw.length > 2 && raw[0] === 0x1f && raw[1] === 0x8b;
    return JSON.parse((gzipped ? zlib.gunzipSync(raw) : raw).toString("utf8")) as Record<string, unknown>;
}

export function encodeRelease(release: Record<string, unknown>): string {
    return zlib.gzipSync(Buffer.from(JSON.stringify(release), "utf8")).toString("base64");
}

/** The release record with its status failed and what happened, as Helm records an upgrade that failed. */
export function markedFailed(release: Record<string, unknown>, description: string): Record<string, unknown> {
    const info = (release.info ?? {}) as Record<string, unknown>;
    return { ...release, info: { ...info, status: "failed", description } };
}

/**
 * Checks a release and recovers it: the cluster side (or a stand-in under the mocks: tools/mocks.ts). `prepare`, when
 * given, is called as the program is evaluated, long before the first check (which waits for the namespace).
 */
export type Recoverer = ((target: RecoveryTarget) => Promise<RecoveryPlan>) & { readonly prepare?: () => void };

/** A storage Secret as the API server returns it (the fields the check reads and writes back). */
interface StorageSecret {
    readonly metadata?: {
        readonly name?: string;
        readonly uid?: string;
        readonly resourceVersion?: string;
        readonly labels?: Record<string, string>;
        readonly annotations?: Record<string, string>;
        readonly creationTimestamp?: string | Date;
    };
    readonly type?: string;
    readonly data?: Record<string, string>;
}

/** Helm's storage in one namespace: the only reads and writes the check makes. */
interface HelmStorage {
    list(namespace: string, labelSelector: string): Promise<StorageSecret[]>;
    /** Writes `body` over the Secret; its resourceVersion makes the API server refuse it if the Secret changed since. */
    replace(namespace: string, name: string, body: StorageSecret): Promise<void>;
    /** Deletes the Secret only if it still has this uid and resourceVersion. */
    remove(namespace: string, name: string, preconditions: { uid: string; resourceVersion: string }): Promise<void>;
}

/** By kubeconfig, context and cluster: one process may run several stacks (the Automation API), each its own cluster's. */
const storages = new Map<string, Promise<HelmStorage>>();

/**
 * Helm's storage on the cluster, with the same credentials as the stack's Kubernetes provider (config/load.ts's
 * providerKubeconfig): built once for every check of the run. Requests are made by lib/kubeAccess.ts; a kubeconfig it
 * does not handle is read by the client library instead, whose loading alone takes ~0.8 s of CPU.
 */
function clusterStorage(): Promise<HelmStorage> {
    const source = providerKubeconfig();
    const key = JSON.stringify([source.kubeconfig, source.context, source.cluster]);
    let storage = storages.get(key);
    if (storage === undefined) {
        storage = clusterAccess(source).then(
            (access) => storageByRequests(access),
            (e: Error) => (e instanceof Unsupported ? storageByClientLibrary(source) : Promise.reject(e)),
        );
        storages.set(key, storage);
    }
    return storage;
}

const secretsPath = (namespace: string, name?: string) =>
    `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets${name === undefined ? "" : `/${encodeURIComponent(name)}`}`;

export function storageByRequests(access: ClusterAccess): HelmStorage {
    return {
        list: async (namespace, labelSelector) =>
            ((await kubeRequest(access, "GET", `${secretsPath(namespace)}?labelSelector=${encodeURIComponent(labelSelector)}`)) as { items?: StorageSecret[] })
                .items ?? [],
        replace: async (namespace, name, body) =>
            void (await kubeRequest(access, "PUT", secretsPath(namespace, name), { apiVersion: "v1", kind: "Secret", ...body })),
        remove: async (namespace, name, preconditions) =>
            void (await kubeRequest(access, "DELETE", secretsPath(namespace, name), { apiVersion: "v1", kind: "DeleteOptions", preconditions })),
    };
}

async function storageByClientLibrary(source: KubeconfigSource): Promise<HelmStorage> {
    const k8s = await import("@kubernetes/client-node");
    const kc = new k8s.KubeConfig();
    if (source.kubeconfig) kc.loadFromString(providerKubeconfigText(source.kubeconfig).text);
    else kc.loadFromDefault();
    if (source.context !== undefined) kc.setCurrentContext(source.context);
    if (source.cluster !== undefined) {
        const { cluster } = source;
        kc.loadFromOptions({
            clusters: kc.clusters,
            users: kc.users,
            contexts: kc.contexts.map((c) => (c.name === kc.currentContext ? { ...c, cluster } : c)),
            currentContext: kc.currentContext,
        });
    }
    const core = kc.makeApiClient(k8s.CoreV1Api);
    return {
        list: async (namespace, labelSelector) => (await core.listNamespacedSecret({ namespace, labelSelector })).items,
        replace: async (namespace, name, body) => void (await core.replaceNamespacedSecret({ name, namespace, body: body as never })),
        remove: async (namespace, name, preconditions) => void (await core.deleteNamespacedSecret({ name, namespace, body: { preconditions } })),
    };
}

/** The cluster side; prepared by reading the kubeconfig (and running its credential plugin) while the program is evaluated. */
export const recoverOnCluster: Recoverer = Object.assign(async (target: RecoveryTarget): Promise<RecoveryPlan> => recoverWith(await clusterStorage(), target), {
    prepare: () => void clusterStorage().catch(() => undefined),
});

export async function recoverWith(storage: HelmStorage, target: RecoveryTarget): Promise<RecoveryPlan> {
    const { namespace } = target;
    const secrets = await storage.list(namespace, `owner=helm,name=${target.release}`);
    const revisions: StoredRevision[] = secrets.map((s) => ({
        kind: "Secret",
        name: s.metadata?.name ?? "",
        type: s.type ?? "",
        uid: s.metadata?.uid ?? "",
        resourceVersion: s.metadata?.resourceVersion ?? "",
        labels: s.metadata?.labels ?? {},
        annotations: s.metadata?.annotations ?? {},
        createdAt: new Date(s.metadata?.creationTimestamp ?? 0),
    }));
    const plan = planRecovery(target, revisions, new Date());
    const problems = planProblems(target, plan);
    if (problems.length > 0) throw new Error(`refusing to recover it:\n  - ${problems.join("\n  - ")}`);
    if (plan.action === "mark-failed") {
        const secret = secrets.find((s) => s.metadata?.uid === plan.revision.uid)!;
        const description = `Interrupted upgrade: marked failed by helm.recoverStuckReleases at ${new Date().toISOString()}`;
        const record = markedFailed(decodeRelease(Buffer.from(secret.data?.release ?? "", "base64").toString("utf8")), description);
        const body = {
            ...secret,
            metadata: { ...secret.metadata, labels: { ...secret.metadata!.labels, status: "failed", modifiedAt: String(Math.floor(Date.now() / 1000)) } },
            data: { ...secret.data, release: Buffer.from(encodeRelease(record), "utf8").toString("base64") },
        };
        // resourceVersion in the body: the API server refuses the write if anything changed the record since the read.
        await storage.replace(namespace, plan.revision.name, body);
    } else if (plan.action === "remove-record") {
        await storage.remove(namespace, plan.revision.name, { uid: plan.revision.uid, resourceVersion: plan.revision.resourceVersion });
    }
    return plan;
}

let recoverer: Recoverer = recoverOnCluster;

/** Replaces how releases are checked (the mocks install a stand-in that records and touches nothing); returns the previous one. */
export function useRecoverer(r: Recoverer): Recoverer {
    const previous = recoverer;
    recoverer = r;
    return previous;
}

/**
 * Resolves once the release is checked and, if stuck, recovered; the Release's inputs wait for it, so this runs before
 * the provider's install or upgrade of it, on every `pulumi up`, and never in a preview (which changes nothing). A
 * recovery logs what it did as a warning on `resource`. A pending revision that is not recovered is reported as an
 * error on `resource`, which fails the `up` with what to do (Helm's own refusal follows); a check that cannot run, as a
 * warning. Reported, not thrown: a rejected input leaves an in-process (Automation API) program waiting for the Release forever.
 * Each report is awaited before the Release may go on: the engine has it before Helm's own failure ends the update.
 * Resolves to what happened.
 */
export function recoveredBeforeDeploy(
    release: string,
    namespace: pulumi.Input<string>,
    stuckAfterSeconds: number,
    resource?: pulumi.Resource,
): pulumi.Output<string> {
    if (!pulumi.runtime.isDryRun()) recoverer.prepare?.();
    return pulumi.output(namespace).apply(async (ns) => {
        if (pulumi.runtime.isDryRun()) return "preview: not checked";
        let plan: RecoveryPlan;
        try {
            plan = await recoverer({ release, namespace: ns, stuckAfterSeconds });
        } catch (e) {
            // A warning: the check is a safety net; a release it could not read goes on to Helm, which refuses it only if
            // it was stuck. Failing every up for it (credentials the program reads differently from the provider's)
            // would be worse.
            await pulumi.log.warn(
                `Helm release ${ns}/${release}: the stuck-release check could not run (${(e as Error).message}); if Helm reports "another operation is in progress", see docs/operations.md`,
                resource,
            );
            return "check failed";
        }
        if (plan.action === "refuse") {
            await pulumi.log.error(plan.message, resource);
            return "refused";
        }
        if (plan.action === "none") return "not pending";
        await pulumi.log.warn(plan.message, resource);
        return plan.action;
    });
}
