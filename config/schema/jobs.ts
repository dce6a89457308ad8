/**
 * The Jobs `pulumi up` runs and waits for: the database migrator and the JetStream setup (its streams and consumers).
 */
import { z } from "zod";
import { deadlineBelowTimeout, image, intAtLeast, jobSettings, resources, SMALL } from "./blocks";
import { quantity } from "./formats";
import { podSettingsFields } from "./scheduling";

export const migrator = z
    .strictObject({
        image: image({ repository: "pulse/db-migrator" }),
        resources: resources(SMALL),
        ...jobSettings({ backoffLimit: 2, activeDeadlineSeconds: 900, timeoutSeconds: 1200 }),
        ...podSettingsFields(),
    })
    .prefault({})
    .superRefine(deadlineBelowTimeout);

/** A JetStream stream name: no whitespace, '.', '*', '>' or path separators. */
const STREAM_NAME_RE = /^[A-Za-z0-9_-]{1,255}$/;
/** A subject: dot-separated tokens, '*' for one token, a final '>' for the rest. */
const SUBJECT_RE = /^(?:[^.\s*>]+|\*)(?:\.(?:[^.\s*>]+|\*))*(?:\.>)?$|^>$/;
/** A duration for max age: 0 (unlimited) or a number with s, m, h or d. */
const DURATION_RE = /^(0|\d+(s|m|h|d))$/;

const SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };
/** Seconds of a duration DURATION_RE accepts (0: unlimited). */
const seconds = (d: string): number => (d === "0" ? 0 : Number(d.slice(0, -1)) * SECONDS[d.slice(-1)]);

/**
 * Whether two subjects can match one message (nats-server server/sublist.go SubjectsCollide): equal, or token by token
 * compatible where '*' matches one token and a final '>' the rest.
 */
function subjectsCollide(a: string, b: string): boolean {
    if (a === b) return true;
    const ta = a.split(".");
    const tb = b.split(".");
    const fwcA = ta[ta.length - 1] === ">";
    const fwcB = tb[tb.length - 1] === ">";
    if (!fwcA && !fwcB && ta.length !== tb.length) return false;
    if (ta.length < tb.length && !fwcA) return false;
    if (tb.length < ta.length && !fwcB) return false;
    const stop = Math.min(ta.length, tb.length);
    for (let i = 0; i < stop; i++) {
        const [x, y] = [ta[i], tb[i]];
        if (x === "*" || y === "*" || x === ">" || y === ">") continue;
        if (x !== y) return false;
    }
    return true;
}

const duration = (def: string) => z.string().regex(DURATION_RE, { error: "must be 0 (unlimited) or a duration such as 90s, 30m, 72h or 7d" }).default(def);

const stream = z.strictObject({
    name: z.string({ error: "must be a stream name" }).regex(STREAM_NAME_RE, {
        error: "must be a stream name: letters, digits, '_' and '-' (no spaces, '.', '*' or '>')",
    }),
    subjects: z
        .array(z.string().regex(SUBJECT_RE, { error: "must be a NATS subject such as telemetry.> or devices.*.status" }))
        .min(1, { error: "must list at least one subject" }),
    storage: z.enum(["file", "memory"], { error: "must be file or memory" }).default("file"),
    retention: z.enum(["limits", "interest", "workqueue"], { error: "must be limits, interest or workqueue" }).default("limits"),
    maxAge: duration("0"),
    maxBytes: z.union([z.literal(-1), quantity()], { error: "must be -1 (unlimited) or a quantity such as 10Gi" }).default(-1),
    maxMsgsPerSubject: z.union([z.literal(-1), intAtLeast(1)], { error: "must be -1 (unlimited) or an integer >= 1" }).default(-1),
    duplicateWindow: duration("2m"),
    replicas: intAtLeast(1, 5).default(1),
    discard: z.enum(["old", "new"], { error: "must be old or new" }).default("old"),
});

/** A durable pull consumer on one of the streams. */
const consumer = z.strictObject({
    name: z.string({ error: "must be a consumer name" }).regex(STREAM_NAME_RE, { error: "must be a consumer name: letters, digits, '_' and '-'" }),
    stream: z.string({ error: "must name a stream" }),
    ackWait: duration("30s"),
    maxDeliver: z.union([z.literal(-1), intAtLeast(1)], { error: "must be -1 (unlimited) or an integer >= 1" }).default(-1),
    maxAckPending: intAtLeast(1).default(1000),
});

/** Pulse's streams and consumers, as its code declares them (design notes, pulse-services.md). */
const PULSE_STREAMS: z.input<typeof stream>[] = [
    { name: "TELEMETRY", subjects: ["telemetry.>"], retention: "limits", maxAge: "1h", maxBytes: "1Gi", maxMsgsPerSubject: 100000 },
    { name: "SHADOW", subjects: ["shadow.>"], retention: "limits", maxAge: "1h", maxBytes: "256Mi", maxMsgsPerSubject: 10000 },
    { name: "COMMANDS", subjects: ["commands.>"], retention: "limits", maxAge: "1h", maxBytes: "256Mi", maxMsgsPerSubject: 10000 },
    { name: "ROUTES", subjects: ["routes.>"], retention: "workqueue", maxAge: "24h", maxBytes: "512Mi" },
];
const PULSE_CONSUMERS = [
    { name: "ingest-workers", stream: "TELEMETRY", ackWait: "30s", maxDeliver: 3, maxAckPending: 1000 },
    { name: "ingest-shadow", stream: "SHADOW", ackWait: "30s", maxDeliver: 3, maxAckPending: 1000 },
    { name: "ingest-commands", stream: "COMMANDS", ackWait: "30s", maxDeliver: 3, maxAckPending: 1000 },
    { name: "route-delivery", stream: "ROUTES", ackWait: "30s", maxDeliver: -1, maxAckPending: 100 },
];

export const natsInit = z
    .strictObject({
        image: image({ registry: "docker.io", repository: "natsio/nats-box", tag: "0.16.0" }),
        resources: resources(SMALL),
        streams: z
            .array(stream)
            .default(() => PULSE_STREAMS.map((s) => stream.parse(s)))
            .describe(
                "JetStream streams to create or update (name, subjects, storage, retention, maxAge, maxBytes, maxMsgsPerSubject, duplicateWindow, replicas, discard); default: Pulse's four",
            ),
        consumers: z
            .array(consumer)
            .default(() => PULSE_CONSUMERS.map((c) => consumer.parse(c)))
            .describe("Durable pull consumers to create or update (name, stream, ackWait, maxDeliver, maxAckPending); default: Pulse's four"),
        waitSeconds: intAtLeast(10).default(120).describe("How long the Job waits for NATS to answer"),
        ...jobSettings({ backoffLimit: 2, activeDeadlineSeconds: 300, timeoutSeconds: 600 }),
        ...podSettingsFields(),
    })
    .prefault({})
    .superRefine((n, ctx) => {
        deadlineBelowTimeout(n, ctx);
        const seen = new Set<string>();
        n.streams.forEach((s, i) => {
            if (seen.has(s.name)) {
                ctx.addIssue({ code: "custom", path: ["streams", i, "name"], input: s.name, message: "is declared twice" });
            }
            seen.add(s.name);
        });
        // What the NATS server refuses when the init Job creates the streams (server/stream.go checkStreamCfg; the
        // stream create's subject overlap check) and the consumers (server/consumer.go, work-queue streams).
        n.streams.forEach((s, i) => {
            const maxAge = seconds(s.maxAge);
            if (maxAge > 0 && seconds(s.duplicateWindow) > maxAge) {
                ctx.addIssue({
                    code: "custom",
                    path: ["streams", i, "duplicateWindow"],
                    input: s.duplicateWindow,
                    message: `must not exceed maxAge (${s.maxAge}): NATS refuses a stream whose duplicate window is longer than its max age`,
                });
            }
            s.subjects.forEach((subject, j) => {
                if (s.subjects.indexOf(subject) !== j) {
                    ctx.addIssue({
                        code: "custom",
                        path: ["streams", i, "subjects", j],
                        input: subject,
                        message: "is listed twice (NATS refuses duplicate subjects)",
                    });
                }
                const other = n.streams.slice(0, i).find((o) => o.subjects.some((x) => subjectsCollide(x, subject)));
                if (other) {
                    ctx.addIssue({
                        code: "custom",
                        path: ["streams", i, "subjects", j],
                        input: subject,
                        message: `overlaps the subjects of stream ${other.name}: NATS refuses a stream whose subjects overlap another's (a message would belong to both)`,
                    });
                }
            });
        });
        const perWorkQueue = new Map<string, string>();
        n.consumers.forEach((c, i) => {
            const stream = n.streams.find((s) => s.name === c.stream);
            if (stream?.retention !== "workqueue") return;
            const first = perWorkQueue.get(c.stream);
            if (first !== undefined && first !== c.name) {
                ctx.addIssue({
                    code: "custom",
                    path: ["consumers", i],
                    input: c.name,
                    message: `is a second consumer on the work-queue stream ${c.stream} (beside ${first}): NATS allows one consumer per subject there (each message goes to one consumer), and these consumers filter none`,
                });
            } else perWorkQueue.set(c.stream, c.name);
        });
        const consumers = new Set<string>();
        n.consumers.forEach((c, i) => {
            if (!seen.has(c.stream)) {
                ctx.addIssue({
                    code: "custom",
                    path: ["consumers", i, "stream"],
                    input: c.stream,
                    message: `is not one of natsInit.streams (${[...seen].join(", ")})`,
                });
            }
            if (consumers.has(`${c.stream}/${c.name}`)) {
                ctx.addIssue({ code: "custom", path: ["consumers", i, "name"], input: c.name, message: `is declared twice on stream ${c.stream}` });
            }
            consumers.add(`${c.stream}/${c.name}`);
        });
    });
