import { resourceRequirements } from "../lib/resources";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { PLATFORM_CONFIGMAP, SERVICE_TRAITS } from "../components/pulseServices";
import { SERVICE_NAMES } from "../config";
import { RecordedResource } from "../lib/mocks";
import { build, config, inputs, one, ofType } from "./helpers";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const deployment = (rs: RecordedResource[], name: string) =>
    inputs(ofType(rs, DEPLOYMENT).find((r) => inputs(r).metadata.name === name)!);
const container = (rs: RecordedResource[], name: string) => deployment(rs, name).spec.template.spec.containers[0];

describe("Pulse services", () => {
    it("deploys the seven services as pulse-<name>, each from its own config section", async () => {
        const overrides = Object.fromEntries(SERVICE_NAMES.map((s, i) => [s, { replicaCount: i + 1, autoscaling: { enabled: false } }]));
        const { resources } = await build(config(overrides));
        for (const [i, s] of SERVICE_NAMES.entries()) {
            const d = deployment(resources, `pulse-${SERVICE_TRAITS[s].component}`);
            expect(d.spec.replicas, s).to.equal(i + 1);
        }
    });

    it("composes each image from repository and tag (appVersion by default), with and without the registry override", async () => {
        const plain = (await build(config({ appVersion: "2.4.0", ui: { image: { tag: "2.4.1" } } }))).resources;
        expect(container(plain, "pulse-ingest").image).to.equal("pulse/ingest-iot:2.4.0");
        expect(container(plain, "pulse-ui").image).to.equal("pulse/ui-iot:2.4.1");
        const mirrored = (await build(config({ global: { imageRegistry: "registry.example.com:5000" } }))).resources;
        expect(container(mirrored, "pulse-evaluator").image).to.equal("registry.example.com:5000/pulse/evaluator-iot:1.0.0");
        const pinned = (await build(config({ opsWorker: { image: { digest: `sha256:${"b".repeat(64)}` } } }))).resources;
        expect(container(pinned, "pulse-ops-worker").image).to.equal(`pulse/ops-worker:1.0.0@sha256:${"b".repeat(64)}`);
    });

    it("applies the pull secrets to every pod", async () => {
        const { resources } = await build(config({ global: { imagePullSecrets: ["regcred", "other"] } }));
        for (const d of ofType(resources, DEPLOYMENT)) {
            expect(inputs(d).spec.template.spec.imagePullSecrets, d.name).to.deep.equal([{ name: "regcred" }, { name: "other" }]);
        }
    });

    it("has the spec's ingest template fields: DATABASE_URL from pulse-db-secret/url, NATS_URL, env map, resources, probes", async () => {
        const c = config();
        const { resources } = await build(c);
        const ingest = container(resources, "pulse-ingest");
        expect(ingest.env[0]).to.deep.equal({ name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: "pulse-db-secret", key: "url" } } });
        for (const [k, v] of Object.entries(c.ingest.env)) expect(ingest.env).to.deep.include({ name: k, value: v });
        expect(ingest.envFrom).to.deep.equal([{ configMapRef: { name: PLATFORM_CONFIGMAP } }]);
        const cm = inputs(one(resources, "kubernetes:core/v1:ConfigMap", "pulse-services-config"));
        expect(cm.data.NATS_URL).to.equal("nats://pulse-nats:4222");
        expect(ingest.resources).to.deep.equal(resourceRequirements(c.ingest.resources));
        // The spec's liveness timing; a TCP check, since /health may depend on the database (README, The workloads).
        expect(ingest.livenessProbe).to.deep.include({ tcpSocket: { port: "http" }, initialDelaySeconds: 10, periodSeconds: 30 });
        expect(ingest.readinessProbe).to.deep.include({ httpGet: { path: "/health", port: "http" }, initialDelaySeconds: 5, periodSeconds: 10 });
        expect(ingest.ports).to.deep.equal([{ name: "http", containerPort: 8080, protocol: "TCP" }]);
        expect(JSON.stringify(ingest.env)).not.to.match(/password|mock-/i);
    });

    it("takes probe port and paths per service from config", async () => {
        const { resources } = await build(config({ evaluator: { port: 9090, probes: { livenessPath: "/livez", readinessPath: "/readyz" } } }));
        const ev = container(resources, "pulse-evaluator");
        expect(ev.ports[0].containerPort).to.equal(9090);
        expect(ev.livenessProbe.httpGet.path).to.equal("/livez");
        expect(ev.readinessProbe.httpGet.path).to.equal("/readyz");
    });

    it("puts the platform endpoints in the shared ConfigMap and rolls the pods when they change", async () => {
        const a = await build(config());
        const cm = inputs(one(a.resources, "kubernetes:core/v1:ConfigMap", "pulse-services-config"));
        expect(cm.metadata.name).to.equal("pulse-config");
        expect(cm.data).to.include({
            MQTT_HOST: "pulse-emqx",
            MQTT_PORT: "1883",
            DATABASE_HOST: "pulse-postgresql",
            DATABASE_PORT: "5432",
            DATABASE_NAME: "iotcloud",
            PUBLIC_URL: "http://pulse.example.com",
            KEYCLOAK_INTERNAL_URL: "http://pulse-keycloak:8080/auth",
        });
        const b = await build(config({ nats: { enabled: false, externalUrl: "nats://nats.example.com:4222" } }));
        const checksumOf = (rs: RecordedResource[]) => deployment(rs, "pulse-ui").spec.template.metadata.annotations["checksum/pulse-config"];
        expect(checksumOf(a.resources)).to.match(/^[0-9a-f]{64}$/);
        expect(checksumOf(a.resources)).not.to.equal(checksumOf(b.resources));
    });

    it("gives ingest, ui and provision-api a Service, as the spec did, and the workers none", async () => {
        const { resources } = await build(config());
        const services = ofType(resources, "kubernetes:core/v1:Service").map((r) => inputs(r).metadata.name);
        expect(services).to.include.members(["pulse-ingest", "pulse-ui", "pulse-provision-api"]);
        for (const w of ["pulse-evaluator", "pulse-ops-worker", "pulse-route-delivery", "pulse-subscription-worker"]) {
            expect(services).not.to.include(w);
        }
    });

    it("autoscales ingest with the spec's HPA and sets no static replicas; other services keep replicas", async () => {
        const { resources } = await build(config());
        expect(deployment(resources, "pulse-ingest").spec).not.to.have.property("replicas");
        const hpa = inputs(one(resources, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"));
        expect(hpa.spec).to.deep.include({ minReplicas: 2, maxReplicas: 10 });
        expect(deployment(resources, "pulse-ui").spec.replicas).to.equal(2);
    });

    it("stack outputs name every service", async () => {
        const { platform } = await build(config(), { dbPassword: pulumi.secret("x") });
        expect(platform.outputs.serviceNames).to.include({ ingest: "pulse-ingest", provisionApi: "pulse-provision-api", keycloak: "pulse-keycloak" });
    });
});
