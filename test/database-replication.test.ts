import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { postgresqlValues } from "../components/database";
import { POSTGRESQL_BACKUP, POSTGRESQL_RELEASE, postgresqlPrimary } from "../lib/contracts";
import { buildComponent, config, inputs, one, plainRules, releases, stackConfig, stackProblems } from "./helpers";
import { reaches } from "./reachability";

const replicated = (pg: Record<string, unknown> = {}) => config({ postgresql: { architecture: "replication", ...pg } });
const valuesOf = (c: ReturnType<typeof config>) =>
    postgresqlValues(c.postgresql, c.global, [c.postgresql.auth.database], c.postgresql.auth.existingSecret) as Record<string, any>;
/** The chart's server pods: the primary's and the replicas' labels (templates/primary, templates/read). */
const pod = (component: string) => ({
    "app.kubernetes.io/instance": POSTGRESQL_RELEASE,
    "app.kubernetes.io/name": "postgresql",
    "app.kubernetes.io/component": component,
});
describe("PostgreSQL replication (postgresql.architecture)", () => {
    it("is standalone by default and in both stacks: the primary keeps the release's name", () => {
        for (const c of [config(), stackConfig("dev"), stackConfig("prod")]) {
            expect(valuesOf(c).architecture).to.equal("standalone");
            expect(postgresqlPrimary(c.postgresql.architecture)).to.equal(POSTGRESQL_RELEASE);
        }
        expect(valuesOf(config()).readReplicas).to.deep.equal({ networkPolicy: { enabled: false } });
    });

    it("with replication: the chart's replicas, their volume like the primary's, the configured commit mode", () => {
        const v = valuesOf(replicated({ readReplicas: { replicaCount: 2 }, replication: { synchronousCommit: "on", numSynchronousReplicas: 1 } }));
        expect(v.architecture).to.equal("replication");
        expect(v.readReplicas.replicaCount).to.equal(2);
        expect(v.readReplicas.persistence).to.deep.equal(v.primary.persistence);
        expect(v.readReplicas.resources).to.deep.equal(v.primary.resources);
        expect(v.readReplicas.persistentVolumeClaimRetentionPolicy).to.deep.equal({ enabled: true, whenDeleted: "Retain", whenScaled: "Retain" });
        expect(v.readReplicas.networkPolicy).to.deep.equal({ enabled: false });
        expect(v.replication).to.deep.equal({ synchronousCommit: "on", numSynchronousReplicas: 1 });
    });

    it("Pulse, Keycloak, the setup Job and the backups use the primary's Service, pulse-postgresql-primary", async () => {
        const c = replicated({ backup: { enabled: true } });
        const { component, resources } = await buildComponent("database", c);
        expect(component.connection.host).to.equal(`${POSTGRESQL_RELEASE}-primary`);
        const secret = inputs(one(resources, "kubernetes:core/v1:Secret", "pulse-database-secret"));
        expect(secret.stringData.url).to.include(`@${POSTGRESQL_RELEASE}-primary:5432/`);
        const setup = inputs(one(resources, "kubernetes:batch/v1:Job", "pulse-database-setup-run")).spec.template.spec.containers[0];
        expect(setup.env.find((e: { name: string }) => e.name === "PGHOST").value).to.equal(`${POSTGRESQL_RELEASE}-primary`);
        expect(POSTGRESQL_BACKUP.cronJob(c.postgresql.architecture)).to.equal(`${POSTGRESQL_RELEASE}-primary-pgdumpall`);
    });

    it("a change of architecture replaces the release, so a protected database refuses it instead of moving Pulse to an empty primary", async () => {
        const { resources } = await buildComponent("database", config());
        const [release] = releases(resources, POSTGRESQL_RELEASE);
        expect(release.replaceOnChanges).to.deep.equal(["values.architecture"]);
        expect(release.protect).to.equal(true);
        expect(inputs(release).values.architecture).to.equal("standalone");
    });

    it("the database Secret carries the replicas' password (configured, or generated once), and only with replication", async () => {
        const configured = await buildComponent("database", replicated(), { postgresReplicationPassword: pulumi.secret("repl-pw") });
        expect(inputs(one(configured.resources, "kubernetes:core/v1:Secret", "pulse-database-secret")).stringData["replication-password"]).to.equal("repl-pw");
        const generated = await buildComponent("database", replicated());
        expect(generated.resources.map((r) => r.name)).to.include("pulse-database-replication-password");
        const standalone = await buildComponent("database", config());
        expect(inputs(one(standalone.resources, "kubernetes:core/v1:Secret", "pulse-database-secret")).stringData).not.to.have.property("replication-password");
        expect(standalone.resources.map((r) => r.name)).not.to.include("pulse-database-replication-password");
    });

    it("NetworkPolicies let the replicas stream from the primary (5432, both ways), and nothing else in", () => {
        const rules = plainRules(replicated());
        expect(reaches(rules, { pod: pod("read") }, { pod: pod("primary") }, 5432)).to.equal(true);
        expect(reaches(rules, { pod: pod("primary") }, { pod: pod("read") }, 5432)).to.equal(true);
        expect(reaches(rules, { pod: pod("read") }, { pod: pod("primary") }, 8008)).to.equal(false);
        const nats = { pod: { "app.kubernetes.io/name": "nats", "app.kubernetes.io/instance": "pulse-nats" } };
        expect(reaches(rules, nats, { pod: pod("read") }, 5432)).to.equal(false);
    });

    it("rejects a bad architecture, too many synchronous replicas, and a replication password it would not use, naming the key", () => {
        const problems = stackProblems;
        expect(problems({ postgresql: { architecture: "ha" } })[0]).to.match(/^pulse:postgresql\.architecture: must be standalone or replication/);
        expect(problems({ postgresql: { architecture: "replication", replication: { synchronousCommit: "on", numSynchronousReplicas: 2 } } })[0]).to.match(
            /^pulse:postgresql\.replication\.numSynchronousReplicas: must be at most readReplicas\.replicaCount \(1\)/,
        );
        expect(problems({ postgresql: { architecture: "replication", replication: { numSynchronousReplicas: 1 } } })[0]).to.match(
            /^pulse:postgresql\.replication\.synchronousCommit: is off, so the chart makes no replica synchronous/,
        );
        expect(problems({ postgresql: { architecture: "replication", replication: { synchronousCommit: "on", numSynchronousReplicas: 1 } } })).to.deep.equal(
            [],
        );
        expect(problems({ postgresql: { readReplicas: { replicaCount: 2 } } })[0]).to.match(
            /^pulse:postgresql\.architecture: is standalone, so readReplicas and replication would do nothing/,
        );
        const managed = { enabled: false };
        const external = { enabled: true, host: "db.example.com" };
        const secrets = { dbPassword: "x", keycloakDbPassword: "y" };
        const withExternal = (pg: Record<string, unknown>) =>
            problems({ postgresql: { ...managed, ...pg }, externalDatabase: external, ...secrets }, Object.keys(secrets));
        expect(withExternal({ architecture: "replication" })).to.have.length(1);
        expect(withExternal({ architecture: "replication" })[0]).to.match(
            /^pulse:postgresql\.architecture: is the in-cluster chart's; a managed database has its provider's replicas/,
        );
        expect(withExternal({ backup: { enabled: true } })[0]).to.match(/^pulse:postgresql\.backup\.enabled: backs up the in-cluster PostgreSQL/);
        expect(withExternal({})).to.deep.equal([]);
        expect(problems({ postgresReplicationPassword: "x" }, ["postgresReplicationPassword"])[0]).to.match(
            /^pulse:postgresReplicationPassword: is used only with postgresql\.architecture replication/,
        );
        expect(problems({ postgresql: { architecture: "replication" }, postgresReplicationPassword: "x" }, ["postgresReplicationPassword"])).to.deep.equal([]);
    });
});
