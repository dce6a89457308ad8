import { expect } from "chai";
import * as rules from "../policy/rules";
import { ConfigError, parseConfig } from "../config";
import { RecordedResource } from "../tools/mocks";
import { checkResources, violations } from "../tools/policy";
import { build, config, stackConfig, CI_STACK_FILE, recorded } from "./helpers";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const labels = {
    "app.kubernetes.io/name": "pulse-x",
    "app.kubernetes.io/instance": "pulse",
    "app.kubernetes.io/component": "x",
    "app.kubernetes.io/part-of": "pulse",
    "app.kubernetes.io/managed-by": "pulumi",
};
const goodContainer = {
    name: "app",
    image: "pulse/ui-iot:1.2.3",
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
    readinessProbe: { httpGet: { path: "/health", port: "http" } },
    livenessProbe: { tcpSocket: { port: "http" } },
    securityContext: { runAsNonRoot: true, readOnlyRootFilesystem: true },
};
const deployment = (container: object = goodContainer, metadata: object = {}) => ({
    metadata: { name: "pulse-x", labels, ...metadata },
    spec: { template: { spec: { containers: [{ ...goodContainer, ...container }] } } },
});

describe("policy pack", () => {
    it("a well-formed Deployment passes every rule", () => {
        for (const p of rules.pulsePolicies) expect(violations(p, DEPLOYMENT, deployment()), p.name).to.deep.equal([]);
    });

    it("pulse-no-floating-images rejects 'latest' and untagged images", () => {
        expect(violations(rules.noFloatingImages, DEPLOYMENT, deployment({ image: "nginx:latest" }))).to.have.length(1);
        expect(violations(rules.noFloatingImages, DEPLOYMENT, deployment({ image: "registry:5000/nginx" }))).to.have.length(1);
        expect(violations(rules.noFloatingImages, DEPLOYMENT, deployment({ image: `nginx@sha256:${"a".repeat(64)}` }))).to.deep.equal([]);
    });

    it("pulse-pinned-pulse-images wants a release tag or a digest on Pulse's images only", () => {
        expect(violations(rules.pinnedPulseImages, DEPLOYMENT, deployment({ image: "pulse/ui-iot:main" }))).to.have.length(1);
        expect(violations(rules.pinnedPulseImages, DEPLOYMENT, deployment({ image: "registry.example.com/pulse/ui-iot:dev-3" }))).to.have.length(1);
        expect(violations(rules.pinnedPulseImages, DEPLOYMENT, deployment({ image: `pulse/ui-iot:main@sha256:${"a".repeat(64)}` }))).to.deep.equal([]);
        expect(violations(rules.pinnedPulseImages, DEPLOYMENT, deployment({ image: "quay.io/keycloak/keycloak:26.0" }))).to.deep.equal([]);
    });

    it("pulse-resources-and-probes wants requests, a memory limit and probes", () => {
        const found = violations(rules.resourcesAndProbes, DEPLOYMENT, deployment({ resources: {}, readinessProbe: undefined, livenessProbe: undefined }));
        expect(found).to.have.length(5);
        const job = { spec: { template: { spec: { containers: [{ ...goodContainer, readinessProbe: undefined, livenessProbe: undefined }] } } } };
        expect(violations(rules.resourcesAndProbes, "kubernetes:batch/v1:Job", job)).to.deep.equal([]);
        // A worker with no HTTP server carries the documented waiver; its resources are still required.
        const worker = (container: object) =>
            deployment({ readinessProbe: undefined, livenessProbe: undefined, ...container }, { annotations: { [rules.NO_PROBES_WAIVER]: "no HTTP server" } });
        expect(violations(rules.resourcesAndProbes, DEPLOYMENT, worker({}))).to.deep.equal([]);
        expect(violations(rules.resourcesAndProbes, DEPLOYMENT, worker({ resources: {} }))).to.have.length(3);
    });

    it("pulse-non-root-read-only wants runAsNonRoot and a read-only root, unless waived", () => {
        expect(violations(rules.nonRootReadOnly, DEPLOYMENT, deployment({ securityContext: {} }))).to.have.length(2);
        const waived = deployment({ securityContext: { runAsNonRoot: true } }, { annotations: { [rules.WRITABLE_ROOT_WAIVER]: "reason" } });
        expect(violations(rules.nonRootReadOnly, DEPLOYMENT, waived)).to.deep.equal([]);
    });

    it("pulse-no-unplanned-exposure rejects LoadBalancer and NodePort Services not asked for in config", () => {
        const svc = (type: string, annotations = {}) => ({ metadata: { name: "s", annotations }, spec: { type } });
        expect(violations(rules.noUnplannedExposure, "kubernetes:core/v1:Service", svc("LoadBalancer"))).to.have.length(1);
        expect(violations(rules.noUnplannedExposure, "kubernetes:core/v1:Service", svc("NodePort"))).to.have.length(1);
        expect(
            violations(
                rules.noUnplannedExposure,
                "kubernetes:core/v1:Service",
                svc("LoadBalancer", { [rules.EXPOSURE_ANNOTATION]: "pulse:caddy.serviceType" }),
            ),
        ).to.deep.equal([]);
        expect(violations(rules.noUnplannedExposure, "kubernetes:core/v1:Service", svc("ClusterIP"))).to.deep.equal([]);
    });

    it("pulse-required-labels wants the app.kubernetes.io labels", () => {
        expect(violations(rules.requiredLabels, DEPLOYMENT, { metadata: { name: "x", labels: {} } })).to.have.length(5);
        expect(violations(rules.requiredLabels, "kubernetes:core/v1:ConfigMap", { metadata: { name: "x", labels: {} } })).to.have.length(2);
    });

    it("and the config schema agree on Pulse's release tags: one rule, so config never renders what the pack refuses", () => {
        for (const tag of ["1.0", "1.0.0", "v2.3.4", "1.2.3-rc.1", "1.2.3+build.5", "main", "2024.01", "1.2.3.4", "latest"]) {
            let configAccepts = true;
            try {
                parseConfig({ appVersion: tag, app: { environment: "development" } });
            } catch (e) {
                expect(e).to.be.instanceOf(ConfigError);
                configAccepts = false;
            }
            const packAccepts = violations(rules.pinnedPulseImages, DEPLOYMENT, deployment({ image: `registry.example.com/pulse/ui-iot:${tag}` })).length === 0;
            expect(
                configAccepts,
                `appVersion ${tag}: config ${configAccepts ? "accepts" : "refuses"} it, the policy pack ${packAccepts ? "accepts" : "refuses"} it`,
            ).to.equal(packAccepts);
        }
    });

    it("offline over a render (npm run policy): names the policy and the resource of each violation", () => {
        const bad = recorded({ type: DEPLOYMENT, name: "pulse-x", inputs: deployment({ image: "pulse/ui-iot:main" }) });
        expect(checkResources([bad])).to.deep.equal([
            {
                policy: "pulse-pinned-pulse-images",
                resource: `${DEPLOYMENT}::pulse-x`,
                message: "container app: Pulse image pulse/ui-iot:main is not pinned to a release (x.y.z tag or @sha256 digest)",
            },
        ]);
        expect(checkResources([{ ...bad, custom: false }])).to.deep.equal([]);
    });

    describe("the program's own resources pass every rule", () => {
        const check = (resources: RecordedResource[]) => expect(checkResources(resources)).to.deep.equal([]);
        for (const stack of ["dev", "prod"]) it(stack, async () => check((await build(stackConfig(stack))).resources));
        it("ci", async () => check((await build(stackConfig(CI_STACK_FILE))).resources));
        it("caddy exposed as a LoadBalancer by config", async () =>
            check((await build(config({ caddy: { enabled: true, serviceType: "LoadBalancer" } }))).resources));
    });
});
