/**
 * NetworkPolicies: deny everything in the namespace, then allow exactly the platform's flows: DNS; the Ingress
 * controller (and Caddy) to the HTTP entry points; Pulse's pods to PostgreSQL, NATS, EMQX and to each other's HTTP
 * port; each Helm release's pods among themselves; MQTT clients to EMQX as configured.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
    componentOf,
    contractOf,
    INGRESS_BACKENDS,
    ingressControllerNamespace,
    PulseConfig,
    s3Endpoint,
    SERVICE_NAMES,
    ServiceName,
    UI_TEST_CHANNELS,
    urlPort,
} from "../config";
import { cidrOf, strictlyInside } from "../lib/cidr";
import {
    CADDY_PORT,
    EMQX_API_PORT,
    EMQX_RELEASE,
    KEYCLOAK_HTTP_PORT,
    KEYCLOAK_JGROUPS_PORT,
    MQTT_PORT,
    NATS_PORT,
    NATS_RELEASE,
    objectName,
    PART_OF,
    POSTGRESQL_BACKUP,
    POSTGRESQL_PORT,
    POSTGRESQL_RELEASE,
    TYPES,
} from "../lib/contracts";
import { backendTarget } from "../lib/routes";
import { selectorLabels, standardLabels } from "../lib/labels";
import { Globals } from "./globals";
import { CADDY_COMPONENT } from "./caddy";
import { KEYCLOAK_COMPONENT } from "./keycloak";
import { deviceListenerPorts } from "./emqx";
import { metricsTargets } from "../lib/metrics";

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;
type Peer = k8s.types.input.networking.v1.NetworkPolicyPeer;
type Port = k8s.types.input.networking.v1.NetworkPolicyPort;

/** Every Pulse workload and Job (not the charts' pods). */
const PULSE_PODS = { matchLabels: { "app.kubernetes.io/instance": PART_OF } };
const releasePods = (release: string) => ({ matchLabels: { "app.kubernetes.io/instance": release } });
const tcp = (...ports: number[]): Port[] => ports.map((port) => ({ protocol: "TCP", port }));
const unique = (ports: number[]) => [...new Set(ports)].sort((a, b) => a - b);
const httpPortOf = (s: ServiceName) => contractOf(s).http?.port ?? [];

const DANGLING_WAIVER = {
    "ignore-check.kube-linter.io/dangling-networkpolicy": "selects the pods of a Helm release, which the offline render does not expand into objects",
    "kube-score/ignore": "networkpolicy-targets-pod",
};

export interface NetworkPolicyRule {
    readonly name: string;
    readonly spec: NetworkPolicySpec;
    readonly annotations?: Record<string, string>;
    /** The rule's earlier name: its Pulumi resource keeps its identity (an alias) while the object is renamed. */
    readonly formerName?: string;
}

/**
 * The config sections the rules read: the policy's own, and where each flow goes (the in-cluster dependencies or their
 * external endpoints, the entry points, Keycloak's cluster, the internet destinations).
 */
export type NetworkPolicySections = Pick<
    PulseConfig,
    "networkPolicy" | "ingress" | "postgresql" | "externalDatabase" | "nats" | "emqx" | "caddy" | "keycloak" | "s3" | "smtp" | "global" | ServiceName
>;

/** Pods that talk among themselves on one port (a cluster's members): in from and out to each other, nothing else. */
function peersRule(name: string, pods: k8s.types.input.meta.v1.LabelSelector, port: number): NetworkPolicyRule {
    const peers = [{ podSelector: pods }];
    return {
        name,
        spec: {
            podSelector: pods,
            policyTypes: ["Ingress", "Egress"],
            ingress: [{ from: peers, ports: tcp(port) }],
            egress: [{ to: peers, ports: tcp(port) }],
        },
    };
}

/** The rules for a config; pure, so tests read them without the mocks. */
export function networkPolicyRules(config: NetworkPolicySections): NetworkPolicyRule[] {
    const np = config.networkPolicy;
    const controller: Peer = {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ingressControllerNamespace(config) } },
        ...(Object.keys(np.ingressController.podLabels).length > 0 ? { podSelector: { matchLabels: np.ingressController.podLabels } } : {}),
    };
    const everywhere = (cidrs: readonly string[]): Peer[] => cidrs.map((cidr) => ({ ipBlock: { cidr } }));
    const externalPort = (inCluster: boolean, release: string, port: number): k8s.types.input.networking.v1.NetworkPolicyEgressRule =>
        inCluster ? { to: [{ podSelector: releasePods(release) }], ports: tcp(port) } : { to: everywhere(["0.0.0.0/0"]), ports: tcp(port) };

    const db = config.postgresql.enabled ? POSTGRESQL_PORT : config.externalDatabase.port;
    const mqttPort = config.emqx.enabled ? MQTT_PORT : config.emqx.externalPort;
    const natsPort = config.nats.enabled ? NATS_PORT : Number(/:(\d+)$/.exec(config.nats.externalUrl)?.[1] ?? NATS_PORT);
    const exposedCaddy = config.caddy.enabled && config.caddy.serviceType !== "ClusterIP";
    const uiPort = contractOf("ui").http!.port;
    // The HTTP entry points, and every HTTP port Pulse's pods serve on, as configured.
    const entryPoints = INGRESS_BACKENDS.filter((b) => b !== "keycloak" || config.keycloak.enabled).map((b) => backendTarget(b));
    const entryPorts = unique(entryPoints.map((t) => t.port));
    const podPorts = unique([...SERVICE_NAMES.flatMap((s) => httpPortOf(s)), KEYCLOAK_HTTP_PORT, CADDY_PORT]);

    const rules: NetworkPolicyRule[] = [
        { name: objectName("default-deny"), spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
        {
            name: objectName("allow-dns"),
            spec: {
                podSelector: {},
                policyTypes: ["Egress"],
                egress: [
                    {
                        to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } } }],
                        ports: [
                            { protocol: "UDP", port: 53 },
                            { protocol: "TCP", port: 53 },
                        ],
                    },
                ],
            },
        },
        {
            name: objectName("allow-http-entry"),
            spec: {
                podSelector: { matchExpressions: [{ key: "app.kubernetes.io/name", operator: "In", values: entryPoints.map((t) => t.service) }] },
                policyTypes: ["Ingress"],
                ingress: [{ from: [controller], ports: tcp(...entryPorts) }],
            },
        },
        {
            name: objectName("apps"),
            spec: {
                podSelector: PULSE_PODS,
                policyTypes: ["Ingress", "Egress"],
                // Pulse's pods call each other over HTTP (ui -> provision-api, apps -> Keycloak, Caddy -> backends).
                ingress: [{ from: [{ podSelector: PULSE_PODS }], ports: tcp(...podPorts) }],
                egress: [
                    { to: [{ podSelector: PULSE_PODS }], ports: tcp(...podPorts) },
                    externalPort(config.postgresql.enabled, POSTGRESQL_RELEASE, db),
                    externalPort(config.nats.enabled, NATS_RELEASE, natsPort),
                    externalPort(config.emqx.enabled, EMQX_RELEASE, mqttPort),
                    // ops-worker calls EMQX's REST API (CRL, clients).
                    ...(config.emqx.enabled ? [{ to: [{ podSelector: releasePods(EMQX_RELEASE) }], ports: tcp(EMQX_API_PORT) }] : []),
                ],
            },
        },
    ];
    if (config.keycloak.enabled && config.keycloak.replicaCount > 1) {
        const keycloak = { matchLabels: { "app.kubernetes.io/name": objectName(KEYCLOAK_COMPONENT) } };
        rules.push(peersRule(objectName("keycloak-cluster"), keycloak, KEYCLOAK_JGROUPS_PORT));
    }
    if (exposedCaddy) {
        rules.push({
            name: objectName("caddy-public"),
            spec: {
                podSelector: { matchLabels: { "app.kubernetes.io/name": objectName(CADDY_COMPONENT) } },
                policyTypes: ["Ingress"],
                ingress: [{ ports: tcp(CADDY_PORT) }],
            },
        });
    }
    rules.push(...internetRules(config));
    if (config.emqx.enabled) {
        rules.push({
            name: objectName("allow-emqx-to-ui"),
            spec: {
                podSelector: { matchLabels: selectorLabels("ui") },
                policyTypes: ["Ingress"],
                ingress: [{ from: [{ podSelector: releasePods(EMQX_RELEASE) }], ports: tcp(uiPort) }],
            },
        });
    }
    if (config.postgresql.enabled) {
        const backup = config.postgresql.backup.enabled;
        const backupPods = { matchLabels: { ...releasePods(POSTGRESQL_RELEASE).matchLabels, "app.kubernetes.io/component": POSTGRESQL_BACKUP.component } };
        rules.push({
            // Not the release's name: the chart's own NetworkPolicy has that name (test/fixtures/charts/inventory.yaml).
            name: objectName("allow-postgresql"),
            formerName: "pulse-postgresql", // frozen: the name existing stacks hold
            annotations: DANGLING_WAIVER,
            spec: {
                podSelector: releasePods(POSTGRESQL_RELEASE),
                policyTypes: ["Ingress"],
                ingress: [{ from: [{ podSelector: PULSE_PODS }, ...(backup ? [{ podSelector: backupPods }] : [])], ports: tcp(POSTGRESQL_PORT) }],
            },
        });
        // With replication, the read replicas stream from the primary (the chart's components "primary" and "read").
        if (config.postgresql.architecture === "replication") {
            const servers = {
                matchLabels: releasePods(POSTGRESQL_RELEASE).matchLabels,
                matchExpressions: [{ key: "app.kubernetes.io/component", operator: "In", values: ["primary", "read"] }],
            };
            rules.push({ ...peersRule(objectName("allow-postgresql-replication"), servers, POSTGRESQL_PORT), annotations: DANGLING_WAIVER });
        }
        // The chart's backup pods (its own policy is off: it allows egress to port 5432 anywhere).
        if (backup) {
            rules.push({
                name: objectName("allow-postgresql-backup"),
                annotations: DANGLING_WAIVER,
                spec: {
                    podSelector: backupPods,
                    policyTypes: ["Egress"],
                    egress: [{ to: [{ podSelector: releasePods(POSTGRESQL_RELEASE) }], ports: tcp(POSTGRESQL_PORT) }],
                },
            });
        }
    }
    if (config.nats.enabled) {
        const own = { podSelector: releasePods(NATS_RELEASE) };
        rules.push({
            name: objectName("allow-nats"),
            formerName: "pulse-nats", // frozen
            annotations: DANGLING_WAIVER,
            spec: {
                podSelector: releasePods(NATS_RELEASE),
                policyTypes: ["Ingress", "Egress"],
                ingress: [{ from: [{ podSelector: PULSE_PODS }], ports: tcp(NATS_PORT) }, { from: [own] }],
                egress: [{ to: [own] }],
            },
        });
    }
    if (config.emqx.enabled) {
        const own = { podSelector: releasePods(EMQX_RELEASE) };
        rules.push({
            name: objectName("allow-emqx"),
            formerName: "pulse-emqx", // frozen
            annotations: DANGLING_WAIVER,
            spec: {
                podSelector: releasePods(EMQX_RELEASE),
                policyTypes: ["Ingress", "Egress"],
                ingress: [
                    // The internal listener and the REST API: Pulse's pods only.
                    { from: [{ podSelector: PULSE_PODS }], ports: tcp(MQTT_PORT, EMQX_API_PORT) },
                    { from: [own] },
                    // Devices: the mutual-TLS listeners only (behind pulse-emqx-devices), from the configured ranges only.
                    ...(np.mqttClientCidrs.length > 0 ? [{ from: everywhere(np.mqttClientCidrs), ports: tcp(...deviceListenerPorts(config.emqx)) }] : []),
                ],
                // Cluster traffic among the nodes, the Kubernetes API for the chart's k8s discovery, and ui's internal
                // authentication and ACL endpoints.
                egress: [
                    { to: [own] },
                    { to: everywhere(np.apiServerCidrs), ports: tcp(443, 6443) },
                    { to: [{ podSelector: { matchLabels: selectorLabels("ui") } }], ports: tcp(uiPort) },
                ],
            },
        });
    }
    rules.push(...metricsRules(config));
    return rules;
}

/**
 * The configured Prometheus to each scrape target (components/metrics.ts): the target's port on the target's pods,
 * from Prometheus's pods in Prometheus's namespaces only (validation requires both selectors); none with metrics off.
 */
function metricsRules(config: NetworkPolicySections): NetworkPolicyRule[] {
    const { namespaceLabels, podLabels } = config.global.metrics.prometheus;
    const prometheus: Peer = { namespaceSelector: { matchLabels: { ...namespaceLabels } }, podSelector: { matchLabels: { ...podLabels } } };
    return metricsTargets(config).map((t) => ({
        name: objectName(`metrics-${t.component}`),
        ...(t.release ? { annotations: DANGLING_WAIVER } : {}),
        spec: {
            podSelector: { matchLabels: { ...t.pods } },
            policyTypes: ["Ingress"],
            ingress: [{ from: [prometheus], ports: tcp(t.port.number) }],
        },
    }));
}

/** The pods of these workloads (by their `app.kubernetes.io/name`, objectName(component)). */
const workloadPods = (...components: string[]) => ({
    matchExpressions: [{ key: "app.kubernetes.io/name", operator: "In", values: components.map(objectName) }],
});

/** The services that talk to the identity provider (they read KEYCLOAK_*), by component. */
const IDENTITY_CLIENTS = SERVICE_NAMES.filter((s) => contractOf(s).reads.some((v) => v.startsWith("KEYCLOAK_"))).map((s) => componentOf(s));

/** The ports of an external identity provider's URLs (issuer, JWKS, internal URL); none for the in-cluster Keycloak. */
function identityPorts(kc: PulseConfig["keycloak"]): number[] {
    if (kc.enabled) return [];
    return unique([kc.external.issuerUrl, kc.external.jwksUri, kc.external.internalUrl].filter((u) => u !== undefined).map(urlPort));
}

/**
 * Egress to the internet, each to the workloads that need it: HTTPS for Stripe and S3 (ui, ops-worker), webhooks
 * (route-delivery), SMTP (subscription-worker and Keycloak, when configured), an external identity provider (the
 * services that read KEYCLOAK_*), the CRL distribution points (EMQX, with the CRL check); never to the private ranges.
 * And ui's test channels, to the ranges configured for each (closed by default).
 */
function internetRules(config: Pick<NetworkPolicySections, "networkPolicy" | "s3" | "smtp" | "keycloak" | "emqx">): NetworkPolicyRule[] {
    const net = config.networkPolicy.internet;
    const to: Peer[] = net.cidrs.map((cidr) => {
        // The API server accepts only `except` blocks strictly inside their `cidr`: keep those, per block.
        const except = net.except.filter((e) => strictlyInside(cidrOf(e), cidrOf(cidr)));
        return { ipBlock: { cidr, ...(except.length > 0 ? { except } : {}) } };
    });
    const egress = (
        name: string,
        podSelector: k8s.types.input.meta.v1.LabelSelector,
        ports: number[],
        annotations?: Record<string, string>,
    ): NetworkPolicyRule => ({
        name,
        ...(annotations ? { annotations } : {}),
        spec: { podSelector, policyTypes: ["Egress"], egress: [{ to, ports: tcp(...unique(ports)) }] },
    });
    const idpPorts = identityPorts(config.keycloak);
    const crlPorts = unique(config.emqx.deviceTls.crlCheck ? config.emqx.deviceTls.crlDistributionPoints.map(urlPort) : []);
    const channels = config.networkPolicy.uiTestChannels;
    const testChannels = (Object.keys(UI_TEST_CHANNELS) as (keyof typeof UI_TEST_CHANNELS)[]).filter((c) => channels[c].length > 0);
    return [
        egress(objectName("allow-https-out"), workloadPods("ui", "ops-worker"), [443, urlPort(s3Endpoint(config.s3))]),
        egress(objectName("allow-webhooks-out"), workloadPods("route-delivery"), net.webhookPorts),
        ...(config.smtp.host
            ? [
                  egress(objectName("allow-smtp-out"), workloadPods("subscription-worker", ...(config.keycloak.enabled ? [KEYCLOAK_COMPONENT] : [])), [
                      config.smtp.port,
                  ]),
              ]
            : []),
        ...(idpPorts.length > 0 ? [egress(objectName("allow-idp-out"), workloadPods(...IDENTITY_CLIENTS), idpPorts)] : []),
        ...(config.emqx.enabled && crlPorts.length > 0 ? [egress(objectName("allow-emqx-crl-out"), releasePods(EMQX_RELEASE), crlPorts, DANGLING_WAIVER)] : []),
        ...(testChannels.length > 0
            ? [
                  {
                      name: objectName("allow-ui-test-channels"),
                      spec: {
                          podSelector: { matchLabels: selectorLabels("ui") },
                          policyTypes: ["Egress"],
                          egress: testChannels.map((c) => ({
                              to: channels[c].map((cidr) => ({ ipBlock: { cidr } })),
                              ports: UI_TEST_CHANNELS[c].ports.map((port) => ({ protocol: UI_TEST_CHANNELS[c].protocol, port })),
                          })),
                      },
                  },
              ]
            : []),
    ];
}

export interface NetworkPoliciesArgs extends NetworkPolicySections {
    readonly globals: Globals;
}

/** Each policy is named after the component and its rule: `<component>-<rule name without pulse->`, e.g. pulse-network-allow-dns. */
function policyResourceName(component: string, rule: Pick<NetworkPolicyRule, "name">): string {
    const prefix = objectName("");
    if (!rule.name.startsWith(prefix)) throw new Error(`NetworkPolicy rule ${rule.name} is not named ${prefix}<rule>`);
    return `${component}-${rule.name.slice(prefix.length)}`;
}

/**
 * The Pulumi names a rule's policy had, newest first, each kept as an alias: its object name (policies were named
 * like their objects before the component's name prefixed them) and the rule's former name, if any.
 */
function formerPolicyNames(rule: Pick<NetworkPolicyRule, "name" | "formerName">): string[] {
    return [rule.name, ...(rule.formerName ? [rule.formerName] : [])];
}

export class NetworkPolicies extends pulumi.ComponentResource {
    readonly policies: k8s.networking.v1.NetworkPolicy[];

    constructor(name: string, args: NetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPES.networkPolicies, name, {}, opts);
        this.policies = networkPolicyRules(args).map(
            (rule) =>
                new k8s.networking.v1.NetworkPolicy(
                    policyResourceName(name, rule),
                    {
                        metadata: {
                            name: rule.name,
                            namespace: args.globals.namespace,
                            labels: standardLabels({ component: "network-policy" }),
                            ...(rule.annotations ? { annotations: rule.annotations } : {}),
                        },
                        spec: rule.spec,
                    },
                    { parent: this, aliases: formerPolicyNames(rule).map((former) => ({ name: former })) },
                ),
        );
        this.registerOutputs({ policies: this.policies });
    }
}
