/**
 * Metrics: the Prometheus scrape targets. `global.metrics` switches them on for the whole platform, says where the
 * Prometheus that scrapes them runs (the NetworkPolicies admit its pods, and only them, to the metrics ports) and
 * whether the Prometheus operator's PodMonitors are created; each component's own `metrics` section switches its
 * target off, and configures its exporter where the chart runs one beside the server (NATS, PostgreSQL).
 */
import { z } from "zod";
import { bool, image, labelMap, resources, ResourceDefaults } from "./blocks";

export const globalMetrics = z
    .strictObject({
        enabled: bool()
            .default(false)
            .describe(
                "Expose the Prometheus scrape targets (the Pulse services' and Keycloak's /metrics, EMQX's stats, the NATS and PostgreSQL exporters; each component's `metrics.enabled` can leave its own out) and admit the Prometheus named in `prometheus` to them",
            ),
        podMonitors: bool()
            .default(false)
            .describe(
                "Create a PodMonitor (monitoring.coreos.com/v1) per scrape target; only where the Prometheus operator's CRDs are installed (`pulumi up` fails without them)",
            ),
        monitorLabels: labelMap()
            .default({})
            .describe("Labels on every PodMonitor, for the Prometheus's `podMonitorSelector` (e.g. `release: kube-prometheus-stack`)"),
        prometheus: z
            .strictObject({
                namespaceLabels: labelMap()
                    .default({})
                    .describe(
                        "Labels of the namespace Prometheus runs in (e.g. `kubernetes.io/metadata.name: monitoring`); required while the NetworkPolicies are on",
                    ),
                podLabels: labelMap()
                    .default({})
                    .describe("Labels of the Prometheus pods (e.g. `app.kubernetes.io/name: prometheus`); required while the NetworkPolicies are on"),
            })
            .prefault({})
            .describe("The Prometheus that scrapes: the NetworkPolicies admit these pods of these namespaces to the metrics ports, nothing else"),
    })
    .prefault({})
    .superRefine((m, ctx) => {
        if (m.podMonitors && !m.enabled) {
            ctx.addIssue({
                code: "custom",
                path: ["podMonitors"],
                input: true,
                message: "needs global.metrics.enabled: with metrics off there is no target to scrape",
            });
        }
    });

/** A component's own switch: its target is scraped when `global.metrics.enabled` and this are both true. */
export const metricsSwitch = (what: string) =>
    z
        .strictObject({
            enabled: bool().default(true).describe(`Scrape ${what} (when \`global.metrics.enabled\`)`),
        })
        .prefault({});

/** The exporters are small Go programs; the chart's presets would leave them without a memory limit or oversized. */
const EXPORTER: ResourceDefaults = { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } };

export const natsMetrics = z
    .strictObject({
        enabled: bool()
            .default(true)
            .describe("Run the chart's Prometheus exporter beside each NATS server (port 7777) and scrape it (when `global.metrics.enabled`)"),
        resources: resources(EXPORTER),
    })
    .prefault({});

export const postgresqlMetrics = z
    .strictObject({
        enabled: bool()
            .default(true)
            .describe("Run the chart's Prometheus exporter beside PostgreSQL (port 9187, as the database user) and scrape it (when `global.metrics.enabled`)"),
        // Bitnami's versioned docker.io/bitnami/* tags stopped pulling in 2025 (docs/metrics.md): the frozen copy, or a mirror.
        image: image({ registry: "docker.io", repository: "bitnamilegacy/postgres-exporter", tag: "0.15.0-debian-12-r43" }),
        resources: resources({ requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "128Mi" } }),
    })
    .prefault({});

/** What the metrics checks read of the whole config: the root runs them even when sections have errors, so loosely typed. */
interface MetricsContext {
    readonly global?: { readonly metrics?: { readonly enabled?: unknown; readonly prometheus?: unknown } };
    readonly networkPolicy?: { readonly enabled?: unknown };
}

/** Cross-section checks: with the NetworkPolicies on, the Prometheus must be named, or no scrape gets through (or every pod's would). */
export function metricsProblems(c: MetricsContext, ctx: z.RefinementCtx): void {
    const m = c.global?.metrics;
    if (m?.enabled !== true || c.networkPolicy?.enabled !== true) return;
    const required = [
        ["namespaceLabels", "Prometheus's namespace", "pods of every namespace"],
        ["podLabels", "the Prometheus pods", "every pod of its namespace"],
    ] as const;
    for (const [key, what, who] of required) {
        const labels = typeof m.prometheus === "object" && m.prometheus !== null ? (m.prometheus as Record<string, unknown>)[key] : undefined;
        // Malformed ones are reported where they are.
        if (typeof labels !== "object" || labels === null || Object.keys(labels).length > 0) continue;
        ctx.addIssue({
            code: "custom",
            path: ["global", "metrics", "prometheus", key],
            input: {},
            message: `must name ${what} while global.metrics.enabled and networkPolicy.enabled: empty, the NetworkPolicies would admit ${who} to the metrics ports`,
        });
    }
}
