/**
 * Generated stack configs for the dry run against the API server (generated-configs.test.ts): fast-check arbitraries
 * built from the config schema itself (its JSON Schema, as `npm run docs:config` writes it for editors), so a key added
 * to the schema is generated without a change here.
 *
 * A generated config is one of the project's stacks (dev, prod, the CI fixture) with one to four edits: a key anywhere
 * in the schema set to a value of its type, drawn from its pattern, its enum or range, realistic values for its kind,
 * or the mistakes a newcomer makes (capitals, spaces, unicode, over-long values, `//` paths, day-of-week 7, a `+build`
 * tag, credentials in a URL, a system namespace...). Valid and mutated alike: the program decides which it accepts,
 * and everything it accepts must render objects the API server accepts.
 */
import fc from "fast-check";
import { z } from "zod";
import { NAMESPACE, pulseConfigSchema, RawStackConfig } from "../../config";
import { readStackFile, stackFilePath, withPlaceholderSecrets } from "../../tools/stackfile";
import { CI_STACK_FILE } from "../helpers";

/** A node of the schema's JSON Schema (what z.toJSONSchema writes for it). */
interface Node {
    readonly type?: string;
    readonly properties?: Record<string, Node>;
    readonly additionalProperties?: Node | boolean;
    readonly items?: Node;
    readonly enum?: readonly unknown[];
    readonly const?: unknown;
    readonly anyOf?: readonly Node[];
    readonly pattern?: string;
    readonly minimum?: number;
    readonly maximum?: number;
    readonly required?: readonly string[];
    readonly default?: unknown;
    readonly kind?: string;
}

const ROOT = z.toJSONSchema(pulseConfigSchema, { io: "input", unrepresentable: "any", target: "draft-2020-12" }) as Node;

/** One edit: a key (its path from `pulse:`) and the value set there. */
interface Edit {
    readonly path: readonly string[];
    readonly value: unknown;
}

export interface GeneratedConfig {
    readonly base: string;
    readonly edits: readonly Edit[];
}

/** Every key of the schema (objects' properties, recursively; arrays and maps are generated whole). */
function places(node: Node, path: string[] = []): { path: string[]; node: Node }[] {
    const out: { path: string[]; node: Node }[] = path.length > 0 ? [{ path, node }] : [];
    for (const [k, child] of Object.entries(node.properties ?? {})) out.push(...places(child, [...path, k]));
    for (const branch of node.anyOf ?? []) if (branch.properties) out.push(...places(branch, path).slice(1));
    return out;
}

// Values a newcomer types: some right, many wrong. Never a real secret.
const MISTAKES = [
    "",
    " ",
    "Pulse",
    "a b",
    "ünïcödé",
    "😀",
    "x".repeat(64),
    "y".repeat(254),
    "1.0",
    "true",
    "-",
    "*",
    "//",
    "/api/*",
    "a//b",
    "https://user:pass@example.com",
    "kube-system",
    "default",
    "ingress-nginx",
    "1.2.0+build.7",
    "0 0 * * 7",
    "@every 12h",
    "@hourly",
    "Registry.Example.com",
    "registry",
    "example.com/",
    "a/b/c",
    "-lead",
    "trail-",
];
const BY_KEY: readonly [RegExp, readonly string[]][] = [
    [/^(host|hosts|dnsNames|externalHost)$/, ["pulse.example.com", "*.example.com", "localhost", "Pulse.Example.com", "api.pulse.example.com", "10.0.0.1"]],
    [/schedule/i, ["0 2 * * *", "@hourly", "@daily", "@every 12h", "0 0 * * 7", "*/15 * * * *", "0 2 * * SUN", "0 0 31 2 *", "TZ=UTC 0 2 * * *", "60 * * * *"]],
    [/^(tag|appVersion)$/, ["1.2.3", "v1.4.2", "1.2.0-rc.1", "1.2.0+build.7", "latest", "2.16.1-pg16-bitnami", "-bad", "a".repeat(129)]],
    [/^repository$/, ["pulse/ingest-iot", "library/caddy", "Pulse/UI", "pulse//ui", "pulse/ui__x", "pulse/a--b", "x".repeat(256)]],
    [/[rR]egistry$/, ["registry.example.com", "registry.example.com:5000", "localhost:5000", "myregistry", "Registry.Example.com", "a..b", "[::1]:5000"]],
    [/^className$/, ["nginx", "traefik", "Nginx", "my_class", "a.b", "x".repeat(254)]],
    [/^path$/, ["/", "/api", "/api/", "//", "/a//b", "/api/*", "/./x", "/x/..", "/%2fx", "api"]],
    [
        /([uU]rl|[uU]ri|[eE]ndpoint|[pP]oints|repository)$/,
        ["https://s3.example.com", "http://minio.pulse.svc:9000", "https://user:pass@s3.example.com", "nats://n.example.com:4222"],
    ],
    [/^namespace$/, ["pulse", "pulse-prod", "kube-system", "kube-public", "kube-node-lease", "default", "ingress-nginx", "Pulse"]],
    [/(cpu|memory|size|maxSize|ephemeralStorage|maxBytes)$/, ["512Mi", "1Gi", "250m", "1", "1.5Gi", "1e3", "512", "0"]],
    [
        /([sS]ecret|secretName|configMap|claim|Claim|[sS]ecrets|keycloakAdmin|keycloakDb|emqxDashboard|emqxBootstrap|app)$/,
        ["pulse-tls", "pulse-app-secrets", "pulse-db-secret", "Pulse_TLS"],
    ],
    [/(maxAge|duplicateWindow|ackWait)$/, ["0", "90s", "30m", "1h", "24h", "7d", "1m", "2m"]],
    [/^subjects$/, ["telemetry.>", "routes.>", "routes.*", ">", "devices.*.status"]],
    [/^(username|database|name)$/, ["iot", "postgres", "repl_user", "keycloak", "kc", "TELEMETRY", "ROUTES", "extra"]],
    [/^from$/, ["pulse@example.com", "Pulse <pulse@example.com>", ""]],
];
const MAP_KEYS = [
    "team",
    "tier",
    "example.com/team",
    "prometheus.io/scrape",
    "nginx.ingress.kubernetes.io/proxy-body-size",
    "kubernetes.io/metadata.name",
    "Team",
    "a b",
    "a/b/c",
    "k".repeat(64),
    "ünï",
    "-lead",
    "MY_VAR",
];
/**
 * The Kubernetes API's own objects the schema passes through for the API server to check (affinity terms, spread
 * constraints): realistic ones, since their shape is the API's, not the program's (the program validates none of it).
 */
const TERM = { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { tier: "iot" } } };
const PASSED_THROUGH: Record<string, unknown> = {
    nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "disktype", operator: "In", values: ["ssd"] }] }] },
    },
    podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: TERM }] },
    requiredDuringSchedulingIgnoredDuringExecution: TERM,
    preferredDuringSchedulingIgnoredDuringExecution: { weight: 10, podAffinityTerm: TERM },
    topologySpreadConstraints: { ...TERM, maxSkew: 1, whenUnsatisfiable: "ScheduleAnyway" },
};
const MAP_VALUES = ["iot", "monitoring", "true", "", "a b", "v".repeat(64), "ünï", "10m", "x".repeat(300)];

function stringOf(node: Node, key: string): fc.Arbitrary<string> {
    const arbs: fc.WeightedArbitrary<string>[] = [{ arbitrary: fc.constantFrom(...MISTAKES), weight: 2 }];
    if (typeof node.default === "string") arbs.push({ arbitrary: fc.constant(node.default), weight: 1 });
    const pool = BY_KEY.find(([re]) => re.test(key))?.[1];
    if (pool) arbs.push({ arbitrary: fc.constantFrom(...pool), weight: 4 });
    if (node.pattern) {
        try {
            arbs.push({ arbitrary: fc.stringMatching(new RegExp(node.pattern), { size: "small" }), weight: 2 });
        } catch {
            // a pattern fast-check cannot generate from: the pools stand in
        }
    }
    return fc.oneof(...arbs);
}

/** An arbitrary value of a node's type (mostly), `key` naming what it is. */
function valueOf(node: Node, key: string): fc.Arbitrary<unknown> {
    if (node.anyOf) return fc.oneof(...node.anyOf.map((b) => valueOf(b, key)));
    if (node.const !== undefined) return fc.constant(node.const);
    if (node.enum) return fc.oneof({ arbitrary: fc.constantFrom(...node.enum), weight: 5 }, { arbitrary: fc.constantFrom(...MISTAKES), weight: 1 });
    switch (node.type) {
        case "boolean":
            return fc.boolean();
        case "integer":
        case "number":
            return fc.oneof(
                fc.integer({ min: node.minimum ?? -2, max: Math.min(node.maximum ?? 100_000, 100_000) }),
                fc.constantFrom(0, 1, 2, 3, 5, -1, 65535, 65536, 1.5, 2 ** 31),
            );
        case "string":
            return stringOf(node, key);
        case "array":
            return fc.array(node.items ? valueOf(node.items, key) : fc.constant({}), { maxLength: 3 });
        case "object": {
            if (node.properties && Object.keys(node.properties).length > 0) {
                const props = Object.fromEntries(Object.entries(node.properties).map(([k, v]) => [k, valueOf(v, k)]));
                return fc.record(props, { requiredKeys: [...(node.required ?? [])] });
            }
            const passedThrough = typeof node.additionalProperties === "object" && Object.keys(node.additionalProperties).length === 0;
            if (passedThrough) return fc.constant(PASSED_THROUGH[key] ?? {});
            if (typeof node.additionalProperties === "object") {
                return fc.dictionary(fc.constantFrom(...MAP_KEYS), fc.oneof(valueOf(node.additionalProperties, key), fc.constantFrom(...MAP_VALUES)), {
                    maxKeys: 3,
                });
            }
            return fc.constant({});
        }
        default:
            return fc.oneof(fc.constantFrom(...MISTAKES), fc.constant({}));
    }
}

const PLACES = places(ROOT);
const BASES: Record<string, string> = { dev: stackFilePath("dev"), prod: stackFilePath("prod"), ci: CI_STACK_FILE };

export const generatedConfig: fc.Arbitrary<GeneratedConfig> = fc.record({
    base: fc.constantFrom(...Object.keys(BASES)),
    edits: fc.array(
        fc.constantFrom(...PLACES).chain((p) => valueOf(p.node, p.path[p.path.length - 1]).map((value): Edit => ({ path: p.path, value }))),
        { minLength: 1, maxLength: 4 },
    ),
});

/** The raw stack config of a generated config, as Pulumi would hand it over (production secrets as placeholders). */
export function rawConfigOf(g: GeneratedConfig): RawStackConfig {
    const raw = readStackFile(BASES[g.base]);
    const values: Record<string, string> = { ...raw.values };
    for (const { path, value } of g.edits) {
        const key = `${NAMESPACE}:${path[0]}`;
        if (path.length === 1) {
            values[key] = typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
            continue;
        }
        let section: unknown;
        try {
            section = values[key] === undefined ? {} : JSON.parse(values[key]);
        } catch {
            section = {};
        }
        if (typeof section !== "object" || section === null) section = {};
        let at = section as Record<string, unknown>;
        for (const k of path.slice(1, -1)) {
            if (typeof at[k] !== "object" || at[k] === null || Array.isArray(at[k])) at[k] = {};
            at = at[k] as Record<string, unknown>;
        }
        at[path[path.length - 1]] = value;
        values[key] = JSON.stringify(section);
    }
    return withPlaceholderSecrets({ values, secretKeys: raw.secretKeys });
}

/** One line per edit, for a failure message. */
export const describeEdits = (g: GeneratedConfig): string =>
    `${g.base} with ${g.edits.map((e) => `${NAMESPACE}:${e.path.join(".")} = ${JSON.stringify(e.value)?.slice(0, 200)}`).join("; ")}`;
