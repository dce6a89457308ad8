/**
 * The HTTP routing table: which public URL reaches which Pulse service, derived once from `ingress.hosts` for the
 * Ingress, the Caddyfile, Keycloak's hostname and the stack outputs.
 */
import { INGRESS_BACKENDS, PulseConfig } from "../config";

export type Backend = (typeof INGRESS_BACKENDS)[number];

/** The in-cluster Service (name and port) behind each backend. */
export const BACKEND_SERVICES: Record<Backend, { readonly component: string; readonly port: number }> = {
    ui: { component: "ui", port: 8080 },
    provisionApi: { component: "provision-api", port: 8080 },
    keycloak: { component: "keycloak", port: 8080 },
    caddy: { component: "caddy", port: 8080 },
};

export interface Route {
    readonly host: string;
    readonly path: string;
    readonly pathType: "Prefix" | "Exact" | "ImplementationSpecific";
    readonly backend: Backend;
    /** Public URL of the route: https when a TLS entry covers the host. */
    readonly url: string;
}

function hostMatches(pattern: string, host: string): boolean {
    return pattern === host || (pattern.startsWith("*.") && host.endsWith(pattern.slice(1)) && !host.slice(0, -pattern.length + 1).includes("."));
}

export function routes(ingress: PulseConfig["ingress"]): Route[] {
    const tlsHosts = ingress.tls.flatMap((t) => t.hosts);
    return ingress.hosts.flatMap((h) =>
        h.paths.map((p) => {
            const scheme = tlsHosts.some((t) => hostMatches(t, h.host)) ? "https" : "http";
            return { host: h.host, path: p.path, pathType: p.pathType, backend: p.service, url: `${scheme}://${h.host}${p.path === "/" ? "" : p.path}` };
        }),
    );
}

/** Public URL of the first route to a backend, when the Ingress is on and routes to it. */
export function publicUrl(config: PulseConfig, backend: Backend): string | undefined {
    if (!config.ingress.enabled) return undefined;
    return routes(config.ingress).find((r) => r.backend === backend && !r.host.startsWith("*."))?.url;
}
