/**
 * Metrics: the Prometheus scrape targets, as one list that the NetworkPolicies open (components/networkPolicies.ts)
 * and the PodMonitors scrape (components/metrics.ts), so the two cannot disagree. With `global.metrics.enabled`: the
 * Pulse services that serve metrics (their contract's `http.metrics`, on their HTTP port), Keycloak's /metrics on its
 * management port, EMQX's stats API on its dashboard port, and the exporters the NATS and PostgreSQL charts run beside
 * their servers (switched on in the charts' values here). Each component's own `metrics.enabled` leaves its target out.
 *
 * The charts' own monitor options stay off: EMQX's renders a Secret with the dashboard login from values (admin/public,
 * as the program leaves those values empty), and the program's PodMonitors are the ones the offline render, the tests
 * and the policy pack see.
 */
import { componentOf, contractOf, PulseConfig, RELEASES, SERVICE_NAMES, ServiceName } from "../config";
import {
    EMQX_API_PORT,
    EMQX_RELEASE,
    KEYCLOAK_MANAGEMENT_PORT,
    NATS_EXPORTER_PORT,
    NATS_RELEASE,
    POSTGRESQL_EXPORTER_PORT,
    POSTGRESQL_RELEASE,
} from "./contracts";
import { bitnamiImageValues } from "./images";
import { selectorLabels } from "./labels";
import { resourceRequirements } from "./resources";
import { restrictedContainerSecurityContext } from "./security";

/** Keycloak's component key (components/keycloak.ts): its pods' labels and its management port's name are that file's. */
const KEYCLOAK = "keycloak";

/** One scrape target: a container port on a set of pods, and the path that serves the metrics. */
export interface ScrapeTarget {
    /** Component key: its PodMonitor is objectName(component), its NetworkPolicy objectName(`metrics-<component>`). */
    readonly component: string;
    /** The pods' labels (the PodMonitor's and the NetworkPolicy's selector). */
    readonly pods: Readonly<Record<string, string>>;
    /** The container port: its name (the PodMonitor scrapes it) and its number (the NetworkPolicy opens it). */
    readonly port: { readonly name: string; readonly number: number };
    readonly path: string;
    /** The Helm release whose pods these are (not objects of the offline render); none for the program's own pods. */
    readonly release?: string;
}

/** The config sections the targets depend on. */
export type MetricsSections = Pick<PulseConfig, "global" | ServiceName | "keycloak" | "emqx" | "nats" | "postgresql">;

/**
 * The charts' pods that serve metrics, by the labels their charts give them (config/releases.ts): the server pods only,
 * not nats-box's or a Job's.
 */
const CHART_PODS = {
    emqx: RELEASES.emqx.pods,
    nats: { ...RELEASES.nats.pods, "app.kubernetes.io/component": "nats" },
    postgresql: { ...RELEASES.postgresql.pods, "app.kubernetes.io/component": "primary" },
} as const;

/** Whether a component's metrics are on: the platform's switch and its own. */
const metricsOn = (global: PulseConfig["global"], section: { readonly metrics?: { readonly enabled: boolean } }): boolean =>
    global.metrics.enabled && section.metrics?.enabled === true;

/** The scrape targets of a config, in a stable order; none with `global.metrics.enabled` false. Pure. */
export function metricsTargets(c: MetricsSections): ScrapeTarget[] {
    const on = (section: { readonly metrics?: { readonly enabled: boolean } }) => metricsOn(c.global, section);
    const targets: ScrapeTarget[] = [];
    for (const key of SERVICE_NAMES) {
        const http = contractOf(key).http;
        // The port's name is the one the Pulse services' pods give their HTTP port (components/pulseServices.ts).
        if (http?.metrics && on(c[key])) {
            targets.push({
                component: componentOf(key),
                pods: selectorLabels(componentOf(key)),
                port: { name: "http", number: http.port },
                path: http.metrics,
            });
        }
    }
    if (c.keycloak.enabled && on(c.keycloak)) {
        const port = { name: "management", number: KEYCLOAK_MANAGEMENT_PORT };
        targets.push({ component: KEYCLOAK, pods: selectorLabels(KEYCLOAK), port, path: "/metrics" });
    }
    // The charts' named container ports: EMQX's dashboard (its REST API, where the stats are), the exporters' own.
    if (c.emqx.enabled && on(c.emqx)) {
        const port = { name: "dashboard", number: EMQX_API_PORT };
        targets.push({ component: "emqx", pods: CHART_PODS.emqx, port, path: "/api/v5/prometheus/stats", release: EMQX_RELEASE });
    }
    if (c.nats.enabled && on(c.nats)) {
        const port = { name: "prom-metrics", number: NATS_EXPORTER_PORT };
        targets.push({ component: "nats", pods: CHART_PODS.nats, port, path: "/metrics", release: NATS_RELEASE });
    }
    if (c.postgresql.enabled && on(c.postgresql)) {
        const port = { name: "http-metrics", number: POSTGRESQL_EXPORTER_PORT };
        targets.push({ component: "postgresql", pods: CHART_PODS.postgresql, port, path: "/metrics", release: POSTGRESQL_RELEASE });
    }
    return targets;
}

/**
 * The NATS chart's exporter sidecar (promExporter, port NATS_EXPORTER_PORT), under Pod Security "restricted": the
 * chart gives it no securityContext; the pod's (non-root uid) comes from natsValues' podTemplate. Nothing when off.
 */
export function natsExporterValues(nats: PulseConfig["nats"], global: PulseConfig["global"]): Record<string, unknown> {
    if (!metricsOn(global, nats)) return {};
    return {
        promExporter: {
            enabled: true,
            merge: {
                resources: resourceRequirements(nats.metrics.resources),
                securityContext: restrictedContainerSecurityContext({ readOnlyRootFilesystem: true }),
            },
        },
    };
}

/** The Bitnami images' user. */
const BITNAMI_UID = 1001;

/**
 * The PostgreSQL chart's exporter sidecar (`metrics`, port POSTGRESQL_EXPORTER_PORT; it connects as the database user
 * with the existing Secret's password): its image, resources and restricted securityContext, set rather than left to
 * the chart's defaults. Nothing when off.
 */
export function postgresqlExporterValues(pg: PulseConfig["postgresql"], global: PulseConfig["global"]): Record<string, unknown> {
    if (!metricsOn(global, pg)) return {};
    const image = pg.metrics.image;
    return {
        metrics: {
            enabled: true,
            image: bitnamiImageValues(image),
            resources: resourceRequirements(pg.metrics.resources),
            containerSecurityContext: { enabled: true, ...restrictedContainerSecurityContext({ uid: BITNAMI_UID, readOnlyRootFilesystem: true }) },
        },
    };
}

/** A target's PodMonitor spec: its pods in the monitor's own namespace, the named port and path. */
export function podMonitorSpec(t: ScrapeTarget): Record<string, unknown> {
    return {
        selector: { matchLabels: { ...t.pods } },
        podMetricsEndpoints: [{ port: t.port.name, path: t.path }],
    };
}
