import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { serviceObjectName } from "../components/pulseServices";
import { unsourcedReads } from "../components/serviceEnv";
import { APP_SECRET_KEYS, contractOf, PulseConfig, PulseConfigInput, SECRET_ENV, SERVICE_NAMES, ServiceName, SERVICES } from "../config";
import { isSecretValue, RecordedResource } from "../tools/mocks";
import { resourceRequirements } from "../lib/resources";
import { build, buildComponent, config, configProblems, inputs, ofType, one } from "./helpers";
import { FACTS, factsProblems } from "./service-facts";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const deployment = (rs: RecordedResource[], name: string) => inputs(ofType(rs, DEPLOYMENT).find((r) => inputs(r).metadata.name === name)!);
const container = (rs: RecordedResource[], name: string) => deployment(rs, name).spec.template.spec.containers[0];
/** The services alone, on the credentials stage: a test of their Deployments and Services. */
const pulseServices = (c: PulseConfig) => buildComponent("services", c);
type Env = { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[];

/** The required variables an environment lacks. */
export function missing(env: Env, required: readonly string[]): string[] {
    return required.filter((r) => !env.some((e) => e.name === r && (e.value !== undefined ? e.value !== "" : e.valueFrom !== undefined)));
}

describe("Pulse services", () => {
    it("has the facts of every service of the registry, and every entry agrees with its facts (test/service-facts.ts)", () => {
        expect(factsProblems(SERVICES, FACTS)).to.deep.equal([]);
    });

    it("has a source for every variable a service reads: a plain value (components/serviceEnv.ts) or a Secret's key (SECRET_ENV)", () => {
        expect(unsourcedReads(SERVICES)).to.deep.equal([]);
    });

    it("deploys every service of the registry as pulse-<name>, each from its own config section", async () => {
        const overrides = Object.fromEntries(SERVICE_NAMES.map((s, i) => [s, { replicaCount: FACTS[s].single ? 1 : i + 2, autoscaling: { enabled: false } }]));
        const { resources } = await pulseServices(config(overrides));
        for (const [i, s] of SERVICE_NAMES.entries()) {
            expect(deployment(resources, serviceObjectName(s)).spec.replicas, s).to.equal(FACTS[s].single ? 1 : i + 2);
        }
    });

    for (const s of Object.keys(FACTS) as ServiceName[]) {
        const facts = FACTS[s];
        it(`${s}: port, probes, Service, replicas and every required variable as the Pulse code reads them`, async () => {
            const { resources } = await pulseServices(config());
            const name = serviceObjectName(s);
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
            Object.fromEntries((container(resources, serviceObjectName(s)).env as Env).filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
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
            KEYCLOAK_REALM: "pulse",
            JWT_AUDIENCE: "pulse-ui",
        });
        // The clients that read MQTT_TLS default it to true; the internal listener is plain.
        for (const s of ["routeDelivery", "mqttNatsBridge"] as const) expect(values(s), s).to.include({ MQTT_TLS: "false", MQTT_HOST: "pulse-emqx" });
        expect(values("opsWorker")).to.include({ MQTT_BROKER_URL: "mqtt://pulse-emqx:1883", MQTT_USERNAME: "service_pulse" });
        // Only what the code reads: no variable a service ignores (pulse-services.md's corrections).
        const unread: Partial<Record<ServiceName, string[]>> = {
            ui: ["MQTT_TLS"],
            opsWorker: ["MQTT_HOST", "MQTT_PORT", "MQTT_TLS"],
            routeDelivery: ["MQTT_BROKER_URL"],
            mqttNatsBridge: ["MQTT_BROKER_URL"],
        };
        for (const [s, names] of Object.entries(unread) as [ServiceName, string[]][]) {
            expect(
                Object.keys(values(s)).filter((n) => names.includes(n)),
                s,
            ).to.deep.equal([]);
        }
        const all = ofType(resources, DEPLOYMENT).flatMap((d) => (inputs(d).spec.template.spec.containers[0].env ?? []) as Env);
        expect(all.filter((e) => e.value?.includes("iot-")).map((e) => e.name)).to.deep.equal([]);
    });

    it("gives health URLs as base URLs (the code appends /health) and CERT_AUTH_ENABLED on when devices use certificates", async () => {
        const env = async (cfg: ReturnType<typeof config>, s: ServiceName) =>
            Object.fromEntries(
                (container((await pulseServices(cfg)).resources, serviceObjectName(s)).env as Env)
                    .filter((e) => e.value !== undefined)
                    .map((e) => [e.name, e.value]),
            );
        for (const s of ["ui", "opsWorker"] as const) {
            expect(await env(config(), s), s).to.include({
                INGEST_HEALTH_URL: "http://pulse-ingest:8080",
                EVALUATOR_HEALTH_URL: "http://pulse-evaluator:8080",
            });
        }
        expect((await env(config(), "ingest")).CERT_AUTH_ENABLED).to.equal("0");
        const devices = config({ emqx: { deviceTls: { serverCertSecret: "pulse-emqx-tls", deviceCaSecret: "pulse-device-ca" } } });
        expect((await env(devices, "ingest")).CERT_AUTH_ENABLED).to.equal("1");
    });

    it("always sets S3_ENDPOINT (the code's fallback is a compose MinIO): AWS's regional endpoint unless configured; an empty one is refused", async () => {
        const env = async (cfg: ReturnType<typeof config>, s: ServiceName) =>
            Object.fromEntries(
                (container((await pulseServices(cfg)).resources, serviceObjectName(s)).env as Env)
                    .filter((e) => e.value !== undefined)
                    .map((e) => [e.name, e.value]),
            );
        for (const s of ["ui", "opsWorker"] as const) {
            expect(await env(config({ s3: { region: "eu-west-1" } }), s), s).to.include({
                S3_ENDPOINT: "https://s3.eu-west-1.amazonaws.com",
                S3_REGION: "eu-west-1",
            });
        }
        expect(await env(config({ s3: { endpoint: "https://minio.example.com:9000" } }), "ui")).to.include({
            S3_ENDPOINT: "https://minio.example.com:9000",
            S3_PUBLIC_ENDPOINT: "https://minio.example.com:9000",
        });
        expect(configProblems({ s3: { endpoint: "" } })).to.deep.equal([
            'pulse:s3.endpoint: must be an http(s) URL such as https://s3.eu-west-1.amazonaws.com (unset: AWS S3\'s endpoint for `region`), got ""',
        ]);
    });

    it("smtp.security means the same for every consumer: subscription-worker's implicit-TLS flag, Keycloak's ssl/starttls; pairs that cannot work are refused", async () => {
        const realmSmtp = async (smtp: Record<string, unknown>) =>
            JSON.parse(
                inputs(
                    one(
                        (await buildComponent("keycloak", config({ smtp: { host: "smtp.example.com", ...smtp } }))).resources,
                        "kubernetes:core/v1:ConfigMap",
                        "pulse-keycloak-realm",
                    ),
                ).data["realm-pulse.json"],
            ).smtpServer;
        const smtpTls = async (smtp: Record<string, unknown>) =>
            (container((await pulseServices(config({ smtp: { host: "smtp.example.com", ...smtp } }))).resources, "pulse-subscription-worker").env as Env).find(
                (e) => e.name === "SMTP_TLS",
            )!.value;
        for (const [smtp, tls, realm] of [
            [{}, "false", { ssl: "false", starttls: "true", port: "587" }],
            [{ security: "tls", port: 465 }, "true", { ssl: "true", starttls: "false", port: "465" }],
            [{ security: "none", port: 25 }, "false", { ssl: "false", starttls: "false", port: "25" }],
        ] as const) {
            expect(await smtpTls(smtp), JSON.stringify(smtp)).to.equal(tls);
            expect(await realmSmtp(smtp), JSON.stringify(smtp)).to.deep.include(realm);
        }
        expect(configProblems({ smtp: { security: "tls", port: 587 } })).to.deep.equal([
            'pulse:smtp.security: is tls (TLS from the first byte), but port 587 starts in plain text: use starttls, or port 465, got "tls"',
        ]);
        expect(configProblems({ smtp: { port: 465 } })).to.deep.equal([
            'pulse:smtp.security: is starttls, but port 465 expects TLS from the first byte: use tls, or port 587, got "starttls"',
        ]);
        expect(configProblems({ smtp: { tls: true } } as PulseConfigInput)[0]).to.match(/^pulse:smtp.tls: replaced by smtp.security/);
    });

    it("runs provision-api's racy startup (its own tables) once in a Job, with its image, environment and mounts, before any replica starts", async () => {
        const { resources } = await pulseServices(config({ provisionApi: { replicaCount: 3 } }));
        const jobs = ofType(resources, "kubernetes:batch/v1:Job").filter((r) => inputs(r).metadata.name.startsWith("pulse-provision-api-init-"));
        expect(jobs).to.have.length(1);
        const job = inputs(jobs[0]).spec.template.spec;
        const pod = deployment(resources, "pulse-provision-api").spec.template.spec;
        expect(job.containers[0].command).to.deep.equal([...SERVICES.provisionApi.init.command]);
        expect(job.containers[0].image).to.equal(pod.containers[0].image);
        expect(job.containers[0].env).to.deep.equal(pod.containers[0].env);
        expect(job.volumes).to.deep.equal(pod.volumes);
        const d = ofType(resources, DEPLOYMENT).find((r) => inputs(r).metadata.name === "pulse-provision-api")!;
        expect(d.dependencies).to.include(jobs[0].urn);
        // Only a service whose contract has an init gets one.
        expect(SERVICE_NAMES.filter((n) => contractOf(n).init)).to.deep.equal(["provisionApi"]);
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
            KEYCLOAK_ADMIN_USERNAME: "pulse-keycloak-admin/username",
            KEYCLOAK_ADMIN_PASSWORD: "pulse-keycloak-admin/password",
            EMQX_DASHBOARD_PASSWORD: "pulse-app-secrets/EMQX_API_SECRET",
            ADMIN_KEY: "pulse-app-secrets/ADMIN_KEY",
            MQTT_PASSWORD: "pulse-app-secrets/MQTT_PASSWORD",
        });
    });

    it("keeps the services' credentials in one Secret, each value a Pulumi secret: configured, or generated when unset", async () => {
        const { resources } = await buildComponent("credentials", config(), {
            adminKey: pulumi.secret("a".repeat(40)),
            stripeSecretKey: pulumi.secret("sk_live_x"),
        });
        const secret = ofType(resources, "kubernetes:core/v1:Secret").find((r) => inputs(r).metadata.name === "pulse-app-secrets")!;
        expect(Object.keys(inputs(secret).stringData).sort()).to.deep.equal(Object.keys(APP_SECRET_KEYS).sort());
        expect(isSecretValue(secret.inputs.stringData)).to.equal(true);
        expect(inputs(secret).stringData).to.include({ ADMIN_KEY: "a".repeat(40), STRIPE_SECRET_KEY: "sk_live_x" });
        // Unset ones come from RandomPassword (the mocks' result is its name).
        expect(inputs(secret).stringData.MQTT_PASSWORD).to.match(/^mock-.*mqtt-password$/);
        const external = await buildComponent("credentials", config({ secrets: { external: true } }));
        expect(ofType(external.resources, "kubernetes:core/v1:Secret").map((r) => inputs(r).metadata.name)).not.to.include("pulse-app-secrets");
    });

    it("tells the services their environment: production (default) or development, and the API's CORS origins", async () => {
        const value = async (cfg: ReturnType<typeof config>, name: string) =>
            ((container((await pulseServices(cfg)).resources, "pulse-ui").env as Env).find((e) => e.name === name) ?? {}).value;
        expect(await value(config(), "ENV")).to.equal("PROD");
        expect(await value(config(), "SECURE_COOKIES")).to.equal("true");
        expect(await value(config(), "CORS_ORIGINS")).to.equal("http://pulse.example.com");
        const dev = config({ app: { environment: "development", corsOrigins: ["https://a.example.com", "https://b.example.com"] } });
        expect(await value(dev, "MODE")).to.equal("DEV");
        expect(await value(dev, "SECURE_COOKIES")).to.equal("false");
        expect(await value(dev, "CORS_ORIGINS")).to.equal("https://a.example.com,https://b.example.com");
    });

    it("a section's env adds variables and overrides the platform's plain ones", async () => {
        const { resources } = await pulseServices(config({ ingest: { env: { BATCH_SIZE: "5", NATS_URL: "nats://other:4222" } } }));
        const env = container(resources, "pulse-ingest").env as Env;
        expect(env).to.deep.include({ name: "BATCH_SIZE", value: "5" });
        expect(env.filter((e) => e.name === "NATS_URL")).to.deep.equal([{ name: "NATS_URL", value: "nats://other:4222" }]);
    });

    it("composes each image from repository and tag (appVersion by default), with and without the registry override", async () => {
        const plain = (await pulseServices(config({ appVersion: "2.4.0", ui: { image: { tag: "2.4.1" } } }))).resources;
        expect(container(plain, "pulse-ingest").image).to.equal("pulse/ingest-iot:2.4.0");
        expect(container(plain, "pulse-ui").image).to.equal("pulse/ui-iot:2.4.1");
        expect(container(plain, "pulse-mqtt-nats-bridge").image).to.equal("pulse/mqtt-nats-bridge:2.4.0");
        const mirrored = (await pulseServices(config({ global: { imageRegistry: "registry.example.com:5000" } }))).resources;
        expect(container(mirrored, "pulse-evaluator").image).to.equal("registry.example.com:5000/pulse/evaluator-iot:1.0.0");
        const pinned = (await pulseServices(config({ opsWorker: { image: { digest: `sha256:${"b".repeat(64)}` } } }))).resources;
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
        const { resources } = await pulseServices(c);
        const ingest = container(resources, "pulse-ingest");
        expect(ingest.resources).to.deep.equal(resourceRequirements(c.ingest.resources));
        expect(ingest.livenessProbe).to.deep.include({ initialDelaySeconds: 10, periodSeconds: 30, failureThreshold: 3 });
        expect(ingest.readinessProbe).to.deep.include({ initialDelaySeconds: 5, periodSeconds: 10 });
    });

    it("autoscales ingest with the spec's HPA and sets no static replicas; the others keep replicas", async () => {
        const { resources } = await pulseServices(config());
        expect(deployment(resources, "pulse-ingest").spec).not.to.have.property("replicas");
        const hpa = inputs(ofType(resources, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler")[0]);
        expect(hpa.spec).to.deep.include({ minReplicas: 2, maxReplicas: 10 });
        expect(deployment(resources, "pulse-ui").spec.replicas).to.equal(1);
    });

    it("stack outputs name every service", async () => {
        const { platform } = await build(config(), { dbPassword: pulumi.secret("x") });
        for (const s of SERVICE_NAMES) expect(platform.outputs.serviceNames[s], `the output names ${s}`).to.equal(serviceObjectName(s));
        expect(platform.outputs.serviceNames).to.include({ provisionApi: "pulse-provision-api", keycloak: "pulse-keycloak" });
    });
});
