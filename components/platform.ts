/**
 * The whole Pulse platform: `createPlatform(config, secrets, opts?)` composes one ComponentResource per concern, each
 * built by its function in PLATFORM_COMPONENTS from the stage before them (the Namespace, the shared settings, the
 * credentials). This is the program; `index.ts` only loads config and exports the outputs, so tests and the offline
 * render build it directly.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GENERIC_RELEASE_KEYS, GenericReleaseKey, PlatformSecrets, PulseConfig, RELEASE_KEYS, SERVICE_NAMES } from "../config";
import { PART_OF, TYPES } from "../lib/contracts";
import { withoutPromiseStacks } from "../lib/promiseStacks";
import { withoutSdkDebugLogs } from "../lib/sdkDebugLogs";
import { Backend, Route, routes, uiOrigins } from "../lib/routes";
import { Caddy } from "./caddy";
import { appSecretRef, PlatformCredentials, platformCredentials } from "./credentials";
import { Database, databaseCaMounts, keepsData } from "./database";
import { Emqx } from "./emqx";
import { Globals, globalsOf } from "./globals";
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

/** The platform's name: every component is `pulse-<role>` (a URN contract: test/urns.test.ts). */
export const PLATFORM_NAME = "pulse";

/** The Namespace every object goes into, Pod Security "restricted" enforced; the platform's first child. */
export function platformNamespace(name: string, config: PulseConfig, parent: pulumi.Resource): k8s.core.v1.Namespace {
    return new k8s.core.v1.Namespace(
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
        { parent, protect: keepsData(config.postgresql), retainOnDelete: keepsData(config.postgresql) },
    );
}

/**
 * What every component's args are made of: the platform's inputs, the shared settings and the credentials stage
 * (`platformStage`), and where the components go (`parent`, each named `<name>-<role>`).
 */
export interface PlatformStage {
    readonly name: string;
    readonly parent: pulumi.Resource;
    readonly config: PulseConfig;
    readonly secrets: PlatformSecrets;
    readonly globals: Globals;
    readonly credentials: PlatformCredentials;
}

/** Runs the credentials stage (its Secrets wait for the namespace `globals` names) and returns the stage the components take. */
export function platformStage(
    name: string,
    parent: pulumi.Resource,
    args: { readonly config: PulseConfig; readonly secrets: PlatformSecrets; readonly globals: Globals },
): PlatformStage {
    const { config, secrets, globals } = args;
    const credentials = platformCredentials(name, { config, secrets, namespace: globals.namespace }, parent);
    return { name, parent, config, secrets, globals, credentials };
}

/** The named sections of the config, for a component that reads several. */
const sections = <K extends keyof PulseConfig>(config: PulseConfig, ...keys: readonly K[]): Pick<PulseConfig, K> =>
    Object.fromEntries(keys.map((k) => [k, config[k]])) as Pick<PulseConfig, K>;

/**
 * Each component as the platform builds it: its name, class and args, from the stage and the other components'
 * resources it waits for (`after`), which the Platform's constructor passes. The one place a component's args are
 * made: a test that looks at one component alone builds it from here too, `after` empty (test/helpers.ts
 * `buildComponent`), with the URNs and inputs the platform gives it.
 */
export const PLATFORM_COMPONENTS = {
    /** The database: the in-cluster release and its setup Job, or the external database's connection. */
    database: ({ name, parent, config, secrets, globals, credentials }: PlatformStage): Database =>
        new Database(
            `${name}-database`,
            {
                globals,
                postgresql: config.postgresql,
                externalDatabase: config.externalDatabase,
                credentials: credentials.database,
                keycloakDb: credentials.keycloakDatabase,
                chartRepositoryPassword: secrets.chartRepositoryPassword,
            },
            { parent },
        ),
    /** EMQX with its own credentials. */
    emqx: ({ name, parent, config, secrets, globals, credentials }: PlatformStage): Emqx => {
        const { endpoints, managed } = credentials;
        return new Emqx(
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
            { parent },
        );
    },
    /** A release its registry entry alone describes (config/releases.ts `type`), after the stage's Secrets its builder lists. */
    release: <K extends GenericReleaseKey>({ name, parent, config, secrets, globals, credentials }: PlatformStage, key: K): Release<K> => {
        const { values, secrets: reads } = RELEASE_BUILDERS[key];
        const after = reads(config).flatMap((secretName) => credentials.managed?.secrets[secretName] ?? []);
        return new Release(
            `${name}-${key}`,
            { key, globals, section: config[key], values: values(config), chartRepositoryPassword: secrets.chartRepositoryPassword, after },
            { parent },
        );
    },
    /** The migrations, after the database (its release and setup). */
    migrator: ({ name, parent, config, globals, credentials }: PlatformStage, after: readonly pulumi.Resource[]): Migrator =>
        new Migrator(
            `${name}-migrator`,
            {
                globals,
                migrator: config.migrator,
                databaseUrl: credentials.database.url,
                databaseCa: databaseCaMounts(credentials.endpoints.database),
                after,
            },
            { parent },
        ),
    /** The JetStream streams and consumers, after the NATS release. */
    natsInit: ({ name, parent, config, globals, credentials }: PlatformStage, after: readonly pulumi.Resource[]): NatsInit =>
        new NatsInit(`${name}-nats-init`, { globals, natsInit: config.natsInit, natsUrl: credentials.endpoints.natsUrl, after }, { parent }),
    /** Keycloak, with `keycloak.enabled` (the credentials stage then made its database login); rolls out after `after`. */
    keycloak: ({ name, parent, config, globals, credentials }: PlatformStage, after: readonly pulumi.Resource[]): Keycloak | undefined =>
        credentials.keycloakDatabase === undefined
            ? undefined
            : new Keycloak(
                  `${name}-keycloak`,
                  {
                      globals,
                      keycloak: config.keycloak,
                      smtp: config.smtp,
                      admin: credentials.keycloakAdmin,
                      database: credentials.endpoints.database,
                      keycloakDatabase: credentials.keycloakDatabase,
                      uiOrigins: uiOrigins(config),
                      realmSecrets: {
                          KEYCLOAK_CLIENT_SECRET: appSecretRef(credentials, "KEYCLOAK_CLIENT_SECRET"),
                          SMTP_PASSWORD: appSecretRef(credentials, "SMTP_PASSWORD"),
                      },
                      publicUrl: credentials.endpoints.keycloakPublicUrl,
                      rolloutAfter: after,
                  },
                  { parent },
              ),
    /** Pulse's services; every Deployment rolls out after `after`. */
    services: ({ name, parent, config, globals, credentials }: PlatformStage, after: readonly pulumi.Resource[]): PulseServices => {
        const { endpoints, managed } = credentials;
        return new PulseServices(
            `${name}-services`,
            {
                globals,
                ...sections(config, ...SERVICE_NAMES, "app", "s3", "smtp", "emqx"),
                rolloutAfter: after,
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
            { parent },
        );
    },
    /** The Caddy reverse proxy, with `caddy.enabled`; rolls out after the Services it proxies to (`after`). */
    caddy: ({ name, parent, config, globals }: PlatformStage, after: readonly pulumi.Resource[]): Caddy | undefined =>
        config.caddy.enabled ? new Caddy(`${name}-caddy`, { globals, caddy: config.caddy, routes: routes(config), after }, { parent }) : undefined,
    /** The Ingress, with `ingress.enabled`; created after the Services it routes to (`after`). */
    ingress: ({ name, parent, config, globals }: PlatformStage, after: readonly pulumi.Resource[]): Ingress | undefined =>
        config.ingress.enabled ? new Ingress(`${name}-ingress`, { globals, ingress: config.ingress, routes: routes(config), after }, { parent }) : undefined,
    /** The Prometheus operator's PodMonitors, where its CRDs are installed (the scrape targets exist without them). */
    metrics: ({ name, parent, config, globals }: PlatformStage): Metrics | undefined =>
        config.global.metrics.podMonitors ? new Metrics(`${name}-metrics`, { globals, targets: metricsTargets(config) }, { parent }) : undefined,
};

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

        this.namespace = platformNamespace(name, config, this);
        const namespace = this.namespace.metadata.name;
        // What every component shares; each gets it with its own sections, never the whole config.
        const globals = globalsOf(config, namespace);
        if (config.networkPolicy.enabled) {
            this.networkPolicies = new NetworkPolicies(
                `${name}-network`,
                {
                    globals,
                    ...sections(config, "networkPolicy", "ingress", "externalDatabase", "caddy", "keycloak", "s3", "smtp", "global", ...RELEASE_KEYS),
                    ...sections(config, ...SERVICE_NAMES),
                },
                { parent: this },
            );
        }

        // The credentials stage: every Secret more than one component reads (the database's too), the revision key, the endpoints.
        const stage = platformStage(name, this, { config, secrets, globals });
        const { credentials } = stage;
        this.credentials = credentials;
        const { endpoints } = credentials;
        const build = PLATFORM_COMPONENTS;
        // Platform services: the Helm releases (or external endpoints), with EMQX's own credentials.
        this.database = build.database(stage);
        this.emqx = build.emqx(stage);
        this.releases = Object.fromEntries(GENERIC_RELEASE_KEYS.map((key) => [key, build.release(stage, key)])) as Platform["releases"];

        // The hooks: migrations and JetStream streams, once their dependencies are up (the database set up); in parallel.
        this.migrator = build.migrator(stage, [this.database]);
        this.natsInit = build.natsInit(stage, [this.releases.nats]);

        // Pulse's workloads: nothing rolls before the hooks succeeded.
        // Keycloak's own database needs only the database (and its setup), not Pulse's migrations.
        this.keycloak = build.keycloak(stage, [this.database]);
        // The broker is its release (Helm's wait proves its pods ready), not the devices' Service.
        this.services = build.services(stage, [this.migrator.ready, this.natsInit.ready, ...(this.emqx.release ? [this.emqx.release] : [])]);
        // The entry points come last: each waits for the Services it routes to.
        const serviceOf = (backend: Backend): pulumi.Resource[] => {
            const workload = backend === "keycloak" ? this.keycloak?.workload : backend === "caddy" ? this.caddy?.workload : this.services.workloads[backend];
            return workload?.service ? [workload.service] : [];
        };
        const backendsOf = (table: readonly Route[]) => [...new Set(table.map((r) => r.backend))].flatMap(serviceOf);
        const table = routes(config);
        this.caddy = build.caddy(stage, backendsOf(table.filter((r) => r.backend !== "caddy")));
        this.ingress = build.ingress(stage, backendsOf(table));
        this.metrics = build.metrics(stage);

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
 * The platform under its one name, PLATFORM_NAME ("pulse"). `opts` go to the Platform component and so to every resource below it:
 * a Kubernetes provider (`providers`), `aliases`, `protect`, ...; index.ts passes none (the stack's default provider).
 * Before anything, the SDK's promises stop capturing stacks nothing reads (lib/promiseStacks.ts), and its debug lines,
 * which only `pulumi up --debug` shows, stop going to the engine (lib/sdkDebugLogs.ts).
 */
export function createPlatform(config: PulseConfig, secrets: PlatformSecrets = {}, opts?: pulumi.ComponentResourceOptions): Platform {
    withoutPromiseStacks();
    withoutSdkDebugLogs();
    return new Platform(PLATFORM_NAME, { config, secrets }, opts);
}
