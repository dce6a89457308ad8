/**
 * Every resource's URN (its type, its parents' types and its name) is its identity in every existing stack: a changed
 * URN is a delete and a create on the next `pulumi up`, unless the change carries an alias. The prod stack's URNs are
 * snapshotted in test/fixtures/urns.prod.txt; a refactoring (file moves, renamed classes or children) must leave them
 * as they are. After a deliberate change (with its aliases), regenerate: npm run test:update-urns
 * (.mocharc.json runs every spec with it; only this one writes).
 *
 * test/fixtures/urns.prod.previous.txt holds the URNs from before the last deliberate rename: each must still be a
 * resource's URN or the URN one of its aliases names, so a renamed resource is the same resource to existing stacks.
 * Copy urns.prod.txt over it before regenerating after a rename; leave it alone for additions. A resource retired on
 * purpose (deleted on the next up, its job done by others) is listed in RETIRED with the reason.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { RecordedResource } from "../tools/mocks";
import { CI_STACK_FILE, recorded, renderStack } from "./helpers";

const SNAPSHOT = path.join(__dirname, "fixtures", "urns.prod.txt");
const PREVIOUS = path.join(__dirname, "fixtures", "urns.prod.previous.txt");
/**
 * Retired on purpose: the NetworkPolicies by concern ("apps", "allow-http-entry", ...) gave way to one policy per party
 * compiled from the declared relationships (components/networkPolicies.ts). An up creates the new policies before it
 * deletes these, so no connection is ever closed in between.
 */
const RETIRED = [
    "pulse-apps",
    "pulse-allow-emqx-to-ui",
    "pulse-allow-http-entry",
    "pulse-allow-https-out",
    "pulse-allow-webhooks-out",
    "pulse-keycloak-cluster",
].map((name) => `urn:pulumi:test::pulse::pulse:platform:Platform$pulse:networkPolicies:NetworkPolicies$kubernetes:networking.k8s.io/v1:NetworkPolicy::${name}`);
const lines = (file: string) =>
    fs
        .readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l !== "");

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

/**
 * The URNs the engine matches a resource to: its own, and for each alias the URN it names (a former name under the
 * same parents and type, or a full URN).
 */
export function answeredUrns(r: RecordedResource, byUrn: ReadonlyMap<string, RecordedResource>): string[] {
    return [r.name, ...r.aliases].map((a) => (a.startsWith("urn:pulumi:") ? a : engineUrn({ ...r, name: a }, byUrn)));
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

    // prod, and the CI fixture that turns on what prod leaves off (Caddy, SMTP, device TLS with cert-manager, ...).
    for (const [stack, snapshot] of [
        ["prod", SNAPSHOT],
        [CI_STACK_FILE, path.join(__dirname, "fixtures", "urns.ci.txt")],
    ] as const) {
        it(`the ${path.basename(stack)} stack's URNs match test/fixtures/${path.basename(snapshot)}`, async () => {
            const { resources } = await renderStack(stack);
            const byUrn = new Map(resources.map((r) => [r.urn, r]));
            const parents = resources.map((r) => r.parent).filter((p) => p !== "");
            expect(
                parents.filter((p) => !byUrn.has(p)),
                "every parent is recorded",
            ).to.deep.equal([]);
            const urns = resources.map((r) => engineUrn(r, byUrn)).sort();
            expect(new Set(urns).size, "URNs are unique").to.equal(urns.length);
            if (process.env.UPDATE_URN_SNAPSHOT === "1") fs.writeFileSync(snapshot, urns.join("\n") + "\n");
            const want = lines(snapshot);
            const diff = urnDiff(want, urns);
            expect(
                diff,
                `URNs changed (every change replaces the resource in existing stacks unless aliased; after a deliberate change with its aliases: npm run test:update-urns):\n${diff.join("\n")}\n`,
            ).to.deep.equal([]);
        });
    }

    it("an alias answers for the resource's former name, under the same parents and type only", () => {
        const parent = recorded({ type: "pulse:x:X", name: "p", urn: "urn:pulumi:s::pulse::pulse:x:X::p", custom: false });
        const child: RecordedResource = {
            ...parent,
            type: "pulse:y:Y",
            name: "p-new",
            urn: "urn:pulumi:s::pulse::pulse:x:X$pulse:y:Y::p-new",
            parent: parent.urn,
            aliases: ["p-old"],
        };
        const byUrn = new Map([parent, child].map((r) => [r.urn, r]));
        expect(answeredUrns(child, byUrn)).to.deep.equal([
            "urn:pulumi:s::pulse::pulse:x:X$pulse:y:Y::p-new",
            "urn:pulumi:s::pulse::pulse:x:X$pulse:y:Y::p-old",
        ]);
        expect(answeredUrns({ ...child, aliases: [] }, byUrn)).not.to.include("urn:pulumi:s::pulse::pulse:x:X$pulse:y:Y::p-old");
    });

    it("every URN of test/fixtures/urns.prod.previous.txt is still answered: each renamed resource carries an alias to its former name", async () => {
        const { resources } = await renderStack("prod");
        const byUrn = new Map(resources.map((r) => [r.urn, r]));
        const current = new Set(resources.map((r) => engineUrn(r, byUrn)));
        const answered = new Set(resources.flatMap((r) => answeredUrns(r, byUrn)));
        const previous = lines(PREVIOUS);
        const lost = previous.filter((u) => !answered.has(u));
        expect(lost, `URNs no resource answers for any more (each is a delete on the next up):\n${lost.join("\n")}\n`).to.have.members(RETIRED);
        // What the last rename renamed: each now answers through an alias, not under its own name.
        const renamed = previous.filter((u) => !current.has(u));
        expect(renamed.length, "urns.prod.previous.txt predates a rename").to.be.greaterThan(0);
    });
});
