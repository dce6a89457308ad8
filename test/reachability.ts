/**
 * What a set of NetworkPolicies lets through, evaluated the way the API's semantics define it, so tests state who may
 * reach whom on which port instead of how the policies are laid out. Every pod of the namespace is isolated in both
 * directions (the default-deny policy selects them all); a connection needs the source's egress (when the source is a
 * pod of the namespace) and the destination's ingress (when the destination is one).
 */
import { cidrOf, contains } from "../lib/cidr";
import { PlainRule } from "./helpers";
import { selects } from "./port-wiring";

/** The namespace the test configs deploy into. */
const NAMESPACE = "pulse";

/** A pod (its labels and namespace; the Pulse namespace by default) or an address outside the cluster. */
export type Endpoint = { readonly pod: Record<string, string>; readonly namespace?: string } | { readonly ip: string };

type Selector = Parameters<typeof selects>[0];
interface Peer {
    podSelector?: Selector;
    namespaceSelector?: Selector;
    ipBlock?: { cidr: string; except?: string[] };
}
interface Rule {
    from?: Peer[];
    to?: Peer[];
    ports?: { port: number; protocol?: string }[];
}

const inNamespace = (e: Endpoint): e is { pod: Record<string, string>; namespace?: string } => "pod" in e && (e.namespace ?? NAMESPACE) === NAMESPACE;

function peerMatches(peer: Peer, e: Endpoint): boolean {
    if (peer.ipBlock) {
        if (!("ip" in e)) return false;
        const family = e.ip.includes(":") ? "ipv6" : "ipv4";
        const inside = (cidr: string) => contains(cidrOf(cidr), e.ip, family);
        return inside(peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some(inside);
    }
    if (!("pod" in e)) return false;
    const namespace = e.namespace ?? NAMESPACE;
    if (peer.namespaceSelector) {
        if (!selects(peer.namespaceSelector, { "kubernetes.io/metadata.name": namespace })) return false;
    } else if (namespace !== NAMESPACE) return false;
    return peer.podSelector === undefined || selects(peer.podSelector, e.pod);
}

const portMatches = (r: Rule, port: number, protocol: string) => !r.ports || r.ports.some((p) => p.port === port && (p.protocol ?? "TCP") === protocol);

/** The rules of one direction of the policies that select a pod. */
function rulesFor(policies: readonly PlainRule[], pod: Record<string, string>, direction: "Ingress" | "Egress"): Rule[] {
    return policies
        .filter((p) => (p.spec.policyTypes ?? ["Ingress"]).includes(direction) && selects(p.spec.podSelector, pod))
        .flatMap((p) => ((direction === "Ingress" ? p.spec.ingress : p.spec.egress) ?? []) as Rule[]);
}

/** Whether the policies let `from` open a connection to `to` on `port`. */
export function reaches(policies: readonly PlainRule[], from: Endpoint, to: Endpoint, port: number, protocol = "TCP"): boolean {
    const out =
        !inNamespace(from) ||
        rulesFor(policies, from.pod, "Egress").some((r) => (!r.to || r.to.some((p) => peerMatches(p, to))) && portMatches(r, port, protocol));
    const into =
        !inNamespace(to) ||
        rulesFor(policies, to.pod, "Ingress").some((r) => (!r.from || r.from.some((p) => peerMatches(p, from))) && portMatches(r, port, protocol));
    return out && into;
}
