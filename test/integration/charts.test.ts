/**
 * The charts through Helm alone (no cluster), before the suite deploys anything: the stand-ins (test/fixtures/charts)
 * always, and the real charts too when PULSE_IT_CHARTS names them.
 *   - `npm run test:charts` passes over the charts the suite installs: dev, prod, the CI fixture and the suite's
 *     overlays render with the program's values, every pod meets Pod Security "restricted", nothing collides, every
 *     object is in its registry entry's `renders`;
 *   - it fails on each kind of finding (a broken copy of the stand-ins);
 *   - every chart renders with its default values only objects its registry entry lists;
 *   - every value the program sets is treated as the real charts treat it (test/fixtures/charts/behaviour.yaml, recorded
 *     from the real charts by tools/chartBehaviour.ts): evaluated as a template or not, quoted or not, compared, ...;
 *   - the issue's cases, spelled out: each probe changes one of the program's values into one the real
 *     chart's template cannot carry (or evaluates as a template), and the chart must give the result written here, read
 *     from the real chart's templates. With PULSE_IT_CHARTS the probes run against the real charts too, which proves
 *     each expectation; CI, which cannot reach the real charts, holds the stand-ins to them.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { RELEASE_BUILDERS } from "../../components/releases";
import { parseStackConfig, PulseConfig, RELEASE_KEYS, RELEASES, ReleaseKey } from "../../config";
import { behaviourDifferences, observeBehaviour, readBehaviour } from "../../tools/chartBehaviour";
import { chartDirs, ChartsCheck, pinnedHelm, RenderedObject, STAND_IN_CHARTS, templateRelease } from "../../tools/charts";
import { PROJECT_DIR } from "../../tools/stackfile";
import { checkedStacks } from "../../tools/stacks";
import { TOOLCHAIN_BIN, toolchainVar } from "../../tools/toolchain";
import { objectsOf } from "../chart-inventory";
import { realChartsDir } from "./stack";

type Values = Record<string, any>;
const tsx = path.join(PROJECT_DIR, "node_modules", ".bin", "tsx");

/** The CI fixture: every option on (replication, device TLS, metrics, backups). */
const ci = (): PulseConfig => parseStackConfig(checkedStacks().find((s) => s.name === "ci")!.raw).config;

const find = (objects: readonly RenderedObject[], kind: string, name: string): Values => {
    const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
    if (!o) throw new Error(`no ${kind} ${name} among ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(", ")}`);
    return o;
};

interface Probe {
    readonly chart: ReleaseKey;
    /** What the real chart does with the changed value. */
    readonly what: string;
    readonly change: (values: Values) => void;
    /** Helm's error, or what the rendered objects hold. */
    readonly expect: { readonly error: RegExp } | { readonly read: (objects: readonly RenderedObject[]) => unknown; readonly equals: unknown };
}

const RELEASE_NAME = "{{ .Release.Name }}";
const PROBES: Probe[] = [
    {
        chart: "emqx",
        what: "a scalar emqxConfig value holding double quotes (the TLS versions of issue 21) breaks the ConfigMap's YAML",
        change: (v) => (v.emqxConfig.EMQX_LISTENERS__SSL__DEFAULT__SSL_OPTIONS__VERSIONS = '["tlsv1.3", "tlsv1.2"]'),
        expect: { error: /YAML parse error on emqx\/templates\/\S+\.yaml/ },
    },
    {
        chart: "emqx",
        what: "a list emqxConfig value is written as JSON",
        change: () => undefined,
        expect: {
            read: (o) => find(o, "ConfigMap", "pulse-emqx-env").data.EMQX_LISTENERS__SSL__DEFAULT__SSL_OPTIONS__VERSIONS,
            equals: '["tlsv1.3","tlsv1.2"]',
        },
    },
    {
        chart: "emqx",
        what: "a scalar emqxConfig value is evaluated as a template; false is left out; a key is upper-cased, . made __",
        change: (v) => Object.assign(v.emqxConfig, { EMQX_PROBE__A: RELEASE_NAME, EMQX_PROBE__B: false, "emqx.probe.c": "c" }),
        expect: {
            read: (o) => {
                const data = find(o, "ConfigMap", "pulse-emqx-env").data;
                return [data.EMQX_PROBE__A, data.EMQX_PROBE__B, data.EMQX_PROBE__C];
            },
            equals: ["pulse-emqx", undefined, "c"],
        },
    },
    {
        chart: "emqx",
        what: "the image is written inside double quotes, unescaped",
        change: (v) => (v.image.tag = 'x"y'),
        expect: { error: /YAML parse error on emqx\/templates\/\S+\.yaml/ },
    },
    {
        chart: "postgresql",
        what: 'replication.synchronousCommit is compared with the string "off": a boolean fails the template',
        change: (v) => (v.replication.synchronousCommit = true),
        expect: { error: /incompatible types for comparison/ },
    },
    {
        chart: "postgresql",
        what: "pod annotations, the backup command and the existing Secret's name are evaluated as templates",
        change: (v) => {
            v.primary.podAnnotations = { probe: RELEASE_NAME };
            v.backup.cronjob.command = ["echo", RELEASE_NAME];
            v.auth.existingSecret = `${RELEASE_NAME}-secret`;
        },
        expect: {
            read: (o) => {
                const primary = find(o, "StatefulSet", "pulse-postgresql-primary").spec.template;
                const backup = find(o, "CronJob", "pulse-postgresql-primary-pgdumpall").spec.jobTemplate.spec.template.spec.containers[0];
                const secret = primary.spec.containers[0].env.find((e: Values) => e.name === "POSTGRES_PASSWORD").valueFrom.secretKeyRef.name;
                return [primary.metadata.annotations.probe, backup.command, secret];
            },
            equals: ["pulse-postgresql", ["echo", "pulse-postgresql"], "pulse-postgresql-secret"],
        },
    },
    {
        chart: "nats",
        what: "the merge hooks and the JetStream claim's size are not evaluated as templates",
        change: (v) => {
            v.podTemplate.merge.metadata = { annotations: { probe: RELEASE_NAME } };
            v.config.jetstream.fileStore.pvc.size = RELEASE_NAME;
        },
        expect: {
            read: (o) => {
                const sts = find(o, "StatefulSet", "pulse-nats").spec;
                return [sts.template.metadata.annotations.probe, sts.volumeClaimTemplates[0].spec.resources.requests.storage];
            },
            equals: [RELEASE_NAME, RELEASE_NAME],
        },
    },
];

describe("the charts through Helm, with the program's values (stand-ins; real ones with PULSE_IT_CHARTS)", function () {
    let check: Omit<ChartsCheck, "charts">;
    const real = realChartsDir();
    const sets: [string, string][] = [["stand-in", STAND_IN_CHARTS], ...(real ? [["real", real] as [string, string]] : [])];

    before(() => {
        check = { helm: pinnedHelm(path.join(TOOLCHAIN_BIN, "helm"), toolchainVar("HELM_VERSION")), kubeVersion: toolchainVar("KUBERNETES_VERSION") };
    });

    for (const [kind, dir] of sets) {
        describe(`${kind} charts (${path.relative(PROJECT_DIR, dir) || dir})`, () => {
            it("npm run test:charts passes: dev, prod, the CI fixture and the suite's overlays render, meet Pod Security, collide with nothing", () => {
                const out = execFileSync(tsx, [path.join(PROJECT_DIR, "scripts", "test-charts.ts"), dir], {
                    encoding: "utf8",
                    stdio: ["ignore", "pipe", "pipe"],
                });
                const lines = out.trim().split("\n");
                expect(lines.map((l) => l.split(":")[0])).to.deep.equal(checkedStacks().map((s) => s.name));
                for (const l of lines) expect(l).to.match(/: ok$/);
            });

            if (kind === "stand-in") {
                it("npm run test:charts fails (exit 1) on a template error, a pod Pod Security refuses, a collision, an object not in the inventory", () => {
                    const bad = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-bad-charts-"));
                    for (const chart of Object.values(chartDirs(dir))) fs.cpSync(chart, path.join(bad, path.basename(chart)), { recursive: true });
                    const extra = (chart: string, file: string, text: string) => fs.writeFileSync(path.join(bad, chart, "templates", file), text);
                    extra("nats-1.2.11", "broken.yaml", "{{ .Values.no.such.value }}\n");
                    extra(
                        "emqx-5.8.9",
                        "bad.yaml",
                        "apiVersion: v1\nkind: Pod\nmetadata: {name: bad-pod}\nspec: {containers: [{name: c, image: busybox}]}\n---\n" +
                            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: pulse-default-deny}\nspec: {podSelector: {}}\n",
                    );
                    const run = spawnSync(tsx, [path.join(PROJECT_DIR, "scripts", "test-charts.ts"), bad, "--stack", "dev"], { encoding: "utf8" });
                    fs.rmSync(bad, { recursive: true, force: true });
                    expect(run.status, run.stderr).to.equal(1);
                    expect(run.stdout).to.match(/dev: pulse-nats: template: .*nil pointer evaluating interface \{\}\.such/);
                    expect(run.stdout).to.include(
                        'dev: pulse-emqx: pod-security: Pod pulse/bad-pod spec: allowPrivilegeEscalation: allowPrivilegeEscalation != false (container "c"',
                    );
                    expect(run.stdout).to.include(
                        "dev: pulse-emqx: collision: NetworkPolicy pulse/pulse-default-deny: release pulse-emqx and the program both create it",
                    );
                    expect(run.stdout).to.include("dev: pulse-emqx: inventory: Pod pulse/bad-pod is not listed for pulse-emqx in RELEASES.emqx.renders");
                });
            }

            it("every chart renders with its default values only objects its registry entry lists", () => {
                const charts = chartDirs(dir);
                for (const section of RELEASE_KEYS) {
                    const { releaseName: release, renders } = RELEASES[section];
                    const manifest = execFileSync(check.helm, ["template", release, charts[section], "--namespace", "pulse", "--skip-tests"], {
                        encoding: "utf8",
                    });
                    const rendered = objectsOf(manifest);
                    expect(rendered.length, release).to.be.greaterThan(3);
                    for (const o of rendered) expect(renders, `${release} renders ${o}: add it to RELEASES.${section}.renders`).to.include(o);
                }
            });

            it("treats every value the program sets as the real charts do (test/fixtures/charts/behaviour.yaml)", function () {
                this.timeout(30 * 60_000);
                expect(behaviourDifferences(readBehaviour(), observeBehaviour({ ...check, charts: chartDirs(dir) }))).to.deep.equal([]);
            });

            for (const probe of PROBES) {
                it(`${probe.chart}: ${probe.what}`, () => {
                    const release = RELEASES[probe.chart].releaseName;
                    const values = JSON.parse(JSON.stringify(RELEASE_BUILDERS[probe.chart].values(ci()))) as Values;
                    probe.change(values);
                    const charts = chartDirs(dir);
                    const result = templateRelease({ ...check, charts }, { name: release, namespace: "pulse", chart: probe.chart, version: "", values });
                    if ("error" in probe.expect) {
                        expect("error" in result ? result.error : "rendered without error").to.match(probe.expect.error);
                    } else {
                        expect("error" in result ? result.error : "").to.equal("");
                        if (!("error" in result)) expect(probe.expect.read(result.objects)).to.deep.equal(probe.expect.equals);
                    }
                });
            }
        });
    }
});
