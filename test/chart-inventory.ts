/**
 * The charts' inventory (test/fixtures/charts/inventory.yaml): the objects each Helm release owns, by kind and name.
 * Shared by the unit test (the program creates none of them) and the integration suite (the charts render no others).
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

const INVENTORY_FILE = path.join(__dirname, "fixtures", "charts", "inventory.yaml");

/** `Kind/name` per release name. */
export type Inventory = Readonly<Record<string, readonly string[]>>;

export function readInventory(file = INVENTORY_FILE): Inventory {
    return YAML.parse(fs.readFileSync(file, "utf8"));
}

/** `Kind/name` of the namespaced objects in a multi-document YAML manifest (what `helm template` prints). */
export function objectsOf(manifest: string): string[] {
    return YAML.parseAllDocuments(manifest)
        .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } } | null)
        .filter((o): o is { kind: string; metadata: { name: string } } => !!o?.kind && !!o.metadata?.name)
        .map((o) => `${o.kind}/${o.metadata.name}`);
}

/** Objects of the program (kind, namespace, name) that a release in `namespace` owns or may render. */
export function collisions(
    inventory: Inventory,
    namespace: string,
    objects: readonly { kind: string; metadata: { name?: string; namespace?: string } }[],
): string[] {
    const owned = new Map(Object.entries(inventory).flatMap(([release, objs]) => objs.map((o) => [o, release] as const)));
    return objects
        .filter((o) => o.metadata.namespace === namespace && owned.has(`${o.kind}/${o.metadata.name}`))
        .map((o) => `${o.kind}/${o.metadata.name} (rendered by release ${owned.get(`${o.kind}/${o.metadata.name}`)})`);
}
