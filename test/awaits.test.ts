/**
 * Each await decision (lib/awaits.ts), pinned: an await that proves something is kept, one that only repeats another
 * resource's proof is skipped with the ordering kept, and independent chains stay side by side. Each test fails if a
 * skipped await is put back or an ordering is lost.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { ADDRESS_PUBLISHED, ingressAwaitAnnotations, serviceAwait, SKIP_AWAIT_ANNOTATION, WAIT_FOR_ANNOTATION } from "../lib/awaits";
import { serviceObjectName } from "../components/pulseServices";
import { contractOf, PulseConfig, SERVICE_NAMES } from "../config";
import { EMQX_RELEASE, NATS_RELEASE, POSTGRESQL_RELEASE } from "../lib/contracts";
import { deployGraph, transitiveWaits } from "../tools/graph";
import { RecordedResource } from "../tools/mocks";
import { build, buildComponent, config, inputs, ofType, one, releases, stackConfig } from "./helpers";

const SERVICE = "kubernetes:core/v1:Service";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const SKIP = { [SKIP_AWAIT_ANNOTATION]: "true" };
const ADDRESS = { [WAIT_FOR_ANNOTATION]: ADDRESS_PUBLISHED };

/** The await annotations of a resource (none: Pulumi's built-in await). */
const awaitsOf = (r: RecordedResource) => {
    const a = (inputs(r).metadata?.annotations ?? {}) as Record<string, string>;
    return Object.fromEntries(Object.entries(a).filter(([k]) => k === SKIP_AWAIT_ANNOTATION || k === WAIT_FOR_ANNOTATION));
};
const byObjectName = (rs: RecordedResource[], type: string, name: string) => {
    const r = ofType(rs, type).find((x) => inputs(x).metadata?.name === name);
    if (!r) throw new Error(`no ${type} ${name}`);
    return r;
};

describe("awaits (lib/awaits.ts): none that repeats another's proof, the order kept", () => {
    describe("the decisions", () => {
        const owner = { urn: "the owner" } as unknown as pulumi.Resource;

        it("a Service whose pods an owner proved ready: no await of its own (an address, as a LoadBalancer), created after the owner", () => {
            expect(serviceAwait("ClusterIP", true, owner)).to.deep.equal({ annotations: SKIP, dependsOn: [owner] });
            expect(serviceAwait("NodePort", true, owner)).to.deep.equal({ annotations: SKIP, dependsOn: [owner] });
            expect(serviceAwait("LoadBalancer", true, owner)).to.deep.equal({ annotations: ADDRESS, dependsOn: [owner] });
        });

        it("without such an owner, Pulumi's built-in await; with awaitReadiness false, none, the order kept", () => {
            expect(serviceAwait("ClusterIP", true)).to.deep.equal({ annotations: {}, dependsOn: [] });
            expect(serviceAwait("LoadBalancer", false, owner)).to.deep.equal({ annotations: SKIP, dependsOn: [owner] });
        });

        it("the Ingress waits for its address alone, or for nothing", () => {
            expect(ingressAwaitAnnotations(true)).to.deep.equal(ADDRESS);
            expect(ingressAwaitAnnotations(false)).to.deep.equal(SKIP);
        });
    });

    describe("in the stacks", () => {
        const prod = () => build(stackConfig("prod"));
        const servicesOfWorkloads = (c: PulseConfig) => [
            ...SERVICE_NAMES.filter((s) => contractOf(s).service).map(serviceObjectName),
            ...(c.keycloak.enabled ? ["pulse-keycloak"] : []),
        ];

        it("every workload's Service skips its await and comes after its Deployment, whose await is kept", async () => {
            const { resources } = await prod();
            const names = servicesOfWorkloads(stackConfig("prod"));
            expect(names).to.include("pulse-keycloak").and.include("pulse-ui");
            for (const name of names) {
                const svc = byObjectName(resources, SERVICE, name);
                const deployment = byObjectName(resources, DEPLOYMENT, name);
                expect(awaitsOf(svc), name).to.deep.equal(SKIP);
                expect(svc.dependencies, `${name} after its Deployment`).to.include(deployment.urn);
                expect(awaitsOf(deployment), `${name}'s Deployment is awaited`).to.deep.equal({});
            }
        });

        it("an exposed workload Service (Caddy as a LoadBalancer) waits for its address only, after its Deployment", async () => {
            const { resources } = await buildComponent("caddy", config({ caddy: { enabled: true, serviceType: "LoadBalancer" } }));
            const svc = byObjectName(resources, SERVICE, "pulse-caddy");
            expect(awaitsOf(svc)).to.deep.equal(ADDRESS);
            expect(svc.dependencies).to.include(byObjectName(resources, DEPLOYMENT, "pulse-caddy").urn);
        });

        it("the devices' Service skips its await and comes after the EMQX release, which Helm waits for; as a LoadBalancer it waits for its address", async () => {
            const { resources } = await prod();
            const release = releases(resources, EMQX_RELEASE)[0];
            expect(inputs(release).skipAwait, "Helm waits for the broker's pods").to.equal(false);
            const devices = byObjectName(resources, SERVICE, "pulse-emqx-devices");
            expect(awaitsOf(devices)).to.deep.equal(SKIP);
            expect(devices.dependencies).to.include(release.urn);

            const exposed = config({
                emqx: { deviceTls: { serverCertSecret: "pulse-emqx-tls", deviceCaSecret: "pulse-device-ca" }, deviceService: { type: "LoadBalancer" } },
                networkPolicy: { mqttClientCidrs: ["0.0.0.0/0"] },
            });
            const lb = byObjectName((await buildComponent("emqx", exposed)).resources, SERVICE, "pulse-emqx-devices");
            expect(awaitsOf(lb)).to.deep.equal(ADDRESS);
        });

        it("no Pulse Deployment waits for the devices' Service; each waits for the EMQX release, the migrator and nats-init", async () => {
            const g = deployGraph((await prod()).resources);
            const job = (c: string) => Object.keys(g.waitsFor).find((l) => l.startsWith(`Job/pulse-${c}-`))!;
            for (const s of SERVICE_NAMES) {
                const waits = transitiveWaits(g, `Deployment/${serviceObjectName(s)}`);
                expect(waits, s).not.to.include("Service/pulse-emqx-devices");
                expect(waits, s).to.include.members([`HelmRelease/${EMQX_RELEASE}`, job("migrator"), job("nats-init")]);
            }
        });

        it("the Ingress waits for its controller's address alone, created after every Service it routes to", async () => {
            const { resources } = await prod();
            const ingress = one(resources, INGRESS);
            expect(awaitsOf(ingress)).to.deep.equal(ADDRESS);
            for (const name of ["pulse-ui", "pulse-keycloak"]) expect(ingress.dependencies, name).to.include(byObjectName(resources, SERVICE, name).urn);
        });

        it("independent chains run side by side: nats-init beside the database chain, Keycloak beside the migrator", async () => {
            const g = deployGraph((await prod()).resources);
            const job = (c: string) => Object.keys(g.waitsFor).find((l) => l.startsWith(`Job/pulse-${c}-`))!;
            const natsInit = transitiveWaits(g, job("nats-init"));
            expect(natsInit).to.include(`HelmRelease/${NATS_RELEASE}`);
            for (const l of [`HelmRelease/${POSTGRESQL_RELEASE}`, job("db-setup"), job("migrator")]) expect(natsInit, l).not.to.include(l);
            const migrator = transitiveWaits(g, job("migrator"));
            expect(migrator).to.include(job("db-setup"));
            for (const l of [`HelmRelease/${NATS_RELEASE}`, `HelmRelease/${EMQX_RELEASE}`, job("nats-init"), "Deployment/pulse-keycloak"]) {
                expect(migrator, l).not.to.include(l);
            }
            const keycloak = transitiveWaits(g, "Deployment/pulse-keycloak");
            expect(keycloak).to.include(job("db-setup"));
            for (const l of [job("migrator"), job("nats-init"), `HelmRelease/${EMQX_RELEASE}`]) expect(keycloak, l).not.to.include(l);
        });
    });
});
