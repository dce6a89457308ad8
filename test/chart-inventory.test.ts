import { expect } from "chai";
import { RELEASES } from "../config";
import { kubernetesManifests } from "../tools/render";
import { collisions } from "./chart-inventory";
import { build, stackConfig, CI_STACK_FILE } from "./helpers";

describe("the charts' objects (each release's `renders`, config/releases.ts)", () => {
    it("lists the one that broke every install: the PostgreSQL chart's default NetworkPolicy", () => {
        expect(RELEASES.postgresql.renders).to.include("NetworkPolicy/pulse-postgresql");
    });

    for (const stack of ["dev", "prod", CI_STACK_FILE]) {
        it(`${stack.includes("/") ? "ci" : stack}: the program creates no object a chart renders (Helm would refuse to install)`, async () => {
            const cfg = stackConfig(stack);
            const objects = kubernetesManifests((await build(cfg)).resources);
            expect(objects.length).to.be.greaterThan(30);
            expect(collisions(cfg.namespace, objects)).to.deep.equal([]);
        });
    }

    it("catches a collision: a NetworkPolicy named like the PostgreSQL chart's (the check can fail)", async () => {
        const cfg = stackConfig("dev");
        const objects = [
            ...kubernetesManifests((await build(cfg)).resources),
            { kind: "NetworkPolicy", metadata: { name: "pulse-postgresql", namespace: cfg.namespace } },
        ];
        expect(collisions(cfg.namespace, objects)).to.deep.equal([
            `NetworkPolicy ${cfg.namespace}/pulse-postgresql: the program and release pulse-postgresql both create it`,
        ]);
        // Another kind or namespace with the same name is no collision.
        const elsewhere = [
            { kind: "NetworkPolicy", metadata: { name: "pulse-postgresql", namespace: "other" } },
            { kind: "ConfigMap", metadata: { name: "pulse-postgresql", namespace: cfg.namespace } },
        ];
        expect(collisions(cfg.namespace, elsewhere)).to.deep.equal([]);
    });
});
