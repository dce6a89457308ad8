/**
 * Integration (npm run test:integration): the real Pulumi engine and Kubernetes provider deploy the dev and the prod
 * stack, readiness awaits on and the three Helm releases installed, into a KWOK cluster (test/integration/kwok.ts):
 * real API server, admission (Pod Security), scheduler and controllers; simulated nodes and containers.
 *
 * Per stack, in order: preview plans creates only; up creates everything (slow-starting releases and Keycloak; no
 * Service or Ingress await starts before its pods can be ready); every object exists and every pod is admitted and
 * selected by a NetworkPolicy; the charts render only inventoried objects; where backups are on (prod), a backup Job
 * run from the chart's CronJob completes; a second up and a preview change nothing; an appVersion bump replaces the
 * migrator before any Deployment rolls, and no Deployment loses a ready replica; a database password rotation re-runs
 * the setup Job before the Deployments that log in with it roll (updated, not replaced); a failing migration fails `up`
 * with the Job's failure and changes no Deployment, the next good one succeeds; an `up` killed mid-deploy is followed
 * by one that converges with nothing duplicated; an up killed while a release upgrades, or installs (in a namespace of
 * its own), leaves it pending and the next up after helm.stuckAfterSeconds recovers it (issue 25), the database kept
 * (PULSE_IT_RECOVERY=off: they fail); destroy removes dev and is refused for prod's protected database.
 * Timings go to out/integration-timings.json, next to an empty program's (the engine floor) and the peer's (the spec's
 * chart with `helm install --wait`, test/integration/peer.ts), with their ratios and each first up's critical path.
 *
 * For measurement loops: PULSE_IT_STACKS=prod (comma-separated; default dev,prod) runs only those stacks;
 * PULSE_IT_TIMINGS_ONLY=1 runs only the floor, the peer, and per stack the timed operations (preview, first up and its
 * awaits' order, a no-op up and preview), skipping the other scenarios.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as k8s from "@kubernetes/client-node";
import { Stack } from "@pulumi/pulumi/automation";
import { expect } from "chai";
import * as YAML from "yaml";
import { BACKUP_CLAIM, DB_BACKUP_SH } from "../../components/database";
import { serviceObjectName } from "../../components/pulseServices";
import { POSTGRESQL_BACKUP, POSTGRESQL_PORT } from "../../lib/contracts";
import { clusterAccess } from "../../lib/kubeAccess";
import { connectsToDatabase, contractOf, parseStackConfig, RELEASE_KEYS, RELEASES, SERVICE_NAMES } from "../../config";
import { routes } from "../../lib/routes";
import { PROJECT_DIR, readStackFile, withPlaceholderSecrets } from "../../tools/stackfile";
import { mergeConfig, SUITE_OVERLAYS } from "../../tools/stacks";
import { TOOLCHAIN_BIN } from "../../tools/toolchain";
import { collisions } from "../chart-inventory";
import { portWiringProblems, selects } from "../port-wiring";
import { createToolchainCluster, FAILING_TAG_SUFFIX, INGRESS_CLASS, KwokCluster, SLOW_TAG_SUFFIX, SLOWER_NAMESPACE_SUFFIX } from "./kwok";
import { commandOf, descendants, IngressStatusPublisher, ReadinessWatch, releaseObjects } from "./observe";
import { createStack, nameOf, pulseProgram, sameSizeProgram, StepLog, stackFileWithOverlay, suiteCharts } from "./stack";
import { previousUrns, renamedSince, withPreviousUrns } from "./layout";
import { assemblePeerChart, installPeer, peerDeployments, peerValues, uninstallPeer } from "./peer";
import { RatioSpec, Timings } from "./timings";

const BIN = TOOLCHAIN_BIN;
/** What the stacks need of the toolchain beside the cluster: the CLI, the provider, Helm (the peer). */
const NEEDED = ["pulumi", "pulumi-resource-kubernetes", "helm"];
const SLOW_START_MS = 4000;
/** The stacks to deploy (PULSE_IT_STACKS, comma-separated), dev and prod by default. */
const STACKS = (process.env.PULSE_IT_STACKS ?? "dev,prod").split(",").filter((s) => s !== "");
/** PULSE_IT_TIMINGS_ONLY=1: only the timed operations; the other scenarios are skipped (measurement loops). */
const itFull = process.env.PULSE_IT_TIMINGS_ONLY === "1" ? it.skip : it;
/** Each traced operation's step events and dependency graph (tools/criticalPath.ts reads them again). */
const TRACES = path.join(PROJECT_DIR, "out", "integration-traces");
/** The stack the peer chart mirrors: the goals compare its first up with the peer's install. */
const PEER_STACK = "prod";
/** The timings' subject of the program as large as a stack (stack.ts sameSizeProgram). */
const SAME_SIZE = (stack: string) => `same-size program (${stack})`;
/** The goals (issue 24), as ratios of operations timed in the same run on the same cluster. */
const RATIOS: readonly RatioSpec[] = [
    { name: "prod first up / peer chart's helm install --wait", of: ["prod", "up (first): command"], over: ["peer chart", "helm install --wait"], goal: 2 },
    { name: "prod no-op up / empty program's up", of: ["prod", "up (no changes): command"], over: ["empty program", "up: command"], goal: 1.3 },
    { name: "prod no-op preview / empty program's preview", of: ["prod", "preview (no changes)"], over: ["empty program", "preview"], goal: 2 },
    // What the program adds to the engine's own cost per resource (an empty program pays none of it).
    {
        name: "prod no-op up / same-size program's no-op up",
        of: ["prod", "up (no changes): command"],
        over: [SAME_SIZE("prod"), "up (no changes): command"],
        goal: 1.5,
    },
    {
        name: "prod no-op preview / same-size program's no-op preview",
        of: ["prod", "preview (no changes)"],
        over: [SAME_SIZE("prod"), "preview (no changes)"],
        goal: 1.5,
    },
];
/**
 * Times an up or preview (the Automation API call) and, from the engine's events, the CLI's command alone (up to its
 * summary: an up's call also runs `stack output` twice and `stack history`, which a user's `pulumi up` does not).
 */
async function timed<T>(timings: Timings, subject: string, operation: string, op: (onEvent: StepLog["onEvent"]) => Promise<T>): Promise<[T, StepLog]> {
    const log = new StepLog();
    const result = await timings.time(subject, operation, () => op(log.onEvent));
    if (log.summaryAt !== undefined) timings.record(subject, `${operation}: command`, log.summaryAt);
    return [result, log];
}
/** The prod stack's URNs as the layout before issue 14 named its resources (an existing stack's state). */
const PREVIOUS_LAYOUT_URNS = path.join(PROJECT_DIR, "test", "fixtures", "urns.prod.previous.txt");
/** pulumi-kubernetes' Service and Ingress awaits wait this long after endpoints last changed (await/service.go, ingress.go). */
const ENDPOINTS_SETTLE_MS = 10_000;
/** Every secret is configured: the random provider cannot be built here (docs/integration-testing.md), so nothing may be generated. */
const SECRETS = {
    dbPassword: "it-db-password-0f3c",
    postgresPassword: "it-pg-admin-password-77d1",
    keycloakAdminPassword: "it-kc-password-9a1e",
    emqxDashboardPassword: "it-emqx-password-5b20",
    mqttPassword: "it-mqtt-password-2c44",
    mqttInternalAuthSecret: "it-mqtt-internal-auth-91ab",
    emqxApiSecret: "it-emqx-api-secret-7c31",
    adminKey: "it-admin-key-0123456789abcdef0123456789",
    revisionKey: "it-revision-key-5e8f0c2a",
    keycloakClientSecret: "it-kc-client-secret-6d0e",
    keycloakDbPassword: "it-kc-db-password-e51c",
    s3AccessKey: "it-s3-access-key-13f0",
    s3SecretKey: "it-s3-secret-key-8a2b",
    smtpPassword: "it-smtp-password-4e71",
    stripeSecretKey: "it-stripe-secret-key-c3d9",
    stripeWebhookSecret: "it-stripe-webhook-secret-52aa",
};
/**
 * Stuck releases (issue 25, lib/releaseRecovery.ts): the suite's releases time out after 60 s (the schema's minimum) and
 * a pending revision counts as interrupted after STUCK_AFTER_S, which must exceed them. PULSE_IT_RECOVERY=off turns
 * the recovery off: the stuck-release scenarios then fail, which shows they need it.
 */
const STUCK_AFTER_S = 65;
const RECOVERY_ON = process.env.PULSE_IT_RECOVERY !== "off";
const RECOVERY_OVERLAY: Record<string, unknown> = {
    "pulse:helm": { recoverStuckReleases: RECOVERY_ON, stuckAfterSeconds: STUCK_AFTER_S },
    "pulse:postgresql": { chart: { timeoutSeconds: 60 } },
    "pulse:emqx": { chart: { timeoutSeconds: 60 } },
    "pulse:nats": { chart: { timeoutSeconds: 60 } },
};
const POSTGRESQL_CLAIM = "data-pulse-postgresql-0";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SERVICE = "kubernetes:core/v1:Service";
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const JOB = "kubernetes:batch/v1:Job";
const RELEASE = "kubernetes:helm.sh/v3:Release";

interface StateResource {
    type: string;
    urn: string;
    custom?: boolean;
    protect?: boolean;

    outputs?: Record<string, any>;
}

const k8sResources = async (stack: Stack): Promise<StateResource[]> =>
    ((await stack.exportStack()).deployment.resources as StateResource[]).filter(
        (r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:providers:") && r.type !== RELEASE,
    );

/** Live objects of the namespace that carry Pulse's labels (what the program creates), as `Kind/name`. */
async function liveProgramObjects(kc: k8s.KubeConfig, namespace: string): Promise<string[]> {
    const selector = { labelSelector: "app.kubernetes.io/managed-by=pulumi" };
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const batch = kc.makeApiClient(k8s.BatchV1Api);
    const net = kc.makeApiClient(k8s.NetworkingV1Api);
    const named = (kind: string, items: { metadata?: k8s.V1ObjectMeta }[]) => items.map((i) => `${kind}/${i.metadata!.name}`);
    return [
        ...named("Deployment", (await apps.listNamespacedDeployment({ namespace, ...selector })).items),
        ...named("Service", (await core.listNamespacedService({ namespace, ...selector })).items),
        ...named("ConfigMap", (await core.listNamespacedConfigMap({ namespace, ...selector })).items),
        ...named("Secret", (await core.listNamespacedSecret({ namespace, ...selector })).items),
        ...named("ServiceAccount", (await core.listNamespacedServiceAccount({ namespace, ...selector })).items),
        ...named("Job", (await batch.listNamespacedJob({ namespace, ...selector })).items),
        ...named("NetworkPolicy", (await net.listNamespacedNetworkPolicy({ namespace, ...selector })).items),
        ...named("Ingress", (await net.listNamespacedIngress({ namespace, ...selector })).items),
    ].sort();
}

const stateObjects = (state: StateResource[]) =>
    state
        .filter((r) => ["Deployment", "Service", "ConfigMap", "Secret", "ServiceAccount", "Job", "NetworkPolicy", "Ingress"].includes(r.outputs!.kind))
        .map((r) => `${r.outputs!.kind}/${r.outputs!.metadata.name}`)
        .sort();

/** A release's revisions as Helm stores them (one Secret each, labelled owner=helm), oldest first. */
async function helmRevisions(kc: k8s.KubeConfig, namespace: string, release: string): Promise<{ version: number; status: string; created: Date }[]> {
    const secrets = await kc.makeApiClient(k8s.CoreV1Api).listNamespacedSecret({ namespace, labelSelector: `owner=helm,name=${release}` });
    return secrets.items
        .map((s) => ({ version: Number(s.metadata!.labels!.version), status: s.metadata!.labels!.status, created: new Date(s.metadata!.creationTimestamp!) }))
        .sort((a, b) => a.version - b.version);
}

/** UIDs of the database's data-bearing objects: its claim, StatefulSet and Secret. */
async function databaseUids(kc: k8s.KubeConfig, namespace: string): Promise<Record<string, string>> {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    return {
        claim: (await core.readNamespacedPersistentVolumeClaim({ name: POSTGRESQL_CLAIM, namespace })).metadata!.uid!,
        statefulSet: (await kc.makeApiClient(k8s.AppsV1Api).readNamespacedStatefulSet({ name: "pulse-postgresql", namespace })).metadata!.uid!,
        secret: (await core.readNamespacedSecret({ name: "pulse-db-secret", namespace })).metadata!.uid!,
    };
}

/**
 * An up killed (its CLI and plugins, SIGKILL) while PostgreSQL's release is pending (`status`) and its claim exists,
 * then the next ups without a hand step but Pulumi's own lock release (`pulumi cancel`): one at once, which the
 * recovery refuses (the pending revision may still run), and one once the revision is older than STUCK_AFTER_S, which
 * must converge. Returns the recovery's warnings and the database's UIDs when the up was killed.
 */
async function killAndRecover(
    stack: Stack,
    kc: k8s.KubeConfig,
    namespace: string,
    status: "pending-install" | "pending-upgrade",
): Promise<{ warnings: string[]; uidsAtKill: Record<string, string>; killed: string[] }> {
    let ended = false;
    const interrupted = stack.up().then(
        () => undefined,
        (e: Error) => e,
    );
    void interrupted.then(() => (ended = true));
    const uidsAtKill = await until(`PostgreSQL's release is ${status} with its claim`, 180_000, async () => {
        if (ended) return {};
        const last = (await helmRevisions(kc, namespace, "pulse-postgresql")).pop();
        return last?.status === status ? databaseUids(kc, namespace) : undefined;
    });
    if (ended) throw new Error(`the up ended before the release was ${status}: ${(await interrupted)?.message ?? "it succeeded"}`);
    const pids = descendants(process.pid).filter((p) => commandOf(p).startsWith("pulumi"));
    const killed = pids.map(commandOf);
    for (const p of pids) process.kill(p, "SIGKILL");
    expect(await interrupted, "the killed up fails").to.be.instanceOf(Error);
    expect((await helmRevisions(kc, namespace, "pulse-postgresql")).pop()?.status, "the kill left the release pending").to.equal(status);

    await stack.cancel();
    const early = await stack.up().then(
        () => undefined,
        (e: Error) => e,
    );
    expect(early, "an up at once fails: the pending revision may still run").to.be.instanceOf(Error);
    if (RECOVERY_ON) expect(early!.message, early!.message).to.match(/pending-(install|upgrade) since .*younger than helm\.stuckAfterSeconds \(65 s\)/);
    else console.log(`      recovery off, the up at once: ${/^.*(another operation|cannot re-use a name).*$/m.exec(early!.message)?.[0]?.trim()}`);
    expect((await helmRevisions(kc, namespace, "pulse-postgresql")).pop()?.status, "the refused up left the pending revision alone").to.equal(status);
    // The kill may have left the other releases pending too (a first up installs all three at once): the newest counts.
    const lasts = await Promise.all(["pulse-postgresql", "pulse-emqx", "pulse-nats"].map(async (r) => (await helmRevisions(kc, namespace, r)).pop()));
    const newest = Math.max(...lasts.filter((r) => r?.status.startsWith("pending-")).map((r) => r!.created.getTime()));
    const wait = newest + (STUCK_AFTER_S + 1) * 1000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));

    const warnings: string[] = [];
    const result = await stack.up({
        onEvent: (e) => {
            const d = e.diagnosticEvent;
            if (d && d.severity === "warning" && d.message.includes("helm.recoverStuckReleases")) warnings.push(d.message.trim());
        },
    });
    expect(result.summary.result, "the up after the age converges").to.equal("succeeded");
    for (const w of warnings) console.log(`      recovery: ${w}`);
    return { warnings, uidsAtKill, killed };
}

/** Does a label selector select these labels? */

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const v = await probe().catch(() => undefined);
        if (v !== undefined) return v;
        if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
        await new Promise((r) => setTimeout(r, 100));
    }
}

describe("integration: Pulse on a simulated cluster (KWOK) with the real engine, provider, Helm and control plane", function () {
    this.timeout(20 * 60_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-it-"));
    const timings = new Timings();
    let cluster: KwokCluster;
    let kc: k8s.KubeConfig;
    let ingressController: IngressStatusPublisher;
    const env = () => ({ bin: BIN, kubeconfig: cluster.kubeconfig, dir: path.join(dir, "pulumi") });

    before(async function () {
        const started = Date.now();
        cluster = await createToolchainCluster({
            dir: path.join(dir, "cluster"),
            needs: NEEDED,
            nodes: 4,
            // Retained volumes are never reused: dev's, the peer's and prod's claims each bind their own.
            // Each stack's first-install recovery deploys it once more, into a namespace of its own.
            volumes: { count: 44, size: "64Gi" },
            slowStartMs: SLOW_START_MS,
        });
        timings.record("cluster", "create (kwokctl, 4 nodes)", Date.now() - started);
        kc = cluster.kc;
        // The program runs in this process (the Automation API's inline program): it reaches the cluster as the CLI
        // hands a program it starts the environment, here the stacks' KUBECONFIG (lib/releaseRecovery.ts, providerKubeconfig).
        process.env.KUBECONFIG = cluster.kubeconfig;
        ingressController = new IngressStatusPublisher(kc, INGRESS_CLASS);
        ingressController.start();
    });

    after(async function () {
        ingressController?.stop();
        const ratios = timings.ratios(RATIOS);
        const file = timings.write(path.join(PROJECT_DIR, "out", "integration-timings.json"), ratios);
        console.log(`\n${timings.table(ratios)}\n    timings written to ${path.relative(PROJECT_DIR, file)}`);
        if (this.currentTest?.state === "failed" && cluster) console.log(cluster.logs());
        await cluster?.stop();
        if (!process.env.PULSE_IT_KEEP) fs.rmSync(dir, { recursive: true, force: true });
        else console.log(`    kept ${dir}`);
    });

    it("the engine's floor: an empty program's preview and up on this machine", async () => {
        const empty = await createStack(env(), { stack: "empty", stackFile: "config: {}\n", program: () => Promise.resolve({}), projectName: "pulse-empty" });
        await timed(timings, "empty program", "preview", (onEvent) => empty.preview({ onEvent }));
        const [up] = await timed(timings, "empty program", "up", (onEvent) => empty.up({ onEvent }));
        expect(up.summary.result).to.equal("succeeded");
    });

    it(`the peer: the spec's chart with the ${PEER_STACK} stack's workloads and chart values installs with helm install --wait (timed), then is uninstalled`, async () => {
        const peerDir = path.join(dir, "peer");
        fs.mkdirSync(peerDir, { recursive: true });
        const stackFilePath = path.join(peerDir, `Pulumi.${PEER_STACK}.yaml`);
        fs.writeFileSync(stackFilePath, stackFileWithOverlay(PEER_STACK, "pulse-peer", SUITE_OVERLAYS[PEER_STACK]));
        const config = parseStackConfig(withPlaceholderSecrets(readStackFile(stackFilePath))).config;
        const chart = assemblePeerChart(peerDir, suiteCharts());
        const helm = { bin: path.join(BIN, "helm"), kubeconfig: cluster.kubeconfig, home: path.join(peerDir, "helm") };
        const namespace = "pulse-peer";
        const started = Date.now();
        await timings.time("peer chart", "helm install --wait", () => installPeer(helm, chart, namespace, peerValues(config)));
        expect(Date.now() - started, "Helm waited for the slow pods").to.be.at.least(SLOW_START_MS);
        // Every workload of the stack is in the peer (Helm's --wait held the install until each was ready).
        const deployed = (await kc.makeApiClient(k8s.AppsV1Api).listNamespacedDeployment({ namespace })).items.map((d) => `Deployment/${d.metadata!.name}`);
        expect(deployed.filter((d) => d !== "Deployment/pulse-nats-box").sort()).to.deep.equal(peerDeployments(config));
        await uninstallPeer(helm, namespace);
        await kc.makeApiClient(k8s.CoreV1Api).deleteNamespace({ name: namespace });
    });

    for (const stackName of STACKS) {
        describe(`${stackName} stack`, () => {
            const namespace = `pulse-${stackName}`;
            let stack: Stack;
            let deployments: string[];
            let firstUp: StepLog;
            /** `Kind/name` of each object to its resource's URN, after the first up. */
            const objectUrns = new Map<string, string>();
            const stackFile = () =>
                stackFileWithOverlay(stackName, namespace, mergeConfig(SUITE_OVERLAYS[stackName], RECOVERY_OVERLAY) as Record<string, unknown>);
            const config = () => YAML.parse(stackFile()).config as Record<string, Record<string, unknown>>;

            before(async () => {
                stack = await createStack(env(), { stack: stackName, stackFile: stackFile(), program: pulseProgram, secrets: SECRETS });
                const caddy = (config()["pulse:caddy"]?.enabled as boolean | undefined) ?? false;
                deployments = [...SERVICE_NAMES.map(serviceObjectName), "pulse-keycloak", ...(caddy ? ["pulse-caddy"] : [])].sort();
            });

            it("pulumi preview plans to create every resource and nothing else", async () => {
                const result = await timings.time(stackName, "preview (first)", () => stack.preview());
                expect(result.changeSummary.create ?? 0).to.be.greaterThan(40);
                expect(Object.keys(result.changeSummary).filter((op) => op !== "create")).to.deep.equal([]);
            });

            it("pulumi up installs the releases and deploys every workload, awaits on; every object exists", async () => {
                const [result, log] = await timed(timings, stackName, "up (first)", (onEvent) => stack.up({ onEvent }));
                firstUp = log;
                expect(result.summary.result).to.equal("succeeded");
                // The chain of resources that decided the total (tools/criticalPath.ts), over the state's dependencies.
                timings.recordCriticalPath(stackName, "up (first)", firstUp.steps, (await stack.exportStack()).deployment.resources, TRACES);
                const state = await k8sResources(stack);
                for (const r of state) objectUrns.set(`${r.outputs!.kind}/${r.outputs!.metadata.name}`, r.urn);
                const client = k8s.KubernetesObjectApi.makeApiClient(kc);
                for (const r of state) {
                    const { apiVersion, kind, metadata } = r.outputs!;
                    const live = await client.read({ apiVersion, kind, metadata: { name: metadata.name, namespace: metadata.namespace } });
                    expect(live.metadata?.uid, `${kind} ${metadata.name}`).to.equal(metadata.uid);
                }
                expect(
                    state
                        .filter((r) => r.type === DEPLOYMENT)
                        .map((r) => r.outputs!.metadata.name)
                        .sort(),
                ).to.deep.equal(deployments);
                expect(
                    state
                        .filter((r) => r.type === JOB)
                        .map((r) => r.outputs!.metadata.name.replace(/-[0-9a-f]{10}$/, ""))
                        .sort(),
                ).to.deep.equal(["pulse-db-setup", "pulse-migrator", "pulse-nats-init", "pulse-provision-api-init"]);
                // provision-api's startup (its own tables) ran once, in its Job, before any replica was created: replicas
                // starting together on a fresh database would race on them.
                const initDone = firstUp.index((st) => st.phase === "done" && nameOf(st.urn) === "pulse-services-provision-api-init-run");
                const apiCreated = firstUp.index((st) => st.phase === "pre" && nameOf(st.urn) === "pulse-services-provision-api-deployment");
                expect(initDone, "provision-api's init Job completed").to.be.greaterThan(-1);
                expect(initDone, "before provision-api's Deployment was created").to.be.lessThan(apiCreated);
                // Every workload ready, at its HPA's minimum where it has one (the HPA scales up after the rollout).
                const apps = kc.makeApiClient(k8s.AppsV1Api);
                const minimum = new Map(
                    (await kc.makeApiClient(k8s.AutoscalingV2Api).listNamespacedHorizontalPodAutoscaler({ namespace })).items.map((h) => [
                        h.spec!.scaleTargetRef.name,
                        h.spec!.minReplicas ?? 1,
                    ]),
                );
                const unready = async () => {
                    const workloads = [
                        ...(await apps.listNamespacedDeployment({ namespace })).items,
                        ...(await apps.listNamespacedStatefulSet({ namespace })).items,
                    ];
                    const behind = workloads.filter(
                        (w) => (w.status?.readyReplicas ?? 0) !== w.spec!.replicas || w.spec!.replicas < (minimum.get(w.metadata!.name!) ?? 0),
                    );
                    return behind.length === 0 ? [] : behind.map((w) => `${w.metadata!.name} ${w.status?.readyReplicas ?? 0}/${w.spec!.replicas}`);
                };
                await until("every Deployment and StatefulSet ready", 60_000, async () => ((await unready()).length === 0 ? true : undefined)).catch(
                    () => undefined,
                );
                expect(await unready()).to.deep.equal([]);
                expect(minimum.size, "the HPAs").to.equal(stackName === "prod" ? 1 : 0);
            });

            itFull("keeps every password encrypted in the state and the stack file and delivers it to its Secret; generates none", async () => {
                const exported = await stack.exportStack();
                const state = JSON.stringify(exported);
                const stackFile = fs.readFileSync(path.join(env().dir, `project-${stackName}`, `Pulumi.${stackName}.yaml`), "utf8");
                for (const [key, value] of Object.entries(SECRETS)) {
                    expect(state.includes(value), `${key} in plain text in the state`).to.equal(false);
                    expect(stackFile.includes(value), `${key} in plain text in the stack file`).to.equal(false);
                }
                const resources = exported.deployment.resources as StateResource[];
                expect(
                    resources.filter((r) => r.type.startsWith("random:")),
                    "every password is configured",
                ).to.deep.equal([]);
                const core = kc.makeApiClient(k8s.CoreV1Api);
                const secret = await core.readNamespacedSecret({ name: "pulse-db-secret", namespace });
                const value = (key: string) => Buffer.from(secret.data![key], "base64").toString();
                expect(value("password")).to.equal(SECRETS.dbPassword);
                expect(value("postgres-password")).to.equal(SECRETS.postgresPassword);
                const app = await core.readNamespacedSecret({ name: "pulse-app-secrets", namespace });
                const appValue = (key: string) => Buffer.from(app.data![key], "base64").toString();
                expect(appValue("ADMIN_KEY")).to.equal(SECRETS.adminKey);
                expect(appValue("STRIPE_WEBHOOK_SECRET")).to.equal(SECRETS.stripeWebhookSecret);
            });

            it("slow starts: the releases and Keycloak were awaited; no Service or Ingress began before the pods behind it were ready, and none waited for them again", async () => {
                const steps = firstUp.steps;
                const done = (type: string, name: string) => steps.find((s) => s.phase === "done" && s.type === type && s.urn.endsWith(name));
                const pre = (type: string, name: string) => steps.find((s) => s.phase === "pre" && s.type === type && s.urn.endsWith(name));
                // The simulated slow starts were in effect: Helm and the Deployment await waited for them.
                for (const r of steps.filter((s) => s.phase === "done" && s.type === RELEASE)) {
                    const began = steps.find((s) => s.phase === "pre" && s.urn === r.urn)!;
                    expect(r.at - began.at, `${nameOf(r.urn)} waited for its slow pods`).to.be.at.least(SLOW_START_MS);
                }
                const keycloak = steps.filter((s) => s.type === DEPLOYMENT && s.urn.includes("keycloak"));
                expect(keycloak[keycloak.length - 1].at - keycloak[0].at, "Keycloak's rollout waited for its slow pods").to.be.at.least(SLOW_START_MS);
                // Every workload Service begins after its Deployment is available (a workload's Service: not Keycloak's
                // discovery Service nor the blocked-path one, which select no ready pods on purpose).
                const services = steps.filter((s) => s.phase === "pre" && s.type === SERVICE && s.urn.endsWith("-service"));
                expect(services.length).to.be.at.least(4);
                for (const svc of services) {
                    const deployment = done(DEPLOYMENT, nameOf(svc.urn).replace(/-service$/, "-deployment"));
                    expect(deployment, `${nameOf(svc.urn)}'s Deployment`).not.to.equal(undefined);
                    expect(svc.at, `${nameOf(svc.urn)} starts after its Deployment is ready`).to.be.at.least(deployment!.at);
                }
                // No Service repeats the readiness its Deployment's (or the release's) await proved: the provider's endpoint
                // await would take at least its 10 s settle (lib/awaits.ts).
                for (const svc of steps.filter((s) => s.phase === "pre" && s.type === SERVICE)) {
                    expect(done(SERVICE, nameOf(svc.urn))!.at - svc.at, `${nameOf(svc.urn)} waited for nothing`).to.be.below(ENDPOINTS_SETTLE_MS);
                }
                const ingress = pre(INGRESS, "-ingress");
                expect(ingress, "the Ingress").not.to.equal(undefined);
                const stackFilePath = path.join(env().dir, `project-${stackName}`, `Pulumi.${stackName}.yaml`);
                const backends = [...new Set(routes(parseStackConfig(readStackFile(stackFilePath)).config).map((r) => r.target.service))];
                const serviceDone = (objectName: string) => {
                    const urn = objectUrns.get(`Service/${objectName}`);
                    return steps.find((s) => s.phase === "done" && s.urn === urn);
                };
                expect(backends.length, "routed backends").to.be.at.least(2);
                for (const b of backends) {
                    expect(serviceDone(b), `Service ${b}`).not.to.equal(undefined);
                    expect(ingress!.at, `the Ingress starts after Service ${b} is ready`).to.be.at.least(serviceDone(b)!.at);
                }
                // The Ingress waited for its controller's address, and only for that (no endpoint settle).
                expect(done(INGRESS, "-ingress")!.at - ingress!.at, "the Ingress's await").to.be.below(ENDPOINTS_SETTLE_MS);
                const live = await kc.makeApiClient(k8s.NetworkingV1Api).readNamespacedIngress({ name: "pulse", namespace });
                expect(live.status?.loadBalancer?.ingress ?? [], "the Ingress has its address").to.have.length.at.least(1);
            });

            itFull("the releases hold only inventoried objects; the program creates none of them; the chart's NetworkPolicy is off", async () => {
                for (const key of RELEASE_KEYS) {
                    const { releaseName: release, renders } = RELEASES[key];
                    const objects = await releaseObjects(kc, namespace, release);
                    expect(objects.length, release).to.be.greaterThan(3);
                    for (const o of objects) expect(renders, `${release} installed ${o}: add it to RELEASES.${key}.renders`).to.include(o);
                }
                expect(await releaseObjects(kc, namespace, "pulse-postgresql")).not.to.include("NetworkPolicy/pulse-postgresql");
                const programObjects = (await k8sResources(stack)).map((r) => r.outputs as { kind: string; metadata: { name: string; namespace?: string } });
                expect(collisions(namespace, programObjects)).to.deep.equal([]);
            });

            itFull(
                "Pod Security admits every pod, the charts' included (and refuses a non-compliant one); NetworkPolicies select every pod; Services and policies reach declared ports",
                async () => {
                    const core = kc.makeApiClient(k8s.CoreV1Api);
                    const apps = kc.makeApiClient(k8s.AppsV1Api);
                    const pods = (await core.listNamespacedPod({ namespace })).items;
                    const instances = new Set(pods.map((p) => p.metadata!.labels?.["app.kubernetes.io/instance"]));
                    expect([...instances].sort()).to.deep.equal(["pulse", "pulse-emqx", "pulse-nats", "pulse-postgresql"]);
                    const events = (await core.listNamespacedEvent({ namespace })).items;
                    expect(events.filter((e) => e.reason === "FailedCreate").map((e) => e.message)).to.deep.equal([]);
                    // Every pod is selected by a policy that allows something (not only by the default deny).
                    const policies = (await kc.makeApiClient(k8s.NetworkingV1Api).listNamespacedNetworkPolicy({ namespace })).items.filter(
                        (p) => p.metadata!.name !== "pulse-default-deny" && p.metadata!.name !== "pulse-allow-dns",
                    );
                    for (const p of pods) {
                        const labels = p.metadata!.labels ?? {};
                        expect(
                            policies.some((np) => selects(np.spec!.podSelector, labels)),
                            `${p.metadata!.name} is selected by a NetworkPolicy`,
                        ).to.equal(true);
                    }
                    // Every Service port and every port a policy opens is one the pods declare (the charts' included).
                    const services = (await core.listNamespacedService({ namespace })).items;
                    expect(portWiringProblems(pods, services, policies)).to.deep.equal([]);
                    // The control: no security context at all must be refused by the namespace's "restricted" enforcement.
                    await apps.createNamespacedDeployment({
                        namespace,
                        body: {
                            metadata: { name: "psa-control" },
                            spec: {
                                selector: { matchLabels: { app: "psa-control" } },
                                template: { metadata: { labels: { app: "psa-control" } }, spec: { containers: [{ name: "c", image: "busybox:1.37" }] } },
                            },
                        },
                    });
                    const refusal = await until("the control's ReplicaSet is refused", 30_000, async () => {
                        const rs = (await apps.listNamespacedReplicaSet({ namespace, labelSelector: "app=psa-control" })).items[0];
                        return rs?.status?.conditions?.find((c) => c.type === "ReplicaFailure")?.message;
                    });
                    expect(refusal).to.include("violates PodSecurity");
                    await apps.deleteNamespacedDeployment({ name: "psa-control", namespace });
                },
            );

            if ((config()["pulse:postgresql"]?.backup as { enabled?: boolean } | undefined)?.enabled) {
                itFull(
                    "a backup run from the chart's CronJob (as `kubectl create job --from` does) is admitted, reaches PostgreSQL by policy and completes",
                    async () => {
                        const batch = kc.makeApiClient(k8s.BatchV1Api);
                        const architecture = (config()["pulse:postgresql"]?.architecture as "replication" | undefined) ?? "standalone";
                        const cronJobName = POSTGRESQL_BACKUP.cronJob(architecture);
                        const cronJob = await batch.readNamespacedCronJob({ name: cronJobName, namespace });
                        const template = cronJob.spec!.jobTemplate;
                        // The pod runs the program's script over both databases with the configured retention.
                        const container = template.spec!.template.spec!.containers[0];
                        expect(container.command!.slice(0, 4)).to.deep.equal(["/bin/sh", "-c", DB_BACKUP_SH, "db-backup"]);
                        const labels = template.spec!.template.metadata!.labels!;
                        const policies = (await kc.makeApiClient(k8s.NetworkingV1Api).listNamespacedNetworkPolicy({ namespace })).items;
                        const egress = policies.filter((p) => p.spec!.policyTypes?.includes("Egress") && selects(p.spec!.podSelector, labels));
                        expect(
                            egress.some((p) => (p.spec!.egress ?? []).some((e) => (e.ports ?? []).some((port) => port.port === POSTGRESQL_PORT))),
                            "a policy lets the backup pods reach PostgreSQL",
                        ).to.equal(true);

                        const name = `${cronJobName}-manual`;
                        await batch.createNamespacedJob({
                            namespace,
                            body: {
                                metadata: {
                                    name,
                                    annotations: { "cronjob.kubernetes.io/instantiate": "manual" },
                                    labels: template.metadata?.labels,
                                    ownerReferences: [
                                        {
                                            apiVersion: "batch/v1",
                                            kind: "CronJob",
                                            name: cronJob.metadata!.name!,
                                            uid: cronJob.metadata!.uid!,
                                            controller: true,
                                        },
                                    ],
                                },
                                spec: template.spec!,
                            },
                        });
                        const done = await until(`Job ${name} completes`, 120_000, async () => {
                            const job = await batch.readNamespacedJob({ name, namespace });
                            return job.status?.succeeded === 1 ? "succeeded" : (job.status?.failed ?? 0) > 0 ? "failed" : undefined;
                        });
                        expect(done).to.equal("succeeded");
                        // The program's claim (Pending until this first backup: WaitForFirstConsumer, which no await held up).
                        const claim = await kc.makeApiClient(k8s.CoreV1Api).readNamespacedPersistentVolumeClaim({ name: BACKUP_CLAIM, namespace });
                        expect(claim.status?.phase, "the backup volume is bound").to.equal("Bound");
                        await batch.deleteNamespacedJob({ name, namespace, propagationPolicy: "Background" });
                    },
                );
            }

            it("a second pulumi up and a preview change nothing", async () => {
                const [up, upLog] = await timed(timings, stackName, "up (no changes)", (onEvent) => stack.up({ onEvent }));
                expect(Object.keys(up.summary.resourceChanges ?? {})).to.deep.equal(["same"]);
                const [preview, previewLog] = await timed(timings, stackName, "preview (no changes)", (onEvent) => stack.preview({ onEvent }));
                expect(Object.keys(preview.changeSummary)).to.deep.equal(["same"]);
                // Where a no-op spends its time, step by step.
                const graph = (await stack.exportStack()).deployment.resources;
                timings.recordCriticalPath(stackName, "up (no changes)", upLog.steps, graph, TRACES);
                timings.recordCriticalPath(stackName, "preview (no changes)", previewLog.steps, graph, TRACES);
            });

            it("a program with as many resources and nothing else (the engine's floor at this size): its no-op up and preview, timed", async () => {
                const count = (await stack.exportStack()).deployment.resources.filter(
                    (r: StateResource) => r.custom && !r.type.startsWith("pulumi:providers:"),
                ).length;
                const floorNamespace = `${namespace}-floor`;
                const floor = await createStack(env(), {
                    stack: `${stackName}-floor`,
                    stackFile: "config: {}\n",
                    program: sameSizeProgram(count, floorNamespace),
                    projectName: "pulse-floor",
                });
                expect((await floor.up()).summary.resourceChanges?.create, "the floor's resources (its stack's too)").to.equal(count + 1);
                const [up] = await timed(timings, SAME_SIZE(stackName), "up (no changes)", (onEvent) => floor.up({ onEvent }));
                expect(Object.keys(up.summary.resourceChanges ?? {})).to.deep.equal(["same"]);
                await timed(timings, SAME_SIZE(stackName), "preview (no changes)", (onEvent) => floor.preview({ onEvent }));
                await floor.destroy();
            });

            itFull(
                "a stack the previous layout deployed (URNs as in test/fixtures/urns.prod.previous.txt) previews no create, replace or delete, and up moves it to today's URNs keeping every object",
                async () => {
                    const exported = await stack.exportStack();
                    const resources = exported.deployment.resources as StateResource[];
                    const renamed = renamedSince(resources, previousUrns(fs.readFileSync(PREVIOUS_LAYOUT_URNS, "utf8"), stackName));
                    expect(renamed.length, "resources renamed since the previous layout").to.be.greaterThan(0);
                    const uid = (rs: StateResource[], urn: string) => rs.find((r) => r.urn === urn)?.outputs?.metadata?.uid as string | undefined;
                    const uids = renamed.map(({ current }) => uid(resources, current));
                    await stack.importStack(withPreviousUrns(exported, renamed));
                    const preview = await stack.preview();
                    expect(Object.keys(preview.changeSummary), "the first preview after the upgrade changes nothing").to.deep.equal(["same"]);
                    const up = await stack.up();
                    expect(Object.keys(up.summary.resourceChanges ?? {})).to.deep.equal(["same"]);
                    const after = (await stack.exportStack()).deployment.resources as StateResource[];
                    expect(
                        renamed.map(({ current }) => uid(after, current)),
                        "each renamed resource keeps its object",
                    ).to.deep.equal(uids);
                    expect(
                        after.filter((r) => renamed.some(({ previous }) => previous === r.urn)).map((r) => r.urn),
                        "no previous URN is left",
                    ).to.deep.equal([]);
                },
            );

            itFull("an appVersion bump replaces the migrator before any Deployment rolls, and no Deployment loses a ready replica", async () => {
                const oldJobs = (await k8sResources(stack)).filter((r) => r.type === JOB).map((r) => r.outputs!.metadata.name);
                await stack.setConfig("pulse:appVersion", { value: "1.0.1" });
                const watch = new ReadinessWatch(kc, namespace);
                await watch.start();
                const log = new StepLog();
                const result = await timings.time(stackName, "up (appVersion upgrade)", () => stack.up({ onEvent: log.onEvent }));
                watch.stop();
                expect(result.summary.result).to.equal("succeeded");

                const replaced = log.index((s) => s.phase === "done" && s.type === JOB && s.urn.includes("migrator") && s.op === "create-replacement");
                const firstUpdate = log.index((s) => s.phase === "pre" && s.type === DEPLOYMENT && s.op === "update");
                expect(replaced, "the migrator Job is replaced").to.be.greaterThan(-1);
                expect(firstUpdate, "the Deployments roll").to.be.greaterThan(-1);
                expect(replaced, "the migrator finished before the first Deployment update began").to.be.lessThan(firstUpdate);

                expect(watch.errors).to.deep.equal([]);
                expect([...watch.lowest.keys()].sort()).to.include.members(deployments);
                // Services that must never run twice are recreated (config/services.ts): they alone may dip.
                const recreated = SERVICE_NAMES.filter((s) => contractOf(s).singleton?.strategy === "Recreate").map(serviceObjectName);
                for (const [name, low] of watch.lowest) {
                    if (!recreated.includes(name)) expect(low.shortfall, `${name} at its lowest (${low.at})`).to.be.at.least(0);
                }

                const jobs = (await kc.makeApiClient(k8s.BatchV1Api).listNamespacedJob({ namespace })).items.map((j) => j.metadata!.name!);
                for (const old of oldJobs.filter((j) => j.startsWith("pulse-migrator"))) expect(jobs, "the old migrator Job is deleted").not.to.include(old);
                const images = (await kc.makeApiClient(k8s.AppsV1Api).listNamespacedDeployment({ namespace })).items
                    .filter((d) => d.metadata!.name !== "pulse-keycloak" && d.metadata!.name !== "pulse-caddy")
                    .map((d) => d.spec!.template.spec!.containers[0].image!);
                for (const image of images) expect(image).to.match(/:1\.0\.1$/);
            });

            itFull(
                "a pulse:dbPassword rotation re-runs the setup Job (ALTER ROLE) before the Deployments that log in with it roll; the rest stay",
                async () => {
                    const apps = kc.makeApiClient(k8s.AppsV1Api);
                    const generations = async () =>
                        Object.fromEntries((await apps.listNamespacedDeployment({ namespace })).items.map((d) => [d.metadata!.name!, d.metadata!.generation!]));
                    const before = await generations();
                    const rotated = `${SECRETS.dbPassword}-rotated`;
                    await stack.setConfig("pulse:dbPassword", { value: rotated, secret: true });
                    const log = new StepLog();
                    const result = await timings.time(stackName, "up (database password rotation)", () => stack.up({ onEvent: log.onEvent }));
                    expect(result.summary.result).to.equal("succeeded");

                    const isSetup = (s: { type: string; urn: string }) => s.type === JOB && nameOf(s.urn) === "pulse-database-setup-run";
                    const setupDone = log.index((s) => isSetup(s) && s.phase === "done" && s.op.includes("replace"));
                    const firstUpdate = log.index((s) => s.phase === "pre" && s.type === DEPLOYMENT && s.op === "update");
                    expect(setupDone, "the setup Job is re-run (replaced)").to.be.greaterThan(-1);
                    expect(firstUpdate, "the Deployments roll").to.be.greaterThan(-1);
                    expect(setupDone, "the setup Job finished before the first Deployment update began").to.be.lessThan(firstUpdate);
                    const replaced = log.steps.filter((s) => (s.type === DEPLOYMENT || s.type === "kubernetes:core/v1:Secret") && s.op.includes("replace"));
                    expect(
                        replaced.map((s) => nameOf(s.urn)),
                        "the Secret and the Deployments are updated in place, never recreated",
                    ).to.deep.equal([]);

                    const secret = await kc.makeApiClient(k8s.CoreV1Api).readNamespacedSecret({ name: "pulse-db-secret", namespace });
                    expect(Buffer.from(secret.data!.password, "base64").toString()).to.equal(rotated);
                    const after = await generations();
                    const connecting = SERVICE_NAMES.filter(connectsToDatabase).map(serviceObjectName);
                    for (const name of Object.keys(after)) {
                        if (connecting.includes(name)) expect(after[name], `${name} rolled`).to.be.greaterThan(before[name]);
                        else expect(after[name], `${name} unchanged`).to.equal(before[name]);
                    }
                },
            );

            itFull("a failing migration fails pulumi up with the Job's failure, leaves every Deployment as it was, and the next good up succeeds", async () => {
                const apps = kc.makeApiClient(k8s.AppsV1Api);
                const snapshot = async () =>
                    Object.fromEntries(
                        (await apps.listNamespacedDeployment({ namespace })).items.map((d) => [
                            d.metadata!.name!,
                            {
                                generation: d.metadata!.generation,
                                image: d.spec!.template.spec!.containers[0].image,
                                ready: d.status?.readyReplicas ?? 0,
                                replicas: d.spec!.replicas,
                            },
                        ]),
                    );
                const before = await snapshot();
                await stack.setConfig("pulse:appVersion", { value: "1.0.2" });
                await stack.setConfig("pulse:migrator.image.tag", { value: `1.0.2${FAILING_TAG_SUFFIX}` }, true);
                const log = new StepLog();
                const failure = await stack.up({ onEvent: log.onEvent }).then(
                    () => undefined,
                    (e: Error) => e,
                );
                expect(failure, "pulumi up fails").to.be.instanceOf(Error);
                expect(failure!.message).to.match(/BackoffLimitExceeded|backoff limit/i);
                expect(
                    log.steps.filter((s) => s.type === DEPLOYMENT && s.op === "update"),
                    "no Deployment update began",
                ).to.deep.equal([]);
                const after = await snapshot();
                expect(after).to.deep.equal(before);
                for (const [name, d] of Object.entries(after)) expect(d.ready, `${name} keeps serving`).to.equal(d.replicas);

                await stack.removeConfig("pulse:migrator.image.tag", true);
                const fixed = await stack.up();
                expect(fixed.summary.result).to.equal("succeeded");
                for (const d of (await apps.listNamespacedDeployment({ namespace })).items.filter(
                    (x) => x.metadata!.labels!["app.kubernetes.io/version"] !== undefined,
                )) {
                    if (d.metadata!.name === "pulse-keycloak" || d.metadata!.name === "pulse-caddy") continue;
                    expect(d.spec!.template.spec!.containers[0].image, d.metadata!.name).to.match(/:1\.0\.2$/);
                }
                const migrators = (await kc.makeApiClient(k8s.BatchV1Api).listNamespacedJob({ namespace })).items.filter((j) =>
                    j.metadata!.name!.startsWith("pulse-migrator"),
                );
                expect(
                    migrators.map((j) => j.spec!.template.spec!.containers[0].image),
                    "one migrator Job: the good one",
                ).to.have.length(1);
            });

            itFull(
                "stuck release: an up killed while PostgreSQL's release upgrades is recovered by the next up after the age, the database untouched",
                async () => {
                    // The check reads this cluster's kubeconfig (KUBECONFIG) itself, not through the client library's fallback.
                    expect((await clusterAccess({})).server.protocol, "the check's own access to the cluster").to.equal("https:");
                    const core = kc.makeApiClient(k8s.CoreV1Api);
                    const before = await databaseUids(kc, namespace);
                    const last = (await helmRevisions(kc, namespace, "pulse-postgresql")).pop()!;
                    expect(last.status).to.equal("deployed");
                    // A values change that rolls the database's pod, which starts slowly: Helm's upgrade waits for it.
                    await stack.setConfig("pulse:postgresql.resources.requests.cpu", { value: "150m" }, true);
                    const { warnings, uidsAtKill, killed } = await killAndRecover(stack, kc, namespace, "pending-upgrade");
                    expect(killed, "the CLI was killed").to.include("pulumi");
                    expect(uidsAtKill).to.deep.equal(before);
                    expect(warnings, "the recovery says what it did").to.have.length(1);
                    expect(warnings[0]).to.match(
                        new RegExp(
                            `${namespace}/pulse-postgresql: revision ${last.version + 1} is pending-upgrade since .*marked it failed .*from revision ${last.version}, the last deployed`,
                        ),
                    );
                    const revisions = await helmRevisions(kc, namespace, "pulse-postgresql");
                    expect(revisions.slice(-2).map((r) => [r.version, r.status])).to.deep.equal([
                        [last.version + 1, "failed"],
                        [last.version + 2, "deployed"],
                    ]);
                    expect(await databaseUids(kc, namespace), "the database's claim, StatefulSet and Secret are the same objects").to.deep.equal(before);
                    const claim = await core.readNamespacedPersistentVolumeClaim({ name: POSTGRESQL_CLAIM, namespace });
                    expect(claim.status?.phase).to.equal("Bound");
                    const sts = await kc.makeApiClient(k8s.AppsV1Api).readNamespacedStatefulSet({ name: "pulse-postgresql", namespace });
                    expect(sts.spec!.template.spec!.containers[0].resources?.requests?.cpu, "the upgrade applied the change").to.equal("150m");
                },
            );

            itFull(
                "stuck release: an up killed while PostgreSQL's release installs (first up) is recovered by the next up after the age, its claim kept",
                async () => {
                    // Its releases' pods start slowly (kwok.ts, SLOWER_NAMESPACE_SUFFIX): all three are in flight at the kill.
                    const installNamespace = `${namespace}${SLOWER_NAMESPACE_SUFFIX}`;
                    const fresh = await createStack(env(), {
                        stack: `${stackName}-install`,
                        stackFile: stackFileWithOverlay(
                            stackName,
                            installNamespace,
                            mergeConfig(SUITE_OVERLAYS[stackName], RECOVERY_OVERLAY) as Record<string, unknown>,
                        ),
                        program: pulseProgram,
                        secrets: SECRETS,
                    });
                    const { warnings, uidsAtKill, killed } = await killAndRecover(fresh, kc, installNamespace, "pending-install");
                    expect(killed, "the CLI was killed").to.include("pulumi");
                    expect(
                        warnings.filter((w) => w.includes("/pulse-postgresql:")),
                        "the recovery says what it did",
                    ).to.have.length(1);
                    expect(warnings.join("\n")).to.match(
                        new RegExp(
                            `${installNamespace}/pulse-postgresql: revision 1 is pending-install since .*removed its pending record sh\\.helm\\.release\\.v1\\.pulse-postgresql\\.v1`,
                        ),
                    );
                    for (const release of ["pulse-postgresql", "pulse-emqx", "pulse-nats"]) {
                        const revisions = await helmRevisions(kc, installNamespace, release);
                        expect(
                            revisions.map((r) => [r.version, r.status]),
                            release,
                        ).to.deep.equal([[1, "deployed"]]);
                    }
                    // The interrupted install's objects were adopted, none deleted: the claim and the database are the same.
                    expect(await databaseUids(kc, installNamespace)).to.deep.equal(uidsAtKill);
                    const again = await fresh.up();
                    expect(Object.keys(again.summary.resourceChanges ?? {})).to.deep.equal(["same"]);
                },
            );

            itFull("an up killed mid-deploy is followed by an up that converges, with nothing duplicated", async () => {
                // A long migration (its Job completes after a while), so the kill lands while Pulumi waits for the Job.
                await stack.setConfig("pulse:appVersion", { value: "1.0.3" });
                await stack.setConfig("pulse:migrator.image.tag", { value: `1.0.3${SLOW_TAG_SUFFIX}` }, true);
                const batch = kc.makeApiClient(k8s.BatchV1Api);
                const known = new Set((await batch.listNamespacedJob({ namespace })).items.map((j) => j.metadata!.name!));
                const running = async () => {
                    const job = (await batch.listNamespacedJob({ namespace })).items.find((j) => !known.has(j.metadata!.name!));
                    return job && (job.status?.active ?? 0) > 0 ? job : undefined;
                };
                let killed: string[] = [];
                let killing: Promise<k8s.V1Job> | undefined;
                const log = new StepLog();
                const interrupted = stack.up({
                    onEvent: (e) => {
                        log.onEvent(e);
                        const s = log.steps[log.steps.length - 1];
                        if (killing || !s || s.phase !== "pre" || s.type !== JOB || !s.urn.includes("migrator")) return;
                        // The new migrator Job is being created: once it runs, kill the CLI and its plugins.
                        killing = until("the new migrator Job runs", 30_000, running).then((job) => {
                            const pids = descendants(process.pid).filter((p) => commandOf(p).startsWith("pulumi"));
                            killed = pids.map(commandOf);
                            for (const p of pids) process.kill(p, "SIGKILL");
                            return job;
                        });
                    },
                });
                const failure = await interrupted.then(
                    () => undefined,
                    (e: Error) => e,
                );
                expect(killing, "the new migrator Job was created").not.to.equal(undefined);
                const runningJob = await killing!;
                expect(failure, "the killed up fails").to.be.instanceOf(Error);
                expect(killed, "the CLI was killed").to.include("pulumi");

                // The kill left operations in flight, the new Job's creation among them.
                const pending = async () =>
                    (((await stack.exportStack()).deployment.pending_operations ?? []) as { type: string; resource: { urn: string } }[]).map(
                        (op) => `${op.type} ${nameOf(op.resource.urn)}`,
                    );
                const migrator = log.steps.find((s) => s.phase === "pre" && s.type === JOB && s.urn.includes("migrator"))!;
                expect(await pending()).to.include(`creating ${nameOf(migrator.urn)}`);

                // What a user does next (docs/operations.md): release the dead run's lock, drop the pending creates from
                // the state (the objects stay in the cluster), and run up again, which adopts them by name.
                await stack.cancel();
                await stack.refresh({ clearPendingCreates: true });
                expect(await pending()).to.deep.equal([]);
                const result = await stack.up();
                expect(result.summary.result).to.equal("succeeded");
                const state = await k8sResources(stack);
                expect(await liveProgramObjects(kc, namespace), "live objects are exactly the state's").to.deep.equal(stateObjects(state));
                // The Job that ran when the CLI died was adopted and awaited, not deleted and started again.
                const adopted = await batch.readNamespacedJob({ name: runningJob.metadata!.name!, namespace });
                expect(adopted.metadata!.uid, "the same Job").to.equal(runningJob.metadata!.uid);
                expect(adopted.status?.succeeded).to.equal(1);
                const second = await stack.up();
                expect(Object.keys(second.summary.resourceChanges ?? {})).to.deep.equal(["same"]);
            });

            if (stackName === "dev") {
                itFull("pulumi destroy removes everything: no data is protected in dev", async () => {
                    const result = await stack.destroy();
                    expect(result.summary.result).to.equal("succeeded");
                    const left = ((await stack.exportStack()).deployment.resources ?? []) as StateResource[];
                    expect(left.filter((r) => r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("pulumi:providers:"))).to.deep.equal([]);
                    const core = kc.makeApiClient(k8s.CoreV1Api);
                    const gone = await until(`namespace ${namespace} is deleted`, 60_000, async () =>
                        core.readNamespace({ name: namespace }).then(
                            () => undefined,
                            (e: { code?: number }) => (e.code === 404 ? true : undefined),
                        ),
                    );
                    expect(gone).to.equal(true);
                });
            } else {
                itFull("pulumi destroy is refused while the database is protected, and the database stays", async () => {
                    const failure = await stack.destroy().then(
                        () => undefined,
                        (e: Error) => e,
                    );
                    expect(failure, "destroy fails").to.be.instanceOf(Error);
                    expect(failure!.message).to.match(/protected/);
                    const state = ((await stack.exportStack()).deployment.resources ?? []) as StateResource[];
                    const kept = state.filter((r) => r.protect).map((r) => r.type);
                    expect(kept).to.include.members([RELEASE, "kubernetes:core/v1:Namespace", "kubernetes:core/v1:Secret"]);
                    const apps = kc.makeApiClient(k8s.AppsV1Api);
                    const db = await apps.readNamespacedStatefulSet({ name: "pulse-postgresql", namespace });
                    expect(db.status?.readyReplicas).to.equal(1);
                    const claims = (await kc.makeApiClient(k8s.CoreV1Api).listNamespacedPersistentVolumeClaim({ namespace })).items;
                    expect(claims.map((c) => c.metadata!.name)).to.include("data-pulse-postgresql-0");
                });
            }
        });
    }

    it("the simulated ingress controller published every address without error", () => {
        expect(ingressController.errors).to.deep.equal([]);
    });
});
