/**
 * The Pulse services (config/services.ts: ingest, ui, evaluator, ops-worker, route-delivery, subscription-worker,
 * provision-api, mqtt-nats-bridge), each a Workload built from its registry entry and its config section; their
 * credentials come from the platform's credentials stage (components/credentials.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { componentOf, connectsToDatabase, contractOf, SECRET_ENV, SecretEnvSource, SERVICE_NAMES, ServiceContract, ServiceName } from "../config";
import { objectName, TYPES } from "../lib/contracts";
import { resolveImage } from "../lib/images";
import { NO_PROBES_WAIVER } from "../lib/labels";
import { Globals } from "./globals";
import { DEVICE_CA_SECRET_DIR, ServiceEnvContext, serviceEnv, ServiceSections } from "./serviceEnv";
import { httpProbe, tcpProbe, Workload } from "./workload";
import { databaseCaMounts, databaseTlsEnv } from "./database";
import { checksum, SECRETS_ANNOTATION, secretsRevision } from "../lib/checksum";
import { AwaitedJob } from "./awaitedJob";

const NO_PROBES = "no HTTP server in the image: a crash restarts the container, nothing else can be probed";
const RUNS_ONCE = "runs once at most (config/services.ts): a rolling update would run two at once";

/**
 * The linters' documented waivers of a service: without an HTTP server, its probes; when it runs once at most, its
 * replica count and (when recreated) its update strategy. kube-score's per-object waiver is one list of test ids.
 */
function serviceWaivers(contract: ServiceContract): Record<string, string> {
    const kubeScore: string[] = [];
    const waivers: Record<string, string> = {};
    if (!contract.http) {
        Object.assign(waivers, { [NO_PROBES_WAIVER]: NO_PROBES, "ignore-check.kube-linter.io/no-liveness-probe": NO_PROBES });
        kubeScore.push("pod-probes");
    }
    if (contract.singleton) {
        kubeScore.push("deployment-replicas");
        if (contract.singleton.strategy === "Recreate") {
            waivers["ignore-check.kube-linter.io/no-rolling-update-strategy"] = RUNS_ONCE;
            kubeScore.push("deployment-strategy");
        }
    }
    return { ...waivers, ...(kubeScore.length > 0 ? { "kube-score/ignore": kubeScore.sort().join(",") } : {}) };
}

/** The annotation of a service's pods: the revision of every secret value it reads that the program manages. */
function secretsAnnotation(service: ServiceName, secrets: PulseServicesArgs["secretValues"]): Record<string, pulumi.Output<string>> | undefined {
    const sources = [
        ...new Set(
            contractOf(service)
                .reads.filter((v) => SECRET_ENV[v])
                .map((v) => SECRET_ENV[v]),
        ),
    ];
    const values = sources.flatMap((s) => {
        const value = secrets?.sources[s.secret]?.[s.key];
        return value !== undefined ? [value] : [];
    });
    return secrets && values.length > 0 ? { [SECRETS_ANNOTATION]: secretsRevision(secrets.key, values) } : undefined;
}

/** The object (and Service) name of a Pulse service: objectName of its component (pulse-provision-api for provisionApi). */
export const serviceObjectName = (service: ServiceName) => objectName(componentOf(service));

/** http://pulse-<component>:<port>, the base URL of a service with a Service and a health endpoint (callers append /health). */
function healthUrl(service: ServiceName): string {
    const http = contractOf(service).http;
    if (!http || http.liveness !== "/health" || !contractOf(service).service) throw new Error(`${service} has no Service with a /health endpoint`);
    return `http://${serviceObjectName(service)}:${http.port}`;
}

export interface PulseServicesArgs extends ServiceSections {
    readonly globals: Globals;
    /** What the services' environment needs besides their config sections: the endpoints and the Secrets' names. */
    readonly env: Omit<ServiceEnvContext, "sections" | "healthUrl">;
    /**
     * The values of the Secrets the program manages, by SECRET_ENV's source, and the key of their revision: each service's
     * pods carry the revision of what they read (SECRETS_ANNOTATION), so a changed secret rolls exactly them. None when the
     * Secrets are managed outside Pulumi (restart the pods after changing them there).
     */
    readonly secretValues?: {
        readonly key: pulumi.Output<string>;
        readonly sources: Partial<Record<SecretEnvSource["secret"], Readonly<Record<string, pulumi.Input<string>>>>>;
    };
    /** Every Deployment waits for these: the migrator and the JetStream init Jobs. */
    readonly rolloutAfter: readonly pulumi.Resource[];
}

export class PulseServices extends pulumi.ComponentResource {
    readonly workloads: Record<ServiceName, Workload>;
    /** The one-shot startup Jobs of the services whose contract has an `init` (provision-api), by service. */
    readonly initJobs: Partial<Record<ServiceName, AwaitedJob>>;

    constructor(name: string, args: PulseServicesArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPES.pulseServices, name, {}, opts);
        const { globals } = args;
        const ctx: ServiceEnvContext = {
            ...args.env,
            sections: args,
            healthUrl,
        };

        const workloads: Partial<Record<ServiceName, Workload>> = {};
        const initJobs: Partial<Record<ServiceName, AwaitedJob>> = {};
        for (const key of SERVICE_NAMES) {
            const svc = args[key];
            const contract = contractOf(key);
            const http = contract.http;
            const connects = connectsToDatabase(key);
            const timing = {
                liveness: { initialDelaySeconds: 10, periodSeconds: 30, failureThreshold: 3 },
                readiness: { initialDelaySeconds: 5, periodSeconds: 10 },
            };
            const image = resolveImage(svc.image, globals, globals.appVersion);
            // What the service's pod and its init Job share: the image, its environment and its mounts.
            const pod = {
                namespace: globals.namespace,
                image,
                imagePullSecrets: globals.imagePullSecrets,
                resources: svc.resources,
                podSettings: svc,
                env: [...serviceEnv(key, ctx), ...(connects ? databaseTlsEnv(args.env.database) : [])],
                // The device CA, for the services that read it (DEVICE_CA_*).
                readOnlyMounts: {
                    ...(args.emqx.deviceTls.deviceCaSecret && contract.reads.includes("DEVICE_CA_CERT_PATH")
                        ? { "device-ca": { secretName: args.emqx.deviceTls.deviceCaSecret, mountPath: DEVICE_CA_SECRET_DIR } }
                        : {}),
                    // The external database's CA, for the services that connect to it.
                    ...(connects ? databaseCaMounts(args.env.database) : {}),
                },
                runAsUser: svc.runAsUser,
            };
            // Startup work its replicas would race on, done once before they start (again with each new image).
            if (contract.init) {
                initJobs[key] = new AwaitedJob(
                    `${name}-${componentOf(key)}-init`,
                    {
                        ...pod,
                        component: `${componentOf(key)}-init`,
                        command: contract.init.command,
                        backoffLimit: 2,
                        activeDeadlineSeconds: 300,
                        timeoutSeconds: 600,
                        trigger: `${image.ref} ${checksum(contract.init.command)}`,
                        after: args.rolloutAfter,
                    },
                    { parent: this },
                );
            }
            const initJob = initJobs[key];
            workloads[key] = new Workload(
                `${name}-${componentOf(key)}`,
                {
                    ...pod,
                    component: componentOf(key),
                    awaitReadiness: globals.awaitReadiness,
                    replicas: svc.replicaCount,
                    autoscaling: svc.autoscaling.enabled ? svc.autoscaling : undefined,
                    strategy: contract.singleton?.strategy,
                    ports: http ? { http: http.port } : {},
                    servicePorts: contract.service ? ["http"] : undefined,
                    probes: http
                        ? {
                              readiness: httpProbe("http", http.readiness, timing.readiness),
                              // "tcp": liveness must not follow the dependencies the service's only health endpoint checks.
                              liveness: http.liveness === "tcp" ? tcpProbe("http", timing.liveness) : httpProbe("http", http.liveness, timing.liveness),
                          }
                        : {},
                    annotations: serviceWaivers(contract),
                    // A changed secret rolls the pods that read it (a database password: after the setup Job set it).
                    podAnnotations: secretsAnnotation(key, args.secretValues),
                    rolloutAfter: [...args.rolloutAfter, ...(initJob ? [initJob.ready] : [])],
                },
                { parent: this },
            );
        }
        this.workloads = workloads as Record<ServiceName, Workload>;
        this.initJobs = initJobs;
        this.registerOutputs({ workloads: this.workloads, initJobs: this.initJobs });
    }
}
