/**
 * The deploy graph: which resources wait on which, from the dependencies the SDK registers with each resource (what
 * the engine orders `pulumi up` by). Rendered as `graph.yaml` next to the manifests.
 */
import { RecordedResource, unwrapSecrets } from "./mocks";

export const HELM_RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";

/** `Kind/name` of a resource: the Kubernetes kind and object name, or the Pulumi type's last part and name. */
function labelOf(r: RecordedResource): string {
    const inputs = unwrapSecrets(r.inputs) as { kind?: string; name?: string; metadata?: { name?: string } };
    if (r.type === HELM_RELEASE_TYPE) return `HelmRelease/${inputs.name ?? r.name}`;
    if (inputs.kind) return `${inputs.kind}/${inputs.metadata?.name ?? r.name}`;
    return `${r.type.split(":").pop()}/${r.name}`;
}

export interface DeployGraph {
    /** Direct waits of every custom resource, by label. */
    readonly waitsFor: Record<string, string[]>;
    /** Resources grouped by depth: stage N waits only on stages before it. */
    readonly stages: string[][];
}

export function deployGraph(resources: readonly RecordedResource[]): DeployGraph {
    const custom = resources.filter((r) => r.custom);
    const byUrn = new Map(custom.map((r) => [r.urn, r]));
    const waitsFor: Record<string, string[]> = {};
    for (const r of custom) {
        waitsFor[labelOf(r)] = [...new Set(r.dependencies.filter((u) => byUrn.has(u)).map((u) => labelOf(byUrn.get(u)!)))].sort();
    }
    const depth = new Map<string, number>();
    const depthOf = (label: string, seen: Set<string> = new Set()): number => {
        if (depth.has(label)) return depth.get(label)!;
        if (seen.has(label)) throw new Error(`dependency cycle through ${label}`);
        seen.add(label);
        const d = Math.max(-1, ...waitsFor[label].map((l) => depthOf(l, seen))) + 1;
        depth.set(label, d);
        return d;
    };
    const stages: string[][] = [];
    for (const label of Object.keys(waitsFor).sort()) (stages[depthOf(label)] ??= []).push(label);
    return { waitsFor: Object.fromEntries(Object.entries(waitsFor).sort(([a], [b]) => (a < b ? -1 : 1))), stages };
}

/** All labels `label` waits on, directly or not. */
export function transitiveWaits(graph: DeployGraph, label: string): Set<string> {
    const out = new Set<string>();
    const visit = (l: string) => {
        for (const d of graph.waitsFor[l] ?? []) {
            if (out.has(d)) continue;
            out.add(d);
            visit(d);
        }
    };
    visit(label);
    return out;
}
