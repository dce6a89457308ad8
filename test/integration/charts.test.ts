/**
 * The charts through Helm alone (no cluster), before the suite deploys anything: the stand-ins (test/fixtures/charts)
 * always, and the real charts too when PULSE_IT_CHARTS names them.
 *   - `npm run test:charts` passes over the charts the suite installs: dev, prod, the CI fixture and the suite's
 *     overlays render with the program's values, every pod meets Pod Security "restricted", nothing collides, every
 *     object is in the inventory;
 *   - it fails on each kind of finding (a broken copy of the stand-ins);
 *   - every chart renders with its default values only objects the inventory lists.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { chartDirs, ChartsCheck, pinnedHelm, STAND_IN_CHARTS } from "../../tools/charts";
import { PROJECT_DIR } from "../../tools/stackfile";
import { checkedStacks } from "../../tools/stacks";
import { TOOLCHAIN_BIN, toolchainVar } from "../../tools/toolchain";
import { objectsOf, readInventory } from "../chart-inventory";

const tsx = path.join(PROJECT_DIR, "node_modules", ".bin", "tsx");

describe("the charts through Helm, with the program's values (stand-ins; real ones with PULSE_IT_CHARTS)", function () {
    let check: Omit<ChartsCheck, "charts">;
    const sets: [string, string][] = [
        ["stand-in", STAND_IN_CHARTS],
        ...(process.env.PULSE_IT_CHARTS ? [["real", process.env.PULSE_IT_CHARTS] as [string, string]] : []),
    ];

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
                    expect(run.stdout).to.include("dev: pulse-emqx: inventory: Pod pulse/bad-pod is not listed for pulse-emqx");
                });
            }

            it("every chart renders with its default values only objects the inventory lists", () => {
                const inventory = readInventory();
                for (const [section, chartDir] of Object.entries(chartDirs(dir))) {
                    const release = `pulse-${section}`;
                    const manifest = execFileSync(check.helm, ["template", release, chartDir, "--namespace", "pulse", "--skip-tests"], { encoding: "utf8" });
                    const rendered = objectsOf(manifest);
                    expect(rendered.length, release).to.be.greaterThan(3);
                    for (const o of rendered) expect(inventory[release], `${release} renders ${o}: add it to the inventory`).to.include(o);
                }
            });
        });
    }
});
