/**
 * Integration: the real Pulumi engine deploys Pulse into a real Kubernetes API server (npm run test:integration).
 * One scenario, in order: preview, up, every object present, a second up changes nothing, an upgrade replaces the
 * migrator Job before any Deployment moves, Pod Security admits every pod, destroy removes everything.
 *
 * By default it starts its own control plane from .tools/toolchain/bin (scripts/toolchain.sh). With
 * PULSE_IT_KUBECONFIG it uses that cluster instead (kind, k3d) and the `pulumi` on PATH (README, Integration test).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as k8s from "@kubernetes/client-node";
import { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { expect } from "chai";
import { SERVICE_NAMES } from "../../config";
import { SERVICE_TRAITS } from "../../components/pulseServices";
import { PROJECT_DIR } from "../../lib/stackfile";
import { Cluster, startCluster } from "./cluster";
import { createStack, STACK, Step, stepOf } from "./stack";

const NAMESPACE = "pulse-it";
const TOOLCHAIN_BIN = path.join(PROJECT_DIR, ".tools", "toolchain", "bin");
const JOB = "kubernetes:batch/v1:Job";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SECRETS = { dbPassword: "it-db-password-0f3c", keycloakAdminPassword: "it-kc-password-9a1e" };

/** Marks every Job in the namespace complete, as the job controller would once its pod succeeded (none runs here). */
class JobCompleter {
    private timer?: NodeJS.Timeout;
    readonly completed: string[] = [];
    readonly errors: string[] = [];

    constructor(private readonly batch: k8s.BatchV1Api) {}

    start(): void {
        const tick = async () => {
            try {
                const jobs = await this.batch.listNamespacedJob({ namespace: NAMESPACE });
                for (const job of jobs.items) {
                    if (job.status?.conditions?.some((c) => c.type === "Complete" && c.status === "True")) continue;
                    const now = new Date();
                    const condition = (type: string, reason: string) => ({
                        type,
                        status: "True",
                        reason,
                        message: "completed by the integration test (no kubelet)",
                        lastProbeTime: now,
                        lastTransitionTime: now,
                    });
                    job.status = {
                        ...job.status,
                        startTime: job.status?.startTime ?? now,
                        completionTime: now,
                        succeeded: 1,
                        active: 0,
                        ready: 0,
                        terminating: 0,
                        conditions: [condition("SuccessCriteriaMet", "CompletionsReached"), condition("Complete", "CompletionsReached")],
                    };
                    await this.batch.replaceNamespacedJobStatus({ name: job.metadata!.name!, namespace: NAMESPACE, body: job });
                    this.completed.push(job.metadata!.name!);
                }
            } catch (e) {
                const msg = String((e as { body?: unknown }).body ?? e);
                if (!msg.includes("NotFound") && !msg.includes("not found")) this.errors.push(msg);
            }
            this.timer = setTimeout(tick, 250);
        };
        void tick();
    }

    stop(): void {
        if (this.timer) clearTimeout(this.timer);
    }
}

function toolchainMissing(): string | undefined {
    if (process.env.PULSE_IT_KUBECONFIG) return undefined;
    const need = ["pulumi", "pulumi-resource-kubernetes", "etcd", "kube-apiserver", "kube-controller-manager"];
    const missing = need.filter((b) => !fs.existsSync(path.join(TOOLCHAIN_BIN, b)));
    return missing.length ? `missing ${missing.join(", ")} in ${TOOLCHAIN_BIN}: run scripts/toolchain.sh` : undefined;
}

describe("integration: Pulse on a real API server with the real Pulumi engine", function () {
    this.timeout(10 * 60_000);
    let dir: string;
    let cluster: Cluster | undefined;
    let stack: Stack;
    let kc: k8s.KubeConfig;
    let completer: JobCompleter;
    let firstUpState: { type: string; outputs?: Record<string, any> }[] = [];

    before(async function () {
        const missing = toolchainMissing();
        if (missing) throw new Error(missing);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-it-"));
        let kubeconfig = process.env.PULSE_IT_KUBECONFIG;
        if (!kubeconfig) {
            cluster = await startCluster(TOOLCHAIN_BIN, path.join(dir, "cluster"));
            kubeconfig = cluster.kubeconfig;
        }
        kc = new k8s.KubeConfig();
        kc.loadFromFile(kubeconfig);
        completer = new JobCompleter(kc.makeApiClient(k8s.BatchV1Api));
        completer.start();
        const bin = fs.existsSync(path.join(TOOLCHAIN_BIN, "pulumi")) ? TOOLCHAIN_BIN : undefined;
        stack = await createStack({ bin, kubeconfig, dir }, SECRETS);
    });

    after(async function () {
        completer?.stop();
        await cluster?.stop();
        if (dir && !process.env.PULSE_IT_KEEP) fs.rmSync(dir, { recursive: true, force: true });
        else if (dir) console.log(`    kept ${dir}`);
    });

    it("pulumi preview plans to create every resource", async () => {
        const result = await stack.preview();
        expect(result.changeSummary.create ?? 0).to.be.greaterThan(40);
        expect(Object.keys(result.changeSummary).filter((op) => op !== "create")).to.deep.equal([]);
    });

    it("pulumi up creates them, and every Kubernetes object in the state exists in the API server", async () => {
        const result = await stack.up();
        expect(result.summary.result).to.equal("succeeded");
        const state = (await stack.exportStack()).deployment.resources as { type: string; outputs?: Record<string, any> }[];
        firstUpState = state.filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:providers:"));
        expect(state.filter((r) => r.type.startsWith("random:")), "every password is configured").to.deep.equal([]);

        const client = k8s.KubernetesObjectApi.makeApiClient(kc);
        for (const r of firstUpState) {
            const { apiVersion, kind, metadata } = r.outputs!;
            const live = await client.read({ apiVersion, kind, metadata: { name: metadata.name, namespace: metadata.namespace } });
            expect(live.metadata?.uid, `${kind} ${metadata.name}`).to.equal(metadata.uid);
        }
        const deployments = firstUpState.filter((r) => r.type === DEPLOYMENT).map((r) => r.outputs!.metadata.name).sort();
        const expected = [...SERVICE_NAMES.map((s) => `pulse-${SERVICE_TRAITS[s].component}`), "pulse-keycloak", "pulse-caddy"].sort();
        expect(deployments).to.deep.equal(expected);
        expect(firstUpState.filter((r) => r.type === JOB)).to.have.length(2);
        expect(completer.errors).to.deep.equal([]);
    });

    it("keeps the passwords encrypted in the state and the stack file, and delivers them in the Secret", async () => {
        const state = JSON.stringify(await stack.exportStack());
        const stackFile = fs.readFileSync(path.join(dir, "project", `Pulumi.${STACK}.yaml`), "utf8");
        for (const value of Object.values(SECRETS)) {
            expect(state.includes(value), "state holds a password in plain text").to.equal(false);
            expect(stackFile.includes(value), "stack file holds a password in plain text").to.equal(false);
        }
        const core = kc.makeApiClient(k8s.CoreV1Api);
        const secret = await core.readNamespacedSecret({ name: "pulse-db-secret", namespace: NAMESPACE });
        expect(Buffer.from(secret.data!.password, "base64").toString()).to.equal(SECRETS.dbPassword);
    });

    it("a second pulumi up changes nothing", async () => {
        const result = await stack.up();
        expect(Object.keys(result.summary.resourceChanges ?? {})).to.deep.equal(["same"]);
    });

    it("an upgrade replaces the migrator Job and finishes it before any Deployment update starts", async () => {
        const oldJob = firstUpState.find((r) => r.type === JOB && r.outputs!.metadata.name.startsWith("pulse-migrator"))!;
        await stack.setConfig("pulse:appVersion", { value: "1.0.1" });
        const events: Step[] = [];
        const result = await stack.up({ onEvent: (e: EngineEvent) => void (stepOf(e) && events.push(stepOf(e)!)) });
        expect(result.summary.result).to.equal("succeeded");

        const migrator = events.filter((s) => s.type === JOB && s.urn.includes("migrator"));
        const replaced = migrator.findIndex((s) => s.phase === "done" && s.op === "create-replacement");
        const firstDeploymentUpdate = events.findIndex((s) => s.type === DEPLOYMENT && s.phase === "pre" && s.op === "update");
        expect(replaced, "the migrator Job is replaced").to.be.greaterThan(-1);
        expect(firstDeploymentUpdate, "the Deployments roll to the new version").to.be.greaterThan(-1);
        expect(events.indexOf(migrator[replaced]), "engine event of the finished replacement vs. the first Deployment update").to.be.lessThan(
            firstDeploymentUpdate,
        );

        const batch = kc.makeApiClient(k8s.BatchV1Api);
        const jobs = (await batch.listNamespacedJob({ namespace: NAMESPACE })).items.filter((j) => j.metadata!.name!.startsWith("pulse-migrator"));
        expect(jobs.map((j) => j.metadata!.name), "the old Job is deleted after the replacement").not.to.include(oldJob.outputs!.metadata.name);
        expect(jobs).to.have.length(1);
        expect(jobs[0].spec!.template.spec!.containers[0].image).to.match(/:1\.0\.1$/);
    });

    it("Pod Security admits every pod (and rejects a non-compliant one, so the check can fail)", async function () {
        if (process.env.PULSE_IT_KUBECONFIG) this.skip(); // real kubelets: pods run; the check below assumes none do
        const apps = kc.makeApiClient(k8s.AppsV1Api);
        // A control: a pod with no security context (may run as root, escalate, keep capabilities) must be refused by
        // the namespace's "restricted" enforcement.
        await apps.createNamespacedDeployment({
            namespace: NAMESPACE,
            body: {
                metadata: { name: "psa-control" },
                spec: {
                    selector: { matchLabels: { app: "psa-control" } },
                    template: {
                        metadata: { labels: { app: "psa-control" } },
                        spec: { containers: [{ name: "c", image: "busybox:1.37" }] },
                    },
                },
            },
        });
        const failure = (rs: k8s.V1ReplicaSet) => rs.status?.conditions?.find((c) => c.type === "ReplicaFailure")?.message ?? "";
        const settled = (rs: k8s.V1ReplicaSet) => failure(rs) !== "" || (rs.status?.replicas ?? 0) >= (rs.spec?.replicas ?? 0);
        const deadline = Date.now() + 60_000;
        let sets: k8s.V1ReplicaSet[] = [];
        for (;;) {
            sets = (await apps.listNamespacedReplicaSet({ namespace: NAMESPACE })).items.filter((rs) => (rs.spec?.replicas ?? 0) > 0);
            const control = sets.find((rs) => rs.metadata!.name!.startsWith("psa-control"));
            if (control && failure(control) !== "" && sets.every(settled)) break;
            if (Date.now() > deadline) break;
            await new Promise((r) => setTimeout(r, 500));
        }
        const control = sets.find((rs) => rs.metadata!.name!.startsWith("psa-control"));
        expect(failure(control!), "the control Deployment is refused").to.include("violates PodSecurity");
        await apps.deleteNamespacedDeployment({ name: "psa-control", namespace: NAMESPACE });

        // Old and new ReplicaSets of the upgrade: no pod becomes ready here, so the rolling update keeps both.
        const pulse = sets.filter((rs) => rs !== control);
        const owners = new Set(pulse.map((rs) => rs.metadata!.ownerReferences?.find((o) => o.kind === "Deployment")?.name));
        const deployments = firstUpState.filter((r) => r.type === DEPLOYMENT).map((r) => r.outputs!.metadata.name);
        expect([...owners].sort(), "every Deployment has ReplicaSets").to.deep.equal([...deployments].sort());
        for (const rs of pulse) {
            expect(failure(rs), rs.metadata!.name).to.equal("");
            expect(rs.status?.replicas, `${rs.metadata!.name}: pods created`).to.equal(rs.spec?.replicas);
        }
    });

    it("pulumi destroy removes everything (this stack keeps no in-cluster data, so nothing is protected)", async () => {
        const state = (await stack.exportStack()).deployment.resources as { protect?: boolean; retainOnDelete?: boolean }[];
        expect(state.filter((r) => r.protect || r.retainOnDelete)).to.deep.equal([]);
        const result = await stack.destroy();
        expect(result.summary.result).to.equal("succeeded");
        const after = (await stack.exportStack()).deployment.resources ?? [];
        expect(after.filter((r: { type: string }) => r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("pulumi:providers:"))).to.deep.equal([]);

        const core = kc.makeApiClient(k8s.CoreV1Api);
        const deadline = Date.now() + 60_000;
        let gone = false;
        while (!gone && Date.now() < deadline) {
            gone = await core.readNamespace({ name: NAMESPACE }).then(
                () => false,
                (e: { code?: number }) => e.code === 404,
            );
            if (!gone) await new Promise((r) => setTimeout(r, 500));
        }
        expect(gone, `namespace ${NAMESPACE} is deleted (the namespace controller empties it)`).to.equal(true);
    });
});
