/**
 * The integration suite's peer (test/fixtures/peer-chart, test/integration/peer.ts) without a cluster: it deploys every
 * workload the program does, with the stack's replicas and the program's own chart values, and its dependencies are
 * the charts the suite installs. And the ratios the suite reports (test/integration/timings.ts).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import * as YAML from "yaml";
import { postgresqlValues } from "../components/database";
import { natsValues } from "../components/nats";
import { componentOf, contractOf, RELEASE_KEYS, RELEASES, SERVICE_NAMES } from "../config";
import { chartDirs } from "../tools/charts";
import { assemblePeerChart, PEER_CHART, peerDeployments, peerValues } from "./integration/peer";
import { Timings } from "./integration/timings";
import { stackConfig } from "./helpers";

const template = (file: string) => path.join(PEER_CHART, "templates", file);

describe("the peer chart (integration suite)", () => {
    it("has a Deployment template per Pulse service of the registry, and a Service template exactly for those with a Service", () => {
        for (const key of SERVICE_NAMES) {
            const c = componentOf(key);
            expect(fs.readFileSync(template(`${c}-deployment.yaml`), "utf8"), key).to.include(`"key" "${key}"`);
            expect(fs.existsSync(template(`${c}-service.yaml`)), `${c}-service.yaml`).to.equal(contractOf(key).service);
        }
        for (const f of ["keycloak-deployment.yaml", "keycloak-service.yaml", "migrator-job.yaml", "nats-init-job.yaml", "db-setup-job.yaml", "ingress.yaml"]) {
            expect(fs.existsSync(template(f)), f).to.equal(true);
        }
    });

    it("as the suite assembles it: depends on every release's chart, each in its charts/ at that version, switched by its values", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-peer-"));
        try {
            const chart = assemblePeerChart(dir, chartDirs());
            const meta = YAML.parse(fs.readFileSync(path.join(chart, "Chart.yaml"), "utf8")) as {
                name: string;
                dependencies: { name: string; version: string; condition: string }[];
            };
            expect(meta.name).to.equal("pulse");
            expect(meta.dependencies.map((d) => d.name).sort()).to.deep.equal(RELEASE_KEYS.map((k) => RELEASES[k].chart).sort());
            const values = peerValues(stackConfig("prod")) as Record<string, any>;
            const copied = fs.readdirSync(path.join(chart, "charts"));
            for (const d of meta.dependencies) {
                const sub = copied.find((f) => f.startsWith(`${d.name}-`));
                expect(sub, `${d.name}: no chart in the peer's charts/ for its dependency`).not.to.equal(undefined);
                const subMeta = YAML.parse(fs.readFileSync(path.join(chart, "charts", sub!, "Chart.yaml"), "utf8")) as { name: string; version: string };
                expect([subMeta.name, String(subMeta.version)], `charts/${sub}`).to.deep.equal([d.name, d.version]);
                // Helm reads a subchart's values, and its condition, under the dependency's name.
                expect(d.condition).to.equal(`${d.name}.enabled`);
                expect(values[d.name]?.enabled, `peer values ${d.name}.enabled`).to.equal(true);
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("mirrors the stack: each workload's replicas and autoscaling, the program's values of the charts (their globals shared)", () => {
        const prod = stackConfig("prod");
        const values = peerValues(prod) as Record<string, any>;
        for (const key of SERVICE_NAMES) {
            expect(values[key].replicaCount, key).to.equal(prod[key].replicaCount);
            expect(values[key].autoscaling, key).to.deep.equal(prod[key].autoscaling);
        }
        expect(values.ingest.autoscaling.enabled).to.equal(true);
        expect(values.keycloak.replicaCount).to.equal(prod.keycloak.replicaCount);
        const { global: natsGlobal, ...nats } = natsValues(prod.nats, prod.global);
        expect(values.nats).to.deep.equal({ ...nats, enabled: true });
        const { global: pgGlobal, ...pg } = postgresqlValues(prod.postgresql, prod.global, ["iotcloud", "keycloak"], prod.postgresql.auth.existingSecret);
        expect(values.postgresql).to.deep.equal({ ...pg, enabled: true });
        expect(values.global).to.deep.equal({ ...(natsGlobal as object), ...(pgGlobal as object) });
        expect(values.emqx.replicaCount).to.equal(3);
        expect(peerDeployments(prod)).to.include.members(["Deployment/pulse-ingest", "Deployment/pulse-keycloak"]);
    });
});

describe("integration timings: ratios", () => {
    it("divides the two recorded timings, says whether the goal is met, and leaves out a ratio missing a timing", () => {
        const t = new Timings();
        t.record("prod", "up (first)", 13_000);
        t.record("peer chart", "helm install --wait", 6_500);
        t.record("prod", "up (no changes)", 4_000);
        t.record("empty program", "up", 2_500);
        const ratios = t.ratios([
            { name: "first", of: ["prod", "up (first)"], over: ["peer chart", "helm install --wait"], goal: 2 },
            { name: "no-op", of: ["prod", "up (no changes)"], over: ["empty program", "up"], goal: 1.3 },
            { name: "preview", of: ["prod", "preview (no changes)"], over: ["empty program", "preview"], goal: 2 },
        ]);
        expect(ratios).to.deep.equal([
            { name: "first", ratio: 2, goal: 2, met: true },
            { name: "no-op", ratio: 1.6, goal: 1.3, met: false },
        ]);
        expect(t.table(ratios)).to.include("no-op: 1.60× (goal ≤ 1.3×: not met)");
    });
});

describe("integration timings: CPU", () => {
    it("records the CPU an operation spent in this process and in the child processes it waited for", async () => {
        const t = new Timings();
        await t.time("probe", "busy", () => {
            const until = process.cpuUsage().user + 60_000;
            while (process.cpuUsage().user < until) Math.sqrt(Math.random());
            execFileSync(process.execPath, ["-e", "const u = process.cpuUsage().user + 60000; while (process.cpuUsage().user < u) Math.sqrt(Math.random());"]);
            return Promise.resolve();
        });
        const [entry] = t.entries;
        expect(entry.cpu?.program, "this process").to.be.at.least(50);
        expect(entry.cpu?.cli, "the child").to.be.at.least(50);
        expect(t.table()).to.match(/CPU: 0\.\d s this process, 0\.\d s CLI and plugins/);
    });
});
