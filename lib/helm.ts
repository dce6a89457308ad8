/** The one way Pulse installs a Helm chart: its registry entry's fixed release name, pinned version, bounded history, awaited. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PulseConfig } from "../config";
import { RELEASES, ReleaseKey } from "../config/releases";
import { recoveredBeforeDeploy } from "./releaseRecovery";

/** Revisions Helm keeps per release (the Helm CLI's default; the provider's default is unlimited). */
const MAX_HISTORY = 10;

/** Where a chart comes from (repository or local path), its exact version and Helm timeout, as config declares them. */
export type ChartSource = PulseConfig["nats"]["chart"];

export interface ChartReleaseArgs {
    /** The release's section's `chart` block. */
    readonly source: ChartSource;
    readonly values: pulumi.Input<Record<string, unknown>>;
    /** The release's namespace, `global.awaitReadiness` (false: no wait for its pods, Release `skipAwait`) and `pulse:helm`. */
    readonly globals: { readonly namespace: pulumi.Input<string>; readonly awaitReadiness: boolean; readonly helm: PulseConfig["helm"] };
    /** `pulse:chartRepositoryPassword`, used with `source.username`. */
    readonly repositoryPassword?: pulumi.Input<string>;
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
 * The release of registry entry `key` (config/releases.ts: its release and chart names), installed or upgraded only
 * after lib/releaseRecovery.ts checked it (unless `helm.recoverStuckReleases` is off): its `values` wait for the check,
 * so the provider's Create or Update, which gets the values, comes after it. The check passes the values through
 * unchanged: no diff, no replacement, nothing in a preview.
 */
export function chartRelease(key: ReleaseKey, name: string, args: ChartReleaseArgs, opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release {
    const { releaseName, chart } = RELEASES[key];
    const { namespace, awaitReadiness, helm } = args.globals;
    const checked = helm.recoverStuckReleases ? recoveredBeforeDeploy(releaseName, namespace, helm.stuckAfterSeconds, opts.parent) : undefined;
    const values = checked ? pulumi.all([args.values, checked]).apply(([v]) => v) : args.values;
    return new k8s.helm.v3.Release(
        name,
        {
            name: releaseName,
            ...releaseChart(args.source, chart, args.repositoryPassword),
            version: args.source.version,
            namespace,
            createNamespace: false,
            maxHistory: MAX_HISTORY,
            timeout: args.source.timeoutSeconds,
            waitForJobs: true,
            skipAwait: !awaitReadiness,
            atomic: false,
            values,
        },
        opts,
    );
}
