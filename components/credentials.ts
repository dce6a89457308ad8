/**
 * The platform's credentials stage: run once, before any component, it creates the Secrets more than one component
 * reads (the database Secret `pulse-db-secret`, the app Secret, Keycloak's admin and database Secrets), their generated
 * passwords and the key of the pods' secret revisions, and states every endpoint, as typed references that components
 * take as they are. A reference names the created Secret by its output (so every reader waits for it) or, with
 * `secrets.external`, the configured Secret: that choice is made here and nowhere downstream. Its resources are the
 * platform's children: no component of its own, so the app Secret keeps the URN stacks hold, and the database's and
 * Keycloak's credentials answer to the URNs their former components gave them (lib/aliases.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { APP_SECRET_KEYS, componentOf, PlatformSecrets, PulseConfig, SERVICES } from "../config";
import { MovedCredential, movedCredentialAliases } from "../lib/aliases";
import { secretsRevision } from "../lib/checksum";
import { objectName } from "../lib/contracts";
import { publicUrl } from "../lib/routes";
import { CredentialsSecret, credentialsSecret, passwordOr } from "../lib/secrets";
import { DatabaseConnection, databaseConnection, databaseUrl, keepsData } from "./database";
import { emqxApi, mqttEndpoint } from "./emqx";
import { keycloakInternalUrl } from "./keycloak";
import { natsUrl } from "./nats";
import { EmqxApi, externalIdentity, IdentityProvider, inClusterIdentity } from "./serviceEnv";

/** One key of a Secret a consumer reads: what an env var's `secretKeyRef` (or a chart's existing Secret) names. */
export interface SecretRef {
    /** The created Secret's name (an output: readers wait for it), or the configured one when it is managed elsewhere. */
    readonly secretName: pulumi.Input<string>;
    readonly key: string;
}

/** A login kept in a Secret under `username` and `password`. */
export interface LoginRefs {
    readonly username: SecretRef;
    readonly password: SecretRef;
}

/**
 * Pulse's database login, the Secret `pulse-db-secret` (DatabaseConnection.secretName): the migrator and the services
 * read `url` and `password`, the setup Job `password` and `postgres-password`, the in-cluster chart the Secret by name
 * (`password`, `postgres-password` and, with replication, `replication-password`: the chart's default keys).
 */
export interface DatabaseCredentials {
    /** The Secret's name: the chart's existingSecret, the services' `database` source (config/services.ts SECRET_ENV). */
    readonly secretName: pulumi.Input<string>;
    /** postgresql://user:password@host:port/database[?...] (components/database.ts databaseUrl). */
    readonly url: SecretRef;
    /** Pulse's role's. */
    readonly password: SecretRef;
    /** In-cluster: the server's admin (`postgres`), whom the setup Job logs in as. */
    readonly adminPassword?: SecretRef;
    /**
     * In-cluster with the password in Pulumi: its revision (lib/checksum secretsRevision), on the setup Job that sets it
     * (ALTER ROLE), so a changed password re-runs the setup before the services that log in with it roll (they carry
     * their own revision of every secret they read: components/pulseServices.ts).
     */
    readonly revision?: pulumi.Output<string>;
}

/** Keycloak's own database on Pulse's server: the database setup Job creates the role, Keycloak logs in with it. */
export interface KeycloakDatabaseCredentials {
    /** The database's name and the role's (the setup Job's KEYCLOAK_DB and KEYCLOAK_USER). */
    readonly database: string;
    readonly username: string;
    readonly login: LoginRefs;
    /**
     * In-cluster with the password in Pulumi: its revision (lib/checksum secretsRevision), on the setup Job that sets it
     * and on Keycloak, which rolls after the setup ran.
     */
    readonly revision?: pulumi.Output<string>;
}

/** The app Secret's variables (config/services.ts APP_SECRET_KEYS). */
export type AppSecretVariable = keyof typeof APP_SECRET_KEYS;

/** What exists only when the program writes the Secrets (`secrets.external` false). */
interface ManagedCredentials {
    /**
     * The key of every secret revision (`pulse:revisionKey`, or generated once and kept in state), never in a Secret
     * a pod reads, so a revision annotation gives whoever reads it nothing to test guesses against, and rotating a
     * credential changes only the revisions of what reads it.
     */
    readonly revisionKey: pulumi.Output<string>;
    /** The app Secret's values (configured, or generated once) that EMQX's Secrets carry (EmqxArgs.appCredentials). */
    readonly emqx: {
        readonly mqttPassword: pulumi.Output<string>;
        readonly internalAuthSecret: pulumi.Output<string>;
        readonly apiSecret: pulumi.Output<string>;
    };
    /** The values of the Secrets written here, by the services' secret source (config/services.ts SECRET_ENV). */
    readonly written: {
        readonly database: CredentialsSecret["values"];
        readonly app: CredentialsSecret["values"];
        readonly keycloakAdmin?: CredentialsSecret["values"];
    };
    /**
     * The Secrets written here, by object name: a reader that names one only by its configured name (a chart's values)
     * waits for it this way.
     */
    readonly secrets: Readonly<Record<string, CredentialsSecret>>;
}

/** Where everything is reached: plain values from config, the same ones the components serve at. */
export interface PlatformEndpoints {
    readonly database: DatabaseConnection;
    readonly natsUrl: string;
    readonly mqtt: { readonly host: string; readonly port: number };
    /** EMQX's REST API and ops-worker's key, when the broker is ours. */
    readonly emqxApi?: EmqxApi;
    /** ui's in-cluster base URL (EMQX's HTTP authentication and authorization call it). */
    readonly uiInternalUrl: string;
    /** ui's public URL, when an Ingress routes to it. */
    readonly uiPublicUrl?: string;
    /** Keycloak's public URL, when it is ours and an Ingress routes to it. */
    readonly keycloakPublicUrl?: string;
    /** The stack's identity URL: Keycloak's public URL ("" when no Ingress routes to it), or the external issuer's base. */
    readonly identityUrl: string;
    /** The identity provider the services use: the in-cluster Keycloak, or the external one. */
    readonly identity: IdentityProvider;
}

export interface PlatformCredentials {
    readonly database: DatabaseCredentials;
    /** The app Secret (pulse-app-secrets): the Pulse services' credentials; Keycloak's realm reads two. */
    readonly appSecretName: pulumi.Input<string>;
    /** The identity provider's admin, which ui reads (and the in-cluster Keycloak starts with). */
    readonly keycloakAdmin: LoginRefs;
    /** With `keycloak.enabled`. */
    readonly keycloakDatabase?: KeycloakDatabaseCredentials;
    readonly managed?: ManagedCredentials;
    readonly endpoints: PlatformEndpoints;
}

/** A key of the app Secret. */
export const appSecretRef = (c: Pick<PlatformCredentials, "appSecretName">, variable: AppSecretVariable): SecretRef => ({
    secretName: c.appSecretName,
    key: variable,
});

/** The login keys of a Secret. */
const loginRefs = (secretName: pulumi.Input<string>): LoginRefs => ({
    username: { secretName, key: "username" },
    password: { secretName, key: "password" },
});

/** The database Secret's keys its readers name: the admin's only in-cluster, where the server is ours. */
const databaseRefs = (secretName: pulumi.Input<string>, db: DatabaseConnection): Omit<DatabaseCredentials, "revision"> => ({
    secretName,
    url: { secretName, key: "url" },
    password: { secretName, key: "password" },
    ...(db.inCluster ? { adminPassword: { secretName, key: "postgres-password" } } : {}),
});

/** The config sections the stage reads. */
export type CredentialsConfig = Pick<PulseConfig, "secrets" | "keycloak" | "postgresql" | "externalDatabase" | "nats" | "emqx" | "ingress">;

/** The endpoints of a config: pure, so the tests and the components derive the same. */
export function platformEndpoints(config: CredentialsConfig): PlatformEndpoints {
    const keycloakPublicUrl = publicUrl(config, "keycloak");
    const identity = config.keycloak.enabled
        ? inClusterIdentity(keycloakInternalUrl(config.keycloak), keycloakPublicUrl)
        : externalIdentity(config.keycloak.external);
    return {
        database: databaseConnection(config.postgresql, config.externalDatabase),
        natsUrl: natsUrl(config.nats),
        mqtt: mqttEndpoint(config.emqx),
        emqxApi: emqxApi(config.emqx),
        uiInternalUrl: `http://${objectName(componentOf("ui"))}:${SERVICES.ui.http.port}`,
        uiPublicUrl: publicUrl(config, "ui"),
        keycloakPublicUrl: config.keycloak.enabled ? keycloakPublicUrl : undefined,
        identityUrl: config.keycloak.enabled ? (keycloakPublicUrl ?? "") : identity.publicUrl,
        identity,
    };
}

/**
 * The credentials stage, under `parent` (the platform, named `name`). `namespace`: the Namespace's name, so each
 * Secret waits for it.
 */
export function platformCredentials(
    name: string,
    args: { readonly config: CredentialsConfig; readonly secrets: PlatformSecrets; readonly namespace: pulumi.Input<string> },
    parent: pulumi.Resource,
): PlatformCredentials {
    const { config, secrets, namespace } = args;
    const names = config.secrets;
    const kc = config.keycloak;
    const endpoints = platformEndpoints(config);
    const kcDatabase = { database: kc.database.name, username: kc.database.username };
    if (names.external) {
        return {
            database: databaseRefs(endpoints.database.secretName, endpoints.database),
            appSecretName: names.app,
            keycloakAdmin: loginRefs(names.keycloakAdmin),
            keycloakDatabase: kc.enabled ? { ...kcDatabase, login: loginRefs(names.keycloakDb) } : undefined,
            endpoints,
        };
    }

    const managed = { revisionKey: passwordOr(secrets.revisionKey, `${name}-revision-key`, { parent }) };
    const moved = (role: MovedCredential) => movedCredentialAliases(parent, name, role);
    // With in-cluster data, losing a generated database password locks its role out of the database: the passwords and
    // the Secrets of the database's roles share the data's protection.
    const keep = keepsData(config.postgresql);
    const keepOpts = (role: MovedCredential): pulumi.CustomResourceOptions => ({ parent, protect: keep, retainOnDelete: keep, aliases: moved(role) });
    const db = endpoints.database;
    // Every Secret of the stage goes through `write`, so `managed.secrets` lists them all.
    const written: Record<string, CredentialsSecret> = {};
    const write = (...a: Parameters<typeof credentialsSecret>): CredentialsSecret => (written[a[1].objectName] = credentialsSecret(...a));
    // In-cluster, the setup Job sets the roles' passwords: their revision re-runs it before the pods that log in roll.
    const setupRevision = (password: pulumi.Output<string>) => (db.inCluster ? { revision: secretsRevision(managed.revisionKey, [password]) } : {});

    // Pulse's database login: the migrator, the services, the setup Job and the chart read it.
    const dbPassword = passwordOr(secrets.dbPassword, `${name}-database-password`, keepOpts("database-password"));
    const dbSecret = write(
        `${name}-database-secret`,
        {
            objectName: db.secretName,
            namespace,
            component: "database",
            stringData: {
                username: db.username,
                password: dbPassword,
                url: dbPassword.apply((p) => databaseUrl(db, p)),
                ...(db.inCluster
                    ? { "postgres-password": passwordOr(secrets.postgresPassword, `${name}-database-admin-password`, keepOpts("database-admin-password")) }
                    : {}),
                ...(db.inCluster && config.postgresql.architecture === "replication"
                    ? {
                          "replication-password": passwordOr(
                              secrets.postgresReplicationPassword,
                              `${name}-database-replication-password`,
                              keepOpts("database-replication-password"),
                          ),
                      }
                    : {}),
            },
        },
        keepOpts("database-secret"),
    );

    const app = Object.fromEntries(
        Object.entries(APP_SECRET_KEYS).map(([variable, key]) => [variable, passwordOr(secrets[key], `${name}-app-secrets-${componentOf(key)}`, { parent })]),
    ) as Record<AppSecretVariable, pulumi.Output<string>>;
    const appSecret = write(`${name}-app-secrets`, { objectName: names.app, namespace, component: "app", stringData: app }, { parent });

    // Keycloak's admin: ui reads it too (with an external provider, the provider's existing Secret).
    const keycloakAdmin = kc.enabled
        ? write(
              `${name}-keycloak-admin`,
              {
                  objectName: names.keycloakAdmin,
                  namespace,
                  component: "keycloak",
                  stringData: {
                      username: kc.adminUsername,
                      password: passwordOr(secrets.keycloakAdminPassword, `${name}-keycloak-admin-password`, {
                          parent,
                          aliases: moved("keycloak-admin-password"),
                      }),
                  },
              },
              { parent, aliases: moved("keycloak-admin") },
          )
        : undefined;

    // Keycloak's database role: the database setup Job creates it, Keycloak logs in with it.
    let keycloakDatabase: KeycloakDatabaseCredentials | undefined;
    if (kc.enabled) {
        const password = passwordOr(secrets.keycloakDbPassword, `${name}-database-keycloak-password`, keepOpts("database-keycloak-password"));
        const secret = write(
            `${name}-database-keycloak-secret`,
            { objectName: names.keycloakDb, namespace, component: "keycloak", stringData: { username: kc.database.username, password } },
            keepOpts("database-keycloak-secret"),
        );
        keycloakDatabase = { ...kcDatabase, login: loginRefs(secret.metadata.name), ...setupRevision(password) };
    }

    return {
        database: { ...databaseRefs(dbSecret.metadata.name, db), ...setupRevision(dbPassword) },
        appSecretName: appSecret.metadata.name,
        keycloakAdmin: loginRefs(keycloakAdmin ? keycloakAdmin.metadata.name : names.keycloakAdmin),
        keycloakDatabase,
        managed: {
            ...managed,
            emqx: { mqttPassword: app.MQTT_PASSWORD, internalAuthSecret: app.MQTT_INTERNAL_AUTH_SECRET, apiSecret: app.EMQX_API_SECRET },
            written: { database: dbSecret.values, app: appSecret.values, keycloakAdmin: keycloakAdmin?.values },
            secrets: written,
        },
        endpoints,
    };
}
