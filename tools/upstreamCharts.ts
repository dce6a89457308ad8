/**
 * Where the real charts come from: each chart's upstream git repository, its folder there and the tag of the version
 * the program pins, with the commit that tag names (a moved tag is refused). `npm run charts:fetch` extracts them
 * (scripts/fetch-charts.ts); nothing fetched is ever committed. A test holds the versions here to the config's pins.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { ChartSection } from "../config";

export interface UpstreamChart {
    /** GitHub owner/name. */
    readonly repository: string;
    /** The chart's folder in the repository. */
    readonly path: string;
    readonly version: string;
    readonly tag: string;
    readonly commit: string;
    /** Subcharts the chart's Chart.lock pins, extracted into its charts/ folder. */
    readonly dependencies?: readonly (Omit<UpstreamChart, "dependencies"> & { readonly name: string })[];
}

export const UPSTREAM_CHARTS: Readonly<Record<ChartSection, UpstreamChart>> = {
    nats: { repository: "nats-io/k8s", path: "helm/charts/nats", version: "1.2.11", tag: "nats-1.2.11", commit: "1876e42b47a317bc24ac11c31c96e5f7306ad743" },
    emqx: { repository: "emqx/emqx", path: "deploy/charts/emqx", version: "5.8.9", tag: "v5.8.9", commit: "a8319fe2390169e1f2483e3ec80dd01a6cdb233d" },
    postgresql: {
        repository: "bitnami/charts",
        path: "bitnami/postgresql",
        version: "15.5.38",
        tag: "postgresql/15.5.38",
        commit: "105fcbb5c090c6f0b10858cdcc33dfc255c0c7e4",
        dependencies: [
            {
                name: "common",
                repository: "bitnami/charts",
                path: "bitnami/common",
                version: "2.23.0",
                tag: "common/2.23.0",
                commit: "7e44e64626f5b1fc6d56889cdfdeadc1f62c7cf1",
            },
        ],
    },
};

/** Bad input or an upstream that is not what is pinned: the CLI prints the message and exits 2. */
export class FetchError extends Error {}

const git = (cwd: string, args: string[]) =>
    execFileSync("git", ["-C", cwd, ...args], { encoding: "buffer", maxBuffer: 512 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });

/**
 * Extracts `chart.path` at `chart.tag` from `remote` (a URL or a local git directory) into `dest` (which must not
 * exist): a shallow fetch of the tag alone, its commit checked, `git archive` of the folder.
 */
function extract(chart: Omit<UpstreamChart, "dependencies">, remote: string, dest: string): void {
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
export function fetchChart(section: ChartSection, out: string, remotes: Readonly<Record<string, string>> = {}): string {
    const chart = UPSTREAM_CHARTS[section];
    const remote = (repository: string) => remotes[repository] ?? `https://github.com/${repository}.git`;
    const dest = path.join(out, `${section}-${chart.version}`);
    fs.rmSync(dest, { recursive: true, force: true });
    extract(chart, remote(chart.repository), dest);
    const meta = YAML.parse(fs.readFileSync(path.join(dest, "Chart.yaml"), "utf8")) as { name?: string; version?: string };
    if (meta.name !== section || String(meta.version) !== chart.version) {
        throw new FetchError(`${chart.repository} ${chart.tag}:${chart.path} is chart ${meta.name} ${meta.version}, not ${section} ${chart.version}`);
    }
    const lockFile = path.join(dest, "Chart.lock");
    const locked = fs.existsSync(lockFile)
        ? ((YAML.parse(fs.readFileSync(lockFile, "utf8")) as { dependencies?: { name: string; version: string }[] }).dependencies ?? [])
        : [];
    for (const dep of chart.dependencies ?? []) {
        const pinned = locked.find((d) => d.name === dep.name)?.version;
        if (pinned !== dep.version)
            throw new FetchError(`${section} ${chart.version}'s Chart.lock pins ${dep.name} ${pinned ?? "(nothing)"}, not ${dep.version}`);
        extract(dep, remote(dep.repository), path.join(dest, "charts", dep.name));
    }
    return dest;
}
