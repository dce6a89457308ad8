/**
 * The EMQX MQTT broker (chart emqx 5.8.9) or an external broker. The dashboard login never stays at the chart's
 * admin/public: the credentials live in a Secret the chart loads with `envFromSecret`.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PulseConfig } from "../config";
import { chartRelease } from "../lib/helm";
import { resolveImage } from "../lib/images";
import { resourceRequirements } from "../lib/resources";
import { credentialsSecret, passwordOr } from "../lib/secrets";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../lib/security";

/** Release name; the chart's fullname and client Service are the release name because it contains "emqx". */
export const EMQX_RELEASE = "pulse-emqx";
export const MQTT_PORT = 1883;
/** EMQX's dashboard and REST API (`/api/v5`). */
export const EMQX_API_PORT = 18083;
/** The image's user. */
const EMQX_UID = 1000;

export const DASHBOARD_USERNAME_KEY = "EMQX_DASHBOARD__DEFAULT_USERNAME";
export const DASHBOARD_PASSWORD_KEY = "EMQX_DASHBOARD__DEFAULT_PASSWORD";

export interface EmqxArgs {
    readonly namespace: pulumi.Input<string>;
    readonly emqx: PulseConfig["emqx"];
    readonly global: PulseConfig["global"];
    /** `pulse:chartRepositoryPassword`, for a chart from a private repository. */
    readonly chartRepositoryPassword?: pulumi.Output<string>;
    /** Name of the dashboard Secret (created here unless secrets are external). */
    readonly dashboardSecretName: string;
    readonly secretsExternal: boolean;
    /** `pulse:emqxDashboardPassword`; generated when absent. */
    readonly dashboardPassword?: pulumi.Output<string>;
}

/** Values for emqx 5.8.9. `podSecurityContext` / `containerSecurityContext` are passed through verbatim (minus `enabled`). */
export function emqxValues(emqx: PulseConfig["emqx"], global: PulseConfig["global"], dashboardSecretName: string): Record<string, unknown> {
    const image = resolveImage(emqx.image, global, emqx.image.tag ?? "");
    const repository = image.registry ? `${image.registry}/${image.repository}` : image.repository;
    return {
        replicaCount: emqx.replicaCount,
        image: {
            repository,
            tag: image.digest ? `${image.tag}@${image.digest}` : image.tag,
            pullPolicy: image.pullPolicy,
            ...(global.imagePullSecrets.length > 0 ? { pullSecrets: global.imagePullSecrets } : {}),
        },
        persistence: {
            enabled: emqx.persistence.enabled,
            size: emqx.persistence.size,
            ...(emqx.persistence.storageClassName ? { storageClassName: emqx.persistence.storageClassName } : {}),
        },
        resources: resourceRequirements(emqx.resources),
        // Empty values drop the chart's admin/public from its env ConfigMap; the Secret below supplies the login
        // (and, loaded after the ConfigMap, wins either way).
        emqxConfig: { [DASHBOARD_USERNAME_KEY]: "", [DASHBOARD_PASSWORD_KEY]: "" },
        envFromSecret: dashboardSecretName,
        podSecurityContext: { enabled: true, ...restrictedPodSecurityContext(EMQX_UID), fsGroupChangePolicy: "OnRootMismatch" },
        containerSecurityContext: { enabled: true, ...restrictedContainerSecurityContext({ uid: EMQX_UID }) },
        pdb: { enabled: emqx.replicaCount > 1, maxUnavailable: 1 },
    };
}

export class Emqx extends pulumi.ComponentResource {
    /** MQTT endpoint for Pulse's workloads. */
    readonly mqttHost: string;
    readonly mqttPort: number;
    /** EMQX's REST API, when the broker is ours. */
    readonly apiUrl?: string;
    readonly dashboardSecret?: k8s.core.v1.Secret;
    readonly release?: k8s.helm.v3.Release;

    constructor(name: string, args: EmqxArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pulse:emqx:Emqx", name, {}, opts);
        const { emqx } = args;
        this.mqttHost = emqx.enabled ? EMQX_RELEASE : emqx.externalHost;
        this.mqttPort = emqx.enabled ? MQTT_PORT : emqx.externalPort;
        this.apiUrl = emqx.enabled ? `http://${EMQX_RELEASE}:${EMQX_API_PORT}/api/v5` : undefined;

        if (emqx.enabled) {
            if (!args.secretsExternal) {
                this.dashboardSecret = credentialsSecret(
                    `${name}-dashboard`,
                    {
                        objectName: args.dashboardSecretName,
                        namespace: args.namespace,
                        component: "emqx",
                        stringData: {
                            [DASHBOARD_USERNAME_KEY]: emqx.dashboard.username,
                            [DASHBOARD_PASSWORD_KEY]: passwordOr(args.dashboardPassword, `${name}-dashboard-password`, { parent: this }),
                        },
                    },
                    { parent: this },
                );
            }
            this.release = chartRelease(
                `${name}-release`,
                {
                    releaseName: EMQX_RELEASE,
                    chartName: "emqx",
                    source: emqx.chart,
                    namespace: args.namespace,
                    values: emqxValues(emqx, args.global, args.dashboardSecretName),
                    awaitReadiness: args.global.awaitReadiness,
                    repositoryPassword: args.chartRepositoryPassword,
                },
                { parent: this, dependsOn: this.dashboardSecret ? [this.dashboardSecret] : [] },
            );
        }
        this.registerOutputs({ mqttHost: this.mqttHost, mqttPort: this.mqttPort });
    }
}
