/**
 * The diff of two offline renders as Markdown (a pull-request comment): `npm run -s manifests:diff -- BASE HEAD`.
 * BASE and HEAD are each a render folder (`npm run manifests -- <stack> --out DIR`, with or without --charts) or a
 * folder holding one render per stack in its subfolders (`dev/`, `prod/`); only the files the renders list in their
 * .pulse-render.json are compared. Prints the objects added, removed and changed, grouped by kind, each change with its
 * unified diff (tools/renderDiff.ts), at most --max-chars characters (default 65536, GitHub's limit on a comment).
 * `--base-name` and `--head-name` name the two sides in the heading.
 * Exit codes: 0 printed (whether or not anything changed), 2 usage or a folder that holds no render.
 */
import * as fs from "fs";
import * as path from "path";
import { fail, OUT_MANIFEST, parseCliArgs, resolveFromCaller, runMain } from "../tools/cli";
import { COMMENT_LIMIT, diffRenders, markdownSummary, RenderTree } from "../tools/renderDiff";

const USAGE = "usage: npm run -s manifests:diff -- <base render folder> <head render folder> [--base-name <name>] [--head-name <name>] [--max-chars <n>]";

/** The files a render folder's manifest lists, by path (prefixed with `prefix`). */
function readListed(dir: string, prefix: string, into: Map<string, string>, label: string): void {
    let listed: unknown;
    try {
        listed = JSON.parse(fs.readFileSync(path.join(dir, OUT_MANIFEST), "utf8"));
    } catch {
        listed = undefined;
    }
    if (!Array.isArray(listed) || !listed.every((f) => typeof f === "string"))
        fail(`${label}: ${path.join(dir, OUT_MANIFEST)} is not a render's list of files`);
    for (const rel of listed) {
        const file = path.resolve(dir, rel);
        if (!file.startsWith(dir + path.sep) || !fs.existsSync(file)) fail(`${label}: ${dir} lists ${rel}, which is not in the folder: render it again`);
        into.set(prefix + rel, fs.readFileSync(file, "utf8"));
    }
}

/** A render folder, or a folder of render folders (one per stack, their names prefixed: `dev/k8s/...`). */
function readRenders(arg: string, label: string): RenderTree {
    const dir = resolveFromCaller(arg);
    if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) fail(`${label} ${arg}: no such folder\n${USAGE}`);
    const files = new Map<string, string>();
    if (fs.existsSync(path.join(dir, OUT_MANIFEST))) {
        readListed(dir, "", files, label);
        return files;
    }
    const stacks = fs
        .readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isDirectory() && fs.existsSync(path.join(dir, d.name, OUT_MANIFEST)))
        .map((d) => d.name)
        .sort();
    if (stacks.length === 0) {
        fail(`${label} ${arg}: no render in it or its subfolders (no ${OUT_MANIFEST}): render with \`npm run manifests -- <stack> --out <dir>\``);
    }
    for (const s of stacks) readListed(path.join(dir, s), `${s}/`, files, label);
    return files;
}

function main(): void {
    const args = parseCliArgs(USAGE, { "base-name": { type: "string" }, "head-name": { type: "string" }, "max-chars": { type: "string" } });
    if (args.positionals.length !== 2) fail(USAGE);
    const maxText = args.values["max-chars"];
    const maxChars = maxText === undefined ? COMMENT_LIMIT : Number(maxText);
    if (!/^\d+$/.test(maxText ?? "0") || maxChars < 1000) fail(`--max-chars ${maxText}: a whole number of at least 1000\n${USAGE}`);
    const base = readRenders(args.positionals[0], "base");
    const head = readRenders(args.positionals[1], "head");
    process.stdout.write(
        markdownSummary(diffRenders(base, head), {
            base: args.values["base-name"] ?? args.positionals[0],
            head: args.values["head-name"] ?? args.positionals[1],
            maxChars,
        }),
    );
}

runMain(() => Promise.resolve().then(main));
