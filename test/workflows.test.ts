import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { expect } from "chai";
import { COMMENT_MARKER } from "../tools/renderDiff";
import { PROJECT_DIR } from "../tools/stackfile";

const WORKFLOWS = path.join(PROJECT_DIR, ".github", "workflows");
const ACTIONS = path.join(PROJECT_DIR, ".github", "actions");
const scripts = Object.keys(JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")).scripts);

interface Step {
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
}
interface Job {
    uses?: string;
    needs?: string | string[];
    env?: Record<string, unknown>;
    with?: Record<string, unknown>;
    steps?: Step[];
    strategy?: { matrix?: Record<string, unknown[]> };
}

/** Every file and npm script a workflow refers to, with where. */
function references(file: string): { kind: "npm" | "path" | "action" | "pack" | "stack" | "workdir"; value: string; where: string }[] {
    const doc = YAML.parse(fs.readFileSync(file, "utf8")) as { jobs: Record<string, Job> };
    const out: ReturnType<typeof references> = [];
    for (const [jobName, job] of Object.entries(doc.jobs)) {
        const where = `${path.basename(file)}:${jobName}`;
        if (job.uses?.startsWith("./")) out.push({ kind: "path", value: job.uses, where });
        const stacks = [job.with?.stack, ...(job.strategy?.matrix?.stack ?? [])].filter((s): s is string => typeof s === "string");
        for (const s of stacks) out.push({ kind: "stack", value: s, where });
        for (const step of job.steps ?? []) {
            if (step.uses?.startsWith("./")) out.push({ kind: "action", value: step.uses, where });
            for (const m of (step.run ?? "").matchAll(/npm run (?:-\S+\s+)*(\w[\w:-]*)/g)) out.push({ kind: "npm", value: m[1], where });
            if (/(^|\s)npm test\b/.test(step.run ?? "")) out.push({ kind: "npm", value: "test", where });
            for (const m of (step.run ?? "").matchAll(/bash (\S+\.sh)/g)) out.push({ kind: "path", value: m[1], where });
            if (typeof step.with?.policyPacks === "string") out.push({ kind: "pack", value: step.with.policyPacks, where });
            if (typeof step.with?.["work-dir"] === "string") out.push({ kind: "workdir", value: step.with["work-dir"], where });
            const stack = step.with?.["stack-name"];
            if (typeof stack === "string" && !stack.includes("${{")) out.push({ kind: "stack", value: stack, where });
        }
    }
    return out;
}

/**
 * Jobs that run the program with the Pulumi CLI (pulumi/actions) and let its runtime type-check it again: ts-node does
 * unless PULUMI_NODEJS_TRANSPILE_ONLY is "true" (@pulumi/pulumi cmd/run/run.js), which a cold cache makes the slowest
 * part of a preview. The checks job's `npm test` (tsc, strict) has type-checked the commit before.
 */
function typeCheckedTwice(doc: { jobs: Record<string, Job> }): string[] {
    return Object.entries(doc.jobs)
        .filter(([, job]) => (job.steps ?? []).some((s) => s.uses?.startsWith("pulumi/actions@")))
        .filter(([, job]) => job.env?.PULUMI_NODEJS_TRANSPILE_ONLY !== "true")
        .map(([name]) => name);
}

function missing(refs: ReturnType<typeof references>): string[] {
    return refs
        .filter((r) => {
            switch (r.kind) {
                case "npm":
                    return !scripts.includes(r.value);
                case "path":
                    return !fs.existsSync(path.join(PROJECT_DIR, r.value));
                case "action":
                    return !fs.existsSync(path.join(PROJECT_DIR, r.value, "action.yml"));
                case "pack":
                    return !fs.existsSync(path.join(PROJECT_DIR, r.value, "PulumiPolicy.yaml"));
                case "workdir":
                    return !fs.existsSync(path.join(PROJECT_DIR, r.value, "Pulumi.yaml"));
                case "stack":
                    return !fs.existsSync(path.join(PROJECT_DIR, `Pulumi.${r.value}.yaml`));
            }
        })
        .map((r) => `${r.where}: ${r.kind} ${r.value}`);
}

describe("GitHub workflows", () => {
    const files = fs.readdirSync(WORKFLOWS).filter((f) => f.endsWith(".yml"));

    it("exist for pull requests and deployments", () => {
        expect(files).to.include.members(["checks.yml", "pull-request.yml", "deploy.yml", "pulumi-up.yml"]);
    });

    for (const f of files) {
        it(`${f} refers only to scripts, files, stacks and the policy pack that exist`, () => {
            const refs = references(path.join(WORKFLOWS, f));
            expect(refs).not.to.be.empty;
            expect(missing(refs)).to.deep.equal([]);
        });
    }

    it("a reference to something missing is caught (the check can fail)", () => {
        const bad = missing([
            { kind: "npm", value: "no-such-script", where: "x" },
            { kind: "path", value: "scripts/nope.sh", where: "x" },
            { kind: "stack", value: "staging", where: "x" },
            { kind: "action", value: "./.github/actions/nope", where: "x" },
        ]);
        expect(bad).to.have.length(4);
    });

    it("previews both stacks with the policy pack and deploys prod only after dev", () => {
        const pr = fs.readFileSync(path.join(WORKFLOWS, "pull-request.yml"), "utf8");
        expect(pr)
            .to.match(/command: preview/)
            .and.match(/policyPacks: policy/)
            .and.match(/comment-on-pr: true/);
        const deploy = YAML.parse(fs.readFileSync(path.join(WORKFLOWS, "deploy.yml"), "utf8"));
        expect(deploy.jobs["up-prod"].needs).to.equal("up-dev");
        const up = YAML.parse(fs.readFileSync(path.join(WORKFLOWS, "pulumi-up.yml"), "utf8"));
        expect(up.jobs.up.environment).to.equal("${{ inputs.stack }}");
        expect(up.jobs.up.concurrency).to.deep.equal({ group: "pulumi-up-${{ inputs.stack }}", "cancel-in-progress": false });
    });

    it("run the program only after the checks type-checked it, and never have Pulumi's runtime type-check it again", () => {
        const doc = (f: string) => YAML.parse(fs.readFileSync(path.join(WORKFLOWS, f), "utf8")) as { jobs: Record<string, Job> };
        const [pr, deploy] = [doc("pull-request.yml"), doc("deploy.yml")];
        expect(pr.jobs.preview.needs).to.equal("checks");
        expect(deploy.jobs["up-dev"].needs).to.equal("checks");
        expect(deploy.jobs["up-dev"].uses).to.equal("./.github/workflows/pulumi-up.yml");
        for (const f of files) expect(typeCheckedTwice(doc(f)), f).to.deep.equal([]);
        // The check can fail: a job running pulumi/actions without the switch, or with it off, is named.
        const step = { uses: "pulumi/actions@v7" };
        const bad = {
            jobs: { a: { steps: [step] }, b: { env: { PULUMI_NODEJS_TRANSPILE_ONLY: "false" }, steps: [step] }, c: { steps: [{ run: "npm test" }] } },
        };
        expect(typeCheckedTwice(bad)).to.deep.equal(["a", "b"]);
    });

    it("the render diff of pull requests: commented with its marker, restores the toolchain without saving a partial one, may write to PRs only", () => {
        const wf = YAML.parse(fs.readFileSync(path.join(WORKFLOWS, "pull-request.yml"), "utf8"));
        const job = wf.jobs["render-diff"] as { permissions: unknown; steps: { uses?: string; run?: string; env?: Record<string, string> }[] };
        expect(job.permissions).to.deep.equal({ contents: "read", "pull-requests": "write" });
        expect(job.steps.map((s) => s.env?.MARKER).filter(Boolean)).to.deep.equal([COMMENT_MARKER]);
        expect(job.steps.some((s) => s.uses?.startsWith("actions/cache/restore@"))).to.equal(true);
        expect(job.steps.filter((s) => /^actions\/cache(\/save)?@/.test(s.uses ?? ""))).to.deep.equal([]);
        expect(job.steps.map((s) => s.run ?? "").join("\n"))
            .to.match(/--charts --charts-dir test\/fixtures\/charts/)
            .and.match(/npm run -s manifests:diff -- /);
    });

    it("pin every action to a version (no branches), in workflows and local actions", () => {
        const actionFiles = fs.readdirSync(ACTIONS).map((a) => path.join(ACTIONS, a, "action.yml"));
        for (const f of [...files.map((w) => path.join(WORKFLOWS, w)), ...actionFiles]) {
            for (const m of fs.readFileSync(f, "utf8").matchAll(/uses: ([^\s#]+)/g)) {
                if (m[1].startsWith("./")) continue;
                expect(m[1], `${f}: ${m[1]}`).to.match(/@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/);
            }
        }
    });

    it(".ci/run runs the README's test command, the linters and the integration suite, failing when its toolchain does not build", () => {
        const ci = fs.readFileSync(path.join(PROJECT_DIR, ".ci", "run"), "utf8");
        expect(ci)
            .to.match(/^npm ci\b/m)
            .and.match(/^npm test$/m)
            .and.match(/^npm run lint$/m)
            .and.match(/^npm run lint:k8s$/m)
            .and.match(/^npm run lint:workflows$/m);
        expect(ci).to.match(/^set -euo pipefail$/m);
        // Unconditional lines under `set -e`: a toolchain that fails to build fails the run, the suite always runs.
        expect(ci)
            .to.match(/^timeout \S+ bash scripts\/toolchain\.sh$/m)
            .and.match(/^npm run test:integration$/m);
        expect(ci).not.to.match(/\bif\b|\|\|/);
        expect(fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8")).to.include("npm ci && npm test");
    });
});
