/**
 * The real charts at the pinned versions, from their upstream git repositories (tools/upstreamCharts.ts): `npm run
 * charts:fetch` extracts nats, emqx and postgresql (with the bitnami/common its Chart.lock pins, in charts/common) into
 * .charts/<chart>-<version> (git-ignored; never commit fetched chart code), for `npm run test:charts -- .charts` and
 * `PULSE_IT_CHARTS=.charts npm run test:integration`. `--out DIR` writes elsewhere; `--from owner/name=GIT` fetches a
 * repository from a mirror (a URL or a local git directory) instead of GitHub.
 * Exit codes: 0 extracted, 2 usage, an unreachable repository or a tag that is not the pinned commit.
 */
import * as path from "path";
import { ReleaseKey } from "../config";
import { fail, parseCliArgs, runMain } from "../tools/cli";
import { PROJECT_DIR } from "../tools/stackfile";
import { fetchChart, FetchError, UPSTREAM_CHARTS } from "../tools/upstreamCharts";

const USAGE = "usage: npm run charts:fetch -- [--out <dir>] [--from <owner/name>=<git URL or directory>]...";

runMain(() => {
    const args = parseCliArgs(USAGE, { out: { type: "string" }, from: { type: "string", multiple: true } }, false);
    const remotes: Record<string, string> = {};
    for (const f of args.values.from ?? []) {
        const m = /^([\w.-]+\/[\w.-]+)=(.+)$/.exec(f);
        if (!m) fail(`--from ${f}: expected <owner/name>=<git URL or directory>\n${USAGE}`);
        remotes[m[1]] = m[2];
    }
    const out = path.resolve(args.values.out ?? path.join(PROJECT_DIR, ".charts"));
    for (const section of Object.keys(UPSTREAM_CHARTS) as ReleaseKey[]) {
        const chart = UPSTREAM_CHARTS[section];
        try {
            const dest = fetchChart(section, out, remotes);
            process.stdout.write(
                `${section} ${chart.version}: ${chart.repository} ${chart.tag} (${chart.commit.slice(0, 12)}) -> ${path.relative(process.cwd(), dest)}\n`,
            );
        } catch (e) {
            if (e instanceof FetchError) fail(e.message);
            throw e;
        }
    }
    return Promise.resolve();
});
