/**
 * The identity provider beside Keycloak's workload settings: an existing provider instead of the in-cluster Keycloak
 * (`keycloak.enabled: false` with `keycloak.external`), and where the realm the in-cluster one imports comes from
 * (`keycloak.realm`). The Pulse services speak Keycloak's URL layout (`<base>/realms/<realm>/...`, the admin API): the
 * provider is a Keycloak realm, wherever it runs.
 */
import { z } from "zod";
import { CREDENTIALS, hasUrlCredentials, httpUrl, k8sName } from "./formats";

const ISSUER_EXAMPLE = "https://id.example.com/realms/pulse";
const ISSUER_RULE = `must be the https URL of a Keycloak realm, https://<host>[/<path>]/realms/<realm> such as ${ISSUER_EXAMPLE}`;

/** What the services are told about an external provider, all derived from its issuer URL. */
export interface IssuerParts {
    /** The server's base URL, `https://<host>[/<path>]` (KEYCLOAK_URL and the stack output keycloakUrl). */
    readonly base: string;
    /** The realm, the issuer's last path segment (KEYCLOAK_REALM). */
    readonly realm: string;
}

/** The base and realm of a realm issuer, or a reason it is not one. Pure: the schema and the components share it. */
export function issuerParts(issuerUrl: string): IssuerParts | string {
    if (hasUrlCredentials(issuerUrl)) return CREDENTIALS;
    let url: URL;
    try {
        url = new URL(issuerUrl);
    } catch {
        return ISSUER_RULE;
    }
    if (url.protocol !== "https:") return `must be an https URL (tokens and keys are fetched from it), such as ${ISSUER_EXAMPLE}`;
    if (url.username || url.password || url.search || url.hash) return `${ISSUER_RULE}, without credentials, query or fragment`;
    const m = /^(.*)\/realms\/([^/]+)$/.exec(url.pathname);
    if (!m) return ISSUER_RULE;
    return { base: `${url.origin}${m[1]}`, realm: m[2] };
}

/** The TCP port a URL's server listens on (its own, else its scheme's). */
export const urlPort = (u: string): number => {
    const url = new URL(u);
    return Number(url.port || (url.protocol === "http:" ? 80 : 443));
};

export const keycloakExternal = z
    .strictObject({
        issuerUrl: z
            .string({ error: ISSUER_RULE })
            .superRefine((v, ctx) => {
                const parts = issuerParts(v);
                if (typeof parts === "string") ctx.addIssue({ code: "custom", input: v, message: parts });
            })
            .optional()
            .describe(
                `Issuer URL of the existing provider's realm (required when keycloak.enabled is false), e.g. ${ISSUER_EXAMPLE}: KEYCLOAK_URL and KEYCLOAK_PUBLIC_URL are its base (the part before /realms/), KEYCLOAK_REALM its last segment`,
            ),
        jwksUri: httpUrl("must be an https URL such as https://id.example.com/realms/pulse/protocol/openid-connect/certs", ["https:"])
            .optional()
            .describe("Where the services fetch the token signing keys (KEYCLOAK_JWKS_URI); unset: `<issuerUrl>/protocol/openid-connect/certs`"),
        internalUrl: httpUrl("must be an http(s) URL such as https://id.example.com", ["https:", "http:"])
            .optional()
            .describe("Base URL the services call the provider at from inside the cluster (KEYCLOAK_INTERNAL_URL); unset: the issuer's base"),
    })
    .prefault({});

/** A ConfigMap key: letters, digits, '-', '_' and '.'. */
const CONFIG_MAP_KEY_RE = /^[-._a-zA-Z0-9]{1,253}$/;

export const keycloakRealm = z
    .strictObject({
        configMap: k8sName("a ConfigMap name")
            .optional()
            .describe(
                "An existing ConfigMap holding the realm to import (a Keycloak realm export) instead of the generated `pulse` realm; unset: the program generates it from config",
            ),
        key: z
            .string({ error: "must be a ConfigMap key" })
            .regex(CONFIG_MAP_KEY_RE, { error: "must be a ConfigMap key: letters, digits, '-', '_' and '.'" })
            .default("realm-pulse.json")
            .describe("The key in `configMap` that holds the realm's JSON"),
    })
    .prefault({});

/** Keycloak's section's cross-key rules: the external provider's keys exactly when Keycloak is off, the realm's source. */
export function checkIdentity(
    kc: { enabled: boolean; realmImport: boolean; external: z.output<typeof keycloakExternal>; realm: z.output<typeof keycloakRealm> },
    ctx: z.RefinementCtx,
): void {
    if (!kc.enabled && kc.external.issuerUrl === undefined) {
        ctx.addIssue({
            code: "custom",
            path: ["external", "issuerUrl"],
            input: undefined,
            message: `is required when keycloak.enabled is false: the services need the identity provider's realm, e.g. ${ISSUER_EXAMPLE}`,
        });
    }
    if (kc.enabled) {
        for (const k of ["issuerUrl", "jwksUri", "internalUrl"] as const) {
            if (kc.external[k] === undefined) continue;
            ctx.addIssue({
                code: "custom",
                path: ["external", k],
                input: kc.external[k],
                message:
                    "is used only when keycloak.enabled is false (the in-cluster Keycloak is the identity provider otherwise); remove it or disable Keycloak",
            });
        }
    }
    if (kc.realm.configMap !== undefined && (!kc.enabled || !kc.realmImport)) {
        ctx.addIssue({
            code: "custom",
            path: ["realm", "configMap"],
            input: kc.realm.configMap,
            message: !kc.enabled
                ? "is not used when keycloak.enabled is false: no Keycloak is deployed to import it"
                : "is not used when keycloak.realmImport is false: set realmImport to true to import it",
        });
    }
}
