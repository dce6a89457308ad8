/**
 * What every Helm release must have, checked for every entry of the releases' registry (config/releases.ts) with its
 * values builder (components/releases.ts), over the CI fixture (a mirror, pull secrets, every option on): the image mirror
 * and pull secrets in its values where the entry says the chart takes them, the chart's own NetworkPolicies off, pods
 * that meet Pod Security "restricted", the section's scheduling keys merged in, the Secrets it reads named in its
 * values, pod labels that name its chart and release, a stand-in chart and the objects its chart renders. Each problem
 * names the release's key and the missing part; the last tests show each check failing on a bad entry. Pod Security,
 * the pod labels and the rendered objects are checked on the rendered charts (tools/charts.ts: `npm run test:charts`,
 * the integration suite).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { isDeepStrictEqual } from "util";
import * as YAML from "yaml";
import { RELEASE_BUILDERS } from "../components/releases";
import { GENERIC_RELEASE_KEYS, PulseConfig, RELEASE_KEYS, ReleaseEntry, RELEASES, ReleaseKey } from "../config";
import { TYPES } from "../lib/contracts";
import { schedulingValues } from "../lib/releaseScheduling";
import { chartNetworkPolicyFindings, manifestObjects, podLabelFindings, STAND_IN_CHARTS } from "../tools/charts";
import { PodSpec, restrictedViolations } from "../tools/podSecurity";
import { PROJECT_DIR } from "../tools/stackfile";
import { build, config, configProblems, inputs, stackConfig, CI_STACK_FILE } from "./helpers";

type Values = Record<string, unknown>;

/** A release as the checks see it: its registry entry and its builders, over a whole config. */
interface Subject {
    readonly key: string;
    readonly entry: ReleaseEntry;
    readonly values: (c: PulseConfig) => Values;
    /** The section's scheduling keys as the chart's values. */
    readonly scheduling: (c: PulseConfig) => Values;
    readonly secrets: (c: PulseConfig) => string[];
}

const subjectOf = (key: ReleaseKey): Subject => ({
    key,
    entry: RELEASES[key],
    values: RELEASE_BUILDERS[key].values,
    scheduling: (c) => schedulingValues(key, c[key]),
    secrets: RELEASE_BUILDERS[key].secrets,
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
function mirrorProblems(s: Subject, c: PulseConfig): string[] {
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
function networkPolicyProblems(s: Subject, c: PulseConfig, standIns = STAND_IN_CHARTS): string[] {
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
function schedulingProblems(s: Subject, c: PulseConfig): string[] {
    const missing = lacking(s.values(c), s.scheduling(c));
    return missing.length === 0
        ? []
        : [`${s.key}: the values lack the section's scheduling keys (schedulingValues, merged in with withScheduling) at ${missing.join(", ")}`];
}

function secretProblems(s: Subject, c: PulseConfig): string[] {
    const named = strings(s.values(c));
    return s
        .secrets(c)
        .filter((name) => !named.includes(name))
        .map((name) => `${s.key}: the Secret ${name} it reads (RELEASE_BUILDERS.${s.key}.secrets) is named nowhere in its values`);
}

function releaseNameProblems(s: Subject): string[] {
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
function securityProblems(s: Subject, c: PulseConfig, standIns = STAND_IN_CHARTS): string[] {
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
function podLabelProblems(s: Subject): string[] {
    const { chart, releaseName, pods } = s.entry;
    const want = { "app.kubernetes.io/name": chart, "app.kubernetes.io/instance": releaseName };
    return Object.entries(want)
        .filter(([k, v]) => pods[k] !== v)
        .map(([k, v]) => `${s.key}: RELEASES.${s.key}.pods has ${k}=${pods[k]}, not ${v}: the label every pod of ${releaseName} carries`);
}

function standInProblems(s: Subject, standIns = STAND_IN_CHARTS): string[] {
    const { chart, source } = s.entry;
    const file = path.join(standIns, `${chart}-${source.version}`, "Chart.yaml");
    if (!fs.existsSync(file)) return [`${s.key}: no stand-in chart ${rel(file)} (chart ${chart} ${source.version})`];
    const meta = YAML.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
    return meta.name === chart && String(meta.version) === source.version
        ? []
        : [`${s.key}: the stand-in chart ${rel(file)} is ${meta.name} ${meta.version}, not ${chart} ${source.version}`];
}

function rendersProblems(s: Subject): string[] {
    return s.entry.renders.length > 0 ? [] : [`${s.key}: RELEASES.${s.key}.renders lists no objects (what its chart renders by default)`];
}

/** Every placement key the release sections share (config/schema/scheduling.ts). */
const PLACEMENT = {
    nodeSelector: { "node.example.com/pool": "data" },
    tolerations: [{ key: "dedicated", operator: "Equal" as const, value: "data", effect: "NoSchedule" as const }],
    affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [] } }] } },
    priorityClassName: "pulse-data",
    topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway" }],
    podLabels: { team: "iot" },
    podAnnotations: { "example.com/owner": "iot" },
};

describe("every Helm release (config/releases.ts, components/releases.ts)", () => {
    // The CI fixture: a mirror, pull secrets and every option on (replication, backups, device TLS, nats-box, metrics).
    const ci = stackConfig(CI_STACK_FILE);

    it("the CI fixture sets what these checks need", () => {
        expect(ci.global.imageRegistry).not.to.equal("");
        expect(ci.global.imagePullSecrets).not.to.deep.equal([]);
    });

    for (const key of RELEASE_KEYS) {
        describe(key, () => {
            const s = subjectOf(key);
            it("its values carry the image mirror and the pull secrets where its chart takes them", () => {
                expect(mirrorProblems(s, ci)).to.deep.equal([]);
            });
            it("its values switch the chart's own NetworkPolicies off", () => {
                expect(networkPolicyProblems(s, ci)).to.deep.equal([]);
            });
            it("its values hold the section's scheduling keys", () => {
                expect(schedulingProblems(s, config({ [key]: PLACEMENT }))).to.deep.equal([]);
            });
            it("its values name every Secret it reads", () => {
                expect(secretProblems(s, ci)).to.deep.equal([]);
            });
            it("its pods meet Pod Security 'restricted': the values' security contexts over the chart's defaults", () => {
                expect(securityProblems(s, ci)).to.deep.equal([]);
            });
            it("its release name makes the chart name its objects after the release", () => {
                expect(releaseNameProblems(s)).to.deep.equal([]);
            });
            it("its pod labels name its chart and release", () => {
                expect(podLabelProblems(s)).to.deep.equal([]);
            });
            it("has a stand-in chart at its pinned version and lists the objects its chart renders", () => {
                expect([...standInProblems(s), ...rendersProblems(s)]).to.deep.equal([]);
            });
            it("its section has `enabled` and the `chart` block, whose defaults are the entry's source; a bad value names the key", () => {
                const section = config()[key];
                expect(section.enabled).to.equal(true);
                expect(section.chart).to.deep.include(RELEASES[key].source);
                expect(configProblems({ [key]: { chart: { timeoutSeconds: 1 } } })).to.deep.equal([
                    `pulse:${key}.chart.timeoutSeconds: must be an integer >= 60, got 1`,
                ]);
            });
        });
    }

    describe("the releases the generic component installs (components/release.ts): the entries with a `type`", () => {
        it("each has a type token of its own: no other entry's, no component's in TYPES", () => {
            const tokens = GENERIC_RELEASE_KEYS.map((k) => RELEASES[k].type);
            expect(tokens).to.include("pulse:nats:Nats");
            expect(new Set(tokens).size).to.equal(tokens.length);
            expect(tokens.filter((t) => (Object.values(TYPES) as string[]).includes(t))).to.deep.equal([]);
        });
        for (const key of GENERIC_RELEASE_KEYS) {
            it(`${key}: the platform creates pulse-${key} (${RELEASES[key].type}) and its Release from the entry and the section`, async () => {
                const { resources } = await build(config());
                const components = resources.filter((r) => r.type === RELEASES[key].type);
                expect(components.map((r) => r.name)).to.deep.equal([`pulse-${key}`]);
                const children = resources.filter((r) => r.parent === components[0].urn);
                expect(children.map((r) => [r.type, r.name, inputs(r).name, inputs(r).version])).to.deep.equal([
                    ["kubernetes:helm.sh/v3:Release", `pulse-${key}-release`, RELEASES[key].releaseName, RELEASES[key].source.version],
                ]);
            });
        }
    });

    describe("each check names the release and the missing part (the checks can fail)", () => {
        // A fourth release with a bare registry entry and nothing else: no values, no stand-in chart.
        const bare: Subject = {
            key: "redis",
            entry: {
                ...RELEASES.nats,
                chart: "redis",
                releaseName: "pulse-cache",
                pods: { "app.kubernetes.io/name": "redis", "app.kubernetes.io/instance": "pulse-cache" },
                renders: [],
                source: { ...RELEASES.nats.source, version: "20.1.0" },
            },
            values: () => ({}),
            scheduling: () => ({ nodeSelector: PLACEMENT.nodeSelector }),
            secrets: () => ["pulse-redis-auth"],
        };

        it("the image mirror and pull secrets not applied", () => {
            expect(mirrorProblems(bare, ci)).to.deep.equal([
                "redis: the values carry no image mirror (global.imageRegistry) at global.image.registry (RELEASES.redis.images.registry), got undefined",
                "redis: the values carry no pull secrets (global.imagePullSecrets) at global.image.pullSecretNames (RELEASES.redis.images.pullSecrets), got undefined",
            ]);
            // A prefix mapping wants `<registry>/` in front of the repository.
            const prefixed: Subject = {
                ...bare,
                entry: { ...bare.entry, images: { registry: { path: "image.repository", as: "prefix" }, pullSecrets: "image.pullSecrets" } },
                values: (c) => ({ image: { repository: "redis", pullSecrets: c.global.imagePullSecrets } }),
            };
            expect(mirrorProblems(prefixed, ci)).to.deep.equal([
                'redis: the values carry no image mirror (global.imageRegistry) at image.repository (RELEASES.redis.images.registry), got "redis"',
            ]);
        });

        it("a chart NetworkPolicy left on, or not switched at all", () => {
            const pg = subjectOf("postgresql");
            const on: Subject = { ...pg, values: (c) => ({ ...pg.values(c), primary: { networkPolicy: { enabled: true } } }) };
            expect(networkPolicyProblems(on, ci)).to.deep.equal([
                "postgresql: primary.networkPolicy.enabled is true, not false: the chart's own NetworkPolicy stays on (RELEASES.postgresql.chartNetworkPolicies)",
            ]);
            const unswitched: Subject = { ...pg, entry: { ...pg.entry, chartNetworkPolicies: [] } };
            expect(networkPolicyProblems(unswitched, ci)).to.deep.equal([
                "postgresql: the stand-in chart renders 3 NetworkPolicies, RELEASES.postgresql.chartNetworkPolicies names 0 switches",
            ]);
        });

        it("a pod Pod Security 'restricted' refuses, or none declared", () => {
            const head = (problems: string[]) => problems.map((p) => p.split(": ").slice(0, 3).join(": "));
            // No values: no security context anywhere.
            expect(head(securityProblems(bare, ci))).to.deep.equal(
                ["allowPrivilegeEscalation", "runAsNonRoot", "seccompProfile", "capabilities"].map(
                    (v) => `redis: the pod at podTemplate.merge.spec.securityContext fails Pod Security "restricted" (RELEASES.redis.securityContexts): ${v}`,
                ),
            );
            const emqx = subjectOf("emqx");
            const root: Subject = { ...emqx, values: (c) => ({ ...emqx.values(c), containerSecurityContext: { enabled: true, runAsUser: 0 } }) };
            expect(head(securityProblems(root, ci))).to.deep.equal([
                'emqx: the pod at podSecurityContext fails Pod Security "restricted" (RELEASES.emqx.securityContexts): allowPrivilegeEscalation',
                'emqx: the pod at podSecurityContext fails Pod Security "restricted" (RELEASES.emqx.securityContexts): runAsUser',
                'emqx: the pod at podSecurityContext fails Pod Security "restricted" (RELEASES.emqx.securityContexts): capabilities',
            ]);
            const undeclared: Subject = { ...bare, entry: { ...bare.entry, securityContexts: [] } };
            expect(securityProblems(undeclared, ci)).to.deep.equal([
                'redis: RELEASES.redis.securityContexts names no pod: nothing holds the chart\'s pods to Pod Security "restricted"',
            ]);
        });

        it("the scheduling keys not merged in, a Secret it reads not in the values", () => {
            expect(schedulingProblems(bare, ci)).to.deep.equal([
                "redis: the values lack the section's scheduling keys (schedulingValues, merged in with withScheduling) at nodeSelector",
            ]);
            expect(secretProblems(bare, ci)).to.deep.equal([
                "redis: the Secret pulse-redis-auth it reads (RELEASE_BUILDERS.redis.secrets) is named nowhere in its values",
            ]);
        });

        it("a release name without the chart's, pod labels of another chart or release", () => {
            expect(releaseNameProblems(bare)).to.deep.equal([
                "redis: release name pulse-cache does not contain the chart's name redis: the chart would name its objects pulse-cache-redis",
            ]);
            expect(podLabelProblems(bare)).to.deep.equal([]);
            // An entry copied from NATS's, its pods' labels left as they were.
            const copied: Subject = { ...bare, entry: { ...bare.entry, pods: RELEASES.nats.pods } };
            expect(podLabelProblems(copied)).to.deep.equal([
                "redis: RELEASES.redis.pods has app.kubernetes.io/name=nats, not redis: the label every pod of pulse-cache carries",
                "redis: RELEASES.redis.pods has app.kubernetes.io/instance=pulse-nats, not pulse-cache: the label every pod of pulse-cache carries",
            ]);
        });

        it("no stand-in chart, or one of another version; no objects listed", () => {
            expect(standInProblems(bare)).to.deep.equal(["redis: no stand-in chart test/fixtures/charts/redis-20.1.0/Chart.yaml (chart redis 20.1.0)"]);
            const nats = subjectOf("nats");
            const bumped: Subject = { ...nats, entry: { ...nats.entry, source: { ...nats.entry.source, version: "1.3.0" } } };
            expect(standInProblems(bumped)).to.deep.equal(["nats: no stand-in chart test/fixtures/charts/nats-1.3.0/Chart.yaml (chart nats 1.3.0)"]);
            expect(rendersProblems(bare)).to.deep.equal(["redis: RELEASES.redis.renders lists no objects (what its chart renders by default)"]);
        });

        it("on the rendered charts (tools/charts.ts): a chart's own NetworkPolicy, a pod without the entry's labels", () => {
            const objects = manifestObjects(
                [
                    "kind: NetworkPolicy\nmetadata: {name: pulse-nats}",
                    "kind: Deployment\nmetadata: {name: pulse-nats-box}\nspec:\n  template:\n    metadata:\n      labels: {app.kubernetes.io/name: nats}",
                ].join("\n---\n"),
                "pulse",
            );
            expect(chartNetworkPolicyFindings("nats", objects)).to.deep.equal([
                "network-policy: NetworkPolicy pulse/pulse-nats: the nats chart's own; switch it off in its values and list the switch in RELEASES.nats.chartNetworkPolicies",
            ]);
            expect(podLabelFindings("nats", objects)).to.deep.equal([
                "pod-labels: Deployment pulse/pulse-nats-box spec.template: lacks app.kubernetes.io/instance=pulse-nats, which RELEASES.nats.pods names",
            ]);
        });
    });
});
