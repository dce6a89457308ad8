import * as fs from "fs";
import * as path from "path";
import Ajv2020 from "ajv/dist/2020";
import { expect } from "chai";
import * as YAML from "yaml";
import { STACK_SCHEMA_FILE, stackFileSchemaText } from "../tools/stackSchema";
import { PROJECT_DIR } from "../tools/stackfile";
import { CI_STACK_FILE } from "./helpers";

const STACK_FILES = [
    ...fs
        .readdirSync(PROJECT_DIR)
        .filter((f) => /^Pulumi\..+\.yaml$/.test(f))
        .map((f) => path.join(PROJECT_DIR, f)),
    CI_STACK_FILE,
];
const MODELINE = /^# yaml-language-server: \$schema=(\S+)$/;

describe("the stack files' JSON Schema (editor completion)", () => {
    const validate = new Ajv2020({ allErrors: true, strict: true, validateFormats: false }).compile(
        JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, STACK_SCHEMA_FILE), "utf8")),
    );
    const errorsOf = (text: string) => (validate(YAML.parse(text)) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));

    it(`${STACK_SCHEMA_FILE} is the one generated from the config schema (run npm run docs:config)`, () => {
        expect(fs.readFileSync(path.join(PROJECT_DIR, STACK_SCHEMA_FILE), "utf8") === stackFileSchemaText(), "stale: run npm run docs:config").to.equal(true);
    });

    for (const file of STACK_FILES) {
        const name = path.relative(PROJECT_DIR, file);
        it(`${name} names the schema in its first line and validates against it`, () => {
            const text = fs.readFileSync(file, "utf8");
            const schemaRef = MODELINE.exec(text.split("\n")[0])?.[1];
            expect(schemaRef, "first line: # yaml-language-server: $schema=<path>").to.be.a("string");
            expect(path.resolve(path.dirname(file), schemaRef!)).to.equal(path.join(PROJECT_DIR, STACK_SCHEMA_FILE));
            expect(errorsOf(text)).to.deep.equal([]);
        });
    }

    it("flags what the editor should: unknown keys, wrong types, values out of range, plain-text secrets, settings outside config:", () => {
        expect(errorsOf("config:\n  pulse:ingst: {}\n")).to.deep.equal(["/config must NOT have additional properties"]);
        expect(errorsOf("config:\n  pulse:ingest: { replicaCount: two }\n")).to.deep.equal(["/config/pulse:ingest/replicaCount must be integer"]);
        expect(errorsOf("config:\n  pulse:ingest: { replicaCount: -1 }\n")).to.deep.equal(["/config/pulse:ingest/replicaCount must be >= 0"]);
        expect(errorsOf("config:\n  pulse:ingest: { replicaCuont: 1 }\n")).to.deep.equal(["/config/pulse:ingest must NOT have additional properties"]);
        expect(errorsOf("config:\n  pulse:dbPassword: hunter2\n")).to.deep.equal(["/config/pulse:dbPassword must be object"]);
        expect(errorsOf("pulse:namespace: x\n")).to.deep.equal([" must NOT have additional properties"]);
        // Other namespaces are theirs; an encrypted secret is what `pulumi config set --secret` writes.
        expect(errorsOf("config:\n  kubernetes:context: kind\n  pulse:dbPassword: { secure: v1:abc }\n")).to.deep.equal([]);
    });
});
