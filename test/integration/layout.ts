/**
 * A stack as the previous layout left it: the state of today's program with each resource's URN turned back into the
 * one the previous layout gave it (test/fixtures/urns.prod.previous.txt: the prod stack's URNs before issue 14 renamed
 * children). Importing it and running `preview` is what an existing stack's first preview after the upgrade sees.
 *
 * A resource whose URN is not in the previous layout is matched to a previous URN of the same parent chain and type
 * whose name is the object's metadata.name (the renamed NetworkPolicies kept their object names) or, for a hook Job,
 * that name and its trigger hash (`<former name>-<10 hex>`). A resource added since (a policy whose object name merely
 * starts with an old one's) has no previous URN. The mapping is built from the snapshot and the
 * objects, never from the program's aliases, so the preview tests the aliases rather than restating them.
 */

interface StateResource {
    urn: string;
    type: string;
    outputs?: { metadata?: { name?: string } };
}

export interface Renamed {
    readonly current: string;
    readonly previous: string;
}

/** URNs of the previous layout's snapshot, for a stack of this name. */
export function previousUrns(snapshot: string, stackName: string): string[] {
    return snapshot
        .split("\n")
        .filter((l) => l !== "")
        .map((u) => u.replace(/^urn:pulumi:[^:]*::/, `urn:pulumi:${stackName}::`));
}

const chainOf = (urn: string) => urn.slice(0, urn.lastIndexOf("::"));
const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

/** Whether an object's name is the one a previous resource name gave it: the same, or a hook Job's `<name>-<hash>`. */
const wasNamed = (objectName: string, previousName: string) =>
    objectName === previousName || new RegExp(`^${previousName.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-[0-9a-f]{10}$`).test(objectName);

/** The resources of a state whose URN the previous layout gave another name, with that name. */
export function renamedSince(resources: readonly StateResource[], previous: readonly string[]): Renamed[] {
    const current = new Set(resources.map((r) => r.urn));
    const before = new Set(previous);
    const gone = previous.filter((u) => !current.has(u));
    const renamed: Renamed[] = [];
    for (const r of resources) {
        if (before.has(r.urn) || r.type.startsWith("pulumi:")) continue;
        const objectName = r.outputs?.metadata?.name;
        const candidates = gone
            .filter((u) => chainOf(u) === chainOf(r.urn) && objectName !== undefined && wasNamed(objectName, nameOf(u)))
            .sort((a, b) => nameOf(b).length - nameOf(a).length);
        if (candidates.length > 0) renamed.push({ current: r.urn, previous: candidates[0] });
    }
    return renamed;
}

/** The exported deployment with each renamed URN written back to its previous one, wherever it appears. */
export function withPreviousUrns<T>(deployment: T, renamed: readonly Renamed[]): T {
    let text = JSON.stringify(deployment);
    for (const { current, previous } of renamed) text = text.split(JSON.stringify(current)).join(JSON.stringify(previous));
    return JSON.parse(text) as T;
}
