/**
 * The diff of two offline renders (`npm run -s manifests:diff -- BASE HEAD`), as the Markdown of a pull-request
 * comment: objects added, removed and changed, grouped by kind (the program's objects and the charts' alike, with
 * `--charts`), each changed one with its unified diff folded in a <details>, bounded in size for a comment. Pure
 * functions over the files the renders list in their .pulse-render.json; scripts/manifests-diff.ts reads the folders.
 */
import { structuredPatch } from "diff";
import * as YAML from "yaml";

/** A render's files by path relative to the compared folder (`dev/k8s/...` when the folder holds one render per stack). */
export type RenderTree = ReadonlyMap<string, string>;

type ChangeStatus = "added" | "removed" | "changed";

export interface ObjectChange {
    /** The file's path relative to the compared folders. */
    readonly path: string;
    /** The group it is listed under: the object's kind, `Helm release` for helm/<release>.yaml, `Render` otherwise. */
    readonly kind: string;
    /** What a reviewer reads: `dev pulse/pulse-postgresql (chart of pulse-postgresql)`. */
    readonly title: string;
    readonly status: ChangeStatus;
    /** The unified diff (changed only). */
    readonly patch?: string;
    /** A workload whose pod template changed: applying it rolls its pods. */
    readonly rolls?: boolean;
}

/** The kinds whose pods roll when their pod template (`spec.template`) changes. */
const WORKLOADS = new Set(["Deployment", "StatefulSet", "DaemonSet"]);

/** Whether a workload's `spec.template` differs between two versions of its file. */
export function podTemplateChanged(before: string, after: string): boolean {
    const template = (text: string): string => {
        try {
            return JSON.stringify((YAML.parse(text) as { spec?: { template?: unknown } } | null)?.spec?.template ?? null);
        } catch {
            return text;
        }
    };
    return template(before) !== template(after);
}

/** GitHub's limit on a comment's body. */
export const COMMENT_LIMIT = 65536;
/** The first line of the comment, by which the workflow finds and updates it. */
export const COMMENT_MARKER = "<!-- pulse-render-diff -->";

const HELM_GROUP = "Helm release (values)";
const OTHER_GROUP = "Render (outputs, deploy graph)";

/** A file's group and title, from its path (`[stack/]k8s|charts/<release>|helm/...`) and its object's kind and name. */
function describe(file: string, content: string): { kind: string; title: string } {
    const parts = file.split("/");
    const areaIndex = parts.findIndex((p) => p === "k8s" || p === "charts" || p === "helm");
    const stack = areaIndex > 0 ? parts.slice(0, areaIndex).join("/") + " " : "";
    const area = areaIndex < 0 ? undefined : parts[areaIndex];
    if (area === "helm") return { kind: HELM_GROUP, title: `${stack}${parts[parts.length - 1].replace(/\.yaml$/, "")}` };
    if (area === "k8s" || area === "charts") {
        let doc: { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | undefined;
        try {
            doc = YAML.parse(content) as typeof doc;
        } catch {
            doc = undefined;
        }
        const kind = typeof doc?.kind === "string" ? doc.kind : "(unreadable)";
        const ns = typeof doc?.metadata?.namespace === "string" ? `${doc.metadata.namespace}/` : "";
        const name = typeof doc?.metadata?.name === "string" ? doc.metadata.name : parts[parts.length - 1];
        const owner = area === "charts" ? ` (chart of ${parts[areaIndex + 1]})` : "";
        return { kind, title: `${stack}${ns}${name}${owner}` };
    }
    return { kind: OTHER_GROUP, title: file };
}

/** The unified diff of one file, `--- a/<path>` / `+++ b/<path>` and its hunks (3 lines of context). */
function unifiedDiff(file: string, before: string, after: string): string {
    const patch = structuredPatch(`a/${file}`, `b/${file}`, before, after, undefined, undefined, { context: 3 });
    const lines = [`--- a/${file}`, `+++ b/${file}`];
    for (const h of patch.hunks) lines.push(`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, ...h.lines);
    return lines.join("\n");
}

/** Every file added, removed or changed from `base` to `head`, by kind, then title. */
export function diffRenders(base: RenderTree, head: RenderTree): ObjectChange[] {
    const changes: ObjectChange[] = [];
    for (const file of new Set([...base.keys(), ...head.keys()])) {
        const before = base.get(file);
        const after = head.get(file);
        if (before === after) continue;
        const status: ChangeStatus = before === undefined ? "added" : after === undefined ? "removed" : "changed";
        const { kind, title } = describe(file, after ?? before ?? "");
        changes.push({
            path: file,
            kind,
            title,
            status,
            ...(status === "changed" ? { patch: unifiedDiff(file, before ?? "", after ?? "") } : {}),
            ...(status === "changed" && WORKLOADS.has(kind) && podTemplateChanged(before ?? "", after ?? "") ? { rolls: true } : {}),
        });
    }
    const rank = (k: string) => (k === HELM_GROUP ? 1 : k === OTHER_GROUP ? 2 : 0);
    return changes.sort((a, b) => rank(a.kind) - rank(b.kind) || cmp(a.kind, b.kind) || cmp(a.title, b.title) || cmp(a.path, b.path));
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
/** A code fence longer than any run of backticks in the text, so a diff holding ``` cannot close it. */
const fenceFor = (text: string) => "`".repeat(Math.max(3, ...[...text.matchAll(/`+/g)].map((m) => m[0].length + 1)));

export interface SummaryOptions {
    /** The heading's names of the two sides, e.g. `main` and `the PR`. */
    readonly base?: string;
    readonly head?: string;
    /** The most characters the Markdown may have (default COMMENT_LIMIT). */
    readonly maxChars?: number;
}

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;

/**
 * The comment: the marker, a heading, a table of counts per kind, then per kind each object (changed ones with their
 * diff folded). When the next object's block would pass maxChars, it is listed without its diff; when even that would
 * not fit, the rest are counted in a closing note. Never longer than maxChars.
 */
export function markdownSummary(changes: readonly ObjectChange[], options: SummaryOptions = {}): string {
    const max = options.maxChars ?? COMMENT_LIMIT;
    const base = options.base ?? "base";
    const head = options.head ?? "head";
    const heading = [COMMENT_MARKER, `### Rendered objects: ${escapeHtml(base)} → ${escapeHtml(head)}`, ""];
    if (changes.length === 0) return [...heading, "No object changed: the two renders are identical.", ""].join("\n");

    const kinds = [...new Set(changes.map((c) => c.kind))];
    const of = (kind: string, status: ChangeStatus) => changes.filter((c) => c.kind === kind && c.status === status).length;
    const table = [
        "| kind | changed | added | removed |",
        "| --- | ---: | ---: | ---: |",
        ...kinds.map((k) => `| ${escapeHtml(k)} | ${of(k, "changed")} | ${of(k, "added")} | ${of(k, "removed")} |`),
        "",
    ];
    const totals = ["changed", "added", "removed"].map((s) => `${changes.filter((c) => c.status === s).length} ${s}`).join(", ");
    const rolling = changes.filter((c) => c.rolls).map((c) => `${c.kind} ${escapeHtml(c.title)}`);
    const rollsLine = `Pods roll: ${rolling.join(", ")}.`;
    // Named, unless the names alone would take a quarter of the comment: then counted (each is marked below).
    const rolls = rolling.length === 0 ? [] : [rollsLine.length <= max / 4 ? rollsLine : `Pods roll: ${count(rolling.length, "workload")}, marked below.`, ""];
    let out = [...heading, `${count(changes.length, "file")}: ${totals}.`, "", ...rolls, ...table].join("\n");

    // The closing note's room is kept free throughout, so the note always fits.
    const noteRoom = 400;
    let withoutDiff = 0;
    let left = 0;
    for (const kind of kinds) {
        const section = `${out.endsWith("\n\n") ? "" : "\n"}#### ${escapeHtml(kind)}\n\n`;
        const group = changes.filter((c) => c.kind === kind);
        if (left > 0 || out.length + section.length + noteRoom > max) {
            left += group.length;
            continue;
        }
        out += section;
        for (const c of group) {
            const what = `${c.status}: ${escapeHtml(c.title)}${c.rolls ? ": pod template changed, its pods roll" : ""}`;
            const line = `- ${what}`;
            let block = `${line}\n`;
            if (c.patch !== undefined) {
                const fence = fenceFor(c.patch);
                block = `<details><summary>${what}</summary>\n\n${fence}diff\n${c.patch}\n${fence}\n\n</details>\n\n`;
            }
            if (left === 0 && out.length + block.length + noteRoom <= max) {
                out += block;
            } else if (left === 0 && out.length + line.length + 40 + noteRoom <= max) {
                out += `${line} (diff left out: the comment's size limit)\n`;
                withoutDiff++;
            } else {
                left++;
            }
        }
    }
    if (withoutDiff > 0 || left > 0) {
        const parts = [...(withoutDiff > 0 ? [`${count(withoutDiff, "diff")} left out`] : []), ...(left > 0 ? [`${count(left, "more file")} not listed`] : [])];
        out += `\n> **Truncated** to ${max} characters: ${parts.join(", ")}. The whole diff: \`npm run -s manifests:diff -- BASE HEAD\` over the two renders (docs/delivery.md).\n`;
    }
    // The heading and the table alone may pass a small limit: cut at a line, never beyond it.
    if (out.length > max) {
        const note = "\n> **Truncated**: the summary alone passes the size limit.\n";
        out = out.slice(0, out.lastIndexOf("\n", max - note.length) + 1) + note;
    }
    return out;
}
