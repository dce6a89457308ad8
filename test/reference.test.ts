import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { BEGIN_MARKER, configReference, END_MARKER, REFERENCE_DOC, withReference } from "../tools/reference";
import { pulseConfigSchema, SECRET_KEYS, SERVICE_NAMES, SERVICES } from "../config";
import { PROJECT_DIR } from "../tools/stackfile";
import { generatedProblems, projectInputs } from "./service-recipe";

describe(`config reference (${REFERENCE_DOC})`, () => {
    const doc = fs.readFileSync(path.join(PROJECT_DIR, REFERENCE_DOC), "utf8");
    const ref = configReference();

    it("is the one generated from the schema (run `npm run docs:config` after changing config/schema/)", () => {
        expect(doc === withReference(doc), `${REFERENCE_DOC} config reference is stale: run npm run docs:config`).to.equal(true);
    });

    it("has every registry service's section, in the reference and in the stack schema", () => {
        const { reference, stackSchema } = projectInputs();
        expect(generatedProblems(SERVICES, reference, stackSchema)).to.deep.equal([]);
    });

    it("documents every top-level key under its own heading, and every secret key", () => {
        for (const key of Object.keys(pulseConfigSchema.shape)) expect(ref).to.match(new RegExp(`^#{3,4} \`pulse:${key}\`$`, "m"));
        for (const key of Object.keys(SECRET_KEYS)) expect(ref).to.include(`\`pulse:${key}\``);
    });

    it("detects a stale reference (the check can fail)", () => {
        const sharedRow = /\| `runAsUser` \| integer >= 1 \| `10001` \|/;
        const ingestDiff = "- `replicaCount`: default `2`";
        for (const stale of [doc.replace(sharedRow, "| `runAsUser` | integer >= 1 | `10002` |"), doc.replace(ingestDiff, "- `replicaCount`: default `3`")]) {
            expect(stale).not.to.equal(doc);
            expect(stale === withReference(stale)).to.equal(false);
        }
        expect(doc.indexOf(BEGIN_MARKER)).to.be.lessThan(doc.indexOf(END_MARKER));
    });

    describe("the Pulse services' sections", () => {
        const block = ref.slice(ref.indexOf("### The Pulse services"), ref.indexOf("### `pulse:keycloak`"));

        it("render one shared table, not a copy per service", () => {
            expect(block).to.have.length.greaterThan(0);
            expect(block.match(/^\| key \| type \| default \| meaning \|$/gm)).to.have.length(1);
            expect(ref.match(/^\| `runAsUser` \|/gm), "runAsUser rows in the whole reference").to.have.length(1);
        });

        // The shared table plus a service's list must give back that service's real defaults.
        const sharedDefault = (key: string) => {
            const m = new RegExp(`^\\| \`${key.replace(/\./g, "\\.")}\` \\| [^|]+ \\| ([^|]*) \\|`, "m").exec(block);
            if (!m) throw new Error(`no shared row for ${key}`);
            return m[1].trim();
        };
        const serviceDefault = (name: string, key: string) => {
            const section = block.slice(block.indexOf(`#### \`pulse:${name}\``)).split(/^#### /m)[1];
            const m = new RegExp(`^- \`${key.replace(/\./g, "\\.")}\`:.*?\\bdefault (\`[^\`]*\`|none)`, "m").exec(section);
            return m ? m[1] : sharedDefault(key);
        };
        const KEYS = [
            "replicaCount",
            "image.repository",
            "resources.requests.cpu",
            "resources.limits.memory",
            "env",
            "autoscaling.enabled",
            "autoscaling.maxReplicas",
            "runAsUser",
        ];

        for (const name of SERVICE_NAMES) {
            it(`give back pulse:${name}'s own defaults`, () => {
                const defaults = pulseConfigSchema.shape[name].parse(undefined) as unknown as Record<string, unknown>;
                for (const key of KEYS) {
                    const value = key.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], defaults);
                    expect(serviceDefault(name, key), `pulse:${name}.${key}`).to.equal("`" + JSON.stringify(value) + "`");
                }
            });
        }
    });
});
