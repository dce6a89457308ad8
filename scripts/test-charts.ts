/**
 * The charts with the program's values: `npm run test:charts -- DIR` renders dev, prod, the CI fixture and the
 * integration suite's overlays (tools/stacks.ts) under the mocks, then `helm template`s every release through the
 * charts in DIR (`<chart>` or `<chart>-<version>`, directories or .tgz) with exactly the values the program passes it,
 * using the toolchain's Helm (the provider's version). It fails on a template or values-schema error, a pod that Pod
 * Security "restricted" refuses (the charts' and the program's), and an object a chart renders that the program or
 * another chart also creates, or that the charts' inventory does not list (tools/charts.ts). `--stack NAME`
 * (repeatable) checks only those. `--record` then observes how the charts treat each value the program sets and writes
 * test/fixtures/charts/behaviour.yaml, which the integration suite holds the stand-ins to (tools/chartBehaviour.ts):
 * record from the real charts only, after a change to the values the program sets.
 * DIR is the real charts (docs/integration-testing.md says how to get them) or the stand-ins, test/fixtures/charts.
 * Exit codes: 0 passed, 1 findings (listed), 2 usage, no Helm, charts missing or of other versions, invalid config.
 */
import * as path from "path";
import { BEHAVIOUR_FILE, observeBehaviour, writeBehaviour } from "../tools/chartBehaviour";
import { ChartsError, checkChartVersions, checkRender, chartDirs, ChartsCheck, pinnedHelm, STAND_IN_CHARTS } from "../tools/charts";
import { fail, parseCliArgs, renderStackConfig, runMain } from "../tools/cli";
import { checkedStacks } from "../tools/stacks";
import { TOOLCHAIN_BIN, toolchainVar } from "../tools/toolchain";

const USAGE = "usage: npm run test:charts -- <dir holding the nats, emqx and postgresql charts> [--stack <name>]... [--record]";

runMain(async () => {
    const args = parseCliArgs(USAGE, { stack: { type: "string", multiple: true }, record: { type: "boolean" } });
    if (args.positionals.length !== 1) fail(USAGE);
    const stacks = checkedStacks();
    const wanted = args.values.stack ?? stacks.map((s) => s.name);
    const unknown = wanted.filter((w) => !stacks.some((s) => s.name === w));
    if (unknown.length > 0) fail(`no stack ${unknown.join(", ")}; the stacks: ${stacks.map((s) => s.name).join(", ")}`);

    const dir = path.resolve(args.positionals[0]);
    if (args.values.record && dir === STAND_IN_CHARTS) fail("--record observes the real charts; the stand-ins are held to that record");
    let check: ChartsCheck;
    try {
        check = {
            helm: pinnedHelm(path.join(TOOLCHAIN_BIN, "helm"), toolchainVar("HELM_VERSION")),
            kubeVersion: toolchainVar("KUBERNETES_VERSION"),
            charts: chartDirs(dir),
        };
    } catch (e) {
        if (e instanceof ChartsError) fail(e.message);
        throw e;
    }
    process.stderr.write(`charts: ${Object.values(check.charts).join(", ")}; helm ${toolchainVar("HELM_VERSION")}, Kubernetes ${check.kubeVersion}\n`);

    let findings = 0;
    for (const stack of stacks.filter((s) => wanted.includes(s.name))) {
        const render = await renderStackConfig(stack.name, stack.raw, "charts");
        try {
            checkChartVersions(check, render);
        } catch (e) {
            if (e instanceof ChartsError) fail(e.message);
            throw e;
        }
        const { releases, program } = checkRender(check, render);
        const summary = releases.map((r) => `${r.release} ${r.findings.some((f) => f.startsWith("template:")) ? "failed" : `${r.objects.length} objects`}`);
        const found = [...releases.flatMap((r) => r.findings.map((f) => `${r.release}: ${f}`)), ...program.map((f) => `program: ${f}`)];
        process.stdout.write(
            `${stack.name}: ${summary.join(", ")}: ${found.length === 0 ? "ok" : `${found.length} finding${found.length === 1 ? "" : "s"}`}\n`,
        );
        for (const f of found) process.stdout.write(`  ${stack.name}: ${f.replace(/\n/g, "\n    ")}\n`);
        findings += found.length;
    }
    process.stderr.write(`${findings} finding${findings === 1 ? "" : "s"} in ${wanted.length} stack${wanted.length === 1 ? "" : "s"}\n`);
    if (findings > 0) {
        process.exitCode = 1;
        return;
    }
    if (args.values.record) {
        writeBehaviour(
            observeBehaviour(check),
            `${Object.values(check.charts)
                .map((c) => path.basename(c))
                .join(", ")} (helm ${toolchainVar("HELM_VERSION")})`,
        );
        process.stderr.write(`wrote ${path.relative(process.cwd(), BEHAVIOUR_FILE)}\n`);
    }
});
