import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { expect } from "chai";
import { RecordedResource } from "../tools/mocks";
import { manifestOf, REDACTED, renderFiles } from "../tools/render";
import { PROJECT_DIR, SECRET_PLACEHOLDER } from "../tools/stackfile";
import { CI_STACK_FILE, renderStack } from "./helpers";

const run = promisify(execFile);
const TSX = path.join(PROJECT_DIR, "node_modules", ".bin", "tsx");
const SCRIPT = path.join(PROJECT_DIR, "scripts", "manifests.ts");

async function manifestsCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
        const { stdout, stderr } = await run(TSX, [SCRIPT, ...args], { cwd: PROJECT_DIR });
        return { code: 0, stdout, stderr };
    } catch (e) {
        const err = e as { code: number; stdout: string; stderr: string };
        return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
}

function readTree(dir: string): Record<string, string> {
    const out: Record<string, string> = {};
    const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, e.name);
            if (e.isDirectory()) walk(p);
            else out[path.relative(dir, p)] = fs.readFileSync(p, "utf8");
        }
    };
    walk(dir);
    return out;
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "pulse-render-"));

/** A value as the SDK serializes a secret. */
const secretMarker = (value: unknown) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });

/** A recorded custom resource with these type, name and inputs. */
const recorded = (type: string, name: string, inputs: Record<string, unknown>): RecordedResource => ({
    type,
    name,
    urn: `urn:${name}`,
    custom: true,
    parent: "",
    dependencies: [],
    protect: false,
    retainOnDelete: false,
    aliases: [],
    inputs,
});

describe("offline render", () => {
    it("is deterministic: the same stack renders byte-identical files", async () => {
        const a = renderFiles(await renderStack(CI_STACK_FILE));
        const b = renderFiles(await renderStack(CI_STACK_FILE));
        expect(a.length).to.be.greaterThan(1);
        expect(a).to.deep.equal(b);
    });

    it("never writes a secret value: marked secrets and every Secret's data are redacted", () => {
        const secret = recorded("kubernetes:core/v1:Secret", "db", {
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: "pulse-db-secret", namespace: "pulse" },
            stringData: { password: "plain-under-mocks", url: "postgresql://iot:plain@h/db" },
        });
        const cm = recorded("kubernetes:core/v1:ConfigMap", "db", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" }, data: secretMarker("hunter2") });
        const s = manifestOf(secret);
        expect(s.stringData).to.deep.equal({ password: REDACTED, url: REDACTED });
        expect(manifestOf(cm).data).to.equal(REDACTED);
        const files = renderFiles({ resources: [secret, cm], outputs: {} });
        const all = files.map((f) => f.content).join("\n");
        expect(all).not.to.match(/hunter2|plain-under-mocks|iot:plain/);
    });

    it("shows a private chart repository's settings, with its password redacted", () => {
        const release = recorded("kubernetes:helm.sh/v3:Release", "nats", {
            name: "pulse-nats",
            chart: "nats",
            version: "1.2.11",
            repositoryOpts: secretMarker({ repo: "https://charts.example.com", username: "robot", password: "hunter2", caFile: "ca.pem" }),
            values: {},
        });
        const file = renderFiles({ resources: [release], outputs: {} }).find((f) => f.path === "helm/pulse-nats.yaml")!;
        expect(file.content).not.to.include("hunter2");
        expect(file.content).to.include("repository: https://charts.example.com");
        expect(file.content).to.match(/repositoryAccess:\n  username: robot\n  password: <redacted>\n  caFile: ca.pem/);
    });

    describe("npm run manifests", function () {
        this.timeout(60000);

        for (const stack of ["dev", "prod"]) {
            it(`-- ${stack} --out DIR writes the objects, twice byte-identically`, async () => {
                const [one, two] = [tmp(), tmp()];
                // prod is a template: its production secrets are not in the file.
                const template = stack === "prod" ? ["--placeholder-secrets"] : [];
                const first = await manifestsCli(stack, "--out", one, ...template);
                expect(first.code, first.stderr).to.equal(0);
                const second = await manifestsCli(stack, "--out", two, ...template);
                expect(second.code, second.stderr).to.equal(0);
                const tree = readTree(one);
                expect(Object.keys(tree)).to.include("k8s/_cluster.namespace.pulse.yaml");
                expect(tree).to.deep.equal(readTree(two));
            });
        }

        it("-- <stack> prints the objects as one multi-document stream", async () => {
            const r = await manifestsCli("dev");
            expect(r.code, r.stderr).to.equal(0);
            expect(r.stdout).to.match(/^---\napiVersion: v1\nkind: Namespace\n/);
        });

        it("--config <file> exits 2 on bad config, naming every bad key on stderr", async () => {
            const dir = tmp();
            const bad = path.join(dir, "Pulumi.bad.yaml");
            fs.writeFileSync(bad, "config:\n  pulse:ingest:\n    replicaCount: -1\n  pulse:keycloak:\n    replicaCout: 1\n");
            const r = await manifestsCli("--config", bad, "--out", path.join(dir, "out"));
            expect(r.code).to.equal(2);
            expect(r.stderr).to.include("pulse:ingest.replicaCount: must be an integer >= 0, got -1");
            expect(r.stderr).to.include('pulse:keycloak.replicaCout: unknown key (did you mean "replicaCount"?)');
            expect(fs.existsSync(path.join(dir, "out"))).to.equal(false);
        });

        it("renders encrypted stack values without their ciphertext or placeholder leaking", async () => {
            const out = tmp();
            const r = await manifestsCli("--config", CI_STACK_FILE, "--out", out);
            expect(r.code, r.stderr).to.equal(0);
            const all = Object.values(readTree(out)).join("\n");
            expect(all).not.to.include("offline-test-ciphertext");
            expect(all).not.to.include(SECRET_PLACEHOLDER);
        });
    });
});
