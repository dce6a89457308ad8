/**
 * What each Pulse service is told: every variable its code reads (its registry entry's `reads`) with the value this
 * platform has for it: a plain value from config and the platform's endpoints, or, for a secret, a reference to the
 * Secret that holds it. The images default to the compose file's `iot-*` hosts; every host here is ours.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { deviceTlsEnabled, issuerParts, PulseConfig, s3Endpoint, SECRET_ENV, SecretEnvSource, ServiceContract, ServiceName, SERVICES } from "../config";
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

const stageOf = (c: ServiceSections) => (c.app.environment === "production" ? "PROD" : "DEV");
const originOf = (url?: string) => (url ? new URL(url).origin : undefined);

/**
 * The variables the platform has a plain value for, each with how the value is made; undefined: not configured, so
 * left to the image's default. Its names are known without a context: what `unsourcedReads` checks a registry against.
 */
const PLAIN: Readonly<Record<string, (ctx: ServiceEnvContext) => string | undefined>> = {
    PG_HOST: (ctx) => ctx.database.host,
    PG_PORT: (ctx) => String(ctx.database.port),
    PG_DB: (ctx) => ctx.database.database,
    PG_USER: (ctx) => ctx.database.username,
    NATS_URL: (ctx) => ctx.natsUrl,
    MQTT_HOST: (ctx) => ctx.mqttHost,
    MQTT_PORT: (ctx) => String(ctx.mqttPort),
    MQTT_BROKER_URL: (ctx) => `mqtt://${ctx.mqttHost}:${ctx.mqttPort}`,
    MQTT_USERNAME: (ctx) => ctx.sections.emqx.serviceUser,
    // The internal listener is plain MQTT inside the namespace (the images default to TLS).
    MQTT_TLS: () => "false",
    // Devices that present a certificate the device CA signed are authenticated by it (compose sets 1).
    CERT_AUTH_ENABLED: (ctx) => (deviceTlsEnabled(ctx.sections.emqx) ? "1" : "0"),
    EMQX_API_URL: (ctx) => ctx.emqxApi?.url,
    EMQX_API_USER: (ctx) => ctx.emqxApi?.key,
    UI_BASE_URL: (ctx) => ctx.uiUrl,
    KEYCLOAK_URL: (ctx) => ctx.identity.publicUrl,
    KEYCLOAK_PUBLIC_URL: (ctx) => ctx.identity.publicUrl,
    KEYCLOAK_INTERNAL_URL: (ctx) => ctx.identity.internalUrl,
    KEYCLOAK_REALM: (ctx) => ctx.identity.realm,
    KEYCLOAK_JWKS_URI: (ctx) => ctx.identity.jwksUri,
    JWT_AUDIENCE: () => UI_CLIENT_ID,
    MODE: (ctx) => stageOf(ctx.sections),
    ENV: (ctx) => stageOf(ctx.sections),
    SECURE_COOKIES: (ctx) => String(ctx.sections.app.environment === "production"),
    CORS_ORIGINS: ({ sections: c, uiUrl }) => (c.app.corsOrigins.length > 0 ? c.app.corsOrigins.join(",") : originOf(uiUrl)),
    S3_ENDPOINT: (ctx) => s3Endpoint(ctx.sections.s3),
    S3_PUBLIC_ENDPOINT: (ctx) => ctx.sections.s3.publicEndpoint || s3Endpoint(ctx.sections.s3),
    S3_BUCKET: (ctx) => ctx.sections.s3.bucket,
    S3_REGION: (ctx) => ctx.sections.s3.region,
    SMTP_HOST: (ctx) => ctx.sections.smtp.host || undefined,
    SMTP_PORT: (ctx) => String(ctx.sections.smtp.port),
    SMTP_USER: (ctx) => ctx.sections.smtp.user || undefined,
    // subscription-worker's switch is implicit TLS (TLS from the first byte); false lets it STARTTLS.
    SMTP_TLS: (ctx) => String(ctx.sections.smtp.security === "tls"),
    SMTP_FROM: (ctx) => ctx.sections.smtp.from || undefined,
    INGEST_HEALTH_URL: (ctx) => ctx.healthUrl("ingest"),
    EVALUATOR_HEALTH_URL: (ctx) => ctx.healthUrl("evaluator"),
    CRL_OUTPUT_PATH: () => CRL_OUTPUT_PATH,
    DEVICE_CA_CERT_PATH: (ctx) => (ctx.sections.emqx.deviceTls.deviceCaSecret ? `${DEVICE_CA_SECRET_DIR}/tls.crt` : undefined),
    DEVICE_CA_KEY_PATH: (ctx) => (ctx.sections.emqx.deviceTls.deviceCaSecret ? `${DEVICE_CA_SECRET_DIR}/tls.key` : undefined),
};

/**
 * The variables of each service's `reads` that the platform has no source for (neither a plain value here nor a
 * Secret's key in SECRET_ENV), one message per variable naming the service: every build fails with them.
 */
export function unsourcedReads(services: Readonly<Record<string, Pick<ServiceContract, "reads">>>): string[] {
    return Object.entries(services).flatMap(([name, { reads }]) =>
        reads
            .filter((v) => !Object.hasOwn(SECRET_ENV, v) && !Object.hasOwn(PLAIN, v))
            .map((v) => `${name} reads ${v}, for which the platform has no source (components/serviceEnv.ts, or SECRET_ENV in config/services.ts)`),
    );
}

/**
 * A service's environment, sorted by name: each variable it reads that the platform has a value or Secret for, then its
 * section's `env` (which overrides a plain value of the same name; secrets cannot be overridden, the schema refuses).
 */
export function serviceEnv(name: ServiceName, ctx: ServiceEnvContext): EnvVar[] {
    const unsourced = unsourcedReads({ [name]: SERVICES[name] });
    if (unsourced.length > 0) throw new Error(unsourced.join("; "));
    const env = new Map<string, EnvVar>();
    for (const variable of SERVICES[name].reads) {
        const secret = Object.hasOwn(SECRET_ENV, variable) ? SECRET_ENV[variable] : undefined;
        if (secret) {
            const needs = SECRET_NEEDS[variable];
            if (needs === undefined || ctx[needs] !== undefined) {
                env.set(variable, secretKeyEnv(variable, { secretName: ctx.secretNames[secret.secret], key: secret.key }));
            }
        } else {
            const value = PLAIN[variable](ctx);
            if (value !== undefined) env.set(variable, { name: variable, value });
        }
    }
    for (const [k, v] of Object.entries(ctx.sections[name].env)) env.set(k, { name: k, value: v });
    return [...env.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
