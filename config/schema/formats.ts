/**
 * Formats: the string grammars config values are checked against (Kubernetes quantities and byte sizes, DNS labels and
 * host names, object names, CIDR lists, image references, NATS URLs) and the quantity arithmetic the checks share.
 */
import { z } from "zod";
import { parseCidr } from "../../lib/cidr";
import { DNS1123_LABEL_MAX, DNS1123_LABEL_RE, DNS1123_SUBDOMAIN_MAX, DNS1123_SUBDOMAIN_RE } from "./apimachinery";
import { CRON_DESCRIPTORS, cronScheduleProblem } from "./cron";
import { TAG_RE } from "./reference";

/** A Kubernetes resource.Quantity in its canonical string forms: 250m, 1, 0.5, 512Mi, 2Gi, 1e3. */
const QUANTITY_RE = /^[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[KMGTPE]i|[numkMGTPE])?$/;
/** An RFC 1123 host name: dot-separated labels, at most 253 characters. */
export const HOSTNAME_RE = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
/** An Ingress host: a host name, optionally with a leading '*.' wildcard label. */
export const INGRESS_HOST_RE = /^(\*\.)?[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/;
/** Image tags, digests, repositories and registries: distribution/reference's grammar (reference.ts). */
export const IMAGE_TAG_RE = TAG_RE;
export const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
/** Environment variable names Kubernetes accepts. */
export const ENV_NAME_RE = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

export function quantity() {
    const msg = 'must be a Kubernetes quantity string such as "512Mi", "2Gi" or "250m"';
    return z.string({ error: msg }).regex(QUANTITY_RE, { error: msg }).meta({ kind: "quantity" });
}

/** Below this, a byte quantity is almost surely a missing unit ("512" is 512 bytes, not 512Mi). */
const BYTES_FLOOR = { text: "1Mi", bytes: 1024 * 1024 };

/** A quantity of bytes (memory, storage, volume sizes): at least 1Mi, with a hint when the unit looks forgotten. */
export function bytes() {
    return quantity().superRefine((q, ctx) => {
        const n = parseQuantity(q);
        if (n === undefined || n >= BYTES_FLOOR.bytes) return;
        const unitless = /^[+]?[\d.]+$/.test(q);
        ctx.addIssue({
            code: "custom",
            input: q,
            message: `is ${n} bytes, below ${BYTES_FLOOR.text}${unitless ? `: without a unit a quantity counts bytes (did you mean "${q}Mi"?)` : ""}`,
        });
    });
}

/** A DNS-1123 label (apimachinery.ts), with its rule as a JSON Schema pattern for editors. */
export const dnsLabel = () =>
    z
        .string({ error: "must be a DNS label (RFC 1123)" })
        .max(DNS1123_LABEL_MAX, { error: `must be a DNS label: at most ${DNS1123_LABEL_MAX} characters` })
        .regex(DNS1123_LABEL_RE, { error: "must be a DNS label: lower-case letters, digits and '-', starting and ending with a letter or digit" })
        .meta({ kind: "DNS label" });

export function hostname() {
    const msg = "must be a DNS host name (RFC 1123): lower-case labels of letters, digits and '-', separated by dots";
    return z.string({ error: msg }).regex(HOSTNAME_RE, { error: msg }).meta({ kind: "host name" });
}

/** An object name: a DNS-1123 subdomain (apimachinery.ts; no per-label limit, as the API server checks it). */
export const k8sName = (what: string) =>
    z
        .string({ error: `must be ${what}` })
        .max(DNS1123_SUBDOMAIN_MAX, { error: `must be ${what}: at most ${DNS1123_SUBDOMAIN_MAX} characters` })
        .regex(DNS1123_SUBDOMAIN_RE, { error: `must be ${what}: a DNS subdomain name (lower-case letters, digits, '-' and '.')` })
        .meta({ kind: "object name" });

/** A PostgreSQL identifier the setup script creates unquoted-safe: lower case, digits and '_'. */
export const pgIdentifier = (what: string) =>
    z.string({ error: `must be ${what}` }).regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: `must be ${what}: lower-case letters, digits and '_' (PostgreSQL)` });

/** A CronJob schedule as the API server validates it (cron.ts: robfig/cron v3's standard parser, no TZ). */
export function cronSchedule() {
    const shape = `must be a cron schedule as Kubernetes reads it: five fields such as "0 2 * * *" (day of week 0-6 or SUN-SAT), one of ${CRON_DESCRIPTORS.join(", ")}, or "@every <duration>" such as "@every 12h"`;
    return z
        .string({ error: shape })
        .superRefine((v, ctx) => {
            const problem = cronScheduleProblem(v);
            if (problem !== undefined) ctx.addIssue({ code: "custom", input: v, message: `${shape}; the API server says: ${problem}` });
        })
        .meta({ kind: "cron schedule" });
}

/**
 * A URL's user information (`user[:password]@`), which stack config must never hold: it is plain text, and printed.
 * Any '@' after `scheme://` counts, up to the last one: a password may hold '/', '?' or '#' (generated ones and AWS
 * secret keys do), which a URL parser takes for the end of the authority. Without a scheme: `user:password@host`.
 */
const URL_CREDENTIALS_RE = /([a-z][a-z0-9+.-]*:\/\/)\S*@|^[^\s:@]*:\S*@/gi;
export const hasUrlCredentials = (v: string): boolean => new RegExp(URL_CREDENTIALS_RE.source, "i").test(v);
/** `v` with every URL's user information replaced by `***`. */
export const withoutUrlCredentials = (v: string): string => v.replace(URL_CREDENTIALS_RE, (_m, scheme?: string) => `${scheme ?? ""}***@`);
export const CREDENTIALS =
    "must not carry credentials (user:password@): stack config is plain text and would print them; give the service's credentials through its secret keys";

/** A string checked by `valid` (a reason, or undefined), credentials refused first; "" too when `allowEmpty`. */
const urlString = (rule: string, valid: (v: string) => string | undefined, allowEmpty: boolean) =>
    z.string({ error: rule }).superRefine((v, ctx) => {
        if (allowEmpty && v === "") return;
        const problem = hasUrlCredentials(v) ? CREDENTIALS : valid(v);
        if (problem !== undefined) ctx.addIssue({ code: "custom", input: v, message: problem });
    });

/** nats://host[:port] or tls://host[:port] ("" too with allowEmpty). */
export function natsUrl(allowEmpty = false) {
    const msg = "must be a NATS URL such as nats://nats.example.com:4222 (or tls://...)";
    return urlString(
        msg,
        (v) => {
            const m = /^(nats|tls):\/\/([^/:\s]+)(:(\d{1,5}))?$/.exec(v);
            return m !== null && HOSTNAME_RE.test(m[2]) && (m[4] === undefined || (Number(m[4]) >= 1 && Number(m[4]) <= 65535)) ? undefined : msg;
        },
        allowEmpty,
    );
}

/** An http(s) URL (of the given protocols) without credentials or fragment ("" too with allowEmpty). */
export const httpUrl = (rule: string, protocols: readonly string[] = ["https:", "http:"], allowEmpty = false) =>
    urlString(
        rule,
        (v) => {
            try {
                const url = new URL(v);
                return protocols.includes(url.protocol) && !url.hash ? undefined : rule;
            } catch {
                return rule;
            }
        },
        allowEmpty,
    );

export const optionalHost = (what: string) =>
    z
        .union([z.literal(""), hostname()], { error: "must be a DNS host name (RFC 1123)" })
        .default("")
        .describe(what);

/** CIDR blocks the API server accepts in a NetworkPolicy ipBlock (or a Service's loadBalancerSourceRanges). */
export const cidrs = (example: string) =>
    z.array(
        z.string({ error: `must be a CIDR such as ${example}` }).superRefine((text, ctx) => {
            const parsed = parseCidr(text);
            if (typeof parsed === "string") ctx.addIssue({ code: "custom", input: text, message: `must be a CIDR such as ${example} (${parsed})` });
        }),
    );

const SUFFIX: Record<string, number> = {
    "": 1,
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
};

/** Bytes as the largest binary unit that divides them (2147483648 -> "2Gi"). */
export function formatBytes(n: number): string {
    for (const [suffix, f] of [
        ["Ti", 2 ** 40],
        ["Gi", 2 ** 30],
        ["Mi", 2 ** 20],
        ["Ki", 2 ** 10],
    ] as const)
        if (n % f === 0) return `${n / f}${suffix}`;
    return String(n);
}

/** The numeric value of a Kubernetes quantity ("512Mi" -> 536870912), or undefined when it is not one. */
export function parseQuantity(q: unknown): number | undefined {
    if (typeof q !== "string" || !QUANTITY_RE.test(q)) return undefined;
    const m = /^[+]?((?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)([KMGTPE]i|[numkMGTPE])?$/.exec(q);
    if (!m) return undefined;
    return Number(m[1]) * SUFFIX[m[2] ?? ""];
}
