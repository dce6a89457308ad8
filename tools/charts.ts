/**
 * The charts the program installs, rendered by Helm with exactly the values the program passes each release (the
 * offline render's helm/<release>.yaml), and what must hold of the result: Helm renders it (no template or schema
 * error), every pod meets Pod Security "restricted" (tools/podSecurity.ts), and no object of a chart shares kind,
 * namespace and name with one of the program's or another chart's (Helm refuses to install over an object it does not
 * own), every object a chart renders is one its registry entry (config/releases.ts) lists in `renders`, no chart
 * renders a NetworkPolicy of its own, and every pod of a release carries the labels its entry's `pods` name.
 * `npm run test:charts -- DIR` runs it over the real charts; the integration suite over the charts it installs.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { RELEASE_KEYS, RELEASES, ReleaseKey } from "../config";
import { podsOf, restrictedViolations } from "./podSecurity";
import { kubernetesManifests, ReleaseInput, releaseInputs, Render } from "./render";
import { PROJECT_DIR } from "./stackfile";

/** The stand-in charts CI installs (test/fixtures/charts), one folder `<chart>-<version>` each. */
export const STAND_IN_CHARTS = path.join(PROJECT_DIR, "test", "fixtures", "charts");

/** The registry key (section and chart) of each release, by release name. */
const RELEASE_SECTIONS: Readonly<Record<string, ReleaseKey>> = Object.fromEntries(RELEASE_KEYS.map((k) => [RELEASES[k].releaseName, k]));

/** Where each chart is: `<dir>/<chart>` or `<dir>/<chart>-<anything>` (a directory or a .tgz), one per chart. */
export function chartDirs(dir: string = STAND_IN_CHARTS): Record<ReleaseKey, string> {
    const entries = fs.readdirSync(dir);
    const found = {} as Record<ReleaseKey, string>;
    for (const section of RELEASE_KEYS) {
        const { chart } = RELEASES[section];
        const candidates = entries.filter((f) => f === chart || f.startsWith(`${chart}-`));
        if (candidates.length !== 1)
            throw new ChartsError(`${dir}: expected one ${chart} chart (a directory or .tgz named ${chart} or ${chart}-*), found ${candidates.length}`);
        found[section] = path.join(dir, candidates[0]);
    }
    return found;
}

/** Bad input (charts missing or of another version, no Helm): the CLI prints the message and exits 2. */
export class ChartsError extends Error {}

/** A rendered Kubernetes object, namespaced as Helm would create it. */
export interface RenderedObject {
    readonly kind: string;
    readonly metadata: { readonly name: string; readonly namespace?: string; readonly [k: string]: unknown };
    readonly [k: string]: unknown;
}

const isObject = (o: unknown): o is RenderedObject =>
    typeof o === "object" && o !== null && typeof (o as RenderedObject).kind === "string" && typeof (o as RenderedObject).metadata?.name === "string";

/** The objects of a multi-document manifest (what `helm template` prints); those without a namespace get `namespace`. */
export function manifestObjects(manifest: string, namespace?: string): RenderedObject[] {
    return YAML.parseAllDocuments(manifest)
        .map((d) => d.toJS() as unknown)
        .filter(isObject)
        .map((o) => (namespace && !o.metadata.namespace ? { ...o, metadata: { ...o.metadata, namespace } } : o));
}

/** An object's identity for Helm's ownership: `Kind namespace/name` (cluster-scoped: `Kind name`). */
export const identity = (o: { kind: string; metadata: { name?: string; namespace?: string } }) =>
    `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;

/** Each object of `objects` (created by `by`) whose identity an owner holds: `<identity>: <by> and <owner> both create it`. */
export function collisions(
    owned: ReadonlyMap<string, string>,
    objects: readonly { kind: string; metadata: { name?: string; namespace?: string } }[],
    by: string,
): string[] {
    return objects.filter((o) => owned.has(identity(o))).map((o) => `${identity(o)}: ${by} and ${owned.get(identity(o))} both create it`);
}

/** The pinned Helm, the toolchain's (the provider's Helm version): its path, or a ChartsError saying how to get it. */
export function pinnedHelm(helm: string, version: string): string {
    if (!fs.existsSync(helm)) throw new ChartsError(`no ${helm}: build it with \`npm run toolchain\` (docs/integration-testing.md)`);
    let actual: string;
    try {
        actual = execFileSync(helm, ["version", "--template", "{{.Version}}"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
    } catch {
        throw new ChartsError(`${helm} does not run as Helm (\`${path.basename(helm)} version\` failed): build the pinned one with \`npm run toolchain\``);
    }
    if (actual !== version)
        throw new ChartsError(`${helm} is Helm ${actual || "(no version)"}, not ${version} (the provider's): rebuild it with \`npm run toolchain\``);
    return helm;
}

export interface ChartsCheck {
    /** The toolchain's Helm. */
    readonly helm: string;
    /** `helm template --kube-version`: the cluster the charts are checked for. */
    readonly kubeVersion: string;
    /** Each chart's directory or archive. */
    readonly charts: Record<ReleaseKey, string>;
}

/** The chart's name and version as Helm reads them (`helm show chart`). */
function chartMeta(check: ChartsCheck, chart: string): { name?: string; version?: string } {
    return YAML.parse(execFileSync(check.helm, ["show", "chart", chart], { encoding: "utf8" })) as { name?: string; version?: string };
}

/** Refuses charts that are not the versions the program pins (a render of another chart proves nothing). */
export function checkChartVersions(check: ChartsCheck, render: Render): void {
    for (const release of releaseInputs(render.resources)) {
        const section = RELEASE_SECTIONS[release.name];
        if (!section) throw new ChartsError(`release ${release.name}: no chart section installs it`);
        const meta = chartMeta(check, check.charts[section]);
        if (meta.name !== RELEASES[section].chart || meta.version !== release.version) {
            throw new ChartsError(
                `${check.charts[section]} is chart ${meta.name} ${meta.version}; release ${release.name} pins ${RELEASES[section].chart} ${release.version}`,
            );
        }
    }
}

/** `helm template` of one release with its values (a JSON file: YAML 1.1 would read `on` or `no` as booleans). */
export function templateRelease(check: ChartsCheck, release: ReleaseInput): { objects: RenderedObject[] } | { error: string } {
    const section = RELEASE_SECTIONS[release.name];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-charts-"));
    const values = path.join(dir, "values.json");
    fs.writeFileSync(values, JSON.stringify(release.values));
    try {
        const args = ["template", release.name, check.charts[section], "--namespace", release.namespace, "--values", values];
        // Test hooks are not part of an install; other hooks are. A cluster's discovery lists kinds, which `helm template`
        // does not know by itself: the EMQX chart renders its PodDisruptionBudget only when policy/v1 lists it.
        args.push("--kube-version", check.kubeVersion, "--api-versions", "policy/v1/PodDisruptionBudget", "--skip-tests");
        const manifest = execFileSync(check.helm, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
        return { objects: manifestObjects(manifest, release.namespace) };
    } catch (e) {
        const err = e as { stderr?: string; message: string };
        return { error: (err.stderr || err.message).trim() };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

export interface ReleaseReport {
    readonly release: string;
    /** The chart's objects (none when Helm failed). */
    readonly objects: readonly RenderedObject[];
    /** `template`, `pod-security` and `collision` findings: what fails the check. */
    readonly findings: readonly string[];
}

/**
 * Every release of a render through its chart, then Pod Security over every pod (the program's too), collisions, chart
 * objects its entry's `renders` does not list, the chart's own NetworkPolicies and pods without the entry's `pods`
 * labels. The entry's `renders` are what the program's objects are held to offline (test/chart-inventory.test.ts), so
 * a chart object missing from them is a finding.
 */
export function checkRender(check: ChartsCheck, render: Render): { releases: ReleaseReport[]; program: string[] } {
    const programObjects = kubernetesManifests(render.resources) as unknown as RenderedObject[];
    const programOwned = new Map(programObjects.map((o) => [identity(o), "the program"]));
    const chartOwned = new Map<string, string>();
    const releases: ReleaseReport[] = [];
    for (const release of releaseInputs(render.resources)) {
        const result = templateRelease(check, release);
        if ("error" in result) {
            releases.push({ release: release.name, objects: [], findings: [`template: ${result.error}`] });
            continue;
        }
        const by = `release ${release.name}`;
        const section = RELEASE_SECTIONS[release.name];
        const renders: readonly string[] = RELEASES[section].renders;
        const findings = [
            ...podSecurityFindings(result.objects),
            ...[...collisions(programOwned, result.objects, by), ...collisions(chartOwned, result.objects, by)].map((c) => `collision: ${c}`),
            ...result.objects
                .filter((o) => !renders.includes(`${o.kind}/${o.metadata.name}`))
                .map((o) => `inventory: ${identity(o)} is not listed for ${release.name} in RELEASES.${section}.renders`),
            ...chartNetworkPolicyFindings(section, result.objects),
            ...podLabelFindings(section, result.objects),
        ];
        for (const o of result.objects) chartOwned.set(identity(o), `release ${release.name}`);
        releases.push({ release: release.name, objects: result.objects, findings });
    }
    return { releases, program: podSecurityFindings(programObjects) };
}

/** `pod-security: <Kind ns/name> <where>: <violation>` for each pod template that fails "restricted". */
export function podSecurityFindings(objects: readonly RenderedObject[]): string[] {
    return objects.flatMap((o) =>
        podsOf(o).flatMap((pod) => restrictedViolations(pod.spec, pod.metadata).map((v) => `pod-security: ${identity(o)} ${pod.where}: ${v}`)),
    );
}

/** `network-policy: <NetworkPolicy ns/name>: ...` for each NetworkPolicy a release's chart renders: the program's govern the namespace. */
export function chartNetworkPolicyFindings(key: ReleaseKey, objects: readonly RenderedObject[]): string[] {
    return objects
        .filter((o) => o.kind === "NetworkPolicy")
        .map(
            (o) =>
                `network-policy: ${identity(o)}: the ${key} chart's own; switch it off in its values and list the switch in RELEASES.${key}.chartNetworkPolicies`,
        );
}

/**
 * `pod-labels: <Kind ns/name> <where>: ...` for each pod of a release's chart that lacks a label its registry entry's
 * `pods` name: a NetworkPolicy or Service selecting by them would miss that pod.
 */
export function podLabelFindings(key: ReleaseKey, objects: readonly RenderedObject[]): string[] {
    const pods: Readonly<Record<string, string>> = RELEASES[key].pods;
    return objects.flatMap((o) =>
        podsOf(o).flatMap((pod) => {
            const labels = (pod.metadata.labels ?? {}) as Readonly<Record<string, string>>;
            return Object.entries(pods)
                .filter(([k, v]) => labels[k] !== v)
                .map(([k, v]) => `pod-labels: ${identity(o)} ${pod.where}: lacks ${k}=${v}, which RELEASES.${key}.pods names`);
        }),
    );
}
