/**
 * The Pulse services' facts, and the check of a registry against them: step 2 of docs/development.md's "Add a service".
 */
import type { ServiceContract, ServiceName } from "../config";

/** What a service's code does: its HTTP port and probe paths (none without a server), whether others call it, whether two may run. */
export interface ServiceFacts {
    readonly port?: number;
    readonly liveness?: string;
    readonly readiness?: string;
    readonly service: boolean;
    readonly single: boolean;
    readonly required: readonly string[];
}

/**
 * What the real Pulse services need, from the Pulse project's own source (design notes, pulse-services.md): written out
 * here on purpose, apart from the registry, so a registry entry that drifts from the facts fails.
 */
export const FACTS: Record<ServiceName, ServiceFacts> = {
    ingest: { port: 8080, liveness: "/health", readiness: "/ready", service: true, single: false, required: ["PG_PASS", "NATS_URL", "CERT_AUTH_ENABLED"] },
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
            "KEYCLOAK_ADMIN_USERNAME",
            "KEYCLOAK_ADMIN_PASSWORD",
            "S3_ENDPOINT",
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
        required: [
            "PG_PASS",
            "S3_ACCESS_KEY",
            "S3_SECRET_KEY",
            "S3_ENDPOINT",
            "MQTT_PASSWORD",
            "EMQX_DASHBOARD_PASSWORD",
            "EMQX_API_URL",
            "EMQX_API_USER",
            "MQTT_BROKER_URL",
        ],
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

/**
 * The problems of a registry against the facts: a service without its facts (or facts of no service), and an entry that
 * contradicts its facts (port, probe paths, Service, singleton, a required variable it does not read). Each names the
 * service. test/services.test.ts also checks each built Deployment against the facts.
 */
export function factsProblems(services: Readonly<Record<string, ServiceContract>>, facts: Readonly<Record<string, ServiceFacts>>): string[] {
    const problems = Object.keys(facts)
        .filter((s) => !(s in services))
        .map((s) => `${s}: facts of a service the registry lacks (FACTS, test/service-facts.ts)`);
    for (const [s, c] of Object.entries(services)) {
        const f = facts[s];
        if (f === undefined) {
            problems.push(`${s}: no facts (FACTS, test/service-facts.ts)`);
            continue;
        }
        const compared = {
            port: [c.http?.port, f.port],
            liveness: [c.http?.liveness, f.liveness],
            readiness: [c.http?.readiness, f.readiness],
            service: [c.service, f.service],
            singleton: [c.singleton !== undefined, f.single],
        };
        for (const [what, [entry, fact]] of Object.entries(compared)) {
            if (entry !== fact) problems.push(`${s}: ${what} is ${String(entry ?? "none")} in the registry, ${String(fact ?? "none")} in its facts`);
        }
        for (const v of f.required.filter((v) => !c.reads.includes(v))) problems.push(`${s}: does not read ${v}, which its facts require`);
    }
    return problems;
}
