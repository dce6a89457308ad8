/**
 * Issue 25: the diff of two renders as a pull-request comment (tools/renderDiff.ts): grouped by kind, workloads whose
 * pods roll named, bounded in size; and `npm run manifests:diff`'s bad input: exit 2 and one line, no stack trace.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { COMMENT_MARKER, diffRenders, markdownSummary, ObjectChange, podTemplateChanged } from "../tools/renderDiff";
import { runScript } from "./helpers";

const statefulSet = (cpu: string, replicas = 1) =>
    [
        "apiVersion: apps/v1",
        "kind: StatefulSet",
        "metadata:",
        "  name: pulse-postgresql",
        "  namespace: pulse",
        "spec:",
        `  replicas: ${replicas}`,
        "  template:",
        "    spec:",
        "      containers:",
        "        - name: postgresql",
        `          resources: { requests: { cpu: ${cpu} } }`,
        "",
    ].join("\n");
const object = (kind: string, name: string, body = "data: {}") => `apiVersion: v1\nkind: ${kind}\nmetadata:\n  name: ${name}\n  namespace: pulse\n${body}\n`;

const BASE = new Map([
    ["dev/charts/pulse-postgresql/pulse.statefulset.pulse-postgresql.yaml", statefulSet("100m")],
    ["dev/k8s/pulse.configmap.pulse-config.yaml", object("ConfigMap", "pulse-config", "data: { a: '1' }")],
    ["dev/k8s/pulse.service.gone.yaml", object("Service", "gone", "spec: {}")],
    ["dev/helm/pulse-postgresql.yaml", "name: pulse-postgresql\nvalues: { cpu: 100m }\n"],
    ["dev/outputs.yaml", "namespace: pulse\n"],
]);
const HEAD = new Map([
    ["dev/charts/pulse-postgresql/pulse.statefulset.pulse-postgresql.yaml", statefulSet("250m")],
    ["dev/k8s/pulse.configmap.pulse-config.yaml", object("ConfigMap", "pulse-config", "data: { a: '2' }")],
    ["dev/charts/pulse-emqx/pulse.configmap.pulse-emqx-env.yaml", object("ConfigMap", "pulse-emqx-env")],
    ["dev/helm/pulse-postgresql.yaml", "name: pulse-postgresql\nvalues: { cpu: 250m }\n"],
    ["dev/outputs.yaml", "namespace: pulse\n"],
]);

describe("render diff (issue 25)", () => {
    describe("grouping", () => {
        const changes = diffRenders(BASE, HEAD);
        const by = (kind: string) => changes.filter((c) => c.kind === kind).map((c) => `${c.status} ${c.title}`);

        it("groups the program's and the charts' objects by kind, Helm values after them, unchanged files left out", () => {
            expect(changes.map((c) => c.kind)).to.deep.equal(["ConfigMap", "ConfigMap", "Service", "StatefulSet", "Helm release (values)"]);
            expect(by("ConfigMap")).to.deep.equal(["changed dev pulse/pulse-config", "added dev pulse/pulse-emqx-env (chart of pulse-emqx)"]);
            expect(by("Service")).to.deep.equal(["removed dev pulse/gone"]);
            expect(by("StatefulSet")).to.deep.equal(["changed dev pulse/pulse-postgresql (chart of pulse-postgresql)"]);
            expect(by("Helm release (values)")).to.deep.equal(["changed dev pulse-postgresql"]);
        });

        it("gives each changed file its unified diff, and only those", () => {
            const sts = changes.find((c) => c.kind === "StatefulSet")!;
            expect(sts.patch).to.include("--- a/dev/charts/pulse-postgresql/pulse.statefulset.pulse-postgresql.yaml");
            expect(sts.patch).to.include("-          resources: { requests: { cpu: 100m } }\n+          resources: { requests: { cpu: 250m } }");
            expect(changes.filter((c) => c.status !== "changed").every((c) => c.patch === undefined)).to.equal(true);
        });

        it("names a workload whose pod template changed (its pods roll), and not one whose replicas alone changed", () => {
            expect(changes.filter((c) => c.rolls).map((c) => c.title)).to.deep.equal(["dev pulse/pulse-postgresql (chart of pulse-postgresql)"]);
            expect(podTemplateChanged(statefulSet("100m", 1), statefulSet("100m", 3))).to.equal(false);
            expect(podTemplateChanged(statefulSet("100m"), statefulSet("200m"))).to.equal(true);
        });

        it("finds nothing between identical renders", () => {
            expect(diffRenders(BASE, new Map(BASE))).to.deep.equal([]);
            expect(markdownSummary([])).to.include("No object changed");
        });

        it("a file that is not YAML is listed, not thrown on (bad input)", () => {
            const bad = diffRenders(new Map([["k8s/x.yaml", "kind: A\n"]]), new Map([["k8s/x.yaml", "kind: [unclosed\n"]]));
            expect(bad.map((c) => `${c.kind} ${c.status}`)).to.deep.equal(["(unreadable) changed"]);
        });
    });

    describe("the comment", () => {
        it("starts with the marker the workflow updates it by, then the counts per kind and the folded diffs", () => {
            const md = markdownSummary(diffRenders(BASE, HEAD), { base: "main", head: "the PR" });
            expect(md.split("\n")[0]).to.equal(COMMENT_MARKER);
            expect(md).to.include("### Rendered objects: main → the PR");
            expect(md).to.include("5 files: 3 changed, 1 added, 1 removed.");
            expect(md).to.include("| StatefulSet | 1 | 0 | 0 |").and.include("| ConfigMap | 1 | 1 | 0 |");
            expect(md).to.include("Pods roll: StatefulSet dev pulse/pulse-postgresql (chart of pulse-postgresql).");
            expect(md).to.match(
                /<details><summary>changed: dev pulse\/pulse-postgresql \(chart of pulse-postgresql\): pod template changed, its pods roll<\/summary>\n\n```diff\n/,
            );
            expect(md.indexOf("#### ConfigMap")).to.be.lessThan(md.indexOf("#### StatefulSet"));
            expect(md).not.to.include("Truncated");
        });

        it("stays within the size limit, says what it left out, and keeps every kind in the table", () => {
            const many: ObjectChange[] = Array.from({ length: 400 }, (_, i) => ({
                path: `k8s/pulse.configmap.c${i}.yaml`,
                kind: i % 2 ? "ConfigMap" : "Secret",
                title: `pulse/c${i}`,
                status: "changed",
                patch: `--- a/x\n+++ b/x\n@@ -1 +1 @@\n-${"a".repeat(300)}\n+${"b".repeat(300)}`,
            }));
            for (const max of [2000, 20000, 65536]) {
                const md = markdownSummary(many, { maxChars: max });
                expect(md.length, `maxChars ${max}`).to.be.at.most(max);
                expect(md).to.match(/\*\*Truncated\*\* to \d+ characters: /);
                expect(md).to.include("| ConfigMap | 200 | 0 | 0 |").and.include("| Secret | 200 | 0 | 0 |");
            }
        });

        it("stays within the limit when the workloads that roll or the kinds alone would pass it", () => {
            const rolling: ObjectChange[] = Array.from({ length: 300 }, (_, i) => ({
                path: `k8s/pulse.deployment.d${i}.yaml`,
                kind: `Kind${i % 60}`,
                title: `pulse/a-rather-long-deployment-name-${i}`,
                status: "changed",
                rolls: true,
                patch: "-a\n+b",
            }));
            for (const max of [1000, 4000]) {
                const md = markdownSummary(rolling, { maxChars: max });
                expect(md.length, `maxChars ${max}`).to.be.at.most(max);
                expect(md, `maxChars ${max}`).to.include("Truncated");
            }
            expect(markdownSummary(rolling, { maxChars: 20000 })).to.include("Pods roll: 300 workloads, marked below.");
        });

        it("fences a diff that holds ``` with a longer fence", () => {
            const md = markdownSummary([{ path: "k8s/a.yaml", kind: "ConfigMap", title: "a", status: "changed", patch: "-x ```\n+y ````" }]);
            expect(md).to.include("`````diff\n-x ```\n+y ````\n`````");
        });

        it("escapes HTML in names", () => {
            const md = markdownSummary([{ path: "helm/x.yaml", kind: "Helm release (values)", title: "<b>x</b>", status: "added" }]);
            expect(md).to.include("&lt;b&gt;x&lt;/b&gt;").and.not.include("<b>x</b>");
        });
    });

    describe("bad input: exit 2, the flag named, no stack trace", function () {
        this.timeout(60000);
        const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "pulse-diff-"));
        const expectUsage = (r: { code: number; stderr: string }, message: RegExp) => {
            expect(r.code, r.stderr).to.equal(2);
            expect(r.stderr.split("\n")[0]).to.match(message);
            expect(r.stderr).not.to.match(/\n\s+at /);
        };
        it("manifests:diff: a folder without a render, a bad --max-chars, one folder", async () => {
            const empty = tmp();
            const [noRender, badMax, oneArg] = await Promise.all([
                runScript("manifests-diff.ts", empty, empty),
                runScript("manifests-diff.ts", empty, empty, "--max-chars", "lots"),
                runScript("manifests-diff.ts", empty),
            ]);
            expectUsage(noRender, /^base .*: no render in it or its subfolders/);
            expectUsage(badMax, /^--max-chars lots: a whole number/);
            expectUsage(oneArg, /^usage: npm run -s manifests:diff/);
        });
    });
});
