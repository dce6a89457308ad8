// Rewrites the generated documentation from the config schema: `npm run docs:config` writes the config reference in
// docs/configuration.md and the stack files' JSON Schema (docs/pulse-stack.schema.json, for editor completion).
import * as fs from "fs";
import * as path from "path";
import { REFERENCE_DOC, withReference } from "../tools/reference";
import { STACK_SCHEMA_FILE, stackFileSchemaText } from "../tools/stackSchema";
import { PROJECT_DIR } from "../tools/stackfile";

function write(file: string, render: (before: string) => string, what: string): void {
    const full = path.join(PROJECT_DIR, file);
    const before = fs.existsSync(full) ? fs.readFileSync(full, "utf8") : "";
    const after = render(before);
    fs.writeFileSync(full, after);
    process.stdout.write(`${file}: ${what} ${before === after ? "already up to date" : "updated"}\n`);
}

write(REFERENCE_DOC, withReference, "config reference");
write(STACK_SCHEMA_FILE, stackFileSchemaText, "stack file JSON Schema");
