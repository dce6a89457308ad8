/**
 * Issue 23, the CLIs' input: stack files the Pulumi CLI would refuse or read otherwise are one clear line each (never a
 * stack trace), and `--out` never deletes what the render did not write.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { ConfigError } from "../config";
import { configErrorText, prepareOutDir, resolveFromCaller, writeOutDir } from "../tools/cli";
import { PROJECT_DIR, readStackFile } from "../tools/stackfile";
import { runScript } from "./helpers";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "pulse-cli-"));
function writeStack(text: string | Buffer): string {
    const file = path.join(tmp(), "Pulumi.x.yaml");
    fs.writeFileSync(file, text);
    return file;
}
function readError(file: string): string {
    try {
        readStackFile(file);
    } catch (e) {
        expect(e, String(e)).to.be.instanceOf(ConfigError);
        return (e as ConfigError).problems.join("\n");
    }
    throw new Error(`${file} was read`);
}

describe("CLI input (issue 23)", () => {
    describe("6. stack files that are not one UTF-8 YAML map", () => {
        it("a directory", () => {
            expect(readError(tmp())).to.match(/is a directory/);
        });
        it("a YAML alias bomb", () => {
            const bomb = [
                "a: &a [x, x, x, x, x, x, x, x, x]",
                ...Array.from({ length: 8 }, (_, i) => `${"bcdefghi"[i]}: &${"bcdefghi"[i]} [${Array(9).fill(`*${"abcdefgh"[i]}`).join(", ")}]`),
            ];
            expect(readError(writeStack(`config:\n  pulse:x:\n${bomb.map((l) => `    ${l}`).join("\n")}\n`))).to.match(/alias/);
        });
        it("a UTF-16 file", () => {
            const text = "config:\n  pulse:namespace: pulse\n";
            expect(readError(writeStack(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")])))).to.match(/UTF-16/);
        });
        it("invalid UTF-8 is refused; valid UTF-8 is read, U+FFFD included", () => {
            expect(readError(writeStack(Buffer.from([...Buffer.from("config:\n  pulse:namespace: "), 0xc3, 0x28, 0x0a])))).to.match(/not valid UTF-8/);
            const raw = readStackFile(writeStack('config:\n  pulse:ingest:\n    podAnnotations: { note: "\ufffd" }\n'));
            expect(JSON.parse(raw.values["pulse:ingest"])).to.deep.equal({ podAnnotations: { note: "\ufffd" } });
        });
        it("a multi-document file", () => {
            expect(readError(writeStack("config:\n  pulse:namespace: a\n---\nconfig:\n  pulse:namespace: b\n"))).to.match(/document/);
        });
        it("YAML merge keys, as the Pulumi CLI reads them", () => {
            const raw = readStackFile(writeStack("config:\n  pulse:ingest:\n    <<: { replicaCount: 3 }\n    runAsUser: 10002\n"));
            expect(JSON.parse(raw.values["pulse:ingest"])).to.deep.equal({ replicaCount: 3, runAsUser: 10002 });
        });
        it("a top-level scalar keeps its text, as the Pulumi CLI passes it", () => {
            expect(readStackFile(writeStack("config:\n  pulse:appVersion: 1.10\n")).values["pulse:appVersion"]).to.equal("1.10");
        });
    });

    describe("6. --out", () => {
        const files = [
            { path: "k8s/a.yaml", content: "a\n" },
            { path: "outputs.yaml", content: "o\n" },
        ];
        it("refuses a file, and a folder with files the render did not write", () => {
            const dir = tmp();
            fs.writeFileSync(path.join(dir, "f"), "x");
            expect(() => prepareOutDir(path.join(dir, "f"))).to.throw(/not a directory/);
            expect(() => prepareOutDir(dir)).to.throw(/not written by/);
        });
        it("removes only the files it wrote before", () => {
            const dir = path.join(tmp(), "out");
            writeOutDir(prepareOutDir(dir), files);
            fs.writeFileSync(path.join(dir, "k8s", "mine.yaml"), "keep me");
            writeOutDir(prepareOutDir(dir), [files[1]]);
            expect(fs.existsSync(path.join(dir, "k8s", "a.yaml"))).to.equal(false);
            expect(fs.readFileSync(path.join(dir, "k8s", "mine.yaml"), "utf8")).to.equal("keep me");
            expect(fs.existsSync(path.join(dir, "outputs.yaml"))).to.equal(true);
        });
        it("resolves relative paths against the caller's directory (INIT_CWD under npm run)", () => {
            expect(resolveFromCaller("out", { INIT_CWD: "/somewhere" })).to.equal(path.resolve("/somewhere", "out"));
            expect(resolveFromCaller("/abs", { INIT_CWD: "/somewhere" })).to.equal("/abs");
        });
    });

    it("7. a render without the production secrets suggests --placeholder-secrets", () => {
        const text = configErrorText(["pulse:s3AccessKey: is required with app.environment production (...)"], false);
        expect(text).to.include("--placeholder-secrets");
        expect(configErrorText(["pulse:ingest.replicaCount: must be an integer >= 0, got -1"], false)).to.not.include("--placeholder-secrets");
    });

    it("7. the docs run npm scripts with -s wherever their output is redirected or piped", () => {
        const docs = ["README.md", ...fs.readdirSync(path.join(PROJECT_DIR, "docs")).map((f) => path.join("docs", f))].filter((f) => f.endsWith(".md"));
        const loud = docs.flatMap((f) =>
            fs
                .readFileSync(path.join(PROJECT_DIR, f), "utf8")
                .split("\n")
                .filter((l) => /npm run (?!-s)/.test(l) && /npm run [^`]*( > | \| |>>)/.test(l))
                .map((l) => `${f}: ${l.trim()}`),
        );
        expect(loud).to.deep.equal([]);
    });

    it("6. the CLI exits 2 with one line for a directory as --config and a file as --out", async function () {
        this.timeout(60_000);
        const cases = [
            [["--config", tmp()], /is a directory/],
            [["dev", "--out", writeStack("x")], /not a directory/],
        ] as const;
        const results = await Promise.all(cases.map(([args]) => runScript("manifests.ts", ...args)));
        for (const [i, r] of results.entries()) {
            expect(r.code, r.stderr).to.equal(2);
            expect(r.stderr).to.match(cases[i][1]);
            expect(r.stderr).to.not.match(/\n\s+at /);
        }
    });
});
