/**
 * Optional Caddy reverse proxy (the spec's Ingress alternative): one Deployment serving the routing table of
 * `ingress.hosts` on CADDY_PORT behind TLS termination, from a generated Caddyfile that rolls the pods when it changes.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { INTERNAL_API_PATH, PulseConfig } from "../config";
import { checksum } from "../lib/checksum";
import { CADDY_PORT, objectName, TYPES } from "../lib/contracts";
import { resolveImage } from "../lib/images";
import { standardLabels } from "../lib/labels";
import { Route } from "../lib/routes";
import { Globals } from "./globals";
import { httpProbe, tcpProbe, Workload } from "./workload";

/** The official image runs as root by default; any non-root uid works with writable /data, /config and /tmp. */
const CADDY_UID = 1000;

/** The Caddyfile for a routing table: most specific path first, then the catch-all. */
export function caddyfile(table: readonly Route[]): string {
    const byPath = new Map<string, Route>();
    for (const r of table) if (r.backend !== "caddy" && !byPath.has(r.path)) byPath.set(r.path, r);
    const ordered = [...byPath.values()].sort((a, b) => b.path.length - a.path.length || (a.path < b.path ? -1 : 1));
    const blocks = ordered.map((r) => {
        const matcher = r.path === "/" ? "" : r.pathType === "Exact" ? ` ${r.path}` : ` ${r.path.replace(/\/$/, "")}*`;
        return `\thandle${matcher} {\n\t\treverse_proxy ${r.target.service}:${r.target.port}\n\t}`;
    });
    return [
        "{",
        "\tadmin off",
        "\tauto_https off",
        "\tpersist_config off",
        "}",
        "",
        `:${CADDY_PORT} {`,
        "\thandle /healthz {",
        "\t\trespond 200",
        "\t}",
        // ui's internal endpoints are never public, whatever the routes say.
        `\thandle ${INTERNAL_API_PATH}* {`,
        "\t\trespond 404",
        "\t}",
        ...blocks,
        "}",
        "",
    ].join("\n");
}

export interface CaddyArgs {
    readonly globals: Globals;
    readonly caddy: PulseConfig["caddy"];
    /** The routing table it serves (lib/routes' `routes(config)`); routes to Caddy itself are skipped. */
    readonly routes: readonly Route[];
    /** The Services it proxies to: Caddy rolls out once they are ready, so it never serves a route with no backend. */
    readonly after: readonly pulumi.Resource[];
}

export const CADDY_COMPONENT = "caddy";

export class Caddy extends pulumi.ComponentResource {
    readonly configMap: k8s.core.v1.ConfigMap;
    readonly workload: Workload;

    constructor(name: string, args: CaddyArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPES.caddy, name, {}, opts);
        const { globals, caddy } = args;
        const content = caddyfile(args.routes);

        this.configMap = new k8s.core.v1.ConfigMap(
            `${name}-caddyfile`,
            {
                metadata: { name: objectName(CADDY_COMPONENT), namespace: globals.namespace, labels: standardLabels({ component: CADDY_COMPONENT }) },
                data: { Caddyfile: content },
            },
            { parent: this },
        );

        this.workload = new Workload(
            `${name}-workload`,
            {
                namespace: globals.namespace,
                component: CADDY_COMPONENT,
                image: resolveImage(caddy.image, globals, globals.appVersion),
                imagePullSecrets: globals.imagePullSecrets,
                awaitReadiness: globals.awaitReadiness,
                replicas: caddy.replicaCount,
                resources: caddy.resources,
                podSettings: caddy,
                command: ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"],
                ports: { http: CADDY_PORT },
                servicePorts: ["http"],
                exposure: caddy.serviceType === "ClusterIP" ? undefined : { type: caddy.serviceType, configuredBy: "pulse:caddy.serviceType" },
                probes: {
                    readiness: httpProbe("http", "/healthz", { periodSeconds: 10 }),
                    liveness: tcpProbe("http", { periodSeconds: 30, failureThreshold: 3 }),
                },
                readOnlyMounts: { caddyfile: { configMapName: this.configMap.metadata.name, mountPath: "/etc/caddy" } },
                scratch: { data: "/data", config: "/config" },
                podAnnotations: { "checksum/caddyfile": checksum(content) },
                runAsUser: CADDY_UID,
                // The caddy binary carries a file capability (cap_net_bind_service): exec fails unless it is in the bounding set.
                addCapabilities: ["NET_BIND_SERVICE"],
                rolloutAfter: args.after,
            },
            { parent: this },
        );
        this.registerOutputs({ configMap: this.configMap, workload: this.workload });
    }
}
