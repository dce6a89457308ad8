/**
 * Keycloak 26 (quay.io/keycloak/keycloak) as a Workload: production `start`, PostgreSQL in Pulse's database (its own
 * schema, the Pulse database user: see README), the bootstrap admin from a Secret, running behind the TLS-terminating
 * ingress (X-Forwarded headers, plain HTTP inside), health on the management port 9000 that is never routed.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PulseConfig } from "../config";
import { resolveImage } from "../lib/images";
import { KEYCLOAK_HTTP_PORT } from "../lib/routes";
import { awaitAnnotations } from "../lib/awaits";
import { selectorLabels, standardLabels, WRITABLE_ROOT_WAIVER } from "../lib/labels";
import { credentialsSecret, passwordOr } from "../lib/secrets";
import { restrictedContainerSecurityContext } from "../lib/security";
import { DatabaseConnection } from "./database";
import { httpProbe, Workload } from "./workload";

export const KEYCLOAK_COMPONENT = "keycloak";
export const KEYCLOAK_MANAGEMENT_PORT = 9000;
/** JGroups transport between Keycloak replicas (Infinispan cluster). */
export const KEYCLOAK_JGROUPS_PORT = 7800;
/** The image's user; its primary group is 0, so the group is set explicitly. */
const KEYCLOAK_UID = 1000;
/** The psql client needs no home or files of its own: any non-root uid. */
const PSQL_UID = 10001;

type EnvVar = k8s.types.input.core.v1.EnvVar;

const WRITABLE_ROOT =
    "Keycloak's `start` re-augments the server at boot and writes under /opt/keycloak; an optimized image (start --optimized) would lift this. It runs as the image's uid 1000 (files are owned by it), below kube-score's 10000.";

export interface KeycloakArgs {
    readonly namespace: pulumi.Input<string>;
    readonly config: PulseConfig;
    readonly database: DatabaseConnection;
    /** Secret with keys url, username, password (pulse-db-secret). */
    readonly databaseSecretName: pulumi.Input<string>;
    /** Public URL Keycloak is reached at (with its relative path), when an Ingress routes to it. */
    readonly publicUrl?: string;
    /** `pulse:keycloakAdminPassword`; generated when absent. */
    readonly adminPassword?: pulumi.Output<string>;
    /** The database: Keycloak starts once it is up. */
    readonly rolloutAfter: readonly pulumi.Resource[];
}

/** jdbc:postgresql://host:port/db[?sslmode=...] */
export function jdbcUrl(db: DatabaseConnection): string {
    return `jdbc:postgresql://${db.host}:${db.port}/${db.database}${db.sslmode ? `?sslmode=${db.sslmode}` : ""}`;
}

/** Keycloak's environment; secrets only by reference. */
export function keycloakEnv(args: {
    keycloak: PulseConfig["keycloak"];
    database: DatabaseConnection;
    databaseSecretName: pulumi.Input<string>;
    adminSecretName: pulumi.Input<string>;
    publicUrl?: string;
    discoveryService?: string;
}): EnvVar[] {
    const fromSecret = (name: string, secret: pulumi.Input<string>, key: string): EnvVar => ({
        name,
        valueFrom: { secretKeyRef: { name: secret, key } },
    });
    const kc = args.keycloak;
    return [
        fromSecret("KC_BOOTSTRAP_ADMIN_USERNAME", args.adminSecretName, "username"),
        fromSecret("KC_BOOTSTRAP_ADMIN_PASSWORD", args.adminSecretName, "password"),
        { name: "KC_DB", value: "postgres" },
        { name: "KC_DB_URL", value: jdbcUrl(args.database) },
        { name: "KC_DB_SCHEMA", value: kc.databaseSchema },
        fromSecret("KC_DB_USERNAME", args.databaseSecretName, "username"),
        fromSecret("KC_DB_PASSWORD", args.databaseSecretName, "password"),
        // Behind the ingress: TLS ends there, Keycloak speaks HTTP and trusts X-Forwarded-* for scheme and host.
        ...(args.publicUrl
            ? [{ name: "KC_HOSTNAME", value: args.publicUrl }]
            : [{ name: "KC_HOSTNAME_STRICT", value: "false" }]),
        { name: "KC_HTTP_RELATIVE_PATH", value: kc.httpRelativePath },
        // Health and metrics stay at /health/* and /metrics on port 9000, whatever the relative path.
        { name: "KC_HTTP_MANAGEMENT_RELATIVE_PATH", value: "/" },
        { name: "KC_PROXY_HEADERS", value: "xforwarded" },
        { name: "KC_HTTP_ENABLED", value: "true" },
        { name: "KC_HTTP_PORT", value: String(KEYCLOAK_HTTP_PORT) },
        { name: "KC_HEALTH_ENABLED", value: "true" },
        { name: "KC_METRICS_ENABLED", value: "true" },
        ...(args.discoveryService
            ? [
                  { name: "KC_CACHE", value: "ispn" },
                  { name: "KC_CACHE_STACK", value: "kubernetes" },
                  { name: "JAVA_OPTS_APPEND", value: `-Djgroups.dns.query=${args.discoveryService}` },
              ]
            : [{ name: "KC_CACHE", value: "local" }]),
    ];
}

/** libpq's connection variables; the credentials by reference, so no password reaches a command line. */
function libpqEnv(db: DatabaseConnection, secretName: pulumi.Input<string>): EnvVar[] {
    return [
        { name: "PGHOST", value: db.host },
        { name: "PGPORT", value: String(db.port) },
        { name: "PGDATABASE", value: db.database },
        { name: "PGUSER", valueFrom: { secretKeyRef: { name: secretName, key: "username" } } },
        { name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: secretName, key: "password" } } },
        ...(db.sslmode ? [{ name: "PGSSLMODE", value: db.sslmode }] : []),
    ];
}

export class Keycloak extends pulumi.ComponentResource {
    readonly workload: Workload;
    readonly adminSecret?: k8s.core.v1.Secret;
    readonly discoveryService?: k8s.core.v1.Service;
    /** In-cluster base URL, e.g. http://pulse-keycloak:8080/auth. */
    readonly internalUrl: string;

    constructor(name: string, args: KeycloakArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pulse:keycloak:Keycloak", name, {}, opts);
        const { config } = args;
        const kc = config.keycloak;
        const objectName = `pulse-${KEYCLOAK_COMPONENT}`;
        this.internalUrl = `http://${objectName}:${KEYCLOAK_HTTP_PORT}${kc.httpRelativePath === "/" ? "" : kc.httpRelativePath}`;
        const adminSecretName = config.secrets.keycloakAdmin;

        if (!config.secrets.external) {
            this.adminSecret = credentialsSecret(
                `${name}-admin`,
                {
                    objectName: adminSecretName,
                    namespace: args.namespace,
                    component: KEYCLOAK_COMPONENT,
                    stringData: {
                        username: kc.adminUsername,
                        password: passwordOr(args.adminPassword, `${name}-admin-password`, { parent: this }),
                    },
                },
                { parent: this },
            );
        }

        // More than one replica: an Infinispan cluster found through a headless Service (DNS_PING).
        let discovery: string | undefined;
        if (kc.replicaCount > 1) {
            const headless = `${objectName}-discovery`;
            // JGroups' DNS lookup does not use the resolver's search domains: fully qualified.
            discovery = `${headless}.${config.namespace}.svc.${config.global.clusterDomain}`;
            this.discoveryService = new k8s.core.v1.Service(
                `${name}-discovery`,
                {
                    metadata: {
                        name: headless,
                        namespace: args.namespace,
                        labels: standardLabels({ component: KEYCLOAK_COMPONENT }),
                        // Peers must find each other while they start, before any is ready: it lists unready pods and
                        // exists before them, so there is nothing to wait for.
                        annotations: awaitAnnotations(false),
                    },
                    spec: {
                        clusterIP: "None",
                        publishNotReadyAddresses: true,
                        selector: selectorLabels(KEYCLOAK_COMPONENT),
                        ports: [{ name: "jgroups", port: KEYCLOAK_JGROUPS_PORT, targetPort: "jgroups", protocol: "TCP" }],
                    },
                },
                { parent: this },
            );
        }

        const pgImage = resolveImage(config.postgresql.image, config.global, config.appVersion);
        const management = { initialDelaySeconds: 0, timeoutSeconds: 5 };
        this.workload = new Workload(
            `${name}-workload`,
            {
                namespace: args.namespace,
                component: KEYCLOAK_COMPONENT,
                image: resolveImage(kc.image, config.global, config.appVersion),
                imagePullSecrets: config.global.imagePullSecrets,
                awaitReadiness: config.global.awaitReadiness,
                replicas: kc.replicaCount,
                resources: kc.resources,
                args: [kc.startMode],
                env: keycloakEnv({
                    keycloak: kc,
                    database: args.database,
                    databaseSecretName: args.databaseSecretName,
                    adminSecretName: this.adminSecret ? this.adminSecret.metadata.name : adminSecretName,
                    publicUrl: args.publicUrl,
                    discoveryService: discovery,
                }),
                ports: {
                    http: KEYCLOAK_HTTP_PORT,
                    management: KEYCLOAK_MANAGEMENT_PORT,
                    ...(discovery ? { jgroups: KEYCLOAK_JGROUPS_PORT } : {}),
                },
                // Only HTTP is served to the ingress; the management port (health, metrics) is reached by the kubelet only.
                servicePorts: ["http"],
                probes: {
                    // The image has no curl: HTTP probes only. A first start migrates the schema: allow 5 minutes.
                    startup: httpProbe("management", "/health/started", { ...management, periodSeconds: 5, failureThreshold: 60 }),
                    readiness: httpProbe("management", "/health/ready", { ...management, periodSeconds: 10, failureThreshold: 3 }),
                    liveness: httpProbe("management", "/health/live", { ...management, periodSeconds: 30, failureThreshold: 3 }),
                },
                scratch: { "kc-data": "/opt/keycloak/data" },
                annotations: {
                    [WRITABLE_ROOT_WAIVER]: WRITABLE_ROOT,
                    // kube-score's per-object waivers (its annotation takes a list of test ids).
                    "kube-score/ignore": "container-security-context-readonlyrootfilesystem,container-security-context-user-group-id",
                },
                readOnlyRootFilesystem: false,
                rolloutAfter: [...args.rolloutAfter, ...(this.discoveryService ? [this.discoveryService] : [])],
                runAsUser: KEYCLOAK_UID,
                runAsGroup: KEYCLOAK_UID,
                initContainers: [
                    {
                        // Keycloak does not create its schema; psql does, idempotently, with Pulse's database credentials.
                        name: "create-schema",
                        image: pgImage.ref,
                        imagePullPolicy: pgImage.pullPolicy,
                        command: ["psql", "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-c", `CREATE SCHEMA IF NOT EXISTS ${kc.databaseSchema}`],
                        env: libpqEnv(args.database, args.databaseSecretName),
                        resources: {
                            requests: { cpu: "50m", memory: "32Mi", "ephemeral-storage": "16Mi" },
                            limits: { memory: "64Mi", "ephemeral-storage": "64Mi" },
                        },
                        securityContext: restrictedContainerSecurityContext({ uid: PSQL_UID, readOnlyRootFilesystem: true }),
                    },
                ],
            },
            { parent: this },
        );
        this.registerOutputs({ internalUrl: this.internalUrl });
    }
}
