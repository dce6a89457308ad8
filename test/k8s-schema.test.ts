import { expect } from "chai";
import { kubernetesManifests } from "../tools/render";
import { CI_STACK_FILE, renderStack } from "./helpers";

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

    it("rejects an invalid object (the check can fail)", () => {
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
