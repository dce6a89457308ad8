/**
 * The whole Pulse platform: `createPlatform(config, secrets, opts?)` composes one ComponentResource per concern. This is the
 * program; `index.ts` only loads config and exports the outputs, so tests and the offline render build it directly.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PlatformSecrets, PulseConfig, SERVICE_NAMES, SERVICES } from "../config";
import { PART_OF, TYPES } from "../lib/contracts";
import { CredentialsSecret } from "../lib/secrets";
import { Backend, publicUrl, Route, routes, uiOrigins } from "../lib/routes";
import { Caddy } from "./caddy";
import { Database, databaseCaMounts, keepsData } from "./database";
import { Emqx } from "./emqx";
import { globalsOf } from "./globals";
import { Ingress } from "./ingress";
import { Keycloak } from "./keycloak";
import { metricsTargets } from "../lib/metrics";
import { Metrics } from "./metrics";
import { Migrator } from "./migrator";
import { Nats } from "./nats";
import { NetworkPolicies } from "./networkPolicies";
import { NatsInit } from "./natsInit";
import { appSecretValues, createAppSecret, objectNameOf, PulseServices } from "./pulseServices";
import { externalIdentity, inClusterIdentity } from "./serviceEnv";

/** Kubernetes minor version whose Pod Security Standards the namespace pins. */
export const POD_SECURITY_VERSION = "v1.33";

export interface PlatformArgs {
    readonly config: PulseConfig;
    readonly secrets: PlatformSecrets;
}

/** Stack outputs; index.ts exports exactly this object. */
export interface PlatformOutputs {
    readonly namespace: pulumi.Output<string>;
    readonly natsUrl: pulumi.Output<string>;
    readonly mqttHost: pulumi.Output<string>;
    readonly mqttPort: pulumi.Output<number>;
    readonly databaseHost: pulumi.Output<string>;
    readonly databaseSecretName: pulumi.Output<string>;
    /** Public URL of the UI ("" when no Ingress routes to it). */
    readonly publicUrl: pulumi.Output<string>;
    /** Base URL of the identity provider: Keycloak's public URL ("" when no Ingress routes to it), or the external issuer's base. */
    readonly keycloakUrl: pulumi.Output<string>;
    /** In-cluster Service (or Deployment, for workers) name of each workload, by config key. */
    readonly serviceNames: Readonly<Record<string, string>>;
}

export class Platform extends pulumi.ComponentResource {
    readonly namespace: k8s.core.v1.Namespace;
    readonly database: Database;
    readonly emqx: Emqx;
    readonly nats: Nats;
    readonly migrator: Migrator;
    readonly natsInit: NatsInit;
    /** None with `keycloak.enabled` false: the services use an existing provider. */
    readonly keycloak?: Keycloak;
    readonly services: PulseServices;
    readonly appSecret?: CredentialsSecret;
    readonly caddy?: Caddy;
    readonly ingress?: Ingress;
    readonly networkPolicies?: NetworkPolicies;
    readonly metrics?: Metrics;
    readonly outputs: PlatformOutputs;

    constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPES.platform, name, {}, opts);
        const { config, secrets } = args;

        this.namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            {
                metadata: {
                    name: config.namespace,
                    labels: {
                        "app.kubernetes.io/part-of": PART_OF,
                        "app.kubernetes.io/managed-by": "pulumi",
                        // Every Pulse pod meets the "restricted" Pod Security Standard; the namespace enforces it.
                        "pod-security.kubernetes.io/enforce": "restricted",
                        "pod-security.kubernetes.io/enforce-version": POD_SECURITY_VERSION,
                        "pod-security.kubernetes.io/warn": "restricted",
                        "pod-security.kubernetes.io/warn-version": POD_SECURITY_VERSION,
                        "pod-security.kubernetes.io/audit": "restricted",
                        "pod-security.kubernetes.io/audit-version": POD_SECURITY_VERSION,
                    },
                },
            },
            // Deleting the namespace deletes the database's volume claims with it: it shares the data's protection.
            { parent: this, protect: keepsData(config.postgresql), retainOnDelete: keepsData(config.postgresql) },
        );

        const namespace = this.namespace.metadata.name;
        // What every component shares; each gets it with its own sections, never the whole config.
        const globals = globalsOf(config, namespace);
        /** The named sections of the config, for a component that reads several. */
        const sections = <K extends keyof PulseConfig>(...keys: readonly K[]): Pick<PulseConfig, K> =>
            Object.fromEntries(keys.map((k) => [k, config[k]])) as Pick<PulseConfig, K>;
        const secretsExternal = config.secrets.external;
        if (config.networkPolicy.enabled) {
            this.networkPolicies = new NetworkPolicies(
                `${name}-network`,
                {
                    globals,
                    ...sections("networkPolicy", "ingress", "postgresql", "externalDatabase", "nats", "emqx", "caddy", "keycloak", "s3", "smtp", "global"),
                    ...sections(...SERVICE_NAMES),
                },
                { parent: this },
            );
        }

        // The services' credentials: EMQX (their MQTT user, the auth header) and Keycloak's realm read some of them too.
        const appValues = secretsExternal ? undefined : appSecretValues(`${name}-app-secrets`, secrets, { parent: this });
        // Platform services: the three Helm releases (or external endpoints) and their credentials.
        this.database = new Database(
            `${name}-database`,
            {
                globals,
                postgresql: config.postgresql,
                externalDatabase: config.externalDatabase,
                secretsExternal,
                password: secrets.dbPassword,
                adminPassword: secrets.postgresPassword,
                // The key of the pods' secret revisions: a long secret the program always has (ADMIN_KEY, >= 32 characters).
                revisionKey: appValues?.ADMIN_KEY,
                replicationPassword: secrets.postgresReplicationPassword,
                keycloakDb: config.keycloak.enabled
                    ? { database: config.keycloak.database.name, username: config.keycloak.database.username, secretName: config.secrets.keycloakDb }
                    : undefined,
                keycloakDbPassword: secrets.keycloakDbPassword,
                chartRepositoryPassword: secrets.chartRepositoryPassword,
            },
            { parent: this },
        );
        if (appValues)
            this.appSecret = createAppSecret(`${name}-app-secrets`, { namespace, secretName: config.secrets.app, values: appValues }, { parent: this });
        this.emqx = new Emqx(
            `${name}-emqx`,
            {
                globals,
                emqx: config.emqx,
                secretNames: { env: config.secrets.emqxDashboard, bootstrap: config.secrets.emqxBootstrap },
                secretsExternal,
                dashboardPassword: secrets.emqxDashboardPassword,
                mqttPassword: appValues?.MQTT_PASSWORD,
                internalAuthSecret: appValues?.MQTT_INTERNAL_AUTH_SECRET,
                apiSecret: appValues?.EMQX_API_SECRET,
                revisionKey: appValues?.ADMIN_KEY,
                uiUrl: `http://${objectNameOf("ui")}:${SERVICES.ui.http.port}`,
                chartRepositoryPassword: secrets.chartRepositoryPassword,
            },
            { parent: this },
        );
        this.nats = new Nats(`${name}-nats`, { globals, nats: config.nats, chartRepositoryPassword: secrets.chartRepositoryPassword }, { parent: this });

        // The hooks: migrations and JetStream streams, once their dependencies are up (the database set up); in parallel.
        this.migrator = new Migrator(
            `${name}-migrator`,
            {
                globals,
                migrator: config.migrator,
                databaseSecretName: this.database.secretName,
                databaseCa: databaseCaMounts(this.database.connection),
                after: [this.database],
            },
            { parent: this },
        );
        const appSecretName = this.appSecret ? this.appSecret.metadata.name : pulumi.output(config.secrets.app);
        this.natsInit = new NatsInit(`${name}-nats-init`, { globals, natsInit: config.natsInit, natsUrl: this.nats.url, after: [this.nats] }, { parent: this });

        // Pulse's workloads: nothing rolls before the hooks succeeded.
        const uiUrl = publicUrl(config, "ui");
        const keycloakUrl = publicUrl(config, "keycloak");
        const db = this.database.connection;
        const keycloakDbSecret = this.database.keycloakSecretName;
        if (config.keycloak.enabled && keycloakDbSecret) {
            this.keycloak = new Keycloak(
                `${name}-keycloak`,
                {
                    globals,
                    keycloak: config.keycloak,
                    smtp: config.smtp,
                    adminSecretName: config.secrets.keycloakAdmin,
                    secretsExternal,
                    database: db,
                    keycloakDatabase: {
                        name: config.keycloak.database.name,
                        secretName: keycloakDbSecret,
                        revision: this.database.credentialsRevision?.keycloak,
                    },
                    uiOrigins: uiOrigins(config),
                    appSecretName,
                    publicUrl: keycloakUrl,
                    adminPassword: secrets.keycloakAdminPassword,
                    // Keycloak's own database needs only the database (and its setup), not Pulse's migrations.
                    rolloutAfter: [this.database],
                },
                { parent: this },
            );
        }
        const identity = this.keycloak ? inClusterIdentity(this.keycloak.internalUrl, keycloakUrl) : externalIdentity(config.keycloak.external);
        this.services = new PulseServices(
            `${name}-services`,
            {
                globals,
                ...sections(...SERVICE_NAMES, "app", "s3", "smtp", "emqx"),
                // The broker is its release (Helm's wait proves its pods ready), not the devices' Service.
                rolloutAfter: [this.migrator.job.job, this.natsInit.job.job, ...(this.emqx.release ? [this.emqx.release] : [])],
                secretValues: appValues && {
                    key: appValues.ADMIN_KEY,
                    sources: {
                        app: this.appSecret?.values,
                        database: this.database.secret?.values,
                        keycloakAdmin: this.keycloak?.adminSecret?.values,
                    },
                },
                appSecretName,
                env: {
                    database: db,
                    secretNames: {
                        database: this.database.secretName,
                        // Without Keycloak (or with external secrets) an existing Secret: ui reads the provider's admin password.
                        keycloakAdmin: this.keycloak?.adminSecret ? this.keycloak.adminSecret.metadata.name : config.secrets.keycloakAdmin,
                    },
                    natsUrl: this.nats.url,
                    mqttHost: this.emqx.mqttHost,
                    mqttPort: this.emqx.mqttPort,
                    emqxApi: this.emqx.api,
                    uiUrl,
                    identity,
                },
            },
            { parent: this },
        );
        // The entry points come last: each waits for the Services it routes to.
        const serviceOf = (backend: Backend): pulumi.Resource[] => {
            const workload = backend === "keycloak" ? this.keycloak?.workload : backend === "caddy" ? this.caddy?.workload : this.services.workloads[backend];
            return workload?.service ? [workload.service] : [];
        };
        const backendsOf = (table: readonly Route[]) => [...new Set(table.map((r) => r.backend))].flatMap(serviceOf);
        const table = routes(config);
        if (config.caddy.enabled) {
            const proxied = table.filter((r) => r.backend !== "caddy");
            this.caddy = new Caddy(`${name}-caddy`, { globals, caddy: config.caddy, routes: table, after: backendsOf(proxied) }, { parent: this });
        }
        if (config.ingress.enabled) {
            this.ingress = new Ingress(`${name}-ingress`, { globals, ingress: config.ingress, routes: table, after: backendsOf(table) }, { parent: this });
        }

        // The Prometheus operator's PodMonitors, where its CRDs are installed (the scrape targets exist without them).
        if (config.global.metrics.podMonitors) {
            this.metrics = new Metrics(`${name}-metrics`, { globals, targets: metricsTargets(config) }, { parent: this });
        }

        this.outputs = {
            namespace,
            natsUrl: pulumi.output(this.nats.url),
            mqttHost: pulumi.output(this.emqx.mqttHost),
            mqttPort: pulumi.output(this.emqx.mqttPort),
            databaseHost: pulumi.output(this.database.connection.host),
            databaseSecretName: this.database.secretName,
            publicUrl: pulumi.output(uiUrl ?? ""),
            keycloakUrl: pulumi.output(this.keycloak ? (keycloakUrl ?? "") : identity.publicUrl),
            serviceNames: {
                ...Object.fromEntries(Object.entries(this.services.workloads).map(([key, w]) => [key, w.objectName])),
                ...(this.keycloak ? { keycloak: this.keycloak.workload.objectName } : {}),
                ...(this.caddy ? { caddy: this.caddy.workload.objectName } : {}),
            },
        };
        this.registerOutputs({ ...this.outputs });
    }
}

/**
 * The platform under its one name, "pulse". `opts` go to the Platform component and so to every resource below it:
 * a Kubernetes provider (`providers`), `aliases`, `protect`, ...; index.ts passes none (the stack's default provider).
 */
export function createPlatform(config: PulseConfig, secrets: PlatformSecrets = {}, opts?: pulumi.ComponentResourceOptions): Platform {
    return new Platform("pulse", { config, secrets }, opts);
}
