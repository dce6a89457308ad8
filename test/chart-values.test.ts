import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { expect } from "chai";
import { RELEASE_BUILDERS } from "../components/releases";
import { PulseConfig, RELEASE_KEYS, RELEASES } from "../config";
import { config, stackConfig, CI_STACK_FILE } from "./helpers";

const CHARTS = path.join(__dirname, "fixtures", "charts");

type Values = Record<string, unknown>;

/**
 * Chart keys the program may set although the default values do not spell them out, each with its reason. Everything
 * else must exist in the chart's default values (or sit under an empty map/list there, which the chart renders verbatim,
 * such as `resources: {}` or NATS's `merge: {}` hooks).
 */
const FREE_FORM: Partial<Record<string, { prefix: string; why: string; commentedIn?: string }[]>> = {
    emqx: [
        { prefix: "podSecurityContext.", why: "rendered verbatim minus `enabled` (upstream-charts.md)" },
        { prefix: "containerSecurityContext.", why: "rendered verbatim minus `enabled` (upstream-charts.md)" },
        { prefix: "envFromSecret", why: "documented in a comment of values.yaml", commentedIn: "# envFromSecret:" },
        { prefix: "image.pullSecrets", why: "documented in a comment of values.yaml", commentedIn: "# pullSecrets:" },
        { prefix: "emqxConfig.", why: "EMQX environment variables, rendered into the chart's env ConfigMap as they are" },
    ],
    nats: [],
    postgresql: [],
};

function chartDefaults(chart: string, version: string): { values: Values; text: string } {
    const file = path.join(CHARTS, `${chart}-${version}`, "values.yaml");
    expect(fs.existsSync(file), `no default values for ${chart} ${version}: vendor them into test/fixtures/charts`).to.equal(true);
    const text = fs.readFileSync(file, "utf8");
    return { values: YAML.parse(text), text };
}

/** Leaf paths of a values tree; lists are leaves (the charts take them whole). */
function leafPaths(v: unknown, prefix: string[] = []): string[][] {
    if (typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length > 0) {
        return Object.entries(v).flatMap(([k, x]) => leafPaths(x, [...prefix, k]));
    }
    return [prefix];
}

function existsIn(defaults: unknown, segments: string[]): boolean {
    let node = defaults;
    for (const seg of segments) {
        if (Array.isArray(node)) return true;
        if (typeof node !== "object" || node === null) return false;
        if (Object.keys(node).length === 0) return true;
        if (!(seg in node)) return false;
        node = (node as Values)[seg];
    }
    return true;
}

/** The values paths of `values` that the chart does not know. */
function unknownPaths(chart: string, values: Values, defaults: { values: Values; text: string }): string[] {
    return leafPaths(values)
        .map((p) => p.join("."))
        .filter((p) => !existsIn(defaults.values, p.split(".")))
        .filter((p) => !(FREE_FORM[chart] ?? []).some((f) => p.startsWith(f.prefix)));
}

/** Every scheduling key a release section has (config/schema/scheduling.ts, releaseScheduling). */
const SCHEDULING = {
    nodeSelector: { pool: "data" },
    tolerations: [{ key: "dedicated", value: "data", effect: "NoSchedule" as const }],
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } },
    priorityClassName: "pulse-data",
    topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway" }],
    podLabels: { team: "iot" },
    podAnnotations: { "example.com/owner": "iot" },
};
const EXTRA_VOLUMES = [{ name: "ca", configMap: "corp-ca", mountPath: "/etc/ssl/corp" }];

/** Configs that between them switch on every branch of the values builders. */
const everything = config({
    global: {
        imageRegistry: "mirror.example.com",
        imagePullSecrets: ["regcred"],
        metrics: { enabled: true, prometheus: { namespaceLabels: { team: "observability" }, podLabels: { app: "prometheus" } } },
    },
    postgresql: {
        persistence: { storageClass: "fast" },
        image: { digest: `sha256:${"a".repeat(64)}` },
        backup: { enabled: true, storageClass: "fast", existingClaim: "pulse-backups" },
        metrics: { image: { digest: `sha256:${"b".repeat(64)}` } },
        ...SCHEDULING,
        extraVolumes: EXTRA_VOLUMES,
    },
    emqx: {
        replicaCount: 3,
        persistence: { storageClassName: "fast" },
        deviceTls: { certManager: { issuer: "letsencrypt" }, deviceCaSecret: "device-ca" },
        ...SCHEDULING,
        extraVolumes: EXTRA_VOLUMES,
    },
    nats: {
        replicaCount: 3,
        natsBox: { enabled: true },
        jetstream: { fileStore: { storageClassName: "fast" } },
        ...SCHEDULING,
        envFrom: [{ configMap: "nats-tuning" }],
    },
});
const configs: Record<string, PulseConfig> = {
    defaults: config(),
    dev: stackConfig("dev"),
    prod: stackConfig("prod"),
    ci: stackConfig(CI_STACK_FILE),
    everything,
};

const builders = Object.fromEntries(RELEASE_KEYS.map((k) => [k, RELEASE_BUILDERS[k].values])) as Record<string, (c: PulseConfig) => Values>;

describe("Helm values exist in the pinned charts' default values", () => {
    for (const key of RELEASE_KEYS) {
        const { chart, source } = RELEASES[key];
        describe(key, () => {
            const defaults = () => chartDefaults(chart, source.version);
            for (const [name, c] of Object.entries(configs)) {
                it(`every path set for ${name} is a key of ${chart} ${source.version}`, () => {
                    expect(unknownPaths(chart, builders[key](c), defaults())).to.deep.equal([]);
                });
            }
            it("documented free-form keys are really documented where the exception says", () => {
                for (const f of (FREE_FORM[chart] ?? []).filter((x) => x.commentedIn)) {
                    expect(defaults().text, f.prefix).to.include(f.commentedIn!);
                }
            });
        });
    }

    it("catches a misspelled or 0.x-layout path (the check can fail)", () => {
        const nats = chartDefaults("nats", "1.2.11");
        const spec0x = { nats: { jetstream: { enabled: true, memStorage: { enabled: true, size: "256Mi" } } } };
        expect(unknownPaths("nats", spec0x, nats)).to.deep.equal([
            "nats.jetstream.enabled",
            "nats.jetstream.memStorage.enabled",
            "nats.jetstream.memStorage.size",
        ]);
        const typo = { config: { jetstream: { memoryStore: { maxSise: "1Gi" } } } };
        expect(unknownPaths("nats", typo, nats)).to.deep.equal(["config.jetstream.memoryStore.maxSise"]);
        const pg = chartDefaults("postgresql", "15.5.38");
        expect(unknownPaths("postgresql", { primary: { persistance: { size: "1Gi" } } }, pg)).to.have.length(1);
        const emqx = chartDefaults("emqx", "5.8.9");
        expect(unknownPaths("emqx", { persistence: { storageClass: "x" } }, emqx)).to.deep.equal(["persistence.storageClass"]);
        // Scheduling values at a path the chart does not read: Bitnami's per-component keys, EMQX's pod labels, NATS's hooks.
        expect(unknownPaths("postgresql", { nodeSelector: { pool: "data" }, primary: { podLabel: { team: "iot" } } }, pg)).to.deep.equal([
            "nodeSelector.pool",
            "primary.podLabel.team",
        ]);
        expect(unknownPaths("emqx", { pod: { labels: { team: "iot" } } }, emqx)).to.deep.equal(["pod.labels.team"]);
        expect(unknownPaths("nats", { podTemplate: { nodeSelector: { pool: "data" } }, natsBox: { tolerations: [] } }, nats)).to.deep.equal([
            "podTemplate.nodeSelector.pool",
            "natsBox.tolerations",
        ]);
    });

    it("sees every scheduling value of the releases (the check covers them)", () => {
        const paths = (values: Values) => leafPaths(values).map((p) => p.join("."));
        expect(paths(builders.postgresql(everything))).to.include.members([
            "primary.nodeSelector.pool",
            "primary.tolerations",
            "primary.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution",
            "readReplicas.priorityClassName",
            "readReplicas.extraVolumeMounts",
            "backup.cronjob.tolerations",
        ]);
        expect(paths(builders.emqx(everything))).to.include.members(["nodeSelector.pool", "podLabels.team", "topologySpreadConstraints", "extraVolumes"]);
        expect(paths(builders.nats(everything))).to.include.members([
            "podTemplate.merge.spec.nodeSelector.pool",
            "podTemplate.merge.metadata.labels.team",
            "natsBox.podTemplate.merge.spec.tolerations",
            "container.merge.envFrom",
        ]);
    });
});
