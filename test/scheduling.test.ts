import { expect } from "chai";
import { PulseConfigInput } from "../config";
import { RecordedResource } from "../tools/mocks";
import { build, buildComponent, config, inputs, ofType, configProblems } from "./helpers";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const JOB = "kubernetes:batch/v1:Job";
const podOf = (rs: RecordedResource[], type: string, namePrefix: string) => {
    const found = ofType(rs, type).find((r) => (inputs(r).metadata.name as string).startsWith(namePrefix));
    if (!found) throw new Error(`no ${type} ${namePrefix}*`);
    return inputs(found).spec.template;
};

/** The same scheduling keys, for any workload section. */
const SCHEDULING: PulseConfigInput["ui"] & object = {
    nodeSelector: { "node.example.com/pool": "pulse" },
    tolerations: [{ key: "dedicated", operator: "Equal", value: "pulse", effect: "NoSchedule" }],
    affinity: {
        nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64"] }] }],
            },
        },
        podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 50, podAffinityTerm: { topologyKey: "topology.kubernetes.io/zone", labelSelector: { matchLabels: { team: "iot" } } } },
            ],
        },
    },
    priorityClassName: "pulse-high",
    podAnnotations: { "example.com/owner": "iot" },
    podLabels: { team: "iot" },
    envFrom: [{ secret: "corp-proxy" }, { configMap: "corp-settings", prefix: "CORP_" }],
    extraVolumes: [{ name: "ca-bundle", configMap: "corp-ca", mountPath: "/etc/ssl/corp" }],
};

const problems = configProblems;

describe("scheduling controls (the same keys in every workload section)", () => {
    it("set nothing by default: no selector, toleration, priority or extra volume on any pod", async () => {
        const { resources } = await build(config());
        for (const r of [...ofType(resources, DEPLOYMENT), ...ofType(resources, JOB)]) {
            const spec = inputs(r).spec.template.spec;
            for (const key of ["nodeSelector", "tolerations", "priorityClassName"]) expect(spec, `${inputs(r).metadata.name} ${key}`).not.to.have.property(key);
            expect(spec.volumes.map((v: { name: string }) => v.name).filter((n: string) => n.startsWith("extra-"))).to.deep.equal([]);
        }
    });

    it("reach a Pulse service's pods, its affinity added to the program's spreading (not replacing it)", async () => {
        const { resources } = await buildComponent("services", config({ ingest: { replicaCount: 2, autoscaling: { enabled: false }, ...SCHEDULING } }));
        const pod = podOf(resources, DEPLOYMENT, "pulse-ingest");
        expect(pod.metadata.labels).to.include({ team: "iot", "app.kubernetes.io/name": "pulse-ingest" });
        expect(pod.metadata.annotations).to.include({ "example.com/owner": "iot" });
        const spec = pod.spec;
        expect(spec.nodeSelector).to.deep.equal(SCHEDULING.nodeSelector);
        expect(spec.tolerations).to.deep.equal(SCHEDULING.tolerations);
        expect(spec.priorityClassName).to.equal("pulse-high");
        expect(spec.affinity.nodeAffinity).to.deep.equal(SCHEDULING.affinity!.nodeAffinity);
        const preferred = spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution;
        expect(preferred.map((t: { podAffinityTerm: { topologyKey: string } }) => t.podAffinityTerm.topologyKey)).to.deep.equal([
            "kubernetes.io/hostname",
            "topology.kubernetes.io/zone",
        ]);
        // The program's zone spreading stays unless the section sets its own.
        expect(spec.topologySpreadConstraints[0].topologyKey).to.equal("topology.kubernetes.io/zone");
        const container = spec.containers[0];
        expect(container.envFrom).to.deep.equal([{ secretRef: { name: "corp-proxy" } }, { configMapRef: { name: "corp-settings" }, prefix: "CORP_" }]);
        expect(spec.volumes).to.deep.include({ name: "extra-ca-bundle", configMap: { name: "corp-ca" } });
        expect(container.volumeMounts).to.deep.include({ name: "extra-ca-bundle", mountPath: "/etc/ssl/corp", readOnly: true });
        // The Deployment's selector is the program's alone: an extra label never changes which pods it owns.
        expect(
            Object.keys(inputs(ofType(resources, DEPLOYMENT).find((r) => inputs(r).metadata.name === "pulse-ingest")!).spec.selector.matchLabels),
        ).not.to.include("team");
    });

    it("replace the zone spreading with the section's own topology spread constraints", async () => {
        const own = [
            { maxSkew: 2, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { team: "iot" } } },
        ];
        const { resources } = await buildComponent(
            "services",
            config({ ingest: { replicaCount: 2, autoscaling: { enabled: false }, topologySpreadConstraints: own } }),
        );
        expect(podOf(resources, DEPLOYMENT, "pulse-ingest").spec.topologySpreadConstraints).to.deep.equal(own);
    });

    it("reach Keycloak, Caddy and the migrator and nats-init Jobs with the same keys", async () => {
        const c = config({ keycloak: SCHEDULING, caddy: { enabled: true, ...SCHEDULING }, migrator: SCHEDULING, natsInit: SCHEDULING });
        // Each pod's own component: four builds, each a fraction of the whole.
        const resources: RecordedResource[] = [];
        for (const key of ["keycloak", "caddy", "migrator", "natsInit"] as const) resources.push(...(await buildComponent(key, c)).resources);
        for (const [type, prefix] of [
            [DEPLOYMENT, "pulse-keycloak"],
            [DEPLOYMENT, "pulse-caddy"],
            [JOB, "pulse-migrator"],
            [JOB, "pulse-nats-init"],
        ]) {
            const pod = podOf(resources, type, prefix);
            expect(pod.spec.nodeSelector, prefix).to.deep.equal(SCHEDULING.nodeSelector);
            expect(pod.spec.priorityClassName, prefix).to.equal("pulse-high");
            expect(pod.metadata.labels, prefix).to.include({ team: "iot" });
            expect(
                pod.spec.volumes.map((v: { name: string }) => v.name),
                prefix,
            ).to.include("extra-ca-bundle");
        }
    });

    it("refuse what the API server would, or what would break the program's own pods, naming the key", () => {
        expect(problems({ ui: { tolerations: [{ key: "k", operator: "Exists", value: "v" }] } })).to.deep.equal([
            'pulse:ui.tolerations[0].value: must be unset with operator Exists, got "v"',
        ]);
        expect(problems({ ui: { tolerations: [{ operator: "Equal", value: "v" }] } })).to.deep.equal([
            "pulse:ui.tolerations[0].key: is required with operator Equal, got nothing",
        ]);
        expect(problems({ ui: { tolerations: [{ key: "k", value: "v", effect: "NoSchedule", tolerationSeconds: 30 }] } })).to.deep.equal([
            "pulse:ui.tolerations[0].tolerationSeconds: applies only with effect NoExecute, got 30",
        ]);
        expect(problems({ keycloak: { envFrom: [{ secret: "a", configMap: "b" }] } })[0]).to.match(
            /^pulse:keycloak.envFrom\[0\]: must name exactly one of secret and configMap/,
        );
        expect(problems({ caddy: { extraVolumes: [{ name: "tmp2", secret: "s", mountPath: "/tmp" }] } })).to.deep.equal([
            'pulse:caddy.extraVolumes[0].mountPath: is used twice, got "/tmp"',
        ]);
        expect(problems({ migrator: { podLabels: { "app.kubernetes.io/name": "x" } } })).to.deep.equal([
            'pulse:migrator.podLabels.app.kubernetes.io/name: is reserved: the program sets app.kubernetes.io/* labels, got "x"',
        ]);
        expect(problems({ natsInit: { extraVolumes: [{ name: "a", configMap: "c", mountPath: "relative" }] } })[0]).to.match(
            /^pulse:natsInit.extraVolumes\[0\].mountPath: must be an absolute path/,
        );
    });
});
