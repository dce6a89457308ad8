/**
 * The facts more than one component relies on, each stated once: how Pulse's objects are named, the Helm releases'
 * names (their Services' DNS names), the ports the in-cluster dependencies and Keycloak listen on, and the Keycloak
 * realm and clients the services and the realm file share. Pulse's own services' ports live in their contracts
 * (config/services.ts); the releases' names and ports in their registry (config/releases.ts), which the constants
 * here name for the many files that use them.
 */
import { RELEASES } from "../config/releases";

/** `app.kubernetes.io/part-of` and `instance` of every Pulse object, and the prefix of its name. */
export const PART_OF = "pulse";

/**
 * The name of a component's objects (Deployment, Service, ServiceAccount, ConfigMap, ...) and its pods'
 * `app.kubernetes.io/name` label: `pulse-<component>`. A Job adds a suffix (components/awaitedJob.ts).
 */
export function objectName(component: string): string {
    return `${PART_OF}-${component}`;
}

/** Helm release names (config/releases.ts): fixed, so the releases' Service DNS names are stable. */
export const POSTGRESQL_RELEASE = RELEASES.postgresql.releaseName;
export const NATS_RELEASE = RELEASES.nats.releaseName;
export const EMQX_RELEASE = RELEASES.emqx.releaseName;

/** PostgreSQL (the chart's Service and pods). */
export const POSTGRESQL_PORT = RELEASES.postgresql.ports.postgresql;
/**
 * The PostgreSQL chart's primary: its StatefulSet and Service, the host Pulse writes to. The release name, or with the
 * replication architecture `<release>-primary` (the chart's postgresql.v1.primary.fullname); replicas: `<release>-read`.
 */
export const postgresqlPrimary = (architecture: "standalone" | "replication") =>
    architecture === "replication" ? `${POSTGRESQL_RELEASE}-primary` : POSTGRESQL_RELEASE;
/** The PostgreSQL chart's backup CronJob (and its PVC), named after the primary, and its pods' component label. */
export const POSTGRESQL_BACKUP = {
    cronJob: (architecture: "standalone" | "replication") => `${postgresqlPrimary(architecture)}-pgdumpall`,
    component: "pg_dumpall",
} as const;
/** NATS client port (the chart's Service and pods). */
export const NATS_PORT = RELEASES.nats.ports.client;
/** The NATS chart's Prometheus exporter sidecar. */
export const NATS_EXPORTER_PORT = RELEASES.nats.ports.metrics;
/** The PostgreSQL chart's Prometheus exporter sidecar. */
export const POSTGRESQL_EXPORTER_PORT = RELEASES.postgresql.ports.metrics;

/** EMQX's internal listener: the Pulse services, authenticated. */
export const MQTT_PORT = RELEASES.emqx.ports.mqtt;
/** EMQX's devices' listener: mutual TLS. */
export const MQTT_TLS_PORT = RELEASES.emqx.ports.mqttssl;
/** EMQX's secure WebSocket listener: devices, mutual TLS, when configured. */
export const MQTT_WSS_PORT = RELEASES.emqx.ports.wss;
/** EMQX's dashboard and REST API. */
export const EMQX_API_PORT = RELEASES.emqx.ports.api;

/** Keycloak's HTTP port (plain HTTP behind the TLS-terminating ingress). */
export const KEYCLOAK_HTTP_PORT = 8080;
/** Keycloak's management port (health, metrics): never routed. */
export const KEYCLOAK_MANAGEMENT_PORT = 9000;
/** JGroups transport between Keycloak replicas (Infinispan cluster). */
export const KEYCLOAK_JGROUPS_PORT = 7800;
/** Caddy's HTTP port. */
export const CADDY_PORT = 8080;

/** The Keycloak realm Pulse uses, imported from config and named in every service's JWT settings. */
export const KEYCLOAK_REALM = "pulse";
/** The public SPA client (and the services' JWT audience): a Keycloak client ID, not an object name. */
export const UI_CLIENT_ID = "pulse-ui";
/** The confidential client the API uses (Pulse's realm file): a Keycloak client ID, not an object name. */
export const API_CLIENT_ID = "pulse-api";

/**
 * The type token of every ComponentResource, verbatim: each is part of the URN of everything the component holds in
 * every existing stack, so a file move or a class rename must never change one (that would need `aliases`).
 * test/urns.test.ts snapshots the URNs they produce. A release the generic component installs has its token in its
 * registry entry (config/releases.ts `type`).
 */
export const TYPES = {
    platform: "pulse:platform:Platform",
    workload: "pulse:workload:Workload",
    awaitedJob: "pulse:awaitedJob:AwaitedJob",
    caddy: "pulse:caddy:Caddy",
    database: "pulse:database:Database",
    emqx: "pulse:emqx:Emqx",
    ingress: "pulse:ingress:Ingress",
    keycloak: "pulse:keycloak:Keycloak",
    metrics: "pulse:metrics:Metrics",
    migrator: "pulse:migrator:Migrator",
    natsInit: "pulse:natsInit:NatsInit",
    networkPolicies: "pulse:networkPolicies:NetworkPolicies",
    pulseServices: "pulse:pulseServices:PulseServices",
} as const;
