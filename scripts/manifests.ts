/**
 * Offline manifest render: `npm run manifests -- <stack> [--out DIR]` or `--config path/to/Pulumi.<stack>.yaml`;
 * `--placeholder-secrets` renders a template stack whose production secrets are not set yet.
 * Runs the Pulumi program under mocks (no CLI, no cluster, no network). Without --out, prints every Kubernetes object
 * as one multi-document YAML stream; with --out, writes DIR/k8s/*.yaml, DIR/helm/<release>.yaml, DIR/outputs.yaml and
 * DIR/graph.yaml, and lists them in DIR/.pulse-render.json: DIR must be new, empty or a previous render's, and only the
 * files that list names are replaced. Relative paths are the caller's (INIT_CWD under npm run).
 * `--charts` (with --out) also renders each release's chart with its values into DIR/charts/<release>/, one file per
 * object (tools/chartRender.ts): the charts from `--charts-dir DIR` (default .charts, what `npm run charts:fetch`
 * writes; test/fixtures/charts holds the stand-ins), Helm from `--helm PATH` (default the toolchain's; the version the
 * provider embeds is required).
 * Exit codes: 0 rendered, 2 invalid config or usage, no Helm, charts missing or of other versions, a chart refusing its values.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- the SDK and the program load once the arguments are checked;
   require, not import(): tsx's CommonJS hook (Mocha, `node -r tsx/cjs`) transforms require() only */
import * as fs from "fs";
import * as path from "path";
import type { ChartsCheck } from "../tools/charts";
import { fail, orFail, parseStackArgs, prepareOutDir, renderStackFile, resolveFromCaller, runMain, writeOutDir } from "../tools/cli";
import { PROJECT_DIR } from "../tools/stackfile";
import { TOOLCHAIN_BIN, toolchainVar } from "../tools/toolchain";

const USAGE =
    "usage: npm run manifests -- <stack> | --config <Pulumi.<stack>.yaml> [--out <dir> [--charts [--charts-dir <dir>] [--helm <path>]]] [--placeholder-secrets]";

/** The default chart folder: what `npm run charts:fetch` writes. */
const DEFAULT_CHARTS = path.join(PROJECT_DIR, ".charts");

/** Helm and the charts for --charts, checked before anything renders; missing ones exit 2 saying how to get them. */
function chartsCheck(chartsDir: string | undefined, helm: string | undefined): ChartsCheck {
    const dir = chartsDir === undefined ? DEFAULT_CHARTS : resolveFromCaller(chartsDir);
    const version = toolchainVar("HELM_VERSION");
    if (!fs.existsSync(dir)) {
        fail(
            `--charts: no chart folder ${dir}: fetch the pinned charts with \`npm run charts:fetch\` (into .charts), ` +
                `or name a folder holding them with --charts-dir (test/fixtures/charts holds the stand-ins)`,
        );
    }
    // Loaded here, not above: usage errors exit before the Pulumi SDK and the program load.
    const { chartDirs, ChartsError, pinnedHelm } = require("../tools/charts") as typeof import("../tools/charts");
    let charts: ChartsCheck["charts"];
    try {
        charts = chartDirs(dir);
    } catch (e) {
        if (e instanceof ChartsError) fail(`--charts-dir: ${e.message}: \`npm run charts:fetch\` fetches the pinned charts into .charts`);
        throw e;
    }
    const bin = helm === undefined ? path.join(TOOLCHAIN_BIN, "helm") : resolveFromCaller(helm);
    try {
        return { helm: pinnedHelm(bin, version), kubeVersion: toolchainVar("KUBERNETES_VERSION"), charts };
    } catch (e) {
        if (e instanceof ChartsError) fail(`--helm: ${e.message}; or pass --helm <path> to a Helm ${version}`);
        throw e;
    }
}

runMain(async () => {
    const { stackFile, placeholderSecrets, values } = parseStackArgs(USAGE, {
        out: { type: "string" },
        charts: { type: "boolean" },
        "charts-dir": { type: "string" },
        helm: { type: "string" },
    });
    const out = values.out as string | undefined;
    const charts = values.charts === true;
    for (const flag of ["charts-dir", "helm"]) if (values[flag] !== undefined && !charts) fail(`--${flag} goes with --charts\n${USAGE}`);
    if (charts && out === undefined) fail(`--charts writes the charts' objects into the --out folder: add --out <dir>\n${USAGE}`);
    // Checked before rendering: a file, or a folder the render did not write, is refused (never overwritten or cleared).
    const dir = out === undefined ? undefined : orFail(() => prepareOutDir(out));
    const check = charts ? chartsCheck(values["charts-dir"] as string | undefined, values.helm as string | undefined) : undefined;
    const render = await renderStackFile(stackFile, placeholderSecrets);
    const { renderFiles, renderStream } = require("../tools/render") as typeof import("../tools/render");
    const { chartFiles } = require("../tools/chartRender") as typeof import("../tools/chartRender");
    const { ChartsError } = require("../tools/charts") as typeof import("../tools/charts");
    if (dir === undefined) {
        process.stdout.write(renderStream(render));
        return;
    }
    const files = renderFiles(render);
    if (check !== undefined) {
        try {
            files.push(...chartFiles(check, render));
        } catch (e) {
            if (e instanceof ChartsError) fail(e.message);
            throw e;
        }
    }
    // Replaces the files of its previous render (listed in the folder's manifest), so a removed object leaves no stale file.
    orFail(() => writeOutDir(dir, files));
    process.stderr.write(`wrote ${files.length} files to ${dir}\n`);
});
