/**
 * Offline manifest render: `npm run manifests -- <stack> [--out DIR]` or `--config path/to/Pulumi.<stack>.yaml`;
 * `--placeholder-secrets` renders a template stack whose production secrets are not set yet.
 * Runs the Pulumi program under mocks (no CLI, no cluster, no network). Without --out, prints every Kubernetes object
 * as one multi-document YAML stream; with --out, writes DIR/k8s/*.yaml, DIR/helm/<release>.yaml and DIR/outputs.yaml.
 * Exit codes: 0 rendered, 2 invalid config or usage.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, setStackConfig } from "../tools/mocks";
import { renderFiles, renderProgram, renderStream } from "../tools/render";
import { readStackFile, stackFilePath, stackNameOf, withPlaceholderSecrets } from "../tools/stackfile";

const USAGE = "usage: npm run manifests -- <stack> | --config <Pulumi.<stack>.yaml> [--out <dir>] [--placeholder-secrets]";

function fail(message: string): never {
    process.stderr.write(message.endsWith("\n") ? message : message + "\n");
    process.exit(2);
}

async function main(): Promise<void> {
    let args;
    try {
        args = parseArgs({
            allowPositionals: true,
            options: {
                config: { type: "string" },
                out: { type: "string" },
                "placeholder-secrets": { type: "boolean" },
                help: { type: "boolean", short: "h" },
            },
        });
    } catch (e) {
        fail(`${(e as Error).message}\n${USAGE}`);
    }
    if (args.values.help) {
        process.stdout.write(USAGE + "\n");
        return;
    }
    const stackArg = args.values.config ?? args.positionals[0];
    if (!stackArg || args.positionals.length > (args.values.config ? 0 : 1)) fail(USAGE);
    const stackFile = stackFilePath(stackArg);
    if (!fs.existsSync(stackFile)) fail(`no stack file ${stackFile}\n${USAGE}`);

    const raw = args.values["placeholder-secrets"] ? withPlaceholderSecrets(readStackFile(stackFile)) : readStackFile(stackFile);
    installMocks(stackNameOf(stackFile));
    setStackConfig(raw.values, [...raw.secretKeys]);

    let render;
    try {
        render = await renderProgram();
    } catch (e) {
        if (pulumi.RunError.isInstance(e)) fail(`${path.basename(stackFile)}: ${e.message}`);
        throw e;
    }

    const out = args.values.out;
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
}

main().catch((e) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
});
