/**
 * `npm run bench [-- --runs N] [-- --stack prod]`: how long the program takes to evaluate under mocks (the cost of
 * every test, render and preview's program phase), against the bare cost of loading the Pulumi SDKs in the same process.
 * SDK load is measured first, before anything else has loaded them; evaluation is the median of N runs after one warm-up.
 *
 * `npm run bench -- --startup [--runs N]`: how long the Pulumi CLI's Node.js runtime takes to load the program before
 * it runs, type-checked (its default) and transpiled only (PULUMI_NODEJS_TRANSPILE_ONLY=true), each run with a cold
 * compile cache as on a fresh CI runner; median of N (default 3) per mode.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { parseArgs } from "util";

const { values } = parseArgs({
    options: { runs: { type: "string" }, stack: { type: "string", default: "prod" }, startup: { type: "boolean", default: false } },
});
const runs = Number(values.runs ?? (values.startup ? 3 : 25));
if (!Number.isInteger(runs) || runs < 1) {
    process.stderr.write(`--runs must be a positive integer, got ${values.runs}\n`);
    process.exit(2);
}

const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * One load of index.ts as the CLI's runtime does it (@pulumi/pulumi cmd/run/run.js: the SDK's ts-node, the project's
 * TypeScript and tsconfig.json), in a child whose temporary directory, and so ts-node's compile cache, is new. The
 * program stops at its first need of the engine; every module it imports is compiled by then.
 */
function loadMs(transpileOnly: boolean): number {
    const projectDir = path.join(__dirname, "..");
    const tsNode = path.join(path.dirname(require.resolve("@pulumi/pulumi/package.json")), "vendor", "ts-node@7.0.1");
    if (!fs.existsSync(tsNode)) throw new Error(`the SDK's ts-node is not at ${tsNode}: update this benchmark to the SDK's layout`);
    const options = { compiler: require.resolve("typescript"), transpileOnly, project: "tsconfig.json", compilerOptions: {} };
    const code = [
        "const t = process.hrtime.bigint();",
        `require(${JSON.stringify(tsNode)}).register(${JSON.stringify(options)});`,
        'try { require("./index.ts"); } catch {}',
        "process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));",
    ].join("\n");
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-bench-"));
    try {
        return Number(execFileSync(process.execPath, ["-e", code], { cwd: projectDir, env: { ...process.env, TMPDIR: tmp }, encoding: "utf8" }));
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

function startup(): void {
    const checked: number[] = [];
    const transpiled: number[] = [];
    // Alternated, so that a change in the machine's load falls on both.
    for (let i = 0; i < runs; i++) {
        checked.push(loadMs(false));
        transpiled.push(loadMs(true));
    }
    const fmt = (xs: number[]) => `median ${(median(xs) / 1000).toFixed(1)} s (${xs.map((x) => (x / 1000).toFixed(1)).join(", ")})`;
    process.stdout.write(
        [
            `program load by the Pulumi CLI's Node.js runtime, cold compile cache, ${runs} runs each:`,
            `  type-checked (the default):                          ${fmt(checked)}`,
            `  transpiled only (PULUMI_NODEJS_TRANSPILE_ONLY=true): ${fmt(transpiled)}`,
        ].join("\n") + "\n",
    );
}

if (values.startup) {
    startup();
    process.exit(0);
}

const t0 = performance.now();
require("@pulumi/pulumi");
require("@pulumi/kubernetes");
require("@pulumi/random");
const sdkLoadMs = performance.now() - t0;

const t1 = performance.now();
const mocks = require("../tools/mocks") as typeof import("../tools/mocks");
const render = require("../tools/render") as typeof import("../tools/render");
const stackfile = require("../tools/stackfile") as typeof import("../tools/stackfile");
const programLoadMs = performance.now() - t1;

async function main(): Promise<void> {
    const file = stackfile.stackFilePath(values.stack);
    // A template stack (prod) leaves its production secrets unset: placeholders, as the offline render does.
    const raw = stackfile.withPlaceholderSecrets(stackfile.readStackFile(file));
    mocks.installMocks(stackfile.stackNameOf(file));
    mocks.setStackConfig(raw.values, [...raw.secretKeys]);

    const tFirst = performance.now();
    const first = await render.renderProgram();
    const firstMs = performance.now() - tFirst;

    const times: number[] = [];
    // CPU beside wall time: on a busy machine the wall time measures the neighbours too.
    const cpus: number[] = [];
    for (let i = 0; i < runs; i++) {
        const t = performance.now();
        const c = process.cpuUsage();
        await render.renderProgram();
        const used = process.cpuUsage(c);
        times.push(performance.now() - t);
        cpus.push((used.user + used.system) / 1000);
    }
    const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
    const lines = [
        `stack: ${values.stack} (${first.resources.length} resources registered per evaluation)`,
        `load Pulumi SDKs (@pulumi/pulumi, kubernetes, random): ${fmt(sdkLoadMs)}`,
        `load program modules (config schema, components):      ${fmt(programLoadMs)}`,
        `first evaluation under mocks:                          ${fmt(firstMs)}`,
        `evaluation under mocks, median of ${runs}:${" ".repeat(Math.max(1, 19 - String(runs).length))}${fmt(median(times))} (min ${fmt(Math.min(...times))}, max ${fmt(Math.max(...times))})`,
        `CPU of an evaluation, median of ${runs}:${" ".repeat(Math.max(1, 11 - String(runs).length))}${fmt(median(cpus))}`,
    ];
    process.stdout.write(lines.join("\n") + "\n");
}

main().catch((e) => {
    // Bad input (a stack file or config the program refuses) is one message and exit 2, as in the other CLIs.
    const { RunError } = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    const { ConfigError } = require("../config") as typeof import("../config");
    const bad = e instanceof ConfigError || RunError.isInstance(e);
    process.stderr.write(`${bad ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(bad ? 2 : 1);
});
