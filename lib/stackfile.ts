/**
 * Transitional: the stack file reader moved to tools/stackfile.ts (offline tooling; the program never reads stack
 * files). scripts/docs-config.ts and test/reference.test.ts, edited on another branch, still import PROJECT_DIR from
 * here; once they import "../tools/stackfile", delete this file. It must not import tools/ (test/import-direction).
 */
import * as path from "path";

export const PROJECT_DIR = path.resolve(__dirname, "..");
