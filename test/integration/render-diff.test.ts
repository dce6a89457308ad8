/**
 * Issue 25, with Helm alone (no cluster): the render with the charts' objects (`npm run manifests -- <stack> --out DIR
 * --charts`) through the stand-in charts and the toolchain's Helm, and the diff a pull request is commented with
 * (`npm run manifests:diff`):
 *   - a values change the program passes a chart (dev: PostgreSQL's resources; prod: NATS's) shows up as a change of
 *     the chart's StatefulSet, whose pods roll, next to the release's values; the render without --charts shows only the values;
 *   - the same input renders byte for byte the same, so the diff of identical inputs is empty, even through a chart
 *     that generates values with randAlphaNum (written `<generated>`, a Secret's values `<redacted>`);
 *   - the chart files are the render's own: listed in .pulse-render.json, removed by the next render without --charts.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { expect } from "chai";
import * as YAML from "yaml";
import { RELEASE_KEYS, RELEASES } from "../../config";
import { GENERATED } from "../../tools/chartRender";
import { chartDirs, STAND_IN_CHARTS } from "../../tools/charts";
import { OUT_MANIFEST } from "../../tools/cli";
import { REDACTED } from "../../tools/render";
import { PROJECT_DIR } from "../../tools/stackfile";

const run = promisify(execFile);
const tsx = path.join(PROJECT_DIR, "node_modules", ".bin", "tsx");
const STS = "charts/pulse-postgresql/pulse.statefulset.pulse-postgresql.yaml";

async function npmScript(script: string, ...args: string[]): Promise<string> {
    const { stdout } = await run(tsx, [path.join(PROJECT_DIR, "scripts", script), ...args], { cwd: PROJECT_DIR, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
}
const render = (stackFile: string, out: string, ...flags: string[]) => npmScript("manifests.ts", "--config", stackFile, "--out", out, ...flags);
const withCharts = (charts = STAND_IN_CHARTS) => ["--charts", "--charts-dir", charts];
const diff = (base: string, head: string) => npmScript("manifests-diff.ts", base, head);
const listed = (dir: string): string[] => JSON.parse(fs.readFileSync(path.join(dir, OUT_MANIFEST), "utf8")) as string[];

describe("the render with the charts' objects, and the diff of two renders (issue 25; Helm alone)", function () {
    let tmp: string;
    let base: string;
    let head: string;

    before(async function () {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-render-diff-"));
        const dev = YAML.parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, any> };
        fs.mkdirSync(path.join(tmp, "base-stack"));
        fs.mkdirSync(path.join(tmp, "head-stack"));
        fs.writeFileSync(path.join(tmp, "base-stack", "Pulumi.dev.yaml"), YAML.stringify(dev));
        // The change under review: PostgreSQL's CPU and memory requests, which the program passes the chart as values.
        dev.config["pulse:postgresql"].resources.requests = { cpu: "250m", memory: "512Mi" };
        fs.writeFileSync(path.join(tmp, "head-stack", "Pulumi.dev.yaml"), YAML.stringify(dev));
        // And prod (a template: placeholder secrets), whose change is NATS's CPU request: one render per stack, as the
        // pull-request workflow compares them.
        const prod = YAML.parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.prod.yaml"), "utf8")) as { config: Record<string, any> };
        fs.writeFileSync(path.join(tmp, "base-stack", "Pulumi.prod.yaml"), YAML.stringify(prod));
        prod.config["pulse:nats"].resources.requests.cpu = "750m";
        fs.writeFileSync(path.join(tmp, "head-stack", "Pulumi.prod.yaml"), YAML.stringify(prod));
        base = path.join(tmp, "base", "dev");
        head = path.join(tmp, "head", "dev");
        await Promise.all([
            render(path.join(tmp, "base-stack", "Pulumi.dev.yaml"), base, ...withCharts()),
            render(path.join(tmp, "head-stack", "Pulumi.dev.yaml"), head, ...withCharts()),
        ]);
        await Promise.all([
            render(path.join(tmp, "base-stack", "Pulumi.prod.yaml"), path.join(tmp, "base", "prod"), "--placeholder-secrets", ...withCharts()),
            render(path.join(tmp, "head-stack", "Pulumi.prod.yaml"), path.join(tmp, "head", "prod"), "--placeholder-secrets", ...withCharts()),
        ]);
    });
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("writes every chart object as charts/<release>/<namespace>.<kind>.<name>.yaml and lists them in the render's manifest", () => {
        const files = listed(base);
        for (const release of RELEASE_KEYS.map((k) => RELEASES[k].releaseName)) {
            expect(files.filter((f) => f.startsWith(`charts/${release}/`)).length, release).to.be.greaterThan(0);
        }
        for (const f of files) expect(fs.existsSync(path.join(base, f)), f).to.equal(true);
        expect(files).to.include(STS);
        expect(YAML.parse(fs.readFileSync(path.join(base, STS), "utf8"))).to.deep.include({ kind: "StatefulSet" });
    });

    it("a values change shows up as a change of the chart's StatefulSet, whose pods roll", async () => {
        const md = await diff(path.dirname(base), path.dirname(head));
        expect(md).to.include("| StatefulSet | 2 | 0 | 0 |");
        expect(md).to.include(
            "Pods roll: StatefulSet dev pulse/pulse-postgresql (chart of pulse-postgresql), StatefulSet prod pulse/pulse-nats (chart of pulse-nats).",
        );
        expect(md)
            .to.match(/^-\s+cpu: 500m$/m)
            .and.match(/^\+\s+cpu: 750m$/m);
        expect(md).to.include(`--- a/dev/${STS}`);
        expect(md)
            .to.match(/^-\s+cpu: 100m$/m)
            .and.match(/^\+\s+cpu: 250m$/m);
        expect(md).to.include("changed: dev pulse-postgresql"); // the release's values, helm/pulse-postgresql.yaml
    });

    it("without --charts the same change shows only the release's values (what the feature adds)", async () => {
        const [b, h] = [path.join(tmp, "plain-base"), path.join(tmp, "plain-head")];
        await Promise.all([render(path.join(tmp, "base-stack", "Pulumi.dev.yaml"), b), render(path.join(tmp, "head-stack", "Pulumi.dev.yaml"), h)]);
        const md = await diff(b, h);
        expect(md).to.include("changed: pulse-postgresql");
        expect(md).not.to.include("StatefulSet");
    });

    it("identical inputs give identical files and an empty diff, even through a chart that generates random values", async () => {
        // The stand-ins plus a template of the kind real charts have: a password and a token from randAlphaNum.
        const charts = path.join(tmp, "random-charts");
        for (const chart of Object.values(chartDirs(STAND_IN_CHARTS))) fs.cpSync(chart, path.join(charts, path.basename(chart)), { recursive: true });
        fs.writeFileSync(
            path.join(charts, "postgresql-15.5.38", "templates", "random.yaml"),
            [
                "apiVersion: v1",
                "kind: Secret",
                "metadata: { name: {{ .Release.Name }}-generated }",
                "data: { password: {{ randAlphaNum 16 | b64enc | quote }} }",
                "---",
                "apiVersion: v1",
                "kind: ConfigMap",
                "metadata: { name: {{ .Release.Name }}-generated, annotations: { token: {{ randAlphaNum 16 | quote }} } }",
                "data: { fixed: a }",
                "",
            ].join("\n"),
        );
        const stack = path.join(tmp, "base-stack", "Pulumi.dev.yaml");
        const [one, two] = [path.join(tmp, "random-1"), path.join(tmp, "random-2")];
        await Promise.all([render(stack, one, ...withCharts(charts)), render(stack, two, ...withCharts(charts))]);
        expect(listed(two)).to.deep.equal(listed(one));
        for (const f of listed(one)) expect(fs.readFileSync(path.join(two, f), "utf8"), f).to.equal(fs.readFileSync(path.join(one, f), "utf8"));
        const cm = YAML.parse(fs.readFileSync(path.join(one, "charts/pulse-postgresql/pulse.configmap.pulse-postgresql-generated.yaml"), "utf8"));
        expect(cm.metadata.annotations.token).to.equal(GENERATED);
        expect(cm.data).to.deep.equal({ fixed: "a" });
        const secret = YAML.parse(fs.readFileSync(path.join(one, "charts/pulse-postgresql/pulse.secret.pulse-postgresql-generated.yaml"), "utf8"));
        expect(secret.data).to.deep.equal({ password: REDACTED });
        expect(await diff(one, two)).to.include("No object changed: the two renders are identical.");
    });

    it("the next render without --charts removes the chart files (they are the render's own), and nothing else", async () => {
        const dir = path.join(tmp, "again");
        fs.cpSync(base, dir, { recursive: true });
        fs.writeFileSync(path.join(dir, "charts", "notes.txt"), "mine");
        await render(path.join(tmp, "base-stack", "Pulumi.dev.yaml"), dir);
        expect(listed(dir).filter((f) => f.startsWith("charts/"))).to.deep.equal([]);
        expect(fs.readdirSync(path.join(dir, "charts"))).to.deep.equal(["notes.txt"]);
    });
});
