/**
 * The JetStream init Job: creates or updates the streams declared in `pulse:natsInit.streams` with nats-box, once NATS
 * answers. The streams and the script travel in a ConfigMap; the Job re-runs when either (or the image) changes.
 */
import * as fs from "fs";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parseQuantity, PulseConfig } from "../config";
import { checksum } from "../lib/checksum";
import { resolveImage } from "../lib/images";
import { standardLabels } from "../lib/labels";
import { AwaitedJob } from "./awaitedJob";

export const NATS_INIT_SCRIPT = fs.readFileSync(path.join(__dirname, "..", "assets", "nats-init.sh"), "utf8");
const MOUNT = "/etc/nats-init";
/** nats-box runs as root by default; any uid works with HOME on the writable /tmp. */
const NATS_BOX_UID = 10001;

type Stream = PulseConfig["natsInit"]["streams"][number];

const SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** A JetStream StreamConfig, as `nats stream add|edit --config` reads it. Durations in nanoseconds. */
export function streamConfig(s: Stream): Record<string, unknown> {
    const age = s.maxAge === "0" ? 0 : Number(s.maxAge.slice(0, -1)) * SECONDS[s.maxAge.slice(-1)];
    return {
        name: s.name,
        subjects: [...s.subjects],
        retention: s.retention,
        storage: s.storage,
        num_replicas: s.replicas,
        discard: s.discard,
        max_age: age * 1e9,
        max_bytes: s.maxBytes === -1 ? -1 : parseQuantity(s.maxBytes),
        max_msgs: -1,
        max_msgs_per_subject: -1,
        max_msg_size: -1,
        max_consumers: -1,
        duplicate_window: 120 * 1e9,
    };
}

/** The ConfigMap's files: the script and one `<STREAM>.json` per stream. */
export function natsInitFiles(streams: readonly Stream[]): Record<string, string> {
    const files: Record<string, string> = { "init.sh": NATS_INIT_SCRIPT };
    for (const s of streams) files[`${s.name}.json`] = JSON.stringify(streamConfig(s), null, 2) + "\n";
    return files;
}

export interface NatsInitArgs {
    readonly namespace: pulumi.Input<string>;
    readonly config: PulseConfig;
    readonly natsUrl: string;
    /** The NATS release, when in-cluster: the Job starts once it is up. */
    readonly after: readonly pulumi.Resource[];
}

export class NatsInit extends pulumi.ComponentResource {
    readonly configMap: k8s.core.v1.ConfigMap;
    readonly job: AwaitedJob;

    constructor(name: string, args: NatsInitArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pulse:natsInit:NatsInit", name, {}, opts);
        const { config } = args;
        const n = config.natsInit;
        const files = natsInitFiles(n.streams);
        const image = resolveImage(n.image, config.global, config.appVersion);

        this.configMap = new k8s.core.v1.ConfigMap(
            `${name}-streams`,
            { metadata: { name: "pulse-nats-init", namespace: args.namespace, labels: standardLabels({ component: "nats-init" }) }, data: files },
            { parent: this },
        );
        this.job = new AwaitedJob(
            `${name}-job`,
            {
                namespace: args.namespace,
                component: "nats-init",
                image,
                imagePullSecrets: config.global.imagePullSecrets,
                resources: n.resources,
                command: ["sh", `${MOUNT}/init.sh`],
                env: [
                    { name: "NATS_URL", value: args.natsUrl },
                    { name: "STREAMS_DIR", value: MOUNT },
                    { name: "WAIT_SECONDS", value: String(n.waitSeconds) },
                    { name: "HOME", value: "/tmp" },
                ],
                configMounts: { streams: { configMapName: this.configMap.metadata.name, mountPath: MOUNT } },
                backoffLimit: n.backoffLimit,
                activeDeadlineSeconds: n.activeDeadlineSeconds,
                timeoutSeconds: n.timeoutSeconds,
                trigger: `${image.ref} streams=${checksum(files)} nats=${args.natsUrl}`,
                runAsUser: NATS_BOX_UID,
                after: args.after,
            },
            { parent: this },
        );
        this.registerOutputs({});
    }
}
