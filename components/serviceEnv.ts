/**
 * What each Pulse service is told: every variable its code reads (its registry entry's `reads`) with the value this
 * platform has for it: a plain value from config and the platform's endpoints, or, for a secret, a reference to the
 * Secret that holds it. The images default to the compose file's `iot-*` hosts; every host here is ours.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { deviceTlsEnabled, issuerParts, PulseConfig, s3Endpoint, SECRET_ENV, SecretEnvSource, ServiceName, SERVICES } from "../config";
import { KEYCLOAK_REALM, UI_CLIENT_ID } from "../lib/contracts";
import { secretKeyEnv } from "../lib/secrets";
import { DatabaseConnection } from "./database";

type EnvVar = k8s.types.input.core.v1.EnvVar;

/** Where ops-worker writes the device CRL it regenerates (its writable /tmp). */
const CRL_OUTPUT_PATH = "/tmp/device-crl.pem";
/**
 * Where the device CA's whole Secret, certificate and signing key, is mounted in the services that read both
 * (DEVICE_CA_CERT_PATH and DEVICE_CA_KEY_PATH); EMQX gets only the certificate, elsewhere (components/emqx.ts).
 */
export const DEVICE_CA_SECRET_DIR = "/etc/pulse/device-ca";

/** Where the services find the identity provider, a Keycloak realm (KEYCLOAK_*): the in-cluster Keycloak or an existing one. */
export interface IdentityProvider {
    /** KEYCLOAK_URL and KEYCLOAK_PUBLIC_URL: the server's base URL as browsers reach it. */
    readonly publicUrl: string;
    /** KEYCLOAK_INTERNAL_URL: the base URL the services call from inside the cluster. */
    readonly internalUrl: string;
    readonly realm: string;
    readonly jwksUri: string;
}

/** The in-cluster Keycloak: its public URL when the Ingress routes to it (else its Service), keys fetched in-cluster. */
export function inClusterIdentity(internalUrl: string, publicUrl: string | undefined): IdentityProvider {
    return {
        publicUrl: publicUrl ?? internalUrl,
        internalUrl,
        realm: KEYCLOAK_REALM,
        jwksUri: `${internalUrl}/realms/${KEYCLOAK_REALM}/protocol/openid-connect/certs`,
    };
}

/** An existing provider (keycloak.enabled false): everything from its issuer URL, unless configured (keycloak.external). */
export function externalIdentity(external: PulseConfig["keycloak"]["external"]): IdentityProvider {
    const issuer = external.issuerUrl;
    const parts = issuer === undefined ? "is required" : issuerParts(issuer);
    if (typeof parts === "string") throw new Error(`keycloak.external.issuerUrl ${parts} (validation should have refused it)`);
    return {
        publicUrl: parts.base,
        internalUrl: external.internalUrl?.replace(/\/+$/, "") ?? parts.base,
        realm: parts.realm,
        jwksUri: external.jwksUri ?? `${issuer}/protocol/openid-connect/certs`,
    };
}

/** The config sections a service's environment comes from: each service's own, and app, s3, smtp and emqx. */
export type ServiceSections = Pick<PulseConfig, ServiceName | "app" | "s3" | "smtp" | "emqx">;

/** EMQX's REST API, when the broker is ours: its base URL (the code appends /api/v5) and the API key ops-worker uses. */
export interface EmqxApi {
    readonly url: string;
    readonly key: string;
}

export interface ServiceEnvContext {
    readonly sections: ServiceSections;
    readonly database: DatabaseConnection;
    /** Names of the Secrets the secret variables come from. */
    readonly secretNames: Readonly<Record<SecretEnvSource["secret"], pulumi.Input<string>>>;
    readonly natsUrl: string;
    readonly mqttHost: string;
    readonly mqttPort: number;
    /** EMQX's REST API, when the broker is ours. */
    readonly emqxApi?: EmqxApi;
    /** ui's public URL, when the Ingress routes to it. */
    readonly uiUrl?: string;
    readonly identity: IdentityProvider;
    /** In-cluster base URL of a service with a Service, e.g. http://pulse-ingest:8080 (the code appends /health). */
    readonly healthUrl: (service: ServiceName) => string;
}

/** Secret variables that exist only with a part of the platform (the part, by context field): unset without it. */
const SECRET_NEEDS: Readonly<Record<string, keyof ServiceEnvContext>> = { EMQX_DASHBOARD_PASSWORD: "emqxApi" };

/** The plain value of each variable the platform supplies; undefined: not configured, so left to the image's default. */
function plainValues(ctx: ServiceEnvContext): Record<string, string | undefined> {
    const { sections: c, database: db } = ctx;
    const production = c.app.environment === "production";
    const stage = production ? "PROD" : "DEV";
    const origin = (url?: string) => (url ? new URL(url).origin : undefined);
    const corsOrigins = c.app.corsOrigins.length > 0 ? c.app.corsOrigins.join(",") : origin(ctx.uiUrl);
    const s3 = s3Endpoint(c.s3);
    return {
        PG_HOST: db.host,
        PG_PORT: String(db.port),
        PG_DB: db.database,
        PG_USER: db.username,
        NATS_URL: ctx.natsUrl,
        MQTT_HOST: ctx.mqttHost,
        MQTT_PORT: String(ctx.mqttPort),
        MQTT_BROKER_URL: `mqtt://${ctx.mqttHost}:${ctx.mqttPort}`,
        MQTT_USERNAME: c.emqx.serviceUser,
        // The internal listener is plain MQTT inside the namespace (the images default to TLS).
        MQTT_TLS: "false",
        // Devices that present a certificate the device CA signed are authenticated by it (compose sets 1).
        CERT_AUTH_ENABLED: deviceTlsEnabled(c.emqx) ? "1" : "0",
        EMQX_API_URL: ctx.emqxApi?.url,
        EMQX_API_USER: ctx.emqxApi?.key,
        UI_BASE_URL: ctx.uiUrl,
        KEYCLOAK_URL: ctx.identity.publicUrl,
        KEYCLOAK_PUBLIC_URL: ctx.identity.publicUrl,
        KEYCLOAK_INTERNAL_URL: ctx.identity.internalUrl,
        KEYCLOAK_REALM: ctx.identity.realm,
        KEYCLOAK_JWKS_URI: ctx.identity.jwksUri,
        JWT_AUDIENCE: UI_CLIENT_ID,
        MODE: stage,
        ENV: stage,
        SECURE_COOKIES: String(production),
        CORS_ORIGINS: corsOrigins,
        S3_ENDPOINT: s3,
        S3_PUBLIC_ENDPOINT: c.s3.publicEndpoint || s3,
        S3_BUCKET: c.s3.bucket,
        S3_REGION: c.s3.region,
        SMTP_HOST: c.smtp.host || undefined,
        SMTP_PORT: String(c.smtp.port),
        SMTP_USER: c.smtp.user || undefined,
        // subscription-worker's switch is implicit TLS (TLS from the first byte); false lets it STARTTLS.
        SMTP_TLS: String(c.smtp.security === "tls"),
        SMTP_FROM: c.smtp.from || undefined,
        INGEST_HEALTH_URL: ctx.healthUrl("ingest"),
        EVALUATOR_HEALTH_URL: ctx.healthUrl("evaluator"),
        CRL_OUTPUT_PATH,
        DEVICE_CA_CERT_PATH: c.emqx.deviceTls.deviceCaSecret ? `${DEVICE_CA_SECRET_DIR}/tls.crt` : undefined,
        DEVICE_CA_KEY_PATH: c.emqx.deviceTls.deviceCaSecret ? `${DEVICE_CA_SECRET_DIR}/tls.key` : undefined,
    };
}

/**
 * A service's environment, sorted by name: each variable it reads that the platform has a value or Secret for, then its
 * section's `env` (which overrides a plain value of the same name; secrets cannot be overridden, the schema refuses).
 */
export function serviceEnv(name: ServiceName, ctx: ServiceEnvContext): EnvVar[] {
    const plain = plainValues(ctx);
    const env = new Map<string, EnvVar>();
    for (const variable of SERVICES[name].reads) {
        const secret = SECRET_ENV[variable];
        if (secret) {
            const needs = SECRET_NEEDS[variable];
            if (needs === undefined || ctx[needs] !== undefined) {
                env.set(variable, secretKeyEnv(variable, { secretName: ctx.secretNames[secret.secret], key: secret.key }));
            }
        } else if (!(variable in plain)) {
            throw new Error(`${name} reads ${variable}, for which the platform has no source (components/serviceEnv.ts)`);
        } else if (plain[variable] !== undefined) {
            env.set(variable, { name: variable, value: plain[variable] });
        }
    }
    for (const [k, v] of Object.entries(ctx.sections[name].env)) env.set(k, { name: k, value: v });
    return [...env.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
