/**
 * How a chart treats each value the program sets, observed through Helm: the value is changed, the release rendered
 * again, and the outcome classified. A string is tried twice: as `probe-{{ .Release.Name }}` (does the chart run it
 * through tpl?) and as `probe"q\` (does its quoting carry a double quote and a backslash?); a boolean is flipped, a
 * number increased, a list of strings replaced by the two probes, a list of maps given the first probe in its first
 * string field. The outcomes:
 *   error      Helm refuses to render (a template, YAML or schema error);
 *   evaluated  the probe came out with the release name in place of `{{ .Release.Name }}`;
 *   literal    the probe came out as it went in;
 *   altered    the probe came out changed otherwise (escaped, as JSON inside a string);
 *   absent     the probe is nowhere in the objects;
 *   changed / unchanged   a boolean's, number's or list's change shows in the objects, or does not.
 * `npm run test:charts -- <real charts> --record` writes the real charts' outcomes to test/fixtures/charts/behaviour.yaml;
 * the integration suite holds the stand-ins (and the real charts, when given) to that record, so the stand-ins fail
 * where the real charts fail for every value the program sets.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { RELEASE_BUILDERS } from "../components/releases";
import { parseStackConfig, RELEASE_KEYS, RELEASES, ReleaseKey } from "../config";
import { ChartsCheck, STAND_IN_CHARTS, templateRelease } from "./charts";
import { checkedStacks } from "./stacks";

export const BEHAVIOUR_FILE = path.join(STAND_IN_CHARTS, "behaviour.yaml");
const EVALUATE = "probe-{{ .Release.Name }}";
const QUOTE = 'probe"q\\';

type Values = Record<string, unknown>;
/** A string value's two outcomes ([tpl probe, quote probe]), or another value's one. */
type Outcome = string | readonly [string, string];
/** Per chart, per values path (segments joined by "."; a segment holding a dot in brackets). */
export type Behaviour = Record<string, Record<string, Outcome>>;

const isMap = (v: unknown): v is Values => typeof v === "object" && v !== null && !Array.isArray(v);
const keyOf = (segments: readonly string[]) => segments.map((s) => (s.includes(".") ? `[${s}]` : s)).join(".");

/** Leaf paths of a values tree; lists and empty maps are leaves. */
function leaves(v: unknown, prefix: string[] = []): { path: string[]; value: unknown }[] {
    if (isMap(v) && Object.keys(v).length > 0) return Object.entries(v).flatMap(([k, x]) => leaves(x, [...prefix, k]));
    return [{ path: prefix, value: v }];
}

function setAt(values: Values, segments: readonly string[], value: unknown): Values {
    const copy = JSON.parse(JSON.stringify(values)) as Values;
    let node = copy;
    for (const s of segments.slice(0, -1)) node = node[s] as Values;
    node[segments[segments.length - 1]] = value;
    return copy;
}

/** The changed values to try for one leaf, in the order of its outcomes; none for what cannot be probed. */
function probesFor(value: unknown): unknown[] {
    if (typeof value === "string") return [EVALUATE, QUOTE];
    if (typeof value === "boolean") return [!value];
    if (typeof value === "number") return [value + 1];
    if (Array.isArray(value) && value.length > 0 && value.every((x) => typeof x === "string")) return [[EVALUATE], [QUOTE]];
    if (Array.isArray(value)) {
        const items = value as unknown[];
        const first = items[0];
        if (isMap(first)) {
            const field = Object.entries(first).find(([, x]) => typeof x === "string")?.[0];
            return field ? [[{ ...first, [field]: EVALUATE }, ...items.slice(1)]] : [[]];
        }
        return [[...items, "probe"]];
    }
    return [];
}

const strings = (v: unknown): string[] =>
    typeof v === "string" ? [v] : Array.isArray(v) ? v.flatMap(strings) : isMap(v) ? Object.values(v).flatMap(strings) : [];

function classify(check: ChartsCheck, release: string, section: ReleaseKey, values: Values, probe: unknown, baseline: string): string {
    const result = templateRelease(check, { name: release, namespace: "pulse", chart: section, version: "", values });
    if ("error" in result) return "error";
    const marker = strings(probe).find((s) => s === EVALUATE || s === QUOTE);
    if (marker === undefined) return JSON.stringify(result.objects) === baseline ? "unchanged" : "changed";
    const text = strings(result.objects);
    if (marker === EVALUATE && text.some((s) => s.includes(`probe-${release}`))) return "evaluated";
    if (text.some((s) => s.includes(marker))) return "literal";
    return text.some((s) => s.includes("probe")) ? "altered" : "absent";
}

/**
 * Every values path the program sets for the checked stacks (tools/stacks.ts), each probed in the first stack that
 * sets it (the CI fixture first: every option on), through the charts of `check`.
 */
export function observeBehaviour(check: ChartsCheck, progress: (line: string) => void = () => undefined): Behaviour {
    const stacks = checkedStacks();
    const order = ["ci", ...stacks.map((s) => s.name).filter((n) => n !== "ci")];
    const configs = order.map((n) => parseStackConfig(stacks.find((s) => s.name === n)!.raw).config);
    const behaviour: Behaviour = {};
    for (const section of RELEASE_KEYS) {
        const release = RELEASES[section].releaseName;
        const valuesOf = RELEASE_BUILDERS[section].values;
        const seen = new Map<string, { values: Values; path: string[]; value: unknown }>();
        for (const c of configs) {
            const values = valuesOf(c);
            for (const leaf of leaves(values)) if (!seen.has(keyOf(leaf.path))) seen.set(keyOf(leaf.path), { values, ...leaf });
        }
        const baselines = new Map<Values, string>();
        const outcomes: Record<string, Outcome> = {};
        for (const [key, { values, path: segments, value }] of [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
            const probes = probesFor(value);
            if (probes.length === 0) continue;
            if (!baselines.has(values)) {
                const base = templateRelease(check, { name: release, namespace: "pulse", chart: section, version: "", values });
                baselines.set(values, "error" in base ? base.error : JSON.stringify(base.objects));
            }
            const found = probes.map((p) => classify(check, release, section, setAt(values, segments, p), p, baselines.get(values)!));
            outcomes[key] = found.length === 2 ? [found[0], found[1]] : found[0];
            progress(`${section} ${key}: ${found.join(", ")}`);
        }
        behaviour[section] = outcomes;
    }
    return behaviour;
}

export function readBehaviour(file = BEHAVIOUR_FILE): Behaviour {
    return YAML.parse(fs.readFileSync(file, "utf8")) as Behaviour;
}

export function writeBehaviour(behaviour: Behaviour, source: string, file = BEHAVIOUR_FILE): void {
    const header = [
        "# How the real charts treat each value the program sets (tools/chartBehaviour.ts): the outcome of changing it, per",
        "# chart and values path; a string's two outcomes are [as `probe-{{ .Release.Name }}`, as `probe\"q\\`]. Generated by",
        "# `npm run test:charts -- <real charts> --record`; the integration suite holds the stand-ins to it. Recorded from",
        `# ${source}.`,
    ].join("\n");
    const doc = new YAML.Document(behaviour);
    YAML.visit(doc, {
        Seq(_, node) {
            node.flow = true;
        },
    });
    fs.writeFileSync(file, `${header}\n${doc.toString({ lineWidth: 0, flowCollectionPadding: false })}`);
}

/** Paths whose outcome differs between two observations: `<chart> <path>: <expected> here, <actual> there`. */
export function behaviourDifferences(expected: Behaviour, actual: Behaviour): string[] {
    const out: string[] = [];
    for (const chart of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
        const e = expected[chart] ?? {};
        const a = actual[chart] ?? {};
        for (const key of [...new Set([...Object.keys(e), ...Object.keys(a)])].sort()) {
            if (JSON.stringify(e[key]) !== JSON.stringify(a[key]))
                out.push(`${chart} ${key}: recorded ${JSON.stringify(e[key] ?? "nothing")}, observed ${JSON.stringify(a[key] ?? "nothing")}`);
        }
    }
    return out;
}

/** The values paths the program sets now, per chart, as the record names them (every one must be recorded). */
export function programPaths(): Record<string, string[]> {
    const configs = checkedStacks().map((s) => parseStackConfig(s.raw).config);
    const out: Record<string, string[]> = {};
    for (const section of RELEASE_KEYS) {
        const keys = new Set(
            configs.flatMap((c) =>
                leaves(RELEASE_BUILDERS[section].values(c))
                    .filter((l) => probesFor(l.value).length > 0)
                    .map((l) => keyOf(l.path)),
            ),
        );
        out[section] = [...keys].sort();
    }
    return out;
}
