/**
 * The critical path of a Pulumi operation: the chain of resources that decided its total time. From the engine's step
 * events (when each resource's step began and ended) and the dependency graph the engine ordered the steps by (the
 * state's `dependencies`, `provider` and `parent` of each resource), walking back from the step that ended last: each
 * link's gate is, of what it waited for, the one that ended last before it began. Each link shows its own time and the
 * time between its gate's end and its start (the engine's scheduling, the program's registration, the provider's
 * check; for the first link, everything before the first step). Pure: the integration suite feeds it the first up's
 * events and the state after it (test/integration), and a unit test synthetic ones.
 */

/** One step event as the integration suite records it (test/integration/stack.ts StepLog). */
export interface StepEvent {
    readonly phase: "pre" | "done" | "failed";
    readonly op: string;
    readonly type: string;
    readonly urn: string;
    /** Milliseconds since the operation began. */
    readonly at: number;
}

/** A resource of the state: what it waited for. `provider` is a provider reference, `<provider URN>::<id>`. */
export interface GraphResource {
    readonly urn: string;
    /** False for a component: it does no work of its own (it ends when its children's outputs resolve) and gates nothing. */
    readonly custom?: boolean;
    readonly dependencies?: readonly string[];
    readonly provider?: string;
    readonly parent?: string;
}

interface Link {
    readonly urn: string;
    /** The resource's name (the URN's last part) and type. */
    readonly name: string;
    readonly type: string;
    /** The operation of its first step (create, update, same, create-replacement, ...). */
    readonly op: string;
    /** First step began / last step ended, in milliseconds since the operation began. */
    readonly startMs: number;
    readonly endMs: number;
    /** endMs - startMs: the resource's own time (its awaits included). */
    readonly ms: number;
    /** From the gate's end (the previous link's, or the operation's start for the first link) to this start. */
    readonly waitMs: number;
}

export interface CriticalPath {
    /** When the last step ended. */
    readonly totalMs: number;
    /** In order: the first link began first, the last one ended at totalMs. */
    readonly links: readonly Link[];
}

interface Span {
    readonly urn: string;
    readonly type: string;
    readonly op: string;
    readonly start: number;
    readonly end: number;
    /** Position of the last step event: breaks ties between steps that ended in the same millisecond. */
    readonly order: number;
}

/** A provider reference's URN (the reference is `<urn>::<id>`). */
export const providerUrn = (reference: string): string => reference.slice(0, reference.lastIndexOf("::"));

/** A URN's resource name (the part after its last `::`). */
const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

/** Per resource with a finished step: its first step's start and op, its last step's end. */
function spans(steps: readonly StepEvent[]): Map<string, Span> {
    const first = new Map<string, StepEvent>();
    const last = new Map<string, { step: StepEvent; order: number }>();
    steps.forEach((s, order) => {
        if (s.phase === "pre") {
            if (!first.has(s.urn)) first.set(s.urn, s);
        } else {
            last.set(s.urn, { step: s, order });
        }
    });
    const out = new Map<string, Span>();
    for (const [urn, pre] of first) {
        const end = last.get(urn);
        if (!end || end.step.at < pre.at) continue;
        out.set(urn, { urn, type: pre.type, op: pre.op, start: pre.at, end: end.step.at, order: end.order });
    }
    return out;
}

/** What a resource waited for before its step could begin: its dependencies, its provider and its parent. */
function waitsOf(r: GraphResource | undefined): string[] {
    if (!r) return [];
    return [...(r.dependencies ?? []), ...(r.provider ? [providerUrn(r.provider)] : []), ...(r.parent ? [r.parent] : [])];
}

const later = (a: Span, b: Span) => a.end > b.end || (a.end === b.end && a.order > b.order);

/**
 * The critical path of the steps over the graph. Links are custom resources (and providers): a component, the stack
 * included, ends when its children's outputs do and does no work of its own. A gate is one that ended no later than
 * the link began; none left: the link is the first.
 */
export function criticalPath(steps: readonly StepEvent[], graph: readonly GraphResource[]): CriticalPath {
    const byUrn = new Map(graph.map((r) => [r.urn, r]));
    // Components (the stack among them) span their children: they are never links.
    const bySpan = new Map([...spans(steps)].filter(([urn]) => byUrn.get(urn)?.custom !== false));
    if (bySpan.size === 0) return { totalMs: 0, links: [] };
    let current = [...bySpan.values()].reduce((a, b) => (later(b, a) ? b : a));
    const chain: Span[] = [];
    const seen = new Set<string>();
    for (;;) {
        chain.push(current);
        seen.add(current.urn);
        const start = current.start;
        const gates = waitsOf(byUrn.get(current.urn))
            .map((u) => bySpan.get(u))
            .filter((s): s is Span => s !== undefined && !seen.has(s.urn) && s.end <= start);
        if (gates.length === 0) break;
        current = gates.reduce((a, b) => (later(b, a) ? b : a));
    }
    chain.reverse();
    const links = chain.map((s, i) => ({
        urn: s.urn,
        name: nameOf(s.urn),
        type: s.type,
        op: s.op,
        startMs: s.start,
        endMs: s.end,
        ms: s.end - s.start,
        waitMs: s.start - (i === 0 ? 0 : chain[i - 1].end),
    }));
    return { totalMs: chain[chain.length - 1].end, links };
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);

/** The path as aligned lines: `start → end  own time  (+wait)  op  type  name`. */
export function formatCriticalPath(path: CriticalPath, indent = "    "): string {
    const rows = path.links.map((l) => [
        `${seconds(l.startMs)} → ${seconds(l.endMs)}`,
        `${seconds(l.ms)} s`,
        `(+${seconds(l.waitMs)} s)`,
        l.op,
        l.type.slice(l.type.lastIndexOf(":") + 1),
        l.name,
    ]);
    const widths = rows.length ? rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length))) : [];
    const own = path.links.reduce((sum, l) => sum + l.ms, 0);
    return [
        ...rows.map((r) => indent + r.map((c, i) => (i < 3 ? c.padStart(widths[i]) : i < r.length - 1 ? c.padEnd(widths[i]) : c)).join("  ")),
        `${indent}total ${seconds(path.totalMs)} s: ${seconds(own)} s in the steps, ${seconds(path.totalMs - own)} s between them`,
    ].join("\n");
}
