/**
 * What the offline CLIs (`npm run manifests`, `npm run policy`) share: the stack argument, reading the stack file and
 * rendering the program under the mocks, with bad input reported as one message and exit code 2 (never a stack trace).
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs, ParseArgsConfig } from "util";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, RawStackConfig } from "../config";
import { installMocks, setStackConfig } from "./mocks";
import { Render, renderProgram } from "./render";
import { readStackFile, stackFilePath, stackNameOf, withPlaceholderSecrets } from "./stackfile";

/** Prints the message and exits 2 (bad input or usage). */
export function fail(message: string): never {
    process.stderr.write(message.endsWith("\n") ? message : message + "\n");
    process.exit(2);
}

type Options = NonNullable<ParseArgsConfig["options"]>;

const STACK_OPTIONS = {
    config: { type: "string" },
    "placeholder-secrets": { type: "boolean" },
    help: { type: "boolean", short: "h" },
} as const satisfies Options;

/** Parses `<stack> | --config <file>` and `--placeholder-secrets` plus the command's own options; exits on --help. */
export function parseStackArgs<O extends Options>(usage: string, options: O) {
    let args: { values: Record<string, string | boolean | undefined>; positionals: string[] };
    try {
        args = parseArgs({ allowPositionals: true, options: { ...STACK_OPTIONS, ...options } });
    } catch (e) {
        fail(`${(e as Error).message}\n${usage}`);
    }
    const values = args.values;
    if (values.help) {
        process.stdout.write(usage + "\n");
        process.exit(0);
    }
    const stackArg = (values.config as string | undefined) ?? args.positionals[0];
    if (!stackArg || args.positionals.length > (values.config ? 0 : 1)) fail(usage);
    const stackFile = stackFilePath(stackArg);
    if (!fs.existsSync(stackFile)) fail(`no stack file ${stackFile}\n${usage}`);
    return { stackFile, placeholderSecrets: values["placeholder-secrets"] === true, values };
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
    return renderStackConfig(path.basename(stackFile), placeholderSecrets ? withPlaceholderSecrets(raw) : raw, stackNameOf(stackFile));
}

/** Renders the program for a stack config (`label` in messages) under the mocks; bad config exits 2 naming the keys. */
export async function renderStackConfig(label: string, raw: RawStackConfig, stack = "offline"): Promise<Render> {
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
