/**
 * What every Helm release must have, checked for every entry of the releases' registry (config/releases.ts) with its
 * values builder (components/releases.ts), over the CI fixture (a mirror, pull secrets, every option on): the checks of
 * test/release-recipe.ts (the image mirror and pull secrets in its values where the entry says the chart takes them, the
 * chart's own NetworkPolicies off, pods that meet Pod Security "restricted", the section's scheduling keys merged in,
 * the Secrets it reads named in its values, its extra volumes' reserved mounts, its section, pod labels that name its
 * chart and release, a stand-in chart and the objects its chart renders). Each problem names the release's key and the
 * missing part; the last tests show each check failing on a bad entry. Pod Security, the pod labels and the rendered
 * objects are checked on the rendered charts (tools/charts.ts: `npm run test:charts`, the integration suite).
 */
import { expect } from "chai";
import { GENERIC_RELEASE_KEYS, RELEASE_KEYS, RELEASES } from "../config";
import { TYPES } from "../lib/contracts";
import { chartNetworkPolicyFindings, manifestObjects, podLabelFindings, STAND_IN_CHARTS } from "../tools/charts";
import { build, config, inputs, stackConfig, CI_STACK_FILE } from "./helpers";
import {
    mirrorProblems,
    networkPolicyProblems,
    ownMountsProblems,
    PLACEMENT,
    podLabelProblems,
    RELEASE_CHECKS,
    releaseNameProblems,
    rendersProblems,
    schedulingProblems,
    secretProblems,
    sectionProblems,
    securityProblems,
    standInProblems,
    Subject,
    subjectOf,
} from "./release-recipe";

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
            for (const { title, check } of Object.values(RELEASE_CHECKS)) {
                it(title, () => {
                    expect(check(s, { ci, standIns: STAND_IN_CHARTS })).to.deep.equal([]);
                });
            }
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

        it("extra volumes without the container's own mounts, no section", () => {
            const pg = subjectOf("postgresql");
            expect(ownMountsProblems({ ...pg, entry: { ...pg.entry, ownMounts: undefined } })).to.deep.equal([
                'postgresql: its scheduling block at "primary" takes extraVolumes, and RELEASES.postgresql.ownMounts does not say where its container mounts its own volumes (an extra volume there would clash)',
            ]);
            expect(sectionProblems(bare)).to.deep.equal([
                "redis: no config section (the root schema builds one from each registry entry: config/schema/releases.ts)",
            ]);
            const pinned = { ...pg, entry: { ...pg.entry, source: { ...pg.entry.source, version: "16.0.0" } } };
            expect(sectionProblems(pinned)).to.deep.equal([
                `postgresql: its section's chart.version is "15.5.38" by default, not the entry's source ("16.0.0")`,
            ]);
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
