/**
 * The EMQX MQTT broker (chart emqx 5.8.9) as Pulse expects it, or an external broker:
 *   - MQTT_PORT, the internal listener: the Pulse services, authenticated (NetworkPolicies admit only Pulse's pods);
 *   - MQTT_TLS_PORT, the devices' listener, mutual TLS against the device CA, the certificate's CN as the username
 *     (zone `devices`), 10 messages/s per client; on when a server certificate and the device CA are configured;
 *     MQTT_WSS_PORT, MQTT over WebSocket with the same mutual TLS, only with `deviceTls.websocket`;
 *   - the dashboard and REST API on EMQX_API_PORT (ops-worker, with an API key bootstrapped from a Secret).
 * The plain WebSocket listener is off: Pulse's authentication takes a bare `<tenant>/<device>` username wherever
 * there is no client certificate. Devices reach the mutual-TLS ports through Service DEVICE_SERVICE (ours, its type
 * from config, only with device TLS): the chart's Services are cluster-internal. EMQX keeps its default listener
 * ports, which the chart names as container ports (mqttssl, wss); binding another port would leave the chart's named
 * ports pointing at nothing.
 * Authentication: EMQX's built-in database first (the services' user, bootstrapped from a Secret), then HTTP to ui's
 * internal endpoint with the shared secret header; authorization: HTTP to ui's ACL endpoint, deny when nothing
 * matches. Secrets travel only in Secrets: the chart loads one as environment (`envFromSecret`: the dashboard login,
 * EMQX_AUTHENTICATION, EMQX_AUTHORIZATION__SOURCES) and mounts another (the bootstrap users and API key); its ConfigMap
 * holds the rest. The dashboard login never stays at the chart's admin/public.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { deviceTlsEnabled, INTERNAL_API_PATH, PulseConfig } from "../config";
import { serviceAwait, ServiceAwait } from "../lib/awaits";
import { EMQX_API_PORT, EMQX_RELEASE, MQTT_PORT, MQTT_TLS_PORT, MQTT_WSS_PORT, objectName, TYPES } from "../lib/contracts";
import { checkedEmqxConfig, EmqxConfig } from "../lib/emqxConfig";
import { chartRelease } from "../lib/helm";
import { resolveImage } from "../lib/images";
import { EXPOSURE_ANNOTATION, standardLabels } from "../lib/labels";
import { schedulingValues, withScheduling } from "../lib/releaseScheduling";
import { resourceRequirements } from "../lib/resources";
import { CredentialsSecret, credentialsSecret, passwordOr, valuesOf } from "../lib/secrets";
import { SECRETS_ANNOTATION, secretsRevision } from "../lib/checksum";
import { Globals } from "./globals";
import type { EmqxApi } from "./serviceEnv";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../lib/security";

// EMQX_RELEASE: the chart's fullname and client Service are the release name because it contains "emqx".
/** The Service devices connect to. */
const DEVICE_SERVICE = objectName("emqx-devices");
/** The image's user. */
const EMQX_UID = 1000;

export const DASHBOARD_USERNAME_KEY = "EMQX_DASHBOARD__DEFAULT_USERNAME";
export const DASHBOARD_PASSWORD_KEY = "EMQX_DASHBOARD__DEFAULT_PASSWORD";
/** The bootstrap files' keys in their Secret (the services' MQTT user; ops-worker's API key), and where EMQX reads them. */
const BOOTSTRAP_KEY = "users.csv";
const API_KEYS_KEY = "api-keys.txt";
const BOOTSTRAP_DIR = "/opt/emqx/etc/pulse-bootstrap";
const SERVER_CERT_DIR = "/opt/emqx/etc/certs/server";
/** Where EMQX reads the device CA's certificate: only `tls.crt` is mounted, EMQX never gets the key that signs devices. */
const DEVICE_CA_CERT_DIR = "/opt/emqx/etc/certs/device-ca";

export interface EmqxArgs {
    readonly globals: Globals;
    readonly emqx: PulseConfig["emqx"];
    /** `pulse:chartRepositoryPassword`, for a chart from a private repository. */
    readonly chartRepositoryPassword?: pulumi.Output<string>;
    /** Names of the Secrets the chart loads (created here when the program writes the Secrets). */
    readonly secretNames: { readonly env: string; readonly bootstrap: string };
    /**
     * The app Secret's values the broker's Secrets carry (components/credentials.ts ManagedCredentials): the services'
     * MQTT password, the internal auth header's secret and ops-worker's API secret. None: the Secrets are managed
     * outside Pulumi, and only their names are passed to the chart.
     */
    readonly appCredentials?: {
        readonly mqttPassword: pulumi.Output<string>;
        readonly internalAuthSecret: pulumi.Output<string>;
        readonly apiSecret: pulumi.Output<string>;
    };
    /** `pulse:emqxDashboardPassword`; generated when absent. */
    readonly dashboardPassword?: pulumi.Output<string>;
    /** The key of the broker's secrets revision (lib/checksum secretsRevision); given with appCredentials. */
    readonly revisionKey?: pulumi.Output<string>;
    /** ui's in-cluster base URL (http://pulse-ui:8080): EMQX's HTTP authentication and authorization. */
    readonly uiUrl: string;
}

/** The MQTT endpoint of Pulse's workloads: the release's internal listener, or the external broker. */
export function mqttEndpoint(emqx: PulseConfig["emqx"]): { readonly host: string; readonly port: number } {
    return emqx.enabled ? { host: EMQX_RELEASE, port: MQTT_PORT } : { host: emqx.externalHost, port: emqx.externalPort };
}

/** EMQX's REST API and ops-worker's key, when the broker is ours: the base URL (ops-worker appends /api/v5 itself). */
export function emqxApi(emqx: PulseConfig["emqx"]): EmqxApi | undefined {
    return emqx.enabled ? { url: `http://${EMQX_RELEASE}:${EMQX_API_PORT}`, key: emqx.apiKey } : undefined;
}

/** The Secret holding the broker's server certificate for the TLS listener (cert-manager's, when it issues it). */
export function serverCertSecretOf(emqx: PulseConfig["emqx"]): string {
    return emqx.deviceTls.serverCertSecret || `${EMQX_RELEASE}-tls`;
}

/**
 * A devices' listener (`ssl`, or `wss` for MQTT over WebSocket): mutual TLS against the device CA, in zone `devices`
 * (the certificate's CN is the MQTT username), 10 messages/s per client, revocation checked only when configured.
 */
function deviceListener(listener: "SSL" | "WSS", emqx: PulseConfig["emqx"]): EmqxConfig {
    const at = `EMQX_LISTENERS__${listener}__DEFAULT__`;
    return {
        [`${at}ZONE`]: "devices",
        [`${at}MESSAGES_RATE`]: "10/s",
        [`${at}SSL_OPTIONS__CERTFILE`]: `${SERVER_CERT_DIR}/tls.crt`,
        [`${at}SSL_OPTIONS__KEYFILE`]: `${SERVER_CERT_DIR}/tls.key`,
        [`${at}SSL_OPTIONS__CACERTFILE`]: `${DEVICE_CA_CERT_DIR}/tls.crt`,
        [`${at}SSL_OPTIONS__VERIFY`]: "verify_peer",
        [`${at}SSL_OPTIONS__FAIL_IF_NO_PEER_CERT`]: "true",
        [`${at}SSL_OPTIONS__VERSIONS`]: ["tlsv1.3", "tlsv1.2"],
        // EMQX fetches a CRL only from the distribution point a certificate names (validation requires them when on).
        [`${at}SSL_OPTIONS__ENABLE_CRL_CHECK`]: String(emqx.deviceTls.crlCheck),
        ...(listener === "WSS" ? { [`${at}WEBSOCKET__MQTT_PATH`]: "/mqtt" } : {}),
    };
}

/**
 * Non-secret configuration, as EMQX environment variables in the chart's ConfigMap: HOCON scalars as strings, lists and
 * maps as structures (the chart writes them as JSON; a scalar goes unescaped into double quotes: lib/emqxConfig.ts).
 * Devices reach only the mutual-TLS listeners: Pulse's authentication accepts a bare `<tenant>/<device>` username
 * wherever there is no client certificate, so the plain WebSocket listener is off and the secure one on only with
 * client certificates.
 */
function emqxConfig(emqx: PulseConfig["emqx"]): EmqxConfig {
    const tls = deviceTlsEnabled(emqx);
    const websocket = tls && emqx.deviceTls.websocket;
    return {
        // Empty values drop the chart's admin/public from its ConfigMap; the env Secret supplies the login.
        [DASHBOARD_USERNAME_KEY]: "",
        [DASHBOARD_PASSWORD_KEY]: "",
        EMQX_AUTHORIZATION__NO_MATCH: "deny",
        EMQX_AUTHORIZATION__CACHE__ENABLE: "true",
        // ops-worker's API key (and its secret) from the bootstrap Secret; EMQX (re)loads it at every start.
        EMQX_API_KEY__BOOTSTRAP_FILE: `${BOOTSTRAP_DIR}/${API_KEYS_KEY}`,
        EMQX_LISTENERS__WS__DEFAULT__ENABLE: "false",
        EMQX_LISTENERS__SSL__DEFAULT__ENABLE: String(tls),
        EMQX_LISTENERS__WSS__DEFAULT__ENABLE: String(websocket),
        ...(tls ? { ...deviceListener("SSL", emqx), EMQX_ZONES__DEVICES__MQTT__PEER_CERT_AS_USERNAME: "cn" } : {}),
        ...(websocket ? deviceListener("WSS", emqx) : {}),
    };
}

/** HOCON of EMQX's authenticators and authorization sources; the header secret is quoted (HOCON strings are JSON's). */
function emqxAuthConfig(uiUrl: string, internalAuthSecret: string): { authentication: string; authorization: string } {
    const q = JSON.stringify;
    const headers = `headers {"content-type" = "application/json", "X-Internal-Auth" = ${q(internalAuthSecret)}}`;
    return {
        authentication: [
            "[",
            `  {mechanism = password_based, backend = built_in_database, user_id_type = username, bootstrap_type = plain, bootstrap_file = ${q(`${BOOTSTRAP_DIR}/${BOOTSTRAP_KEY}`)}},`,
            `  {mechanism = password_based, backend = http, method = post, url = ${q(`${uiUrl}${INTERNAL_API_PATH}/mqtt-auth`)}, ${headers},`,
            `   body {username = "\${username}", password = "\${password}", clientid = "\${clientid}"}}`,
            "]",
        ].join("\n"),
        authorization: [
            "[",
            `  {type = http, enable = true, method = post, url = ${q(`${uiUrl}${INTERNAL_API_PATH}/mqtt-acl`)}, ${headers},`,
            `   body {username = "\${username}", clientid = "\${clientid}", topic = "\${topic}", action = "\${action}"}}`,
            "]",
        ].join("\n"),
    };
}

/** The bootstrap file: the services' user, a superuser of the broker (its topics are not the devices'). */
function bootstrapUsers(serviceUser: string, password: string): string {
    return `user_id,password,is_superuser\n${serviceUser},${password},true\n`;
}

/** EMQX's API key bootstrap file: `key:secret` per line (the administrator role, EMQX's default for a line without one). */
function bootstrapApiKeys(key: string, secret: string): string {
    return `${key}:${secret}\n`;
}

/** The devices' ports on EMQX's pods: the mutual-TLS listeners that are on (none without device TLS). */
export function deviceListenerPorts(emqx: PulseConfig["emqx"]): number[] {
    if (!deviceTlsEnabled(emqx)) return [];
    return [MQTT_TLS_PORT, ...(emqx.deviceTls.websocket ? [MQTT_WSS_PORT] : [])];
}

/** Values for emqx 5.8.9: the chart's settings, then the section's scheduling keys (lib/releaseScheduling.ts). */
export function emqxValues(emqx: PulseConfig["emqx"], global: PulseConfig["global"], secretNames: EmqxArgs["secretNames"]): Record<string, unknown> {
    return withScheduling(emqxChartValues(emqx, global, secretNames), schedulingValues("emqx", emqx));
}

/** The chart's settings. `podSecurityContext` / `containerSecurityContext` are passed through verbatim (minus `enabled`). */
function emqxChartValues(emqx: PulseConfig["emqx"], global: PulseConfig["global"], secretNames: EmqxArgs["secretNames"]): Record<string, unknown> {
    const image = resolveImage(emqx.image, global, emqx.image.tag ?? "");
    const repository = image.registry ? `${image.registry}/${image.repository}` : image.repository;
    const tls = deviceTlsEnabled(emqx);
    const mounts: { name: string; secret: string; path: string; items?: string[] }[] = [
        { name: "pulse-bootstrap", secret: secretNames.bootstrap, path: BOOTSTRAP_DIR, items: [BOOTSTRAP_KEY, API_KEYS_KEY] },
        ...(tls
            ? [
                  { name: "server-cert", secret: serverCertSecretOf(emqx), path: SERVER_CERT_DIR, items: ["tls.crt", "tls.key"] },
                  // Only the CA's certificate: EMQX never gets the key that signs devices.
                  { name: "device-ca", secret: emqx.deviceTls.deviceCaSecret, path: DEVICE_CA_CERT_DIR, items: ["tls.crt"] },
              ]
            : []),
    ];
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
        emqxConfig: checkedEmqxConfig(emqxConfig(emqx)),
        envFromSecret: secretNames.env,
        extraVolumes: mounts.map((m) => ({
            name: m.name,
            secret: { secretName: m.secret, ...(m.items ? { items: m.items.map((key) => ({ key, path: key })) } : {}) },
        })),
        extraVolumeMounts: mounts.map((m) => ({ name: m.name, mountPath: m.path, readOnly: true })),
        podSecurityContext: { enabled: true, ...restrictedPodSecurityContext(EMQX_UID), fsGroupChangePolicy: "OnRootMismatch" },
        containerSecurityContext: { enabled: true, ...restrictedContainerSecurityContext({ uid: EMQX_UID }) },
        pdb: { enabled: emqx.replicaCount > 1, maxUnavailable: 1 },
    };
}

/** Labels and annotations of the devices' Service: an exposed type carries the config key that asked for it. */
function deviceServiceMetadata(emqx: PulseConfig["emqx"], awaits: ServiceAwait["annotations"]) {
    const exposed = emqx.deviceService.type !== "ClusterIP";
    const annotations = {
        ...emqx.deviceService.annotations,
        // Documented waivers: the linters see the render, where the chart's pods are not objects.
        "ignore-check.kube-linter.io/dangling-service": "selects the EMQX release's pods, which the offline render does not expand into objects",
        "kube-score/ignore": "service-targets-pod",
        ...(exposed ? { [EXPOSURE_ANNOTATION]: "pulse:emqx.deviceService.type" } : {}),
        ...awaits,
    };
    return { labels: standardLabels({ component: "emqx" }), annotations };
}

/** The devices' ports on EMQX's pods (the chart's named container ports): the mutual-TLS listeners. */
function deviceServiceSpec(emqx: PulseConfig["emqx"]): k8s.types.input.core.v1.ServiceSpec {
    const { type, loadBalancerSourceRanges } = emqx.deviceService;
    return {
        type,
        selector: { "app.kubernetes.io/name": "emqx", "app.kubernetes.io/instance": EMQX_RELEASE },
        ports: [
            { name: "mqtts", port: MQTT_TLS_PORT, targetPort: "mqttssl", protocol: "TCP" },
            ...(emqx.deviceTls.websocket ? [{ name: "wss", port: MQTT_WSS_PORT, targetPort: "wss", protocol: "TCP" }] : []),
        ],
        // Outside the cluster: the devices' own addresses reach the pods, so the NetworkPolicy's ranges apply to them.
        ...(type !== "ClusterIP" ? { externalTrafficPolicy: "Local" } : {}),
        ...(type === "LoadBalancer" && loadBalancerSourceRanges.length > 0 ? { loadBalancerSourceRanges } : {}),
    };
}

export class Emqx extends pulumi.ComponentResource {
    /** MQTT endpoint for Pulse's workloads. */
    readonly mqttHost: string;
    readonly mqttPort: number;
    /** EMQX's REST API and ops-worker's key, when the broker is ours. */
    readonly api?: EmqxApi;
    /** The Secret the chart loads as environment (the dashboard login, authentication, authorization). */
    readonly envSecret?: CredentialsSecret;
    readonly bootstrapSecret?: CredentialsSecret;
    readonly certificate?: k8s.apiextensions.CustomResource;
    readonly release?: k8s.helm.v3.Release;
    /** Where devices connect, with device TLS: MQTT_TLS_PORT, and MQTT_WSS_PORT with `deviceTls.websocket`. */
    readonly deviceService?: k8s.core.v1.Service;

    constructor(name: string, args: EmqxArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPES.emqx, name, {}, opts);
        const { emqx } = args;
        const mqtt = mqttEndpoint(emqx);
        this.mqttHost = mqtt.host;
        this.mqttPort = mqtt.port;
        this.api = emqxApi(emqx);

        if (emqx.enabled) {
            const dependsOn: pulumi.Resource[] = [];
            const app = args.appCredentials;
            if (app) {
                const auth = app.internalAuthSecret.apply((secret) => emqxAuthConfig(args.uiUrl, secret));
                this.envSecret = credentialsSecret(
                    `${name}-dashboard`,
                    {
                        objectName: args.secretNames.env,
                        namespace: args.globals.namespace,
                        component: "emqx",
                        stringData: {
                            [DASHBOARD_USERNAME_KEY]: emqx.dashboard.username,
                            [DASHBOARD_PASSWORD_KEY]: passwordOr(args.dashboardPassword, `${name}-dashboard-password`, { parent: this }),
                            EMQX_AUTHENTICATION: auth.authentication,
                            EMQX_AUTHORIZATION__SOURCES: auth.authorization,
                        },
                    },
                    { parent: this },
                );
                this.bootstrapSecret = credentialsSecret(
                    `${name}-bootstrap`,
                    {
                        objectName: args.secretNames.bootstrap,
                        namespace: args.globals.namespace,
                        component: "emqx",
                        stringData: {
                            [BOOTSTRAP_KEY]: app.mqttPassword.apply((p) => bootstrapUsers(emqx.serviceUser, p)),
                            [API_KEYS_KEY]: app.apiSecret.apply((s) => bootstrapApiKeys(emqx.apiKey, s)),
                        },
                    },
                    { parent: this },
                );
                dependsOn.push(this.envSecret, this.bootstrapSecret);
            }
            const certManager = emqx.deviceTls.certManager;
            if (deviceTlsEnabled(emqx) && certManager.issuer !== "") {
                this.certificate = new k8s.apiextensions.CustomResource(
                    `${name}-certificate`,
                    {
                        apiVersion: "cert-manager.io/v1",
                        kind: "Certificate",
                        metadata: { name: `${EMQX_RELEASE}-tls`, namespace: args.globals.namespace, labels: standardLabels({ component: "emqx" }) },
                        spec: {
                            secretName: serverCertSecretOf(emqx),
                            dnsNames: [
                                ...certManager.dnsNames,
                                ...[EMQX_RELEASE, DEVICE_SERVICE].flatMap((svc) => [svc, pulumi.interpolate`${svc}.${args.globals.namespace}.svc`]),
                            ],
                            issuerRef: { name: certManager.issuer, kind: certManager.issuerKind, group: "cert-manager.io" },
                        },
                    },
                    { parent: this },
                );
                dependsOn.push(this.certificate);
            }
            this.release = chartRelease(
                "emqx",
                `${name}-release`,
                {
                    source: emqx.chart,
                    // A changed credential (the auth header ui checks, above all) restarts the broker, like the services reading it;
                    // the bootstrap files (the services' user, the API key) are read at start too.
                    values: withScheduling(
                        emqxValues(emqx, args.globals, args.secretNames),
                        this.envSecret && this.bootstrapSecret && args.revisionKey
                            ? {
                                  podAnnotations: {
                                      [SECRETS_ANNOTATION]: secretsRevision(args.revisionKey, [...valuesOf(this.envSecret), ...valuesOf(this.bootstrapSecret)]),
                                  },
                              }
                            : {},
                    ),
                    globals: args.globals,
                    repositoryPassword: args.chartRepositoryPassword,
                },
                { parent: this, dependsOn },
            );
            if (deviceTlsEnabled(emqx)) {
                // Its endpoints are the release's pods, which Helm's wait saw ready: created after the release, it waits
                // for nothing more (but an address, as a LoadBalancer). The Pulse workloads wait for the release, not for it.
                const devicesAwait = serviceAwait(emqx.deviceService.type, args.globals.awaitReadiness, this.release);
                this.deviceService = new k8s.core.v1.Service(
                    `${name}-devices`,
                    {
                        metadata: { name: DEVICE_SERVICE, namespace: args.globals.namespace, ...deviceServiceMetadata(emqx, devicesAwait.annotations) },
                        spec: deviceServiceSpec(emqx),
                    },
                    { parent: this, dependsOn: devicesAwait.dependsOn },
                );
            }
        }
        this.registerOutputs({
            mqttHost: this.mqttHost,
            mqttPort: this.mqttPort,
            api: this.api,
            envSecret: this.envSecret,
            bootstrapSecret: this.bootstrapSecret,
            certificate: this.certificate,
            release: this.release,
            deviceService: this.deviceService,
        });
    }
}
