/**
 * What the EMQX chart (emqx 5.8.9, templates/configmap.yaml) can carry in its `emqxConfig` values, modelled on its
 * template. Each non-empty entry becomes one key of the `<fullname>-env` ConfigMap:
 *   - the key: trimmed, upper-cased, every `EMQX_`/`EMQX.` removed, `.` turned into `__`, then `EMQX_` put in front;
 *   - a scalar: `KEY: "{{ tpl (printf "%v" $value) $ }}"`: unescaped inside double quotes, evaluated as a template;
 *   - a list or map: `KEY: {{ tpl (printf "%q" (toJson $value)) $ }}`: JSON, Go-quoted, evaluated as a template;
 *   - an empty value (`if $value`: "", false, 0, an empty list or map) is left out.
 * So a scalar holding a double quote or a backslash breaks or changes the YAML, and `{{` anywhere is run as a template.
 * The program gives lists and maps as structures and checks every entry here before the chart sees it.
 */
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";

type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };
/** An `emqxConfig` value: a string (an HOCON scalar; "" leaves the entry out), or a list or map (rendered as JSON). */
type EmqxConfigValue = string | readonly Json[] | { readonly [key: string]: Json };
export type EmqxConfig = Readonly<Record<string, EmqxConfigValue>>;

/** The chart's key rule: `regexReplaceAllLiteral "\\." (regexReplaceAllLiteral "EMQX[_\\.]" (upper (trimAll " " k)) "") "__"`. */
export function chartEnvKey(key: string): string {
    const trimmed = key.replace(/^ +| +$/g, "");
    return (
        "EMQX_" +
        trimmed
            .toUpperCase()
            .replace(/EMQX[_.]/g, "")
            .replace(/\./g, "__")
    );
}

/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const goPrintable = (ch: string) => ch === " " || /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(ch);
const GO_ESCAPES: Record<string, string> = { "\x07": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v" };

/** Go's `%q` of a string (strconv.Quote). */
export function goQuote(s: string): string {
    let out = '"';
    for (const ch of s) {
        const cp = ch.codePointAt(0)!;
        if (ch === '"' || ch === "\\") out += "\\" + ch;
        else if (goPrintable(ch)) out += ch;
        else if (GO_ESCAPES[ch]) out += GO_ESCAPES[ch];
        else if (cp < 0x20 || cp === 0x7f) out += "\\x" + cp.toString(16).padStart(2, "0");
        else if (cp < 0x10000) out += "\\u" + cp.toString(16).padStart(4, "0");
        else out += "\\U" + cp.toString(16).padStart(8, "0");
    }
    return out + '"';
}

/** Go's encoding/json string: HTML-safe (<, >, & escaped), U+2028/U+2029 escaped. */
function goJsonString(s: string): string {
    return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

/** Sprig's `toJson` (encoding/json): map keys sorted, strings HTML-safe. */
export function goToJson(v: unknown): string {
    if (typeof v === "string") return goJsonString(v);
    if (Array.isArray(v)) return `[${v.map(goToJson).join(",")}]`;
    if (typeof v === "object" && v !== null) {
        const entries = Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        return `{${entries.map(([k, x]) => `${goJsonString(k)}:${goToJson(x)}`).join(",")}}`;
    }
    return JSON.stringify(v);
}

const isStructure = (v: unknown): v is object => typeof v === "object" && v !== null;

/** The ConfigMap line the chart writes for one entry, or undefined when it leaves the entry out. */
export function chartEnvLine(key: string, value: unknown): string | undefined {
    if (!value || (isStructure(value) && Object.keys(value).length === 0)) return undefined;
    // Go's %v of a scalar: the program gives strings only (emqxConfigProblems), true prints as Go prints it.
    const text = isStructure(value) ? goQuote(goToJson(value)) : `"${typeof value === "string" ? value : JSON.stringify(value)}"`;
    return `${chartEnvKey(key)}: ${text}`;
}

/** Why one entry does not reach EMQX as given, or undefined when it does (or is "", left out on purpose). */
function entryProblem(key: string, value: unknown): string | undefined {
    if (!/^[A-Z0-9_]+$/.test(key) || chartEnvKey(key) !== key) {
        return `the key must be EMQX's environment variable as the chart writes it (upper case, digits, _; the chart makes it ${chartEnvKey(key)})`;
    }
    if (value === "") return undefined;
    if (typeof value !== "string" && !isStructure(value)) {
        return `must be a string, a list or a map, got ${value === null ? "null" : typeof value} (the chart leaves false and 0 out and prints numbers with %v)`;
    }
    if (isStructure(value) && Object.keys(value).length === 0) return 'is empty, which the chart leaves out; give "" to leave an entry out on purpose';
    const line = chartEnvLine(key, value)!;
    if (line.includes("{{")) return "holds `{{`, which the chart evaluates as a Helm template (tpl)";
    if (typeof value === "string") {
        if (value.includes('"')) return "holds a double quote, which ends the chart's double-quoted YAML string; give a list or a map as a structure";
        if (value.includes("\\")) return "holds a backslash, which YAML reads as an escape inside the chart's double quotes";
        // YAML's printable characters (what Helm's YAML reader accepts in a stream).
        if (/[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u.test(value)) return "holds a control character, which YAML does not allow";
    }
    const doc = YAML.parseDocument(`data:\n  ${line}\n`, { version: "1.1", uniqueKeys: true });
    const back: unknown = doc.errors.length === 0 ? (doc.toJS() as { data?: Record<string, unknown> } | null)?.data?.[key] : undefined;
    const intended = isStructure(value) ? goToJson(value) : value;
    if (back !== intended)
        return `does not survive the chart's template: its ConfigMap would read ${back === undefined ? "nothing (a YAML error)" : JSON.stringify(back)}`;
    if (isStructure(value) && JSON.stringify(JSON.parse(back)) !== JSON.stringify(value)) return "does not survive the chart's JSON";
    return undefined;
}

/** Every entry the chart cannot carry as given: `emqxConfig.<KEY>: <why>`. */
export function emqxConfigProblems(config: Readonly<Record<string, unknown>>): string[] {
    return Object.entries(config).flatMap(([key, value]) => {
        const problem = entryProblem(key, value);
        return problem ? [`emqxConfig.${key}: ${problem}`] : [];
    });
}

/** The entries unchanged; a pulumi.RunError (its message, no stack trace) naming each key the chart cannot carry. */
export function checkedEmqxConfig<T extends EmqxConfig>(config: T): T {
    const problems = emqxConfigProblems(config);
    if (problems.length > 0) {
        throw new pulumi.RunError(`the EMQX chart (templates/configmap.yaml) cannot carry these values:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    }
    return config;
}
