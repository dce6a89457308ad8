/**
 * A child process of the generated-config dry run (generated-configs.test.ts): renders stack configs under the Pulumi
 * mocks, one JSON request per stdin line, one JSON answer per stdout line. Its own process, because the mocks are
 * global to the Pulumi runtime and the integration suite's other specs run the real engine in theirs.
 *
 * Request: { id, values, secretKeys } (raw stack config, as readStackFile returns it). Answer: { id, ok: true, objects,
 * releases } with every Kubernetes object unredacted (the API server judges real values) and every Helm release as the
 * offline render writes it; or { id, ok: false, configError, error } when the program refused or crashed.
 */
import * as readline from "readline";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, setStackConfig, unwrapSecrets } from "../../tools/mocks";
import { isKubernetesObject, releaseInputs, renderProgram } from "../../tools/render";

/** What the provider does to an object without a name: the Pulumi name and a random suffix (8 characters). */
const AUTONAME_SUFFIX = "-0a1b2c3d";

installMocks("generated");
process.on("unhandledRejection", (e) => process.stderr.write(`unhandled rejection: ${String(e)}\n`));

async function answer(line: string): Promise<unknown> {
    const req = JSON.parse(line) as { id: number; values: Record<string, string>; secretKeys: string[] };
    try {
        setStackConfig(req.values, req.secretKeys);
        const render = await renderProgram();
        const objects = render.resources.filter(isKubernetesObject).map((r) => {
            const obj = unwrapSecrets(r.inputs) as { metadata?: Record<string, unknown> };
            obj.metadata = { ...(obj.metadata ?? {}) };
            obj.metadata.name ??= r.name + AUTONAME_SUFFIX;
            return obj;
        });
        // As the offline render writes them (helm/<release>.yaml), which tools/charts.ts templates.
        const releases = releaseInputs(render.resources);
        return { id: req.id, ok: true, objects, releases };
    } catch (e) {
        return { id: req.id, ok: false, configError: pulumi.RunError.isInstance(e), error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
    }
}

void (async () => {
    for await (const line of readline.createInterface({ input: process.stdin })) {
        if (line.trim() === "") continue;
        process.stdout.write(JSON.stringify(await answer(line)) + "\n");
    }
})();
