/**
 * The Helm releases' registry: one entry per chart the program installs, beside the services' (config/services.ts).
 * Each entry states the facts every consumer shares: the config section that configures it, the chart and its fixed
 * release name (its Services' DNS names), the labels the chart really puts on every pod of the release (what a
 * NetworkPolicy or a Service selects), and the ports its pods listen on, by name.
 */
import { objectName } from "../lib/contracts";
import type { Talk } from "../lib/network";

export interface ReleaseEntry {
    /** The chart's name in its repository (and its pods' `app.kubernetes.io/name`). */
    readonly chart: string;
    /** Helm release name: fixed, so Service DNS names are stable; the chart's pods carry it as `app.kubernetes.io/instance`. */
    readonly releaseName: string;
    /** Labels every pod of the release carries, as the pinned chart renders them (test/fixtures/charts model them). */
    readonly pods: Readonly<Record<string, string>>;
    /** The ports the release's pods listen on, by the name the flows use. */
    readonly ports: Readonly<Record<string, number>>;
    /**
     * Whom its pods talk to, as `<party>:<port name>` (config/services.ts `talksTo`); `<own key>:*`: the release's pods
     * among themselves on every port (a cluster's members). The NetworkPolicies open exactly these.
     */
    readonly talksTo: readonly Talk[];
}

function entry(chart: string, ports: Record<string, number>, talksTo: readonly Talk[]): ReleaseEntry {
    const releaseName = objectName(chart);
    return { chart, releaseName, pods: { "app.kubernetes.io/name": chart, "app.kubernetes.io/instance": releaseName }, ports, talksTo };
}

/** By config section (each section's `chart` block pins the version). */
export const RELEASES = {
    // The read replicas stream from the primary, the backup Job dumps it: the release's pods to each other's server port.
    postgresql: entry("postgresql", { postgresql: 5432, metrics: 9187 }, ["postgresql:postgresql"]),
    // Cluster traffic; the Kubernetes API (the chart's k8s discovery); ui's internal authentication and ACL endpoints;
    // the CRL distribution points (with the CRL check on).
    emqx: entry("emqx", { mqtt: 1883, mqttssl: 8883, wss: 8084, api: 18083 }, ["emqx:*", "apiserver:https", "ui:http", "internet:crl"]),
    nats: entry("nats", { client: 4222, metrics: 7777 }, ["nats:*"]),
} as const satisfies Record<string, ReleaseEntry>;

export type ReleaseKey = keyof typeof RELEASES;
export const RELEASE_KEYS = Object.keys(RELEASES) as ReleaseKey[];
