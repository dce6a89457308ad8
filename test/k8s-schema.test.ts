import { expect } from "chai";
import { RELEASE_KEYS, ReleaseEntry, RELEASES } from "../config";
import { kubernetesManifests } from "../tools/render";
import { CI_STACK_FILE, inputs, renderStack } from "./helpers";

interface Model {
    validate(): void;
}
type ModelClass = new (data: unknown) => Model;

/** Custom resources the program creates: their API group's kubernetes-models package (the CRD's schema). */
const CRD_PACKAGES: Record<string, string> = {
    "cert-manager.io": "@kubernetes-models/cert-manager",
    "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
};

/** The kubernetes-models class of an object: apiVersion "apps/v1" + kind "Deployment" -> kubernetes-models/apps/v1/Deployment. */
function modelOf(apiVersion: string, kind: string): ModelClass {
    const group = apiVersion.includes("/") ? apiVersion.split("/")[0] : "";
    const pkg = CRD_PACKAGES[group] ?? "kubernetes-models";
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(`${pkg}/${apiVersion}/${kind}`) as Record<string, ModelClass>;
    const cls = mod[kind];
    if (!cls) throw new Error(`kubernetes-models has no ${apiVersion} ${kind}`);
    return cls;
}

/** Validates an object against the official OpenAPI schema (Kubernetes 1.33); throws with the failing paths. */
function validateObject(obj: { apiVersion: string; kind: string }): void {
    const Model = modelOf(obj.apiVersion, obj.kind);
    new Model(obj).validate();
}

type Values = Record<string, any>;
type PodFields = { metadata?: Values; spec: Values };
type ChartPod = { apiVersion: string; kind: string; spec: Values };

/** A Pod of the pod fields a chart renders as they are; a stub container carries the container's fields (mounts, envFrom). */
const asPod = ({ metadata, spec }: PodFields, container: Values = {}): ChartPod =>
    JSON.parse(
        JSON.stringify({
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "chart-pod", ...metadata },
            spec: { ...spec, containers: [{ name: "main", image: "registry.example.com/main:1", ...container }] },
        }),
    );

/** Bitnami's and EMQX's pod values (a component's block, or EMQX's top level) as the chart puts them in its pod. */
function chartPodValues(v: Values | undefined): ChartPod[] {
    if (!v) return [];
    const { nodeSelector, tolerations, affinity, priorityClassName, topologySpreadConstraints, extraVolumes: volumes } = v;
    return [
        asPod(
            {
                metadata: { labels: v.podLabels, annotations: v.podAnnotations },
                spec: { nodeSelector, tolerations, affinity, priorityClassName, topologySpreadConstraints, volumes },
            },
            { volumeMounts: v.extraVolumeMounts },
        ),
    ];
}

/** NATS's pods, where its merge hooks hold a Pod's metadata and spec, and the nats-server container's fields. */
const natsPods = (v: Values): ChartPod[] => [
    ...(v.podTemplate?.merge ? [asPod(v.podTemplate.merge, v.container?.merge)] : []),
    ...(v.natsBox?.podTemplate?.merge ? [asPod(v.natsBox.podTemplate.merge, v.natsBox.container?.merge)] : []),
];

/**
 * The pods a release's values shape (lib/releaseScheduling.ts): what the chart copies from its values into pod specs,
 * from each block its registry entry's `scheduling` names; NATS's from its merge hooks.
 */
function releasePods(release: string, v: Values): ChartPod[] {
    const key = RELEASE_KEYS.find((k) => RELEASES[k].releaseName === release);
    if (key === "nats") return natsPods(v);
    const entry: ReleaseEntry | undefined = key && RELEASES[key];
    const blocks = entry?.scheduling;
    if (!blocks) throw new Error(`${release}: no pods known for its values (its entry has no scheduling blocks): extend releasePods`);
    return blocks.flatMap((b) => chartPodValues(b.at === "" ? v : b.at.split(".").reduce<Values | undefined>((x, k) => x?.[k], v)));
}

describe("rendered objects pass the Kubernetes OpenAPI schema (kubernetes-models)", () => {
    const stacks: Record<string, string> = { dev: "dev", prod: "prod", ci: CI_STACK_FILE };
    for (const [stack, file] of Object.entries(stacks)) {
        it(stack, async () => {
            const objects = kubernetesManifests((await renderStack(file)).resources);
            expect(objects).not.to.be.empty;
            for (const o of objects) {
                expect(() => validateObject(o), `${o.kind} ${o.metadata.name}`).not.to.throw();
            }
        });
    }

    it("the Helm releases' pod values of the ci stack (scheduling keys set) make valid pods", async () => {
        const rs = (await renderStack(CI_STACK_FILE)).resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release");
        const pods = rs.flatMap((r) => releasePods(inputs(r).name, inputs(r).values).map((pod) => ({ release: inputs(r).name as string, pod })));
        // The fixture sets the scheduling keys of two releases: the check is not empty.
        expect(pods.filter((p) => p.pod.spec.tolerations).map((p) => p.release)).to.include.members(["pulse-postgresql", "pulse-nats"]);
        for (const { release, pod } of pods) {
            expect(() => validateObject(pod), release).not.to.throw();
        }
    });

    it("rejects an invalid object (the check can fail)", () => {
        expect(() => validateObject(chartPodValues({ tolerations: [{ key: "k", effect: 42 }] })[0])).to.throw(/effect/);
        const natsPod = (affinity: unknown) => natsPods({ podTemplate: { merge: { spec: { affinity } } } })[0];
        expect(() => validateObject(natsPod({ nodeAffinity: {} }))).not.to.throw();
        expect(() => validateObject(natsPod({ nodeAffinity: [] }))).to.throw(/nodeAffinity/);
        expect(() => validateObject({ apiVersion: "v1", kind: "Namespace", metadata: { name: 42 } } as never)).to.throw();
        expect(() => validateObject({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x" }, spec: { template: {} } } as never)).to.throw(
            /selector/,
        );
        expect(() =>
            validateObject({ apiVersion: "cert-manager.io/v1", kind: "Certificate", metadata: { name: "x" }, spec: { dnsNames: ["a"] } } as never),
        ).to.throw(/secretName|issuerRef/);
        expect(() =>
            validateObject({ apiVersion: "monitoring.coreos.com/v1", kind: "PodMonitor", metadata: { name: "x" }, spec: { podMetricsEndpoints: [] } } as never),
        ).to.throw(/selector/);
    });
});
