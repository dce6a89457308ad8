/**
 * One generic workload: ServiceAccount + Deployment (+ Service, + HorizontalPodAutoscaler, + PodDisruptionBudget),
 * driven by a typed spec. Every Pulse service, Keycloak and Caddy is one of these; the production bar's defaults live
 * here once: zero-downtime rolling updates and spreading when there is more than one replica. The pod itself
 * (restricted security context, read-only root with writable emptyDirs, no service-account token, resources) is
 * lib/pod's, shared with the Jobs (components/awaitedJob.ts).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PodArgs, podMetadata, podServiceAccount, podSpec, Probe } from "../lib/pod";
import { awaitAnnotations, serviceAwait } from "../lib/awaits";
import { objectName, TYPES } from "../lib/contracts";
import { annotationsOrNone, EXPOSURE_ANNOTATION, selectorLabels, standardLabels } from "../lib/labels";

interface AutoscalingSpec {
    readonly minReplicas: number;
    readonly maxReplicas: number;
    readonly targetCPUUtilizationPercentage: number;
}

/** A Deployment's pod always declares its ports and probes (empty for a worker with no server, with its waiver). */
export interface WorkloadArgs extends Omit<PodArgs, "ports" | "probes">, Required<Pick<PodArgs, "ports" | "probes">> {
    /** Replicas when not autoscaling. */
    readonly replicas: number;
    /** When set, an HPA owns the replica count and the Deployment sets none. */
    readonly autoscaling?: AutoscalingSpec;
    /** RollingUpdate (default: maxUnavailable 0, maxSurge 1) or Recreate (never two pods at once). */
    readonly strategy?: "RollingUpdate" | "Recreate";
    /** Port names the ClusterIP Service exposes (same port number as the container); none: no Service. */
    readonly servicePorts?: readonly string[];
    /** Service type when not ClusterIP, and the config key that asks for it (recorded on the Service). */
    readonly exposure?: { readonly type: "LoadBalancer" | "NodePort"; readonly configuredBy: string };
    /** Pod template annotations, e.g. content checksums that roll the pods on config change. */
    readonly podAnnotations?: Readonly<Record<string, pulumi.Input<string>>>;
    /** Object annotations (e.g. linter waivers with their reason). */
    readonly annotations?: Readonly<Record<string, string>>;
    /** What must finish before the Deployment is created or rolled (e.g. the migrator Job). */
    readonly rolloutAfter?: readonly pulumi.Resource[];
    /** `global.awaitReadiness`: false skips Pulumi's wait for the Deployment (and a LoadBalancer Service's address). */
    readonly awaitReadiness: boolean;
}

/** Probe helper: HTTP GET on a named container port. */
export function httpProbe(port: string, path: string, timing: Omit<Probe, "httpGet"> = {}): Probe {
    return { httpGet: { path, port }, ...timing };
}

/** Probe helper: TCP connect to a named container port (alive and listening, whatever the dependencies say). */
export function tcpProbe(port: string, timing: Omit<Probe, "tcpSocket"> = {}): Probe {
    return { tcpSocket: { port }, ...timing };
}

const num = (v: unknown, fallback: number) => (typeof v === "number" ? v : fallback);

/** Seconds an image pull may take before a pod starts (Pulumi's await covers it). */
export const IMAGE_PULL_SECONDS = 120;
/** Pulumi's default wait for a Deployment, kept as the floor. */
export const DEFAULT_ROLLOUT_SECONDS = 600;

/** Longest time one pod may take from scheduled to ready: pull, then startup (or readiness) probe at its limit. */
export function podStartBudgetSeconds(probes: WorkloadArgs["probes"]): number {
    // Kubernetes' probe defaults: no initial delay, every 10 s, 3 failures.
    const limit = (p?: Probe) => (p ? num(p.initialDelaySeconds, 0) + num(p.periodSeconds, 10) * num(p.failureThreshold, 3) : 0);
    return IMAGE_PULL_SECONDS + limit(probes.startup) + limit(probes.readiness);
}

/**
 * How long `pulumi up` waits for a Deployment, never below Pulumi's default of 10 minutes. A create starts every pod at
 * once: one pod's start budget. An update replaces them one at a time (maxSurge 1, maxUnavailable 0): the budget times
 * the most replicas that may be running (an HPA's maximum).
 */
export function rolloutTimeouts(args: Pick<WorkloadArgs, "replicas" | "autoscaling" | "probes">): { create: number; update: number } {
    const pod = podStartBudgetSeconds(args.probes);
    const most = args.autoscaling ? args.autoscaling.maxReplicas : args.replicas;
    return { create: Math.max(DEFAULT_ROLLOUT_SECONDS, pod), update: Math.max(DEFAULT_ROLLOUT_SECONDS, pod * Math.max(1, most)) };
}

/** Effective minimum replicas: the HPA's minimum when autoscaling. */
function minReplicas(args: Pick<WorkloadArgs, "replicas" | "autoscaling">): number {
    return args.autoscaling ? args.autoscaling.minReplicas : args.replicas;
}

export class Workload extends pulumi.ComponentResource {
    /** The Kubernetes name of every object it creates (Deployment, Service, ...): objectName(component). */
    readonly objectName: string;
    readonly serviceAccount: k8s.core.v1.ServiceAccount;
    readonly deployment: k8s.apps.v1.Deployment;
    readonly service?: k8s.core.v1.Service;
    readonly autoscaler?: k8s.autoscaling.v2.HorizontalPodAutoscaler;
    readonly disruptionBudget?: k8s.policy.v1.PodDisruptionBudget;

    constructor(name: string, args: WorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPES.workload, name, {}, opts);
        this.objectName = objectName(args.component);
        const labels = standardLabels({ component: args.component, version: args.image.tag });
        const selector = selectorLabels(args.component);
        const metadata = (extra: Record<string, string> = {}) => ({
            name: this.objectName,
            namespace: args.namespace,
            labels,
            ...annotationsOrNone(extra),
        });
        const highlyAvailable = minReplicas(args) >= 2;
        const awaits = awaitAnnotations(args.awaitReadiness);
        const rollout = rolloutTimeouts(args);

        this.serviceAccount = podServiceAccount(name, metadata(), this);

        this.deployment = new k8s.apps.v1.Deployment(
            `${name}-deployment`,
            {
                metadata: metadata({ ...args.annotations, ...awaits }),
                spec: {
                    // With an HPA the Deployment must not set replicas, or every update resets the HPA's choice.
                    ...(args.autoscaling ? {} : { replicas: args.replicas }),
                    revisionHistoryLimit: 5,
                    selector: { matchLabels: selector },
                    strategy:
                        args.strategy === "Recreate" ? { type: "Recreate" } : { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
                    template: {
                        metadata: podMetadata(labels, args.podAnnotations, args.podSettings),
                        spec: podSpec(
                            args,
                            this.serviceAccount.metadata.name,
                            highlyAvailable ? { affinity: antiAffinity(selector), topologySpreadConstraints: zoneSpread(selector) } : {},
                        ),
                    },
                },
            },
            {
                parent: this,
                dependsOn: [...(args.rolloutAfter ?? [])],
                customTimeouts: { create: `${rollout.create}s`, update: `${rollout.update}s` },
            },
        );

        if (args.servicePorts?.length) {
            const type = args.exposure?.type ?? "ClusterIP";
            // Its endpoints are the Deployment's pods, which the Deployment's await saw ready: created after it, it waits
            // for nothing more (but an address, as a LoadBalancer), so what comes after it still comes after ready pods.
            const svcAwait = serviceAwait(type, args.awaitReadiness, this.deployment);
            this.service = new k8s.core.v1.Service(
                `${name}-service`,
                {
                    metadata: metadata({ ...(args.exposure ? { [EXPOSURE_ANNOTATION]: args.exposure.configuredBy } : {}), ...svcAwait.annotations }),
                    spec: {
                        type,
                        selector,
                        ports: args.servicePorts.map((portName) => {
                            const port = args.ports[portName];
                            if (port === undefined) throw new pulumi.ResourceError(`service port ${portName} is not a container port`, this);
                            return { name: portName, port, targetPort: portName, protocol: "TCP" };
                        }),
                    },
                },
                { parent: this, dependsOn: svcAwait.dependsOn },
            );
        }

        if (args.autoscaling) {
            const a = args.autoscaling;
            this.autoscaler = new k8s.autoscaling.v2.HorizontalPodAutoscaler(
                `${name}-hpa`,
                {
                    metadata: metadata(),
                    spec: {
                        // By name, not by output: the HPA need not wait for the rollout.
                        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: this.objectName },
                        minReplicas: a.minReplicas,
                        maxReplicas: a.maxReplicas,
                        metrics: [
                            {
                                type: "Resource",
                                resource: { name: "cpu", target: { type: "Utilization", averageUtilization: a.targetCPUUtilizationPercentage } },
                            },
                        ],
                    },
                },
                { parent: this },
            );
        }

        if (highlyAvailable) {
            this.disruptionBudget = new k8s.policy.v1.PodDisruptionBudget(
                `${name}-pdb`,
                {
                    metadata: metadata(),
                    spec: {
                        maxUnavailable: 1,
                        // Pods that never became ready may be evicted: a broken rollout cannot block node drains.
                        unhealthyPodEvictionPolicy: "AlwaysAllow",
                        selector: { matchLabels: selector },
                    },
                },
                { parent: this },
            );
        }

        this.registerOutputs({
            objectName: this.objectName,
            serviceAccount: this.serviceAccount,
            deployment: this.deployment,
            service: this.service,
            autoscaler: this.autoscaler,
            disruptionBudget: this.disruptionBudget,
        });
    }
}

/** Prefer one replica per node. */
function antiAffinity(selector: Record<string, string>) {
    return {
        podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 100, podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: selector } } },
            ],
        },
    };
}

/** Spread replicas over zones where the cluster has them. */
function zoneSpread(selector: Record<string, string>) {
    return [
        {
            maxSkew: 1,
            topologyKey: "topology.kubernetes.io/zone",
            whenUnsatisfiable: "ScheduleAnyway",
            labelSelector: { matchLabels: selector },
        },
    ];
}
