import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { expect } from "chai";
import * as YAML from "yaml";
import { BACKUP_CLAIM, BACKUP_DIR, DB_BACKUP_SH, postgresqlValues } from "../components/database";
import { POSTGRESQL_BACKUP, POSTGRESQL_PORT, POSTGRESQL_RELEASE } from "../lib/contracts";
import { build, buildComponent, config, inputs, ofType, one, plainRules, releases, stackConfig, stackProblems } from "./helpers";
import { reaches } from "./reachability";

const run = promisify(execFile);
const withBackup = (backup: Record<string, unknown> = {}) => config({ postgresql: { backup: { enabled: true, ...backup } } });
const backupOf = (c: ReturnType<typeof config>) =>
    postgresqlValues(c.postgresql, c.global, [c.postgresql.auth.database, c.keycloak.database.name], c.postgresql.auth.existingSecret).backup as Record<
        string,
        any
    >;
/** The labels the chart gives its backup pods (templates/backup/cronjob.yaml: the standard labels, component pg_dumpall). */
const BACKUP_POD = {
    "app.kubernetes.io/instance": POSTGRESQL_RELEASE,
    "app.kubernetes.io/name": "postgresql",
    "app.kubernetes.io/managed-by": "Helm",
    "app.kubernetes.io/component": POSTGRESQL_BACKUP.component,
};
const PRIMARY_POD = { ...BACKUP_POD, "app.kubernetes.io/component": "primary" };

describe("PostgreSQL backups (postgresql.backup)", () => {
    it("are off by default and in dev; on in prod", () => {
        expect(backupOf(config())).to.deep.equal({ enabled: false });
        expect(stackConfig("dev").postgresql.backup.enabled).to.equal(false);
        expect(stackConfig("prod").postgresql.backup.enabled).to.equal(true);
    });

    it("run the backup script through the chart's CronJob: both databases, the retention, never two at once, a volume kept on uninstall", () => {
        const b = backupOf(withBackup({ schedule: "30 1 * * *", keep: 3, size: "40Gi", storageClass: "fast" }));
        expect(b.enabled).to.equal(true);
        expect(b.cronjob.schedule).to.equal("30 1 * * *");
        expect(b.cronjob.concurrencyPolicy).to.equal("Forbid");
        expect(b.cronjob.command).to.deep.equal(["/bin/sh", "-c", DB_BACKUP_SH, "db-backup", "3", "iotcloud", "keycloak"]);
        // Always an existing claim (the chart's own would hold Helm's wait until the first backup binds it).
        expect(b.cronjob.storage).to.deep.equal({ enabled: true, existingClaim: BACKUP_CLAIM, mountPath: BACKUP_DIR });
        expect(b.cronjob.resources.requests).to.have.keys("cpu", "memory", "ephemeral-storage");
        expect(b.cronjob.resources.limits).to.have.property("ephemeral-storage");
        // The program's policies admit the backup pods; the chart's would allow egress to 5432 anywhere.
        expect(b.cronjob.networkPolicy).to.deep.equal({ enabled: false });
        expect(backupOf(withBackup({ existingClaim: "my-backups" })).cronjob.storage.existingClaim).to.equal("my-backups");
    });

    it("the program creates the backups' claim, unawaited, before the release, kept on destroy; none with an existing claim", async () => {
        const { resources } = await buildComponent("database", withBackup({ size: "40Gi", storageClass: "fast" }));
        const claim = one(resources, "kubernetes:core/v1:PersistentVolumeClaim");
        const c = inputs(claim);
        expect(c.metadata.name).to.equal(BACKUP_CLAIM);
        expect(c.metadata.annotations).to.deep.equal({ "pulumi.com/skipAwait": "true" });
        expect(c.spec).to.deep.equal({ accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "40Gi" } }, storageClassName: "fast" });
        expect(claim.retainOnDelete).to.equal(true);
        expect(claim.protect).to.equal(true);
        expect(releases(resources, POSTGRESQL_RELEASE)[0].dependencies).to.include(claim.urn);
        const existing = await build(withBackup({ existingClaim: "my-backups" }));
        expect(ofType(existing.resources, "kubernetes:core/v1:PersistentVolumeClaim")).to.deep.equal([]);
        expect(ofType((await build(config())).resources, "kubernetes:core/v1:PersistentVolumeClaim")).to.deep.equal([]);
    });

    it("the NetworkPolicies let the backup pods reach PostgreSQL's port and nothing else", () => {
        const rules = plainRules(withBackup());
        expect(reaches(rules, { pod: BACKUP_POD }, { pod: PRIMARY_POD }, POSTGRESQL_PORT)).to.equal(true);
        expect(reaches(rules, { pod: BACKUP_POD }, { pod: PRIMARY_POD }, 8008)).to.equal(false);
        expect(reaches(rules, { pod: BACKUP_POD }, { pod: { "app.kubernetes.io/name": "pulse-ui", "app.kubernetes.io/instance": "pulse" } }, 8080)).to.equal(
            false,
        );
        expect(reaches(rules, { pod: BACKUP_POD }, { ip: "198.51.100.7" }, 443)).to.equal(false);
    });

    it("rejects a bad schedule, retention or claim, naming the key", () => {
        const problems = (backup: Record<string, unknown>) => stackProblems({ postgresql: { backup: { enabled: true, ...backup } } });
        expect(problems({ schedule: "daily" })[0]).to.match(/^pulse:postgresql\.backup\.schedule: must be a cron schedule/);
        expect(problems({ schedule: "CRON_TZ=UTC 0 2 * * *" })[0]).to.match(/^pulse:postgresql\.backup\.schedule:/);
        expect(problems({ schedule: "0 2 * *" })[0]).to.match(/^pulse:postgresql\.backup\.schedule:/);
        expect(problems({ keep: 0 })[0]).to.match(/^pulse:postgresql\.backup\.keep: must be an integer >= 1/);
        expect(problems({ existingClaim: "Not_A_Name" })[0]).to.match(/^pulse:postgresql\.backup\.existingClaim:/);
        expect(problems({ schedule: "99 99 * * *" })[0]).to.match(/^pulse:postgresql\.backup\.schedule: .*end of range \(99\) above maximum \(59\)/);
        expect(problems({ schedule: "a b c d e" })[0]).to.match(/^pulse:postgresql\.backup\.schedule: .*failed to parse int from a/);
        expect(problems({ schedule: "0 2 * 13 *" })[0]).to.match(/end of range \(13\) above maximum \(12\)/);
        expect(problems({ schedule: "0 2 * * 7" })[0]).to.match(/end of range \(7\) above maximum \(6\)/);
        expect(problems({ schedule: "*/0 2 * * *" })[0]).to.match(/step of range should be a positive number/);
        expect(problems({ schedule: "0 2 ? * SUN" })).to.deep.equal([]);
        expect(problems({ schedule: "0,30 1-5/2 1 JAN-MAR mon" })).to.deep.equal([]);
        expect(problems({ schedule: "@daily" })).to.deep.equal([]);
        expect(problems({ schedule: "*/15 1-5 * * MON-FRI" })).to.deep.equal([]);
    });

    it("the restore pod of docs/operations.md mounts the backups, reaches PostgreSQL by policy and meets Pod Security 'restricted'", () => {
        const pod = YAML.parse(fs.readFileSync(path.join(__dirname, "..", "docs", "db-restore-pod.yaml"), "utf8"));
        const labels = pod.metadata.labels as Record<string, string>;
        const rules = plainRules(withBackup());
        expect(reaches(rules, { pod: labels }, { pod: PRIMARY_POD }, POSTGRESQL_PORT)).to.equal(true);
        const c = config();
        const [container] = pod.spec.containers;
        expect(container.image).to.equal(`${c.postgresql.image.registry}/${c.postgresql.image.repository}:${c.postgresql.image.tag}`);
        expect(pod.spec.volumes.find((v: { name: string }) => v.name === "backups").persistentVolumeClaim.claimName).to.equal(BACKUP_CLAIM);
        expect(container.volumeMounts.find((m: { name: string }) => m.name === "backups").mountPath).to.equal(BACKUP_DIR);
        const password = container.env.find((e: { name: string }) => e.name === "PGPASSWORD").valueFrom.secretKeyRef;
        expect(password).to.deep.equal({ name: c.postgresql.auth.existingSecret, key: "postgres-password" });
        expect(pod.spec.securityContext).to.include({ runAsNonRoot: true });
        expect(pod.spec.securityContext.seccompProfile).to.deep.equal({ type: "RuntimeDefault" });
        expect(container.securityContext).to.deep.include({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    });

    it("the backup script holds no Helm template delimiters (the real chart renders the command through tpl)", () => {
        expect(DB_BACKUP_SH).not.to.include("{{");
    });

    describe("the backup script (assets/db-backup.sh) with stand-in pg_dump, pg_dumpall and date", () => {
        let dir: string;
        let dumps: string;
        /** Stand-ins that write what they were asked to, and fail on demand. */
        const stub = (name: string, body: string) => fs.writeFileSync(path.join(dir, "bin", name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
        beforeEach(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-backup-"));
            dumps = path.join(dir, "pgdump");
            fs.mkdirSync(path.join(dir, "bin"));
            fs.mkdirSync(dumps);
            stub("date", 'echo "$FAKE_NOW"');
            stub("pg_dumpall", 'for a; do case "$a" in --file=*) echo "roles" > "${a#--file=}";; esac; done');
            stub("pg_dump", 'for a; do case "$a" in --file=*) f="${a#--file=}";; esac; done; [ "$a" != "$FAKE_FAIL_DB" ] || exit 1; echo "$a" > "$f"');
        });
        afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
        const backup = (now: string, keep: number, env: Record<string, string> = {}) =>
            run("sh", ["-c", DB_BACKUP_SH, "db-backup", String(keep), "iotcloud", "keycloak"], {
                env: { PATH: `${path.join(dir, "bin")}:${process.env.PATH}`, PGDUMP_DIR: dumps, FAKE_NOW: now, FAKE_FAIL_DB: "", ...env },
            });
        const listed = () => fs.readdirSync(dumps).sort();

        it("writes the roles and each database into one directory named after its time", async () => {
            await backup("20261201T020000Z", 7);
            expect(listed()).to.deep.equal(["20261201T020000Z"]);
            expect(fs.readdirSync(path.join(dumps, "20261201T020000Z")).sort()).to.deep.equal(["globals.sql", "iotcloud.dump", "keycloak.dump"]);
            expect(fs.readFileSync(path.join(dumps, "20261201T020000Z", "keycloak.dump"), "utf8").trim()).to.equal("keycloak");
        });

        it("keeps the newest `keep` backups and nothing else it did not write", async () => {
            fs.writeFileSync(path.join(dumps, "README"), "an operator's note");
            for (const day of ["01", "02", "03", "04"]) await backup(`202612${day}T020000Z`, 2);
            expect(listed()).to.deep.equal(["20261203T020000Z", "20261204T020000Z", "README"]);
        });

        it("a failed backup fails the Job, deletes no older backup and leaves no directory that looks complete", async () => {
            await backup("20261201T020000Z", 1);
            const failure = await backup("20261202T020000Z", 1, { FAKE_FAIL_DB: "keycloak" }).then(
                () => undefined,
                (e: Error) => e,
            );
            expect(failure, "the script exits non-zero").to.be.instanceOf(Error);
            expect(listed()).to.deep.equal([".partial-20261202T020000Z", "20261201T020000Z"]);
            await backup("20261203T020000Z", 1);
            expect(listed(), "the next run clears the partial one").to.deep.equal(["20261203T020000Z"]);
        });
    });
});
