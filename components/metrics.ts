/**
 * The Prometheus operator's PodMonitors (monitoring.coreos.com/v1), one per scrape target (lib/metrics.ts), created
 * only with `global.metrics.podMonitors`: a cluster without the operator has no such kind, and `pulumi up` would fail
 * on it. Labelled for the Prometheus's `podMonitorSelector` (`global.metrics.monitorLabels`).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { objectName, TYPES } from "../lib/contracts";
import { standardLabels } from "../lib/labels";
import { podMonitorSpec, ScrapeTarget } from "../lib/metrics";
import { Globals } from "./globals";

export interface MetricsArgs {
    readonly globals: Globals;
    readonly targets: readonly ScrapeTarget[];
}

export class Metrics extends pulumi.ComponentResource {
    readonly podMonitors: k8s.apiextensions.CustomResource[];

    constructor(name: string, args: MetricsArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPES.metrics, name, {}, opts);
        const { globals } = args;
        this.podMonitors = args.targets.map(
            (t) =>
                new k8s.apiextensions.CustomResource(
                    `${name}-${t.component}`,
                    {
                        apiVersion: "monitoring.coreos.com/v1",
                        kind: "PodMonitor",
                        metadata: {
                            name: objectName(t.component),
                            namespace: globals.namespace,
                            labels: { ...standardLabels({ component: t.component }), ...globals.metrics.monitorLabels },
                        },
                        spec: podMonitorSpec(t),
                    },
                    { parent: this },
                ),
        );
        this.registerOutputs({ podMonitors: this.podMonitors });
    }
}
