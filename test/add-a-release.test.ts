/**
 * docs/development.md's "Add a Helm release", proven: a fourth release built in memory (the registry file is untouched:
 * "keycache", a made-up cache chart modelled on Bitnami's valkey, named so that no real release added later collides
 * with it) passes every check test/releases.test.ts runs over the registry's releases
 * (test/release-recipe.ts) when complete, and lacking exactly one part, exactly that part's check names it. Its section
 * comes from its entry alone, as the root schema builds every release's (config/schema/releases.ts).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { z } from "zod";
import { entrySection, ExtraVolume, PulseConfig, pulseConfigSchema, ReleaseEntry, ReleasePlacement, RELEASE_KEYS, RELEASES } from "../config";
import { RELEASE_OWN_KEYS } from "../config/schema/platform";
import { entrySchedulingValues, withScheduling } from "../lib/releaseScheduling";
import { STAND_IN_CHARTS } from "../tools/charts";
import { PROJECT_DIR } from "../tools/stackfile";
import { CI_STACK_FILE, stackConfig } from "./helpers";
import { Records, RELEASE_CHECKS, Subject } from "./release-recipe";

type Values = Record<string, unknown>;
type Check = keyof typeof RELEASE_CHECKS;
const CHECKS = Object.keys(RELEASE_CHECKS) as Check[];

const KEY = "keycache";
const SECRET = "pulse-keycache-auth";
const ENTRY: ReleaseEntry = {
    type: "pulse:keycache:Keycache",
    chart: "keycache",
    releaseName: "pulse-keycache",
    pods: { "app.kubernetes.io/name": "keycache", "app.kubernetes.io/instance": "pulse-keycache" },
    renders: ["ConfigMap/pulse-keycache-configuration", "Service/pulse-keycache-primary", "StatefulSet/pulse-keycache-primary"],
    ports: { keycache: 6379 },
    talksTo: [],
    source: { repository: "oci://registry-1.docker.io/bitnamicharts", version: "3.0.9", timeoutSeconds: 600 },
    upstream: { repository: "example/charts", path: "charts/keycache", tag: "keycache/3.0.9", commit: "0000000000000000000000000000000000000000" },
    images: { registry: { path: "global.imageRegistry", as: "value" }, pullSecrets: "global.imagePullSecrets" },
    chartNetworkPolicies: ["networkPolicy.enabled"],
    securityContexts: [{ pod: "primary.podSecurityContext", containers: ["primary.containerSecurityContext"] }],
    scheduling: [{ at: "primary", bitnamiComponent: "primary" }],
    ownMounts: ["/tmp", "/data", "/opt/bitnami/keycache/etc", "/opt/bitnami/keycache/tmp", "/opt/bitnami/keycache/logs"],
    section: {
        description: "Keycache (Bitnami chart 3.0.9), standalone. The workloads' scheduling keys apply to its primary; no `envFrom`",
        install: "Install Keycache in-cluster (Bitnami chart): a cache for the Pulse services",
        product: "Keycache",
        scheduledPods: "the primary",
    },
};

const RESTRICTED_CONTAINER = {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    runAsNonRoot: true,
    seccompProfile: { type: "RuntimeDefault" },
};

/** A stand-in chart for it, beside (links to) the project's, as test/fixtures/charts/keycache-3.0.9 would hold it. */
function standIns(withKeycache: boolean): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-add-a-release-"));
    for (const chart of fs.readdirSync(STAND_IN_CHARTS)) fs.symlinkSync(path.join(STAND_IN_CHARTS, chart), path.join(dir, chart));
    if (withKeycache) {
        const chart = path.join(dir, "keycache-3.0.9");
        // Not recursive: a chart of that name among the links (a real release added since) fails here instead of
        // being written through its link into the project's stand-ins.
        fs.mkdirSync(chart);
        fs.mkdirSync(path.join(chart, "templates"));
        fs.writeFileSync(path.join(chart, "Chart.yaml"), "apiVersion: v2\nname: keycache\nversion: 3.0.9\nappVersion: 8.1.1\n");
        fs.writeFileSync(
            path.join(chart, "values.yaml"),
            "networkPolicy: {enabled: true}\nprimary:\n  podSecurityContext: {enabled: true, fsGroup: 1001}\n  containerSecurityContext: {enabled: true, runAsUser: 1001}\n",
        );
        fs.writeFileSync(
            path.join(chart, "templates", "networkpolicy.yaml"),
            "{{- if .Values.networkPolicy.enabled }}\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: {{ .Release.Name }}}\n{{- end }}\n",
        );
    }
    return dir;
}

/**
 * What the recipe adds: the entry (its chart's facts, `renders` and `pods`, included), the values builder and the
 * Secrets it reads, the stand-in chart.
 */
interface Parts {
    readonly entry: ReleaseEntry;
    readonly values: (c: PulseConfig, section: ReleasePlacement & { readonly extraVolumes: readonly ExtraVolume[] }, entry: ReleaseEntry) => Values;
    readonly secrets: readonly string[];
    readonly standIns: string;
}

/** The release and what the checks read beside it: the CI fixture with its section, the stand-in charts. */
function subject(parts: Parts, ci: PulseConfig): { subject: Subject; records: Records } {
    const section = entrySection(KEY, parts.entry);
    const own = (c: PulseConfig) => (c as unknown as Record<string, ReleasePlacement & { readonly extraVolumes: readonly ExtraVolume[] }>)[KEY];
    return {
        subject: {
            key: KEY,
            entry: parts.entry,
            values: (c) => parts.values(c, own(c), parts.entry),
            scheduling: (c) => entrySchedulingValues(parts.entry, own(c)),
            secrets: () => [...parts.secrets],
            section,
        },
        records: {
            ci: { ...ci, [KEY]: section.parse({}) } as PulseConfig,
            standIns: parts.standIns,
        },
    };
}

const problems = (parts: Parts, ci: PulseConfig, check: Check): string[] => {
    const { subject: s, records } = subject(parts, ci);
    return RELEASE_CHECKS[check].check(s, records);
};

describe("Add a Helm release recipe (docs/development.md)", () => {
    const ci = stackConfig(CI_STACK_FILE);
    const withChart = standIns(true);
    const withoutChart = standIns(false);
    after(() => {
        for (const dir of [withChart, withoutChart]) fs.rmSync(dir, { recursive: true, force: true });
    });

    const chartValues = (): Values => ({
        architecture: "standalone",
        auth: { enabled: true, existingSecret: SECRET },
        primary: {
            podSecurityContext: { enabled: true, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
            containerSecurityContext: { enabled: true, ...RESTRICTED_CONTAINER },
        },
    });
    const mirror = (c: PulseConfig): Values => ({ global: { imageRegistry: c.global.imageRegistry, imagePullSecrets: c.global.imagePullSecrets } });
    const complete: Parts = {
        entry: ENTRY,
        values: (c, section, entry) =>
            withScheduling({ ...mirror(c), ...chartValues(), networkPolicy: { enabled: false } }, entrySchedulingValues(entry, section)),
        secrets: [SECRET],
        standIns: withChart,
    };
    /** The complete release under another release name, its pods' instance label and the objects it renders following it. */
    const renamed = (releaseName: string): Parts => ({
        ...complete,
        entry: {
            ...ENTRY,
            releaseName,
            pods: { ...ENTRY.pods, "app.kubernetes.io/instance": releaseName },
            renders: ENTRY.renders.map((r) => r.replace("pulse-keycache", releaseName) as `${string}/${string}`),
        },
    });

    /** Per check: the release lacking exactly that check's part, and what the check says. */
    const LACKING: Readonly<Record<Exclude<Check, "section">, { readonly what: string; readonly parts: Parts; readonly problems: readonly string[] }>> = {
        mirror: {
            what: "the image mirror and pull secrets in its values",
            parts: {
                ...complete,
                values: (_c, section, entry) => withScheduling({ ...chartValues(), networkPolicy: { enabled: false } }, entrySchedulingValues(entry, section)),
            },
            problems: [
                `${KEY}: the values carry no image mirror (global.imageRegistry) at global.imageRegistry (RELEASES.${KEY}.images.registry), got undefined`,
                `${KEY}: the values carry no pull secrets (global.imagePullSecrets) at global.imagePullSecrets (RELEASES.${KEY}.images.pullSecrets), got undefined`,
            ],
        },
        networkPolicies: {
            what: "its chart's NetworkPolicy switched off",
            parts: { ...complete, values: (c, section, entry) => withScheduling({ ...mirror(c), ...chartValues() }, entrySchedulingValues(entry, section)) },
            problems: [`${KEY}: networkPolicy.enabled is undefined, not false: the chart's own NetworkPolicy stays on (RELEASES.${KEY}.chartNetworkPolicies)`],
        },
        scheduling: {
            what: "the scheduling keys merged into its values",
            parts: { ...complete, values: (c) => ({ ...mirror(c), ...chartValues(), networkPolicy: { enabled: false } }) },
            problems: [
                `${KEY}: the values lack the section's scheduling keys (schedulingValues, merged in with withScheduling) at primary.nodeSelector, primary.tolerations, primary.affinity, primary.priorityClassName, primary.topologySpreadConstraints, primary.podLabels, primary.podAnnotations`,
            ],
        },
        secrets: {
            what: "the Secret it reads named in its values",
            parts: { ...complete, values: (c, section, entry) => ({ ...complete.values(c, section, entry), auth: { enabled: true } }) },
            problems: [`${KEY}: the Secret ${SECRET} it reads (RELEASE_BUILDERS.${KEY}.secrets) is named nowhere in its values`],
        },
        podSecurity: {
            what: "its pods' security contexts in the entry",
            parts: { ...complete, entry: { ...ENTRY, securityContexts: [] } },
            problems: [`${KEY}: RELEASES.${KEY}.securityContexts names no pod: nothing holds the chart's pods to Pod Security "restricted"`],
        },
        releaseName: {
            what: "a release name containing the chart's",
            parts: renamed("pulse-cache"),
            problems: [`${KEY}: release name pulse-cache does not contain the chart's name keycache: the chart would name its objects pulse-cache-keycache`],
        },
        ownMounts: {
            what: "its container's own mounts",
            parts: { ...complete, entry: { ...ENTRY, ownMounts: undefined } },
            problems: [
                `${KEY}: its scheduling block at "primary" takes extraVolumes, and RELEASES.${KEY}.ownMounts does not say where its container mounts its own volumes (an extra volume there would clash)`,
            ],
        },
        podLabels: {
            what: "pod labels naming its own chart and release (`pods` copied from NATS's entry)",
            parts: { ...complete, entry: { ...ENTRY, pods: RELEASES.nats.pods } },
            problems: [
                `${KEY}: RELEASES.${KEY}.pods has app.kubernetes.io/name=nats, not keycache: the label every pod of pulse-keycache carries`,
                `${KEY}: RELEASES.${KEY}.pods has app.kubernetes.io/instance=pulse-nats, not pulse-keycache: the label every pod of pulse-keycache carries`,
            ],
        },
        standIn: {
            what: "its stand-in chart",
            parts: { ...complete, standIns: withoutChart },
            problems: [
                `${KEY}: no stand-in chart ${path.relative(PROJECT_DIR, path.join(withoutChart, "keycache-3.0.9", "Chart.yaml"))} (chart keycache 3.0.9)`,
            ],
        },
        // Was its entry in test/fixtures/charts/inventory.yaml; the objects its chart renders are the entry's own now.
        renders: {
            what: "the objects its chart renders in the entry",
            parts: { ...complete, entry: { ...ENTRY, renders: [] } },
            problems: [`${KEY}: RELEASES.${KEY}.renders lists no objects (what its chart renders by default)`],
        },
    };

    it("is no release of the registry: the recipe adds it in memory", () => {
        expect(RELEASE_KEYS).not.to.include(KEY);
    });

    it("the complete release passes every check", () => {
        for (const check of CHECKS) expect(problems(complete, ci, check), check).to.deep.equal([]);
    });

    for (const check of CHECKS.filter((c): c is Exclude<Check, "section"> => c !== "section")) {
        it(`without ${LACKING[check].what}: the ${check} check names the release and the part, every other check passes`, () => {
            const { parts, problems: expected } = LACKING[check];
            expect(problems(parts, ci, check)).to.deep.equal(expected);
            for (const other of CHECKS.filter((c) => c !== check)) expect(problems(parts, ci, other), other).to.deep.equal([]);
        });
    }

    describe("its section: generated from the entry, nothing to add (the section check holds it)", () => {
        const section = entrySection(KEY, ENTRY);
        const json = z.toJSONSchema(section, { io: "input", unrepresentable: "any" }) as {
            description?: string;
            properties: Record<string, { description?: string }>;
        };

        it("has `enabled`, the placement keys and `extraVolumes` (a block takes them), the `chart` block with the entry's source", () => {
            expect(Object.keys(json.properties)).to.deep.equal([
                "enabled",
                "nodeSelector",
                "tolerations",
                "affinity",
                "priorityClassName",
                "topologySpreadConstraints",
                "podAnnotations",
                "podLabels",
                "extraVolumes",
                "chart",
            ]);
            const defaults = section.parse({}) as Record<string, unknown>;
            expect(defaults).to.deep.include({
                enabled: true,
                nodeSelector: {},
                tolerations: [],
                affinity: {},
                podAnnotations: {},
                podLabels: {},
                extraVolumes: [],
            });
            expect(defaults.chart).to.deep.include(ENTRY.source);
        });

        it("is worded from the entry: its description, what `enabled` installs, Bitnami's preset in `affinity`, its container in `extraVolumes`", () => {
            expect(json.description).to.equal(ENTRY.section.description);
            expect(json.properties.enabled.description).to.equal(ENTRY.section.install);
            expect(json.properties.affinity.description).to.equal(
                "Affinity as in the Kubernetes API for the primary; its pod anti-affinity terms are added to the chart's own (its soft spreading over hosts, which a plain `affinity` value would drop)",
            );
            expect(json.properties.extraVolumes.description).to.equal(
                "Existing Secrets or ConfigMaps mounted read-only into the Keycache container (e.g. a CA bundle)",
            );
        });

        it("refuses an extra volume at its container's own mounts, and `envFrom`, naming the key", () => {
            const issues = (input: unknown) => section.safeParse(input).error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
            expect(issues({ extraVolumes: [{ name: "x", secret: "s", mountPath: "/data" }] })).to.deep.equal(["extraVolumes.0.mountPath: is used twice"]);
            expect(issues({ envFrom: [{ secret: "s" }] })).to.have.length(1);
        });

        it("is what the root schema holds for an entry once it is in the registry (emqx, its own keys included)", () => {
            const asJson = (s: z.ZodType) => z.toJSONSchema(s, { io: "input", unrepresentable: "any" });
            expect(asJson(entrySection("emqx", RELEASES.emqx, RELEASE_OWN_KEYS.emqx))).to.deep.equal(asJson(pulseConfigSchema.shape.emqx));
        });
    });

    it("the Add a Helm release section of docs/development.md names each check's part and this test", () => {
        const doc = fs.readFileSync(path.join(PROJECT_DIR, "docs", "development.md"), "utf8");
        const start = doc.indexOf("## Add a Helm release");
        const section = doc.slice(start, doc.indexOf("\n## ", start + 1) === -1 ? undefined : doc.indexOf("\n## ", start + 1));
        for (const named of [...CHECKS.map((c) => RELEASE_CHECKS[c].named), "test/add-a-release.test.ts"]) expect(section, named).to.include(`\`${named}\``);
    });
});
