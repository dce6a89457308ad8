/**
 * A Job that `pulumi up` waits for, replacing a Helm hook: named after its trigger, so each change of the trigger runs
 * a new Job under a new name, and an `up` interrupted while the Job runs adopts it by name on the next `up` instead of
 * starting a second one; retried on the next `up` after a failure (`pulumi.com/replaceUnready`, which deletes the
 * failed Job first: same name); bounded by backoffLimit / activeDeadlineSeconds, with a Pulumi timeout above the
 * deadline. Its pod is the workloads' (lib/pod): Pod Security "restricted", its own token-less ServiceAccount.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PodArgs, podServiceAccount, podMetadata, podSpec } from "../lib/pod";
import { checksum } from "../lib/checksum";
import { awaitedJobAliases } from "../lib/aliases";
import { objectName, TYPES } from "../lib/contracts";
import { standardLabels } from "../lib/labels";

const REPLACE_UNREADY = "pulumi.com/replaceUnready";

/** objectName(component), then `-<first 10 hex of the trigger's hash>`. */
export function jobName(component: string, trigger: string): string {
    return `${objectName(component)}-${checksum(trigger).slice(0, 10)}`;
}

/** The Job is named `jobName(component, trigger)`, its ServiceAccount objectName(component). */
export interface AwaitedJobArgs extends PodArgs {
    readonly backoffLimit: number;
    readonly activeDeadlineSeconds: number;
    readonly timeoutSeconds: number;
    /** The Job runs again (a new Job, by name) when, and only when, this value changes, or its pod template does. */
    readonly trigger: string;
    /** Pod template annotations; a change re-runs the Job under the same name (it is replaced: delete, then create). */
    readonly podAnnotations?: Readonly<Record<string, pulumi.Input<string>>>;
    /** What must be ready before the Job starts (a component stands for all its resources). */
    readonly after?: readonly pulumi.Resource[];
}

export class AwaitedJob extends pulumi.ComponentResource {
    readonly job: k8s.batch.v1.Job;
    readonly serviceAccount: k8s.core.v1.ServiceAccount;
    /** What waits for the Job's work: the Job itself, which `pulumi up` sees complete only once it succeeded. */
    readonly ready: pulumi.Resource;

    constructor(name: string, args: AwaitedJobArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPES.awaitedJob, name, {}, opts);
        const labels = standardLabels({ component: args.component, version: args.image.tag });

        this.serviceAccount = podServiceAccount(name, { name: objectName(args.component), namespace: args.namespace, labels }, this);

        const timeout = `${args.timeoutSeconds}s`;
        // `<name>-run`, like every child after its component (its former name: lib/aliases.ts).
        this.job = new k8s.batch.v1.Job(
            `${name}-run`,
            {
                metadata: {
                    name: jobName(args.component, args.trigger),
                    namespace: args.namespace,
                    labels,
                    annotations: {
                        [REPLACE_UNREADY]: "true",
                        "ignore-check.kube-linter.io/job-ttl-seconds-after-finished":
                            "Pulumi awaits this Job and keeps it in state; a Job deleted by the TTL controller would show as drift and be re-run",
                    },
                },
                spec: {
                    backoffLimit: args.backoffLimit,
                    activeDeadlineSeconds: args.activeDeadlineSeconds,
                    template: {
                        metadata: podMetadata(labels, args.podAnnotations, args.podSettings),
                        spec: podSpec(args, this.serviceAccount.metadata.name, { restartPolicy: "Never" }),
                    },
                },
            },
            {
                parent: this,
                aliases: awaitedJobAliases(args.component),
                dependsOn: [...(args.after ?? [])],
                customTimeouts: { create: timeout, update: timeout },
            },
        );
        this.ready = this.job;
        this.registerOutputs({ job: this.job, serviceAccount: this.serviceAccount, ready: this.ready });
    }
}
