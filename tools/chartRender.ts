/**
 * The charts' objects in the offline render (`npm run manifests -- <stack> --out DIR --charts`): each release's chart
 * through `helm template` (tools/charts.ts, the pinned Helm) with exactly the values the program passes it (the
 * render's helm/<release>.yaml), one file per object under charts/<release>/, so that the diff of two renders shows
 * what a values change does to the charts' objects (a StatefulSet that rolls, a ConfigMap that changes).
 *
 * Deterministic: the same input gives the same bytes. Every value of a Secret is written as `<redacted>` (its keys
 * stay), as in the program's Secrets: a hash would show that a secret changed but would leak a low-entropy one to
 * anyone who can guess it. Each release is rendered twice, and a value that differs between the two (a password the
 * chart generates with randAlphaNum, a timestamp) is written as `<generated>`.
 */
import * as path from "path";
import { ChartsCheck, ChartsError, checkChartVersions, identity, RenderedObject, templateRelease } from "./charts";
import { objectFileName, REDACTED, Render, RenderedFile, releaseInputs, toYaml } from "./render";

/** What a value that changes from one `helm template` to the next (the chart generates it) is written as. */
export const GENERATED = "<generated>";

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Every value of a Secret's data and stringData as REDACTED; other objects unchanged. */
export function redactChartSecret(o: RenderedObject): RenderedObject {
    if (o.kind !== "Secret") return o;
    const out: Record<string, unknown> = { ...o };
    for (const field of ["data", "stringData"]) {
        const m = o[field];
        if (m === undefined || m === null) continue;
        out[field] = isMap(m) ? Object.fromEntries(Object.keys(m).map((k) => [k, REDACTED])) : REDACTED;
    }
    return out as RenderedObject;
}

/** `a` with each value that `b` (a second render of the same input) holds otherwise replaced by GENERATED. */
export function stabilise(a: unknown, b: unknown): unknown {
    if (isMap(a) && isMap(b)) return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, k in b ? stabilise(v, b[k]) : GENERATED]));
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) return a.map((v, i) => stabilise(v, b[i]));
    return JSON.stringify(a) === JSON.stringify(b) ? a : GENERATED;
}

function template(check: ChartsCheck, release: Parameters<typeof templateRelease>[1]): RenderedObject[] {
    const result = templateRelease(check, release);
    if ("error" in result) throw new ChartsError(`--charts: release ${release.name}: helm template failed: ${result.error}`);
    return result.objects.map(redactChartSecret);
}

/**
 * charts/<release>/<namespace>.<kind>.<name>.yaml for every object of every release of the render, in path order.
 * Throws ChartsError when a chart is not the pinned version or Helm refuses the values.
 * @public scripts/manifests.ts loads it with require() once its arguments are checked, which knip does not follow.
 */
export function chartFiles(check: ChartsCheck, render: Render): RenderedFile[] {
    checkChartVersions(check, render);
    const files: RenderedFile[] = [];
    for (const release of releaseInputs(render.resources)) {
        const first = template(check, release);
        const second = new Map(template(check, release).map((o) => [identity(o), o]));
        for (const o of first) {
            const again = second.get(identity(o));
            files.push({
                path: path.posix.join("charts", release.name, objectFileName(o)),
                content: toYaml(again === undefined ? o : stabilise(o, again)),
            });
        }
    }
    const seen = new Set<string>();
    for (const f of files) {
        if (seen.has(f.path)) throw new ChartsError(`--charts: two chart objects map to ${f.path}`);
        seen.add(f.path);
    }
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
