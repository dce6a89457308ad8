/**
 * The real-chart check's pieces that need no Helm (tools/charts.ts, tools/stacks.ts, tools/upstreamCharts.ts): which
 * stacks it covers, how it reads Helm's output, what it calls a collision or a Pod Security finding, and where the real
 * charts come from. The check itself runs with Helm: `npm run test:charts -- DIR`, and in the integration suite.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { parseStackConfig, RELEASE_KEYS } from "../config";
import { behaviourDifferences, programPaths, readBehaviour } from "../tools/chartBehaviour";
import { chartDirs, ChartsError, collisions, identity, manifestObjects, podSecurityFindings, STAND_IN_CHARTS } from "../tools/charts";
import { checkedStacks, mergeConfig, SUITE_OVERLAYS, withOverlay } from "../tools/stacks";
import { fetchChart, FetchError, UPSTREAM_CHARTS } from "../tools/upstreamCharts";
import { config } from "./helpers";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "pulse-charts-test-"));

describe("the real-chart check's pieces (tools/charts.ts, tools/stacks.ts, tools/upstreamCharts.ts)", () => {
    it("covers dev, prod, the CI fixture and the integration suite's overlays (prod with the devices' TLS listener)", () => {
        const stacks = checkedStacks();
        expect(stacks.map((s) => s.name)).to.deep.equal(["dev", "prod", "ci", "prod+integration"]);
        const prod = parseStackConfig(stacks.find((s) => s.name === "prod+integration")!.raw).config;
        expect(prod.emqx.deviceTls).to.deep.include({ serverCertSecret: "pulse-emqx-tls", deviceCaSecret: "pulse-device-ca" });
        // The overlay adds to the stack's own settings, it does not replace them.
        expect(prod.emqx.replicaCount).to.equal(3);
        expect(Object.keys(SUITE_OVERLAYS)).to.deep.equal(["dev", "prod"]);
    });

    it("merges overlays map by map; lists and scalars replace", () => {
        expect(mergeConfig({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, e: 2 })).to.deep.equal({ a: { b: 1, c: [3] }, d: 1, e: 2 });
        const raw = { values: { "pulse:emqx": '{"replicaCount":3}', "pulse:namespace": "x" }, secretKeys: new Set<string>() };
        expect(withOverlay(raw, { "pulse:emqx": { persistence: { size: "1Gi" } }, "pulse:namespace": "y" }).values).to.deep.equal({
            "pulse:emqx": '{"replicaCount":3,"persistence":{"size":"1Gi"}}',
            "pulse:namespace": "y",
        });
    });

    it("reads Helm's output: objects in the release's namespace unless they name one; comments and empty documents skipped", () => {
        const manifest =
            "---\n# Source: x\napiVersion: v1\nkind: Service\nmetadata:\n  name: a\n---\n---\nkind: ConfigMap\nmetadata: {name: b, namespace: other}\n";
        expect(manifestObjects(manifest, "pulse").map(identity)).to.deep.equal(["Service pulse/a", "ConfigMap other/b"]);
    });

    it("calls a collision only the same kind, namespace and name (the check can fail)", () => {
        const owned = new Map([[identity({ kind: "NetworkPolicy", metadata: { name: "pulse-postgresql", namespace: "pulse" } }), "the program"]]);
        const objects = [
            { kind: "NetworkPolicy", metadata: { name: "pulse-postgresql", namespace: "pulse" } },
            { kind: "NetworkPolicy", metadata: { name: "pulse-postgresql", namespace: "other" } },
            { kind: "ConfigMap", metadata: { name: "pulse-postgresql", namespace: "pulse" } },
        ];
        expect(collisions(owned, objects, "release pulse-postgresql")).to.deep.equal([
            "NetworkPolicy pulse/pulse-postgresql: release pulse-postgresql and the program both create it",
        ]);
    });

    it("reports every pod template of a rendered object that Pod Security 'restricted' refuses, naming the object", () => {
        const objects = manifestObjects(
            [
                "kind: StatefulSet\nmetadata: {name: db}\nspec:\n  template:\n    spec:\n      containers: [{name: db, securityContext: {runAsUser: 0}}]",
                "kind: Service\nmetadata: {name: db}",
            ].join("\n---\n"),
            "pulse",
        );
        const findings = podSecurityFindings(objects);
        expect(findings[0]).to.equal(
            'pod-security: StatefulSet pulse/db spec.template: allowPrivilegeEscalation: allowPrivilegeEscalation != false (container "db" must set securityContext.allowPrivilegeEscalation=false)',
        );
        expect(findings.map((f) => f.split(": ")[2])).to.deep.equal([
            "allowPrivilegeEscalation",
            "runAsNonRoot",
            "runAsUser",
            "seccompProfile",
            "capabilities",
        ]);
    });

    it("finds one chart per section in a directory, and refuses a directory without them", () => {
        const dirs = chartDirs(STAND_IN_CHARTS);
        expect(Object.keys(dirs).sort()).to.deep.equal([...RELEASE_KEYS].sort());
        expect(path.basename(dirs.emqx)).to.equal("emqx-5.8.9");
        const empty = tmp();
        expect(() => chartDirs(empty)).to.throw(ChartsError, /expected one postgresql chart/);
        for (const d of ["nats-1.2.11", "nats-1.2.10", "emqx", "postgresql-15.5.38.tgz"]) fs.mkdirSync(path.join(empty, d));
        expect(() => chartDirs(empty)).to.throw(ChartsError, /expected one nats chart .* found 2/);
    });

    it("extracts each real chart at the version the config pins, from the tag that names the pinned commit", () => {
        const pins = config();
        for (const section of RELEASE_KEYS) {
            expect(UPSTREAM_CHARTS[section].version, section).to.equal(pins[section].chart.version);
            expect(UPSTREAM_CHARTS[section].commit, section).to.match(/^[0-9a-f]{40}$/);
        }
    });

    it("refuses a tag that names another commit than the pinned one (a moved tag), and an unreachable repository", () => {
        const repo = tmp();
        const git = (...args: string[]) => execFileSync("git", ["-C", repo, ...args], { stdio: "pipe" });
        git("init", "--quiet");
        fs.mkdirSync(path.join(repo, "helm", "charts", "nats"), { recursive: true });
        fs.writeFileSync(path.join(repo, "helm", "charts", "nats", "Chart.yaml"), "name: nats\nversion: 1.2.11\n");
        git("add", ".");
        git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "x");
        git("tag", "nats-1.2.11");
        const out = tmp();
        expect(() => fetchChart("nats", out, { "nats-io/k8s": repo })).to.throw(
            FetchError,
            /tag nats-1.2.11 names commit [0-9a-f]{40}, not the pinned 1876e42b/,
        );
        expect(() => fetchChart("nats", out, { "nats-io/k8s": path.join(out, "no-such-repo") })).to.throw(FetchError, /cannot fetch tag nats-1.2.11/);
    });

    it("the record of how the real charts treat each value (behaviour.yaml) covers exactly the values the program sets now", () => {
        const recorded = readBehaviour();
        const now = programPaths();
        for (const chart of RELEASE_KEYS) {
            expect(Object.keys(recorded[chart] ?? {}).sort(), `${chart}: re-record with \`npm run test:charts -- <real charts> --record\``).to.deep.equal(
                now[chart],
            );
        }
        expect(now.emqx).to.include("emqxConfig.EMQX_LISTENERS__SSL__DEFAULT__SSL_OPTIONS__VERSIONS");
        expect(now.postgresql).to.include("replication.synchronousCommit");
    });

    it("tells each value a chart treats otherwise than recorded (the check can fail)", () => {
        const recorded = { emqx: { "image.tag": ["literal", "error"] as const, replicaCount: "changed" } };
        expect(behaviourDifferences(recorded, recorded)).to.deep.equal([]);
        expect(behaviourDifferences(recorded, { emqx: { "image.tag": ["literal", "literal"], extra: "changed" } })).to.deep.equal([
            'emqx extra: recorded "nothing", observed "changed"',
            'emqx image.tag: recorded ["literal","error"], observed ["literal","literal"]',
            'emqx replicaCount: recorded "changed", observed "nothing"',
        ]);
    });
});
