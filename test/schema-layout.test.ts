/**
 * The config schema stays split by concern (config/schema/: formats, blocks, platform, workloads, edge, jobs, and the
 * index that assembles them): no module grows back into one long file.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIR } from "../tools/stackfile";

export const SCHEMA_DIR = "config/schema";
export const MAX_LINES = 400;

/** Each config/schema/*.ts module (project-relative) with its line count. */
export function schemaModules(): { file: string; lines: number }[] {
    const dir = path.join(PROJECT_DIR, SCHEMA_DIR);
    return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".ts"))
        .sort()
        .map((f) => ({ file: `${SCHEMA_DIR}/${f}`, lines: fs.readFileSync(path.join(dir, f), "utf8").split("\n").length - 1 }));
}

/** The modules longer than `max` lines, as "file: N lines". */
export function oversized(max: number): string[] {
    return schemaModules()
        .filter((m) => m.lines > max)
        .map((m) => `${m.file}: ${m.lines} lines (at most ${max})`);
}

describe("config schema layout", () => {
    it("is a folder of modules, the index among them", () => {
        const files = schemaModules().map((m) => m.file);
        expect(files).to.include(`${SCHEMA_DIR}/index.ts`);
        expect(files.length).to.be.at.least(2);
    });

    it(`keeps every config/schema/*.ts module at ${MAX_LINES} lines or fewer`, () => {
        expect(oversized(MAX_LINES)).to.deep.equal([]);
    });

    it("the check can fail: with a threshold of 1 line every module is reported", () => {
        expect(oversized(1)).to.have.length(schemaModules().length);
    });
});
