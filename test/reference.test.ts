import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { BEGIN_MARKER, configReference, END_MARKER, withReference } from "../tools/reference";
import { pulseConfigSchema, SECRET_KEYS } from "../config";
import { PROJECT_DIR } from "../lib/stackfile";

describe("README config reference", () => {
    const readme = fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8");

    it("is the one generated from the schema (run `npm run docs:config` after changing config/schema.ts)", () => {
        expect(readme === withReference(readme), "README config reference is stale: run npm run docs:config").to.equal(true);
    });

    it("documents every top-level key and every secret key", () => {
        const ref = configReference();
        for (const key of Object.keys(pulseConfigSchema.shape)) expect(ref).to.include(`### \`pulse:${key}\``);
        for (const key of Object.keys(SECRET_KEYS)) expect(ref).to.include(`\`pulse:${key}\``);
    });

    it("detects a stale reference (the check can fail)", () => {
        const stale = readme.replace(/\| `replicaCount` \| integer >= 0 \| `2` \|/, "| `replicaCount` | integer >= 0 | `3` |");
        expect(stale).not.to.equal(readme);
        expect(stale === withReference(stale)).to.equal(false);
        expect(readme.indexOf(BEGIN_MARKER)).to.be.lessThan(readme.indexOf(END_MARKER));
    });
});
