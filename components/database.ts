/**
 * Pulse's PostgreSQL: the in-cluster Bitnami release and its setup Job, or a managed database, behind one contract for
 * everything downstream: the connection facts as plain values, and the Secret `pulse-db-secret` (name from config) with
 * keys `url`, `username`, `password` and, in-cluster, `postgres-password`, which the credentials stage
 * (components/credentials.ts) writes and hands this component, like every reader, as references.
 */
import type { JobNetwork } from "../lib/network";
import * as fs from "fs";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PulseConfig } from "../config";
import { checksum } from "../lib/checksum";
import { secretKeyEnv } from "../lib/secrets";
import { objectName, POSTGRESQL_PORT, postgresqlPrimary, TYPES } from "../lib/contracts";
import { chartRelease } from "../lib/helm";
import { bitnamiImageValues, resolveImage } from "../lib/images";
import { standardLabels } from "../lib/labels";
import { ReadOnlyMount } from "../lib/pod";
import { schedulingValues, withScheduling } from "../lib/releaseScheduling";
import { resourceRequirements } from "../lib/resources";
import type { DatabaseCredentials, KeycloakDatabaseCredentials } from "./credentials";
import { AwaitedJob } from "./awaitedJob";
import { Globals } from "./globals";
import { postgresqlExporterValues } from "../lib/metrics";

export interface DatabaseArgs {
    readonly globals: Globals;
    readonly postgresql: PulseConfig["postgresql"];
    readonly externalDatabase: PulseConfig["externalDatabase"];
    /** `pulse:chartRepositoryPassword`, for a chart from a private repository. */
    readonly chartRepositoryPassword?: pulumi.Output<string>;
    /** Pulse's login (components/credentials.ts): the chart's existing Secret, the setup Job's passwords and revision. */
    readonly credentials: DatabaseCredentials;
    /** Keycloak's own database on the same server (the setup Job creates its role; backups dump it); none without Keycloak. */
    readonly keycloakDb?: KeycloakDatabaseCredentials;
}

/** Where Pulse connects: pure, so the ConfigMap, Keycloak and the tests derive the same facts. */
export interface DatabaseConnection {
    readonly host: string;
    readonly port: number;
    readonly database: string;
    readonly username: string;
    readonly sslmode?: string;
    /** The server's CA, from an existing Secret, mounted at DB_CA_DIR (sslmode verify-ca / verify-full). */
    readonly ca?: { readonly secretName: string; readonly key: string };
    /** The configured name of the Secret holding url/username/password (components/credentials.ts writes or references it). */
    readonly secretName: string;
    readonly inCluster: boolean;
}

/**
 * Whether the stack holds data Pulumi must never delete: PostgreSQL in-cluster with `postgresql.protect`. The release,
 * the database Secret, the generated passwords and the namespace around them are then protected and retained.
 */
export function keepsData(postgresql: PulseConfig["postgresql"]): boolean {
    return postgresql.enabled && postgresql.protect;
}

export function databaseConnection(postgresql: PulseConfig["postgresql"], external: PulseConfig["externalDatabase"]): DatabaseConnection {
    return postgresql.enabled
        ? {
              host: postgresqlPrimary(postgresql.architecture),
              port: POSTGRESQL_PORT,
              database: postgresql.auth.database,
              username: postgresql.auth.username,
              secretName: postgresql.auth.existingSecret,
              inCluster: true,
          }
        : {
              host: external.host,
              port: external.port,
              database: external.database,
              username: external.username,
              sslmode: external.sslmode,
              ...(external.caSecret ? { ca: { secretName: external.caSecret, key: external.caKey } } : {}),
              secretName: external.existingSecret,
              inCluster: false,
          };
}

/** Where the external database's CA is mounted in every pod that connects to it. */
const DB_CA_DIR = "/etc/pulse/db-ca";

/** The CA file's path in the pods, when the connection verifies the server. */
const databaseCaFile = (c: DatabaseConnection): string | undefined => (c.ca ? `${DB_CA_DIR}/${c.ca.key}` : undefined);

/** `?sslmode=...&sslrootcert=...` (libpq's and pgjdbc's parameter names), or "". */
export function sslParameters(c: DatabaseConnection): string {
    const params = [...(c.sslmode ? [`sslmode=${c.sslmode}`] : []), ...(c.ca ? [`sslrootcert=${databaseCaFile(c)}`] : [])];
    return params.length > 0 ? `?${params.join("&")}` : "";
}

/** The CA's read-only mount for a pod that connects (none without a CA). */
export const databaseCaMounts = (c: DatabaseConnection): Record<string, ReadOnlyMount> =>
    c.ca ? { "db-ca": { secretName: c.ca.secretName, mountPath: DB_CA_DIR } } : {};

/**
 * The libpq environment that makes a client building its connection from PG_HOST & co. verify the server (asyncpg and
 * psycopg read PGSSLMODE and PGSSLROOTCERT); none without a CA.
 */
export const databaseTlsEnv = (c: DatabaseConnection): { name: string; value: string }[] =>
    c.ca
        ? [
              { name: "PGSSLMODE", value: c.sslmode ?? "verify-full" },
              { name: "PGSSLROOTCERT", value: databaseCaFile(c)! },
          ]
        : [];

/** postgresql://user:password@host:port/database[?sslmode=...&sslrootcert=...], every part URL-encoded. */
export function databaseUrl(c: DatabaseConnection, password: string): string {
    const e = encodeURIComponent;
    return `postgresql://${e(c.username)}:${e(password)}@${c.host}:${c.port}/${e(c.database)}${sslParameters(c)}`;
}

/** The backup script (assets/db-backup.sh) the chart's backup CronJob runs: `sh -c SCRIPT db-backup KEEP DATABASE...`. */
export const DB_BACKUP_SH = fs.readFileSync(path.join(__dirname, "..", "assets", "db-backup.sh"), "utf8");
/** Where the chart mounts the backup volume (its default; the script reads it as PGDUMP_DIR). */
export const BACKUP_DIR = "/backup/pgdump";

/** The backups' volume the program creates (unless `backup.existingClaim` names one): never the chart's, see Database. */
export const BACKUP_CLAIM = objectName("db-backups");

/** The claim the backups go to: the configured one, or the program's. */
const backupClaim = (backup: PulseConfig["postgresql"]["backup"]): string => backup.existingClaim || BACKUP_CLAIM;

/** The chart's backup CronJob (pulse-postgresql-pgdumpall): our script over the given databases, to the backup claim. */
function backupValues(backup: PulseConfig["postgresql"]["backup"], databases: readonly string[]): Record<string, unknown> {
    if (!backup.enabled) return { enabled: false };
    return {
        enabled: true,
        cronjob: {
            schedule: backup.schedule,
            // A backup still running when the next is due: skip the next, never two at once on one volume.
            concurrencyPolicy: "Forbid",
            command: ["/bin/sh", "-c", DB_BACKUP_SH, "db-backup", String(backup.keep), ...databases],
            resources: resourceRequirements(backup.resources),
            // The program's NetworkPolicies admit the backup pods to PostgreSQL (components/networkPolicies.ts).
            networkPolicy: { enabled: false },
            // Always an existing claim: the chart's own would be Pending until the first backup on a WaitForFirstConsumer
            // StorageClass (most clouds' default), and Helm's wait for the release waits for every claim to be bound.
            storage: { enabled: true, existingClaim: backupClaim(backup), mountPath: BACKUP_DIR },
        },
    };
}

/** The primary's storage (and the replicas', which copy it): the volume outlives the StatefulSet. */
function volumeValues(pg: PulseConfig["postgresql"]): Record<string, unknown> {
    return {
        resources: resourceRequirements(pg.resources),
        persistence: {
            enabled: pg.persistence.enabled,
            size: pg.persistence.size,
            ...(pg.persistence.storageClass ? { storageClass: pg.persistence.storageClass } : {}),
        },
        // Deleting or scaling the release never deletes data.
        persistentVolumeClaimRetentionPolicy: { enabled: true, whenDeleted: "Retain", whenScaled: "Retain" },
    };
}

/** Read replicas (architecture replication): the primary's volume and resources, streaming as configured. */
function replicationValues(pg: PulseConfig["postgresql"]): Record<string, unknown> {
    // The chart's own policy is off here too (components/networkPolicies.ts owns them).
    const readReplicas = { networkPolicy: { enabled: false } };
    if (pg.architecture !== "replication") return { readReplicas };
    return {
        readReplicas: { ...readReplicas, replicaCount: pg.readReplicas.replicaCount, ...volumeValues(pg) },
        replication: { synchronousCommit: pg.replication.synchronousCommit, numSynchronousReplicas: pg.replication.numSynchronousReplicas },
    };
}

/**
 * Values for bitnami/postgresql 15.5.38: the chart's settings, then the section's scheduling keys (lib/releaseScheduling.ts).
 * `databases`: what a backup dumps (Pulse's and Keycloak's). `existingSecret`: the database Secret's name
 * (DatabaseCredentials.secretName: an output of the written Secret makes the release wait for it).
 */
export function postgresqlValues(
    pg: PulseConfig["postgresql"],
    global: PulseConfig["global"],
    databases: readonly string[],
    existingSecret: pulumi.Input<string>,
): Record<string, unknown> {
    return withScheduling(postgresqlChartValues(pg, global, databases, existingSecret), schedulingValues("postgresql", pg));
}

/** The chart's settings. Credentials come from the existing Secret, never from values. */
function postgresqlChartValues(
    pg: PulseConfig["postgresql"],
    global: PulseConfig["global"],
    databases: readonly string[],
    existingSecret: pulumi.Input<string>,
): Record<string, unknown> {
    const image = pg.image;
    return {
        global: {
            ...(global.imageRegistry ? { imageRegistry: global.imageRegistry } : {}),
            imagePullSecrets: global.imagePullSecrets,
        },
        image: bitnamiImageValues(image),
        architecture: pg.architecture,
        // TimescaleDB must be preloaded; pgaudit is the chart's default.
        postgresqlSharedPreloadLibraries: "pgaudit,timescaledb",
        auth: {
            enablePostgresUser: true,
            database: pg.auth.database,
            username: pg.auth.username,
            existingSecret,
            // With replication, the replicas log in as the chart's repl_user with the Secret's `replication-password`.
        },
        primary: {
            ...volumeValues(pg),
            // The program owns the namespace's NetworkPolicies (components/networkPolicies.ts). The chart's own is on by
            // default, admits every pod to PostgreSQL's port and allows all egress.
            networkPolicy: { enabled: false },
        },
        ...replicationValues(pg),
        backup: backupValues(pg.backup, databases),
        // Its init container runs as root: never under Pod Security "restricted".
        volumePermissions: { enabled: false },
        ...postgresqlExporterValues(pg, global),
    };
}

/** The pod-template annotation with the revision of the database password a pod logs in with. */
export const CREDENTIALS_ANNOTATION = "checksum/db-credentials";

/** The setup Job logs in to the server as its admin, nothing else. */
export const DB_SETUP_NETWORK: JobNetwork = { component: "db-setup", talksTo: ["postgresql:postgresql"] };

/** The setup script (assets/db-setup.sql): roles, Keycloak's database, the extensions. */
export const DB_SETUP_SQL = fs.readFileSync(path.join(__dirname, "..", "assets", "db-setup.sql"), "utf8");
const SETUP_MOUNT = "/etc/db-setup";
/** The setup runs only the psql client, which needs no user of the image's: any non-root uid, HOME on /tmp. */
const PSQL_UID = 10001;

export class Database extends pulumi.ComponentResource {
    readonly connection: DatabaseConnection;
    readonly release?: k8s.helm.v3.Release;
    /** In-cluster with backups on and no `backup.existingClaim`: the backups' volume (kept on `pulumi destroy`). */
    readonly backupClaim?: k8s.core.v1.PersistentVolumeClaim;
    /** In-cluster: the Job that makes the database what Pulse needs (assets/db-setup.sql), once the release is up. */
    readonly setup?: AwaitedJob;

    constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPES.database, name, {}, opts);
        const connection = databaseConnection(args.postgresql, args.externalDatabase);
        this.connection = connection;

        const keep = keepsData(args.postgresql);
        const kcDb = args.keycloakDb;

        if (connection.inCluster) {
            // The backups' volume: created before the release (its CronJob names it), kept like the data; nothing mounts
            // it until the first backup, so with WaitForFirstConsumer it is Pending until then: no await.
            const backup = args.postgresql.backup;
            if (backup.enabled && !backup.existingClaim) {
                this.backupClaim = new k8s.core.v1.PersistentVolumeClaim(
                    `${name}-backup-claim`,
                    {
                        metadata: {
                            name: BACKUP_CLAIM,
                            namespace: args.globals.namespace,
                            labels: standardLabels({ component: "db-backups" }),
                            annotations: { "pulumi.com/skipAwait": "true" },
                        },
                        spec: {
                            accessModes: ["ReadWriteOnce"],
                            resources: { requests: { storage: backup.size } },
                            ...(backup.storageClass ? { storageClassName: backup.storageClass } : {}),
                        },
                    },
                    { parent: this, protect: keep, retainOnDelete: true },
                );
            }
            this.release = chartRelease(
                "postgresql",
                `${name}-postgresql`,
                {
                    source: args.postgresql.chart,
                    values: postgresqlValues(
                        args.postgresql,
                        args.globals,
                        [connection.database, ...(kcDb ? [kcDb.database] : [])],
                        // The chart's pods read the Secret at start: named by the stage's reference, the release waits for it.
                        args.credentials.secretName,
                    ),
                    globals: args.globals,
                    repositoryPassword: args.chartRepositoryPassword,
                },
                {
                    parent: this,
                    protect: keep,
                    retainOnDelete: keep,
                    dependsOn: this.backupClaim ? [this.backupClaim] : [],
                    // Another architecture is another primary (an empty one beside the old volume): a replacement, which
                    // a protected release refuses, instead of an upgrade that points Pulse at it.
                    replaceOnChanges: ["values.architecture"],
                },
            );
            this.setup = this.setupJob(name, args, connection, this.release);
        }

        this.registerOutputs({ connection: this.connection, release: this.release, setup: this.setup, backupClaim: this.backupClaim });
    }

    /** The admin's setup run: psql over the mounted script, every value from the environment or a Secret. */
    private setupJob(name: string, args: DatabaseArgs, db: DatabaseConnection, release: k8s.helm.v3.Release): AwaitedJob {
        const configMap = new k8s.core.v1.ConfigMap(
            `${name}-setup-script`,
            {
                metadata: { name: objectName("db-setup"), namespace: args.globals.namespace, labels: standardLabels({ component: "db-setup" }) },
                data: { "setup.sql": DB_SETUP_SQL },
            },
            { parent: this },
        );
        const image = resolveImage(args.postgresql.image, args.globals, "");
        const creds = args.credentials;
        if (!creds.adminPassword)
            throw new pulumi.ResourceError("the setup Job logs in as the admin: DatabaseCredentials.adminPassword is required in-cluster", this);
        const kc = args.keycloakDb;
        return new AwaitedJob(
            `${name}-setup`,
            {
                namespace: args.globals.namespace,
                component: DB_SETUP_NETWORK.component,
                image,
                imagePullSecrets: args.globals.imagePullSecrets,
                resources: {
                    requests: { cpu: "50m", memory: "64Mi", ephemeralStorage: "16Mi" },
                    limits: { cpu: undefined, memory: "128Mi", ephemeralStorage: "64Mi" },
                },
                command: ["psql", "--no-psqlrc", "--file", `${SETUP_MOUNT}/setup.sql`],
                env: [
                    { name: "PGHOST", value: db.host },
                    { name: "PGPORT", value: String(db.port) },
                    { name: "PGDATABASE", value: "postgres" },
                    { name: "PGUSER", value: "postgres" },
                    secretKeyEnv("PGPASSWORD", creds.adminPassword),
                    { name: "APP_DB", value: db.database },
                    { name: "APP_USER", value: db.username },
                    secretKeyEnv("APP_PASSWORD", creds.password),
                    // Without them (no Keycloak deployed) the script skips Keycloak's role and database.
                    ...(kc
                        ? [
                              { name: "KEYCLOAK_DB", value: kc.database },
                              { name: "KEYCLOAK_USER", value: kc.username },
                              secretKeyEnv("KEYCLOAK_PASSWORD", kc.login.password),
                          ]
                        : []),
                    { name: "HOME", value: "/tmp" },
                ],
                readOnlyMounts: { script: { configMapName: configMap.metadata.name, mountPath: SETUP_MOUNT } },
                backoffLimit: 4,
                activeDeadlineSeconds: 300,
                timeoutSeconds: 600,
                trigger: `${image.ref} ${checksum(DB_SETUP_SQL)} ${db.database}/${db.username} keycloak=${kc ? `${kc.database}/${kc.username}` : "none"}`,
                runAsUser: PSQL_UID,
                // A changed password re-runs the setup, which sets it (ALTER ROLE), before anything logs in with it.
                podAnnotations: creds.revision ? { [CREDENTIALS_ANNOTATION]: pulumi.interpolate`${creds.revision}-${kc?.revision ?? "none"}` } : undefined,
                after: [release],
            },
            { parent: this },
        );
    }
}
