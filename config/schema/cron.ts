/**
 * A CronJob schedule as the API server validates it: k8s.io/kubernetes v1.35.4 pkg/apis/batch/validation/validation.go
 * validateScheduleFormat, i.e. github.com/robfig/cron/v3 v3.0.1 ParseStandard (parser.go: five fields, or a
 * descriptor such as @hourly or `@every <Go duration>`), and no "TZ" anywhere in it (a new CronJob takes its zone from
 * `timeZone`, never from a TZ= or CRON_TZ= prefix). `@every` reads Go's time.ParseDuration (Go 1.26 src/time/format.go).
 * Transcribed faithfully, quirks included (`?` in any field, `*-5` read as `*`, empty list items skipped).
 */

interface Bounds {
    readonly min: number;
    readonly max: number;
    readonly names?: Readonly<Record<string, number>>;
}

// spec.go
const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DOM: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = {
    min: 1,
    max: 12,
    names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 },
};
const DOW: Bounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };
const FIELDS = [MINUTES, HOURS, DOM, MONTHS, DOW];
const DESCRIPTORS = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

/** Go's strings.Fields: split around runs of unicode.IsSpace characters. */
const GO_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;
const goFields = (s: string): string[] => s.split(GO_SPACE).filter((f) => f !== "");

/** Go's strconv.Atoi (base 10, optional sign, 64-bit), then parser.go's mustParseInt (no negatives). */
function mustParseInt(expr: string): number | string {
    if (!/^[+-]?\d+$/.test(expr)) return `failed to parse int from ${expr}`;
    const n = BigInt(expr);
    if (n > 2n ** 63n - 1n || n < -(2n ** 63n)) return `failed to parse int from ${expr}: value out of range`;
    if (n < 0n) return `negative number (${n}) not allowed: ${expr}`;
    return Number(n);
}

function parseIntOrName(expr: string, names: Bounds["names"]): number | string {
    if (names && Object.hasOwn(names, expr.toLowerCase())) return names[expr.toLowerCase()];
    return mustParseInt(expr);
}

/** parser.go getRange: `*`, `?`, number or name, `a-b`, each with an optional `/step`. The error, or undefined. */
function rangeProblem(expr: string, r: Bounds): string | undefined {
    const rangeAndStep = expr.split("/");
    const lowAndHigh = rangeAndStep[0].split("-");
    const singleDigit = lowAndHigh.length === 1;
    let start: number;
    let end: number;
    if (lowAndHigh[0] === "*" || lowAndHigh[0] === "?") {
        start = r.min;
        end = r.max;
    } else {
        const s = parseIntOrName(lowAndHigh[0], r.names);
        if (typeof s === "string") return s;
        start = s;
        if (lowAndHigh.length === 1) end = start;
        else if (lowAndHigh.length === 2) {
            const e = parseIntOrName(lowAndHigh[1], r.names);
            if (typeof e === "string") return e;
            end = e;
        } else return `too many hyphens: ${expr}`;
    }
    let step = 1;
    if (rangeAndStep.length === 2) {
        const s = mustParseInt(rangeAndStep[1]);
        if (typeof s === "string") return s;
        step = s;
        if (singleDigit) end = r.max;
    } else if (rangeAndStep.length > 2) return `too many slashes: ${expr}`;
    if (start < r.min) return `beginning of range (${start}) below minimum (${r.min}): ${expr}`;
    if (end > r.max) return `end of range (${end}) above maximum (${r.max}): ${expr}`;
    if (start > end) return `beginning of range (${start}) beyond end of range (${end}): ${expr}`;
    if (step === 0) return `step of range should be a positive number: ${expr}`;
    return undefined;
}

/** parser.go getField: comma-separated ranges (strings.FieldsFunc: empty items are skipped). */
const fieldProblem = (field: string, r: Bounds): string | undefined =>
    field
        .split(",")
        .filter((x) => x !== "")
        .map((expr) => rangeProblem(expr, r))
        .find((p) => p !== undefined);

const UNITS: Readonly<Record<string, bigint>> = {
    ns: 1n,
    us: 1000n,
    "\u00b5s": 1000n,
    "\u03bcs": 1000n,
    ms: 1000000n,
    s: 10n ** 9n,
    m: 60n * 10n ** 9n,
    h: 3600n * 10n ** 9n,
};
const MAX = 1n << 63n;

/** Go's time.ParseDuration: whether it accepts `s` (the error text otherwise). */
export function goDurationProblem(orig: string): string | undefined {
    const invalid = `time: invalid duration "${orig}"`;
    let s = orig;
    let neg = false;
    if (s !== "" && (s[0] === "-" || s[0] === "+")) {
        neg = s[0] === "-";
        s = s.slice(1);
    }
    if (s === "0") return undefined;
    if (s === "") return invalid;
    let d = 0n;
    while (s !== "") {
        if (!(s[0] === "." || (s[0] >= "0" && s[0] <= "9"))) return invalid;
        const int = /^\d*/.exec(s)![0];
        let v = 0n;
        for (const c of int) {
            if (v > MAX / 10n) return invalid;
            v = v * 10n + BigInt(c);
            if (v > MAX) return invalid;
        }
        s = s.slice(int.length);
        const pre = int.length > 0;
        let post = false;
        let f = 0n;
        let scale = 1;
        if (s[0] === ".") {
            const frac = /^\d*/.exec(s.slice(1))![0];
            s = s.slice(1 + frac.length);
            post = frac.length > 0;
            let overflow = false;
            for (const c of frac) {
                if (overflow) continue;
                if (f > (MAX - 1n) / 10n) {
                    overflow = true;
                    continue;
                }
                const y = f * 10n + BigInt(c);
                if (y > MAX) {
                    overflow = true;
                    continue;
                }
                f = y;
                scale *= 10;
            }
        }
        if (!pre && !post) return invalid;
        const unit = /^[^.0-9]*/.exec(s)![0];
        if (unit === "") return `time: missing unit in duration "${orig}"`;
        s = s.slice(unit.length);
        const u = UNITS[unit];
        if (u === undefined) return `time: unknown unit "${unit}" in duration "${orig}"`;
        if (v > MAX / u) return invalid;
        v *= u;
        if (f > 0n) {
            v += BigInt(Math.floor(Number(f) * (Number(u) / scale)));
            if (v > MAX) return invalid;
        }
        d += v;
        if (d > MAX) return invalid;
    }
    if (!neg && d > MAX - 1n) return invalid;
    return undefined;
}

/** Why the API server refuses a CronJob schedule, or undefined when it accepts it. */
export function cronScheduleProblem(spec: string): string | undefined {
    // validation.go: the zone is the CronJob's timeZone field; a new object must not carry one in its schedule.
    if (spec.includes("TZ")) return "cannot use TZ or CRON_TZ in schedule (Kubernetes takes the zone from the CronJob's timeZone field)";
    if (spec.length === 0) return "empty spec string";
    if (spec.startsWith("@")) {
        if (DESCRIPTORS.includes(spec)) return undefined;
        if (spec.startsWith("@every ")) {
            const problem = goDurationProblem(spec.slice("@every ".length));
            return problem === undefined ? undefined : `failed to parse duration ${spec}: ${problem}`;
        }
        return `unrecognized descriptor: ${spec}`;
    }
    const fields = goFields(spec);
    if (fields.length !== FIELDS.length) return `expected exactly ${FIELDS.length} fields, found ${fields.length}: [${fields.join(" ")}]`;
    return fields.map((f, i) => fieldProblem(f, FIELDS[i])).find((p) => p !== undefined);
}

export const CRON_DESCRIPTORS: readonly string[] = DESCRIPTORS;
