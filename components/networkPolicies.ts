/**
 * NetworkPolicies: deny everything in the namespace, allow DNS, then compile the declared relationships
 * (components/networkParties.ts): each party in the namespace gets one policy, `pulse-allow-<party>`, admitting every
 * party that declares it talks to it on the declared ports, and letting it reach exactly the parties it declares. No
 * component is named here; the Prometheus scrape targets (lib/metrics.ts) get one policy each.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { networkPolicyAliases } from "../lib/aliases";
import { objectName, TYPES } from "../lib/contracts";
import { metricsTargets, MetricsSections } from "../lib/metrics";
import { inNamespace, NetPort, parseTalk, Party, Peer } from "../lib/network";
import { standardLabels } from "../lib/labels";
import { Globals } from "./globals";
import { networkParties, NetworkSections } from "./networkParties";

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;

const DANGLING_WAIVER = {
    "ignore-check.kube-linter.io/dangling-networkpolicy": "selects the pods of a Helm release, which the offline render does not expand into objects",
    "kube-score/ignore": "networkpolicy-targets-pod",
};

export interface NetworkPolicyRule {
    readonly name: string;
    readonly spec: NetworkPolicySpec;
    readonly annotations?: Record<string, string>;
}

/** The config sections the rules read: the parties' and the Prometheus scrape targets'. */
export type NetworkPolicySections = NetworkSections & MetricsSections;

/** One declared talk, resolved: who, to whom, on which ports (none: every port, a cluster among itself). */
interface Flow {
    readonly from: Party;
    readonly to: Party;
    readonly ports?: readonly NetPort[];
}

/**
 * Every talk of every party, resolved against the parties of this config. A talk to a party this config does not have
 * (Caddy off, a test channel not configured), to a closed port (empty list) or to an outside party with no addresses
 * opens nothing; a talk to a port an in-namespace party does not serve is a programming error.
 */
export function resolveFlows(parties: readonly Party[]): Flow[] {
    const byKey = new Map(parties.map((p) => [p.key, p]));
    return parties.flatMap((from) =>
        from.talksTo.flatMap((talk): Flow[] => {
            const { party, port } = parseTalk(talk);
            const to = byKey.get(party);
            if (!to || ("outside" in to.place && to.place.outside.length === 0)) return [];
            if (port === "*") return [{ from, to }];
            const ports = to.ports[port];
            if (ports === undefined) {
                if (!inNamespace(to)) return [];
                throw new Error(
                    `${from.key} talks to ${talk}, but ${to.key} serves no port "${port}" (it serves ${Object.keys(to.ports).join(", ") || "none"})`,
                );
            }
            return ports.length > 0 ? [{ from, to, ports }] : [];
        }),
    );
}

/** A party as a NetworkPolicy peer: its pods, its addresses, or none (anywhere: the rule names no peer). */
function peersOf(p: Party): Peer[] | undefined {
    const place = p.place;
    if ("pods" in place) return [{ podSelector: place.pods }];
    return place.outside === "anywhere" ? undefined : [...place.outside];
}

type Rule = { peers?: Peer[]; ports?: { protocol: string; port: number }[] };

/**
 * The flows as rules, one per set of ports: the peers that share the same ports in one rule, in the order they were
 * declared. A flow from or to anywhere stays a rule of its own (it names no peer, which would admit every source).
 */
function rulesOf(flows: readonly Flow[], peer: (f: Flow) => Party): Rule[] {
    const rules = new Map<string, Rule>();
    for (const f of flows) {
        const peers = peersOf(peer(f));
        const ports = f.ports?.map((p) => ({ protocol: p.protocol, port: p.port }));
        const key = `${peers ? "" : "anywhere "}${JSON.stringify(ports ?? "all")}`;
        const rule = rules.get(key);
        if (rule?.peers && peers) rule.peers.push(...peers.filter((x) => !rule.peers!.some((y) => JSON.stringify(y) === JSON.stringify(x))));
        else rules.set(key, { ...(peers ? { peers: [...peers] } : {}), ...(ports ? { ports } : {}) });
    }
    return [...rules.values()];
}

/** Each party in the namespace: ingress from whoever talks to it, egress to whomever it talks to; none without either. */
export function compilePolicies(parties: readonly Party[]): NetworkPolicyRule[] {
    const flows = resolveFlows(parties);
    return parties.filter(inNamespace).flatMap((p): NetworkPolicyRule[] => {
        const ingress = rulesOf(
            flows.filter((f) => f.to === p),
            (f) => f.from,
        ).map(({ peers, ports }) => ({ ...(peers ? { from: peers } : {}), ...(ports ? { ports } : {}) }));
        const egress = rulesOf(
            flows.filter((f) => f.from === p),
            (f) => f.to,
        ).map(({ peers, ports }) => ({ ...(peers ? { to: peers } : {}), ...(ports ? { ports } : {}) }));
        if (ingress.length === 0 && egress.length === 0) return [];
        return [
            {
                name: objectName(`allow-${p.name}`),
                ...(p.place.release ? { annotations: DANGLING_WAIVER } : {}),
                spec: {
                    podSelector: p.place.pods,
                    policyTypes: [...(ingress.length > 0 ? ["Ingress"] : []), ...(egress.length > 0 ? ["Egress"] : [])],
                    ...(ingress.length > 0 ? { ingress } : {}),
                    ...(egress.length > 0 ? { egress } : {}),
                },
            },
        ];
    });
}

/** The rules for a config; pure, so tests read them without the mocks. */
export function networkPolicyRules(config: NetworkPolicySections): NetworkPolicyRule[] {
    return [
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
        ...compilePolicies(networkParties(config)),
        ...metricsRules(config),
    ];
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
            ingress: [{ from: [prometheus], ports: [{ protocol: "TCP", port: t.port.number }] }],
        },
    }));
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
                    { parent: this, aliases: networkPolicyAliases(rule.name) },
                ),
        );
        this.registerOutputs({ policies: this.policies });
    }
}
