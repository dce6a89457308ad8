/**
 * Every resource's URN (its type, its parents' types and its name) is its identity in every existing stack: a changed
 * URN is a delete and a create on the next `pulumi up`, unless the change carries an alias. The prod stack's URNs are
 * snapshotted in test/fixtures/urns.prod.txt; a refactoring (file moves, renamed classes or children) must leave them
 * as they are. After a deliberate change (with its aliases), regenerate: UPDATE_URN_SNAPSHOT=1 npx mocha test/urns.test.ts
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { RecordedResource } from "../tools/mocks";
import { renderStack } from "./helpers";

const SNAPSHOT = path.join(__dirname, "fixtures", "urns.prod.txt");

/**
 * The URN the engine gives a resource: `urn:pulumi:<stack>::<project>::<ancestors' types and its own, $-joined>::<name>`
 * (the root stack's type is never part of it). The mocks' URNs carry only the parent's type, so the chain is rebuilt
 * from the recorded parents.
 */
export function engineUrn(r: RecordedResource, byUrn: ReadonlyMap<string, RecordedResource>): string {
    const types = [r.type];
    for (let p = byUrn.get(r.parent); p !== undefined; p = byUrn.get(p.parent)) types.unshift(p.type);
    const [stackAndProject] = /^urn:pulumi:[^:]*::[^:]*/.exec(r.urn) ?? [];
    if (stackAndProject === undefined) throw new Error(`not a URN: ${r.urn}`);
    return `${stackAndProject}::${types.join("$")}::${r.name}`;
}

/** Lines only in `want` (-) and only in `got` (+). */
export function urnDiff(want: readonly string[], got: readonly string[]): string[] {
    const w = new Set(want);
    const g = new Set(got);
    return [...want.filter((u) => !g.has(u)).map((u) => `- ${u}`), ...got.filter((u) => !w.has(u)).map((u) => `+ ${u}`)];
}

describe("URNs", () => {
    it("the diff names what a URN change removes and adds", () => {
        expect(urnDiff(["a", "b"], ["b", "c"])).to.deep.equal(["- a", "+ c"]);
        expect(urnDiff(["a"], ["a"])).to.deep.equal([]);
    });

    it("the prod stack's URNs match test/fixtures/urns.prod.txt", async () => {
        const { resources } = await renderStack("prod");
        const byUrn = new Map(resources.map((r) => [r.urn, r]));
        const parents = resources.map((r) => r.parent).filter((p) => p !== "");
        expect(parents.filter((p) => !byUrn.has(p)), "every parent is recorded").to.deep.equal([]);
        const urns = resources.map((r) => engineUrn(r, byUrn)).sort();
        expect(new Set(urns).size, "URNs are unique").to.equal(urns.length);
        if (process.env.UPDATE_URN_SNAPSHOT === "1") fs.writeFileSync(SNAPSHOT, urns.join("\n") + "\n");
        const want = fs.readFileSync(SNAPSHOT, "utf8").split("\n").filter((l) => l !== "");
        const diff = urnDiff(want, urns);
        expect(diff, `URNs changed (every change replaces the resource in existing stacks unless aliased):\n${diff.join("\n")}\n`).to.deep.equal([]);
    });
});
