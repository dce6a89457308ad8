import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { RecordedResource } from "../tools/mocks";
import { ConfigError, parseStackConfig } from "../config";
import { manifestOf, REDACTED, renderFiles, renderStream } from "../tools/render";
import { OUT_MANIFEST } from "../tools/cli";
import { readStackFile, SECRET_PLACEHOLDER } from "../tools/stackfile";
import { CI_STACK_FILE, recorded, renderStack, runScript } from "./helpers";

const manifestsCli = (...args: string[]) => runScript("manifests.ts", ...args);

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
const recordedWith = (type: string, name: string, inputs: Record<string, unknown>): RecordedResource => recorded({ type, name, inputs });

describe("offline render", () => {
    it("is deterministic: the same stack renders byte-identical files", async () => {
        const a = renderFiles(await renderStack(CI_STACK_FILE));
        const b = renderFiles(await renderStack(CI_STACK_FILE, true));
        expect(a.length).to.be.greaterThan(1);
        expect(a).to.deep.equal(b);
    });

    it("never writes a secret value: marked secrets and every Secret's data are redacted", () => {
        const secret = recordedWith("kubernetes:core/v1:Secret", "db", {
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: "pulse-db-secret", namespace: "pulse" },
            stringData: { password: "plain-under-mocks", url: "postgresql://iot:plain@h/db" },
        });
        const cm = recordedWith("kubernetes:core/v1:ConfigMap", "db", {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "x" },
            data: secretMarker("hunter2"),
        });
        const s = manifestOf(secret);
        expect(s.stringData).to.deep.equal({ password: REDACTED, url: REDACTED });
        expect(manifestOf(cm).data).to.equal(REDACTED);
        const files = renderFiles({ resources: [secret, cm], outputs: {} });
        const all = files.map((f) => f.content).join("\n");
        expect(all).not.to.match(/hunter2|plain-under-mocks|iot:plain/);
    });

    it("shows a private chart repository's settings, with its password redacted", () => {
        const release = recordedWith("kubernetes:helm.sh/v3:Release", "nats", {
            name: "pulse-nats",
            chart: "nats",
            version: "1.2.11",
            repositoryOpts: secretMarker({ repo: "https://charts.example.com", username: "robot", password: "hunter2", caFile: "ca.pem" }),
            values: {},
        });
        const file = renderFiles({ resources: [release], outputs: {} }).find((f) => f.path === "helm/pulse-nats.yaml")!;
        expect(file.content).not.to.include("hunter2");
        expect(file.content).to.include("repository: https://charts.example.com");
        expect(file.content).to.match(/repositoryAccess:\n {2}username: robot\n {2}password: <redacted>\n {2}caFile: ca.pem/);
    });

    it("renders encrypted stack values without their ciphertext or placeholder leaking", async () => {
        const all = renderFiles(await renderStack(CI_STACK_FILE))
            .map((f) => f.content)
            .join("\n");
        expect(all).not.to.include("offline-test-ciphertext");
        expect(all).not.to.include(SECRET_PLACEHOLDER);
    });

    it("prints the objects as one multi-document stream", async () => {
        expect(renderStream(await renderStack("dev"))).to.match(/^---\napiVersion: v1\nkind: Namespace\n/);
    });

    describe("stack files the Pulumi CLI would refuse or misread: a ConfigError naming the file, line and key", () => {
        const problemsOf = (text: string): string[] => {
            const file = path.join(tmp(), "Pulumi.bad.yaml");
            fs.writeFileSync(file, text);
            try {
                readStackFile(file);
            } catch (e) {
                expect(e).to.be.instanceOf(ConfigError);
                return [...(e as ConfigError).problems];
            }
            return [];
        };
        const cases: [string, string, RegExp][] = [
            [
                "a duplicate key",
                "config:\n  pulse:namespace: a\n  pulse:namespace: b\n",
                /^Pulumi.bad.yaml line 3, column 3: Map keys must be unique \(key `pulse:namespace`\)$/,
            ],
            [
                "a duplicate key holding a plain-text secret: the key named, the value never shown",
                "config:\n  pulse:dbPassword: hunter2\n  pulse:dbPassword: hunter3\n",
                /^Pulumi.bad.yaml line 3, column 3: Map keys must be unique \(key `pulse:dbPassword`\)$/,
            ],
            ["a tab as indentation", "config:\n\tpulse:namespace: a\n", /^Pulumi.bad.yaml line 2, column 1: Tabs are not allowed as indentation/],
            ["a syntax error", "config:\n  pulse:ingest: {replicaCount: 2\n", /^Pulumi.bad.yaml line \d+, column \d+: Flow map/],
            [
                "settings without a `config:` root",
                "pulse:namespace: foo\n",
                /^Pulumi.bad.yaml: pulse:namespace: is not a stack file key; settings go under `config:`/,
            ],
            ["a list as the document", "- config\n", /^Pulumi.bad.yaml: must be a map with a `config:` key, got a list$/],
            ["`config:` that is not a map", "config: pulse\n", /^Pulumi.bad.yaml: config: must be a map/],
        ];
        for (const [what, text, expected] of cases) {
            it(what, () => {
                const found = problemsOf(text);
                expect(found).to.have.length(1);
                expect(found[0]).to.match(expected);
            });
        }

        it("a nested `pulse:` map holding an encrypted value: still the nested-map hint", () => {
            const file = path.join(tmp(), "Pulumi.nested.yaml");
            fs.writeFileSync(file, "config:\n  pulse:\n    dbPassword:\n      secure: v1:abc\n");
            expect(() => parseStackConfig(readStackFile(file))).to.throw(/pulse:pulse: unknown key: a nested `pulse:` map/);
        });

        it("a nested `pulse:` map: the project's namespace, as the CLI reads it, then an unknown key", () => {
            const file = path.join(tmp(), "Pulumi.nested.yaml");
            fs.writeFileSync(file, "config:\n  pulse:\n    namespace: foo\n");
            const raw = readStackFile(file);
            expect(raw.values["pulse:pulse"]).to.equal('{"namespace":"foo"}');
            expect(() => parseStackConfig(raw)).to.throw(/pulse:pulse: unknown key: a nested `pulse:` map; write each setting as its own `pulse:<key>` key/);
        });

        it("a file with only its encryption salt: the defaults", () => {
            expect(problemsOf("encryptionsalt: v1:abc\n")).to.deep.equal([]);
        });
    });

    describe("npm run manifests (the CLI)", function () {
        this.timeout(60000);

        it("-- <stack> --out DIR writes the objects the in-process render produces", async () => {
            const out = tmp();
            // renderStack sets a template's production secrets as placeholders, as --placeholder-secrets does.
            const r = await manifestsCli("prod", "--placeholder-secrets", "--out", out);
            expect(r.code, r.stderr).to.equal(0);
            const tree = readTree(out);
            const expected = renderFiles(await renderStack("prod"));
            // The folder also lists what the render wrote (a later render removes only those).
            expect(Object.keys(tree).sort()).to.deep.equal([...expected.map((f) => f.path), OUT_MANIFEST].sort());
            expect(JSON.parse(tree[OUT_MANIFEST])).to.deep.equal(expected.map((f) => f.path));
            for (const f of expected) expect(tree[f.path] === f.content, `${f.path} differs from the in-process render`).to.equal(true);
        });

        it("--config <file> exits 2 on bad input, naming the keys on stderr, with no stack trace and nothing written", async () => {
            const dir = tmp();
            const bad = path.join(dir, "Pulumi.bad.yaml");
            for (const [text, expected] of [
                [
                    "config:\n  pulse:ingest:\n    replicaCount: -1\n  pulse:keycloak:\n    replicaCout: 1\n",
                    ["pulse:ingest.replicaCount: must be an integer >= 0, got -1", 'pulse:keycloak.replicaCout: unknown key (did you mean "replicaCount"?)'],
                ],
                ["config:\n  pulse:namespace: a\n  pulse:namespace: b\n", ["Pulumi.bad.yaml line 3, column 3: Map keys must be unique"]],
            ] as const) {
                fs.writeFileSync(bad, text);
                const r = await manifestsCli("--config", bad, "--out", path.join(dir, "out"));
                expect(r.code, r.stderr).to.equal(2);
                for (const e of expected) expect(r.stderr).to.include(e);
                expect(r.stderr).not.to.match(/\n\s+at /);
                expect(fs.existsSync(path.join(dir, "out"))).to.equal(false);
            }
        });
    });
});
