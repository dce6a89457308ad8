/**
 * A few requests to the cluster without a client library: the stuck-release check (lib/releaseRecovery.ts) lists, and
 * rarely rewrites or deletes, Helm's storage Secrets, on the path between the namespace and every Release of every
 * `up`. `@kubernetes/client-node` costs ~0.8 s of CPU to load (some 900 generated modules), on the thread that also
 * registers the program's resources; this module does those requests with Node's https and the kubeconfig as the
 * provider reads it (client-go's rules).
 *
 * What it understands, by the provider's rules (pulumi-kubernetes' parseKubeconfigString, client-go's clientcmd and
 * exec authenticator): `kubernetes:kubeconfig` (a path, `~` expanded, if a file is there, else the contents; paths in
 * it relative to the working directory), `kubernetes:context` and `kubernetes:cluster`; else `KUBECONFIG` (files
 * merged, the first to name a cluster, user or context wins; paths relative to their file), else ~/.kube/config, else
 * the pod's service account. Servers over https (a CA or `insecure-skip-tls-verify`, `tls-server-name`, a path
 * prefix) or http; users with a token or token file, basic auth, client certificates (files or data), or, when they
 * have none of those, an exec credential plugin (EKS, GKE, AKS, kubelogin). An auth-provider, a `proxy-url` or
 * impersonation is `Unsupported`, with the reason: the caller then uses the client library, which handles those. A
 * proxy in the environment is used by neither (nor was it by the library): behind one, the check warns. No error
 * message carries a kubeconfig's contents or a plugin's arguments: they end in the update's log.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";

/** Where the cluster is, how to trust it and who we are. */
export interface ClusterAccess {
    readonly server: URL;
    readonly tls: {
        readonly ca?: Buffer;
        readonly cert?: Buffer | string;
        readonly key?: Buffer | string;
        readonly rejectUnauthorized: boolean;
        readonly servername?: string;
    };
    readonly headers: Readonly<Record<string, string>>;
}

/** The stack's provider settings (config/load.ts providerKubeconfig). */
export interface KubeconfigSource {
    readonly kubeconfig?: string;
    readonly context?: string;
    /** `kubernetes:cluster`: the kubeconfig cluster to use instead of the context's. */
    readonly cluster?: string;
}

/** What access depends on outside the source: the environment and the files it names (tests pass their own). */
export interface AccessEnvironment {
    readonly env: NodeJS.ProcessEnv;
    readonly home: string;
    readonly readFile: (file: string) => Buffer;
    readonly exists: (file: string) => boolean;
    /** Runs an exec credential plugin: its standard output. */
    readonly run: (command: string, args: readonly string[], env: NodeJS.ProcessEnv) => Promise<string>;
}

export const PROCESS_ENVIRONMENT: AccessEnvironment = {
    env: process.env,
    home: os.homedir(),
    readFile: (file) => fs.readFileSync(file),
    exists: (file) => fs.existsSync(file),
    run: (command, args, env) =>
        new Promise((resolve, reject) => {
            const child = execFile(command, [...args], { env, timeout: PLUGIN_TIMEOUT_MS, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
                if (!error) return resolve(stdout);
                // Never Node's message: it repeats the arguments, which may hold a secret.
                const code = (error as { code?: unknown }).code;
                const why = error.killed
                    ? `gave no answer in ${PLUGIN_TIMEOUT_MS / 1000} s`
                    : code === "ENOENT"
                      ? "was not found"
                      : `failed (exit ${typeof code === "number" ? code : "?"})`;
                reject(new Error(`the exec credential plugin ${path.basename(command)} ${why}${stderr.trim() ? `: ${stderr.trim()}` : ""}`));
            });
            // Not interactive: the plugin reads end-of-input at once, as under client-go.
            child.stdin?.end();
        }),
};

const PLUGIN_TIMEOUT_MS = 60_000;

/** A kubeconfig feature this module does not handle; the message says which. */
export class Unsupported extends Error {}

const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

type Entry = Record<string, unknown> & { readonly baseDir: string };
interface Merged {
    currentContext?: string;
    readonly clusters: Map<string, Entry>;
    readonly users: Map<string, Entry>;
    readonly contexts: Map<string, Entry>;
}

/** One kubeconfig document merged into `into`: what an earlier one named is kept (client-go's merge). */
function mergeDocument(into: Merged, text: string, baseDir: string, where: string): void {
    let doc: unknown;
    try {
        doc = parse(text) ?? {};
    } catch {
        doc = undefined; // the parser's message quotes the text
    }
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new Error(`${where} is not a kubeconfig (YAML or JSON)`);
    const add = (list: unknown, key: string, map: Map<string, Entry>) => {
        for (const item of Array.isArray(list) ? list : []) {
            const { name, [key]: body } = (item ?? {}) as Record<string, unknown>;
            if (typeof name === "string" && !map.has(name)) map.set(name, { ...((body ?? {}) as Record<string, unknown>), baseDir });
        }
    };
    const d = doc as Record<string, unknown>;
    add(d.clusters, "cluster", into.clusters);
    add(d.users, "user", into.users);
    add(d.contexts, "context", into.contexts);
    const current = str(d["current-context"]);
    if (!into.currentContext && current !== undefined) into.currentContext = current;
}

/**
 * `kubernetes:kubeconfig` as the provider reads it (parseKubeconfigString): `~` or `~/...` expanded; a file if one is
 * there, else the kubeconfig itself. `where` names it in messages, never by its contents.
 */
export function providerKubeconfigText(value: string, e: AccessEnvironment = PROCESS_ENVIRONMENT): { text: string; where: string } {
    const file = value === "~" ? e.home : value.startsWith("~/") ? path.join(e.home, value.slice(2)) : value;
    return e.exists(file) ? { text: e.readFile(file).toString("utf8"), where: file } : { text: value, where: "kubernetes:kubeconfig" };
}

/** The kubeconfig documents the provider would read, merged; undefined when there is none (in-cluster then). */
function loadMerged(source: KubeconfigSource, e: AccessEnvironment): Merged | undefined {
    const merged: Merged = { clusters: new Map(), users: new Map(), contexts: new Map() };
    const fromFile = (file: string) => mergeDocument(merged, e.readFile(file).toString("utf8"), path.dirname(path.resolve(file)), file);
    if (source.kubeconfig) {
        // Loaded as contents, paths unresolved: relative to the working directory, as for the provider.
        const { text, where } = providerKubeconfigText(source.kubeconfig, e);
        mergeDocument(merged, text, process.cwd(), where);
        return merged;
    }
    const files = (e.env.KUBECONFIG ?? "").split(path.delimiter).filter((f) => f !== "");
    const existing = files.length > 0 ? files.filter((f) => e.exists(f)) : [path.join(e.home, ".kube", "config")].filter((f) => e.exists(f));
    if (existing.length === 0) return undefined;
    existing.forEach(fromFile);
    return merged;
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const fileOf = (entry: Entry, key: string) => {
    const f = str(entry[key]);
    return f === undefined ? undefined : path.resolve(entry.baseDir, f);
};
/** A `<key>-data` (base64) or `<key>` (a file) value. */
function dataOrFile(entry: Entry, key: string, e: AccessEnvironment): Buffer | undefined {
    const data = str(entry[`${key}-data`]);
    if (data !== undefined) return Buffer.from(data, "base64");
    const file = fileOf(entry, key);
    return file === undefined ? undefined : e.readFile(file);
}

/** A client.authentication.k8s.io ExecCredential's status from the plugin a user names. */
async function execCredential(exec: Entry, cluster: Entry, server: string, e: AccessEnvironment) {
    const command = str(exec.command);
    if (command === undefined) throw new Error("the user's exec plugin names no command");
    const apiVersion = str(exec.apiVersion);
    if (apiVersion === undefined) throw new Error(`the exec credential plugin ${path.basename(command)} has no apiVersion`);
    if (exec.interactiveMode === "Always") throw new Error(`the exec credential plugin ${path.basename(command)} needs a terminal (interactiveMode: Always)`);
    const spec: Record<string, unknown> = { interactive: false };
    if (exec.provideClusterInfo === true) {
        const ca = dataOrFile(cluster, "certificate-authority", e);
        spec.cluster = {
            server,
            ...(ca ? { "certificate-authority-data": ca.toString("base64") } : {}),
            ...(cluster["insecure-skip-tls-verify"] === true ? { "insecure-skip-tls-verify": true } : {}),
            ...(str(cluster["tls-server-name"]) ? { "tls-server-name": cluster["tls-server-name"] } : {}),
        };
    }
    const extra = Object.fromEntries(
        (Array.isArray(exec.env) ? exec.env : []).map((v: { name?: unknown; value?: unknown }) => [str(v.name) ?? "", str(v.value) ?? ""]),
    );
    // A command with a path separator is relative to its kubeconfig's folder; a bare name is looked up on PATH.
    const resolved = command.includes("/") || command.includes(path.sep) ? path.resolve(exec.baseDir, command) : command;
    const args = Array.isArray(exec.args) ? exec.args.map(String) : [];
    const hint = str(exec.installHint);
    const out = await e
        .run(resolved, args, { ...e.env, ...extra, KUBERNETES_EXEC_INFO: JSON.stringify({ apiVersion, kind: "ExecCredential", spec }) })
        .catch((x: Error) => Promise.reject(new Error(hint ? `${x.message} (${hint.trim()})` : x.message)));
    let status: Record<string, unknown> = {};
    try {
        status = ((JSON.parse(out) as { status?: unknown }).status ?? {}) as Record<string, unknown>;
    } catch {
        // JSON.parse's message quotes the output, a credential
    }
    const credential = { token: str(status.token), cert: str(status.clientCertificateData), key: str(status.clientKeyData) };
    if (credential.token === undefined && (credential.cert === undefined || credential.key === undefined))
        throw new Error(`the exec credential plugin ${path.basename(command)} printed no ExecCredential with a token or a certificate and key`);
    return credential;
}

/**
 * How to reach the cluster the provider deploys to. Throws `Unsupported` for a kubeconfig this module does not handle
 * (the caller falls back to the client library) and Error for one that is wrong (no such context, no cluster).
 */
export async function clusterAccess(source: KubeconfigSource, e: AccessEnvironment = PROCESS_ENVIRONMENT): Promise<ClusterAccess> {
    const merged = loadMerged(source, e);
    if (merged === undefined) return inCluster(e);
    const contextName = source.context ?? merged.currentContext;
    if (contextName === undefined) throw new Error("the kubeconfig sets no current-context and kubernetes:context is not set");
    const context = merged.contexts.get(contextName);
    if (context === undefined) throw new Error(`the kubeconfig has no context "${contextName}"`);
    const [clusterName, userName] = [source.cluster ?? str(context.cluster) ?? "", str(context.user) ?? ""];
    const cluster = merged.clusters.get(clusterName);
    const serverUrl = cluster && str(cluster.server);
    if (cluster === undefined || serverUrl === undefined) throw new Error(`context "${contextName}": its cluster "${clusterName}" has no server`);
    const user = merged.users.get(userName) ?? { baseDir: process.cwd() };
    if (str(cluster["proxy-url"])) throw new Unsupported(`cluster "${clusterName}" has a proxy-url`);
    if (user["auth-provider"] !== undefined) throw new Unsupported(`user "${userName}" has an auth-provider`);
    const impersonation = ["as", "as-uid", "as-groups", "as-user-extra"].find((k) => user[k] !== undefined);
    if (impersonation !== undefined) throw new Unsupported(`user "${userName}" impersonates (${impersonation})`);

    const ca = dataOrFile(cluster, "certificate-authority", e);
    const insecure = cluster["insecure-skip-tls-verify"] === true;
    if (insecure && ca !== undefined)
        throw new Error(`cluster "${clusterName}" sets both a certificate authority and insecure-skip-tls-verify, which client-go refuses`);
    const server = new URL(serverUrl);
    let cert: Buffer | string | undefined = dataOrFile(user, "client-certificate", e);
    let key: Buffer | string | undefined = dataOrFile(user, "client-key", e);
    let token = str(user.token);
    const tokenFile = fileOf(user, "tokenFile");
    if (token === undefined && tokenFile !== undefined) token = e.readFile(tokenFile).toString("utf8").trim();
    const username = str(user.username);
    // client-go runs the plugin only for a user with no token, basic auth or client certificate of its own.
    if (user.exec !== undefined && user.exec !== null && token === undefined && username === undefined && cert === undefined) {
        ({ token, cert, key } = await execCredential({ ...(user.exec as Record<string, unknown>), baseDir: user.baseDir }, cluster, server.href, e));
    }
    const headers: Record<string, string> = {};
    if (token !== undefined) headers.Authorization = `Bearer ${token}`;
    else if (username !== undefined) headers.Authorization = `Basic ${Buffer.from(`${username}:${str(user.password) ?? ""}`).toString("base64")}`;
    return {
        server,
        tls: {
            ca,
            ...(cert !== undefined && key !== undefined ? { cert, key } : {}),
            rejectUnauthorized: !insecure,
            ...(str(cluster["tls-server-name"]) ? { servername: str(cluster["tls-server-name"]) } : {}),
        },
        headers,
    };
}

/** The pod's service account, as client-go's in-cluster config. */
function inCluster(e: AccessEnvironment): ClusterAccess {
    const host = e.env.KUBERNETES_SERVICE_HOST;
    const port = e.env.KUBERNETES_SERVICE_PORT;
    if (!host || !port) throw new Error("no kubeconfig (kubernetes:kubeconfig, KUBECONFIG, ~/.kube/config) and not in a pod");
    const token = e.readFile(path.join(SERVICE_ACCOUNT_DIR, "token")).toString("utf8").trim();
    return {
        server: new URL(`https://${host.includes(":") ? `[${host}]` : host}:${port}`),
        tls: { ca: e.readFile(path.join(SERVICE_ACCOUNT_DIR, "ca.crt")), rejectUnauthorized: true },
        headers: { Authorization: `Bearer ${token}` },
    };
}

/** A request's failure: the API server's status code and its message. */
export class KubeRequestError extends Error {
    constructor(
        readonly status: number,
        message: string,
    ) {
        super(message);
    }
}

/** One request to the API server; the response's JSON. Fails with the server's own message (a Status) and its code. */
export function kubeRequest(access: ClusterAccess, method: string, apiPath: string, body?: unknown, timeoutMs = 30_000): Promise<unknown> {
    // A server address may carry a path (a proxy such as Rancher's /k8s/clusters/<id>): the API is below it.
    const url = new URL(access.server.pathname.replace(/\/+$/, "") + apiPath, access.server);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), "utf8");
    const headers = {
        ...access.headers,
        Accept: "application/json",
        ...(payload ? { "Content-Type": "application/json", "Content-Length": String(payload.length) } : {}),
    };
    const send = url.protocol === "http:" ? http.request : https.request;
    return new Promise((resolve, reject) => {
        const req = send(url, { method, headers, ...(url.protocol === "https:" ? access.tls : {}), timeout: timeoutMs }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("error", reject);
            res.on("end", () => {
                const text = Buffer.concat(chunks).toString("utf8");
                let json: unknown;
                try {
                    json = text === "" ? {} : JSON.parse(text);
                } catch {
                    json = undefined;
                }
                const status = res.statusCode ?? 0;
                if (status >= 200 && status < 300 && json !== undefined) return resolve(json);
                const message = (json as { message?: unknown } | undefined)?.message;
                reject(new KubeRequestError(status, `${method} ${url.pathname}: ${status} ${typeof message === "string" ? message : text.slice(0, 200)}`));
            });
        });
        req.on("timeout", () => req.destroy(new Error(`${method} ${url.pathname}: no answer in ${timeoutMs / 1000} s`)));
        req.on("error", reject);
        req.end(payload);
    });
}
