/**
 * What every Helm release must have, as checks: each takes a release (its registry entry, its builders, its section)
 * and what the checks read beside the registry (the CI fixture, the stand-in charts), and names the release's key and
 * the missing part. test/releases.test.ts runs them over every entry of the registry (config/releases.ts);
 * test/add-a-release.test.ts proves that each names a new release lacking its part (docs/development.md, "Add a Helm
 * release").
 */
import * as fs from "fs";
import * as path from "path";
import { isDeepStrictEqual } from "util";
import * as YAML from "yaml";
import { z } from "zod";
import { RELEASE_BUILDERS } from "../components/releases";
import { PulseConfig, pulseConfigSchema, ReleaseEntry, RELEASES, ReleaseKey } from "../config";
import { schedulingValues } from "../lib/releaseScheduling";
import { STAND_IN_CHARTS } from "../tools/charts";
import { PodSpec, restrictedViolations } from "../tools/podSecurity";
import { PROJECT_DIR } from "../tools/stackfile";
import { config } from "./helpers";

type Values = Record<string, unknown>;

/** A release as the checks see it: its registry entry and its builders, over a whole config. */
export interface Subject {
    readonly key: string;
    readonly entry: ReleaseEntry;
    readonly values: (c: PulseConfig) => Values;
    /** The section's scheduling keys as the chart's values. */
    readonly scheduling: (c: PulseConfig) => Values;
    readonly secrets: (c: PulseConfig) => string[];
    /** Its config section's schema (the root schema's, or `entrySection` for an entry not in the registry). */
    readonly section?: z.ZodType;
}

export const subjectOf = (key: ReleaseKey): Subject => ({
    key,
    entry: RELEASES[key],
    values: RELEASE_BUILDERS[key].values,
    scheduling: (c) => schedulingValues(key, c[key]),
    secrets: RELEASE_BUILDERS[key].secrets,
    section: pulseConfigSchema.shape[key],
});

const isMap = (v: unknown): v is Values => typeof v === "object" && v !== null && !Array.isArray(v);
const valueAt = (values: unknown, dotted: string): unknown => dotted.split(".").reduce<unknown>((v, k) => (isMap(v) ? v[k] : undefined), values);
const rel = (p: string) => path.relative(PROJECT_DIR, p);

/** The paths of `sub` that `values` lacks: maps key by key, each item of a list among the list's items, scalars equal. */
function lacking(values: unknown, sub: unknown, at = ""): string[] {
    const join = (k: string) => (at ? `${at}.${k}` : k);
    if (isMap(sub)) return isMap(values) ? Object.entries(sub).flatMap(([k, v]) => lacking(values[k], v, join(k))) : [at];
    if (Array.isArray(sub)) return Array.isArray(values) && sub.every((x) => values.some((y) => isDeepStrictEqual(x, y))) ? [] : [at];
    return isDeepStrictEqual(values, sub) ? [] : [at];
}

const strings = (v: unknown): string[] =>
    typeof v === "string" ? [v] : Array.isArray(v) ? v.flatMap(strings) : isMap(v) ? Object.values(v).flatMap(strings) : [];

/** `c` must set `global.imageRegistry` and `global.imagePullSecrets`. */
export function mirrorProblems(s: Subject, c: PulseConfig): string[] {
    const values = s.values(c);
    const { registry, pullSecrets } = s.entry.images;
    const mirror = valueAt(values, registry.path);
    const applied = registry.as === "value" ? mirror === c.global.imageRegistry : typeof mirror === "string" && mirror.startsWith(`${c.global.imageRegistry}/`);
    const secrets = valueAt(values, pullSecrets);
    return [
        ...(applied
            ? []
            : [
                  `${s.key}: the values carry no image mirror (global.imageRegistry) at ${registry.path} (RELEASES.${s.key}.images.registry), got ${JSON.stringify(mirror)}`,
              ]),
        ...(isDeepStrictEqual(secrets, c.global.imagePullSecrets)
            ? []
            : [
                  `${s.key}: the values carry no pull secrets (global.imagePullSecrets) at ${pullSecrets} (RELEASES.${s.key}.images.pullSecrets), got ${JSON.stringify(secrets)}`,
              ]),
    ];
}

/** Each declared switch of the chart's NetworkPolicies is false in `c` (every option on); as many switches as the stand-in has NetworkPolicies. */
export function networkPolicyProblems(s: Subject, c: PulseConfig, standIns = STAND_IN_CHARTS): string[] {
    const values = s.values(c);
    const on = s.entry.chartNetworkPolicies
        .filter((p) => valueAt(values, p) !== false)
        .map(
            (p) =>
                `${s.key}: ${p} is ${JSON.stringify(valueAt(values, p))}, not false: the chart's own NetworkPolicy stays on (RELEASES.${s.key}.chartNetworkPolicies)`,
        );
    const templates = path.join(standIns, `${s.entry.chart}-${s.entry.source.version}`, "templates");
    const rendered = fs.existsSync(templates)
        ? fs.readdirSync(templates).flatMap((f) => fs.readFileSync(path.join(templates, f), "utf8").match(/^kind: NetworkPolicy$/gm) ?? []).length
        : 0;
    const unswitched =
        rendered > s.entry.chartNetworkPolicies.length
            ? [
                  `${s.key}: the stand-in chart renders ${rendered} NetworkPolicies, RELEASES.${s.key}.chartNetworkPolicies names ${s.entry.chartNetworkPolicies.length} switches`,
              ]
            : [];
    return [...on, ...unswitched];
}

/** With every placement key set for the section, the values hold the section's scheduling values. */
export function schedulingProblems(s: Subject, c: PulseConfig): string[] {
    const missing = lacking(s.values(c), s.scheduling(c));
    return missing.length === 0
        ? []
        : [`${s.key}: the values lack the section's scheduling keys (schedulingValues, merged in with withScheduling) at ${missing.join(", ")}`];
}

export function secretProblems(s: Subject, c: PulseConfig): string[] {
    const named = strings(s.values(c));
    return s
        .secrets(c)
        .filter((name) => !named.includes(name))
        .map((name) => `${s.key}: the Secret ${name} it reads (RELEASE_BUILDERS.${s.key}.secrets) is named nowhere in its values`);
}

export function releaseNameProblems(s: Subject): string[] {
    const { releaseName, chart } = s.entry;
    return releaseName.includes(chart)
        ? []
        : [`${s.key}: release name ${releaseName} does not contain the chart's name ${chart}: the chart would name its objects ${releaseName}-${chart}`];
}

/** Helm's merge of a chart's default values with the given ones: maps key by key, anything else replaces. */
const overDefaults = (defaults: unknown, given: unknown): unknown =>
    isMap(defaults) && isMap(given)
        ? Object.fromEntries(
              [...new Set([...Object.keys(defaults), ...Object.keys(given)])].map((k) => [k, k in given ? overDefaults(defaults[k], given[k]) : defaults[k]]),
          )
        : (given ?? defaults);

/** Each pod `c` renders, its security contexts over the stand-in chart's defaults, under Pod Security "restricted". */
export function securityProblems(s: Subject, c: PulseConfig, standIns = STAND_IN_CHARTS): string[] {
    if (s.entry.securityContexts.length === 0) {
        return [`${s.key}: RELEASES.${s.key}.securityContexts names no pod: nothing holds the chart's pods to Pod Security "restricted"`];
    }
    const values = s.values(c);
    const file = path.join(standIns, `${s.entry.chart}-${s.entry.source.version}`, "values.yaml");
    const defaults: unknown = fs.existsSync(file) ? YAML.parse(fs.readFileSync(file, "utf8")) : {};
    // Bitnami's and EMQX's charts render a context only with its `enabled`, and without that key.
    const context = (p: string): Values => {
        const merged = overDefaults(valueAt(defaults, p), valueAt(values, p));
        if (!isMap(merged) || merged.enabled === false) return {};
        const { enabled: _, ...ctx } = merged;
        return ctx;
    };
    return s.entry.securityContexts
        .filter((part) => part.when === undefined || valueAt(values, part.when) === true)
        .flatMap((part) => {
            const spec = { securityContext: context(part.pod), containers: part.containers.map((p) => ({ name: p, securityContext: context(p) })) } as PodSpec;
            return restrictedViolations(spec).map(
                (v) => `${s.key}: the pod at ${part.pod} fails Pod Security "restricted" (RELEASES.${s.key}.securityContexts): ${v}`,
            );
        });
}

/**
 * The entry's `pods` name its chart and release as the charts label every pod (a copied entry's labels would select
 * another release's pods). Whether the chart really puts them on every pod is for the rendered charts to tell
 * (podLabelFindings).
 */
export function podLabelProblems(s: Subject): string[] {
    const { chart, releaseName, pods } = s.entry;
    const want = { "app.kubernetes.io/name": chart, "app.kubernetes.io/instance": releaseName };
    return Object.entries(want)
        .filter(([k, v]) => pods[k] !== v)
        .map(([k, v]) => `${s.key}: RELEASES.${s.key}.pods has ${k}=${pods[k]}, not ${v}: the label every pod of ${releaseName} carries`);
}

export function standInProblems(s: Subject, standIns = STAND_IN_CHARTS): string[] {
    const { chart, source } = s.entry;
    const file = path.join(standIns, `${chart}-${source.version}`, "Chart.yaml");
    if (!fs.existsSync(file)) return [`${s.key}: no stand-in chart ${rel(file)} (chart ${chart} ${source.version})`];
    const meta = YAML.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
    return meta.name === chart && String(meta.version) === source.version
        ? []
        : [`${s.key}: the stand-in chart ${rel(file)} is ${meta.name} ${meta.version}, not ${chart} ${source.version}`];
}

export function rendersProblems(s: Subject): string[] {
    return s.entry.renders.length > 0 ? [] : [`${s.key}: RELEASES.${s.key}.renders lists no objects (what its chart renders by default)`];
}

/** Every placement key the release sections share (config/schema/scheduling.ts). */
export const PLACEMENT = {
    nodeSelector: { "node.example.com/pool": "data" },
    tolerations: [{ key: "dedicated", operator: "Equal" as const, value: "data", effect: "NoSchedule" as const }],
    affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [] } }] } },
    priorityClassName: "pulse-data",
    topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway" }],
    podLabels: { team: "iot" },
    podAnnotations: { "example.com/owner": "iot" },
};

/** A release's extra volumes refuse the container's own mounts: a block that takes them needs the entry's `ownMounts`. */
export function ownMountsProblems(s: Subject): string[] {
    const takes = (s.entry.scheduling ?? []).filter((b) => b.keys === undefined || b.keys.includes("extraVolumes"));
    return takes.length === 0 || s.entry.ownMounts !== undefined
        ? []
        : [
              `${s.key}: its scheduling block at "${takes[0].at}" takes extraVolumes, and RELEASES.${s.key}.ownMounts does not say where its container mounts its own volumes (an extra volume there would clash)`,
          ];
}

/** The section, built from the entry: `enabled`, the `chart` block with the entry's source as defaults, a bad value named by its key. */
export function sectionProblems(s: Subject): string[] {
    if (s.section === undefined) return [`${s.key}: no config section (the root schema builds one from each registry entry: config/schema/releases.ts)`];
    const defaults = s.section.parse({}) as { enabled?: unknown; chart?: Record<string, unknown> };
    const source = Object.entries(s.entry.source).filter(([k, v]) => defaults.chart?.[k] !== v);
    const bad = s.section.safeParse({ chart: { timeoutSeconds: 1 } });
    const named = bad.success ? [] : bad.error.issues.map((i) => i.path.join("."));
    return [
        ...(defaults.enabled === true ? [] : [`${s.key}: its section's enabled is ${JSON.stringify(defaults.enabled)} by default, not true`]),
        ...source.map(
            ([k, v]) =>
                `${s.key}: its section's chart.${k} is ${JSON.stringify(defaults.chart?.[k])} by default, not the entry's source (${JSON.stringify(v)})`,
        ),
        ...(isDeepStrictEqual(named, ["chart.timeoutSeconds"])
            ? []
            : [`${s.key}: chart.timeoutSeconds 1 is refused at ${JSON.stringify(named)}, not at chart.timeoutSeconds`]),
    ];
}

/**
 * What the checks read beside the registry: the CI fixture's config and the stand-in charts. The chart's facts (the
 * objects it renders, its pods' labels) are the entry's own: `renders` and `pods`.
 */
export interface Records {
    /** The CI fixture (a mirror, pull secrets, every option on), the release's section included. */
    readonly ci: PulseConfig;
    readonly standIns: string;
}

/** A config with release `s`'s section set to `input` over the defaults. */
const configWith = (s: Subject, input: unknown): PulseConfig => ({ ...config(), [s.key]: s.section?.parse(input) });

interface ReleaseCheck {
    /** What the check holds the release to. */
    readonly title: string;
    /** Where the part it checks goes, as docs/development.md's "Add a Helm release" names it (in backticks). */
    readonly named: string;
    readonly check: (s: Subject, r: Records) => string[];
}

/** Every check of a release, each naming the part of "Add a Helm release" it finds missing. */
export const RELEASE_CHECKS = {
    mirror: {
        title: "its values carry the image mirror and the pull secrets where its chart takes them",
        named: "images",
        check: (s, r) => mirrorProblems(s, r.ci),
    },
    networkPolicies: {
        title: "its values switch the chart's own NetworkPolicies off",
        named: "chartNetworkPolicies",
        check: (s, r) => networkPolicyProblems(s, r.ci, r.standIns),
    },
    scheduling: {
        title: "its values hold the section's scheduling keys",
        named: "withScheduling",
        check: (s) => schedulingProblems(s, configWith(s, PLACEMENT)),
    },
    secrets: { title: "its values name every Secret it reads", named: "RELEASE_BUILDERS", check: (s, r) => secretProblems(s, r.ci) },
    podSecurity: {
        title: "its pods meet Pod Security 'restricted': the values' security contexts over the chart's defaults",
        named: "securityContexts",
        check: (s, r) => securityProblems(s, r.ci, r.standIns),
    },
    releaseName: { title: "its release name makes the chart name its objects after the release", named: "releaseName", check: (s) => releaseNameProblems(s) },
    ownMounts: { title: "its extra volumes refuse its container's own mounts", named: "ownMounts", check: (s) => ownMountsProblems(s) },
    section: {
        title: "its section has `enabled` and the `chart` block, whose defaults are the entry's source; a bad value names the key",
        named: "config/schema/releases.ts",
        check: (s) => sectionProblems(s),
    },
    podLabels: { title: "its pod labels name its chart and release", named: "pods", check: (s) => podLabelProblems(s) },
    standIn: {
        title: "has a stand-in chart at its pinned version",
        named: "test/fixtures/charts/<chart>-<version>/",
        check: (s, r) => standInProblems(s, r.standIns),
    },
    renders: { title: "lists the objects its chart renders", named: "renders", check: (s) => rendersProblems(s) },
} as const satisfies Record<string, ReleaseCheck>;
