/** The one way Pulse installs a Helm chart: fixed release name, pinned version, bounded history, awaited. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PulseConfig } from "../config";
import { recoveredBeforeDeploy } from "./releaseRecovery";

/** Revisions Helm keeps per release (the Helm CLI's default; the provider's default is unlimited). */
const MAX_HISTORY = 10;

/** Where a chart comes from (repository or local path), its exact version and Helm timeout, as config declares them. */
export type ChartSource = PulseConfig["nats"]["chart"];

export interface ChartReleaseArgs {
    /** Helm release name: fixed, so Service DNS names are stable (lib/contracts' NATS_RELEASE, not a random suffix). */
    readonly releaseName: string;
    /** Chart name in its repository, e.g. "nats". */
    readonly chartName: string;
    readonly source: ChartSource;
    readonly namespace: pulumi.Input<string>;
    readonly values: pulumi.Input<Record<string, unknown>>;
    /** `global.awaitReadiness`: false installs without waiting for the release's pods (Release `skipAwait`). */
    readonly awaitReadiness: boolean;
    /** `pulse:chartRepositoryPassword`, used with `source.username`. */
    readonly repositoryPassword?: pulumi.Input<string>;
    /** `pulse:helm`: whether and when a release left pending by an interrupted `up` is recovered first. */
    readonly recovery: PulseConfig["helm"];
}

type ReleaseChart = Pick<k8s.helm.v3.ReleaseArgs, "chart" | "repositoryOpts">;

/**
 * `chart` and `repositoryOpts` of a Release: a local chart by its path (no repository); an OCI chart by its full
 * reference; a repository chart by name, with the repository's credentials and TLS files when configured. Paths stay
 * as configured (relative to the project directory, where the provider runs), so the state does not name one machine's
 * checkout.
 */
export function releaseChart(source: ChartSource, chartName: string, password?: pulumi.Input<string>): ReleaseChart {
    if (source.path !== "") return { chart: source.path };
    const oci = source.repository.startsWith("oci://");
    const opts: k8s.types.input.helm.v3.RepositoryOpts = {
        ...(oci ? {} : { repo: source.repository }),
        ...(source.username !== "" ? { username: source.username, password } : {}),
        ...(source.caFile !== "" ? { caFile: source.caFile } : {}),
        ...(source.certFile !== "" ? { certFile: source.certFile, keyFile: source.keyFile } : {}),
    };
    return {
        chart: oci ? `${source.repository.replace(/\/+$/, "")}/${chartName}` : chartName,
        ...(Object.keys(opts).length > 0 ? { repositoryOpts: opts } : {}),
    };
}

/**
 * The release, installed or upgraded only after lib/releaseRecovery.ts checked it (unless `helm.recoverStuckReleases`
 * is off): its `values` wait for the check, so the provider's Create or Update, which gets the values, comes after it.
 * The check passes the values through unchanged: no diff, no replacement, nothing in a preview.
 */
export function chartRelease(name: string, args: ChartReleaseArgs, opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release {
    const checked = args.recovery.recoverStuckReleases
        ? recoveredBeforeDeploy(args.releaseName, args.namespace, args.recovery.stuckAfterSeconds, opts.parent)
        : undefined;
    const values = checked ? pulumi.all([args.values, checked]).apply(([v]) => v) : args.values;
    return new k8s.helm.v3.Release(
        name,
        {
            name: args.releaseName,
            ...releaseChart(args.source, args.chartName, args.repositoryPassword),
            version: args.source.version,
            namespace: args.namespace,
            createNamespace: false,
            maxHistory: MAX_HISTORY,
            timeout: args.source.timeoutSeconds,
            waitForJobs: true,
            skipAwait: !args.awaitReadiness,
            atomic: false,
            values,
        },
        opts,
    );
}
