/** What the suite watches in the cluster and the processes around it, beside the Pulumi engine's own events. */
import * as fs from "fs";
import * as zlib from "zlib";
import * as k8s from "@kubernetes/client-node";
import { objectsOf } from "../chart-inventory";
import { procStat } from "./proc";

/** Watches Deployments and records, per Deployment, the lowest `readyReplicas - spec.replicas` seen. */
export class ReadinessWatch {
    readonly lowest = new Map<string, { shortfall: number; at: string }>();
    readonly errors: string[] = [];
    private request?: { abort(): void };

    constructor(
        private readonly kc: k8s.KubeConfig,
        private readonly namespace: string,
    ) {}

    async start(): Promise<void> {
        const watch = new k8s.Watch(this.kc);
        this.request = await watch.watch(
            `/apis/apps/v1/namespaces/${this.namespace}/deployments`,
            {},
            (_type: string, d: k8s.V1Deployment) => {
                const name = d.metadata!.name!;
                const shortfall = (d.status?.readyReplicas ?? 0) - (d.spec?.replicas ?? 0);
                const seen = this.lowest.get(name);
                if (!seen || shortfall < seen.shortfall) {
                    this.lowest.set(name, { shortfall, at: `generation ${d.metadata?.generation}, ${d.status?.readyReplicas ?? 0}/${d.spec?.replicas} ready` });
                }
            },
            (err: unknown) => {
                const text = err instanceof Error ? err.message : JSON.stringify(err);
                if (err && !text.includes("aborted")) this.errors.push(text);
            },
        );
    }

    stop(): void {
        this.request?.abort();
    }
}

/** Plays an ingress controller that publishes an address for every Ingress of its class (as ingress-nginx does). */
export class IngressStatusPublisher {
    private timer?: NodeJS.Timeout;
    private stopped = false;
    readonly errors: string[] = [];

    constructor(
        private readonly kc: k8s.KubeConfig,
        private readonly className: string,
        private readonly address = "192.0.2.80",
    ) {}

    start(): void {
        const api = this.kc.makeApiClient(k8s.NetworkingV1Api);
        const tick = async () => {
            try {
                for (const ing of (await api.listIngressForAllNamespaces()).items) {
                    if (ing.spec?.ingressClassName !== this.className || ing.status?.loadBalancer?.ingress?.length) continue;
                    ing.status = { loadBalancer: { ingress: [{ ip: this.address }] } };
                    await api.replaceNamespacedIngressStatus({ name: ing.metadata!.name!, namespace: ing.metadata!.namespace!, body: ing });
                }
            } catch (e) {
                const body = (e as { body?: unknown }).body;
                const msg = typeof body === "string" ? body : e instanceof Error ? e.message : JSON.stringify(body ?? e);
                if (!/NotFound|not found|Conflict/.test(msg)) this.errors.push(msg);
            }
            if (!this.stopped) this.timer = setTimeout(() => void tick(), 250);
        };
        void tick();
    }

    stop(): void {
        this.stopped = true;
        if (this.timer) clearTimeout(this.timer);
    }
}

/** The `Kind/name` objects an installed Helm release holds (its latest revision's manifest, from Helm's storage). */
export async function releaseObjects(kc: k8s.KubeConfig, namespace: string, release: string): Promise<string[]> {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const secrets = (await core.listNamespacedSecret({ namespace, labelSelector: `owner=helm,name=${release}` })).items;
    const latest = secrets.sort((a, b) => Number(b.metadata!.labels!.version) - Number(a.metadata!.labels!.version))[0];
    if (!latest) throw new Error(`no Helm release ${release} in ${namespace}`);
    // Helm stores base64(gzip(JSON)), and the Secret's data is base64 again.
    const record = Buffer.from(Buffer.from(latest.data!.release, "base64").toString(), "base64");
    const { manifest } = JSON.parse(zlib.gunzipSync(record).toString()) as { manifest: string };
    return objectsOf(manifest);
}

/** PIDs of a process's descendants (Linux /proc). */
export function descendants(pid: number): number[] {
    const children = new Map<number, number[]>();
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const ppid = Number(procStat(Number(entry))[1]);
            children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
        } catch {
            // exited meanwhile
        }
    }
    const out: number[] = [];
    const visit = (p: number) => {
        for (const c of children.get(p) ?? []) {
            out.push(c);
            visit(c);
        }
    };
    visit(pid);
    return out;
}

/** The executable name of a process. */
export function commandOf(pid: number): string {
    try {
        return fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    } catch {
        return "";
    }
}
