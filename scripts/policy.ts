/**
 * The policy pack offline: `npm run policy -- <stack>` (or `--config <file>`, `--placeholder-secrets` for a template)
 * renders the program under the mocks and runs every rule of policy/rules.ts over the resources, as
 * `pulumi preview --policy-pack policy` would, before any preview. Helm releases' own objects are not expanded here.
 * Exit codes: 0 no violation, 1 violations (listed), 2 invalid config or usage.
 */
import { parseStackArgs, renderStackFile, runMain } from "../tools/cli";
import { checkResources } from "../tools/policy";

const USAGE = "usage: npm run policy -- <stack> | --config <Pulumi.<stack>.yaml> [--placeholder-secrets]";

runMain(async () => {
    const { stackFile, placeholderSecrets } = parseStackArgs(USAGE, {});
    const render = await renderStackFile(stackFile, placeholderSecrets);
    const found = checkResources(render.resources);
    for (const v of found) process.stdout.write(`${v.policy}: ${v.resource}: ${v.message}\n`);
    const checked = render.resources.filter((r) => r.custom).length;
    process.stderr.write(`${found.length} violation${found.length === 1 ? "" : "s"} in ${checked} resources\n`);
    if (found.length > 0) process.exitCode = 1;
});
