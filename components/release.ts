/**
 * A Helm release that needs nothing but its registry entry (config/releases.ts: an entry with a `type`), its config
 * section and its values (components/releases.ts): the platform creates one for every such entry. The component's type
 * token is the entry's, its Release `<name>-release`, installed when the section is `enabled`; everything else comes
 * from the entry and the section's `chart` block (lib/helm.ts).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GenericReleaseKey, PulseConfig, RELEASES } from "../config";
import { chartRelease } from "../lib/helm";
import { Globals } from "./globals";

export interface ReleaseArgs<K extends GenericReleaseKey> {
    readonly key: K;
    readonly globals: Globals;
    readonly section: PulseConfig[K];
    /** The chart's values (components/releases.ts, the entry's builder). */
    readonly values: pulumi.Input<Record<string, unknown>>;
    /** `pulse:chartRepositoryPassword`, for a chart from a private repository. */
    readonly chartRepositoryPassword?: pulumi.Output<string>;
    /** What the release installs after: the Secrets its values name that the program writes (its pods read them at start). */
    readonly after?: readonly pulumi.Resource[];
}

export class Release<K extends GenericReleaseKey = GenericReleaseKey> extends pulumi.ComponentResource {
    /** None when the section is not `enabled`. */
    readonly release?: k8s.helm.v3.Release;

    constructor(name: string, args: ReleaseArgs<K>, opts?: pulumi.ComponentResourceOptions) {
        super(RELEASES[args.key].type, name, {}, opts);
        const { key, section, globals } = args;
        if (section.enabled) {
            this.release = chartRelease(
                key,
                `${name}-release`,
                { source: section.chart, values: args.values, globals, repositoryPassword: args.chartRepositoryPassword },
                { parent: this, dependsOn: args.after ? [...args.after] : undefined },
            );
        }
        this.registerOutputs({ release: this.release });
    }
}
