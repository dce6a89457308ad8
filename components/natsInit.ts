/**
 * The JetStream init Job: creates or updates the streams and durable consumers declared in `pulse:natsInit` with
 * nats-box, once NATS answers. They and the script travel in a ConfigMap; the Job re-runs when any (or the image) changes.
 */
import type { JobNetwork } from "../lib/network";
import * as fs from "fs";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parseQuantity, PulseConfig } from "../config";
import { checksum } from "../lib/checksum";
import { objectName, TYPES } from "../lib/contracts";
import { resolveImage } from "../lib/images";
import { standardLabels } from "../lib/labels";
import { AwaitedJob } from "./awaitedJob";
import { Globals } from "./globals";

const NATS_INIT_SCRIPT = fs.readFileSync(path.join(__dirname, "..", "assets", "nats-init.sh"), "utf8");
const MOUNT = "/etc/nats-init";
/** nats-box runs as root by default; any uid works with HOME on the writable /tmp. */
const NATS_BOX_UID = 10001;

type Stream = PulseConfig["natsInit"]["streams"][number];
type Consumer = PulseConfig["natsInit"]["consumers"][number];

const SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
/** A config duration ("0", "90s", "2m", "1h", "7d") in nanoseconds, as JetStream's JSON configs take durations. */
const nanoseconds = (d: string) => (d === "0" ? 0 : Number(d.slice(0, -1)) * SECONDS[d.slice(-1)] * 1e9);

/** A JetStream StreamConfig, as `nats stream add|edit --config` reads it. */
export function streamConfig(s: Stream): Record<string, unknown> {
    return {
        name: s.name,
        subjects: [...s.subjects],
        retention: s.retention,
        storage: s.storage,
        num_replicas: s.replicas,
        discard: s.discard,
        max_age: nanoseconds(s.maxAge),
        max_bytes: s.maxBytes === -1 ? -1 : parseQuantity(s.maxBytes),
        max_msgs: -1,
        max_msgs_per_subject: s.maxMsgsPerSubject,
        max_msg_size: -1,
        max_consumers: -1,
        duplicate_window: nanoseconds(s.duplicateWindow),
    };
}

/** A durable pull consumer's ConsumerConfig, as `nats consumer add|edit --config` reads it. */
function consumerConfig(c: Consumer): Record<string, unknown> {
    return {
        durable_name: c.name,
        ack_policy: "explicit",
        ack_wait: nanoseconds(c.ackWait),
        max_deliver: c.maxDeliver,
        max_ack_pending: c.maxAckPending,
        deliver_policy: "all",
        replay_policy: "instant",
    };
}

/** The ConfigMap's files: the script, `stream.<STREAM>.json` per stream, `consumer.<STREAM>.<NAME>.json` per consumer. */
export function natsInitFiles(streams: readonly Stream[], consumers: readonly Consumer[] = []): Record<string, string> {
    const files: Record<string, string> = { "init.sh": NATS_INIT_SCRIPT };
    const json = (v: unknown) => JSON.stringify(v, null, 2) + "\n";
    for (const s of streams) files[`stream.${s.name}.json`] = json(streamConfig(s));
    for (const c of consumers) files[`consumer.${c.stream}.${c.name}.json`] = json(consumerConfig(c));
    return files;
}

export interface NatsInitArgs {
    readonly globals: Globals;
    readonly natsInit: PulseConfig["natsInit"];
    readonly natsUrl: string;
    /** The NATS release, when in-cluster: the Job starts once it is up. */
    readonly after: readonly pulumi.Resource[];
}

/** The init creates the streams and consumers over NATS's client port only. */
export const NATS_INIT_NETWORK: JobNetwork = { component: "nats-init", talksTo: ["nats:client"] };

export class NatsInit extends pulumi.ComponentResource {
    readonly configMap: k8s.core.v1.ConfigMap;
    readonly job: AwaitedJob;
    /** What the Pulse workloads wait for: the Job, which `pulumi up` sees complete only once the streams exist. */
    readonly ready: pulumi.Resource;

    constructor(name: string, args: NatsInitArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPES.natsInit, name, {}, opts);
        const { globals, natsInit: n } = args;
        const files = natsInitFiles(n.streams, n.consumers);
        const image = resolveImage(n.image, globals, globals.appVersion);

        this.configMap = new k8s.core.v1.ConfigMap(
            `${name}-streams`,
            { metadata: { name: objectName("nats-init"), namespace: globals.namespace, labels: standardLabels({ component: "nats-init" }) }, data: files },
            { parent: this },
        );
        this.job = new AwaitedJob(
            `${name}-job`,
            {
                namespace: globals.namespace,
                component: NATS_INIT_NETWORK.component,
                image,
                imagePullSecrets: globals.imagePullSecrets,
                resources: n.resources,
                podSettings: n,
                command: ["sh", `${MOUNT}/init.sh`],
                env: [
                    { name: "NATS_URL", value: args.natsUrl },
                    { name: "STREAMS_DIR", value: MOUNT },
                    { name: "WAIT_SECONDS", value: String(n.waitSeconds) },
                    { name: "HOME", value: "/tmp" },
                ],
                readOnlyMounts: { streams: { configMapName: this.configMap.metadata.name, mountPath: MOUNT } },
                backoffLimit: n.backoffLimit,
                activeDeadlineSeconds: n.activeDeadlineSeconds,
                timeoutSeconds: n.timeoutSeconds,
                trigger: `${image.ref} streams=${checksum(files)} nats=${args.natsUrl}`,
                runAsUser: NATS_BOX_UID,
                after: args.after,
            },
            { parent: this },
        );
        this.ready = this.job.ready;
        this.registerOutputs({ configMap: this.configMap, job: this.job, ready: this.ready });
    }
}
