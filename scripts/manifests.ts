/**
 * Offline manifest render: `npm run manifests -- <stack> [--out DIR]` or `--config path/to/Pulumi.<stack>.yaml`;
 * `--placeholder-secrets` renders a template stack whose production secrets are not set yet.
 * Runs the Pulumi program under mocks (no CLI, no cluster, no network). Without --out, prints every Kubernetes object
 * as one multi-document YAML stream; with --out, writes DIR/k8s/*.yaml, DIR/helm/<release>.yaml, DIR/outputs.yaml and
 * DIR/graph.yaml, and lists them in DIR/.pulse-render.json: DIR must be new, empty or a previous render's, and only the
 * files that list names are replaced. Relative paths are the caller's (INIT_CWD under npm run).
 * Exit codes: 0 rendered, 2 invalid config or usage.
 */
import { orFail, parseStackArgs, prepareOutDir, renderStackFile, runMain, writeOutDir } from "../tools/cli";
import { renderFiles, renderStream } from "../tools/render";

const USAGE = "usage: npm run manifests -- <stack> | --config <Pulumi.<stack>.yaml> [--out <dir>] [--placeholder-secrets]";

runMain(async () => {
    const { stackFile, placeholderSecrets, values } = parseStackArgs(USAGE, { out: { type: "string" } });
    const out = values.out as string | undefined;
    // Checked before rendering: a file, or a folder the render did not write, is refused (never overwritten or cleared).
    const dir = out === undefined ? undefined : orFail(() => prepareOutDir(out));
    const render = await renderStackFile(stackFile, placeholderSecrets);
    if (dir === undefined) {
        process.stdout.write(renderStream(render));
        return;
    }
    // Replaces the files of its previous render (listed in the folder's manifest), so a removed object leaves no stale file.
    const files = renderFiles(render);
    orFail(() => writeOutDir(dir, files));
    process.stderr.write(`wrote ${files.length} files to ${dir}\n`);
});
