/**
 * A Kubernetes control plane on loopback for the integration test: etcd, kube-apiserver (PodSecurity admission on, as
 * by default) and kube-controller-manager, built by scripts/toolchain.sh. There is no kubelet: pods are admitted and
 * stay Pending; the Job controller is off, so the test decides when a Job completes. TLS material and the
 * service-account key are generated with openssl for every run.
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as net from "net";
import * as path from "path";

export interface Cluster {
    readonly kubeconfig: string;
    readonly server: string;
    readonly dir: string;
    stop(): Promise<void>;
}

/** A free TCP port on loopback. */
async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.unref();
        srv.on("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const port = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(port));
        });
    });
}

function openssl(cwd: string, ...args: string[]): void {
    execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/** CA, API server serving certificate (127.0.0.1, localhost), an admin client certificate, the service-account key. */
function generatePki(dir: string): void {
    fs.writeFileSync(
        path.join(dir, "server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n",
    );
    fs.writeFileSync(path.join(dir, "client.ext"), "extendedKeyUsage=clientAuth\n");
    openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=pulse-it-ca");
    const sign = (name: string, subject: string, ext: string) => {
        openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject);
        openssl(dir, "x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.crt`, "-days", "1", "-extfile", ext);
    };
    sign("server", "/CN=kube-apiserver", "server.ext");
    sign("admin", "/O=system:masters/CN=pulse-it-admin", "client.ext");
    openssl(dir, "genrsa", "-out", "sa.key", "2048");
    openssl(dir, "rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub");
}

function kubeconfigYaml(dir: string, server: string): string {
    const b64 = (f: string) => fs.readFileSync(path.join(dir, f)).toString("base64");
    return [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: pulse-it",
        "  cluster:",
        `    server: ${server}`,
        `    certificate-authority-data: ${b64("ca.crt")}`,
        "users:",
        "- name: admin",
        "  user:",
        `    client-certificate-data: ${b64("admin.crt")}`,
        `    client-key-data: ${b64("admin.key")}`,
        "contexts:",
        "- name: pulse-it",
        "  context: {cluster: pulse-it, user: admin}",
        "current-context: pulse-it",
        "",
    ].join("\n");
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>, logs: () => string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        try {
            if (await check()) return;
        } catch {
            // not up yet
        }
        if (Date.now() > deadline) throw new Error(`${what} did not become ready in ${timeoutMs / 1000} s\n${logs()}`);
        await new Promise((r) => setTimeout(r, 250));
    }
}

/** Starts the control plane from the binaries in `bin`; everything lives under `dir`. */
export async function startCluster(bin: string, dir: string): Promise<Cluster> {
    fs.mkdirSync(dir, { recursive: true });
    const pki = path.join(dir, "pki");
    fs.mkdirSync(pki, { recursive: true });
    generatePki(pki);
    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    const server = `https://127.0.0.1:${apiPort}`;
    const kubeconfig = path.join(dir, "kubeconfig");
    fs.writeFileSync(kubeconfig, kubeconfigYaml(pki, server), { mode: 0o600 });

    const procs: { name: string; child: ChildProcess; log: string }[] = [];
    const start = (name: string, args: string[]) => {
        const log = path.join(dir, `${name}.log`);
        const out = fs.openSync(log, "w");
        const child = spawn(path.join(bin, name), args, { stdio: ["ignore", out, out] });
        fs.closeSync(out);
        procs.push({ name, child, log });
    };
    const tail = () =>
        procs
            .map((p) => `--- ${p.name} (exit ${p.child.exitCode ?? "running"}) ---\n${fs.readFileSync(p.log, "utf8").split("\n").slice(-15).join("\n")}`)
            .join("\n");
    const stop = async () => {
        for (const p of [...procs].reverse()) {
            if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
            const exited = new Promise((r) => p.child.once("exit", r));
            p.child.kill("SIGTERM");
            await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
            if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
        }
    };

    try {
        start("etcd", [
            "--data-dir", path.join(dir, "etcd"),
            "--listen-client-urls", `http://127.0.0.1:${etcdClient}`,
            "--advertise-client-urls", `http://127.0.0.1:${etcdClient}`,
            "--listen-peer-urls", `http://127.0.0.1:${etcdPeer}`,
            "--initial-advertise-peer-urls", `http://127.0.0.1:${etcdPeer}`,
            "--initial-cluster", `default=http://127.0.0.1:${etcdPeer}`,
            "--unsafe-no-fsync",
        ]);
        await waitFor("etcd", 30_000, async () => (await fetch(`http://127.0.0.1:${etcdClient}/health`)).ok, tail);

        start("kube-apiserver", [
            "--etcd-servers", `http://127.0.0.1:${etcdClient}`,
            "--bind-address", "127.0.0.1",
            "--advertise-address", "127.0.0.1",
            "--secure-port", String(apiPort),
            "--tls-cert-file", path.join(pki, "server.crt"),
            "--tls-private-key-file", path.join(pki, "server.key"),
            "--client-ca-file", path.join(pki, "ca.crt"),
            "--service-account-issuer", "https://kubernetes.default.svc",
            "--service-account-key-file", path.join(pki, "sa.pub"),
            "--service-account-signing-key-file", path.join(pki, "sa.key"),
            "--service-cluster-ip-range", "10.96.0.0/16",
            "--authorization-mode", "RBAC",
            // PodSecurity is in the default admission chain; named here so the test's premise is explicit.
            "--enable-admission-plugins", "PodSecurity",
        ]);
        await waitFor(
            "kube-apiserver",
            90_000,
            async () => (await readyz(server, pki)) === 200,
            tail,
        );

        start("kube-controller-manager", [
            "--kubeconfig", kubeconfig,
            "--authentication-kubeconfig", kubeconfig,
            "--authorization-kubeconfig", kubeconfig,
            "--leader-elect=false",
            "--secure-port", String(await freePort()),
            "--bind-address", "127.0.0.1",
            "--service-account-private-key-file", path.join(pki, "sa.key"),
            "--root-ca-file", path.join(pki, "ca.crt"),
            // No kubelet runs a Job's pods: the test completes Jobs itself through the status subresource.
            "--controllers", "*,-job-controller,-cronjob-controller,-ttl-after-finished-controller",
        ]);
    } catch (e) {
        await stop();
        throw e;
    }
    return { kubeconfig, server, dir, stop };
}

/** GET /readyz with the admin certificate (Node's fetch cannot present a client certificate). */
function readyz(server: string, pki: string): Promise<number> {
    return new Promise((resolve, reject) => {
        const req = https.get(
            `${server}/readyz`,
            {
                ca: fs.readFileSync(path.join(pki, "ca.crt")),
                cert: fs.readFileSync(path.join(pki, "admin.crt")),
                key: fs.readFileSync(path.join(pki, "admin.key")),
            },
            (res) => {
                res.resume();
                resolve(res.statusCode ?? 0);
            },
        );
        req.on("error", reject);
        req.setTimeout(2000, () => req.destroy(new Error("timeout")));
    });
}
