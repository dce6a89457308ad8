import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { serviceObjectName } from "../components/pulseServices";
import { SERVICE_NAMES } from "../config";
import { deployGraph, DeployGraph, transitiveWaits } from "../tools/graph";
import { build, config, stackConfig, CI_STACK_FILE } from "./helpers";

const pulseDeployments = SERVICE_NAMES.map((s) => `Deployment/${serviceObjectName(s)}`);
/** The hook Jobs' labels: their names carry their trigger's hash. */
const jobOf = (g: DeployGraph, component: string) => {
    const label = Object.keys(g.waitsFor).find((l) => l.startsWith(`Job/pulse-${component}-`));
    if (!label) throw new Error(`no ${component} Job in the graph`);
    return label;
};

/**
 * The intended shape, on what the SDK registered: dependencies, then the hook Jobs, then the workloads, then the entry
 * points: each Service after its Deployment (its await needs ready pods), Caddy after the Services it proxies, the
 * Ingress after the Services it routes to.
 */
function expectShape(g: DeployGraph, releases: string[]): void {
    const labels = Object.keys(g.waitsFor);
    const JOBS = [jobOf(g, "migrator"), jobOf(g, "nats-init")];
    const deployments = labels.filter((l) => l.startsWith("Deployment/"));
    for (const d of pulseDeployments) {
        const waits = transitiveWaits(g, d);
        for (const j of JOBS) expect(waits, `${d} waits for ${j}`).to.include(j);
        for (const r of releases) expect(waits, `${d} waits for ${r}`).to.include(r);
    }
    // Parallel within each level: no backend Deployment waits on another, no Job on the other, no release on another.
    const backends = deployments.filter((d) => d !== "Deployment/pulse-caddy");
    for (const d of backends) for (const other of deployments) if (d !== other) expect(transitiveWaits(g, d), d).not.to.include(other);
    expect(transitiveWaits(g, JOBS[0])).not.to.include(JOBS[1]);
    expect(transitiveWaits(g, JOBS[1])).not.to.include(JOBS[0]);
    for (const r of releases) for (const other of releases) if (r !== other) expect(transitiveWaits(g, r)).not.to.include(other);
    // The hooks wait on the dependencies only, never on a workload.
    for (const j of JOBS) for (const d of deployments) expect(transitiveWaits(g, j)).not.to.include(d);
    // A workload's Service waits for its Deployment.
    for (const d of deployments) {
        const service = d.replace(/^Deployment\//, "Service/");
        if (labels.includes(service)) expect(g.waitsFor[service], `${service} waits for ${d}`).to.include(d);
    }
    // The entry points wait for the backends they route to, and nothing waits for them.
    const routedTo = (entry: string) => [...transitiveWaits(g, entry)].filter((l) => l.startsWith("Service/pulse-"));
    if (labels.includes("Deployment/pulse-caddy")) expect(routedTo("Deployment/pulse-caddy")).to.include("Service/pulse-ui");
    if (labels.includes("Ingress/pulse")) {
        expect(routedTo("Ingress/pulse")).to.include("Service/pulse-ui");
        for (const l of labels) expect(g.waitsFor[l], `${l} waits for the Ingress`).not.to.include("Ingress/pulse");
    }
    const last = g.stages[g.stages.length - 1];
    expect(
        last.filter((l) => ["Ingress/pulse", "Service/pulse-caddy"].includes(l)),
        "the last stage holds an entry point",
    ).not.to.deep.equal([]);
    // provision-api's startup runs once, after the migrations, before any of its replicas.
    const init = jobOf(g, "provision-api-init");
    expect(g.waitsFor["Deployment/pulse-provision-api"], "provision-api waits for its init Job").to.include(init);
    expect(transitiveWaits(g, init), "the init Job runs after the migrations").to.include(JOBS[0]);
}

describe("deploy graph", () => {
    for (const stack of ["dev", "prod"]) {
        it(`${stack}: releases and secrets, then migrator and nats-init in parallel, then every workload`, async () => {
            const g = deployGraph((await build(stackConfig(stack))).resources);
            expectShape(g, ["HelmRelease/pulse-postgresql", "HelmRelease/pulse-nats", "HelmRelease/pulse-emqx"]);
            expect(transitiveWaits(g, jobOf(g, "migrator"))).to.include.members(["HelmRelease/pulse-postgresql", "Secret/pulse-db-secret"]);
            expect(transitiveWaits(g, jobOf(g, "nats-init"))).to.include("HelmRelease/pulse-nats");
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
        expect(transitiveWaits(g, jobOf(g, "migrator"))).to.include("Secret/pulse-db-secret");
    });

    it("the shape check fails on a graph where a Deployment skips the migrator, or a Service its Deployment (the check can fail)", async () => {
        const g = deployGraph((await build(stackConfig("dev"))).resources);
        const without = (label: string, dropped: string): DeployGraph => ({
            ...g,
            waitsFor: { ...g.waitsFor, [label]: g.waitsFor[label].filter((l) => l !== dropped) },
        });
        expect(() => expectShape(without("Deployment/pulse-ui", jobOf(g, "migrator")), [])).to.throw(/pulse-ui waits for Job\/pulse-migrator-/);
        expect(() => expectShape(without("Service/pulse-ui", "Deployment/pulse-ui"), [])).to.throw(/Service\/pulse-ui waits for Deployment\/pulse-ui/);
        expect(() => expectShape(without("Deployment/pulse-provision-api", jobOf(g, "provision-api-init")), [])).to.throw(
            /provision-api waits for its init Job/,
        );
    });
});
