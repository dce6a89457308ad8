/**
 * The integration test's Pulumi side: the real CLI (built by scripts/toolchain.sh, or an installed one), a local file
 * backend with a passphrase, no update check, no automatic plugin downloads. The program runs in-process through the
 * Automation API, which serves the Node.js language runtime itself (`pulumi up --client=...`): the same
 * `createPlatform(loadConfig())` that index.ts runs, with the stack's config.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { EngineEvent, LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { createPlatform } from "../../components/platform";
import { loadConfig } from "../../config";
import { installedVersion, PROJECT_DIR } from "../../lib/stackfile";

export const STACK = "integration";
export const FIXTURE = path.join(__dirname, `Pulumi.${STACK}.yaml`);

export interface StackEnv {
    /** Directory holding `pulumi` and the plugin binaries (scripts/toolchain.sh); unset: the installed CLI and plugins. */
    readonly bin?: string;
    readonly kubeconfig: string;
    /** Scratch directory for the backend, PULUMI_HOME and the project copy. */
    readonly dir: string;
}

/** Creates the stack in a scratch copy of the project (Pulumi.yaml + the integration stack file). */
export async function createStack(env: StackEnv, secrets: Readonly<Record<string, string>>): Promise<Stack> {
    const workDir = path.join(env.dir, "project");
    const home = path.join(env.dir, "pulumi-home");
    const backend = path.join(env.dir, "state");
    for (const d of [workDir, home, backend]) fs.mkdirSync(d, { recursive: true });
    fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(workDir, "Pulumi.yaml"));
    fs.copyFileSync(FIXTURE, path.join(workDir, `Pulumi.${STACK}.yaml`));

    const envVars: Record<string, string> = {
        PULUMI_HOME: home,
        PULUMI_BACKEND_URL: `file://${backend}`,
        PULUMI_CONFIG_PASSPHRASE: "integration-test-passphrase",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        KUBECONFIG: env.kubeconfig,
    };
    let pulumiCommand: PulumiCommand;
    if (env.bin) {
        // Air-gapped: only the plugins installed here, nothing downloaded, nothing found on PATH by accident.
        Object.assign(envVars, { PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true", PULUMI_IGNORE_AMBIENT_PLUGINS: "true" });
        const version = installedVersion("@pulumi/kubernetes");
        const provider = path.join(env.bin, "pulumi-resource-kubernetes");
        execFileSync(path.join(env.bin, "pulumi"), ["plugin", "install", "resource", "kubernetes", version, "--file", provider], {
            env: { ...process.env, ...envVars },
            stdio: "pipe",
        });
        pulumiCommand = await PulumiCommand.get({ root: path.dirname(env.bin) });
    } else {
        pulumiCommand = await PulumiCommand.get();
    }

    const stack = await LocalWorkspace.createOrSelectStack(
        {
            stackName: STACK,
            projectName: "pulse",
            program: async () => {
                const { config, secrets: configured } = loadConfig();
                return createPlatform(config, configured).outputs;
            },
        },
        { workDir, envVars, pulumiCommand, secretsProvider: "passphrase" },
    );
    for (const [key, value] of Object.entries(secrets)) await stack.setConfig(`pulse:${key}`, { value, secret: true });
    return stack;
}

/** The engine's step events in order: which operation on which resource started (pre) or finished (outputs). */
export interface Step {
    readonly phase: "pre" | "done";
    readonly op: string;
    readonly type: string;
    readonly urn: string;
}

export function stepOf(e: EngineEvent): Step | undefined {
    if (e.resourcePreEvent) return { phase: "pre", ...pick(e.resourcePreEvent.metadata) };
    if (e.resOutputsEvent) return { phase: "done", ...pick(e.resOutputsEvent.metadata) };
    return undefined;
}

function pick(m: { op: string; type: string; urn: string }) {
    return { op: m.op, type: m.type, urn: m.urn };
}
