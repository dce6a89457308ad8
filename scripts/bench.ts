/**
 * `npm run bench [-- --runs N] [-- --stack prod]`: how long the program takes to evaluate under mocks (the cost of
 * every test, render and preview's program phase), against the bare cost of loading the Pulumi SDKs in the same process.
 * SDK load is measured first, before anything else has loaded them; evaluation is the median of N runs after one warm-up.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import { performance } from "perf_hooks";
import { parseArgs } from "util";

const { values } = parseArgs({ options: { runs: { type: "string", default: "25" }, stack: { type: "string", default: "prod" } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);

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

const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

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
    for (let i = 0; i < runs; i++) {
        const t = performance.now();
        await render.renderProgram();
        times.push(performance.now() - t);
    }
    const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
    const lines = [
        `stack: ${values.stack} (${first.resources.length} resources registered per evaluation)`,
        `load Pulumi SDKs (@pulumi/pulumi, kubernetes, random): ${fmt(sdkLoadMs)}`,
        `load program modules (config schema, components):      ${fmt(programLoadMs)}`,
        `first evaluation under mocks:                          ${fmt(firstMs)}`,
        `evaluation under mocks, median of ${runs}:${" ".repeat(Math.max(1, 19 - String(runs).length))}${fmt(median(times))} (min ${fmt(Math.min(...times))}, max ${fmt(Math.max(...times))})`,
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
