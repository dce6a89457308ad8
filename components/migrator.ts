/**
 * The database migrator, in place of the spec's pre-install/pre-upgrade hook: a Job that runs after the database and
 * its Secret exist, before any Pulse Deployment (they depend on it), again on every change of the migrator image or
 * of `pulse:appVersion`, and only then.
 */
import type { JobNetwork } from "../lib/network";
import * as pulumi from "@pulumi/pulumi";
import { TYPES } from "../lib/contracts";
import { PulseConfig } from "../config";
import { resolveImage } from "../lib/images";
import { AwaitedJob } from "./awaitedJob";
import { Globals } from "./globals";
import { ReadOnlyMount } from "../lib/pod";
import { secretKeyEnv } from "../lib/secrets";
import type { SecretRef } from "./credentials";

export interface MigratorArgs {
    readonly globals: Globals;
    readonly migrator: PulseConfig["migrator"];
    /** The database URL (pulse-db-secret's `url`). */
    readonly databaseUrl: SecretRef;
    /** The external database's CA mount, when its URL verifies the server (sslrootcert). */
    readonly databaseCa?: Readonly<Record<string, ReadOnlyMount>>;
    /** The database (its release and setup): migrations start once it is up (and its Secret exists: databaseUrl names it). */
    readonly after: readonly pulumi.Resource[];
}

/** The migrations run against Pulse's database only. */
export const MIGRATOR_NETWORK: JobNetwork = { component: "migrator", talksTo: ["postgresql:postgresql"] };

/** What makes the migrations run again: the image they ship in and the release they belong to. */
export function migratorTrigger(migrator: PulseConfig["migrator"], globals: Pick<Globals, "imageRegistry" | "appVersion">): string {
    return `${resolveImage(migrator.image, globals, globals.appVersion).ref} appVersion=${globals.appVersion}`;
}

export class Migrator extends pulumi.ComponentResource {
    readonly job: AwaitedJob;
    /** What the Pulse workloads wait for: the Job, which `pulumi up` sees complete only once the migrations succeeded. */
    readonly ready: pulumi.Resource;

    constructor(name: string, args: MigratorArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPES.migrator, name, {}, opts);
        const { globals, migrator: m } = args;
        this.job = new AwaitedJob(
            `${name}-job`,
            {
                namespace: globals.namespace,
                component: MIGRATOR_NETWORK.component,
                image: resolveImage(m.image, globals, globals.appVersion),
                imagePullSecrets: globals.imagePullSecrets,
                resources: m.resources,
                podSettings: m,
                env: [secretKeyEnv("DATABASE_URL", args.databaseUrl)],
                readOnlyMounts: args.databaseCa,
                backoffLimit: m.backoffLimit,
                activeDeadlineSeconds: m.activeDeadlineSeconds,
                timeoutSeconds: m.timeoutSeconds,
                trigger: migratorTrigger(m, globals),
                runAsUser: 10001,
                after: args.after,
            },
            { parent: this },
        );
        this.ready = this.job.ready;
        this.registerOutputs({ job: this.job, ready: this.ready });
    }
}
