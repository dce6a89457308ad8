/**
 * The Pulse services' registry: one entry per service, carrying the contract of its image as the Pulse project's own
 * code defines it (ports, health endpoints, whether it may run more than once) and the deployment defaults of its
 * config section. The schema builds the service sections from it, the program the workloads, and the tests check
 * both against it: an 8th service is one entry here.
 */
import type { Talk } from "../lib/network";

/** An HTTP server in the container: its port and the endpoints the probes use. */
interface HttpContract {
    readonly port: number;
    /** Liveness: a path that answers whatever the dependencies do, or "tcp" (a connect check) where there is none. */
    readonly liveness: string;
    /** Readiness: a path that answers only when the service can serve (may check its dependencies). */
    readonly readiness: string;
    readonly metrics?: string;
}

export interface ServiceContract {
    /** Config key description (the config reference). */
    readonly description: string;
    /** The environment variables its code reads that the platform supplies (components/serviceEnv.ts has each source). */
    readonly reads: readonly string[];
    /** Image repository: images/Dockerfile's stage of the same name builds it (test/images.test.ts). */
    readonly repository: string;
    /** The service's folder in the Pulse source, which its image is built from (with services/shared). */
    readonly source: string;
    /** The HTTP server, or none: a worker without one gets no port, no probes and no Service. */
    readonly http?: HttpContract;
    /**
     * Whom its code talks to, each as `<party>:<port name>`: a service (config key) or release (config section) and a
     * port it names, `keycloak` (the identity provider, in-cluster or not), or `internet` (`https`, `webhooks`, `smtp`).
     * The NetworkPolicies open exactly these (components/networkParties.ts); test/network-policies.test.ts holds them
     * to what `reads` says the code connects to.
     */
    readonly talksTo: readonly Talk[];
    /** Whether others call it by name (health URLs, routes): it gets a ClusterIP Service. */
    readonly service: boolean;
    /** At most one replica, and why; how it rolls (Recreate: never two at once). */
    readonly singleton?: { readonly reason: string; readonly strategy: "Recreate" | "RollingUpdate" };
    /**
     * Startup work of the image that replicas starting together would race on, run once by a Job of the same image,
     * environment and mounts before its pods start (again when the image changes): the command, and why.
     */
    readonly init?: { readonly reason: string; readonly command: readonly string[] };
    readonly defaults: {
        readonly replicaCount: number;
        readonly resources: "small" | "medium";
        readonly env?: Readonly<Record<string, string>>;
        readonly autoscaling?: { readonly minReplicas: number; readonly maxReplicas: number; readonly targetCPUUtilizationPercentage: number };
    };
}

/** The database, as the services' shared config helper reads it (PG_PASS is required by it). */
const DB = ["PG_PASS", "DATABASE_URL", "PG_HOST", "PG_PORT", "PG_DB", "PG_USER"] as const;
/** The broker's service user on the internal listener (MQTT_USERNAME, MQTT_PASSWORD), as every MQTT client reads it. */
const MQTT_USER = ["MQTT_USERNAME", "MQTT_PASSWORD"] as const;
/** The broker as a host and port; the clients that read MQTT_TLS default it to true, so it is always set. */
const MQTT_HOST_PORT = ["MQTT_HOST", "MQTT_PORT"] as const;
const S3 = ["S3_ENDPOINT", "S3_BUCKET", "S3_REGION", "S3_ACCESS_KEY", "S3_SECRET_KEY"] as const;
const HEALTH_URLS = ["INGEST_HEALTH_URL", "EVALUATOR_HEALTH_URL"] as const;
/** The device CA (certificate and key, mounted from its Secret): ui signs device certificates, ops-worker the CRL. */
const DEVICE_CA = ["DEVICE_CA_CERT_PATH", "DEVICE_CA_KEY_PATH"] as const;

const single = (reason: string, strategy: "Recreate" | "RollingUpdate" = "Recreate") => ({ reason, strategy }) as const;

/** By config key; objects are named `pulse-<component>` (config key in kebab case). */
export const SERVICES = {
    ingest: {
        description: "Ingest workers: NATS -> PostgreSQL (shared JetStream pull consumers)",
        // CERT_AUTH_ENABLED: devices authenticated by their certificate alone (no provision token) are accepted, not quarantined.
        reads: [...DB, "NATS_URL", "CERT_AUTH_ENABLED"],
        repository: "pulse/ingest-iot",
        source: "services/ingest_iot",
        http: { port: 8080, liveness: "/health", readiness: "/ready", metrics: "/metrics" },
        talksTo: ["postgresql:postgresql", "nats:client"],
        service: true,
        defaults: {
            replicaCount: 2,
            resources: "medium",
            env: { BATCH_SIZE: "1000", FLUSH_INTERVAL_MS: "500", INGEST_WORKER_COUNT: "4", PG_POOL_MAX: "10" },
            autoscaling: { minReplicas: 2, maxReplicas: 10, targetCPUUtilizationPercentage: 70 },
        },
    },
    ui: {
        description: "UI and HTTP API (also the EMQX authentication and ACL endpoints)",
        reads: [
            ...DB,
            ...MQTT_HOST_PORT,
            "MQTT_BROKER_URL",
            ...MQTT_USER,
            ...S3,
            "S3_PUBLIC_ENDPOINT",
            "NATS_URL",
            "MQTT_INTERNAL_AUTH_SECRET",
            "UI_BASE_URL",
            "KEYCLOAK_URL",
            "KEYCLOAK_PUBLIC_URL",
            "KEYCLOAK_INTERNAL_URL",
            "KEYCLOAK_REALM",
            "KEYCLOAK_JWKS_URI",
            // The master realm's admin (admin-cli): the user Keycloak was started with, from the same Secret.
            "KEYCLOAK_ADMIN_USERNAME",
            "KEYCLOAK_ADMIN_PASSWORD",
            "JWT_AUDIENCE",
            "STRIPE_SECRET_KEY",
            "STRIPE_WEBHOOK_SECRET",
            "MODE",
            "ENV",
            "SECURE_COOKIES",
            "CORS_ORIGINS",
            ...HEALTH_URLS,
            ...DEVICE_CA,
        ],
        repository: "pulse/ui-iot",
        source: "services/ui_iot",
        // No /health: /healthz checks the database (readiness); liveness must not, so a TCP check.
        http: { port: 8080, liveness: "tcp", readiness: "/healthz", metrics: "/metrics" },
        talksTo: [
            ...(["postgresql:postgresql", "nats:client", "emqx:mqtt", "keycloak:http", "ingest:http", "evaluator:http", "internet:https"] as const),
            // The test notification channels (networkPolicy.uiTestChannels): closed unless configured.
            "test-smtp:smtp",
            "test-snmp:snmp",
            "test-mqtt:mqtt",
        ],
        service: true,
        // Its MQTT client id is fixed; a rolling update overlaps two for seconds (EMQX's session takeover).
        singleton: single("its MQTT client id is fixed", "RollingUpdate"),
        defaults: { replicaCount: 1, resources: "medium" },
    },
    evaluator: {
        description: "Rule evaluator (LISTEN/NOTIFY on a direct database connection)",
        reads: [...DB, "NOTIFY_DATABASE_URL"],
        repository: "pulse/evaluator-iot",
        source: "services/evaluator_iot",
        http: { port: 8080, liveness: "/health", readiness: "/ready", metrics: "/metrics" },
        talksTo: ["postgresql:postgresql"],
        service: true,
        singleton: single("it takes no lock: two would evaluate every rule twice"),
        defaults: { replicaCount: 1, resources: "small" },
    },
    opsWorker: {
        description: "Operations worker: health checks, system alerts, the device CRL",
        // EMQX's REST API with an API key (EMQX_API_USER) and its secret (EMQX_DASHBOARD_PASSWORD: the code's name for it).
        reads: [
            ...DB,
            "MQTT_BROKER_URL",
            ...MQTT_USER,
            ...S3,
            ...HEALTH_URLS,
            "EMQX_API_URL",
            "EMQX_API_USER",
            "EMQX_DASHBOARD_PASSWORD",
            "CRL_OUTPUT_PATH",
            ...DEVICE_CA,
        ],
        repository: "pulse/ops-worker",
        source: "services/ops_worker",
        http: { port: 8080, liveness: "/health", readiness: "/ready", metrics: "/metrics" },
        talksTo: ["postgresql:postgresql", "emqx:mqtt", "emqx:api", "ingest:http", "evaluator:http", "internet:https"],
        service: false,
        singleton: single("its MQTT client id is fixed"),
        defaults: { replicaCount: 1, resources: "small" },
    },
    routeDelivery: {
        description: "Route delivery worker (JetStream work queue -> webhooks and MQTT)",
        reads: [...DB, ...MQTT_HOST_PORT, ...MQTT_USER, "MQTT_TLS", "NATS_URL"],
        repository: "pulse/route-delivery",
        source: "services/route_delivery",
        http: { port: 8080, liveness: "/health", readiness: "/ready", metrics: "/metrics" },
        talksTo: ["postgresql:postgresql", "emqx:mqtt", "nats:client", "internet:webhooks"],
        service: false,
        defaults: { replicaCount: 1, resources: "small" },
    },
    subscriptionWorker: {
        description: "Subscription worker (e-mail notifications); no HTTP server",
        reads: ["DATABASE_URL", "SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD", "SMTP_TLS", "SMTP_FROM"],
        repository: "pulse/subscription-worker",
        source: "services/subscription_worker",
        talksTo: ["postgresql:postgresql", "internet:smtp"],
        service: false,
        singleton: single("it takes no lock: two would send every notification twice"),
        defaults: { replicaCount: 1, resources: "small" },
    },
    provisionApi: {
        description: "Device provisioning API",
        reads: [...DB, "ADMIN_KEY"],
        repository: "pulse/provision-api",
        source: "services/provision_api",
        http: { port: 8081, liveness: "/health", readiness: "/ready" },
        talksTo: ["postgresql:postgresql"],
        service: true,
        // Its startup (app.py) runs CREATE TABLE IF NOT EXISTS for tables no migration creates: two replicas starting at
        // once on a fresh database race on the catalog and one exits. The Job runs that startup alone first.
        init: {
            reason: "it creates its own tables at start (no migration does): replicas starting at once on a fresh database race on them",
            command: ["python", "-c", "import asyncio, app\nasync def init():\n    await app.startup()\n    await app.pool.close()\nasyncio.run(init())"],
        },
        defaults: { replicaCount: 1, resources: "small" },
    },
    mqttNatsBridge: {
        description: "MQTT -> NATS bridge: subscribes tenant/+/device/+/+ and publishes telemetry, shadow and commands; no HTTP server",
        reads: [...MQTT_HOST_PORT, ...MQTT_USER, "MQTT_TLS", "NATS_URL"],
        repository: "pulse/mqtt-nats-bridge",
        source: "services/mqtt_nats_bridge",
        talksTo: ["emqx:mqtt", "nats:client"],
        service: false,
        singleton: single("a plain MQTT subscription: two would publish every message twice"),
        defaults: { replicaCount: 1, resources: "small" },
    },
} as const satisfies Record<string, ServiceContract>;

export type ServiceName = keyof typeof SERVICES;
/** Names of the Pulse services, as config keys, in registry order. */
export const SERVICE_NAMES = Object.keys(SERVICES) as ServiceName[];

/** Component key of a config key: `provisionApi` -> `provision-api`. Objects are named `pulse-<component>`. */
export function componentOf(configKey: string): string {
    return configKey.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The contract of a service, typed loosely enough to read optional fields. */
export function contractOf(name: ServiceName): ServiceContract {
    return SERVICES[name];
}

/** Whether a service logs in to the database (it reads PG_HOST & co. or DATABASE_URL). */
export const connectsToDatabase = (name: ServiceName): boolean => contractOf(name).reads.some((v) => v === "PG_HOST" || v === "DATABASE_URL");

/** Where a secret environment variable comes from: one of the platform's Secrets, and the key in it. */
export interface SecretEnvSource {
    readonly secret: "database" | "app" | "keycloakAdmin";
    readonly key: string;
}

/** The app Secret's keys (pulse-app-secrets): the variable names, each from its secret stack config key. */
export const APP_SECRET_KEYS = {
    MQTT_PASSWORD: "mqttPassword",
    MQTT_INTERNAL_AUTH_SECRET: "mqttInternalAuthSecret",
    S3_ACCESS_KEY: "s3AccessKey",
    S3_SECRET_KEY: "s3SecretKey",
    ADMIN_KEY: "adminKey",
    SMTP_PASSWORD: "smtpPassword",
    STRIPE_SECRET_KEY: "stripeSecretKey",
    STRIPE_WEBHOOK_SECRET: "stripeWebhookSecret",
    KEYCLOAK_CLIENT_SECRET: "keycloakClientSecret",
    // The secret of ops-worker's EMQX API key (bootstrapped into EMQX with it); ops-worker reads it as EMQX_DASHBOARD_PASSWORD.
    EMQX_API_SECRET: "emqxApiSecret",
} as const;

/** App Secret keys that a service reads under another variable's name (the variable, by key). */
const APP_KEYS_READ_AS: Readonly<Record<string, string>> = { EMQX_API_SECRET: "EMQX_DASHBOARD_PASSWORD" };

/** The variables that carry secrets: only ever by reference to a Secret, never a literal (nor a section's `env`). */
export const SECRET_ENV: Readonly<Record<string, SecretEnvSource>> = {
    PG_PASS: { secret: "database", key: "password" },
    DATABASE_URL: { secret: "database", key: "url" },
    // No connection pooler in front of the database: LISTEN works on the same URL.
    NOTIFY_DATABASE_URL: { secret: "database", key: "url" },
    // The admin user Keycloak starts with and its password: one Secret for both.
    KEYCLOAK_ADMIN_USERNAME: { secret: "keycloakAdmin", key: "username" },
    KEYCLOAK_ADMIN_PASSWORD: { secret: "keycloakAdmin", key: "password" },
    ...Object.fromEntries(Object.keys(APP_SECRET_KEYS).map((k) => [APP_KEYS_READ_AS[k] ?? k, { secret: "app", key: k } as const])),
};
