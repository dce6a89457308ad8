import { expect } from "chai";
import { jobName } from "../components/awaitedJob";
import { globalsOf } from "../components/globals";
import { migratorTrigger } from "../components/migrator";
import { PulseConfig } from "../config";
import { natsInitFiles, streamConfig } from "../components/natsInit";
import { RecordedResource } from "../tools/mocks";
import { build, buildComponent, config, inputs, ofType, releases } from "./helpers";

const JOB = "kubernetes:batch/v1:Job";
const job = (rs: RecordedResource[], name: string) => ofType(rs, JOB).find((r) => r.name === name)!;
/** The migrator's trigger for a config. */
const migratorTriggerOf = (c: PulseConfig) => migratorTrigger(c.migrator, globalsOf(c));

describe("hook Jobs", () => {
    describe("migrator", () => {
        it("runs the migrator image with DATABASE_URL from pulse-db-secret, restricted, bounded, token-less", async () => {
            const { resources } = await buildComponent("migrator", config({ appVersion: "1.4.0" }));
            const j = inputs(job(resources, "pulse-migrator-job-run"));
            // Named after its trigger: an interrupted up adopts the running Job instead of starting a second one.
            expect(j.metadata.name).to.equal(jobName("migrator", migratorTriggerOf(config({ appVersion: "1.4.0" }))));
            expect(j.metadata.name).to.match(/^pulse-migrator-[0-9a-f]{10}$/);
            expect(j.spec).to.deep.include({ backoffLimit: 2, activeDeadlineSeconds: 900 });
            const pod = j.spec.template.spec;
            expect(pod).to.deep.include({ restartPolicy: "Never", automountServiceAccountToken: false, serviceAccountName: "pulse-migrator" });
            const c = pod.containers[0];
            expect(c.image).to.equal("pulse/db-migrator:1.4.0");
            expect(c.env).to.deep.equal([{ name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: "pulse-db-secret", key: "url" } } }]);
            expect(c.securityContext).to.deep.include({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true });
            expect(c.resources.requests).to.have.keys("cpu", "memory", "ephemeral-storage");
            expect(pod.securityContext.seccompProfile).to.deep.equal({ type: "RuntimeDefault" });
        });

        it("is retried on the next up after a failure, and awaited longer than its deadline", async () => {
            const { resources } = await buildComponent(
                "migrator",
                config({ migrator: { activeDeadlineSeconds: 1800, timeoutSeconds: 2400, backoffLimit: 1 } }),
            );
            const r = job(resources, "pulse-migrator-job-run");
            expect(inputs(r).metadata.annotations).to.include({ "pulumi.com/replaceUnready": "true" });
            expect(inputs(r).spec).to.deep.include({ backoffLimit: 1, activeDeadlineSeconds: 1800 });
            expect(r.customTimeouts).to.deep.include({ create: "2400s", update: "2400s" });
        });

        it("re-runs when the migrator image or the app version changes, and only then", async () => {
            // A new name is a new Job: Pulumi replaces it, creating the new one before deleting the old.
            const trigger = async (c: ReturnType<typeof config>) =>
                inputs(job((await buildComponent("migrator", c)).resources, "pulse-migrator-job-run")).metadata.name;
            const base = await trigger(config());
            expect(base).to.equal(jobName("migrator", migratorTriggerOf(config())));
            expect(await trigger(config({ appVersion: "1.0.1" }))).not.to.equal(base);
            expect(await trigger(config({ migrator: { image: { tag: "1.0.0-hotfix" } } }))).not.to.equal(base);
            // Unrelated changes leave the trigger alone.
            expect(await trigger(config({ routeDelivery: { replicaCount: 5 }, ingest: { env: { BATCH_SIZE: "5" } } }))).to.equal(base);
            expect(await trigger(config({ migrator: { backoffLimit: 4 } }))).to.equal(base);
        });

        it("starts only after the database release and its Secret", async () => {
            const { resources } = await build(config());
            const deps = job(resources, "pulse-migrator-job-run").dependencies;
            const release = releases(resources, "pulse-postgresql")[0];
            const secret = ofType(resources, "kubernetes:core/v1:Secret").find((r) => inputs(r).metadata.name === "pulse-db-secret")!;
            expect(deps).to.include.members([release.urn, secret.urn]);
        });
    });

    describe("nats-init", () => {
        it("runs nats-box over the streams ConfigMap against the platform's NATS URL", async () => {
            const { resources } = await buildComponent("natsInit", config());
            const j = inputs(job(resources, "pulse-nats-init-job-run"));
            const c = j.spec.template.spec.containers[0];
            expect(c.image).to.equal("docker.io/natsio/nats-box:0.16.0");
            expect(c.command).to.deep.equal(["sh", "/etc/nats-init/init.sh"]);
            expect(c.env).to.deep.include({ name: "NATS_URL", value: "nats://pulse-nats:4222" });
            expect(j.spec.activeDeadlineSeconds).to.equal(300);
            expect(j.metadata.annotations["pulumi.com/replaceUnready"]).to.equal("true");
            const cm = inputs(ofType(resources, "kubernetes:core/v1:ConfigMap").find((r) => inputs(r).metadata.name === "pulse-nats-init")!);
            expect(Object.keys(cm.data).sort()).to.deep.equal([
                "consumer.COMMANDS.ingest-commands.json",
                "consumer.ROUTES.route-delivery.json",
                "consumer.SHADOW.ingest-shadow.json",
                "consumer.TELEMETRY.ingest-workers.json",
                "init.sh",
                "stream.COMMANDS.json",
                "stream.ROUTES.json",
                "stream.SHADOW.json",
                "stream.TELEMETRY.json",
            ]);
            expect(JSON.parse(cm.data["consumer.TELEMETRY.ingest-workers.json"])).to.deep.equal({
                durable_name: "ingest-workers",
                ack_policy: "explicit",
                ack_wait: 30e9,
                max_deliver: 3,
                max_ack_pending: 1000,
                deliver_policy: "all",
                replay_policy: "instant",
            });
            expect(JSON.parse(cm.data["stream.TELEMETRY.json"])).to.deep.include({ max_msgs_per_subject: 100000, duplicate_window: 120e9, max_bytes: 2 ** 30 });
        });

        it("writes each stream as a JetStream StreamConfig", () => {
            const s = config({
                nats: { jetstream: { memoryStore: { maxSize: "1Gi" } }, resources: { limits: { memory: "2Gi" } } },
                natsInit: {
                    streams: [{ name: "EVENTS", subjects: ["events.>", "alerts.*"], storage: "memory", maxAge: "7d", maxBytes: "1Gi", replicas: 1 }],
                    consumers: [],
                },
            }).natsInit.streams[0];
            expect(streamConfig(s)).to.deep.include({
                name: "EVENTS",
                subjects: ["events.>", "alerts.*"],
                storage: "memory",
                retention: "limits",
                max_age: 7 * 86400 * 1e9,
                max_bytes: 2 ** 30,
                num_replicas: 1,
            });
        });

        it("re-runs when a stream changes, and not otherwise", async () => {
            const trigger = async (c: ReturnType<typeof config>) =>
                inputs(job((await buildComponent("natsInit", c)).resources, "pulse-nats-init-job-run")).metadata.name;
            const base = await trigger(config());
            const changed = config({ natsInit: { streams: [{ name: "TELEMETRY", subjects: ["telemetry.>"], maxAge: "24h" }], consumers: [] } });
            expect(natsInitFiles(changed.natsInit.streams)).not.to.deep.equal(natsInitFiles(config().natsInit.streams));
            expect(await trigger(changed)).not.to.equal(base);
            expect(await trigger(config({ routeDelivery: { replicaCount: 3 } }))).to.equal(base);
        });

        it("starts only after the NATS release", async () => {
            const { resources } = await build(config());
            const release = releases(resources, "pulse-nats")[0];
            expect(job(resources, "pulse-nats-init-job-run").dependencies).to.include(release.urn);
        });
    });
});
