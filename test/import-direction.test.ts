/**
 * Dependencies point one way: the program (index.ts, components/, config/, lib/) never imports the offline tooling
 * (tools/), the CLIs (scripts/), the tests or the policy pack. Those import the program, not the reverse.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { PROJECT_DIR } from "../tools/stackfile";

/** Where the program lives: files and folders relative to the project (folders are walked, so moves need no edit). */
export const PROGRAM = ["index.ts", "components", "config", "lib"];
/** Folders the program must not import from. */
export const FORBIDDEN = ["tools", "scripts", "test", "policy"];

function tsFiles(rel: string): string[] {
    const abs = path.join(PROJECT_DIR, rel);
    if (!fs.existsSync(abs)) return [];
    if (fs.statSync(abs).isFile()) return rel.endsWith(".ts") ? [rel] : [];
    return fs
        .readdirSync(abs)
        .sort()
        .flatMap((entry) => tsFiles(path.join(rel, entry)));
}

/** Every module specifier a source imports: import/export ... from, import(), require(), import x = require(). */
export function specifiers(source: string): string[] {
    return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

/**
 * The imports of `file` (project-relative) that resolve into a forbidden folder, as "file -> specifier".
 * Package imports (no leading ".") are never forbidden.
 */
export function badImports(file: string, source: string): string[] {
    return specifiers(source)
        .filter((spec) => spec.startsWith("."))
        .filter((spec) => {
            const target = path.relative(PROJECT_DIR, path.resolve(PROJECT_DIR, path.dirname(file), spec));
            const top = target.split(path.sep)[0];
            return FORBIDDEN.includes(top);
        })
        .map((spec) => `${file} -> ${spec}`);
}

describe("import direction", () => {
    it("the checker catches a program file importing the tooling", () => {
        expect(badImports("components/caddy.ts", `import { renderFiles } from "../tools/render";`)).to.deep.equal(["components/caddy.ts -> ../tools/render"]);
        expect(badImports("lib/labels.ts", `const m = require("../test/helpers");`)).to.have.length(1);
        expect(badImports("index.ts", `export * from "./policy/rules";`)).to.have.length(1);
        expect(badImports("config/index.ts", `type R = typeof import("../scripts/manifests");`)).to.have.length(1);
        // Within the program, and packages, are fine; so is a program folder whose name merely starts like a forbidden one.
        expect(badImports("components/caddy.ts", `import { x } from "../lib/routes"; import * as p from "@pulumi/pulumi";`)).to.deep.equal([]);
        expect(badImports("components/caddy.ts", `import { x } from "../toolsy/routes";`)).to.deep.equal([]);
    });

    it("no program file imports tools/, scripts/, test/ or policy/", () => {
        const files = PROGRAM.flatMap(tsFiles);
        expect(files).to.include("index.ts");
        expect(files.some((f) => f.startsWith(`components${path.sep}`))).to.equal(true);
        const bad = files.flatMap((f) => badImports(f, fs.readFileSync(path.join(PROJECT_DIR, f), "utf8")));
        expect(bad, bad.join("\n")).to.deep.equal([]);
    });
});
