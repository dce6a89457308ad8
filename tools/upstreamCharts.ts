/**
 * Where the real charts come from: each chart's upstream git repository, its folder there and the tag of the version
 * the program pins, with the commit that tag names (a moved tag is refused), from the releases' registry
 * (config/releases.ts). `npm run charts:fetch` extracts them (scripts/fetch-charts.ts); nothing fetched is ever committed.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { RELEASE_KEYS, RELEASES, ReleaseKey, UpstreamSource } from "../config";

export interface UpstreamChart extends UpstreamSource {
    readonly version: string;
    /** Subcharts the chart's Chart.lock pins, extracted into its charts/ folder. */
    readonly dependencies?: readonly (UpstreamSource & { readonly name: string; readonly version: string })[];
}

/** Each release's upstream chart at the version its registry entry pins (config/releases.ts). */
export const UPSTREAM_CHARTS = Object.fromEntries(RELEASE_KEYS.map((k) => [k, { ...RELEASES[k].upstream, version: RELEASES[k].source.version }])) as Readonly<
    Record<ReleaseKey, UpstreamChart>
>;

/** Bad input or an upstream that is not what is pinned: the CLI prints the message and exits 2. */
export class FetchError extends Error {}

const git = (cwd: string, args: string[]) =>
    execFileSync("git", ["-C", cwd, ...args], { encoding: "buffer", maxBuffer: 512 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });

/**
 * Extracts `chart.path` at `chart.tag` from `remote` (a URL or a local git directory) into `dest` (which must not
 * exist): a shallow fetch of the tag alone, its commit checked, `git archive` of the folder.
 */
function extract(chart: UpstreamSource, remote: string, dest: string): void {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-chart-"));
    try {
        git(scratch, ["init", "--quiet", "--bare"]);
        // A local repository is fetched through file://, so --depth applies.
        const url = fs.existsSync(remote) ? `file://${path.resolve(remote)}` : remote;
        try {
            git(scratch, ["fetch", "--quiet", "--depth", "1", "--no-tags", url, `refs/tags/${chart.tag}`]);
        } catch (e) {
            throw new FetchError(`${remote}: cannot fetch tag ${chart.tag}: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`);
        }
        const commit = git(scratch, ["rev-parse", "FETCH_HEAD^{commit}"]).toString().trim();
        if (commit !== chart.commit) throw new FetchError(`${remote}: tag ${chart.tag} names commit ${commit}, not the pinned ${chart.commit}`);
        const tar = git(scratch, ["archive", "--format=tar", `${commit}:${chart.path}`]);
        fs.mkdirSync(dest, { recursive: true });
        execFileSync("tar", ["-x", "-C", dest], { input: tar });
    } finally {
        fs.rmSync(scratch, { recursive: true, force: true });
    }
}

/**
 * Extracts a chart and its pinned subcharts into `<out>/<chart>-<version>`, replacing what is there. `remotes` maps a
 * repository (owner/name) to a URL or local git directory; by default its GitHub URL.
 */
export function fetchChart(section: ReleaseKey, out: string, remotes: Readonly<Record<string, string>> = {}): string {
    const chart = UPSTREAM_CHARTS[section];
    const name = RELEASES[section].chart;
    const remote = (repository: string) => remotes[repository] ?? `https://github.com/${repository}.git`;
    const dest = path.join(out, `${name}-${chart.version}`);
    fs.rmSync(dest, { recursive: true, force: true });
    extract(chart, remote(chart.repository), dest);
    const meta = YAML.parse(fs.readFileSync(path.join(dest, "Chart.yaml"), "utf8")) as { name?: string; version?: string };
    if (meta.name !== name || String(meta.version) !== chart.version) {
        throw new FetchError(`${chart.repository} ${chart.tag}:${chart.path} is chart ${meta.name} ${meta.version}, not ${name} ${chart.version}`);
    }
    const lockFile = path.join(dest, "Chart.lock");
    const locked = fs.existsSync(lockFile)
        ? ((YAML.parse(fs.readFileSync(lockFile, "utf8")) as { dependencies?: { name: string; version: string }[] }).dependencies ?? [])
        : [];
    for (const dep of chart.dependencies ?? []) {
        const pinned = locked.find((d) => d.name === dep.name)?.version;
        if (pinned !== dep.version) throw new FetchError(`${name} ${chart.version}'s Chart.lock pins ${dep.name} ${pinned ?? "(nothing)"}, not ${dep.version}`);
        extract(dep, remote(dep.repository), path.join(dest, "charts", dep.name));
    }
    return dest;
}
