/**
 * Keycloak 26 (quay.io/keycloak/keycloak) as a Workload: production `start` with the organization feature, its own
 * database and role on Pulse's PostgreSQL server (as Pulse's compose file has it), the `pulse` realm imported from a
 * ConfigMap built from config (or an existing one, `keycloak.realm.configMap`), the bootstrap admin from a Secret,
 * served at the root behind the TLS-terminating ingress (X-Forwarded headers, plain HTTP inside), health on the
 * management port (KEYCLOAK_MANAGEMENT_PORT) that is never routed. Deployed only with `keycloak.enabled`.
 */
import type { Talk } from "../lib/network";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PulseConfig } from "../config";
import { resolveImage } from "../lib/images";
import { awaitAnnotations } from "../lib/awaits";
import {
    API_CLIENT_ID,
    KEYCLOAK_HTTP_PORT,
    KEYCLOAK_JGROUPS_PORT,
    KEYCLOAK_MANAGEMENT_PORT,
    KEYCLOAK_REALM,
    objectName,
    TYPES,
    UI_CLIENT_ID,
} from "../lib/contracts";
import { selectorLabels, standardLabels, WRITABLE_ROOT_WAIVER } from "../lib/labels";
import { checksum } from "../lib/checksum";
import { secretKeyEnv } from "../lib/secrets";
import type { KeycloakDatabaseCredentials, LoginRefs, SecretRef } from "./credentials";
import { CREDENTIALS_ANNOTATION, DatabaseConnection, databaseCaMounts, sslParameters } from "./database";
import { Globals } from "./globals";
import { httpProbe, Workload } from "./workload";

export const KEYCLOAK_COMPONENT = "keycloak";
/** Whom Keycloak talks to: its database, the realm's SMTP server, its replicas (JGroups, when clustered). */
export const KEYCLOAK_TALKS_TO: readonly Talk[] = ["postgresql:postgresql", "internet:smtp", "keycloak:jgroups"];
/** The image's user; its primary group is 0, so the group is set explicitly. */
const KEYCLOAK_UID = 1000;

type EnvVar = k8s.types.input.core.v1.EnvVar;

const WRITABLE_ROOT =
    "Keycloak's `start` re-augments the server at boot and writes under /opt/keycloak; an optimized image (start --optimized) would lift this. It runs as the image's uid 1000 (files are owned by it), below kube-score's 10000.";

export interface KeycloakArgs {
    readonly globals: Globals;
    readonly keycloak: PulseConfig["keycloak"];
    /** The realm's SMTP server (its password: SMTP_PASSWORD from the app Secret). */
    readonly smtp: PulseConfig["smtp"];
    /** The bootstrap admin's login. */
    readonly admin: LoginRefs;
    readonly database: DatabaseConnection;
    /** Public URL Keycloak is reached at (with its relative path), when an Ingress routes to it. */
    readonly publicUrl?: string;
    /**
     * Keycloak's own database on Pulse's server, its login, and the password's revision: a changed password rolls
     * Keycloak once the database setup has set it.
     */
    readonly keycloakDatabase: KeycloakDatabaseCredentials;
    /** Origins of the UI's public routes: the realm's redirect URIs and web origins. */
    readonly uiOrigins: readonly string[];
    /** The placeholders of the realm file: KEYCLOAK_CLIENT_SECRET (pulse-api's secret) and SMTP_PASSWORD. */
    readonly realmSecrets: { readonly KEYCLOAK_CLIENT_SECRET: SecretRef; readonly SMTP_PASSWORD: SecretRef };
    /** The database (and its setup): Keycloak starts once it is up. */
    readonly rolloutAfter: readonly pulumi.Resource[];
}

/**
 * The `pulse` realm as Pulse's own realm file defines it: its roles, the public SPA client pulse-ui (PKCE S256, the
 * audience and tenant_id mappers) and the confidential pulse-api client, with this deployment's redirect URIs and web
 * origins. Secrets are `${VAR}` placeholders Keycloak fills from its environment at import.
 */
function pulseRealm(uiOrigins: readonly string[], smtp: PulseConfig["smtp"]): Record<string, unknown> {
    const mapper = (name: string, protocolMapper: string, config: Record<string, string>) => ({ name, protocol: "openid-connect", protocolMapper, config });
    return {
        realm: KEYCLOAK_REALM,
        enabled: true,
        organizationsEnabled: true,
        roles: { realm: ["customer", "tenant-admin", "operator", "operator-admin"].map((name) => ({ name })) },
        clients: [
            {
                clientId: UI_CLIENT_ID,
                publicClient: true,
                standardFlowEnabled: true,
                directAccessGrantsEnabled: false,
                redirectUris: uiOrigins.map((o) => `${o}/*`),
                webOrigins: [...uiOrigins],
                attributes: { "pkce.code.challenge.method": "S256", "post.logout.redirect.uris": uiOrigins.map((o) => `${o}/*`).join("##") },
                protocolMappers: [
                    mapper("audience", "oidc-audience-mapper", {
                        "included.client.audience": UI_CLIENT_ID,
                        "access.token.claim": "true",
                        "id.token.claim": "false",
                    }),
                    mapper("tenant_id", "oidc-usermodel-attribute-mapper", {
                        "user.attribute": "tenant_id",
                        "claim.name": "tenant_id",
                        "jsonType.label": "String",
                        "access.token.claim": "true",
                        "id.token.claim": "true",
                        "userinfo.token.claim": "true",
                    }),
                ],
            },
            { clientId: API_CLIENT_ID, publicClient: false, serviceAccountsEnabled: true, standardFlowEnabled: false, secret: "${KEYCLOAK_CLIENT_SECRET}" },
        ],
        // The user profile: Keycloak 26 drops attributes it does not declare, and ui writes tenant_id.
        components: {
            [USER_PROFILE_PROVIDER]: [
                { providerId: "declarative-user-profile", subComponents: {}, config: { [USER_PROFILE_CONFIG]: [JSON.stringify(userProfile())] } },
            ],
        },
        ...(smtp.host
            ? {
                  smtpServer: {
                      host: smtp.host,
                      port: String(smtp.port),
                      from: smtp.from,
                      // One meaning for every consumer (smtp.security): TLS from the first byte, or STARTTLS.
                      ssl: String(smtp.security === "tls"),
                      starttls: String(smtp.security === "starttls"),
                      auth: String(smtp.user !== ""),
                      user: smtp.user,
                      password: "${SMTP_PASSWORD}",
                  },
              }
            : {}),
    };
}

/** The realm's user-profile component (Keycloak's declarative user profile), by its provider type and config key. */
const USER_PROFILE_PROVIDER = "org.keycloak.userprofile.UserProfileProvider";
const USER_PROFILE_CONFIG = "kc.user.profile.config";

/** The attributes ui writes through Keycloak's admin API; each is declared, so Keycloak keeps it. */
export const UI_USER_ATTRIBUTES = ["tenant_id"] as const;

/**
 * Keycloak 26's default user profile (username, email, first and last name, as it ships) plus the attributes ui writes:
 * visible to the user, editable by administrators only (a user who could edit tenant_id could move to another
 * tenant). Attributes not declared stay unmanaged, which Keycloak drops.
 */
function userProfile(): Record<string, unknown> {
    const person = (name: string) => ({
        name,
        displayName: `\${${name}}`,
        required: { roles: ["user"] },
        permissions: { view: ["admin", "user"], edit: ["admin", "user"] },
        validations: { length: { max: 255 }, "person-name-prohibited-characters": {} },
    });
    return {
        attributes: [
            {
                name: "username",
                displayName: "${username}",
                validations: { length: { min: 3, max: 255 }, "username-prohibited-characters": {}, "up-username-not-idn-homograph": {} },
            },
            { name: "email", displayName: "${email}", validations: { email: {}, length: { max: 255 } } },
            person("firstName"),
            person("lastName"),
            ...UI_USER_ATTRIBUTES.map((name) => ({
                name,
                displayName: name,
                multivalued: false,
                permissions: { view: ["admin", "user"], edit: ["admin"] },
                validations: { length: { max: 255 } },
            })),
        ],
    };
}

/** jdbc:postgresql://host:port/db[?sslmode=...] */
function jdbcUrl(db: DatabaseConnection): string {
    return `jdbc:postgresql://${db.host}:${db.port}/${db.database}${sslParameters(db)}`;
}

/** Keycloak's environment; secrets only by reference. */
function keycloakEnv(
    args: Pick<KeycloakArgs, "keycloak" | "admin" | "database" | "keycloakDatabase" | "realmSecrets" | "publicUrl"> & { discoveryService?: string },
): EnvVar[] {
    const kc = args.keycloak;
    return [
        secretKeyEnv("KC_BOOTSTRAP_ADMIN_USERNAME", args.admin.username),
        secretKeyEnv("KC_BOOTSTRAP_ADMIN_PASSWORD", args.admin.password),
        { name: "KC_DB", value: "postgres" },
        { name: "KC_DB_URL", value: jdbcUrl({ ...args.database, database: args.keycloakDatabase.database }) },
        secretKeyEnv("KC_DB_USERNAME", args.keycloakDatabase.login.username),
        secretKeyEnv("KC_DB_PASSWORD", args.keycloakDatabase.login.password),
        // Behind the ingress: TLS ends there, Keycloak speaks HTTP and trusts X-Forwarded-* for scheme and host.
        ...(args.publicUrl ? [{ name: "KC_HOSTNAME", value: args.publicUrl }] : [{ name: "KC_HOSTNAME_STRICT", value: "false" }]),
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
        // The realm file's placeholders.
        ...(kc.realmImport
            ? [secretKeyEnv("KEYCLOAK_CLIENT_SECRET", args.realmSecrets.KEYCLOAK_CLIENT_SECRET), secretKeyEnv("SMTP_PASSWORD", args.realmSecrets.SMTP_PASSWORD)]
            : []),
    ];
}

/** Keycloak's command: start (or start-dev), the organization feature, and the realm import when on. */
function keycloakArgs(kc: PulseConfig["keycloak"]): string[] {
    return [kc.startMode, "--features=organization", ...(kc.realmImport ? ["--import-realm"] : [])];
}

const REALM_DIR = "/opt/keycloak/data/import";
/** The realm's file in REALM_DIR (and the generated ConfigMap's key); Keycloak imports every *.json there. */
const REALM_FILE = "realm-pulse.json";

/** Keycloak's in-cluster base URL, e.g. http://pulse-keycloak:8080/auth. */
export function keycloakInternalUrl(kc: PulseConfig["keycloak"]): string {
    return `http://${objectName(KEYCLOAK_COMPONENT)}:${KEYCLOAK_HTTP_PORT}${kc.httpRelativePath === "/" ? "" : kc.httpRelativePath}`;
}

export class Keycloak extends pulumi.ComponentResource {
    readonly workload: Workload;
    readonly realmConfigMap?: k8s.core.v1.ConfigMap;
    readonly discoveryService?: k8s.core.v1.Service;

    constructor(name: string, args: KeycloakArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPES.keycloak, name, {}, opts);
        const { globals, keycloak: kc } = args;
        const workloadName = objectName(KEYCLOAK_COMPONENT);

        // More than one replica: an Infinispan cluster found through a headless Service (DNS_PING).
        let discovery: string | undefined;
        if (kc.replicaCount > 1) {
            const headless = `${workloadName}-discovery`;
            // JGroups' DNS lookup does not use the resolver's search domains: fully qualified.
            discovery = `${headless}.${globals.namespaceName}.svc.${globals.clusterDomain}`;
            this.discoveryService = new k8s.core.v1.Service(
                `${name}-discovery`,
                {
                    metadata: {
                        name: headless,
                        namespace: globals.namespace,
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

        // The realm: an existing ConfigMap's key when configured, else generated from config.
        const givenRealm = kc.realmImport && kc.realm.configMap !== undefined ? { configMap: kc.realm.configMap, key: kc.realm.key } : undefined;
        if (kc.realmImport && !givenRealm) {
            this.realmConfigMap = new k8s.core.v1.ConfigMap(
                `${name}-realm`,
                {
                    metadata: { name: `${workloadName}-realm`, namespace: globals.namespace, labels: standardLabels({ component: KEYCLOAK_COMPONENT }) },
                    data: { [REALM_FILE]: JSON.stringify(pulseRealm(args.uiOrigins, args.smtp), null, 2) + "\n" },
                },
                { parent: this },
            );
        }
        const management = { initialDelaySeconds: 0, timeoutSeconds: 5 };
        this.workload = new Workload(
            `${name}-workload`,
            {
                namespace: globals.namespace,
                component: KEYCLOAK_COMPONENT,
                image: resolveImage(kc.image, globals, globals.appVersion),
                imagePullSecrets: globals.imagePullSecrets,
                awaitReadiness: globals.awaitReadiness,
                replicas: kc.replicaCount,
                resources: kc.resources,
                podSettings: kc,
                args: keycloakArgs(kc),
                env: keycloakEnv({ ...args, discoveryService: discovery }),
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
                readOnlyMounts: {
                    ...(this.realmConfigMap ? { realm: { configMapName: this.realmConfigMap.metadata.name, mountPath: REALM_DIR } } : {}),
                    ...(givenRealm
                        ? { realm: { configMapName: givenRealm.configMap, mountPath: REALM_DIR, items: [{ key: givenRealm.key, path: REALM_FILE }] } }
                        : {}),
                    ...databaseCaMounts(args.database),
                },
                // A changed realm file matters only to a realm not imported yet; it still rolls, so a fresh one imports it.
                podAnnotations: {
                    ...(this.realmConfigMap ? { "checksum/realm": checksum(pulseRealm(args.uiOrigins, args.smtp)) } : {}),
                    ...(args.keycloakDatabase.revision ? { [CREDENTIALS_ANNOTATION]: args.keycloakDatabase.revision } : {}),
                },
                annotations: {
                    [WRITABLE_ROOT_WAIVER]: WRITABLE_ROOT,
                    // kube-score's per-object waivers (its annotation takes a list of test ids).
                    "kube-score/ignore": "container-security-context-readonlyrootfilesystem,container-security-context-user-group-id",
                },
                readOnlyRootFilesystem: false,
                rolloutAfter: [...args.rolloutAfter, ...(this.discoveryService ? [this.discoveryService] : [])],
                runAsUser: KEYCLOAK_UID,
                runAsGroup: KEYCLOAK_UID,
            },
            { parent: this },
        );
        this.registerOutputs({
            workload: this.workload,
            realmConfigMap: this.realmConfigMap,
            discoveryService: this.discoveryService,
        });
    }
}
