/**
 * The code linters' own check: each probe in test/fixtures/lint breaks one rule (its first line says which), and the
 * linters must report it; knip must report the unused export and the orphan file of a small fixture package.
 * `npm run lint` ends with it, so a linter that was switched off or misconfigured fails the run instead of passing it.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ESLint } from "eslint";
import * as prettier from "prettier";
import { PROJECT_DIR } from "../tools/stackfile";
import { runMain } from "../tools/cli";

const PROBES = path.join(PROJECT_DIR, "test", "fixtures", "lint");

runMain(async () => {
    const problems: string[] = [];
    const eslint = new ESLint({ cwd: PROJECT_DIR, ignore: false });
    const files = fs.readdirSync(PROBES).filter((f) => f.endsWith(".ts"));
    for (const file of files) {
        const full = path.join(PROBES, file);
        const text = fs.readFileSync(full, "utf8");
        const expected = /^\/\/ expect: (\S+)/.exec(text)?.[1];
        if (!expected) {
            problems.push(`${file}: no "// expect: <rule>" first line`);
            continue;
        }
        const [result] = await eslint.lintFiles([full]);
        const rules = [...new Set(result.messages.map((m) => m.ruleId ?? m.message))];
        const options = { ...(await prettier.resolveConfig(full)), filepath: full };
        if (!(await prettier.check(text, options))) rules.push("prettier");
        if (!rules.includes(expected)) problems.push(`${file}: expected ${expected}, the linters reported ${rules.join(", ") || "nothing"}`);
    }
    let knip: string;
    try {
        knip = execFileSync(path.join(PROJECT_DIR, "node_modules", ".bin", "knip"), ["--directory", path.join(PROBES, "knip"), "--no-progress"], {
            encoding: "utf8",
            stdio: "pipe",
        });
    } catch (e) {
        knip = String((e as { stdout?: string }).stdout ?? "");
    }
    for (const finding of ["orphan.ts", "neverImported"])
        if (!knip.includes(finding)) problems.push(`knip did not report ${finding} in test/fixtures/lint/knip:\n${knip}`);
    if (problems.length > 0) {
        process.stderr.write(`lint probes failed:\n${problems.map((p) => `  - ${p}`).join("\n")}\n`);
        process.exit(1);
    }
    process.stderr.write(`lint probes: ${files.length} ESLint/Prettier probes and the knip probe caught what they break\n`);
});
