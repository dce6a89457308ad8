/**
 * Who talks to whom, for a config: every party of the platform's network (lib/network.ts) with its pods or addresses,
 * its ports and its talks, from the registries (the services' and the releases' `talksTo`) and the components'
 * declarations (Keycloak, Caddy, the Jobs), plus the parties outside the namespace that the config names (the Ingress
 * controller, devices, the internet, the Kubernetes API, an external database, broker, NATS or identity provider).
 * components/networkPolicies.ts compiles the result; nothing here knows what a NetworkPolicy looks like.
 */
import { contractOf, INGRESS_BACKENDS, ingressControllerNamespace, PulseConfig, s3Endpoint, SERVICE_NAMES, UI_TEST_CHANNELS, urlPort } from "../config";
import { RELEASE_KEYS, ReleaseKey, RELEASES } from "../config/releases";
import { cidrOf, strictlyInside } from "../lib/cidr";
import { CADDY_PORT, KEYCLOAK_HTTP_PORT, KEYCLOAK_JGROUPS_PORT } from "../lib/contracts";
import { componentOf, selectorLabels } from "../lib/labels";
import { JobNetwork, NetPort, Party, Peer, Talk, tcp } from "../lib/network";
import { routes } from "../lib/routes";
import { CADDY_COMPONENT } from "./caddy";
import { DB_SETUP_NETWORK } from "./database";
import { deviceListenerPorts } from "./emqx";
import { KEYCLOAK_COMPONENT, KEYCLOAK_TALKS_TO } from "./keycloak";
import { MIGRATOR_NETWORK } from "./migrator";
import { NATS_INIT_NETWORK } from "./natsInit";

/**
 * The config sections the parties depend on: the policy's own, and where each flow goes (the in-cluster dependencies
 * or their external endpoints, the entry points, Keycloak's cluster, the internet destinations).
 */
export type NetworkSections = Pick<
    PulseConfig,
    "networkPolicy" | "ingress" | "externalDatabase" | "caddy" | "keycloak" | "s3" | "smtp" | "global" | ReleaseKey
>;

const unique = (ports: readonly number[]) => [...new Set(ports)].sort((a, b) => a - b);
const pulsePods = (component: string) => ({ pods: { matchLabels: selectorLabels(component) }, release: false });
const anywhere: Peer[] = [{ ipBlock: { cidr: "0.0.0.0/0" } }];

/** A Pulse workload or Job: its pods by component, its ports by name. */
function workload(key: string, component: string, ports: Record<string, readonly NetPort[]>, talksTo: readonly Talk[]): Party {
    return { key, name: component, place: pulsePods(component), ports, talksTo };
}

const job = (j: JobNetwork): Party => workload(j.component, j.component, {}, j.talksTo);

/** Each service, and its init Job (same image and environment, so the same talks), by the service's registry entry. */
function serviceParties(): Party[] {
    return SERVICE_NAMES.flatMap((s) => {
        const c = contractOf(s);
        const component = componentOf(s);
        const http: Record<string, readonly NetPort[]> = c.http ? { http: tcp(c.http.port) } : {};
        return [workload(s, component, http, c.talksTo), ...(c.init ? [workload(`${s}-init`, `${component}-init`, {}, c.talksTo)] : [])];
    });
}

/**
 * Where an external dependency is: its port anywhere (managed services live in private ranges too), by port name. A
 * release with none here has nothing in its place when it is off.
 */
const EXTERNAL_PORTS: Readonly<Partial<Record<ReleaseKey, (c: NetworkSections) => Record<string, readonly number[]>>>> = {
    postgresql: (c) => ({ postgresql: [c.externalDatabase.port] }),
    nats: (c) => ({ client: [Number(/:(\d+)$/.exec(c.nats.externalUrl)?.[1] ?? RELEASES.nats.ports.client)] }),
    emqx: (c) => ({ mqtt: [c.emqx.externalPort] }),
};

/** EMQX's devices' listeners, open only where this config turns them on (device TLS; WebSocket too). */
const DEVICE_PORTS = new Set<string>(["mqttssl", "wss"]);

/** The ports a release's pods serve in this config: the registry's, the devices' listeners only where they are on. */
function releasePorts(key: ReleaseKey, c: NetworkSections): Record<string, readonly NetPort[]> {
    const on = (name: string, port: number) => key !== "emqx" || !DEVICE_PORTS.has(name) || deviceListenerPorts(c.emqx).includes(port);
    return Object.fromEntries(Object.entries(RELEASES[key].ports).map(([name, port]) => [name, tcp(...(on(name, port) ? [port] : []))]));
}

/** Each release: its pods (by the labels its chart gives them) when installed, else its external endpoint, if any. */
function releaseParties(c: NetworkSections): Party[] {
    return RELEASE_KEYS.flatMap((key): Party[] => {
        const r = RELEASES[key];
        if (c[key].enabled)
            return [{ key, name: key, place: { pods: { matchLabels: { ...r.pods } }, release: true }, ports: releasePorts(key, c), talksTo: r.talksTo }];
        const external = EXTERNAL_PORTS[key]?.(c);
        if (external === undefined) return [];
        const ports = Object.fromEntries(Object.entries(external).map(([name, p]) => [name, tcp(...p)]));
        return [{ key, name: key, place: { outside: anywhere }, ports, talksTo: [] }];
    });
}

/** The identity provider: Keycloak's pods, or an external provider's URLs (issuer, JWKS, internal URL) on the internet. */
function identityParty(c: NetworkSections, internet: readonly Peer[]): Party {
    const kc = c.keycloak;
    if (kc.enabled) {
        const ports = { http: tcp(KEYCLOAK_HTTP_PORT), jgroups: tcp(...(kc.replicaCount > 1 ? [KEYCLOAK_JGROUPS_PORT] : [])) };
        return workload("keycloak", KEYCLOAK_COMPONENT, ports, KEYCLOAK_TALKS_TO);
    }
    const urls = [kc.external.issuerUrl, kc.external.jwksUri, kc.external.internalUrl].filter((u) => u !== undefined);
    return { key: "keycloak", name: KEYCLOAK_COMPONENT, place: { outside: internet }, ports: { http: tcp(...unique(urls.map(urlPort))) }, talksTo: [] };
}

/** Caddy: to the backends of the routes it proxies. */
function caddyParty(c: NetworkSections): Party[] {
    if (!c.caddy.enabled) return [];
    const backends = [...new Set(routes(c as PulseConfig).map((r) => r.backend))].filter((b) => b !== "caddy");
    return [
        workload(
            "caddy",
            CADDY_COMPONENT,
            { http: tcp(CADDY_PORT) },
            backends.map((b): Talk => `${b}:http`),
        ),
    ];
}

/**
 * The internet: the configured ranges, each keeping only the `except` blocks strictly inside it (the API server refuses
 * the others), never the private ranges by default. Its ports: HTTPS (Stripe, S3), webhooks, SMTP (when configured), the
 * CRL distribution points (with the CRL check).
 */
function internetParty(c: NetworkSections): { party: Party; peers: Peer[] } {
    const net = c.networkPolicy.internet;
    const peers: Peer[] = net.cidrs.map((cidr) => {
        const except = net.except.filter((e) => strictlyInside(cidrOf(e), cidrOf(cidr)));
        return { ipBlock: { cidr, ...(except.length > 0 ? { except } : {}) } };
    });
    const crl = c.emqx.deviceTls.crlCheck ? c.emqx.deviceTls.crlDistributionPoints.map(urlPort) : [];
    const ports = {
        https: tcp(...unique([443, urlPort(s3Endpoint(c.s3))])),
        webhooks: tcp(...unique(net.webhookPorts)),
        smtp: tcp(...(c.smtp.host ? [c.smtp.port] : [])),
        crl: tcp(...unique(crl)),
    };
    return { party: { key: "internet", name: "internet", place: { outside: peers }, ports, talksTo: [] }, peers };
}

/** The parties outside the namespace that reach in: the Ingress controller, the public (an exposed Caddy), devices. */
function inboundParties(c: NetworkSections): Party[] {
    const np = c.networkPolicy;
    const controller: Peer = {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ingressControllerNamespace(c) } },
        ...(Object.keys(np.ingressController.podLabels).length > 0 ? { podSelector: { matchLabels: np.ingressController.podLabels } } : {}),
    };
    const exposedCaddy = c.caddy.enabled && c.caddy.serviceType !== "ClusterIP";
    return [
        // Every HTTP entry point, whichever the Ingress routes to (an entry point not deployed has no pods to open).
        {
            key: "ingress-controller",
            name: "ingress-controller",
            place: { outside: [controller] },
            ports: {},
            talksTo: INGRESS_BACKENDS.map((b): Talk => `${b}:http`),
        },
        ...(exposedCaddy ? [{ key: "public", name: "public", place: { outside: "anywhere" as const }, ports: {}, talksTo: ["caddy:http" as Talk] }] : []),
        // Devices: the mutual-TLS listeners only (behind pulse-emqx-devices), from the configured ranges only.
        ...(np.mqttClientCidrs.length > 0
            ? [
                  {
                      key: "devices",
                      name: "devices",
                      place: { outside: np.mqttClientCidrs.map((cidr) => ({ ipBlock: { cidr } })) },
                      ports: {},
                      talksTo: ["emqx:mqttssl", "emqx:wss"] as Talk[],
                  },
              ]
            : []),
    ];
}

/** The destinations outside that only some parties reach: the Kubernetes API, ui's test notification channels. */
function outboundParties(c: NetworkSections): Party[] {
    const np = c.networkPolicy;
    const channels = (Object.keys(UI_TEST_CHANNELS) as (keyof typeof UI_TEST_CHANNELS)[]).filter((ch) => np.uiTestChannels[ch].length > 0);
    return [
        {
            key: "apiserver",
            name: "apiserver",
            place: { outside: np.apiServerCidrs.map((cidr) => ({ ipBlock: { cidr } })) },
            ports: { https: tcp(443, 6443) },
            talksTo: [],
        },
        ...channels.map((ch): Party => ({
            key: `test-${ch}`,
            name: `test-${ch}`,
            place: { outside: np.uiTestChannels[ch].map((cidr) => ({ ipBlock: { cidr } })) },
            ports: { [ch]: UI_TEST_CHANNELS[ch].ports.map((port) => ({ port, protocol: UI_TEST_CHANNELS[ch].protocol })) },
            talksTo: [],
        })),
    ];
}

/** Every party of the platform for a config, in a stable order: the namespace's pods first, then the outside. */
export function networkParties(c: NetworkSections): Party[] {
    const internet = internetParty(c);
    return [
        ...serviceParties(),
        identityParty(c, internet.peers),
        ...caddyParty(c),
        job(MIGRATOR_NETWORK),
        job(NATS_INIT_NETWORK),
        ...(c.postgresql.enabled ? [job(DB_SETUP_NETWORK)] : []),
        ...releaseParties(c),
        internet.party,
        ...inboundParties(c),
        ...outboundParties(c),
    ];
}
