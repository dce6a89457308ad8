/**
 * Offline manifest render: `npm run manifests -- <stack> [--out DIR]` or `--config path/to/Pulumi.<stack>.yaml`;
 * `--placeholder-secrets` renders a template stack whose production secrets are not set yet.
 * Runs the Pulumi program under mocks (no CLI, no cluster, no network). Without --out, prints every Kubernetes object
 * as one multi-document YAML stream; with --out, writes DIR/k8s/*.yaml, DIR/helm/<release>.yaml and DIR/outputs.yaml.
 * Exit codes: 0 rendered, 2 invalid config or usage.
 */
import * as fs from "fs";
import * as path from "path";
import { parseStackArgs, renderStackFile, runMain } from "../tools/cli";
import { renderFiles, renderStream } from "../tools/render";

const USAGE = "usage: npm run manifests -- <stack> | --config <Pulumi.<stack>.yaml> [--out <dir>] [--placeholder-secrets]";

runMain(async () => {
    const { stackFile, placeholderSecrets, values } = parseStackArgs(USAGE, { out: { type: "string" } });
    const render = await renderStackFile(stackFile, placeholderSecrets);

    const out = values.out as string | undefined;
    if (out === undefined) {
        process.stdout.write(renderStream(render));
        return;
    }
    // The render owns these paths: clear them so a removed object leaves no stale file behind.
    for (const owned of ["k8s", "helm", "outputs.yaml", "graph.yaml"]) fs.rmSync(path.join(out, owned), { recursive: true, force: true });
    const files = renderFiles(render);
    for (const f of files) {
        const target = path.join(out, f.path);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, f.content);
    }
    process.stderr.write(`wrote ${files.length} files to ${out}\n`);
});
