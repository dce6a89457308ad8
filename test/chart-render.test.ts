/**
 * Issue 25: the charts' objects in the render (tools/chartRender.ts), deterministic: Secrets' values redacted, values
 * the chart generates written `<generated>`; and `npm run manifests -- --charts ...`'s bad input: exit 2 and one line
 * naming the flag, no stack trace. Rendering through Helm is the integration suite's (test/integration/render-diff.test.ts).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { GENERATED, redactChartSecret, stabilise } from "../tools/chartRender";
import { RenderedObject } from "../tools/charts";
import { REDACTED } from "../tools/render";
import { runScript } from "./helpers";

const manifestsCli = (...args: string[]) => runScript("manifests.ts", ...args);

describe("the charts' objects in the render (issue 25)", () => {
    describe("the charts' objects, deterministic", () => {
        it("redacts every value of a chart's Secret, keeping its keys", () => {
            const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, data: { a: "eA==" }, stringData: { b: "y" } } as RenderedObject;
            expect(redactChartSecret(secret)).to.deep.include({ data: { a: REDACTED }, stringData: { b: REDACTED } });
            const cm = { kind: "ConfigMap", metadata: { name: "c" }, data: { a: "x" } } as RenderedObject;
            expect(redactChartSecret(cm)).to.equal(cm);
        });
        it("writes a value that differs between two renders (randAlphaNum) as generated", () => {
            const a = { metadata: { name: "x", annotations: { "checksum/secret": "1a2b" } }, spec: { list: [1, "r1"], same: [1, 2] } };
            const b = { metadata: { name: "x", annotations: { "checksum/secret": "9f8e" } }, spec: { list: [1, "r2"], same: [1, 2] } };
            expect(stabilise(a, b)).to.deep.equal({
                metadata: { name: "x", annotations: { "checksum/secret": GENERATED } },
                spec: { list: [1, GENERATED], same: [1, 2] },
            });
            expect(stabilise(a, structuredClone(a))).to.deep.equal(a);
        });
    });

    describe("bad input: exit 2, the flag named, no stack trace", function () {
        this.timeout(60000);
        const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "pulse-charts-cli-"));
        const expectUsage = (r: { code: number; stderr: string }, message: RegExp) => {
            expect(r.code, r.stderr).to.equal(2);
            // The whole first line as the message: chai would cut it short (a stand-in chart missing shows here first).
            expect(r.stderr.split("\n")[0], r.stderr.split("\n")[0]).to.match(message);
            expect(r.stderr).not.to.match(/\n\s+at /);
        };
        it("manifests: --charts without --out, --helm without --charts, a missing chart folder, a missing Helm", async () => {
            const out = path.join(tmp(), "out");
            const [noOut, helmAlone, noCharts, noHelm] = await Promise.all([
                manifestsCli("dev", "--charts"),
                manifestsCli("dev", "--out", out, "--helm", "/usr/bin/helm"),
                manifestsCli("dev", "--out", out, "--charts", "--charts-dir", path.join(out, "nope")),
                manifestsCli("dev", "--out", out, "--charts", "--charts-dir", "test/fixtures/charts", "--helm", path.join(out, "no-helm")),
            ]);
            expectUsage(noOut, /^--charts writes .* add --out <dir>$/);
            expectUsage(helmAlone, /^--helm goes with --charts$/);
            expectUsage(noCharts, /^--charts: no chart folder .*npm run charts:fetch/);
            expectUsage(noHelm, /^--helm: no .*no-helm: build it with `npm run toolchain`.*or pass --helm <path>/);
            expect(fs.existsSync(out)).to.equal(false);
        });
    });
});
