import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { SERVICE_TRAITS } from "../components/pulseServices";
import { deployGraph, DeployGraph, transitiveWaits } from "../lib/graph";
import { build, config, stackConfig, CI_STACK_FILE } from "./helpers";

const pulseDeployments = Object.values(SERVICE_TRAITS).map((t) => `Deployment/pulse-${t.component}`);
const JOBS = ["Job/pulse-migrator", "Job/pulse-nats-init"];

/** The intended shape, on what the SDK registered: dependencies, then the hook Jobs, then the workloads. */
function expectShape(g: DeployGraph, releases: string[]): void {
    const labels = Object.keys(g.waitsFor);
    const deployments = labels.filter((l) => l.startsWith("Deployment/"));
    for (const d of pulseDeployments) {
        const waits = transitiveWaits(g, d);
        for (const j of JOBS) expect(waits, `${d} waits for ${j}`).to.include(j);
        for (const r of releases) expect(waits, `${d} waits for ${r}`).to.include(r);
    }
    // Parallel within each level: no Deployment waits on another, no Job on the other, no release on another.
    for (const d of deployments) for (const other of deployments) if (d !== other) expect(transitiveWaits(g, d)).not.to.include(other);
    expect(transitiveWaits(g, JOBS[0])).not.to.include(JOBS[1]);
    expect(transitiveWaits(g, JOBS[1])).not.to.include(JOBS[0]);
    for (const r of releases) for (const other of releases) if (r !== other) expect(transitiveWaits(g, r)).not.to.include(other);
    // The hooks wait on the dependencies only, never on a workload.
    for (const j of JOBS) for (const d of deployments) expect(transitiveWaits(g, j)).not.to.include(d);
    // No longer chain: the Pulse Deployments are the last stage.
    const last = g.stages[g.stages.length - 1];
    expect([...last].sort()).to.deep.equal([...pulseDeployments].sort());
}

describe("deploy graph", () => {
    for (const stack of ["dev", "prod"]) {
        it(`${stack}: releases and secrets, then migrator and nats-init in parallel, then every workload`, async () => {
            const g = deployGraph((await build(stackConfig(stack))).resources);
            expectShape(g, ["HelmRelease/pulse-postgresql", "HelmRelease/pulse-nats", "HelmRelease/pulse-emqx"]);
            expect(transitiveWaits(g, "Job/pulse-migrator")).to.include.members(["HelmRelease/pulse-postgresql", "Secret/pulse-db-secret"]);
            expect(transitiveWaits(g, "Job/pulse-nats-init")).to.include("HelmRelease/pulse-nats");
            expect(transitiveWaits(g, "Deployment/pulse-keycloak")).to.include("HelmRelease/pulse-postgresql");
        });
    }

    it("ci (Caddy on) and external services keep the shape", async () => {
        expectShape(deployGraph((await build(stackConfig(CI_STACK_FILE))).resources), ["HelmRelease/pulse-postgresql"]);
        const external = config({
            postgresql: { enabled: false },
            externalDatabase: { enabled: true, host: "db.example.com" },
            emqx: { enabled: false, externalHost: "mqtt.example.com" },
            nats: { enabled: false, externalUrl: "nats://nats.example.com:4222" },
        });
        const g = deployGraph((await build(external, { dbPassword: pulumi.secret("x") })).resources);
        expectShape(g, []);
        expect(transitiveWaits(g, "Job/pulse-migrator")).to.include("Secret/pulse-db-secret");
    });

    it("the shape check fails on a graph where a Deployment skips the migrator (the check can fail)", async () => {
        const g = deployGraph((await build(stackConfig("dev"))).resources);
        const broken: DeployGraph = {
            ...g,
            waitsFor: { ...g.waitsFor, "Deployment/pulse-ui": g.waitsFor["Deployment/pulse-ui"].filter((l) => l !== "Job/pulse-migrator") },
        };
        expect(() => expectShape(broken, [])).to.throw(/pulse-ui waits for Job\/pulse-migrator/);
    });
});
