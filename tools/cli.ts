/**
 * What the offline CLIs (`npm run manifests`, `npm run policy`) share: the stack argument, reading the stack file and
 * rendering the program under the mocks, with bad input reported as one message and exit code 2 (never a stack trace).
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs, ParseArgsConfig } from "util";
// The Pulumi SDK and the program load only when a render starts (./mocks, ./render): bad input exits without them.
import { ConfigError, parseStackConfig, RawStackConfig } from "../config/validate";
import type { Render, RenderedFile } from "./render";
import { PROJECT_DIR, readStackFile, stackFilePath, stackNameOf, withPlaceholderSecrets } from "./stackfile";

/** Bad input or usage the CLI reports in one message (exit code 2). */
class UsageError extends Error {}

/** Prints the message and exits 2 (bad input or usage). */
export function fail(message: string): never {
    process.stderr.write(message.endsWith("\n") ? message : message + "\n");
    process.exit(2);
}

/** A path as the caller typed it: relative to the directory they ran `npm run` in (npm sets INIT_CWD; cwd is the project). */
export const resolveFromCaller = (p: string, env: NodeJS.ProcessEnv = process.env): string => path.resolve(env.INIT_CWD ?? process.cwd(), p);

/** The file in an output folder that lists what the render wrote there, so a later render removes only those. */
export const OUT_MANIFEST = ".pulse-render.json";

/** The files a previous render listed in `dir`, or undefined when it has no manifest. */
function writtenBefore(dir: string): string[] | undefined {
    const file = path.join(dir, OUT_MANIFEST);
    if (!fs.existsSync(file)) return undefined;
    try {
        const list: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
        if (Array.isArray(list) && list.every((f) => typeof f === "string")) return list;
    } catch {
        // unreadable: treated as a folder the render did not write
    }
    throw new UsageError(`--out ${dir}: ${OUT_MANIFEST} is not a list the render wrote; remove the folder or choose another`);
}

/**
 * The output folder, resolved from the caller's directory, checked before anything renders: absent, empty, or one a
 * previous render wrote (its manifest). A file, or a folder with other content, is refused: the render never deletes
 * what it did not write.
 */
export function prepareOutDir(out: string): string {
    const dir = resolveFromCaller(out);
    const stat = fs.statSync(dir, { throwIfNoEntry: false });
    if (stat === undefined) return dir;
    if (!stat.isDirectory()) throw new UsageError(`--out ${out}: not a directory (${dir} is a file)`);
    if (fs.readdirSync(dir).length > 0 && writtenBefore(dir) === undefined) {
        throw new UsageError(`--out ${out}: ${dir} is not empty and was not written by the render (no ${OUT_MANIFEST}): choose a new or empty folder`);
    }
    return dir;
}

/** Writes the render's files into `dir`, first removing the files (and then empty folders) its previous render listed. */
export function writeOutDir(dir: string, files: readonly RenderedFile[]): void {
    for (const rel of writtenBefore(dir) ?? []) {
        const target = path.resolve(dir, rel);
        // Only inside the folder, whatever the manifest says.
        if (!target.startsWith(dir + path.sep)) continue;
        fs.rmSync(target, { force: true });
        for (let d = path.dirname(target); d !== dir && d.startsWith(dir + path.sep); d = path.dirname(d)) {
            if (fs.readdirSync(d).length > 0) break;
            fs.rmdirSync(d);
        }
    }
    for (const f of files) {
        const target = path.join(dir, f.path);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, f.content);
    }
    fs.writeFileSync(
        path.join(dir, OUT_MANIFEST),
        JSON.stringify(
            files.map((f) => f.path),
            null,
            1,
        ) + "\n",
    );
}

/** A ConfigError's text, with the way out for a template stack whose production secrets are not set yet. */
export function configErrorText(problems: readonly string[], placeholderSecrets: boolean): string {
    const text = new ConfigError(problems).message;
    const missingProductionSecret = problems.some((p) => /^[^.]*: is required with app\.environment production/.test(p));
    return !placeholderSecrets && missingProductionSecret
        ? `${text}\n(a template stack whose production secrets are not set yet renders with --placeholder-secrets)`
        : text;
}

type Options = NonNullable<ParseArgsConfig["options"]>;

const HELP = { help: { type: "boolean", short: "h" } } as const satisfies Options;

/**
 * The CLIs' arguments: `options` and -h/--help; an unknown or malformed flag exits 2 with the usage, --help prints it
 * and exits 0.
 */
export function parseCliArgs<O extends Options>(usage: string, options: O, allowPositionals = true) {
    let args;
    try {
        args = parseArgs({ allowPositionals, options: { ...options, ...HELP } });
    } catch (e) {
        fail(`${(e as Error).message}\n${usage}`);
    }
    if ((args.values as { help?: boolean }).help) {
        process.stdout.write(usage + "\n");
        process.exit(0);
    }
    return args;
}

const STACK_OPTIONS = {
    config: { type: "string" },
    "placeholder-secrets": { type: "boolean" },
} as const satisfies Options;

/** Parses `<stack> | --config <file>` and `--placeholder-secrets` plus the command's own options; exits on --help. */
export function parseStackArgs<O extends Options>(usage: string, options: O) {
    const args: { values: Record<string, string | boolean | undefined>; positionals: string[] } = parseCliArgs(usage, { ...STACK_OPTIONS, ...options });
    const values = args.values;
    const stackArg = (values.config as string | undefined) ?? args.positionals[0];
    if (!stackArg || args.positionals.length > (values.config ? 0 : 1)) fail(usage);
    const stackFile = stackFilePath(stackArg, PROJECT_DIR, resolveFromCaller("."));
    if (!fs.existsSync(stackFile)) fail(`no stack file ${stackFile}\n${usage}`);
    return { stackFile, placeholderSecrets: values["placeholder-secrets"] === true, values };
}

/** Runs a step that may throw UsageError; exits 2 with its message. */
export function orFail<T>(step: () => T): T {
    try {
        return step();
    } catch (e) {
        if (e instanceof UsageError) fail(e.message);
        throw e;
    }
}

/** Renders the program for a stack file under the mocks; bad stack files and bad config exit 2 naming the keys. */
export async function renderStackFile(stackFile: string, placeholderSecrets: boolean): Promise<Render> {
    let raw;
    try {
        raw = readStackFile(stackFile);
    } catch (e) {
        if (e instanceof ConfigError) fail(e.message);
        throw e;
    }
    if (placeholderSecrets) raw = withPlaceholderSecrets(raw);
    // Validated here first, for the CLI's own hints; the program validates the same config again.
    try {
        parseStackConfig(raw);
    } catch (e) {
        if (e instanceof ConfigError) fail(`${path.basename(stackFile)}: ${configErrorText(e.problems, placeholderSecrets)}`);
        throw e;
    }
    return renderStackConfig(path.basename(stackFile), raw, stackNameOf(stackFile));
}

/** Renders the program for a stack config (`label` in messages) under the mocks; bad config exits 2 naming the keys. */
export async function renderStackConfig(label: string, raw: RawStackConfig, stack = "offline"): Promise<Render> {
    /* eslint-disable @typescript-eslint/no-require-imports -- not import(): tsx's CommonJS hook (Mocha, `node -r tsx/cjs`) transforms require() only */
    const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    const { installMocks, setStackConfig } = require("./mocks") as typeof import("./mocks");
    const { renderProgram } = require("./render") as typeof import("./render");
    /* eslint-enable @typescript-eslint/no-require-imports */
    installMocks(stack);
    setStackConfig(raw.values, [...raw.secretKeys]);
    try {
        return await renderProgram();
    } catch (e) {
        if (pulumi.RunError.isInstance(e)) fail(`${label}: ${e.message}`);
        throw e;
    }
}

/** Runs a CLI's main; an unexpected error (a bug, not bad input) prints its stack and exits 1. */
export function runMain(main: () => Promise<void>): void {
    main().catch((e) => {
        process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
        process.exit(1);
    });
}
