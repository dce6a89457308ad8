import * as fs from "fs";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { createPlatform, POD_SECURITY_VERSION } from "../components/platform";
import { serviceObjectName } from "../components/pulseServices";
import { componentOf, contractOf, GENERIC_RELEASE_KEYS, loadConfig, RELEASE_KEYS, RELEASES, SERVICE_NAMES } from "../config";
import { record, RecordedResource, resolve, setStackConfig } from "../tools/mocks";
import { PROJECT_DIR } from "../tools/stackfile";
import { build, config, inputs, ofType, one, stackConfig } from "./helpers";

const NAMESPACE = "kubernetes:core/v1:Namespace";

describe("platform", () => {
    it("creates the Pulse namespace named from config, enforcing Pod Security 'restricted'", async () => {
        const { resources, platform } = await build(config({ namespace: "pulse-staging" }));
        const ns = inputs(one(resources, NAMESPACE));
        expect(ns.metadata.name).to.equal("pulse-staging");
        expect(ns.metadata.labels).to.include({
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/enforce-version": POD_SECURITY_VERSION,
            "pod-security.kubernetes.io/warn": "restricted",
            "pod-security.kubernetes.io/audit": "restricted",
        });
        expect(await resolve(platform.outputs.namespace)).to.equal("pulse-staging");
    });

    describe("global.awaitReadiness", () => {
        const AWAITED_BY_READINESS = ["kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Service", "kubernetes:networking.k8s.io/v1:Ingress"];
        const skipsAwait = (r: RecordedResource) => inputs(r).metadata?.annotations?.["pulumi.com/skipAwait"] === "true";
        // Keycloak's headless discovery Service and the Ingress exist only in the highly available stack.
        const prod = () => stackConfig("prod");

        const releases = (resources: RecordedResource[]) => ofType(resources, "kubernetes:helm.sh/v3:Release");

        it("by default, what skips Pulumi's readiness await is what has nothing to prove: Keycloak's discovery Service (it lists unready pods), the blocked-path Service, the backups' claim (no consumer until the first backup) and the Services whose pods their owner's await saw ready (test/awaits.test.ts)", async () => {
            const { resources } = await build(prod());
            expect(
                resources
                    .filter((r) => r.custom && skipsAwait(r))
                    .map((r) => `${inputs(r).kind}/${inputs(r).metadata.name}`)
                    .sort(),
            ).to.deep.equal(
                [
                    "PersistentVolumeClaim/pulse-db-backups",
                    "Service/pulse-edge-blocked",
                    "Service/pulse-emqx-devices",
                    "Service/pulse-keycloak",
                    "Service/pulse-keycloak-discovery",
                    // Every Pulse service with a Service (the registry's `service`).
                    ...SERVICE_NAMES.filter((s) => contractOf(s).service).map((s) => `Service/${serviceObjectName(s)}`),
                ].sort(),
            );
            for (const d of ofType(resources, "kubernetes:apps/v1:Deployment")) expect(skipsAwait(d), d.name).to.equal(false);
            expect(releases(resources)).to.have.length(RELEASE_KEYS.length);
            for (const r of releases(resources)) expect(inputs(r).skipAwait, r.name).to.equal(false);
        });

        it("false skips it on every Deployment, Service, Ingress and Helm release, and never on a Job", async () => {
            const { resources } = await build({ ...prod(), global: { ...prod().global, awaitReadiness: false } });
            const awaited = resources.filter((r) => AWAITED_BY_READINESS.includes(r.type));
            expect(awaited.map((r) => r.type)).to.include.members(AWAITED_BY_READINESS);
            for (const r of awaited) expect(skipsAwait(r), r.name).to.equal(true);
            for (const r of releases(resources)) expect(inputs(r).skipAwait, r.name).to.equal(true);
            const jobs = ofType(resources, "kubernetes:batch/v1:Job");
            expect(jobs.map((j) => j.name).sort()).to.deep.equal(
                [
                    "pulse-database-setup-run",
                    "pulse-migrator-job-run",
                    "pulse-nats-init-job-run",
                    // Every Pulse service's init Job (the registry's `init`).
                    ...SERVICE_NAMES.filter((s) => contractOf(s).init).map((s) => `pulse-services-${componentOf(s)}-init-run`),
                ].sort(),
            );
            for (const j of jobs) expect(skipsAwait(j), j.name).to.equal(false);
        });

        it("ingress.awaitLoadBalancer false skips the Ingress's wait for an address, and nothing else", async () => {
            const skipping = async (c: ReturnType<typeof prod>) =>
                (await build(c)).resources
                    .filter((r) => r.custom && skipsAwait(r))
                    .map((r) => `${inputs(r).kind}/${inputs(r).metadata.name}`)
                    .sort();
            const before = await skipping(prod());
            expect(before).not.to.include("Ingress/pulse");
            expect(await skipping({ ...prod(), ingress: { ...prod().ingress, awaitLoadBalancer: false } })).to.deep.equal([...before, "Ingress/pulse"].sort());
        });
    });

    it("parents every resource to a pulse:<module>:<Class> component defined in components/<module>.ts, or the generic release's (a registry entry's type)", async () => {
        const { resources } = await build(config());
        const components = resources.filter((r) => !r.custom);
        expect(components.map((c) => c.type)).to.include("pulse:platform:Platform");
        const generic = new Set<string>(GENERIC_RELEASE_KEYS.map((k) => RELEASES[k].type));
        for (const c of components) {
            const m = /^pulse:([a-z][A-Za-z]*):([A-Z][A-Za-z]*)$/.exec(c.type);
            expect(m, c.type).not.to.equal(null);
            const [module, cls] = generic.has(c.type) ? ["release", "Release"] : [m![1], m![2]];
            const file = path.join(PROJECT_DIR, "components", `${module}.ts`);
            expect(fs.existsSync(file), file).to.equal(true);
            expect(fs.readFileSync(file, "utf8")).to.match(new RegExp(`class ${cls}\\b.* extends pulumi.ComponentResource`));
        }
        const componentUrns = new Set(components.map((c) => c.urn));
        for (const r of resources.filter((x) => x.custom)) expect(componentUrns.has(r.parent), r.name).to.equal(true);
    });

    describe("child names", () => {
        /** Children whose Pulumi name is not `<parent's name>-<role>`, as "parent -> child (type)". */
        const misnamed = (resources: readonly RecordedResource[]) => {
            const byUrn = new Map(resources.map((r) => [r.urn, r]));
            return resources.flatMap((r) => {
                const parent = byUrn.get(r.parent);
                return parent && !r.name.startsWith(`${parent.name}-`) ? [`${parent.name} -> ${r.name} (${r.type})`] : [];
            });
        };

        it("the check names a child that does not start with its parent's name", () => {
            const parent = { name: "pulse-network", urn: "urn:p" } as RecordedResource;
            const child = (name: string) => ({ name, urn: `urn:${name}`, parent: "urn:p", type: "t" }) as RecordedResource;
            expect(misnamed([parent, child("pulse-network-allow-dns"), child("pulse-allow-dns"), child("pulse-networkx")])).to.deep.equal([
                "pulse-network -> pulse-allow-dns (t)",
                "pulse-network -> pulse-networkx (t)",
            ]);
        });

        it("every child of every component is named after it: `<parent>-<role>`, in every stack and with every option on", async () => {
            const everything = config({
                caddy: { enabled: true, serviceType: "LoadBalancer" },
                keycloak: { replicaCount: 2 },
                smtp: { host: "smtp.example.com" },
                emqx: { deviceTls: { certManager: { issuer: "pulse-ca" }, deviceCaSecret: "pulse-device-ca" } },
                ingest: { autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 4 } },
            });
            const external = config({
                postgresql: { enabled: false },
                externalDatabase: { enabled: true, host: "db.example.com" },
                emqx: { enabled: false, externalHost: "mqtt.example.com" },
                nats: { enabled: false, externalUrl: "nats://nats.example.com:4222" },
            });
            for (const [label, c, secrets] of [
                ["prod", stackConfig("prod")],
                ["dev", stackConfig("dev")],
                ["every option on", everything],
                ["external dependencies", external, { dbPassword: pulumi.secret("pw"), keycloakDbPassword: pulumi.secret("pw") }],
            ] as const) {
                const { resources } = await build(c, secrets);
                expect(resources.filter((r) => r.parent !== "").length, label).to.be.greaterThan(0);
                expect(misnamed(resources), label).to.deep.equal([]);
            }
        });
    });

    it("with every dependency switched off, installs no Helm release and wires the external endpoints", async () => {
        const c = config({
            ...Object.fromEntries(RELEASE_KEYS.map((k) => [k, { enabled: false }])),
            postgresql: { enabled: false },
            externalDatabase: { enabled: true, host: "db.example.com" },
            emqx: { enabled: false, externalHost: "mqtt.example.com" },
            nats: { enabled: false, externalUrl: "nats://nats.example.com:4222" },
        });
        const { resources, platform } = await build(c, { dbPassword: pulumi.secret("pw") });
        expect(resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release")).to.deep.equal([]);
        const out = platform.outputs;
        expect(await resolve(out.natsUrl)).to.equal("nats://nats.example.com:4222");
        expect(await resolve(out.mqttHost)).to.equal("mqtt.example.com");
        expect(await resolve(out.mqttPort)).to.equal(1883);
        expect(await resolve(out.databaseHost)).to.equal("db.example.com");
        expect(await resolve(out.databaseSecretName)).to.equal("pulse-db-secret");
    });

    it("passes createPlatform's options to the Platform: a Kubernetes provider given to it reaches every Kubernetes child", async () => {
        const { result: platform, resources } = await record(() => {
            const cluster = new k8s.Provider("cluster", {});
            return createPlatform(config(), {}, { providers: [cluster] });
        });
        const provider = one(resources, "pulumi:providers:kubernetes");
        const reference = `${provider.urn}::${provider.name}-id`;
        const platformUrn = await resolve(platform.urn);
        const kubernetes = resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
        expect(kubernetes.map((r) => r.type)).to.include.members([NAMESPACE, "kubernetes:apps/v1:Deployment", "kubernetes:helm.sh/v3:Release"]);
        expect(kubernetes.filter((r) => r.provider !== reference).map((r) => r.name)).to.deep.equal([]);
        // Inherited through the Platform: the Namespace is its own child, the rest sit further down.
        expect(one(resources, NAMESPACE).parent).to.equal(platformUrn);
        // Without options: the default provider, as index.ts runs it.
        const { resources: plain } = await build(config());
        expect(plain.filter((r) => r.provider !== "").map((r) => r.name)).to.deep.equal([]);
    });

    it("rejects bad config with one RunError before registering any resource", async () => {
        setStackConfig({ "pulse:ingest": JSON.stringify({ replicaCount: -1 }), "pulse:ui": JSON.stringify({ replicaCout: 1 }) });
        let error: unknown;
        const { resources } = await record(() => {
            try {
                const { config: c, secrets } = loadConfig();
                return createPlatform(c, secrets);
            } catch (e) {
                error = e;
                return undefined;
            }
        });
        expect(pulumi.RunError.isInstance(error)).to.equal(true);
        expect((error as Error).message).to.include("pulse:ingest.replicaCount: must be an integer >= 0, got -1");
        expect((error as Error).message).to.include('pulse:ui.replicaCout: unknown key (did you mean "replicaCount"?)');
        expect(resources).to.deep.equal([]);
    });

    it("loadConfig turns the secret keys into Pulumi secrets", async () => {
        setStackConfig({ "pulse:dbPassword": "s3cret", "pulse:app": '{"environment":"development"}' }, ["pulse:dbPassword"]);
        const { secrets } = loadConfig();
        expect(await pulumi.isSecret(secrets.dbPassword!)).to.equal(true);
        expect(await resolve(secrets.dbPassword!)).to.equal("s3cret");
    });

    it("components never read pulumi.Config: config is read in one place", () => {
        const dir = path.join(PROJECT_DIR, "components");
        for (const f of fs.readdirSync(dir)) {
            const src = fs.readFileSync(path.join(dir, f), "utf8");
            expect(src, f).not.to.match(/pulumi\.Config|new Config\(|allConfig\(|getConfig\(|loadConfig\(/);
        }
    });
});
