/**
 * The integration suite's Pulumi side: the real CLI (built by scripts/toolchain.sh, or an installed one), a local file
 * backend with a passphrase, no update check, no automatic plugin downloads. The program runs in-process through the
 * Automation API, which serves the Node.js language runtime itself (`pulumi up --client=...`): the same
 * `createPlatform(loadConfig())` that index.ts runs, with the stack's config.
 *
 * Each stack is the project's own `Pulumi.<stack>.yaml` with an overlay: its own namespace, the charts from local
 * paths (the stand-ins in test/fixtures/charts, or the real charts in PULSE_IT_CHARTS) and the passwords as secrets.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import * as k8s from "@pulumi/kubernetes";
import { EngineEvent, LocalWorkspace, PulumiCommand, PulumiFn, Stack } from "@pulumi/pulumi/automation";
import { createPlatform } from "../../components/platform";
import { loadConfig, RELEASE_KEYS } from "../../config";
import { chartDirs, STAND_IN_CHARTS } from "../../tools/charts";
import { installedVersion, PROJECT_DIR } from "../../tools/stackfile";
import { mergeConfig } from "../../tools/stacks";

export interface PulumiEnv {
    /** Directory holding `pulumi` and the plugin binaries (scripts/toolchain.sh); unset: the installed CLI and plugins. */
    readonly bin?: string;
    readonly kubeconfig: string;
    /** Scratch directory for the backend and PULUMI_HOME. */
    readonly dir: string;
}

/**
 * The folder of real charts PULSE_IT_CHARTS names, absolute (relative to where `npm run` was called: the stacks run in
 * scratch directories, where a relative path names nothing); undefined: none.
 */
export function realChartsDir(): string | undefined {
    const dir = process.env.PULSE_IT_CHARTS;
    return dir ? path.resolve(process.env.INIT_CWD ?? process.cwd(), dir) : undefined;
}

/** The charts the suite installs: the stand-ins (test/fixtures/charts), or the real ones in PULSE_IT_CHARTS. */
export const suiteCharts = () => chartDirs(realChartsDir() ?? STAND_IN_CHARTS);

/** The project's stack file with the suite's overlay. */
export function stackFileWithOverlay(stack: string, namespace: string, overlay: Record<string, unknown> = {}): string {
    const doc = YAML.parse(fs.readFileSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`), "utf8")) ?? {};
    const config: Record<string, unknown> = { ...(doc.config ?? {}) };
    const charts = suiteCharts();
    const suite: Record<string, unknown> = { "pulse:namespace": namespace, ...overlay };
    for (const section of RELEASE_KEYS) {
        suite[`pulse:${section}`] = mergeConfig(suite[`pulse:${section}`] ?? {}, { chart: { path: charts[section] } });
    }
    for (const [k, v] of Object.entries(suite)) config[k] = mergeConfig(config[k], v);
    return YAML.stringify({ config }, { lineWidth: 0 });
}

interface Workspace {
    readonly envVars: Record<string, string>;
    readonly pulumiCommand: PulumiCommand;
}

const workspaces = new Map<string, Promise<Workspace>>();

/** One PULUMI_HOME, backend and CLI per scratch directory; the Kubernetes plugin installed there once. */
function workspace(env: PulumiEnv): Promise<Workspace> {
    let ws = workspaces.get(env.dir);
    if (!ws) {
        ws = (async () => {
            const home = path.join(env.dir, "pulumi-home");
            const backend = path.join(env.dir, "state");
            for (const d of [home, backend]) fs.mkdirSync(d, { recursive: true });
            const envVars: Record<string, string> = {
                PULUMI_HOME: home,
                PULUMI_BACKEND_URL: `file://${backend}`,
                PULUMI_CONFIG_PASSPHRASE: "integration-test-passphrase",
                PULUMI_SKIP_UPDATE_CHECK: "true",
                KUBECONFIG: env.kubeconfig,
            };
            if (!env.bin) return { envVars, pulumiCommand: await PulumiCommand.get() };
            // Air-gapped: only the plugins installed here, nothing downloaded, nothing found on PATH by accident.
            Object.assign(envVars, { PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true", PULUMI_IGNORE_AMBIENT_PLUGINS: "true" });
            const version = installedVersion("@pulumi/kubernetes");
            const provider = path.join(env.bin, "pulumi-resource-kubernetes");
            execFileSync(path.join(env.bin, "pulumi"), ["plugin", "install", "resource", "kubernetes", version, "--file", provider], {
                env: { ...process.env, ...envVars },
                stdio: "pipe",
            });
            return { envVars, pulumiCommand: await PulumiCommand.get({ root: path.dirname(env.bin) }) };
        })();
        workspaces.set(env.dir, ws);
    }
    return ws;
}

/** The Pulse program, as index.ts runs it. */
export const pulseProgram: PulumiFn = () => {
    const { config, secrets } = loadConfig();
    return Promise.resolve(createPlatform(config, secrets).outputs);
};

/**
 * The engine's floor for a program of a given size: one Namespace and `count - 1` ConfigMaps in it, no component, no
 * dependency between them, no code around them. Its no-op up and preview cost what the CLI, the SDK and the provider
 * spend per resource, which no program of that size can go below (the empty program's floor does not count them).
 */
export function sameSizeProgram(count: number, namespace: string): PulumiFn {
    return () => {
        const ns = new k8s.core.v1.Namespace("floor", { metadata: { name: namespace } });
        for (let i = 1; i < count; i++) {
            new k8s.core.v1.ConfigMap(`floor-${i}`, { metadata: { name: `floor-${i}`, namespace: ns.metadata.name }, data: { index: String(i) } });
        }
        return Promise.resolve({});
    };
}

/**
 * Creates a stack named `stack` in a scratch copy of the project (Pulumi.yaml + its stack file) running `program`,
 * with the given secret config.
 */
export async function createStack(
    env: PulumiEnv,
    args: { stack: string; stackFile: string; program: PulumiFn; secrets?: Readonly<Record<string, string>>; projectName?: string },
): Promise<Stack> {
    const ws = await workspace(env);
    const workDir = path.join(env.dir, `project-${args.stack}`);
    fs.mkdirSync(workDir, { recursive: true });
    fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(workDir, "Pulumi.yaml"));
    fs.writeFileSync(path.join(workDir, `Pulumi.${args.stack}.yaml`), args.stackFile);
    const stack = await LocalWorkspace.createOrSelectStack(
        { stackName: args.stack, projectName: args.projectName ?? "pulse", program: args.program },
        { workDir, envVars: ws.envVars, pulumiCommand: ws.pulumiCommand, secretsProvider: "passphrase" },
    );
    for (const [key, value] of Object.entries(args.secrets ?? {})) await stack.setConfig(`pulse:${key}`, { value, secret: true });
    return stack;
}

/** The engine's step events in order: which operation on which resource started (pre) or finished (done). */
export interface Step {
    readonly phase: "pre" | "done" | "failed";
    readonly op: string;
    readonly type: string;
    readonly urn: string;
    /** Milliseconds since the StepLog was made (just before the operation began). */
    readonly at: number;
}

/** Collects an operation's step events (pass `onEvent` to up/preview/destroy). */
export class StepLog {
    readonly steps: Step[] = [];
    /**
     * When the engine's summary came (ms since the StepLog was made): the CLI's own command, without what the
     * Automation API runs after an up (`stack output` twice, `stack history`), which a user's `pulumi up` does not.
     */
    summaryAt?: number;
    private readonly start = Date.now();
    readonly onEvent = (e: EngineEvent): void => {
        const at = Date.now() - this.start;
        if (e.summaryEvent) this.summaryAt = at;
        const m = (e.resourcePreEvent ?? e.resOutputsEvent ?? e.resOpFailedEvent)?.metadata;
        if (!m) return;
        const phase = e.resourcePreEvent ? "pre" : e.resOutputsEvent ? "done" : "failed";
        this.steps.push({ phase, op: m.op, type: m.type, urn: m.urn, at });
    };

    /** Index of the first step matching. */
    index(match: (s: Step) => boolean): number {
        return this.steps.findIndex(match);
    }
}

/** A URN's resource name (the part after the last `::`). */
export const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);
