/**
 * The suite's peer: the spec's chart (test/fixtures/peer-chart: the Pulse workloads as plain templates, the releases'
 * charts as dependencies) installed with the toolchain's `helm install --wait --wait-for-jobs` on the same cluster in
 * the same run as the program, so the ratio of `pulumi up` to it is measured every run. Its values mirror a stack: each
 * workload's replicas, autoscaling and requests as the stack sets them, and the program's own values of each release's
 * chart (RELEASE_BUILDERS, components/releases.ts) for the subcharts.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { promisify } from "util";
import * as YAML from "yaml";
import { RELEASE_BUILDERS } from "../../components/releases";
import { componentOf, contractOf, PulseConfig, RELEASE_KEYS, ReleaseKey, RELEASES, SERVICE_NAMES } from "../../config";
import { resolveImage } from "../../lib/images";
import { resourceRequirements } from "../../lib/resources";
import { PROJECT_DIR } from "../../tools/stackfile";

const run = promisify(execFile);

export const PEER_CHART = path.join(PROJECT_DIR, "test", "fixtures", "peer-chart");
/** The release name: "pulse", so the subcharts' objects get the program's names (pulse-postgresql, ...). */
const PEER_RELEASE = "pulse";

type Image = PulseConfig["ingest"]["image"];
const imageOf = (image: Image, config: PulseConfig) => {
    const i = resolveImage(image, config.global, config.appVersion);
    return { repository: i.registry ? `${i.registry}/${i.repository}` : i.repository, tag: i.tag };
};
const requestsOf = (r: PulseConfig["ingest"]["resources"]) => ({ requests: resourceRequirements(r).requests });

/** The peer chart's values mirroring a stack's config. */
export function peerValues(config: PulseConfig): Record<string, unknown> {
    const services = Object.fromEntries(
        SERVICE_NAMES.map((key) => {
            const svc = config[key];
            const http = contractOf(key).http;
            return [
                key,
                {
                    image: imageOf(svc.image, config),
                    replicaCount: svc.replicaCount,
                    ...(http ? { port: http.port, readinessPath: http.readiness } : {}),
                    service: contractOf(key).service,
                    autoscaling: svc.autoscaling,
                    resources: requestsOf(svc.resources),
                },
            ];
        }),
    );
    const kc = config.keycloak;
    const charts = RELEASE_KEYS.map((k) => [k, RELEASE_BUILDERS[k].values(config)] as const);
    // Subcharts share the parent's `global`: the charts' global keys (disjoint) move up.
    const global = Object.assign({}, ...charts.map(([, v]) => (v.global as Record<string, unknown> | undefined) ?? {})) as Record<string, unknown>;
    // Helm gives each subchart the values under its name (peerDependencies).
    const subcharts = Object.fromEntries(
        charts.map(([section, v]) => {
            const { global: _, ...rest } = v;
            return [RELEASES[section].chart, { ...rest, enabled: config[section].enabled }];
        }),
    );
    return {
        global,
        ...subcharts,
        ...services,
        keycloak: { image: imageOf(kc.image, config), replicaCount: kc.replicaCount, resources: requestsOf(kc.resources) },
        caddy: { enabled: config.caddy.enabled, replicaCount: config.caddy.replicaCount, resources: requestsOf(config.caddy.resources) },
        ingress: { enabled: config.ingress.enabled, className: config.ingress.className, hosts: config.ingress.hosts.map((h) => ({ host: h.host })) },
    };
}

/** Every workload the chart deploys for these values: `Deployment/<name>`, by the chart's templates. */
export function peerDeployments(config: PulseConfig): string[] {
    return [...SERVICE_NAMES.map((k) => componentOf(k)), "keycloak", ...(config.caddy.enabled ? ["caddy"] : [])]
        .map((c) => `Deployment/${PEER_RELEASE}-${c}`)
        .sort();
}

/**
 * The peer chart's dependencies: each release's chart at the version its registry entry pins, switched by its values'
 * `enabled` (peerValues). The suite copies the charts into charts/, so Helm never asks the repositories.
 */
function peerDependencies(): { name: string; version: string; repository: string; condition: string }[] {
    return RELEASE_KEYS.map((k) => {
        const { chart, source } = RELEASES[k];
        return { name: chart, version: source.version, repository: source.repository, condition: `${chart}.enabled` };
    });
}

/**
 * A copy of the peer chart in `dir` with the charts (directories or .tgz, as chartDirs() finds them) in its charts/,
 * and its Chart.yaml's dependencies on them (peerDependencies). Helm keeps one namespace of named templates for a chart
 * and its subcharts; the stand-ins all name their helpers `standin.*` (the real charts name theirs after the chart), so
 * each copied stand-in gets its own prefix.
 */
export function assemblePeerChart(dir: string, charts: Readonly<Record<ReleaseKey, string>>): string {
    const chart = path.join(dir, "pulse");
    fs.cpSync(PEER_CHART, chart, { recursive: true });
    const meta = YAML.parseDocument(fs.readFileSync(path.join(chart, "Chart.yaml"), "utf8"));
    meta.set("dependencies", peerDependencies());
    fs.writeFileSync(path.join(chart, "Chart.yaml"), meta.toString({ lineWidth: 0 }));
    fs.mkdirSync(path.join(chart, "charts"), { recursive: true });
    for (const [section, source] of Object.entries(charts)) {
        const target = path.join(chart, "charts", path.basename(source));
        fs.cpSync(source, target, { recursive: true });
        if (!fs.statSync(target).isDirectory()) continue;
        // The stand-ins share their helpers' names; a real chart's templates (in subfolders too) have their own.
        const templates = path.join(target, "templates");
        for (const f of fs.readdirSync(templates, { recursive: true, encoding: "utf8" })) {
            const file = path.join(templates, f);
            if (!fs.statSync(file).isFile()) continue;
            fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(/"standin\./g, `"standin-${section}.`));
        }
    }
    return chart;
}

export interface Helm {
    readonly bin: string;
    readonly kubeconfig: string;
    /** Helm's cache, config and data directories go here. */
    readonly home: string;
}

const helm = (h: Helm, ...args: string[]) =>
    run(h.bin, [...args, "--kubeconfig", h.kubeconfig], {
        env: {
            ...process.env,
            HELM_CACHE_HOME: path.join(h.home, "cache"),
            HELM_CONFIG_HOME: path.join(h.home, "config"),
            HELM_DATA_HOME: path.join(h.home, "data"),
        },
        maxBuffer: 16 << 20,
    });

/** `helm install --wait --wait-for-jobs` of the chart with these values into its own namespace. */
export async function installPeer(h: Helm, chart: string, namespace: string, values: Record<string, unknown>): Promise<void> {
    const file = path.join(h.home, "peer-values.yaml");
    fs.mkdirSync(h.home, { recursive: true });
    fs.writeFileSync(file, YAML.stringify(values, { lineWidth: 0 }));
    await helm(
        h,
        "install",
        PEER_RELEASE,
        chart,
        "--namespace",
        namespace,
        "--create-namespace",
        "--values",
        file,
        "--wait",
        "--wait-for-jobs",
        "--timeout",
        "5m",
    );
}

/** Uninstalls it and waits until its objects are gone (its volumes stay Released: they are never reused). */
export async function uninstallPeer(h: Helm, namespace: string): Promise<void> {
    await helm(h, "uninstall", PEER_RELEASE, "--namespace", namespace, "--wait", "--timeout", "5m");
}
