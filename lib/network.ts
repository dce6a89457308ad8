/**
 * The platform's network as declared relationships: parties (a group of pods in the namespace, or addresses outside
 * it), the ports each serves by name, and whom each talks to. The registries and components declare them
 * (components/networkParties.ts assembles them for a config); components/networkPolicies.ts compiles them into
 * NetworkPolicies that open exactly the declared flows.
 */
import type * as k8s from "@pulumi/kubernetes";

/** A declared connection: `<party>:<port name>`, or `<party>:*` for every port (a cluster's members among themselves). */
export type Talk = `${string}:${string}`;

export type Peer = k8s.types.input.networking.v1.NetworkPolicyPeer;
type LabelSelector = k8s.types.input.meta.v1.LabelSelector;

export interface NetPort {
    readonly port: number;
    readonly protocol: "TCP" | "UDP";
}

export const tcp = (...ports: readonly number[]): NetPort[] => ports.map((port) => ({ port, protocol: "TCP" }));

/** Where a party is: pods in the namespace (a Helm release's when `release`), or peers outside it ("anywhere": every source). */
type Place = { readonly pods: LabelSelector; readonly release: boolean } | { readonly outside: readonly Peer[] | "anywhere" };

export interface Party {
    /** What talks name it by: a service's config key, a release's config section, a component, or an outside name. */
    readonly key: string;
    /** Its NetworkPolicy is objectName(`allow-${name}`) (pods in the namespace only). */
    readonly name: string;
    readonly place: Place;
    /** The ports it serves, by name; an empty list: that port is closed in this config (talks to it open nothing). */
    readonly ports: Readonly<Record<string, readonly NetPort[]>>;
    readonly talksTo: readonly Talk[];
}

/** A Job's place in the network: its component (its pods' `app.kubernetes.io/name` is objectName(component)) and its talks. */
export interface JobNetwork {
    readonly component: string;
    readonly talksTo: readonly Talk[];
}

/** `<party>:<port>` split; a malformed talk is a programming error. */
export function parseTalk(talk: Talk): { readonly party: string; readonly port: string } {
    const at = talk.lastIndexOf(":");
    return { party: talk.slice(0, at), port: talk.slice(at + 1) };
}

export const inNamespace = (p: Party): p is Party & { place: { pods: LabelSelector; release: boolean } } => "pods" in p.place;
