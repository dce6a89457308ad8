/**
 * The Helm releases' registry: one entry per chart the program installs, beside the services' (config/services.ts).
 * Each entry states the facts every consumer shares: the config section that configures it, the chart and its fixed
 * release name (its Services' DNS names), the labels the chart really puts on every pod of the release (what a
 * NetworkPolicy or a Service selects), and the ports its pods listen on, by name.
 */
import { objectName } from "../lib/contracts";

export interface ReleaseEntry {
    /** The chart's name in its repository (and its pods' `app.kubernetes.io/name`). */
    readonly chart: string;
    /** Helm release name: fixed, so Service DNS names are stable; the chart's pods carry it as `app.kubernetes.io/instance`. */
    readonly releaseName: string;
    /** Labels every pod of the release carries, as the pinned chart renders them (test/fixtures/charts model them). */
    readonly pods: Readonly<Record<string, string>>;
    /** The ports the release's pods listen on, by the name the flows use. */
    readonly ports: Readonly<Record<string, number>>;
}

function entry(chart: string, ports: Record<string, number>): ReleaseEntry {
    const releaseName = objectName(chart);
    return { chart, releaseName, pods: { "app.kubernetes.io/name": chart, "app.kubernetes.io/instance": releaseName }, ports };
}

/** By config section (each section's `chart` block pins the version). */
export const RELEASES = {
    postgresql: entry("postgresql", { postgresql: 5432, metrics: 9187 }),
    emqx: entry("emqx", { mqtt: 1883, mqttssl: 8883, wss: 8084, api: 18083 }),
    nats: entry("nats", { client: 4222, metrics: 7777 }),
} as const satisfies Record<string, ReleaseEntry>;

export type ReleaseKey = keyof typeof RELEASES;
export const RELEASE_KEYS = Object.keys(RELEASES) as ReleaseKey[];
