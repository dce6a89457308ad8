/**
 * The charts' inventory: the objects each Helm release owns, by kind and name, as its registry entry lists them
 * (config/releases.ts, `renders`). Shared by the unit test (the program creates none of them) and the integration suite
 * (the charts render no others).
 */
import { RELEASE_KEYS, RELEASES } from "../config";
import { collisions as ownedBy, identity, manifestObjects } from "../tools/charts";

/** `Kind/name` of the objects in a multi-document YAML manifest (what `helm template` prints). */
export function objectsOf(manifest: string): string[] {
    return manifestObjects(manifest).map((o) => `${o.kind}/${o.metadata.name}`);
}

/** Objects of the program (kind, namespace, name) that a release in `namespace` owns or may render. */
export function collisions(namespace: string, objects: readonly { kind: string; metadata: { name?: string; namespace?: string } }[]): string[] {
    const owned = new Map(
        RELEASE_KEYS.flatMap((k) =>
            RELEASES[k].renders.map((o) => {
                const [kind, name] = o.split("/");
                return [identity({ kind, metadata: { name, namespace } }), `release ${RELEASES[k].releaseName}`] as const;
            }),
        ),
    );
    return ownedBy(owned, objects, "the program");
}
