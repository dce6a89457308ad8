import { expect } from "chai";
import { RELEASE_KEYS, RELEASES } from "../config";
import { chartRelease } from "../lib/helm";
import {
    decodeRelease,
    encodeRelease,
    markedFailed,
    planProblems,
    planRecovery,
    recoveredBeforeDeploy,
    RecoveryPlan,
    RecoveryTarget,
    StoredRevision,
    STORAGE_SECRET_TYPE,
    storageSecretName,
    useRecoverer,
} from "../lib/releaseRecovery";
import { HELM_RELEASE_TYPE } from "../tools/graph";
import { createPlatform } from "../components/platform";
import { record, RecordedResource, registeredSoFar, resolve } from "../tools/mocks";
import { build, config, configProblems, inputs, ofType } from "./helpers";

const TARGET: RecoveryTarget = { release: "pulse-postgresql", namespace: "pulse", stuckAfterSeconds: 900 };
const NOW = new Date("2026-12-02T08:00:00Z");
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000);

/** A revision's storage Secret as Helm writes it. */
function revision(version: number, status: string, ageSeconds = 3600, over: Partial<StoredRevision> = {}): StoredRevision {
    return {
        kind: "Secret",
        name: storageSecretName(TARGET.release, version),
        type: STORAGE_SECRET_TYPE,
        uid: `uid-${version}`,
        resourceVersion: `${100 + version}`,
        labels: { owner: "helm", name: TARGET.release, status, version: String(version), modifiedAt: "1" },
        annotations: {},
        createdAt: ago(ageSeconds),
        ...over,
    };
}

describe("stuck Helm releases: what is recovered (lib/releaseRecovery)", () => {
    it("an interrupted upgrade older than helm.stuckAfterSeconds: its pending revision is marked failed, the upgrade runs from the last deployed one", () => {
        const plan = planRecovery(TARGET, [revision(1, "superseded"), revision(2, "deployed"), revision(3, "pending-upgrade", 901)], NOW);
        expect(plan.action).to.equal("mark-failed");
        const p = plan as Extract<RecoveryPlan, { action: "mark-failed" }>;
        expect(p.revision.name).to.equal("sh.helm.release.v1.pulse-postgresql.v3");
        expect(p.lastDeployed).to.equal(2);
        expect(p.message).to.match(
            /pulse\/pulse-postgresql: revision 3 is pending-upgrade since .* \(901 s\).*marked it failed.*from revision 2, the last deployed/,
        );
        expect(planProblems(TARGET, plan)).to.deep.equal([]);
    });

    it("an interrupted first install older than the age: its one pending record is removed, nothing else", () => {
        const plan = planRecovery(TARGET, [revision(1, "pending-install", 1000)], NOW);
        expect(plan.action).to.equal("remove-record");
        expect((plan as Extract<RecoveryPlan, { action: "remove-record" }>).revision.name).to.equal("sh.helm.release.v1.pulse-postgresql.v1");
        expect(planProblems(TARGET, plan)).to.deep.equal([]);
    });

    it("a pending revision younger than the age is left alone and refused with when it will be recovered", () => {
        for (const revisions of [[revision(1, "pending-install", 899)], [revision(1, "deployed"), revision(2, "pending-upgrade", 10)]]) {
            const plan = planRecovery(TARGET, revisions, NOW);
            expect(plan.action).to.equal("refuse");
            expect((plan as { message: string }).message).to.match(
                /younger than helm\.stuckAfterSeconds \(900 s\): its install or upgrade may still run\. Run pulumi up again from 20/,
            );
        }
    });

    it("a deployed, failed or absent release, and other releases' records, change nothing", () => {
        expect(planRecovery(TARGET, [], NOW)).to.deep.equal({ action: "none" });
        expect(planRecovery(TARGET, [revision(1, "superseded"), revision(2, "deployed")], NOW)).to.deep.equal({ action: "none" });
        expect(planRecovery(TARGET, [revision(1, "deployed"), revision(2, "failed")], NOW)).to.deep.equal({ action: "none" });
        const other = revision(9, "pending-upgrade", 5000, { labels: { owner: "helm", name: "pulse-nats", status: "pending-upgrade", version: "9" } });
        expect(planRecovery(TARGET, [revision(1, "deployed"), other], NOW)).to.deep.equal({ action: "none" });
    });

    it("a pending rollback, or a pending install over earlier history, is left to an operator", () => {
        expect(planRecovery(TARGET, [revision(1, "deployed"), revision(2, "pending-rollback", 5000)], NOW).action).to.equal("refuse");
        expect(planRecovery(TARGET, [revision(1, "uninstalled"), revision(2, "pending-install", 5000)], NOW).action).to.equal("refuse");
    });

    it("the safety check refuses any write but to this release's pending storage Secret: never a claim, a kept object or a deployed revision (the check can fail)", () => {
        const pending = revision(3, "pending-upgrade", 5000);
        const mark = (r: StoredRevision): RecoveryPlan => ({ action: "mark-failed", revision: r, message: "" });
        const remove = (r: StoredRevision): RecoveryPlan => ({ action: "remove-record", revision: r, message: "" });
        const claim: StoredRevision = { ...revision(1, "pending-install", 5000), kind: "PersistentVolumeClaim", name: "data-pulse-postgresql-0", type: "" };
        const bad: [string, RecoveryPlan, RegExp][] = [
            ["a PVC", remove(claim), /PersistentVolumeClaim data-pulse-postgresql-0 is not a Secret/],
            ["a kept object", mark({ ...pending, annotations: { "helm.sh/resource-policy": "keep" } }), /helm\.sh\/resource-policy: keep/],
            ["a deployed revision", mark(revision(2, "deployed")), /is deployed, not pending-upgrade/],
            ["a pending install marked failed", mark(revision(1, "pending-install", 5000)), /not pending-upgrade/],
            ["an Opaque Secret", mark({ ...pending, type: "Opaque" }), /not Helm's storage/],
            [
                "another release's record",
                remove({ ...revision(1, "pending-install", 5000), labels: { owner: "helm", name: "pulse-emqx", status: "pending-install", version: "1" } }),
                /not labelled as release pulse-postgresql/,
            ],
            ["a Secret named otherwise", mark({ ...pending, name: "pulse-db-secret" }), /not named as revision 3/],
        ];
        for (const [what, plan, problem] of bad) expect(planProblems(TARGET, plan).join("\n"), what).to.match(problem);
        expect(planProblems(TARGET, mark(pending))).to.deep.equal([]);
    });

    it("Helm's record encoding round-trips, and marking failed changes only the status and its description", () => {
        const release = {
            name: "pulse-postgresql",
            version: 3,
            namespace: "pulse",
            info: { status: "pending-upgrade", first_deployed: "x" },
            manifest: "---\n",
        };
        const stored = encodeRelease(release);
        expect(Buffer.from(stored, "base64").subarray(0, 2)).to.deep.equal(Buffer.from([0x1f, 0x8b]));
        expect(decodeRelease(stored)).to.deep.equal(release);
        // Helm reads (and older Helm wrote) records that are not gzipped.
        expect(decodeRelease(Buffer.from(JSON.stringify(release)).toString("base64"))).to.deep.equal(release);
        expect(markedFailed(release, "why")).to.deep.equal({ ...release, info: { status: "failed", first_deployed: "x", description: "why" } });
    });
});

describe("stuck Helm releases: wiring (each Release waits for its check)", () => {
    it("the platform checks every release with its name, namespace and helm.stuckAfterSeconds; the values reach the Release unchanged", async () => {
        const cfg = config({ namespace: "iot", helm: { stuckAfterSeconds: 1800 } });
        const { recoveryChecks } = await record(() => createPlatform(cfg, {}));
        const names = RELEASE_KEYS.map((k) => RELEASES[k].releaseName);
        expect(recoveryChecks.map((c) => c.release).sort()).to.deep.equal([...names].sort());
        for (const c of recoveryChecks) expect(c).to.include({ namespace: "iot", stuckAfterSeconds: 1800 });
        const on = await build(cfg);
        const off = await build(config({ namespace: "iot", helm: { recoverStuckReleases: false } }));
        for (const name of names) {
            const values = (rs: RecordedResource[]) => inputs(ofType(rs, HELM_RELEASE_TYPE).find((r) => inputs(r).name === name)!).values;
            expect(values(on.resources), name).to.deep.equal(values(off.resources));
        }
    });

    it("helm.recoverStuckReleases false: the platform checks no release", async () => {
        const { recoveryChecks } = await record(() => createPlatform(config({ helm: { recoverStuckReleases: false } }), {}));
        expect(recoveryChecks).to.deep.equal([]);
    });

    it("a Release is registered only after its check has finished (a slow check holds it back)", async () => {
        const seen: Record<string, string[]> = {};
        const previous = useRecoverer(async (t) => {
            await new Promise((r) => setTimeout(r, 50));
            seen[t.release] = registeredSoFar()
                .filter((r) => r.type === HELM_RELEASE_TYPE)
                .map((r) => inputs(r).name as string);
            return { action: "none" };
        });
        try {
            const { resources } = await record(() => chartReleases(config()));
            expect(Object.keys(seen).sort()).to.deep.equal(RELEASE_KEYS.map((k) => RELEASES[k].releaseName).sort());
            for (const [release, registered] of Object.entries(seen)) expect(registered, `${release} when its check finished`).not.to.include(release);
            expect(ofType(resources, HELM_RELEASE_TYPE)).to.have.length(RELEASE_KEYS.length);
        } finally {
            useRecoverer(previous);
        }
    });

    it("the check is prepared as the program is evaluated, before the namespace it waits for exists", async () => {
        const events: string[] = [];
        const check = Object.assign(
            (t: RecoveryTarget) => {
                events.push(`check ${t.release}`);
                return Promise.resolve<RecoveryPlan>({ action: "none" });
            },
            { prepare: () => events.push("prepare") },
        );
        const previous = useRecoverer(check);
        try {
            let namespace!: (ns: string) => void;
            const checked = recoveredBeforeDeploy("pulse-nats", new Promise<string>((r) => (namespace = r)), 900);
            expect(events, "before the namespace resolves").to.deep.equal(["prepare"]);
            namespace("pulse");
            expect(await resolve(checked)).to.equal("not pending");
            expect(events).to.deep.equal(["prepare", "check pulse-nats"]);
        } finally {
            useRecoverer(previous);
        }
    });

    it("a pending revision that is not recovered (an error fails the up), or a check that cannot run (a warning), is reported, never thrown", async () => {
        const refused = "Helm release pulse/pulse-nats: revision 2 is pending-upgrade since ..., younger than helm.stuckAfterSeconds";
        for (const [recoverer, outcome] of [
            [() => Promise.resolve<RecoveryPlan>({ action: "refuse", message: refused }), "refused"],
            [() => Promise.reject(new Error("forbidden")), "check failed"],
            [() => Promise.resolve<RecoveryPlan>({ action: "none" }), "not pending"],
        ] as const) {
            const previous = useRecoverer(recoverer);
            try {
                expect(await resolve(recoveredBeforeDeploy("pulse-nats", "pulse", 900))).to.equal(outcome);
            } finally {
                useRecoverer(previous);
            }
        }
    });
});

describe("stuck Helm releases: config (pulse:helm)", () => {
    it("is on by default, 900 s, above every chart's default timeout (600 s)", () => {
        expect(config().helm).to.deep.equal({ recoverStuckReleases: true, stuckAfterSeconds: 900 });
        expect(configProblems({})).to.deep.equal([]);
    });

    it("refuses an age at or below a chart's timeout, naming both keys; not when recovery is off", () => {
        const problems = configProblems({ helm: { stuckAfterSeconds: 600 } });
        expect(problems).to.have.length(RELEASE_KEYS.length);
        expect(problems.join("\n")).to.match(/helm\.stuckAfterSeconds.*must exceed postgresql\.chart\.timeoutSeconds \(600\)/);
        const timeouts = (postgresql: number) => ({
            ...Object.fromEntries(RELEASE_KEYS.map((k) => [k, { chart: { timeoutSeconds: 60 } }])),
            postgresql: { chart: { timeoutSeconds: postgresql } },
        });
        expect(configProblems({ helm: { stuckAfterSeconds: 120 }, ...timeouts(120) }).join("\n")).to.match(
            /helm\.stuckAfterSeconds.*must exceed postgresql\.chart\.timeoutSeconds \(120\)/,
        );
        expect(configProblems({ helm: { stuckAfterSeconds: 61 }, ...timeouts(60) })).to.deep.equal([]);
        expect(configProblems({ helm: { recoverStuckReleases: false, stuckAfterSeconds: 100 } })).to.deep.equal([]);
    });

    it("refuses a bad switch or age, naming the key", () => {
        for (const [helm, problem] of [
            [{ recoverStuckReleases: "yes" }, /helm\.recoverStuckReleases.*must be true or false/],
            [{ stuckAfterSeconds: 60 }, /helm\.stuckAfterSeconds.*must be an integer >= 61/],
            [{ stuckAfterSeconds: 900.5 }, /helm\.stuckAfterSeconds.*must be an integer >= 61/],
            [{ stuckAfterSeconds: "15m" }, /helm\.stuckAfterSeconds.*must be an integer >= 61/],
            [{ lockTimeout: 3 }, /helm.*lockTimeout/],
        ] as const) {
            expect(configProblems({ helm } as never).join("\n"), JSON.stringify(helm)).to.match(problem);
        }
    });
});

/** Only the releases: the chart components' Releases built straight from the config, as the platform does. */
function chartReleases(cfg: ReturnType<typeof config>) {
    for (const key of RELEASE_KEYS) {
        const globals = { namespace: cfg.namespace, awaitReadiness: true, helm: cfg.helm };
        chartRelease(key, RELEASES[key].releaseName, { source: cfg[key].chart, values: {}, globals }, {});
    }
}
