/**
 * The HTTP routing table: which public URL reaches which Pulse service, derived once from `ingress.hosts` for the
 * Ingress, the Caddyfile, Keycloak's hostname and the stack outputs.
 */
import { INGRESS_BACKENDS, PulseConfig, SERVICES } from "../config";
import { CADDY_PORT, KEYCLOAK_HTTP_PORT, objectName } from "./contracts";
import { componentOf } from "./labels";

export type Backend = (typeof INGRESS_BACKENDS)[number];

interface BackendTarget {
    /** Service (and workload) name, objectName(component). */
    readonly service: string;
    readonly port: number;
}

/** The in-cluster Service behind a backend, with the port it really listens on. */
function backendTarget(backend: Backend): BackendTarget {
    // Keycloak's and Caddy's ports are lib/contracts'; Pulse's services' come from their contracts (config/services.ts).
    const port = backend === "keycloak" ? KEYCLOAK_HTTP_PORT : backend === "caddy" ? CADDY_PORT : SERVICES[backend].http.port;
    return { service: objectName(componentOf(backend)), port };
}

export interface Route {
    readonly host: string;
    readonly path: string;
    readonly pathType: "Prefix" | "Exact" | "ImplementationSpecific";
    readonly backend: Backend;
    readonly target: BackendTarget;
    /** Public URL of the route: https when a TLS entry covers the host. */
    readonly url: string;
}

function hostMatches(pattern: string, host: string): boolean {
    return pattern === host || (pattern.startsWith("*.") && host.endsWith(pattern.slice(1)) && !host.slice(0, -pattern.length + 1).includes("."));
}

/** What the routes are made of: the Ingress's hosts and Keycloak's paths. */
type RoutesConfig = Pick<PulseConfig, "ingress" | "keycloak">;

/** Keycloak's public paths: at the root, the ones Pulse's SPA calls (its URL is the page's origin); else its relative path. */
function keycloakPaths(config: RoutesConfig): string[] {
    const relative = config.keycloak.httpRelativePath;
    return relative === "/" ? ["/realms", "/resources", "/admin", "/js"] : [relative];
}

type PathRule = NonNullable<PulseConfig["ingress"]["hosts"][number]["paths"]>[number];

/** Pulse's own routes (its compose file's Caddy): Keycloak's paths (when it is deployed), then ui for everything else. */
function pulsePaths(config: RoutesConfig): PathRule[] {
    return [
        ...(config.keycloak.enabled ? keycloakPaths(config) : []).map((path) => ({ path, pathType: "Prefix" as const, service: "keycloak" as const })),
        { path: "/", pathType: "Prefix" as const, service: "ui" as const },
    ];
}

export function routes(config: RoutesConfig): Route[] {
    const { ingress } = config;
    const tlsHosts = ingress.tls.flatMap((t) => t.hosts);
    return ingress.hosts.flatMap((h) =>
        (h.paths ?? pulsePaths(config)).map((p) => {
            const scheme = tlsHosts.some((t) => hostMatches(t, h.host)) ? "https" : "http";
            return {
                host: h.host,
                path: p.path,
                pathType: p.pathType,
                backend: p.service,
                target: backendTarget(p.service),
                url: `${scheme}://${h.host}${p.path === "/" ? "" : p.path}`,
            };
        }),
    );
}

/**
 * Public base URL of a backend, when the Ingress is on and routes to it: ui's route, or for Keycloak the origin of its
 * first route plus its relative path (Keycloak builds every URL below it).
 */
export function publicUrl(config: RoutesConfig, backend: Backend): string | undefined {
    if (!config.ingress.enabled) return undefined;
    const route = routes(config).find((r) => r.backend === backend && !r.host.startsWith("*."));
    if (!route || backend !== "keycloak") return route?.url;
    const relative = config.keycloak.httpRelativePath;
    return `${new URL(route.url).origin}${relative === "/" ? "" : relative}`;
}

/** The public origins ui is served at (the realm's redirect URIs and web origins); none without the Ingress. */
export function uiOrigins(config: RoutesConfig): string[] {
    if (!config.ingress.enabled) return [];
    return [
        ...new Set(
            routes(config)
                .filter((r) => r.backend === "ui" && !r.host.startsWith("*."))
                .map((r) => new URL(r.url).origin),
        ),
    ];
}
