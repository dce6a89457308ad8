/**
 * Reads stack config the way the Pulumi CLI hands it to the program, without the CLI: project-level defaults from
 * Pulumi.yaml, overlaid with a Pulumi.<stack>.yaml. Encrypted values cannot be decrypted offline; they become a
 * placeholder and stay marked secret, so the program treats them exactly like real secrets.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
// Not "../config": its loader loads the Pulumi SDK, which the CLIs load only once the arguments are checked.
import { PRODUCTION_SECRETS } from "../config/schema";
import { ConfigError, NAMESPACE, RawStackConfig } from "../config/validate";

export const PROJECT_DIR = path.resolve(__dirname, "..");
/** The version of an npm package as installed from the lockfile. */
export function installedVersion(pkg: string, projectDir = PROJECT_DIR): string {
    return (JSON.parse(fs.readFileSync(path.join(projectDir, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version;
}

/** Long enough for every length rule a secret has (ADMIN_KEY: 32). */
export const SECRET_PLACEHOLDER = "offline-render-placeholder-not-a-real-secret";

interface ProjectConfigDecl {
    readonly type?: string;
    readonly description?: string;
    readonly default?: unknown;
    readonly secret?: boolean;
}

/** The `config:` declarations of Pulumi.yaml, by full key ("pulse:namespace"). */
export function projectConfigDeclarations(projectDir = PROJECT_DIR): Record<string, ProjectConfigDecl> {
    const project = (YAML.parse(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) ?? {}) as { config?: Record<string, ProjectConfigDecl> };
    const out: Record<string, ProjectConfigDecl> = {};
    for (const [key, decl] of Object.entries(project.config ?? {})) {
        out[key.includes(":") ? key : `${NAMESPACE}:${key}`] = decl;
    }
    return out;
}

const isSecure = (v: unknown): boolean => typeof v === "object" && v !== null && "secure" in v;

/** Replaces encrypted leaves by the placeholder; reports whether there were any. */
function decryptOffline(v: unknown): { value: unknown; secret: boolean } {
    if (isSecure(v)) return { value: SECRET_PLACEHOLDER, secret: true };
    if (Array.isArray(v)) {
        const items = v.map(decryptOffline);
        return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
    }
    if (typeof v === "object" && v !== null) {
        const entries = Object.entries(v).map(([k, x]) => [k, decryptOffline(x)] as const);
        return { value: Object.fromEntries(entries.map(([k, i]) => [k, i.value])), secret: entries.some(([, i]) => i.secret) };
    }
    return { value: v, secret: false };
}

/** Pulumi passes scalars as strings and maps/lists as JSON text. */
export const asConfigString = (v: unknown): string => (typeof v === "object" && v !== null ? JSON.stringify(v) : String(v));

export function readStackFile(stackFile: string, projectDir = PROJECT_DIR): RawStackConfig {
    const values: Record<string, string> = {};
    const secretKeys = new Set<string>();
    for (const [key, decl] of Object.entries(projectConfigDeclarations(projectDir))) {
        if (decl.default !== undefined) values[key] = asConfigString(decl.default);
    }
    const { config, scalarText } = stackFileConfig(stackFile);
    for (const [key, raw] of Object.entries(config)) {
        const { value, secret } = decryptOffline(raw);
        // As the Pulumi CLI does: a key without a namespace belongs to the project (`pulse`).
        const fullKey = key.includes(":") ? key : `${NAMESPACE}:${key}`;
        // A plain top-level scalar reaches the program as written (the CLI reads it as a string: 1.10 stays "1.10").
        values[fullKey] = scalarText.get(key) ?? asConfigString(value);
        if (secret) secretKeys.add(fullKey);
    }
    return { values, secretKeys };
}

/** The top-level keys a Pulumi stack file may hold (pulumi/sdk/go/common/workspace ProjectStack). */
export const STACK_FILE_KEYS = new Set(["config", "encryptionsalt", "encryptedkey", "secretsprovider", "environment"]);

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The `config:` map of a stack file, with the source text of its plain top-level scalars; a ConfigError naming the
 * file (and the line and key, for YAML errors) for what the Pulumi CLI would refuse: no file, not UTF-8, YAML syntax,
 * duplicate keys, tabs, more than one document, an alias bomb, settings outside `config:`. Merge keys (`<<`) are read
 * as the CLI's YAML library reads them.
 */
function stackFileConfig(stackFile: string): { config: Record<string, unknown>; scalarText: Map<string, string> } {
    const file = path.basename(stackFile);
    const fail = (reason: string): never => {
        throw new ConfigError([`${file}: ${reason}`]);
    };
    let bytes: Buffer;
    try {
        if (fs.statSync(stackFile).isDirectory()) fail(`is a directory, not a stack file (${stackFile})`);
        bytes = fs.readFileSync(stackFile);
    } catch (e) {
        if (e instanceof ConfigError) throw e;
        return fail(`cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff) || bytes.includes(0)) {
        fail("is UTF-16 (or binary), not UTF-8 text: save it as UTF-8");
    }
    let text = "";
    try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
        fail("is not valid UTF-8: save it as UTF-8");
    }
    const doc = YAML.parseDocument(text, { uniqueKeys: true, merge: true });
    if (doc.errors.length > 0) {
        const lines = text.split("\n");
        throw new ConfigError(
            doc.errors.map((e) => {
                if (e.code === "MULTIPLE_DOCS") return `${file}: holds more than one YAML document ('---'): a stack file is one map with a \`config:\` key`;
                const at = e.linePos?.[0];
                // The key of the offending line, never its value: a plain-text secret would end up in CI logs.
                const key = at ? /^\s*(?:-\s+)?([^\s:#][^\s]*?):(?:\s|$)/.exec(lines[at.line - 1] ?? "")?.[1] : undefined;
                const source = key ? ` (key \`${key}\`)` : "";
                return `${file}${at ? ` line ${at.line}, column ${at.col}` : ""}: ${e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}${source}`;
            }),
        );
    }
    let root: unknown;
    try {
        root = doc.toJS() ?? {};
    } catch (e) {
        // The yaml library refuses exponential alias expansion (maxAliasCount), as a resource exhaustion attack.
        return fail(`cannot be read: ${(e as Error).message.split("\n")[0]} (YAML aliases)`);
    }
    if (!isMap(root)) fail(`must be a map with a \`config:\` key, got ${Array.isArray(root) ? "a list" : typeof root}`);
    const problems = Object.keys(root as Record<string, unknown>)
        .filter((k) => !STACK_FILE_KEYS.has(k))
        .map(
            (k) =>
                `${file}: ${k}: is not a stack file key; settings go under \`config:\`, e.g. \`config:\` / \`  ${k.includes(":") ? k : `${NAMESPACE}:${k}`}: ...\``,
        );
    const config = (root as Record<string, unknown>).config ?? {};
    if (!isMap(config)) problems.push(`${file}: config: must be a map of \`${NAMESPACE}:<key>\` settings`);
    if (problems.length > 0) throw new ConfigError(problems);
    const scalarText = new Map<string, string>();
    const node = doc.get("config", true);
    if (YAML.isMap(node)) {
        for (const pair of node.items) {
            if (
                YAML.isScalar(pair.key) &&
                YAML.isScalar(pair.value) &&
                pair.value.type === "PLAIN" &&
                typeof pair.value.source === "string" &&
                pair.value.value !== null
            ) {
                scalarText.set(String(pair.key.value), pair.value.source);
            }
        }
    }
    return { config: config as Record<string, unknown>, scalarText };
}

/** `dev` -> <project>/Pulumi.dev.yaml; a path is taken as is, relative to `base` (the caller's directory). */
export function stackFilePath(stackOrPath: string, projectDir = PROJECT_DIR, base = process.cwd()): string {
    return stackOrPath.includes("/") || stackOrPath.endsWith(".yaml") ? path.resolve(base, stackOrPath) : path.join(projectDir, `Pulumi.${stackOrPath}.yaml`);
}

/** Stack name from a file name `Pulumi.<stack>.yaml`. */
export function stackNameOf(stackFile: string): string {
    const m = /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(stackFile));
    return m ? m[1] : "offline";
}

/**
 * A template stack (such as Pulumi.prod.yaml) with the placeholder for every secret that production requires and the
 * file leaves unset, as if its user had set them: to render or test a template offline. `pulumi up` has no such
 * switch: there, validation names each missing one.
 */
export function withPlaceholderSecrets(raw: RawStackConfig): RawStackConfig {
    const values = { ...raw.values };
    const secretKeys = new Set(raw.secretKeys);
    for (const key of PRODUCTION_SECRETS.map((k) => `${NAMESPACE}:${k}`)) {
        if (values[key] !== undefined) continue;
        values[key] = SECRET_PLACEHOLDER;
        secretKeys.add(key);
    }
    return { values, secretKeys };
}
