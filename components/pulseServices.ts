/**
 * The seven Pulse services (ingest, ui, route-delivery, evaluator, ops-worker, subscription-worker, provision-api),
 * each a Workload built from its config section, plus the shared ConfigMap of platform endpoints they all load.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PulseConfig, SERVICE_NAMES, ServiceName } from "../config";
import { checksum } from "../lib/checksum";
import { resolveImage } from "../lib/images";
import { componentOf, standardLabels } from "../lib/labels";
import { httpProbe, tcpProbe, Workload } from "./workload";

/** The services that get a Kubernetes Service, as the spec's templates had; the others are workers. */
const WITH_SERVICE: ReadonlySet<ServiceName> = new Set(["ingest", "ui", "provisionApi"]);

/** Component key (objects are `pulse-<component>`) and whether it gets a Service, per Pulse service. */
export const SERVICE_TRAITS = Object.fromEntries(
    SERVICE_NAMES.map((key) => [key, { component: componentOf(key), service: WITH_SERVICE.has(key) }]),
) as Record<ServiceName, { readonly component: string; readonly service: boolean }>;

export const PLATFORM_CONFIGMAP = "pulse-config";

/** Where the platform's dependencies and public entry points are; the ConfigMap's content. Nothing secret here. */
export interface PlatformEndpoints {
    readonly natsUrl: string;
    readonly mqttHost: string;
    readonly mqttPort: number;
    readonly databaseHost: string;
    readonly databasePort: number;
    readonly databaseName: string;
    readonly publicUrl?: string;
    readonly keycloakUrl?: string;
    readonly keycloakInternalUrl: string;
}

export function platformConfigData(e: PlatformEndpoints): Record<string, string> {
    return {
        NATS_URL: e.natsUrl,
        MQTT_HOST: e.mqttHost,
        MQTT_PORT: String(e.mqttPort),
        DATABASE_HOST: e.databaseHost,
        DATABASE_PORT: String(e.databasePort),
        DATABASE_NAME: e.databaseName,
        PUBLIC_URL: e.publicUrl ?? "",
        KEYCLOAK_URL: e.keycloakUrl ?? "",
        KEYCLOAK_INTERNAL_URL: e.keycloakInternalUrl,
    };
}

export interface PulseServicesArgs {
    readonly namespace: pulumi.Input<string>;
    readonly config: PulseConfig;
    readonly endpoints: PlatformEndpoints;
    /** Secret with key `url` (pulse-db-secret). */
    readonly databaseSecretName: pulumi.Input<string>;
    /** Every Deployment waits for these: the migrator and the JetStream init Jobs. */
    readonly rolloutAfter: readonly pulumi.Resource[];
}

export class PulseServices extends pulumi.ComponentResource {
    readonly configMap: k8s.core.v1.ConfigMap;
    readonly workloads: Record<ServiceName, Workload>;

    constructor(name: string, args: PulseServicesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pulse:pulseServices:PulseServices", name, {}, opts);
        const { config } = args;
        const data = platformConfigData(args.endpoints);

        this.configMap = new k8s.core.v1.ConfigMap(
            `${name}-config`,
            {
                metadata: { name: PLATFORM_CONFIGMAP, namespace: args.namespace, labels: standardLabels({ component: "config" }) },
                data,
            },
            { parent: this },
        );

        const workloads: Partial<Record<ServiceName, Workload>> = {};
        for (const key of SERVICE_NAMES) {
            const svc = config[key];
            const traits = SERVICE_TRAITS[key];
            workloads[key] = new Workload(
                `${name}-${traits.component}`,
                {
                    namespace: args.namespace,
                    component: traits.component,
                    image: resolveImage(svc.image, config.global, config.appVersion),
                    imagePullSecrets: config.global.imagePullSecrets,
                    awaitReadiness: config.global.awaitReadiness,
                    replicas: svc.replicaCount,
                    autoscaling: svc.autoscaling.enabled ? svc.autoscaling : undefined,
                    resources: svc.resources,
                    envFrom: [{ configMapRef: { name: this.configMap.metadata.name } }],
                    env: [
                        { name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: args.databaseSecretName, key: "url" } } },
                        ...Object.keys(svc.env)
                            .sort()
                            .map((k) => ({ name: k, value: svc.env[k] })),
                    ],
                    ports: { http: svc.port },
                    servicePorts: traits.service ? ["http"] : undefined,
                    probes: {
                        readiness: httpProbe("http", svc.probes.readinessPath, { initialDelaySeconds: 5, periodSeconds: 10 }),
                        liveness: (() => {
                            const timing = { initialDelaySeconds: 10, periodSeconds: 30, failureThreshold: 3 };
                            const path = svc.probes.livenessPath;
                            return path ? httpProbe("http", path, timing) : tcpProbe("http", timing);
                        })(),
                    },
                    podAnnotations: { "checksum/pulse-config": checksum(data) },
                    runAsUser: svc.runAsUser,
                    rolloutAfter: args.rolloutAfter,
                },
                { parent: this },
            );
        }
        this.workloads = workloads as Record<ServiceName, Workload>;
        this.registerOutputs({ configMap: PLATFORM_CONFIGMAP });
    }
}
