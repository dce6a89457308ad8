/** The one way Pulse installs a Helm chart: fixed release name, pinned version, bounded history, awaited. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PulseConfig } from "../config";

/** Revisions Helm keeps per release (the Helm CLI's default; the provider's default is unlimited). */
export const MAX_HISTORY = 10;

/** Repository, exact version and Helm timeout of a chart, as each chart's config section declares them. */
export type ChartSource = PulseConfig["nats"]["chart"];

export interface ChartReleaseArgs {
    /** Helm release name: fixed, so Service DNS names are stable (`pulse-nats`, not `pulse-nats-1a2b3c4d`). */
    readonly releaseName: string;
    /** Chart name in its repository, e.g. "nats". */
    readonly chartName: string;
    readonly source: ChartSource;
    readonly namespace: pulumi.Input<string>;
    readonly values: pulumi.Input<Record<string, unknown>>;
}

export function chartRelease(name: string, args: ChartReleaseArgs, opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release {
    const oci = args.source.repository.startsWith("oci://");
    return new k8s.helm.v3.Release(
        name,
        {
            name: args.releaseName,
            // An OCI chart is addressed by its full reference and takes no repositoryOpts.
            chart: oci ? `${args.source.repository.replace(/\/+$/, "")}/${args.chartName}` : args.chartName,
            ...(oci ? {} : { repositoryOpts: { repo: args.source.repository } }),
            version: args.source.version,
            namespace: args.namespace,
            createNamespace: false,
            maxHistory: MAX_HISTORY,
            timeout: args.source.timeoutSeconds,
            waitForJobs: true,
            atomic: false,
            values: args.values,
        },
        opts,
    );
}
