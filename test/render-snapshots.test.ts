/**
 * Golden renders: the offline render of dev, prod and the CI fixture (the files `npm run manifests -- <stack> --out DIR
 * --placeholder-secrets` writes) must equal test/fixtures/render/<stack>/, byte for byte. A deliberate change to what
 * the program sends updates them with one command, which runs this file alone and rewrites only the files the render
 * lists (tools/cli.ts writeOutDir):
 *
 *     npm run test:update-snapshots
 *
 * then review the snapshots' diff like any other change. The render is deterministic (no time, no random value; secret
 * values are redacted), so nothing is masked here.
 */
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { createTwoFilesPatch } from "diff";
import { OUT_MANIFEST, prepareOutDir, writeOutDir } from "../tools/cli";
import { RenderedFile, renderFiles } from "../tools/render";
import { CI_STACK_FILE, renderStack } from "./helpers";

const UPDATE_COMMAND = "npm run test:update-snapshots";
const UPDATE = process.env.PULSE_UPDATE_SNAPSHOTS === "1";
const SNAPSHOTS = path.join(__dirname, "fixtures", "render");

/** The files a snapshot folder lists, by path (none when it has no list yet). */
function readSnapshot(dir: string): Map<string, string> {
    const list = path.join(dir, OUT_MANIFEST);
    if (!fs.existsSync(list)) return new Map();
    const listed = JSON.parse(fs.readFileSync(list, "utf8")) as string[];
    return new Map(listed.map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]));
}

/** What differs between a snapshot and a render: one line per file, then the first changed files' diffs. */
function snapshotDiff(want: ReadonlyMap<string, string>, got: readonly RenderedFile[], maxPatches = 3): string[] {
    const gotByPath = new Map(got.map((f) => [f.path, f.content]));
    const lines: string[] = [];
    const patches: string[] = [];
    for (const p of [...new Set([...want.keys(), ...gotByPath.keys()])].sort()) {
        const [w, g] = [want.get(p), gotByPath.get(p)];
        if (w === g) continue;
        lines.push(`${w === undefined ? "added" : g === undefined ? "removed" : "changed"}: ${p}`);
        if (w !== undefined && g !== undefined && patches.length < maxPatches)
            patches.push(createTwoFilesPatch(`a/${p}`, `b/${p}`, w, g, "", "", { context: 2 }));
    }
    return lines.length === 0 ? [] : [...lines, "", ...patches];
}

describe(`golden renders (test/fixtures/render; after a deliberate change: ${UPDATE_COMMAND})`, () => {
    for (const [name, stack] of [
        ["dev", "dev"],
        ["prod", "prod"],
        ["ci", CI_STACK_FILE],
    ] as const) {
        it(`${name}: the render equals test/fixtures/render/${name}/`, async () => {
            const files = renderFiles(await renderStack(stack));
            const dir = path.join(SNAPSHOTS, name);
            if (UPDATE) writeOutDir(prepareOutDir(dir), files);
            const diff = snapshotDiff(readSnapshot(dir), files);
            if (diff.length > 0)
                expect.fail(`the ${name} render differs from test/fixtures/render/${name}/:\n${diff.join("\n")}\nDeliberate? Update with: ${UPDATE_COMMAND}`);
        });
    }

    it("names each added, removed and changed file, with the changed files' diffs", () => {
        const want = new Map([
            ["k8s/a.yaml", "x: 1\n"],
            ["k8s/gone.yaml", "g\n"],
        ]);
        const got = [
            { path: "k8s/a.yaml", content: "x: 2\n" },
            { path: "k8s/new.yaml", content: "n\n" },
        ];
        const diff = snapshotDiff(want, got);
        expect(diff.slice(0, 3)).to.deep.equal(["changed: k8s/a.yaml", "removed: k8s/gone.yaml", "added: k8s/new.yaml"]);
        expect(diff.join("\n")).to.include("-x: 1\n+x: 2");
        expect(
            snapshotDiff(
                want,
                [...want].map(([p, content]) => ({ path: p, content })),
            ),
        ).to.deep.equal([]);
    });
});
