// Rewrites the README's config reference from the schema: `npm run docs:config`.
import * as fs from "fs";
import * as path from "path";
import { withReference } from "../tools/reference";
import { PROJECT_DIR } from "../lib/stackfile";

const readmePath = path.join(PROJECT_DIR, "README.md");
const before = fs.readFileSync(readmePath, "utf8");
const after = withReference(before);
fs.writeFileSync(readmePath, after);
process.stdout.write(before === after ? "README config reference already up to date\n" : "README config reference updated\n");
