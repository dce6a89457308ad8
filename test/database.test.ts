import { resourceRequirements } from "../lib/resources";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { createHash } from "crypto";
import { CREDENTIALS_ANNOTATION, DB_SETUP_SQL, databaseUrl } from "../components/database";
import { SECRETS_ANNOTATION } from "../lib/checksum";
import { componentOf, connectsToDatabase, contractOf, PlatformSecrets, PULSE_DATABASE_USER, PulseConfig, SECRET_ENV, SERVICE_NAMES } from "../config";
import { POSTGRESQL_RELEASE } from "../lib/contracts";
import { isSecretValue, RecordedResource } from "../tools/mocks";
import { build, buildComponent, config, configProblems, inputs, ofType, one, releases, rolledBy } from "./helpers";

const SECRET = "kubernetes:core/v1:Secret";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const PASSWORD = "random:index/randomPassword:RandomPassword";

const external = { postgresql: { enabled: false }, externalDatabase: { enabled: true, host: "pulse.abc.eu-west-1.rds.amazonaws.com" } };
/** The database's generated passwords (EMQX generates its own). */
const dbPasswords = (rs: RecordedResource[]) => ofType(rs, PASSWORD).filter((r) => r.name.startsWith("pulse-database-"));
const dbSecret = (rs: RecordedResource[]) => one(rs, SECRET, "pulse-database-secret");
const pgRelease = (rs: RecordedResource[]) => releases(rs, POSTGRESQL_RELEASE);
/** The database alone, on the credentials stage (pulse-db-secret, the generated passwords) and the Namespace. */
const database = (c: PulseConfig, secrets?: PlatformSecrets) => buildComponent("database", c, secrets);

describe("database", () => {
    describe("in-cluster PostgreSQL", () => {
        it("installs bitnami/postgresql 15.5.38 from the OCI registry as release pulse-postgresql", async () => {
            const { resources } = await database(config({ namespace: "pulse-x" }));
            const [release] = pgRelease(resources);
            const r = inputs(release);
            expect(r).to.include({
                name: "pulse-postgresql",
                chart: "oci://registry-1.docker.io/bitnamicharts/postgresql",
                version: "15.5.38",
                namespace: "pulse-x",
                maxHistory: 10,
                timeout: 600,
                waitForJobs: true,
            });
            expect(r.repositoryOpts).to.equal(undefined);
        });

        it("points the chart at pulse-db-secret and sets database, user, volume, resources and TimescaleDB's Bitnami image", async () => {
            const c = config({ postgresql: { persistence: { size: "20Gi", storageClass: "ssd" } } });
            const { values } = inputs(pgRelease((await database(c)).resources)[0]);
            expect(values.auth).to.deep.include({ database: "iotcloud", username: "iot", existingSecret: "pulse-db-secret" });
            expect(values.primary.persistence).to.deep.equal({ enabled: true, size: "20Gi", storageClass: "ssd" });
            expect(values.primary.resources).to.deep.equal(resourceRequirements(c.postgresql.resources));
            expect(values.image).to.deep.include({ registry: "docker.io", repository: "timescale/timescaledb", tag: "2.16.1-pg16-bitnami" });
            expect(values.postgresqlSharedPreloadLibraries).to.equal("pgaudit,timescaledb");
            expect(values.volumePermissions).to.deep.equal({ enabled: false });
            expect(JSON.stringify(values)).not.to.match(/password"\s*:\s*"[^"]/i);
        });

        it("takes the PostgreSQL image and the registry mirror from config", async () => {
            const c = config({
                global: { imageRegistry: "mirror.example.com", imagePullSecrets: ["regcred"] },
                postgresql: { image: { registry: "quay.io", repository: "acme/postgresql", tag: "16.4.1" } },
            });
            const { values } = inputs(pgRelease((await database(c)).resources)[0]);
            expect(values.image).to.deep.include({ registry: "quay.io", repository: "acme/postgresql", tag: "16.4.1" });
            expect(values.global).to.deep.equal({ imageRegistry: "mirror.example.com", imagePullSecrets: ["regcred"] });
        });

        it("creates pulse-db-secret with url, username, password and postgres-password, all secret", async () => {
            const { resources } = await database(config());
            const secret = dbSecret(resources);
            expect(isSecretValue(secret.inputs.stringData)).to.equal(true);
            const s = inputs(secret);
            expect(s.metadata.name).to.equal("pulse-db-secret");
            expect(Object.keys(s.stringData).sort()).to.deep.equal(["password", "postgres-password", "url", "username"]);
            expect(s.stringData.username).to.equal("iot");
        });

        it("keeps url consistent with the generated password, the user, the database and the Service", async () => {
            const { resources } = await database(config());
            const s = inputs(dbSecret(resources)).stringData;
            expect(s.password).to.match(/^mock-/);
            expect(s.url).to.equal(`postgresql://iot:${s.password}@pulse-postgresql:5432/iotcloud`);
            expect(s["postgres-password"]).not.to.equal(s.password);
            // Pulse's user, the admin and Keycloak's role.
            const generated = dbPasswords(resources).map((r) => inputs(r));
            expect(generated).to.have.length(3);
            for (const g of generated) expect(g).to.include({ length: 32, special: false });
        });

        it("uses the configured secrets instead of generating them, URL-encoding the password", async () => {
            const { resources } = await database(config(), {
                dbPassword: pulumi.secret("p@ss/w:rd"),
                postgresPassword: pulumi.secret("admin-pw"),
                keycloakDbPassword: pulumi.secret("kc-pw"),
            });
            expect(dbPasswords(resources)).to.have.length(0);
            const s = inputs(dbSecret(resources)).stringData;
            expect(s.password).to.equal("p@ss/w:rd");
            expect(s["postgres-password"]).to.equal("admin-pw");
            expect(s.url).to.equal("postgresql://iot:p%40ss%2Fw%3Ard@pulse-postgresql:5432/iotcloud");
        });

        it("installs the release only after the Secret it reads exists", async () => {
            const { resources } = await database(config());
            expect(pgRelease(resources)[0].dependencies).to.include(dbSecret(resources).urn);
        });

        it("protects the release, its Secret and generated passwords unless postgresql.protect is false", async () => {
            const kept = (await database(config())).resources;
            // The namespace too: deleting it would delete the database's volume claims.
            for (const r of [pgRelease(kept)[0], dbSecret(kept), ...dbPasswords(kept), one(kept, NAMESPACE)]) {
                expect(r.protect && r.retainOnDelete, r.name).to.equal(true);
            }
            const loose = (await database(config({ postgresql: { protect: false } }))).resources;
            for (const r of [pgRelease(loose)[0], dbSecret(loose), ...dbPasswords(loose), one(loose, NAMESPACE)]) {
                expect(r.protect || r.retainOnDelete, r.name).to.equal(false);
            }
        });
    });

    describe("external database", () => {
        it("installs no PostgreSQL and keeps the pulse-db-secret contract with the configured password", async () => {
            const { resources, component } = await database(config(external), {
                dbPassword: pulumi.secret("managed-pw"),
                keycloakDbPassword: pulumi.secret("kc-pw"),
            });
            expect(pgRelease(resources)).to.have.length(0);
            expect(dbPasswords(resources)).to.have.length(0);
            const secret = dbSecret(resources);
            const s = inputs(secret).stringData;
            expect(Object.keys(s).sort()).to.deep.equal(["password", "url", "username"]);
            expect(s.url).to.equal("postgresql://iot:managed-pw@pulse.abc.eu-west-1.rds.amazonaws.com:5432/iotcloud?sslmode=require");
            expect(secret.protect).to.equal(false);
            expect(one(resources, NAMESPACE).retainOnDelete, "no in-cluster data: the namespace is not retained").to.equal(false);
            expect(component.connection).to.include({ host: "pulse.abc.eu-west-1.rds.amazonaws.com", port: 5432, inCluster: false });
        });

        it("refuses a database user other than iot, in-cluster or external: the migrations grant to that role by name", () => {
            expect(PULSE_DATABASE_USER).to.equal("iot");
            const because = "Pulse's migrations grant roles and row-level-security policies to the role iot by name, so another user would miss them";
            expect(configProblems({ postgresql: { auth: { username: "pulse" } } })).to.deep.equal([
                `pulse:postgresql.auth.username: must be iot: ${because}, got "pulse"`,
            ]);
            expect(
                configProblems({ postgresql: { enabled: false }, externalDatabase: { enabled: true, host: "db.example.com", username: "svc_pulse" } }),
            ).to.deep.equal([`pulse:externalDatabase.username: must be iot: ${because}, got "svc_pulse"`]);
        });

        it("honours port, database, user and sslmode", async () => {
            const c = config({
                postgresql: { enabled: false },
                externalDatabase: { enabled: true, host: "db.example.com", port: 6432, database: "pulse", sslmode: "require" },
            });
            const secrets = { dbPassword: pulumi.secret("x") };
            expect(inputs(dbSecret((await database(c, secrets)).resources)).stringData.url).to.equal(
                "postgresql://iot:x@db.example.com:6432/pulse?sslmode=require",
            );
            // No CA: nothing mounted, no libpq TLS environment.
            const { resources } = await buildComponent("services", c, secrets);
            const ingest = inputs(ofType(resources, "kubernetes:apps/v1:Deployment").find((r) => inputs(r).metadata.name === "pulse-ingest")!).spec.template
                .spec;
            expect(ingest.volumes.map((v: { name: string }) => v.name)).not.to.include("db-ca");
        });

        it("verifies the server with sslmode verify-ca / verify-full: the CA is required, mounted into every pod that connects, named in the URLs", async () => {
            const verify = { enabled: true, host: "db.example.com", sslmode: "verify-full" } as const;
            expect(() => config({ postgresql: { enabled: false }, externalDatabase: verify })).to.throw(
                /pulse:externalDatabase.caSecret: is required with sslmode verify-full: the pods verify the server against this CA/,
            );
            const c = config({ postgresql: { enabled: false }, externalDatabase: { ...verify, caSecret: "rds-ca", caKey: "global-bundle.pem" } });
            const { resources } = await build(c, { dbPassword: pulumi.secret("x"), keycloakDbPassword: pulumi.secret("y") });
            const file = "/etc/pulse/db-ca/global-bundle.pem";
            expect(inputs(dbSecret(resources)).stringData.url).to.equal(
                `postgresql://iot:x@db.example.com:5432/iotcloud?sslmode=verify-full&sslrootcert=${file}`,
            );
            const pods = [...ofType(resources, "kubernetes:apps/v1:Deployment"), ...ofType(resources, "kubernetes:batch/v1:Job")].map((r) => inputs(r));
            const mounting = pods.filter((p) =>
                p.spec.template.spec.volumes.some(
                    (v: { name: string; secret?: { secretName: string } }) => v.name === "db-ca" && v.secret?.secretName === "rds-ca",
                ),
            );
            const names = mounting.map((p) => p.metadata.name.replace(/-[0-9a-f]{10}$/, "")).sort();
            // Every service that reads PG_* or DATABASE_URL (and its init Job), Keycloak and the migrator; no other.
            const connecting = SERVICE_NAMES.filter(connectsToDatabase).flatMap((s) => [
                componentOf(s),
                ...(contractOf(s).init ? [`${componentOf(s)}-init`] : []),
            ]);
            expect(SERVICE_NAMES.filter(connectsToDatabase).length, "the registry has services that connect and services that do not").to.be.within(
                1,
                SERVICE_NAMES.length - 1,
            );
            expect(names).to.deep.equal(["keycloak", "migrator", ...connecting].map((n) => `pulse-${n}`).sort());
            const keycloak = pods.find((p) => p.metadata.name === "pulse-keycloak")!.spec.template.spec.containers[0];
            expect(keycloak.env.find((e: { name: string }) => e.name === "KC_DB_URL").value).to.equal(
                `jdbc:postgresql://db.example.com:5432/keycloak?sslmode=verify-full&sslrootcert=${file}`,
            );
            const ingest = pods.find((p) => p.metadata.name === "pulse-ingest")!.spec.template.spec.containers[0];
            expect(ingest.env.filter((e: { name: string }) => e.name.startsWith("PGSSL"))).to.deep.equal([
                { name: "PGSSLMODE", value: "verify-full" },
                { name: "PGSSLROOTCERT", value: file },
            ]);
        });
    });

    describe("setup (in-cluster)", () => {
        const setupJob = (rs: RecordedResource[]) => ofType(rs, "kubernetes:batch/v1:Job").find((r) => r.name === "pulse-database-setup-run")!;

        it("runs the setup script as the admin once the release is up, with every value from the environment or a Secret", async () => {
            const { resources } = await database(config());
            const job = setupJob(resources);
            expect(job.dependencies).to.include(pgRelease(resources)[0].urn);
            const c = inputs(job).spec.template.spec.containers[0];
            expect(c.image).to.equal("docker.io/timescale/timescaledb:2.16.1-pg16-bitnami");
            expect(c.command).to.deep.equal(["psql", "--no-psqlrc", "--file", "/etc/db-setup/setup.sql"]);
            const env = Object.fromEntries(c.env.map((e: { name: string }) => [e.name, e]));
            expect(env.PGUSER.value).to.equal("postgres");
            expect(env.PGPASSWORD.valueFrom).to.deep.equal({ secretKeyRef: { name: "pulse-db-secret", key: "postgres-password" } });
            expect(env.KEYCLOAK_PASSWORD.valueFrom).to.deep.equal({ secretKeyRef: { name: "pulse-keycloak-db", key: "password" } });
            expect([env.APP_DB.value, env.APP_USER.value, env.KEYCLOAK_DB.value, env.KEYCLOAK_USER.value]).to.deep.equal([
                "iotcloud",
                "iot",
                "keycloak",
                "keycloak",
            ]);
            expect(JSON.stringify(c.command)).not.to.match(/password/i);
        });

        it("gives Pulse's user what its migrations need and Keycloak its own database, idempotently", () => {
            // The migrations create roles with BYPASSRLS, and need timescaledb (admin only) and pgcrypto.
            expect(DB_SETUP_SQL).to.match(/ALTER ROLE :"app_user" WITH CREATEROLE BYPASSRLS;/);
            // ...and may SET ROLE to the roles it creates (PostgreSQL 16 grants them only with ADMIN otherwise).
            expect(DB_SETUP_SQL).to.match(/ALTER ROLE :"app_user" SET createrole_self_grant = 'set, inherit';/);
            expect(DB_SETUP_SQL)
                .to.match(/CREATE EXTENSION IF NOT EXISTS timescaledb;/)
                .and.match(/CREATE EXTENSION IF NOT EXISTS pgcrypto;/);
            // Creates only what does not exist: a re-run is a no-op.
            expect(DB_SETUP_SQL).to.match(/CREATE ROLE %I LOGIN', :'kc_user'\) WHERE NOT EXISTS/);
            expect(DB_SETUP_SQL).to.match(/CREATE DATABASE %I OWNER %I', :'kc_db', :'kc_user'\) WHERE NOT EXISTS/);
            expect(DB_SETUP_SQL).to.include("\\set ON_ERROR_STOP on");
        });

        it("skips Keycloak's role and database when Keycloak is not deployed: the script's part for it runs only with KEYCLOAK_USER set", async () => {
            // Every statement that uses Keycloak's variables sits inside `\if :{?kc_user}` ... `\endif` (psql: "is it set").
            const lines = DB_SETUP_SQL.split("\n");
            const open = lines.indexOf("\\if :{?kc_user}");
            const close = lines.indexOf("\\endif", open);
            expect(open, "\\if :{?kc_user}").to.be.greaterThan(-1);
            expect(close).to.be.greaterThan(open);
            const usesKeycloak = (l: string) => /:['"]?kc_/.test(l);
            expect(lines.filter((l, i) => usesKeycloak(l) && (i < open || i > close))).to.deep.equal([]);
            expect(lines.slice(open, close).filter(usesKeycloak)).to.have.length(3);
            // The Job sets them only with Keycloak; without it there is no Keycloak database Secret either.
            const off = await database(config({ keycloak: { enabled: false, external: { issuerUrl: "https://id.example.com/realms/pulse" } } }));
            const env = inputs(setupJob(off.resources)).spec.template.spec.containers[0].env.map((e: { name: string }) => e.name);
            expect(env).to.include("APP_USER");
            expect(env.filter((n: string) => n.startsWith("KEYCLOAK_"))).to.deep.equal([]);
            expect(ofType(off.resources, SECRET).map((r) => inputs(r).metadata.name)).not.to.include("pulse-keycloak-db");
            expect(ofType((await database(config())).resources, SECRET).map((r) => inputs(r).metadata.name)).to.include("pulse-keycloak-db");
            expect(off.credentials.keycloakDatabase).to.equal(undefined);
        });

        it("migrations and Keycloak wait for it; an external database gets no setup Job", async () => {
            const { resources } = await build(config());
            const job = setupJob(resources);
            const migrator = ofType(resources, "kubernetes:batch/v1:Job").find((r) => r.name === "pulse-migrator-job-run")!;
            expect(migrator.dependencies).to.include(job.urn);
            const keycloak = one(resources, "kubernetes:apps/v1:Deployment", "pulse-keycloak-workload-deployment");
            expect(keycloak.dependencies).to.include(job.urn);
            const ext = await database(config(external), { dbPassword: pulumi.secret("x"), keycloakDbPassword: pulumi.secret("y") });
            expect(setupJob(ext.resources)).to.equal(undefined);
        });
    });

    describe("password rotation (in-cluster)", () => {
        const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
        const setupJob = (rs: RecordedResource[]) => ofType(rs, "kubernetes:batch/v1:Job").find((r) => r.name === "pulse-database-setup-run")!;
        const revisionOf = (r: RecordedResource): string | undefined => {
            const annotations = inputs(r).spec.template.metadata.annotations;
            return annotations?.[CREDENTIALS_ANNOTATION] ?? annotations?.[SECRETS_ANNOTATION];
        };
        const deployments = (rs: RecordedResource[]) => Object.fromEntries(ofType(rs, DEPLOYMENT).map((d) => [d.name, revisionOf(d)]));
        const passwords = { postgresPassword: "admin-one", dbPassword: "app-one", keycloakDbPassword: "kc-one" };
        const secretsOf = (p: typeof passwords) => ({
            postgresPassword: pulumi.secret(p.postgresPassword),
            dbPassword: pulumi.secret(p.dbPassword),
            keycloakDbPassword: pulumi.secret(p.keycloakDbPassword),
        });
        /** The setup Job is the database's: the database alone. */
        const setupWith = (p: typeof passwords) => database(config(), secretsOf(p));

        it("the setup sets the app role's password from the Secret, like Keycloak's", async () => {
            expect(DB_SETUP_SQL).to.match(/ALTER ROLE :"app_user" WITH LOGIN PASSWORD :'app_password';/);
            expect(DB_SETUP_SQL).to.match(/ALTER ROLE :"kc_user" WITH LOGIN PASSWORD :'kc_password';/);
            const { resources } = await setupWith(passwords);
            const env = inputs(setupJob(resources)).spec.template.spec.containers[0].env as { name: string; valueFrom?: unknown }[];
            expect(env.find((e) => e.name === "APP_PASSWORD")?.valueFrom).to.deep.equal({ secretKeyRef: { name: "pulse-db-secret", key: "password" } });
        });

        it("a changed pulse:dbPassword re-runs the setup and rolls exactly the pods that log in with it", async () => {
            // Every variable that carries the password: PG_PASS, and the URLs built with it.
            const carrying = Object.keys(SECRET_ENV).filter((v) => SECRET_ENV[v].secret === "database");
            const { rolled, readers, rerun } = await rolledBy("dbPassword", carrying, ["app-one", "app-two"]);
            expect(readers.length).to.be.greaterThan(0);
            expect(rolled).to.deep.equal(readers);
            expect(rerun).to.deep.equal(["pulse-database-setup-run"]);
            // Same Job name (the trigger is the script and the roles): the changed pod template replaces it, re-running it.
            const before = await setupWith(passwords);
            const after = await setupWith({ ...passwords, dbPassword: "app-two" });
            expect(inputs(setupJob(after.resources)).metadata.name).to.equal(inputs(setupJob(before.resources)).metadata.name);
        });

        it("any other changed secret rolls exactly the services that read it (the Secrets are updated in place)", async () => {
            const { rolled, readers, rerun } = await rolledBy("mqttInternalAuthSecret", "MQTT_INTERNAL_AUTH_SECRET", ["auth-one", "auth-two"]);
            expect(readers.length).to.be.greaterThan(0);
            expect(rolled).to.deep.equal(readers);
            expect(rerun).to.deep.equal([]);
        });

        it("a changed pulse:keycloakDbPassword re-runs the setup and rolls Keycloak only", async () => {
            const { rolled, readers, rerun } = await rolledBy("keycloakDbPassword", [], ["kc-one", "kc-two"]);
            expect([rolled, readers, rerun]).to.deep.equal([["pulse-keycloak-workload-deployment"], [], ["pulse-database-setup-run"]]);
        });

        it("the pods roll only after the setup ran: every revised Deployment waits for the setup Job", async () => {
            const { resources } = await build(config(), secretsOf(passwords));
            const job = setupJob(resources);
            const byUrn = new Map(resources.map((r) => [r.urn, r]));
            const reaches = (from: RecordedResource, to: string, seen = new Set<string>()): boolean =>
                from.dependencies.includes(to) ||
                from.dependencies.some((u) => !seen.has(u) && (seen.add(u), byUrn.has(u)) && reaches(byUrn.get(u)!, to, seen));
            const revised = ofType(resources, DEPLOYMENT).filter((d) => revisionOf(d) !== undefined);
            expect(revised.length).to.be.greaterThan(1);
            for (const d of revised) expect(reaches(d, job.urn), d.name).to.equal(true);
        });

        it("the revision is keyed: it holds neither a password nor its plain hash", async () => {
            const { resources } = await setupWith(passwords);
            const revision = revisionOf(setupJob(resources))!;
            const plain = (v: string) => createHash("sha256").update(JSON.stringify(v)).digest("hex");
            for (const p of Object.values(passwords)) {
                expect(revision).not.to.include(plain(p).slice(0, 16));
                expect(revision).not.to.include(p);
            }
            // Keyed by the revision key, not by the admin password: changing that (by hand first: docs/operations.md) re-runs nothing.
            const admin = await setupWith({ ...passwords, postgresPassword: "admin-two" });
            expect(revisionOf(setupJob(admin.resources))).to.equal(revision);
        });

        it("Secrets managed outside Pulumi: nothing to revise; an external database: no setup Job, and its password still rolls its clients", async () => {
            const outside = await build(config({ secrets: { external: true } }));
            expect(Object.values(deployments(outside.resources)).filter((r) => r !== undefined)).to.deep.equal([]);
            const managed = (pw: string) => build(config(external), { dbPassword: pulumi.secret(pw), keycloakDbPassword: pulumi.secret("y") });
            const [before, after] = [await managed("x"), await managed("x2")];
            expect(setupJob(after.resources)).to.equal(undefined);
            const [was, is] = [deployments(before.resources), deployments(after.resources)];
            const connecting = SERVICE_NAMES.filter(connectsToDatabase);
            expect(
                Object.keys(is)
                    .filter((d) => is[d] !== was[d])
                    .sort(),
            ).to.deep.equal(connecting.map((s) => `pulse-services-${componentOf(s)}-deployment`).sort());
        });
    });

    describe("secrets managed outside Pulumi", () => {
        it("creates no Secret and no password, and the chart still reads the Secret by name", async () => {
            const { resources, platform } = await build(config({ secrets: { external: true }, postgresql: { auth: { existingSecret: "vault-db" } } }));
            expect(ofType(resources, SECRET)).to.have.length(0);
            expect(dbPasswords(resources)).to.have.length(0);
            const [release] = pgRelease(resources);
            expect(inputs(release).values.auth.existingSecret).to.equal("vault-db");
            expect(platform.database.connection.secretName).to.equal("vault-db");
        });
    });

    it("databaseUrl encodes user, password and database", () => {
        const url = databaseUrl({ host: "h", port: 5432, database: "d b", username: "u@x", secretName: "s", inCluster: true }, "p w");
        expect(url).to.equal("postgresql://u%40x:p%20w@h:5432/d%20b");
    });
});
