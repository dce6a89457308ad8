/**
 * Generated configs, judged by the real API server: fast-check generates stack configs from the schema (valid ones and
 * a newcomer's mistakes: test/integration/generated.ts); every one the program's validation accepts is rendered under
 * the mocks (in a child process: renderWorker.ts), and each object it would create, and each object its Helm releases'
 * charts render with its values (`helm template`, which also checks the values against a chart's values schema), is
 * sent to the KWOK cluster's kube-apiserver as a server-side apply with dryRun=All, as the provider sends it.
 *
 * Seeded (PULSE_IT_SEED, default below), bounded (PULSE_IT_GENERATED_RUNS configs, at most PULSE_IT_GENERATED_SECONDS);
 * a failure lists every refused config with its seed and index, and how to replay one (PULSE_IT_ONLY=<index>).
 * Objects whose API the cluster does not serve (the Prometheus operator's and cert-manager's) are counted, not checked.
 */
import { ChildProcessWithoutNullStreams, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as readline from "readline";
import * as k8s from "@kubernetes/client-node";
import { expect } from "chai";
import fc from "fast-check";
import { ConfigError, parseStackConfig, RawStackConfig } from "../../config";
import { ChartsCheck, pinnedHelm, templateRelease } from "../../tools/charts";
import { ReleaseInput } from "../../tools/render";
import { PROJECT_DIR } from "../../tools/stackfile";
import { TOOLCHAIN_BIN, toolchainVar } from "../../tools/toolchain";
import { describeEdits, generatedConfig, rawConfigOf } from "./generated";
import { createToolchainCluster, KwokCluster } from "./kwok";
import { suiteCharts } from "./stack";

const BIN = TOOLCHAIN_BIN;
const KUBERNETES_VERSION = toolchainVar("KUBERNETES_VERSION");
const SEED = Number(process.env.PULSE_IT_SEED ?? 23);
const RUNS = Number(process.env.PULSE_IT_GENERATED_RUNS ?? 200);
const SECONDS = Number(process.env.PULSE_IT_GENERATED_SECONDS ?? 420);
const ONLY = process.env.PULSE_IT_ONLY === undefined ? undefined : Number(process.env.PULSE_IT_ONLY);
/** Namespaces every cluster has: the dry run finds them existing, so an object of the program's there is no surprise. */
const SYSTEM_NAMESPACES = new Set(["default", "kube-system", "kube-public", "kube-node-lease"]);

type K8sObject = k8s.KubernetesObject & Record<string, unknown>;
interface Rendered {
    ok: boolean;
    configError?: boolean;
    error?: string;
    objects?: K8sObject[];
    releases?: ReleaseInput[];
}

/** The render child: one process for the whole run, restarted if it dies. */
class Renderer {
    private child?: ChildProcessWithoutNullStreams;
    private lines?: AsyncIterator<string>;
    private next = 0;

    private start(): void {
        this.child = spawn(process.execPath, ["--require", "tsx/cjs", path.join(__dirname, "renderWorker.ts")], { cwd: PROJECT_DIR });
        this.child.stderr.on("data", () => undefined);
        this.lines = readline.createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
    }

    async render(raw: RawStackConfig): Promise<Rendered> {
        if (!this.child || this.child.exitCode !== null) this.start();
        const id = this.next++;
        this.child!.stdin.write(JSON.stringify({ id, values: raw.values, secretKeys: [...raw.secretKeys] }) + "\n");
        // The answer is the line carrying this id: anything else the child prints (a library's log line) is skipped.
        for (;;) {
            const line = await this.lines!.next();
            if (line.done) {
                this.child = undefined;
                return { ok: false, error: "the render process died" };
            }
            let answer: (Rendered & { id?: unknown }) | undefined;
            try {
                answer = JSON.parse(line.value) as Rendered & { id?: unknown };
            } catch {
                continue;
            }
            if (answer?.id === id) return answer;
        }
    }

    stop(): void {
        this.child?.kill();
    }
}

const apiMessage = (e: unknown): string => {
    const body = (e as { body?: unknown }).body;
    try {
        return (JSON.parse(String(body)) as { message: string }).message;
    } catch {
        return e instanceof Error ? e.message : String(e);
    }
};

describe("integration: generated configs, judged by the API server (server-side dry run)", function () {
    this.timeout((SECONDS + 300) * 1000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-gen-"));
    let cluster: KwokCluster;
    let client: k8s.KubernetesObjectApi;
    let charts: ChartsCheck;
    const renderer = new Renderer();

    before(async function () {
        cluster = await createToolchainCluster({
            dir: path.join(dir, "cluster"),
            needs: ["helm"],
            nodes: 1,
            volumes: { count: 0, size: "1Gi" },
            slowStartMs: 0,
        });
        client = k8s.KubernetesObjectApi.makeApiClient(cluster.kc);
        charts = { helm: pinnedHelm(path.join(BIN, "helm"), toolchainVar("HELM_VERSION")), kubeVersion: KUBERNETES_VERSION, charts: suiteCharts() };
    });

    after(async function () {
        renderer.stop();
        await cluster?.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("every generated config the program accepts renders objects the API server accepts", async () => {
        const samples = fc.sample(generatedConfig, { seed: SEED, numRuns: RUNS });
        const created = new Set<string>();
        const counts = { generated: 0, accepted: 0, refusedByValidation: 0, crashed: 0, refusedByServer: 0, objects: 0, unserved: 0 };
        const failures: string[] = [];
        const deadline = Date.now() + SECONDS * 1000;

        /** Dry-runs one object; the reason the server refused it, or undefined. */
        const dryRun = async (obj: K8sObject, namespace: string): Promise<string | undefined> => {
            if (obj.kind === "Namespace") {
                const name = obj.metadata!.name!;
                if (SYSTEM_NAMESPACES.has(name)) return `Namespace ${name}: exists in every cluster, the program would take it over`;
                if (created.has(name)) return undefined;
            }
            const namespaced = obj.kind !== "Namespace" && obj.kind !== "ClusterRole" && obj.kind !== "ClusterRoleBinding";
            const body = { ...obj, metadata: { ...obj.metadata, ...(namespaced ? { namespace: obj.metadata?.namespace ?? namespace } : {}) } };
            counts.objects++;
            try {
                await client.patch(body, undefined, "All", "pulumi-kubernetes", true, k8s.PatchStrategy.ServerSideApply);
            } catch (e) {
                const message = apiMessage(e);
                if (/Unrecognized API version and kind|the server could not find the requested resource|Failed to fetch resource metadata/i.test(message)) {
                    counts.unserved++;
                    return undefined;
                }
                return `${obj.kind} ${body.metadata.name}: ${message}`;
            }
            if (obj.kind === "Namespace") {
                // The namespaced objects' dry runs need it to exist.
                await client.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: obj.metadata!.name } });
                created.add(obj.metadata!.name!);
            }
            return undefined;
        };

        for (const [index, g] of samples.entries()) {
            if (ONLY !== undefined && index !== ONLY) continue;
            if (Date.now() > deadline) break;
            counts.generated++;
            const raw = rawConfigOf(g);
            let namespace: string;
            try {
                namespace = parseStackConfig(raw).config.namespace;
            } catch (e) {
                if (!(e instanceof ConfigError)) {
                    counts.crashed++;
                    failures.push(`#${index} (${describeEdits(g)}): validation crashed: ${String(e)}`);
                } else counts.refusedByValidation++;
                continue;
            }
            counts.accepted++;
            const rendered = await renderer.render(raw);
            if (!rendered.ok) {
                counts.crashed++;
                failures.push(
                    `#${index} (${describeEdits(g)}): the render ${rendered.configError ? "refused an accepted config" : "crashed"}: ${rendered.error}`,
                );
                continue;
            }
            const refusals: string[] = [];
            const objects = [...rendered.objects!].sort((a, b) => (a.kind === "Namespace" ? -1 : b.kind === "Namespace" ? 1 : 0));
            for (const obj of objects) {
                const why = await dryRun(obj, namespace);
                if (why) refusals.push(why);
            }
            for (const release of rendered.releases!) {
                // tools/charts.ts: `helm template` with the release's values (the chart's values schema included).
                const templated = templateRelease(charts, release);
                if ("error" in templated) refusals.push(`helm template ${release.name}: ${templated.error}`);
                else
                    for (const obj of templated.objects)
                        refusals.push(...[await dryRun(obj as K8sObject, namespace)].filter((x): x is string => x !== undefined));
            }
            if (refusals.length > 0) {
                counts.refusedByServer++;
                failures.push(`#${index} (${describeEdits(g)}):\n      ${refusals.join("\n      ")}`);
            }
        }
        const summary =
            `seed ${SEED}: ${counts.generated} configs generated, ${counts.accepted} accepted by validation (${counts.refusedByValidation} refused), ` +
            `${counts.refusedByServer} of the accepted refused by the API server or a chart, ${counts.crashed} crashed; ` +
            `${counts.objects} objects dry-run, ${counts.unserved} of kinds the cluster does not serve`;
        console.log(`    ${summary}`);
        const replay = `replay one: PULSE_IT_SEED=${SEED} PULSE_IT_GENERATED_RUNS=${RUNS} PULSE_IT_ONLY=<index> npm run test:integration`;
        // Every failure in full (the assertion's diff is truncated).
        if (failures.length > 0) console.log(`    ${failures.join("\n    ")}\n    ${replay}`);
        expect(failures.length, `${summary}; ${failures.length} failures listed above; ${replay}`).to.equal(0);
        expect(counts.accepted, "no generated config was accepted: the generator no longer fits the schema").to.be.greaterThan(0);
    });
});
