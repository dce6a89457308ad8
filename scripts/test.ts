/**
 * `npm test`: the strict type-check (tsc) and every unit test (Mocha, .mocharc.json) side by side, instead of one
 * after the other. Mocha runs the spec files in two workers (`parallel`, `jobs`), which fill the time one worker
 * waits for the CLI tests' child processes: on this project's 2-core machine, quiet, `hyperfine --runs 5`: median
 * 29.4 s against 31.8 s with one worker, for ~15% more CPU. Mocha's output streams; tsc's follows it. Exits 1 when
 * either fails.
 * tsc is incremental: its build info lives in node_modules/.cache (git-ignored), so an unchanged project re-checks
 * faster; a fresh `npm ci` starts cold. Arguments go to Mocha (`npm test -- --grep <pattern>`).
 * Both run with a larger young generation: building the platform under the mocks allocates fast, and with V8's default
 * (16 MB semi-spaces) garbage collection took a third of a build's time; with 64 MB a build costs about a third less CPU.
 */
import { spawn } from "child_process";
import * as path from "path";

const PROJECT_DIR = path.resolve(__dirname, "..");
const NODE_OPTIONS = ["--max-semi-space-size=64"];
const BUILD_INFO = path.join(PROJECT_DIR, "node_modules", ".cache", "pulse", "tsconfig.tsbuildinfo");

/** Runs a package's CLI with this Node; resolves to its exit code and, when `quiet`, its buffered output. */
function run(cli: string, args: readonly string[], quiet: boolean): Promise<{ code: number; output: string }> {
    return new Promise((done) => {
        const child = spawn(process.execPath, [...NODE_OPTIONS, require.resolve(cli, { paths: [PROJECT_DIR] }), ...args], {
            cwd: PROJECT_DIR,
            stdio: quiet ? ["ignore", "pipe", "pipe"] : "inherit",
        });
        let output = "";
        child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
        child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
        child.on("error", (e) => done({ code: 1, output: `${cli}: ${e.message}\n` }));
        child.on("close", (code, signal) => done({ code: code ?? (signal ? 1 : 0), output }));
    });
}

async function main(): Promise<void> {
    const [tsc, mocha] = await Promise.all([
        run("typescript/bin/tsc", ["-p", ".", "--incremental", "--tsBuildInfoFile", BUILD_INFO], true),
        run("mocha/bin/mocha.js", process.argv.slice(2), false),
    ]);
    if (tsc.code !== 0) process.stdout.write(`\ntsc -p . failed:\n${tsc.output}`);
    process.exitCode = tsc.code !== 0 || mocha.code !== 0 ? 1 : 0;
}

void main();
