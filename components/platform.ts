/**
 * The whole Pulse platform: `createPlatform(config, secrets, opts?)` composes one ComponentResource per concern. This is the
 * program; `index.ts` only loads config and exports the outputs, so tests and the offline render build it directly.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GENERIC_RELEASE_KEYS, GenericReleaseKey, PlatformSecrets, PulseConfig, RELEASE_KEYS, SERVICE_NAMES } from "../config";
import { PART_OF, TYPES } from "../lib/contracts";
import { withoutPromiseStacks } from "../lib/promiseStacks";
import { Backend, Route, routes, uiOrigins } from "../lib/routes";
import { Caddy } from "./caddy";
import { appSecretRef, PlatformCredentials, platformCredentials } from "./credentials";
import { Database, databaseCaMounts, keepsData } from "./database";
import { Emqx } from "./emqx";
import { globalsOf } from "./globals";
import { Ingress } from "./ingress";
import { Keycloak } from "./keycloak";
import { metricsTargets } from "../lib/metrics";
import { Metrics } from "./metrics";
import { Migrator } from "./migrator";
import { NetworkPolicies } from "./networkPolicies";
import { NatsInit } from "./natsInit";
import { PulseServices } from "./pulseServices";
import { Release } from "./release";
import { RELEASE_BUILDERS } from "./releases";

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
    /** The releases the registry's entries alone describe (config/releases.ts `type`), by key: NATS. */
    readonly releases: { readonly [K in GenericReleaseKey]: Release<K> };
    readonly migrator: Migrator;
    readonly natsInit: NatsInit;
    /** None with `keycloak.enabled` false: the services use an existing provider. */
    readonly keycloak?: Keycloak;
    readonly services: PulseServices;
    /** The credentials stage's references and the endpoints, which every component below takes as they are. */
    readonly credentials: PlatformCredentials;
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
        if (config.networkPolicy.enabled) {
            this.networkPolicies = new NetworkPolicies(
                `${name}-network`,
                {
                    globals,
                    ...sections("networkPolicy", "ingress", "externalDatabase", "caddy", "keycloak", "s3", "smtp", "global", ...RELEASE_KEYS),
                    ...sections(...SERVICE_NAMES),
                },
                { parent: this },
            );
        }

        // The credentials stage: every Secret more than one component reads (the database's too), the revision key, the endpoints.
        const credentials = platformCredentials(name, { config, secrets, namespace }, this);
        this.credentials = credentials;
        const { endpoints, managed } = credentials;
        // Platform services: the Helm releases (or external endpoints), with EMQX's own credentials.
        this.database = new Database(
            `${name}-database`,
            {
                globals,
                postgresql: config.postgresql,
                externalDatabase: config.externalDatabase,
                credentials: credentials.database,
                keycloakDb: credentials.keycloakDatabase,
                chartRepositoryPassword: secrets.chartRepositoryPassword,
            },
            { parent: this },
        );
        this.emqx = new Emqx(
            `${name}-emqx`,
            {
                globals,
                emqx: config.emqx,
                secretNames: { env: config.secrets.emqxDashboard, bootstrap: config.secrets.emqxBootstrap },
                appCredentials: managed?.emqx,
                dashboardPassword: secrets.emqxDashboardPassword,
                revisionKey: managed?.revisionKey,
                uiUrl: endpoints.uiInternalUrl,
                chartRepositoryPassword: secrets.chartRepositoryPassword,
            },
            { parent: this },
        );
        const release = <K extends GenericReleaseKey>(key: K): Release<K> => {
            const { values, secrets: reads } = RELEASE_BUILDERS[key];
            const after = reads(config).flatMap((secretName) => managed?.secrets[secretName] ?? []);
            return new Release(
                `${name}-${key}`,
                { key, globals, section: config[key], values: values(config), chartRepositoryPassword: secrets.chartRepositoryPassword, after },
                { parent: this },
            );
        };
        this.releases = Object.fromEntries(GENERIC_RELEASE_KEYS.map((key) => [key, release(key)])) as Platform["releases"];

        // The hooks: migrations and JetStream streams, once their dependencies are up (the database set up); in parallel.
        this.migrator = new Migrator(
            `${name}-migrator`,
            {
                globals,
                migrator: config.migrator,
                databaseUrl: credentials.database.url,
                databaseCa: databaseCaMounts(endpoints.database),
                after: [this.database],
            },
            { parent: this },
        );
        this.natsInit = new NatsInit(
            `${name}-nats-init`,
            { globals, natsInit: config.natsInit, natsUrl: endpoints.natsUrl, after: [this.releases.nats] },
            { parent: this },
        );

        // Pulse's workloads: nothing rolls before the hooks succeeded.
        if (credentials.keycloakDatabase) {
            this.keycloak = new Keycloak(
                `${name}-keycloak`,
                {
                    globals,
                    keycloak: config.keycloak,
                    smtp: config.smtp,
                    admin: credentials.keycloakAdmin,
                    database: endpoints.database,
                    keycloakDatabase: credentials.keycloakDatabase,
                    uiOrigins: uiOrigins(config),
                    realmSecrets: {
                        KEYCLOAK_CLIENT_SECRET: appSecretRef(credentials, "KEYCLOAK_CLIENT_SECRET"),
                        SMTP_PASSWORD: appSecretRef(credentials, "SMTP_PASSWORD"),
                    },
                    publicUrl: endpoints.keycloakPublicUrl,
                    // Keycloak's own database needs only the database (and its setup), not Pulse's migrations.
                    rolloutAfter: [this.database],
                },
                { parent: this },
            );
        }
        this.services = new PulseServices(
            `${name}-services`,
            {
                globals,
                ...sections(...SERVICE_NAMES, "app", "s3", "smtp", "emqx"),
                // The broker is its release (Helm's wait proves its pods ready), not the devices' Service.
                rolloutAfter: [this.migrator.ready, this.natsInit.ready, ...(this.emqx.release ? [this.emqx.release] : [])],
                secretValues: managed && { key: managed.revisionKey, sources: managed.written },
                env: {
                    database: endpoints.database,
                    secretNames: {
                        app: credentials.appSecretName,
                        database: credentials.database.secretName,
                        keycloakAdmin: credentials.keycloakAdmin.password.secretName,
                    },
                    natsUrl: endpoints.natsUrl,
                    mqttHost: endpoints.mqtt.host,
                    mqttPort: endpoints.mqtt.port,
                    emqxApi: endpoints.emqxApi,
                    uiUrl: endpoints.uiPublicUrl,
                    identity: endpoints.identity,
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
            natsUrl: pulumi.output(endpoints.natsUrl),
            mqttHost: pulumi.output(endpoints.mqtt.host),
            mqttPort: pulumi.output(endpoints.mqtt.port),
            databaseHost: pulumi.output(endpoints.database.host),
            databaseSecretName: pulumi.output(credentials.database.secretName),
            publicUrl: pulumi.output(endpoints.uiPublicUrl ?? ""),
            keycloakUrl: pulumi.output(endpoints.identityUrl),
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
 * Before anything, the SDK's promises stop capturing stacks nothing reads (lib/promiseStacks.ts).
 */
export function createPlatform(config: PulseConfig, secrets: PlatformSecrets = {}, opts?: pulumi.ComponentResourceOptions): Platform {
    withoutPromiseStacks();
    return new Platform("pulse", { config, secrets }, opts);
}
