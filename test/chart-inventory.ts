/**
 * The charts' inventory (test/fixtures/charts/inventory.yaml): the objects each Helm release owns, by kind and name.
 * Shared by the unit test (the program creates none of them) and the integration suite (the charts render no others).
 */
import { collisions as ownedBy, identity, Inventory, manifestObjects } from "../tools/charts";

export { readInventory } from "../tools/charts";

/** `Kind/name` of the objects in a multi-document YAML manifest (what `helm template` prints). */
export function objectsOf(manifest: string): string[] {
    return manifestObjects(manifest).map((o) => `${o.kind}/${o.metadata.name}`);
}

/** Objects of the program (kind, namespace, name) that a release in `namespace` owns or may render. */
export function collisions(
    inventory: Inventory,
    namespace: string,
    objects: readonly { kind: string; metadata: { name?: string; namespace?: string } }[],
): string[] {
    const owned = new Map(
        Object.entries(inventory).flatMap(([release, objs]) =>
            objs.map((o) => {
                const [kind, name] = o.split("/");
                return [identity({ kind, metadata: { name, namespace } }), `release ${release}`] as const;
            }),
        ),
    );
    return ownedBy(owned, objects, "the program");
}
