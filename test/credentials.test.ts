import { expect } from "chai";
import { platformEndpoints } from "../components/credentials";
import { MOVED_TO_CREDENTIALS, MovedCredential } from "../lib/aliases";
import { NATS_PORT } from "../lib/contracts";
import { isSecretValue, RecordedResource, resolve } from "../tools/mocks";
import { RELEASE_BUILDERS } from "../components/releases";
import { PulseConfig, RELEASE_KEYS, RELEASES } from "../config";
import { build, buildComponent, CI_STACK_FILE, config, inputs, ofType, one, releases, rolledBy, stackConfig } from "./helpers";

const SECRET = "kubernetes:core/v1:Secret";
const PASSWORD = "random:index/randomPassword:RandomPassword";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const PLATFORM = "urn:pulumi:test::pulse::pulse:platform:Platform";

const unwrap = (v: unknown): unknown => (isSecretValue(v) ? v.value : v);
/** Every value of every Secret the program writes. */
const secretValues = (rs: RecordedResource[]) =>
    ofType(rs, SECRET).flatMap((s) => Object.values((unwrap(inputs(s).stringData) ?? {}) as Record<string, unknown>).map(unwrap));
/** The Secrets a pod template reads: by its environment's secretKeyRefs and its Secret volumes. */
function secretsReadBy(template: {
    spec: { containers: { env?: { valueFrom?: { secretKeyRef?: { name: string } } }[] }[]; volumes?: { secret?: { secretName: string } }[] };
}): string[] {
    const env = template.spec.containers.flatMap((c) => (c.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.name] : [])));
    const volumes = (template.spec.volumes ?? []).flatMap((v) => (v.secret ? [v.secret.secretName] : []));
    return [...new Set([...env, ...volumes])];
}

describe("credentials stage", () => {
    it("the secret revisions have their own generated key, which no Secret holds", async () => {
        const { resources } = await build(config());
        const key = one(resources, PASSWORD, "pulse-revision-key");
        expect(key.parent, "the platform's").to.match(/::pulse$/);
        expect(secretValues(resources)).not.to.include("mock-pulse-revision-key");
        expect(secretValues(resources)).to.include("mock-pulse-app-secrets-admin-key");
    });

    it("a changed pulse:adminKey rolls exactly the services that read ADMIN_KEY (it is a credential, not the revisions' key)", async () => {
        const { rolled, readers, rerun } = await rolledBy("adminKey", "ADMIN_KEY", ["a".repeat(32), "b".repeat(32)]);
        expect(readers.length).to.be.greaterThan(0);
        expect(rolled).to.deep.equal(readers);
        expect(rerun).to.deep.equal([]);
    });

    it("the database's and Keycloak's credentials are the platform's, each aliased to the URN its former component gave it", async () => {
        // With replication, so that every moved credential exists (the replicas' password only with them).
        const { resources } = await buildComponent("credentials", config({ postgresql: { architecture: "replication" } }));
        for (const [role, { from, type }] of Object.entries(MOVED_TO_CREDENTIALS)) {
            const r = one(resources, type, `pulse-${role}`);
            expect(r.parent, role).to.equal(`${PLATFORM}::pulse`);
            const component = { database: "pulse:database:Database", keycloak: "pulse:keycloak:Keycloak" }[from];
            expect(r.aliases, role).to.deep.equal([`${PLATFORM}$${component}$${type}::pulse-${role}`]);
        }
    });

    it("the database roles' passwords and Secrets keep the data's protection; Keycloak's admin is not data", async () => {
        const roles = (Object.keys(MOVED_TO_CREDENTIALS) as MovedCredential[]).filter((role) => role.startsWith("database-"));
        expect(roles).to.have.length(6);
        const moved = (rs: RecordedResource[]) => roles.map((role) => one(rs, MOVED_TO_CREDENTIALS[role].type, `pulse-${role}`));
        const kept = await buildComponent("credentials", config({ postgresql: { protect: true, architecture: "replication" } }));
        for (const r of moved(kept.resources)) expect({ protect: r.protect, retain: r.retainOnDelete }, r.name).to.deep.equal({ protect: true, retain: true });
        expect(one(kept.resources, SECRET, "pulse-keycloak-admin").protect).to.equal(false);
        const loose = await buildComponent("credentials", config({ postgresql: { protect: false, architecture: "replication" } }));
        for (const r of moved(loose.resources))
            expect({ protect: r.protect, retain: r.retainOnDelete }, r.name).to.deep.equal({ protect: false, retain: false });
    });

    it("Secrets managed outside Pulumi: every reference names the configured Secret, and there is no revision key", async () => {
        const names = { external: true, app: "v-app", keycloakAdmin: "v-kc-admin", keycloakDb: "v-kc-db" };
        const { resources, platform } = await build(config({ secrets: names, postgresql: { auth: { existingSecret: "v-db" } } }));
        expect(ofType(resources, PASSWORD).map((r) => r.name)).to.deep.equal([]);
        expect(ofType(resources, SECRET).map((r) => r.name)).to.deep.equal([]);
        const c = platform.credentials;
        expect(c.managed).to.equal(undefined);
        expect([c.appSecretName, c.keycloakAdmin.password.secretName, c.keycloakDatabase?.login.password.secretName]).to.deep.equal([
            "v-app",
            "v-kc-admin",
            "v-kc-db",
        ]);
        const db = c.database;
        expect([db.secretName, db.url, db.password, db.adminPassword, db.revision]).to.deep.equal([
            "v-db",
            { secretName: "v-db", key: "url" },
            { secretName: "v-db", key: "password" },
            { secretName: "v-db", key: "postgres-password" },
            undefined,
        ]);
    });

    for (const [stack, cfg] of [
        ["the defaults", () => config()],
        ["prod", () => stackConfig("prod")],
        ["the CI fixture", () => stackConfig(CI_STACK_FILE)],
    ] as const) {
        it(`${stack}: every pod that reads a Secret the program writes names it by reference, so it waits for the Secret`, async () => {
            const { resources } = await build(cfg());
            const written = new Map(ofType(resources, SECRET).map((s) => [inputs(s).metadata.name as string, s.urn]));
            const pods = [...ofType(resources, DEPLOYMENT), ...ofType(resources, "kubernetes:batch/v1:Job")];
            const unordered = pods.flatMap((p) =>
                secretsReadBy(inputs(p).spec.template)
                    .filter((name) => written.has(name) && !p.dependencies.includes(written.get(name)!))
                    .map((name) => `${p.name} reads ${name}`),
            );
            expect(pods.filter((p) => secretsReadBy(inputs(p).spec.template).some((n) => written.has(n))).length).to.be.greaterThan(5);
            expect(unordered).to.deep.equal([]);
        });
    }

    /** `<release> reads <Secret>` for each Secret the program writes that a release's builder lists and the release does not wait for. */
    const unorderedReleases = (resources: RecordedResource[], c: PulseConfig): string[] => {
        const written = new Map(ofType(resources, SECRET).map((s) => [inputs(s).metadata.name as string, s.urn]));
        return RELEASE_KEYS.flatMap((key) =>
            releases(resources, RELEASES[key].releaseName).flatMap((r) =>
                RELEASE_BUILDERS[key]
                    .secrets(c)
                    .filter((name) => written.has(name) && !r.dependencies.includes(written.get(name)!))
                    .map((name) => `${key} reads ${name}`),
            ),
        );
    };

    it("every Helm release installs after the Secrets its builder lists that the program writes (its pods read them at start)", async () => {
        for (const c of [config(), stackConfig("prod"), stackConfig(CI_STACK_FILE)]) {
            const { resources } = await build(c);
            expect(unorderedReleases(resources, c)).to.deep.equal([]);
        }
    });

    it("a generic release waits for a Secret of the credentials stage its builder lists", async () => {
        const nats = RELEASE_BUILDERS.nats;
        const c = config();
        const reads = nats.secrets;
        // NATS reads no Secret today: the app Secret stands in for one a new release would read.
        (nats as { secrets: typeof reads }).secrets = (cfg) => [cfg.secrets.app];
        try {
            const { resources } = await build(c, {});
            expect(releases(resources, RELEASES.nats.releaseName)).to.have.length(1);
            expect(unorderedReleases(resources, c)).to.deep.equal([]);
        } finally {
            (nats as { secrets: typeof reads }).secrets = reads;
        }
    });

    it("the endpoints are the ones the components serve at", async () => {
        const c = config();
        const { platform } = await build(c);
        const e = platformEndpoints(c);
        // NATS is a generic release: its client Service is the Helm release's name.
        expect(e.natsUrl).to.equal(`nats://${await resolve(platform.releases.nats.release!.name)}:${NATS_PORT}`);
        expect(e.mqtt).to.deep.equal({ host: platform.emqx.mqttHost, port: platform.emqx.mqttPort });
        expect(e.emqxApi).to.deep.equal(platform.emqx.api);
        expect(e.database).to.deep.equal(platform.database.connection);
        expect(e.identity.internalUrl).to.equal(`http://${platform.keycloak!.workload.objectName}:8080`);
    });
});
