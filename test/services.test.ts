import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { objectNameOf } from "../components/pulseServices";
import { APP_SECRET_KEYS, SECRET_ENV, SERVICE_NAMES, ServiceName } from "../config";
import { isSecretValue, RecordedResource } from "../tools/mocks";
import { resourceRequirements } from "../lib/resources";
import { build, config, inputs, ofType } from "./helpers";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const deployment = (rs: RecordedResource[], name: string) => inputs(ofType(rs, DEPLOYMENT).find((r) => inputs(r).metadata.name === name)!);
const container = (rs: RecordedResource[], name: string) => deployment(rs, name).spec.template.spec.containers[0];
type Env = { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[];

/**
 * What the real Pulse services need, from the Pulse project's own source (design notes, pulse-services.md): written out
 * here on purpose, apart from the registry, so a registry entry that drifts from the facts fails.
 */
const FACTS: Record<ServiceName, { port?: number; liveness?: string; readiness?: string; service: boolean; single: boolean; required: string[] }> = {
    ingest: { port: 8080, liveness: "/health", readiness: "/ready", service: true, single: false, required: ["PG_PASS", "NATS_URL"] },
    ui: {
        port: 8080,
        liveness: "tcp",
        readiness: "/healthz",
        service: true,
        single: true,
        required: [
            "PG_PASS",
            "MQTT_PASSWORD",
            "MQTT_INTERNAL_AUTH_SECRET",
            "S3_ACCESS_KEY",
            "S3_SECRET_KEY",
            "KEYCLOAK_ADMIN_PASSWORD",
            "STRIPE_SECRET_KEY",
            "STRIPE_WEBHOOK_SECRET",
            "UI_BASE_URL",
            "KEYCLOAK_JWKS_URI",
            "INGEST_HEALTH_URL",
            "EVALUATOR_HEALTH_URL",
        ],
    },
    evaluator: {
        port: 8080,
        liveness: "/health",
        readiness: "/ready",
        service: true,
        single: true,
        required: ["PG_PASS", "DATABASE_URL", "NOTIFY_DATABASE_URL"],
    },
    opsWorker: {
        port: 8080,
        liveness: "/health",
        readiness: "/ready",
        service: false,
        single: true,
        required: ["PG_PASS", "S3_ACCESS_KEY", "S3_SECRET_KEY", "MQTT_PASSWORD", "EMQX_DASHBOARD_PASSWORD", "EMQX_API_URL", "MQTT_BROKER_URL"],
    },
    routeDelivery: {
        port: 8080,
        liveness: "/health",
        readiness: "/ready",
        service: false,
        single: false,
        required: ["PG_PASS", "MQTT_PASSWORD", "NATS_URL", "MQTT_TLS"],
    },
    subscriptionWorker: { service: false, single: true, required: ["SMTP_PASSWORD", "DATABASE_URL"] },
    provisionApi: { port: 8081, liveness: "/health", readiness: "/ready", service: true, single: false, required: ["PG_PASS", "ADMIN_KEY"] },
    mqttNatsBridge: { service: false, single: true, required: ["MQTT_PASSWORD", "NATS_URL", "MQTT_HOST", "MQTT_PORT", "MQTT_TLS"] },
};

/** The required variables an environment lacks. */
export function missing(env: Env, required: readonly string[]): string[] {
    return required.filter((r) => !env.some((e) => e.name === r && (e.value !== undefined ? e.value !== "" : e.valueFrom !== undefined)));
}

describe("Pulse services", () => {
    it("deploys every service of the registry as pulse-<name>, each from its own config section", async () => {
        expect([...SERVICE_NAMES].sort()).to.deep.equal(Object.keys(FACTS).sort());
        const overrides = Object.fromEntries(SERVICE_NAMES.map((s, i) => [s, { replicaCount: FACTS[s].single ? 1 : i + 2, autoscaling: { enabled: false } }]));
        const { resources } = await build(config(overrides));
        for (const [i, s] of SERVICE_NAMES.entries()) {
            expect(deployment(resources, objectNameOf(s)).spec.replicas, s).to.equal(FACTS[s].single ? 1 : i + 2);
        }
    });

    for (const s of Object.keys(FACTS) as ServiceName[]) {
        const facts = FACTS[s];
        it(`${s}: port, probes, Service, replicas and every required variable as the Pulse code reads them`, async () => {
            const { resources } = await build(config());
            const name = objectNameOf(s);
            const d = deployment(resources, name);
            const c = d.spec.template.spec.containers[0];
            if (facts.port) {
                expect(c.ports).to.deep.equal([{ name: "http", containerPort: facts.port, protocol: "TCP" }]);
                expect(c.readinessProbe.httpGet).to.deep.equal({ path: facts.readiness, port: "http" });
                if (facts.liveness === "tcp") expect(c.livenessProbe.tcpSocket).to.deep.equal({ port: "http" });
                else expect(c.livenessProbe.httpGet).to.deep.equal({ path: facts.liveness, port: "http" });
            } else {
                // No HTTP server: no port, no probe (a crash restarts it), with the linters' waivers saying so.
                expect(c).not.to.have.any.keys("ports", "readinessProbe", "livenessProbe");
                expect(d.metadata.annotations).to.have.property("ignore-check.kube-linter.io/no-readiness-probe");
            }
            const services = ofType(resources, "kubernetes:core/v1:Service").map((r) => inputs(r));
            const svc = services.find((x) => x.metadata.name === name);
            expect(svc !== undefined, `${name} has a Service`).to.equal(facts.service);
            if (svc) expect(svc.spec.ports[0]).to.include({ port: facts.port, targetPort: "http" });
            // Exactly one at a time where Pulse cannot run two.
            if (facts.single) {
                expect(config()[s].replicaCount).to.be.at.most(1);
                expect(d.spec.strategy.type, "never two at once, except ui's MQTT takeover").to.equal(s === "ui" ? "RollingUpdate" : "Recreate");
            }
            expect(missing(c.env, facts.required), `${s} lacks required variables`).to.deep.equal([]);
        });
    }

    it("the required-variables check catches a missing or empty one (the check can fail)", () => {
        const env: Env = [
            { name: "PG_PASS", valueFrom: { secretKeyRef: { name: "pulse-db-secret", key: "password" } } },
            { name: "NATS_URL", value: "" },
        ];
        expect(missing(env, ["PG_PASS", "NATS_URL", "ADMIN_KEY"])).to.deep.equal(["NATS_URL", "ADMIN_KEY"]);
    });

    it("points every service at this platform's Services, never the images' compose defaults (iot-*)", async () => {
        const { resources } = await build(config());
        const values = (s: ServiceName) =>
            Object.fromEntries((container(resources, objectNameOf(s)).env as Env).filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
        expect(values("ingest")).to.include({
            NATS_URL: "nats://pulse-nats:4222",
            PG_HOST: "pulse-postgresql",
            PG_PORT: "5432",
            PG_DB: "iotcloud",
            PG_USER: "iot",
        });
        expect(values("ui")).to.include({
            MQTT_HOST: "pulse-emqx",
            MQTT_BROKER_URL: "mqtt://pulse-emqx:1883",
            MQTT_TLS: "false",
            INGEST_HEALTH_URL: "http://pulse-ingest:8080/health",
            EVALUATOR_HEALTH_URL: "http://pulse-evaluator:8080/health",
            KEYCLOAK_REALM: "pulse",
            JWT_AUDIENCE: "pulse-ui",
        });
        expect(values("opsWorker")).to.include({
            EMQX_API_URL: "http://pulse-emqx:18083/api/v5",
            EMQX_API_USER: "pulse-admin",
            MQTT_USERNAME: "service_pulse",
        });
        const all = ofType(resources, DEPLOYMENT).flatMap((d) => (inputs(d).spec.template.spec.containers[0].env ?? []) as Env);
        expect(all.filter((e) => e.value?.includes("iot-")).map((e) => e.name)).to.deep.equal([]);
    });

    it("passes every secret by reference to its Secret, never as a value", async () => {
        const { resources } = await build(config());
        const refs = new Map<string, string>();
        for (const d of ofType(resources, DEPLOYMENT)) {
            for (const e of (inputs(d).spec.template.spec.containers[0].env ?? []) as Env) {
                if (!(e.name in SECRET_ENV)) continue;
                expect(e.value, `${e.name} of ${inputs(d).metadata.name}`).to.equal(undefined);
                refs.set(e.name, `${e.valueFrom!.secretKeyRef.name}/${e.valueFrom!.secretKeyRef.key}`);
            }
        }
        expect(Object.fromEntries(refs)).to.include({
            PG_PASS: "pulse-db-secret/password",
            NOTIFY_DATABASE_URL: "pulse-db-secret/url",
            KEYCLOAK_ADMIN_PASSWORD: "pulse-keycloak-admin/password",
            EMQX_DASHBOARD_PASSWORD: "pulse-emqx-dashboard/EMQX_DASHBOARD__DEFAULT_PASSWORD",
            ADMIN_KEY: "pulse-app-secrets/ADMIN_KEY",
            MQTT_PASSWORD: "pulse-app-secrets/MQTT_PASSWORD",
        });
    });

    it("keeps the services' credentials in one Secret, each value a Pulumi secret: configured, or generated when unset", async () => {
        const { resources } = await build(config(), { adminKey: pulumi.secret("a".repeat(40)), stripeSecretKey: pulumi.secret("sk_live_x") });
        const secret = ofType(resources, "kubernetes:core/v1:Secret").find((r) => inputs(r).metadata.name === "pulse-app-secrets")!;
        expect(Object.keys(inputs(secret).stringData).sort()).to.deep.equal(Object.keys(APP_SECRET_KEYS).sort());
        expect(isSecretValue(secret.inputs.stringData)).to.equal(true);
        expect(inputs(secret).stringData).to.include({ ADMIN_KEY: "a".repeat(40), STRIPE_SECRET_KEY: "sk_live_x" });
        // Unset ones come from RandomPassword (the mocks' result is its name).
        expect(inputs(secret).stringData.MQTT_PASSWORD).to.match(/^mock-.*mqtt-password$/);
        const external = await build(config({ secrets: { external: true } }), {});
        expect(ofType(external.resources, "kubernetes:core/v1:Secret").map((r) => inputs(r).metadata.name)).not.to.include("pulse-app-secrets");
    });

    it("tells the services their environment: production (default) or development, and the API's CORS origins", async () => {
        const value = async (cfg: ReturnType<typeof config>, name: string) =>
            ((container((await build(cfg)).resources, "pulse-ui").env as Env).find((e) => e.name === name) ?? {}).value;
        expect(await value(config(), "ENV")).to.equal("PROD");
        expect(await value(config(), "SECURE_COOKIES")).to.equal("true");
        expect(await value(config(), "CORS_ORIGINS")).to.equal("http://pulse.example.com");
        const dev = config({ app: { environment: "development", corsOrigins: ["https://a.example.com", "https://b.example.com"] } });
        expect(await value(dev, "MODE")).to.equal("DEV");
        expect(await value(dev, "SECURE_COOKIES")).to.equal("false");
        expect(await value(dev, "CORS_ORIGINS")).to.equal("https://a.example.com,https://b.example.com");
    });

    it("a section's env adds variables and overrides the platform's plain ones", async () => {
        const { resources } = await build(config({ ingest: { env: { BATCH_SIZE: "5", NATS_URL: "nats://other:4222" } } }));
        const env = container(resources, "pulse-ingest").env as Env;
        expect(env).to.deep.include({ name: "BATCH_SIZE", value: "5" });
        expect(env.filter((e) => e.name === "NATS_URL")).to.deep.equal([{ name: "NATS_URL", value: "nats://other:4222" }]);
    });

    it("composes each image from repository and tag (appVersion by default), with and without the registry override", async () => {
        const plain = (await build(config({ appVersion: "2.4.0", ui: { image: { tag: "2.4.1" } } }))).resources;
        expect(container(plain, "pulse-ingest").image).to.equal("pulse/ingest-iot:2.4.0");
        expect(container(plain, "pulse-ui").image).to.equal("pulse/ui-iot:2.4.1");
        expect(container(plain, "pulse-mqtt-nats-bridge").image).to.equal("pulse/mqtt-nats-bridge:2.4.0");
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

    it("sets each section's resources, and the spec's probe timing", async () => {
        const c = config();
        const { resources } = await build(c);
        const ingest = container(resources, "pulse-ingest");
        expect(ingest.resources).to.deep.equal(resourceRequirements(c.ingest.resources));
        expect(ingest.livenessProbe).to.deep.include({ initialDelaySeconds: 10, periodSeconds: 30, failureThreshold: 3 });
        expect(ingest.readinessProbe).to.deep.include({ initialDelaySeconds: 5, periodSeconds: 10 });
    });

    it("autoscales ingest with the spec's HPA and sets no static replicas; the others keep replicas", async () => {
        const { resources } = await build(config());
        expect(deployment(resources, "pulse-ingest").spec).not.to.have.property("replicas");
        const hpa = inputs(ofType(resources, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler")[0]);
        expect(hpa.spec).to.deep.include({ minReplicas: 2, maxReplicas: 10 });
        expect(deployment(resources, "pulse-ui").spec.replicas).to.equal(1);
    });

    it("stack outputs name every service", async () => {
        const { platform } = await build(config(), { dbPassword: pulumi.secret("x") });
        expect(platform.outputs.serviceNames).to.include({
            ingest: "pulse-ingest",
            provisionApi: "pulse-provision-api",
            mqttNatsBridge: "pulse-mqtt-nats-bridge",
            keycloak: "pulse-keycloak",
        });
    });
});
