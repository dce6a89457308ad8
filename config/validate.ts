/**
 * Turns raw stack config (Pulumi's `pulse:*` key/value strings) into a validated PulseConfig, or into one error that
 * lists every problem with its full key path. Pure: no Pulumi runtime here, so the render, the tests and the program
 * share it.
 */
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import * as YAML from "yaml";
import { z } from "zod";
import { productionProblems } from "./schema/cluster";
import { withoutUrlCredentials } from "./schema/formats";
import { PRODUCTION_SECRETS, pulseConfigSchema, PulseConfig, SCALAR_KEYS, SECRET_KEYS, SecretKey } from "./schema";
import { RELEASE_KEYS, RELEASES, ReleaseKey } from "./releases";

export const NAMESPACE = "pulse";

/** Bad stack config: every problem, one `pulse:<path>: <reason>` line each. */
export class ConfigError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(`invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` + problems.map((p) => `  - ${p}`).join("\n"));
        this.name = "ConfigError";
    }
}

/** Raw stack config as Pulumi hands it to a program: full keys ("pulse:ingest") to strings, and which are secret. */
export interface RawStackConfig {
    readonly values: Readonly<Record<string, string>>;
    readonly secretKeys: ReadonlySet<string>;
}

export interface ParsedStackConfig {
    readonly config: PulseConfig;
    /** Plain-text values of the secret keys that are set; the caller wraps them as Pulumi secrets at once. */
    readonly secretValues: Partial<Record<SecretKey, string>>;
}

const isSecretKey = (k: string): k is SecretKey => Object.prototype.hasOwnProperty.call(SECRET_KEYS, k);

/** Parses and validates; throws ConfigError listing every problem. Keys of other namespaces are ignored. */
export function parseStackConfig(raw: RawStackConfig): ParsedStackConfig {
    const problems: string[] = [];
    const sections: Record<string, unknown> = {};
    const secretValues: Partial<Record<SecretKey, string>> = {};

    for (const [fullKey, value] of Object.entries(raw.values)) {
        if (!fullKey.startsWith(`${NAMESPACE}:`)) continue;
        const key = fullKey.slice(NAMESPACE.length + 1);
        const secret = raw.secretKeys.has(fullKey);
        if (isSecretKey(key)) {
            if (!secret) problems.push(`${fullKey}: is a secret; set it with \`pulumi config set --secret ${fullKey}\``);
            else if (value === "") problems.push(`${fullKey}: must not be empty`);
            else secretValues[key] = value;
            continue;
        }
        if (secret && key !== NAMESPACE) {
            const known = Object.prototype.hasOwnProperty.call(pulseConfigSchema.shape, key);
            const hint = known ? undefined : closest(key, Object.keys(SECRET_KEYS));
            // A section with a secret typed into it (`pulumi config set --secret --path pulse:smtp.password`): point at its key.
            const typed = known ? secretsTypedIn(key, value) : [];
            if (typed.length > 0) {
                problems.push(
                    ...typed.map(
                        ([at, k]) => `${keyPath(at)}: is a secret, never a field of a section: set it with \`pulumi config set --secret ${NAMESPACE}:${k}\``,
                    ),
                );
                continue;
            }
            problems.push(
                hint
                    ? `${fullKey}: unknown secret key (did you mean "${NAMESPACE}:${hint}"?)`
                    : `${fullKey}: holds a secret value; secrets are separate keys (${Object.keys(SECRET_KEYS)
                          .map((k) => `${NAMESPACE}:${k}`)
                          .join(", ")}), never fields of a section`,
            );
            continue;
        }
        if (SCALAR_KEYS.has(key)) {
            sections[key] = value;
            continue;
        }
        try {
            sections[key] = JSON.parse(value);
        } catch {
            // Pulumi stores a YAML map as JSON; anything else here is a plain string where an object belongs.
            sections[key] = value;
        }
    }

    const result = pulseConfigSchema.safeParse(sections, { reportInput: true });
    if (result.success) problems.push(...wholeConfigProblems(result.data, secretValues));
    else {
        // Every problem at once: the secrets', production's and chart sources' checks run on the config without its
        // bad keys (their defaults apply) and add what the schema did not say, but nothing in a section with a bad key:
        // there they would judge defaults the user never wrote (an invalid host's TLS against the default host). A
        // refused app.environment skips them: its default, production, would make every check production's.
        const schemaProblems = result.error.issues.flatMap(formatIssue);
        const said = new Set(schemaProblems.map(keyOf));
        const badSections = new Set(schemaProblems.map((p) => sectionOf(keyOf(p))));
        const rest = withoutBadKeys(sections, result.error.issues);
        const written = (sections.app as { environment?: unknown } | null | undefined)?.environment;
        const environmentKept = rest !== undefined && (written === undefined || written === rest.app.environment);
        const more = rest && environmentKept ? wholeConfigProblems(rest, secretValues) : [];
        problems.push(...schemaProblems, ...more.filter((p) => !said.has(keyOf(p)) && !badSections.has(sectionOf(keyOf(p)))));
    }
    if (problems.length > 0) throw new ConfigError(problems);
    return { config: result.data as PulseConfig, secretValues };
}

/** The checks of a whole stack config beyond the schema: its secrets, production's needs, the chart sources. */
const wholeConfigProblems = (c: PulseConfig, set: Partial<Record<SecretKey, string>>): string[] => [
    ...secretProblems(c, set),
    ...productionProblems(c).map(([path, reason]) => `${keyPath(path)}: ${reason}`),
    ...chartSourceProblems(c),
];

/** The key a problem line names (`pulse:ingest.replicaCount`). */
const keyOf = (problem: string): string => problem.slice(0, problem.indexOf(": "));
/** The top-level key of a problem's key (`pulse:ingest.hosts[0]` → `ingest`). */
const sectionOf = (key: string): string => /^[^:]*:([^.[]*)/.exec(key)?.[1] ?? key;

/**
 * The config with the keys the schema refused removed (their defaults apply), section by section and without the
 * cross-section checks (already reported), for the checks that need a whole config; undefined if a section stays invalid.
 * A key inside a list takes the whole list with it.
 */
function withoutBadKeys(sections: Record<string, unknown>, issues: readonly z.core.$ZodIssue[]): PulseConfig | undefined {
    const strip = (input: Record<string, unknown>, bad: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []) => {
        for (const issue of bad) {
            const paths = issue.code === "unrecognized_keys" ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
            for (const p of paths.map((x) => [...prefix, ...x])) {
                const cut = p.findIndex((x) => typeof x === "number");
                removePath(input, cut < 0 ? p : p.slice(0, cut));
            }
        }
    };
    const input = structuredClone(sections);
    strip(input, issues);
    const out: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(pulseConfigSchema.shape) as [string, z.ZodType][]) {
        let result = schema.safeParse(input[key]);
        for (let round = 0; !result.success && round < 3; round++) {
            strip(input, result.error.issues, [key]);
            result = schema.safeParse(input[key]);
        }
        if (!result.success) result = schema.safeParse(undefined);
        if (!result.success) return undefined;
        out[key] = result.data;
    }
    return out as PulseConfig;
}

function removePath(root: Record<string, unknown>, path: readonly PropertyKey[]): void {
    if (path.length === 0) return;
    let at: unknown = root;
    for (const k of path.slice(0, -1)) {
        if (typeof at !== "object" || at === null) return;
        at = (at as Record<PropertyKey, unknown>)[k];
    }
    if (typeof at === "object" && at !== null) delete (at as Record<PropertyKey, unknown>)[path[path.length - 1]];
}

/** Secret keys that the rest of the config makes required, pointless or unsafe. Values are never echoed. */
function secretProblems(c: PulseConfig, set: Partial<Record<SecretKey, string>>): string[] {
    const problems: string[] = [];
    const key = (k: SecretKey) => `${NAMESPACE}:${k}`;
    problems.push(...chartPasswordProblems(c, set));
    if (c.secrets.external) {
        // The chart repository's password is Pulumi's own, not a Kubernetes Secret's.
        for (const k of (Object.keys(set) as SecretKey[]).filter((k) => k !== "chartRepositoryPassword")) {
            problems.push(`${key(k)}: is not used when ${NAMESPACE}:secrets.external is true (the Secrets are managed outside Pulumi); remove it`);
        }
        return problems;
    }
    // Keycloak's own secrets: nothing of Keycloak is deployed to use them.
    for (const k of ["keycloakAdminPassword", "keycloakDbPassword"] as const) {
        if (!c.keycloak.enabled && set[k] !== undefined) {
            problems.push(`${key(k)}: is not used when keycloak.enabled is false (no Keycloak is deployed, docs/secrets.md); remove it`);
        }
    }
    for (const k of c.keycloak.enabled ? (["dbPassword", "keycloakDbPassword"] as const) : (["dbPassword"] as const)) {
        if (c.externalDatabase.enabled && set[k] === undefined) {
            problems.push(
                `${key(k)}: is required with externalDatabase.enabled (the program cannot generate a managed database's password); set it with \`pulumi config set --secret ${key(k)}\``,
            );
        }
    }
    if ((!c.postgresql.enabled || c.postgresql.architecture !== "replication") && set.postgresReplicationPassword !== undefined) {
        problems.push(`${key("postgresReplicationPassword")}: is used only with postgresql.architecture replication; remove it`);
    }
    if (c.externalDatabase.enabled && set.postgresPassword !== undefined) {
        problems.push(`${key("postgresPassword")}: is not used with an external database; remove it`);
    }
    if (!c.emqx.enabled && set.emqxDashboardPassword !== undefined) {
        problems.push(`${key("emqxDashboardPassword")}: is not used when emqx.enabled is false; remove it`);
    }
    if (!c.emqx.enabled && set.emqxApiSecret !== undefined) {
        problems.push(`${key("emqxApiSecret")}: is not used when emqx.enabled is false (the API key is bootstrapped into the in-cluster EMQX); remove it`);
    }
    // EMQX's bootstrap file holds `key:secret` per line.
    if (set.emqxApiSecret !== undefined && /[:\s]/.test(set.emqxApiSecret)) {
        problems.push(`${key("emqxApiSecret")}: must not contain ':' or whitespace (EMQX's API key bootstrap file is one key:secret per line)`);
    }
    if (set.emqxDashboardPassword === "public") {
        problems.push(`${key("emqxDashboardPassword")}: must not be EMQX's well-known default password`);
    }
    if (set.adminKey !== undefined && set.adminKey.length < 32) {
        problems.push(`${key("adminKey")}: must be at least 32 characters (provision-api refuses a shorter one)`);
    }
    if (c.app.environment === "production") {
        for (const k of PRODUCTION_SECRETS.filter((k) => set[k] === undefined)) {
            problems.push(
                `${key(k)}: is required with app.environment production (a generated placeholder would start Pulse but break the feature); set it with \`pulumi config set --secret ${key(k)}\``,
            );
        }
    }
    return problems;
}

/** `pulse:chartRepositoryPassword` exactly when an installed chart comes from a repository with a user. */
function chartPasswordProblems(c: PulseConfig, set: Partial<Record<SecretKey, string>>): string[] {
    const key = `${NAMESPACE}:chartRepositoryPassword`;
    const withUser = installedCharts(c).filter((s) => c[s].chart.username !== "");
    if (withUser.length > 0 && set.chartRepositoryPassword === undefined) {
        const users = withUser.map((s) => `${NAMESPACE}:${s}.chart.username`).join(", ");
        return [`${key}: is required by ${users}; set it with \`pulumi config set --secret ${key}\``];
    }
    if (withUser.length === 0 && set.chartRepositoryPassword !== undefined) {
        return [`${key}: is not used: no installed chart sets chart.username; remove it`];
    }
    return [];
}

/** The chart sections whose release is installed. */
function installedCharts(c: PulseConfig): ReleaseKey[] {
    return RELEASE_KEYS.filter((s) => c[s].enabled);
}

/**
 * Local chart sources must exist and be the pinned chart; the repository's TLS files must exist. Relative paths are
 * relative to the working directory, which `pulumi` sets to the project directory.
 */
function chartSourceProblems(c: PulseConfig, cwd = process.cwd()): string[] {
    const problems: string[] = [];
    for (const section of installedCharts(c)) {
        const chart = c[section].chart;
        const where = (k: string) => `${NAMESPACE}:${section}.chart.${k}`;
        const resolved = (p: string) => path.resolve(cwd, p);
        for (const k of ["caFile", "certFile", "keyFile"] as const) {
            if (chart[k] !== "" && !fs.existsSync(resolved(chart[k]))) problems.push(`${where(k)}: no such file: ${chart[k]}`);
        }
        if (chart.path === "") continue;
        const local = resolved(chart.path);
        const stat = fs.statSync(local, { throwIfNoEntry: false });
        if (!stat || (stat.isFile() && !/\.tgz$/.test(local))) {
            problems.push(`${where("path")}: must be a chart directory or a .tgz archive, got ${stat ? "" : "no such file: "}${chart.path}`);
            continue;
        }
        // Helm installs whatever version a local chart is: it must be the pinned one.
        const meta = stat.isFile() ? chartYamlOfArchive(local) : chartYamlOf(readText(path.join(local, "Chart.yaml")));
        if (meta === undefined) problems.push(`${where("path")}: ${chart.path} holds no readable Chart.yaml`);
        else if (meta.name !== RELEASES[section].chart) problems.push(`${where("path")}: holds chart "${meta.name}", not "${RELEASES[section].chart}"`);
        else if (meta.version !== chart.version) {
            problems.push(`${where("version")}: must match the local chart's version ${meta.version} (${chart.path}), got "${chart.version}"`);
        }
    }
    return problems;
}

type ChartMeta = { name?: string; version?: string };

function readText(file: string): string | undefined {
    try {
        return fs.readFileSync(file, "utf8");
    } catch {
        return undefined;
    }
}

function chartYamlOf(text: string | undefined): ChartMeta | undefined {
    try {
        const doc: unknown = text === undefined ? undefined : YAML.parse(text);
        if (typeof doc !== "object" || doc === null) return undefined;
        const { name, version } = doc as Record<string, unknown>;
        return {
            name: typeof name === "string" ? name : undefined,
            version: typeof version === "string" || typeof version === "number" ? String(version) : undefined,
        };
    } catch {
        return undefined;
    }
}

/** `<chart>/Chart.yaml` of a packaged chart (gzip'd tar, as `helm package` writes it). */
function chartYamlOfArchive(file: string): ChartMeta | undefined {
    let tar: Buffer;
    try {
        tar = zlib.gunzipSync(fs.readFileSync(file));
    } catch {
        return undefined;
    }
    // ustar: 512-byte headers (name at 0, size in octal at 124, type at 156), contents padded to 512 bytes.
    for (let at = 0; at + 512 <= tar.length;) {
        const name = tar.toString("utf8", at, at + 100).replace(/\0.*$/s, "");
        if (name === "") break;
        const size = parseInt(
            tar
                .toString("utf8", at + 124, at + 136)
                .replace(/\0.*$/s, "")
                .trim() || "0",
            8,
        );
        if (/^[^/]+\/Chart\.yaml$/.test(name)) return chartYamlOf(tar.toString("utf8", at + 512, at + 512 + size));
        at += 512 + Math.ceil(size / 512) * 512;
    }
    return undefined;
}

/** Validates an already-structured config object (tests, tools). */
export function parseConfig(input: unknown): PulseConfig {
    const result = pulseConfigSchema.safeParse(input, { reportInput: true });
    if (!result.success) throw new ConfigError(result.error.issues.flatMap(formatIssue));
    return result.data;
}

// ─── Messages ───────────────────────────────────────────────────────────────────────────────────────────────

/** `pulse:ingest.hosts[0].host` */
function keyPath(path: readonly PropertyKey[]): string {
    let out = NAMESPACE + ":";
    path.forEach((p, i) => {
        if (typeof p === "number") out += `[${p}]`;
        else out += (i === 0 ? "" : ".") + String(p);
    });
    return out;
}

/** Names that suggest a secret value: such a key's value is never printed (the schema's own keys hold none). */
const SECRET_LOOKING_RE = /pass(word|wd)?|secret|token|credential|private.?key|api.?key|access.?key/i;

/** Strings with any URL credentials replaced, deep. */
function withoutCredentials(v: unknown): unknown {
    if (typeof v === "string") return withoutUrlCredentials(v);
    if (Array.isArray(v)) return v.map(withoutCredentials);
    if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withoutCredentials(x)]));
    return v;
}

/** The value a message shows: short, never a URL's credentials, never the value of a key that looks like a secret. */
function shown(v: unknown, path: readonly PropertyKey[] = []): string {
    if (v === undefined) return "nothing";
    const last = path[path.length - 1];
    if (typeof last === "string" && SECRET_LOOKING_RE.test(last) && !keysAt(pulseConfigSchema, path.slice(0, -1)).includes(last)) return "(not shown)";
    const s = JSON.stringify(withoutCredentials(v));
    return s.length > 60 ? s.slice(0, 57) + "..." : s;
}

/**
 * Secrets typed into a section, by the key a newcomer writes there: each is a `pulse:<secret>` key of its own.
 * Beyond these, a key named like a secret key (`smtpPassword`), or whose section path and name spell one
 * (`keycloak.adminPassword`), points at it too.
 */
const SECRETS_IN_SECTIONS: Readonly<Record<string, SecretKey>> = {
    "smtp.password": "smtpPassword",
    "s3.secretAccessKey": "s3SecretKey",
    "s3.accessKeyId": "s3AccessKey",
    "externalDatabase.password": "dbPassword",
    "postgresql.auth.password": "dbPassword",
    "postgresql.auth.replicationPassword": "postgresReplicationPassword",
    "keycloak.database.password": "keycloakDbPassword",
    "keycloak.adminPassword": "keycloakAdminPassword",
    "emqx.dashboard.password": "emqxDashboardPassword",
    "emqx.apiSecret": "emqxApiSecret",
    "emqx.password": "mqttPassword",
};

/** The secret key a section's unknown key stands for, if it is one. */
function secretTypedAt(path: readonly PropertyKey[], key: string): SecretKey | undefined {
    const dotted = [...path, key].filter((p) => typeof p === "string").join(".");
    if (Object.hasOwn(SECRETS_IN_SECTIONS, dotted)) return SECRETS_IN_SECTIONS[dotted];
    if (path[path.length - 1] === "chart" && /^pass(word)?$/i.test(key)) return "chartRepositoryPassword";
    const flat = (s: string) => s.toLowerCase().replace(/database/g, "db");
    const spelled = flat([...path.filter((p) => typeof p === "string"), key].join(""));
    return (Object.keys(SECRET_KEYS) as SecretKey[]).find((k) => flat(k) === flat(key) || flat(k) === spelled);
}

/** The secret keys typed into a section's (JSON) value, by path. */
function secretsTypedIn(section: string, json: string): [PropertyKey[], SecretKey][] {
    let value: unknown;
    try {
        value = JSON.parse(json);
    } catch {
        return [];
    }
    const found: [PropertyKey[], SecretKey][] = [];
    const walk = (v: unknown, path: string[]) => {
        if (typeof v !== "object" || v === null || Array.isArray(v)) return;
        for (const [k, x] of Object.entries(v)) {
            const secret = secretTypedAt(path, k);
            if (secret && !keysAt(pulseConfigSchema, path).includes(k)) found.push([[...path, k], secret]);
            else walk(x, [...path, k]);
        }
    };
    walk(value, [section]);
    return found;
}

/** A string where a number or boolean was given: YAML reads unquoted 1.0, 5.8, true, on as such. */
function quoteHint(issue: z.core.$ZodIssue): string {
    const input = (issue as { input?: unknown }).input;
    if (issue.code !== "invalid_type" || issue.expected !== "string" || (typeof input !== "number" && typeof input !== "boolean")) return "";
    return `: YAML reads an unquoted ${typeof input} as such (1.0 even as 1); quote it ("...")`;
}

/** Keys that were replaced, with what to write instead (an unknown key otherwise, which says less). */
const REPLACED_KEYS: Readonly<Record<string, string>> = {
    "smtp.tls":
        "replaced by smtp.security, one meaning for every consumer: starttls (port 587), tls (TLS from the first byte, port 465) or none; remove smtp.tls",
};

function formatIssue(issue: z.core.$ZodIssue): string[] {
    const where = keyPath(issue.path);
    switch (issue.code) {
        case "unrecognized_keys":
            return issue.keys.map((k) => {
                const where = keyPath([...issue.path, k]);
                if (issue.path.length === 0 && k === NAMESPACE) {
                    return `${where}: unknown key: a nested \`${NAMESPACE}:\` map; write each setting as its own \`${NAMESPACE}:<key>\` key directly under \`config:\``;
                }
                if (issue.path.length === 0 && k.includes(".")) {
                    return `${where}: unknown key; to set a field of a section use \`pulumi config set --path '${NAMESPACE}:${k}' <value>\``;
                }
                const replaced = REPLACED_KEYS[[...issue.path, k].join(".")];
                if (replaced) return `${where}: ${replaced}`;
                const secret = issue.path.length > 0 ? secretTypedAt(issue.path, k) : closestSecret(k);
                if (secret) {
                    return issue.path.length > 0
                        ? `${where}: is a secret, never a field of a section: set it with \`pulumi config set --secret ${NAMESPACE}:${secret}\``
                        : `${where}: unknown key (did you mean "${NAMESPACE}:${secret}"? It is a secret: \`pulumi config set --secret ${NAMESPACE}:${secret}\`)`;
                }
                const hint = suggestKey(issue.path, k);
                return `${where}: unknown key${hint ? ` (did you mean "${hint}"?)` : ""}`;
            });
        case "invalid_type":
            if (issue.input === undefined) return [`${where}: is required`];
            if (issue.message.startsWith("Invalid input")) {
                return [
                    `${where}: must be ${issue.expected === "object" ? "an object" : `a ${issue.expected}`}, got ${shown(issue.input, issue.path)}${quoteHint(issue)}`,
                ];
            }
            return [`${where}: ${issue.message}, got ${shown(issue.input, issue.path)}${quoteHint(issue)}`];
        default:
            return [`${where}: ${issue.message}, got ${shown(issue.input, issue.path)}`];
    }
}

/** The known key closest to a misspelt one, if it is close enough to be the likely intent. */
const suggestKey = (path: readonly PropertyKey[], unknown: string): string | undefined => closest(unknown, keysAt(pulseConfigSchema, path));

/** The secret key a top-level key misspells, unless a section's name is closer. */
function closestSecret(unknown: string): SecretKey | undefined {
    const secret = closest(unknown, Object.keys(SECRET_KEYS)) as SecretKey | undefined;
    if (secret === undefined) return undefined;
    const section = closest(unknown, Object.keys(pulseConfigSchema.shape));
    const d = (k: string) => levenshtein(unknown.toLowerCase(), k.toLowerCase());
    return section !== undefined && d(section) < d(secret) ? undefined : secret;
}

/** Of `known`, the one closest to `unknown`, if it is close enough to be the likely intent. */
function closest(unknown: string, known: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const k of known) {
        const d = levenshtein(unknown.toLowerCase(), k.toLowerCase());
        if (d < bestDistance) [best, bestDistance] = [k, d];
    }
    return bestDistance <= Math.max(2, Math.floor(unknown.length / 3)) ? best : undefined;
}

/** The keys an object schema accepts at `path`, looking through defaults, optionals, arrays and records. */
function keysAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
    let s: z.core.$ZodType | undefined = schema;
    for (const segment of [...path, undefined]) {
        // Unwrap wrappers until an object or array.
        for (;;) {
            const def: z.core.$ZodTypeDef & { innerType?: z.core.$ZodType; in?: z.core.$ZodType } = s._zod.def;
            if (def.innerType) s = def.innerType;
            else if (def.type === "pipe" && def.in) s = def.in;
            else break;
        }
        if (segment === undefined) break;
        const def = s._zod.def as z.core.$ZodTypeDef & {
            shape?: Record<string, z.core.$ZodType>;
            element?: z.core.$ZodType;
            valueType?: z.core.$ZodType;
        };
        s = typeof segment === "number" ? def.element : (def.shape?.[String(segment)] ?? def.valueType);
        if (!s) return [];
    }
    const shape = (s._zod.def as { shape?: Record<string, unknown> }).shape;
    return shape ? Object.keys(shape) : [];
}

function levenshtein(a: string, b: string): number {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let prev = row[0];
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const tmp = row[j];
            row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
            prev = tmp;
        }
    }
    return row[b.length];
}
