import { expect } from "chai";
import { RELEASE_BUILDERS } from "../components/releases";
import { PulseConfig, PulseConfigInput, RELEASE_KEYS, ReleaseKey } from "../config";
import { EMQX_RELEASE, NATS_RELEASE, POSTGRESQL_RELEASE } from "../lib/contracts";
import { RecordedResource } from "../tools/mocks";
import { buildComponent, config, inputs, releases, configProblems } from "./helpers";

type Values = Record<string, any>;

const NODE_AFFINITY = {
    requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64"] }] }],
    },
};
const OWN_ANTI_AFFINITY = {
    weight: 50,
    podAffinityTerm: { topologyKey: "topology.kubernetes.io/zone", labelSelector: { matchLabels: { team: "iot" } } },
};
const SPREAD = [
    { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { team: "iot" } } },
];

/** The keys every release section shares with the workload sections. */
const PLACEMENT = {
    nodeSelector: { "node.example.com/pool": "data" },
    tolerations: [{ key: "dedicated", operator: "Equal" as const, value: "data", effect: "NoSchedule" as const }],
    affinity: { nodeAffinity: NODE_AFFINITY, podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [OWN_ANTI_AFFINITY] } },
    priorityClassName: "pulse-data",
    topologySpreadConstraints: SPREAD,
    podLabels: { team: "iot" },
    podAnnotations: { "example.com/owner": "iot" },
};
const CA_VOLUME = { name: "corp-ca", configMap: "corp-ca", mountPath: "/etc/ssl/corp" };

/** The values of each release for a config. */
const VALUES = Object.fromEntries(RELEASE_KEYS.map((k) => [k, RELEASE_BUILDERS[k].values])) as Record<ReleaseKey, (c: PulseConfig) => Values>;

/** What Bitnami's default soft anti-affinity preset renders for a component (the chart's own host spreading). */
const bitnamiPreset = (component: string) => ({
    podAffinityTerm: {
        labelSelector: {
            matchLabels: { "app.kubernetes.io/instance": POSTGRESQL_RELEASE, "app.kubernetes.io/name": "postgresql", "app.kubernetes.io/component": component },
        },
        topologyKey: "kubernetes.io/hostname",
    },
    weight: 1,
});

const SCHEDULING_KEYS = ["nodeSelector", "tolerations", "affinity", "priorityClassName", "topologySpreadConstraints", "podLabels", "podAnnotations", "envFrom"];
const ENV_FROM = [{ secret: "corp-proxy" }, { configMap: "nats-tuning", prefix: "NATS_" }];

/** Every key name anywhere in a values tree. */
function keysIn(v: unknown): string[] {
    if (Array.isArray(v)) return v.flatMap(keysIn);
    if (typeof v !== "object" || v === null) return [];
    return Object.entries(v).flatMap(([k, x]) => [k, ...keysIn(x)]);
}

const problems = configProblems;

describe("scheduling controls of the Helm releases (postgresql, emqx, nats)", () => {
    describe("set nothing by default", () => {
        for (const section of RELEASE_KEYS) {
            it(`${section}: no scheduling key in the values, unless configured (nats-box on too)`, () => {
                const defaults = VALUES[section](config({ nats: { natsBox: { enabled: true } } }));
                expect(keysIn(defaults).filter((k) => SCHEDULING_KEYS.includes(k))).to.deep.equal([]);
                // The check sees the keys when they are set (NATS's pod labels and annotations are a Pod's metadata).
                const nats = { natsBox: { enabled: true }, envFrom: ENV_FROM };
                const set = VALUES[section](config({ nats, [section]: section === "nats" ? { ...nats, ...PLACEMENT } : PLACEMENT }));
                const expected = section === "nats" ? SCHEDULING_KEYS.filter((k) => !k.startsWith("pod")) : SCHEDULING_KEYS.filter((k) => k !== "envFrom");
                expect(keysIn(set)).to.include.members(expected);
            });
        }
    });

    describe("postgresql (bitnami/postgresql 15.5.38)", () => {
        const values = VALUES.postgresql(config({ postgresql: { ...PLACEMENT, extraVolumes: [CA_VOLUME] } }));

        it("reach the primary's and the read replicas' pod values", () => {
            for (const [part, component] of [
                ["primary", "primary"],
                ["readReplicas", "read"],
            ]) {
                const v = values[part];
                expect(v.nodeSelector, part).to.deep.equal(PLACEMENT.nodeSelector);
                expect(v.tolerations, part).to.deep.equal(PLACEMENT.tolerations);
                expect(v.priorityClassName, part).to.equal("pulse-data");
                expect(v.topologySpreadConstraints, part).to.deep.equal(SPREAD);
                expect(v.podLabels, part).to.deep.equal({ team: "iot" });
                expect(v.podAnnotations, part).to.deep.equal({ "example.com/owner": "iot" });
                expect(v.extraVolumes, part).to.deep.equal([{ name: "extra-corp-ca", configMap: { name: "corp-ca" } }]);
                expect(v.extraVolumeMounts, part).to.deep.equal([{ name: "extra-corp-ca", mountPath: "/etc/ssl/corp", readOnly: true }]);
                // `affinity` replaces the chart's presets: the chart's spreading over hosts comes along, then the section's terms.
                expect(v.affinity.nodeAffinity, part).to.deep.equal(NODE_AFFINITY);
                expect(v.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution, part).to.deep.equal([
                    bitnamiPreset(component),
                    OWN_ANTI_AFFINITY,
                ]);
            }
        });

        it("keep the program's own primary values beside them", () => {
            expect(values.primary.networkPolicy).to.deep.equal({ enabled: false });
            expect(values.readReplicas.networkPolicy).to.deep.equal({ enabled: false });
            expect(values.primary.persistence.size).to.equal("8Gi");
        });

        it("give the backup CronJob the node selection and tolerations (its only scheduling values)", () => {
            expect(values.backup.cronjob).to.deep.equal({ nodeSelector: PLACEMENT.nodeSelector, tolerations: PLACEMENT.tolerations });
        });

        it("keep the chart's host spreading when only node affinity is set (the chart drops its preset once affinity is set)", () => {
            const v = VALUES.postgresql(config({ postgresql: { affinity: { nodeAffinity: NODE_AFFINITY } } }));
            expect(v.primary.affinity).to.deep.equal({
                nodeAffinity: NODE_AFFINITY,
                podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [bitnamiPreset("primary")] },
            });
            // Without affinity the chart's preset applies on its own: no affinity value at all.
            expect(VALUES.postgresql(config()).primary).not.to.have.property("affinity");
        });
    });

    describe("emqx (emqx 5.8.9)", () => {
        it("reach the chart's top-level pod values; the section's extra volumes follow the program's own", () => {
            const c = config({ emqx: { ...PLACEMENT, extraVolumes: [{ ...CA_VOLUME, configMap: undefined, secret: "corp-ca" }] } });
            const v = VALUES.emqx(c);
            const programs = VALUES.emqx(config());
            expect(v).to.deep.include({
                nodeSelector: PLACEMENT.nodeSelector,
                tolerations: PLACEMENT.tolerations,
                priorityClassName: "pulse-data",
                topologySpreadConstraints: SPREAD,
                podLabels: { team: "iot" },
                podAnnotations: { "example.com/owner": "iot" },
            });
            // The chart spreads nothing itself: the section's affinity is the pods' affinity.
            expect(v.affinity).to.deep.equal(PLACEMENT.affinity);
            expect(v.extraVolumes).to.deep.equal([...programs.extraVolumes, { name: "extra-corp-ca", secret: { secretName: "corp-ca" } }]);
            expect(v.extraVolumeMounts).to.deep.equal([...programs.extraVolumeMounts, { name: "extra-corp-ca", mountPath: "/etc/ssl/corp", readOnly: true }]);
        });
    });

    describe("nats (nats 1.2.11)", () => {
        it("reach the servers' pod template through the chart's merge hook, beside the restricted security context", () => {
            const v = VALUES.nats(config({ nats: PLACEMENT }));
            const merge = v.podTemplate.merge;
            expect(merge.metadata).to.deep.equal({ labels: { team: "iot" }, annotations: { "example.com/owner": "iot" } });
            expect(merge.spec).to.deep.include({
                nodeSelector: PLACEMENT.nodeSelector,
                tolerations: PLACEMENT.tolerations,
                affinity: PLACEMENT.affinity,
                priorityClassName: "pulse-data",
                topologySpreadConstraints: SPREAD,
            });
            expect(merge.spec.securityContext).to.deep.include({ runAsNonRoot: true, runAsUser: 1000 });
            // The chart's own spreading key (a map by topology key) stays unset: the constraints go in as the API has them.
            expect(v.podTemplate).not.to.have.property("topologySpreadConstraints");
            expect(v.natsBox).to.deep.equal({ enabled: false });
        });

        it("give the nats-server container the extra environment through its merge hook, beside its resources", () => {
            const v = VALUES.nats(config({ nats: { envFrom: ENV_FROM } }));
            expect(v.container.merge.envFrom).to.deep.equal([
                { secretRef: { name: "corp-proxy" } },
                { configMapRef: { name: "nats-tuning" }, prefix: "NATS_" },
            ]);
            expect(v.container.merge.resources.limits.memory).to.equal("512Mi");
            expect(v.reloader.merge).not.to.have.property("envFrom");
        });

        it("reach nats-box too when it is on, without the servers' topology spread", () => {
            const merge = VALUES.nats(config({ nats: { ...PLACEMENT, natsBox: { enabled: true } } })).natsBox.podTemplate.merge;
            expect(merge.metadata.labels).to.deep.equal({ team: "iot" });
            expect(merge.spec).to.deep.include({ nodeSelector: PLACEMENT.nodeSelector, tolerations: PLACEMENT.tolerations, priorityClassName: "pulse-data" });
            expect(merge.spec).not.to.have.property("topologySpreadConstraints");
            expect(merge.spec.securityContext).to.deep.include({ runAsNonRoot: true });
        });
    });

    it("reach the Helm releases the program installs", async () => {
        const c = config({ postgresql: PLACEMENT, emqx: PLACEMENT, nats: PLACEMENT });
        // Each release is its component's.
        const resources: RecordedResource[] = [];
        for (const key of ["database", "emqx", "nats"] as const) resources.push(...(await buildComponent(key, c)).resources);
        const values = (release: string) => inputs(releases(resources, release)[0]).values;
        expect(values(POSTGRESQL_RELEASE).primary.nodeSelector).to.deep.equal(PLACEMENT.nodeSelector);
        expect(values(EMQX_RELEASE).tolerations).to.deep.equal(PLACEMENT.tolerations);
        expect(values(NATS_RELEASE).podTemplate.merge.spec.priorityClassName).to.equal("pulse-data");
    });

    describe("refuse bad input, naming the key", () => {
        for (const section of RELEASE_KEYS) {
            it(`${section}: a reserved pod label, an unknown toleration operator, a bad toleration, a bad affinity, a bad PriorityClass name`, () => {
                expect(problems({ [section]: { podLabels: { "app.kubernetes.io/name": "x" } } })).to.deep.equal([
                    `pulse:${section}.podLabels.app.kubernetes.io/name: is reserved: the program sets app.kubernetes.io/* labels, got "x"`,
                ]);
                expect(problems({ [section]: { tolerations: [{ key: "k", operator: "Like", value: "v" }] } })[0]).to.match(
                    new RegExp(`^pulse:${section}\\.tolerations\\[0\\]\\.operator: must be Exists or Equal`),
                );
                expect(problems({ [section]: { tolerations: [{ key: "k", operator: "Exists", value: "v" }] } })).to.deep.equal([
                    `pulse:${section}.tolerations[0].value: must be unset with operator Exists, got "v"`,
                ]);
                expect(problems({ [section]: { affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: "x" } } } })[0]).to.match(
                    new RegExp(`^pulse:${section}\\.affinity\\.podAntiAffinity\\.preferredDuringSchedulingIgnoredDuringExecution:`),
                );
                expect(problems({ [section]: { priorityClassName: "Not_A_Name" } })[0]).to.match(new RegExp(`^pulse:${section}\\.priorityClassName:`));
                expect(problems({ [section]: { nodeSelector: { pool: 3 } } })[0]).to.match(new RegExp(`^pulse:${section}\\.nodeSelector\\.pool:`));
            });
        }

        for (const section of ["postgresql", "emqx"] as const) {
            it(`${section}: no envFrom (the chart cannot take a list of sources)`, () => {
                expect(problems({ [section]: { envFrom: [{ secret: "corp-proxy" }] } })).to.deep.equal([`pulse:${section}.envFrom: unknown key`]);
            });
        }

        it("nats: an envFrom source naming both a Secret and a ConfigMap", () => {
            expect(problems({ nats: { envFrom: [{ secret: "a", configMap: "b" }] } })[0]).to.match(
                /^pulse:nats\.envFrom\[0\]: must name exactly one of secret and configMap/,
            );
        });

        it("nats: no extraVolumes (the chart's merge hook would replace the pod's volumes)", () => {
            expect(problems({ nats: { extraVolumes: [CA_VOLUME] } as PulseConfigInput["nats"] })).to.deep.equal(["pulse:nats.extraVolumes: unknown key"]);
        });

        it("emqx: the chart's own pod labels app and version", () => {
            expect(problems({ emqx: { podLabels: { app: "x", version: "1" } } })).to.deep.equal([
                'pulse:emqx.podLabels.app: is reserved: the chart sets this label on its pods, got "x"',
                'pulse:emqx.podLabels.version: is reserved: the chart sets this label on its pods, got "1"',
            ]);
            expect(problems({ postgresql: { podLabels: { app: "x" } } })).to.deep.equal([]);
        });

        it("an extra volume where the container mounts its own: the chart's, or the program's Secrets", () => {
            expect(problems({ postgresql: { extraVolumes: [{ name: "x", secret: "s", mountPath: "/bitnami/postgresql" }] } })).to.deep.equal([
                'pulse:postgresql.extraVolumes[0].mountPath: is used twice, got "/bitnami/postgresql"',
            ]);
            expect(problems({ postgresql: { extraVolumes: [CA_VOLUME, { ...CA_VOLUME, mountPath: "/etc/ssl/other" }] } })).to.deep.equal([
                'pulse:postgresql.extraVolumes[1].name: is used twice, got "corp-ca"',
            ]);
            // Every mount the program gives EMQX is refused, so the list cannot drift from components/emqx.ts.
            const everything = config({ emqx: { deviceTls: { certManager: { issuer: "letsencrypt" }, deviceCaSecret: "device-ca" } } });
            const own = (VALUES.emqx(everything).extraVolumeMounts as { mountPath: string }[]).map((m) => m.mountPath);
            expect(own).to.have.length(3);
            for (const mountPath of [...own, "/opt/emqx/data"]) {
                expect(problems({ emqx: { extraVolumes: [{ name: "x", secret: "s", mountPath }] } }), mountPath).to.deep.equal([
                    `pulse:emqx.extraVolumes[0].mountPath: is used twice, got "${mountPath}"`,
                ]);
            }
        });
    });
});
