/**
 * The platform's sections: the data stores and brokers Pulse runs on (PostgreSQL or an external database, EMQX, NATS),
 * and where its Kubernetes Secrets come from.
 */
import { z } from "zod";
import { annotationMap, bool, image, intAtLeast, nonEmpty, persistence, port, resources, SERVICE_TYPES, storageClass } from "./blocks";
import { bytes, cidrs, cronSchedule, hostname, httpUrl, k8sName, natsUrl, optionalHost, parseQuantity } from "./formats";
import { metricsSwitch, natsMetrics, postgresqlMetrics } from "./metrics";
import type { ReleaseKey } from "../releases";
import { OwnKeys, ownKeys } from "./releases";

/**
 * The database user Pulse's migrations name literally (`GRANT pulse_app TO iot`, policies `TO iot`: 004_enable_rls.sql,
 * 029, 030, 035): any other user would lack those grants, so only that name is accepted.
 */
export const PULSE_DATABASE_USER = "iot";
const pulseDatabaseUser = () =>
    z
        .string({ error: `must be ${PULSE_DATABASE_USER}` })
        .refine((u) => u === PULSE_DATABASE_USER, {
            error: `must be ${PULSE_DATABASE_USER}: Pulse's migrations grant roles and row-level-security policies to the role ${PULSE_DATABASE_USER} by name, so another user would miss them`,
        })
        .default(PULSE_DATABASE_USER);

/** The in-cluster PostgreSQL's admin and its replication user (the Bitnami chart's `postgres` and auth.replicationUsername). */
export const POSTGRES_ADMIN_USER = "postgres";
export const POSTGRES_REPLICATION_USER = "repl_user";

/** NATS servers at most: the chart lists every server's route in its ConfigMap, which must stay within the API's limits. */
const NATS_SERVERS_MAX = 1000;

/**
 * Recovery of a Helm release an interrupted `pulumi up` left pending (pulumi-kubernetes#2054): lib/releaseRecovery.ts.
 * The root schema checks `stuckAfterSeconds` against every installed chart's `timeoutSeconds`.
 */
export const helm = z
    .strictObject({
        recoverStuckReleases: bool()
            .default(true)
            .describe(
                "Before `pulumi up` installs or upgrades a release, recover it when an interrupted operation left its last revision pending-install or pending-upgrade for longer than `stuckAfterSeconds`: an upgrade's pending revision is marked failed (the upgrade then runs from the last deployed revision), a first install's pending record is removed (the install adopts the objects); no object, claim or volume is deleted, and a warning says what was done. false: `pulumi up` fails with Helm's \"another operation (install/upgrade/rollback) is in progress\" and an operator recovers by hand (docs/operations.md)",
            ),
        stuckAfterSeconds: intAtLeast(61)
            .default(900)
            .describe(
                "Age (seconds, by the API server's clock) from which a pending revision counts as interrupted: no Helm operation still runs it. Must exceed every installed chart's `chart.timeoutSeconds` (Helm gives up after it); a younger pending revision fails `pulumi up` with what to wait for",
            ),
    })
    .prefault({});

const postgresql = ownKeys({
    keys: {
        auth: z
            .strictObject({
                database: nonEmpty("a database name").default("iotcloud").describe("Database Pulse uses"),
                username: pulseDatabaseUser().describe("Database user Pulse connects as: iot (Pulse's migrations grant to it by that name)"),
                existingSecret: k8sName("a Secret name")
                    .default("pulse-db-secret")
                    .describe("Secret with keys url, password, postgres-password (and username; replication-password with architecture replication)"),
            })
            .prefault({}),
        // TimescaleDB's build on the Bitnami PostgreSQL 16 image: the chart's scripts, plus the extension Pulse's migrations need.
        image: image({ registry: "docker.io", repository: "timescale/timescaledb", tag: "2.16.1-pg16-bitnami" }),
        persistence: persistence("8Gi")
            .extend({ storageClass: storageClass("bitnami") })
            .prefault({}),
        resources: resources({ requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } }),
    },
    moreKeys: {
        metrics: postgresqlMetrics,
        protect: bool()
            .default(true)
            .describe(
                "Keep the database (release, volume, generated passwords) on `pulumi destroy` and refuse to replace it; see docs/upgrades.md, Data safety",
            ),
        architecture: z
            .enum(["standalone", "replication"], { error: "must be standalone or replication" })
            .default("standalone")
            .describe(
                "The chart's architecture: `replication` adds streaming read replicas (a warm standby; no automatic failover) and renames the primary's objects `pulse-postgresql-primary`: choose it at the first install (switching later starts an empty primary: docs/operations.md)",
            ),
        readReplicas: z
            .strictObject({
                replicaCount: intAtLeast(1).default(1).describe("Read replicas (each with a volume like the primary's, same resources)"),
            })
            .prefault({})
            .describe("With architecture replication: the replicas (Service pulse-postgresql-read)"),
        replication: z
            .strictObject({
                synchronousCommit: z
                    .enum(["on", "remote_apply", "remote_write", "local", "off"], { error: "must be on, remote_apply, remote_write, local or off" })
                    .default("off")
                    .describe("PostgreSQL's synchronous_commit: `on` with numSynchronousReplicas >= 1 loses no committed write with the primary"),
                numSynchronousReplicas: intAtLeast(0).default(0).describe("Replicas a commit waits for (at most readReplicas.replicaCount); 0: asynchronous"),
            })
            .prefault({})
            .describe("With architecture replication: how commits wait for the replicas"),
        backup: z
            .strictObject({
                enabled: bool()
                    .default(false)
                    .describe(
                        "Scheduled logical backups by the chart's backup CronJob (pulse-postgresql-pgdumpall): the roles (pg_dumpall --globals-only) and Pulse's and Keycloak's databases (pg_dump, custom format), one directory per backup on the PVC pulse-db-backups; restore: docs/operations.md",
                    ),
                schedule: cronSchedule().default("0 2 * * *").describe("When backups run (cron, in the cluster's time zone: usually UTC)"),
                keep: intAtLeast(1).default(7).describe("Backups kept on the volume: after each successful backup, the oldest beyond this many are deleted"),
                size: bytes().default("20Gi").describe("Backup volume size: room for `keep` backups plus one in progress"),
                storageClass: storageClass(),
                existingClaim: z
                    .union([z.literal(""), k8sName("a PersistentVolumeClaim name")])
                    .default("")
                    .describe("Back up to this existing PersistentVolumeClaim instead of the program's pulse-db-backups (size and storageClass then unused)"),
                resources: resources({ requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "512Mi" } }),
            })
            .prefault({})
            .describe("Backups; their volume (pulse-db-backups) is kept on `pulumi destroy`"),
    },
    refine(pg, ctx) {
        // What only an in-cluster PostgreSQL does, asked of a managed one: say so rather than do nothing.
        const inClusterOnly = [
            {
                on: pg.backup.enabled,
                path: ["backup", "enabled"],
                input: true as unknown,
                what: "backs up the in-cluster PostgreSQL; a managed database has its provider's backups",
            },
            {
                on: pg.architecture === "replication",
                path: ["architecture"],
                input: pg.architecture as unknown,
                what: "is the in-cluster chart's; a managed database has its provider's replicas",
            },
        ];
        for (const k of inClusterOnly.filter((k) => k.on && !pg.enabled)) {
            ctx.addIssue({ code: "custom", path: k.path, input: k.input, message: `${k.what} (postgresql.enabled is false)` });
        }
        const replicationSet = pg.readReplicas.replicaCount !== 1 || pg.replication.synchronousCommit !== "off" || pg.replication.numSynchronousReplicas !== 0;
        if (pg.enabled && pg.architecture === "standalone" && replicationSet) {
            ctx.addIssue({
                code: "custom",
                path: ["architecture"],
                input: "standalone",
                message: "is standalone, so readReplicas and replication would do nothing: set architecture replication, or remove them",
            });
        }
        if (pg.architecture === "replication" && pg.replication.synchronousCommit === "off" && pg.replication.numSynchronousReplicas > 0) {
            ctx.addIssue({
                code: "custom",
                path: ["replication", "synchronousCommit"],
                input: "off",
                message: `is off, so the chart makes no replica synchronous (numSynchronousReplicas ${pg.replication.numSynchronousReplicas} would do nothing): set on, remote_apply or remote_write, or numSynchronousReplicas 0`,
            });
        }
        if (pg.architecture === "replication" && pg.replication.numSynchronousReplicas > pg.readReplicas.replicaCount) {
            ctx.addIssue({
                code: "custom",
                path: ["replication", "numSynchronousReplicas"],
                input: pg.replication.numSynchronousReplicas,
                message: `must be at most readReplicas.replicaCount (${pg.readReplicas.replicaCount}): a commit cannot wait for replicas that do not exist`,
            });
        }
    },
});

const SSL_MODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] as const;

export const externalDatabase = z
    .strictObject({
        enabled: bool().default(false).describe("Use a managed PostgreSQL (RDS, Cloud SQL) instead of the in-cluster one"),
        host: optionalHost("Database host (required when enabled)"),
        port: port(5432).describe("Database port"),
        database: nonEmpty("a database name").default("iotcloud").describe("Database name"),
        username: pulseDatabaseUser().describe(
            "Database user: iot (Pulse's migrations grant to it by that name; docs/platform.md says what its admin grants it)",
        ),
        sslmode: z
            .enum(SSL_MODES, { error: `must be one of ${SSL_MODES.join(", ")}` })
            .default("require")
            .describe("libpq sslmode appended to the connection URL"),
        existingSecret: k8sName("a Secret name").default("pulse-db-secret").describe("Secret with keys url, password and username"),
        caSecret: k8sName("a Secret name")
            .optional()
            .describe(
                "Existing Secret holding the CA that signed the server's certificate (key `caKey`), mounted into every pod that connects; required with sslmode verify-ca or verify-full",
            ),
        caKey: nonEmpty("a key").default("ca.crt").describe("Key of the CA certificate (PEM) in `caSecret`"),
    })
    .prefault({})
    .superRefine((e, ctx) => {
        if (e.enabled && e.sslmode.startsWith("verify-") && e.caSecret === undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["caSecret"],
                input: undefined,
                message: `is required with sslmode ${e.sslmode}: the pods verify the server against this CA, and have no other`,
            });
        }
    });

const emqx = ownKeys({
    keys: {
        replicaCount: intAtLeast(1).default(1).describe("EMQX nodes (3 for HA)"),
        image: image({ registry: "docker.io", repository: "emqx/emqx", tag: "5.8.9" }),
        persistence: persistence("1Gi").extend({ storageClassName: storageClass() }).prefault({}),
        resources: resources({ requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } }),
    },
    moreKeys: {
        metrics: metricsSwitch("EMQX's /api/v5/prometheus/stats on its dashboard port 18083"),
        dashboard: z
            .strictObject({
                username: nonEmpty("a user name")
                    .default("pulse-admin")
                    .describe("Dashboard admin user (password: secret pulse:emqxDashboardPassword, generated when unset)"),
            })
            .prefault({}),
        serviceUser: nonEmpty("a user name")
            .default("service_pulse")
            .describe("MQTT user the Pulse services connect as (EMQX's built-in database; password: secret pulse:mqttPassword)"),
        deviceTls: z
            .strictObject({
                serverCertSecret: z
                    .union([z.literal(""), k8sName("a Secret name")])
                    .default("")
                    .describe(
                        "kubernetes.io/tls Secret with the broker's server certificate for 8883 (written by cert-manager when `certManager.issuer` is set)",
                    ),
                certManager: z
                    .strictObject({
                        issuer: z
                            .string()
                            .default("")
                            .describe("cert-manager issuer that signs the server certificate; empty: bring `serverCertSecret` yourself"),
                        issuerKind: z.enum(["ClusterIssuer", "Issuer"], { error: "must be ClusterIssuer or Issuer" }).default("ClusterIssuer"),
                        dnsNames: z.array(hostname()).default([]).describe("Names devices connect to (the Service's in-cluster names are always added)"),
                    })
                    .prefault({}),
                deviceCaSecret: z
                    .union([z.literal(""), k8sName("a Secret name")])
                    .default("")
                    .describe(
                        "Secret with the device CA (tls.crt; tls.key for ui, which signs device certificates, and ops-worker); devices must present a certificate it signed",
                    ),
                crlCheck: bool()
                    .default(false)
                    .describe(
                        "Refuse revoked device certificates. EMQX reads a CRL only from the distribution point a certificate names, and the certificates Pulse's ui issues name none: with the check on, EMQX refuses every certificate whose status it cannot determine. On only with `crlDistributionPoints`",
                    ),
                crlDistributionPoints: z
                    .array(httpUrl("must be an http(s) URL such as http://crl.example.com/device-ca.crl"))
                    .default([])
                    .describe(
                        "The CRL distribution points your device certificates name (required with crlCheck): EMQX fetches them, so its NetworkPolicy opens their ports to `networkPolicy.internet`",
                    ),
                websocket: bool()
                    .default(false)
                    .describe(
                        "Also offer devices MQTT over WebSocket with the same mutual TLS (wss, port 8084, path /mqtt). EMQX's plain WebSocket listener is always off: Pulse's authentication accepts a bare `<tenant>/<device>` username on a listener without client certificates",
                    ),
            })
            .prefault({})
            .superRefine((t, ctx) => {
                if (t.crlCheck && t.crlDistributionPoints.length === 0) {
                    ctx.addIssue({
                        code: "custom",
                        path: ["crlDistributionPoints"],
                        input: [],
                        message:
                            "must list the CRL distribution points your device certificates name when crlCheck is true: EMQX checks revocation only there, and refuses every certificate whose status it cannot determine (the certificates Pulse's ui issues name none)",
                    });
                }
                if (!t.crlCheck && t.crlDistributionPoints.length > 0) {
                    ctx.addIssue({
                        code: "custom",
                        path: ["crlDistributionPoints"],
                        input: t.crlDistributionPoints,
                        message: "is used only with crlCheck: true (EMQX fetches them to check revocation); set crlCheck, or remove them",
                    });
                }
            })
            .describe(
                "The devices' only entry: 8883 with mutual TLS (and wss 8084 with `websocket`), on when a server certificate and the device CA are configured",
            ),
        deviceService: z
            .strictObject({
                type: z
                    .enum(SERVICE_TYPES, { error: `must be one of ${SERVICE_TYPES.join(", ")}` })
                    .default("ClusterIP")
                    .describe("Type of the Service devices connect to (pulse-emqx-devices); LoadBalancer or NodePort exposes it outside the cluster"),
                annotations: annotationMap().default({}).describe("Its annotations (a cloud load balancer's settings)"),
                loadBalancerSourceRanges: cidrs("203.0.113.0/24")
                    .default([])
                    .describe("Address ranges a LoadBalancer admits (empty: the provider's default, usually everything)"),
            })
            .prefault({})
            .describe("The Service devices connect to (pulse-emqx-devices), created with deviceTls: 8883 (and wss 8084 with deviceTls.websocket)"),
        apiKey: z
            .string({ error: "must be an API key name" })
            .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: "must be an API key name: letters, digits, '_' and '-' (at most 64)" })
            .default("pulse-ops-worker")
            .describe(
                "The EMQX REST API key ops-worker uses (EMQX_API_USER; its secret: pulse:emqxApiSecret, generated when unset), bootstrapped into EMQX from the bootstrap Secret (`api_key.bootstrap_file`)",
            ),
        externalHost: optionalHost("MQTT broker host when emqx.enabled is false (required then)"),
        externalPort: port(1883).describe("MQTT broker port when emqx.enabled is false"),
    },
});

/** Whether the devices' mutual-TLS listener is on: the in-cluster broker, a server certificate and the device CA. */
export function deviceTlsEnabled(emqx: {
    readonly enabled: boolean;
    readonly deviceTls: { readonly serverCertSecret: string; readonly certManager: { readonly issuer: string }; readonly deviceCaSecret: string };
}): boolean {
    const t = emqx.deviceTls;
    return emqx.enabled && (t.serverCertSecret !== "" || t.certManager.issuer !== "") && t.deviceCaSecret !== "";
}

const nats = ownKeys({
    keys: {
        // The chart writes every server's route (nats://<release>-<i>.<release>-headless:6222, ~50 bytes) into one ConfigMap,
        // which the API server caps at 1 MiB of data (and 3 MiB a request): far fewer servers than that, with headroom.
        replicaCount: intAtLeast(1, NATS_SERVERS_MAX).default(1).describe("NATS servers; more than one forms a cluster (3 for JetStream replicated streams)"),
        jetstream: z
            .strictObject({
                memoryStore: z
                    .strictObject({
                        enabled: bool().default(true).describe("JetStream memory store"),
                        maxSize: bytes().default("256Mi").describe("Memory store size (container memory limit must exceed it)"),
                    })
                    .prefault({}),
                fileStore: z
                    .strictObject({
                        enabled: bool().default(true).describe("JetStream file store on a PVC"),
                        size: bytes().default("2Gi").describe("File store volume size"),
                        storageClassName: storageClass(),
                    })
                    .prefault({}),
            })
            .prefault({}),
        resources: resources({ requests: { cpu: "100m", memory: "512Mi" }, limits: { memory: "512Mi" } }),
    },
    moreKeys: {
        metrics: natsMetrics,
        natsBox: z.strictObject({ enabled: bool().default(false).describe("Deploy the nats-box toolbox Deployment") }).prefault({}),
        externalUrl: natsUrl(true).default("").describe("NATS URL when nats.enabled is false (required then)"),
    },
    refine(n, ctx) {
        if (n.enabled && !n.jetstream.memoryStore.enabled && !n.jetstream.fileStore.enabled) {
            ctx.addIssue({
                code: "custom",
                path: ["jetstream", "fileStore", "enabled"],
                input: false,
                message: "JetStream needs a store: enable fileStore or memoryStore",
            });
        }
        // JetStream's memory store lives in the container's memory: the limit must leave room beyond it.
        const store = n.jetstream.memoryStore;
        const limit = parseQuantity(n.resources.limits.memory);
        const size = parseQuantity(store.maxSize);
        if (store.enabled && limit !== undefined && size !== undefined && limit <= size) {
            ctx.addIssue({
                code: "custom",
                path: ["resources", "limits", "memory"],
                input: n.resources.limits.memory,
                message: `must exceed jetstream.memoryStore.maxSize (${store.maxSize})`,
            });
        }
    },
});

/**
 * The keys of their own of the releases that have any: the chart's settings beyond what every release section has
 * (config/schema/releases.ts builds each section around them). A release without an entry here has none.
 */
export const RELEASE_OWN_KEYS = { postgresql, emqx, nats } satisfies { readonly [K in ReleaseKey]?: OwnKeys<z.ZodRawShape, z.ZodRawShape> };

export const secrets = z
    .strictObject({
        external: bool()
            .default(false)
            .describe("Secrets are managed outside Pulumi (External Secrets, Sealed Secrets, a cloud secret manager): create none and reference them by name"),
        emqxDashboard: k8sName("a Secret name")
            .default("pulse-emqx-dashboard")
            .describe(
                "Secret EMQX loads as its environment: EMQX_DASHBOARD__DEFAULT_USERNAME, EMQX_DASHBOARD__DEFAULT_PASSWORD, EMQX_AUTHENTICATION, EMQX_AUTHORIZATION__SOURCES",
            ),
        keycloakAdmin: k8sName("a Secret name").default("pulse-keycloak-admin").describe("Secret with Keycloak's bootstrap admin: username, password"),
        emqxBootstrap: k8sName("a Secret name")
            .default("pulse-emqx-bootstrap")
            .describe("Secret with `users.csv`, EMQX's built-in database bootstrap (the services' MQTT user)"),
        keycloakDb: k8sName("a Secret name").default("pulse-keycloak-db").describe("Secret with Keycloak's database credentials: username, password"),
        app: k8sName("a Secret name")
            .default("pulse-app-secrets")
            .describe(
                "Secret with the Pulse services' credentials, one key per variable (docs/secrets.md): MQTT_PASSWORD, MQTT_INTERNAL_AUTH_SECRET, S3_ACCESS_KEY, S3_SECRET_KEY, ADMIN_KEY, SMTP_PASSWORD, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, KEYCLOAK_CLIENT_SECRET",
            ),
    })
    .prefault({});
