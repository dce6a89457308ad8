// Rewrites the config reference in docs/configuration.md from the schema: `npm run docs:config`.
import * as fs from "fs";
import * as path from "path";
import { REFERENCE_DOC, withReference } from "../tools/reference";
import { PROJECT_DIR } from "../tools/stackfile";

const docPath = path.join(PROJECT_DIR, REFERENCE_DOC);
const before = fs.readFileSync(docPath, "utf8");
const after = withReference(before);
fs.writeFileSync(docPath, after);
process.stdout.write(before === after ? `${REFERENCE_DOC}: config reference already up to date\n` : `${REFERENCE_DOC}: config reference updated\n`);
