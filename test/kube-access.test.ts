import { expect } from "chai";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import { AddressInfo } from "net";
import { TLSSocket } from "tls";
import * as path from "path";
import { stringify } from "yaml";
import { AccessEnvironment, ClusterAccess, clusterAccess, KubeRequestError, kubeRequest, PROCESS_ENVIRONMENT, Unsupported } from "../lib/kubeAccess";
import * as pulumi from "@pulumi/pulumi";
import { encodeRelease, recoverOnCluster, recoverWith, STORAGE_SECRET_TYPE, storageByRequests, storageSecretName } from "../lib/releaseRecovery";

const b64 = (s: string) => Buffer.from(s).toString("base64");

/** A kubeconfig with one context `ctx` of cluster `c` and user `u`. */
function kubeconfig(cluster: object, user: object, more: { currentContext?: string; name?: string } = {}): string {
    const name = more.name ?? "ctx";
    return stringify({
        apiVersion: "v1",
        kind: "Config",
        "current-context": more.currentContext ?? name,
        clusters: [{ name: `c-${name}`, cluster }],
        users: [{ name: `u-${name}`, user }],
        contexts: [{ name, context: { cluster: `c-${name}`, user: `u-${name}` } }],
    });
}

/** An environment of the given files and variables; `ran` records each plugin run. */
function environment(files: Record<string, string>, env: NodeJS.ProcessEnv = {}, plugin = "{}") {
    const ran: { command: string; args: readonly string[]; env: NodeJS.ProcessEnv }[] = [];
    const e: AccessEnvironment = {
        env,
        home: "/home/me",
        readFile: (f) => {
            if (!(f in files)) throw new Error(`ENOENT ${f}`);
            return Buffer.from(files[f]);
        },
        exists: (f) => f in files,
        run: (command, args, runEnv) => {
            ran.push({ command, args, env: runEnv });
            return Promise.resolve(plugin);
        },
    };
    return { e, ran };
}

/** How `p` failed; it fails the test if `p` resolves. */
const failure = (p: Promise<unknown>): Promise<Error> =>
    p.then(
        () => expect.fail("resolved"),
        (x: Error) => x,
    );

async function unsupported(p: Promise<unknown>): Promise<string> {
    const error = await failure(p);
    expect(error, "refused").to.be.instanceOf(Unsupported);
    return error.message;
}

describe("cluster access without the client library (lib/kubeAccess)", () => {
    it("a token user on an https server with a CA: the provider's kubernetes:kubeconfig contents, its current context", async () => {
        const { e } = environment({});
        const access = await clusterAccess(
            { kubeconfig: kubeconfig({ server: "https://api.example:6443", "certificate-authority-data": b64("CA") }, { token: "t0k" }) },
            e,
        );
        expect(access.server.href).to.equal("https://api.example:6443/");
        expect(access.headers).to.deep.equal({ Authorization: "Bearer t0k" });
        expect(access.tls.ca?.toString()).to.equal("CA");
        expect(access.tls.rejectUnauthorized).to.equal(true);
        expect(access.tls).to.not.have.property("cert");
    });

    it("KUBECONFIG's files: paths relative to their folder (client certificates, the CA, a token file); tls-server-name", async () => {
        const { e } = environment(
            {
                "/etc/kube/config": kubeconfig(
                    { server: "https://10.0.0.1", "certificate-authority": "pki/ca.crt", "tls-server-name": "kube" },
                    { "client-certificate": "pki/admin.crt", "client-key": "/abs/admin.key" },
                ),
                "/etc/kube/pki/ca.crt": "CA",
                "/etc/kube/pki/admin.crt": "CERT",
                "/abs/admin.key": "KEY",
            },
            { KUBECONFIG: "/etc/kube/config" },
        );
        const access = await clusterAccess({}, e);
        expect([access.tls.ca, access.tls.cert, access.tls.key].map(String)).to.deep.equal(["CA", "CERT", "KEY"]);
        expect(access.tls.rejectUnauthorized).to.equal(true);
        expect(access.tls.servername).to.equal("kube");
        expect(access.headers).to.deep.equal({});

        const withTokenFile = environment(
            { "/k/config": kubeconfig({ server: "http://h" }, { tokenFile: "tok" }), "/k/tok": "from-file\n" },
            { KUBECONFIG: "/k/config" },
        ).e;
        expect((await clusterAccess({}, withTokenFile)).headers.Authorization).to.equal("Bearer from-file");
    });

    it("kubernetes:kubeconfig as the provider reads it: a path (~ expanded) if a file is there, else the contents, paths in it from the working directory", async () => {
        const cfg = kubeconfig({ server: "https://k", "certificate-authority": "ca.crt" }, { token: "t" });
        const files = { "/home/me/kube.yaml": cfg, [path.resolve("ca.crt")]: "CWD-CA" };
        const byPath = await clusterAccess({ kubeconfig: "~/kube.yaml" }, environment(files).e);
        expect(String(byPath.tls.ca), "relative to the working directory").to.equal("CWD-CA");
        const oneLineJson = JSON.stringify({
            "current-context": "x",
            clusters: [{ name: "c", cluster: { server: "https://json" } }],
            users: [{ name: "u", user: { token: "SECRET-TOKEN" } }],
            contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
        });
        expect((await clusterAccess({ kubeconfig: oneLineJson }, environment({}).e)).server.host, "one line of JSON is contents").to.equal("json");
        const bad = await failure(clusterAccess({ kubeconfig: "{ token: SECRET-TOKEN, [" }, environment({}).e));
        expect(bad.message).to.contain("kubernetes:kubeconfig is not a kubeconfig").and.not.contain("SECRET-TOKEN");
        const unset = environment({ "/home/me/.kube/config": kubeconfig({ server: "https://home" }, {}) }).e;
        expect((await clusterAccess({ kubeconfig: "" }, unset)).server.host, "an empty value is unset").to.equal("home");
    });

    it("kubernetes:cluster replaces the context's cluster; insecure-skip-tls-verify alone turns verification off, with a CA it is refused", async () => {
        const two = stringify({
            "current-context": "x",
            clusters: [
                { name: "a", cluster: { server: "https://a" } },
                { name: "b", cluster: { server: "https://b", "insecure-skip-tls-verify": true } },
                { name: "both", cluster: { server: "https://c", "insecure-skip-tls-verify": true, "certificate-authority-data": b64("CA") } },
            ],
            users: [{ name: "u", user: {} }],
            contexts: [{ name: "x", context: { cluster: "a", user: "u" } }],
        });
        const b = await clusterAccess({ kubeconfig: two, cluster: "b" }, environment({}).e);
        expect([b.server.host, b.tls.rejectUnauthorized]).to.deep.equal(["b", false]);
        expect((await failure(clusterAccess({ kubeconfig: two, cluster: "both" }, environment({}).e))).message).to.contain("which client-go refuses");
    });

    it("KUBECONFIG's files are merged, the first to name a thing wins; kubernetes:context picks another context; ~/.kube/config otherwise", async () => {
        const first = kubeconfig({ server: "https://first" }, { token: "one" }, { name: "a" });
        const second = stringify({
            "current-context": "b",
            clusters: [
                { name: "c-a", cluster: { server: "https://shadowed" } },
                { name: "c-b", cluster: { server: "https://second" } },
            ],
            users: [{ name: "u-b", user: { token: "two" } }],
            contexts: [{ name: "b", context: { cluster: "c-b", user: "u-b" } }],
        });
        const { e } = environment({ "/1": first, "/2": second }, { KUBECONFIG: ["/1", "/missing", "/2"].join(path.delimiter) });
        expect((await clusterAccess({}, e)).server.host).to.equal("first");
        const b = await clusterAccess({ context: "b" }, e);
        expect([b.server.host, b.headers.Authorization]).to.deep.equal(["second", "Bearer two"]);
        const home = environment({ "/home/me/.kube/config": kubeconfig({ server: "https://home" }, {}) }).e;
        expect((await clusterAccess({}, home)).server.host).to.equal("home");
    });

    it("an exec credential plugin: run with its args, env and KUBERNETES_EXEC_INFO (the cluster when asked); its token or certificate used", async () => {
        const exec = {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "./bin/get-token",
            args: ["--cluster", "prod"],
            env: [{ name: "REGION", value: "eu" }],
            provideClusterInfo: true,
        };
        const { e, ran } = environment(
            { "/k/config": kubeconfig({ server: "https://eks", "certificate-authority-data": b64("CA") }, { exec }) },
            { PATH: "/usr/bin", KUBECONFIG: "/k/config" },
            JSON.stringify({ status: { token: "exec-token" } }),
        );
        const access = await clusterAccess({}, e);
        expect(access.headers.Authorization).to.equal("Bearer exec-token");
        expect(ran).to.have.length(1);
        expect(ran[0].command).to.equal(path.resolve("/k", "bin/get-token"));
        expect(ran[0].args).to.deep.equal(["--cluster", "prod"]);
        expect([ran[0].env.REGION, ran[0].env.PATH]).to.deep.equal(["eu", "/usr/bin"]);
        expect(JSON.parse(ran[0].env.KUBERNETES_EXEC_INFO!)).to.deep.equal({
            apiVersion: "client.authentication.k8s.io/v1beta1",
            kind: "ExecCredential",
            spec: { interactive: false, cluster: { server: "https://eks/", "certificate-authority-data": b64("CA") } },
        });

        const certs = environment(
            { "/k/config": kubeconfig({ server: "https://aks" }, { exec: { apiVersion: "client.authentication.k8s.io/v1", command: "kubelogin" } }) },
            {},
            JSON.stringify({ status: { clientCertificateData: "PEM-CERT", clientKeyData: "PEM-KEY" } }),
        );
        const byCert = await clusterAccess({ kubeconfig: "/k/config" }, certs.e);
        expect([certs.ran[0].command, byCert.tls.cert, byCert.tls.key]).to.deep.equal(["kubelogin", "PEM-CERT", "PEM-KEY"]);
    });

    it("an exec plugin runs only for a user without credentials of its own; one without apiVersion, needing a terminal or answering nothing is an error", async () => {
        const plugin = (exec: object, user: object = {}, answer = JSON.stringify({ status: { token: "exec" } })) =>
            environment({ "/k": kubeconfig({ server: "https://k" }, { exec, ...user }) }, { KUBECONFIG: "/k" }, answer);
        const v1 = { apiVersion: "client.authentication.k8s.io/v1", command: "get-token", installHint: "install get-token" };
        const withToken = plugin(v1, { token: "static" });
        expect((await clusterAccess({}, withToken.e)).headers.Authorization).to.equal("Bearer static");
        expect(withToken.ran, "the plugin is not run").to.deep.equal([]);
        const messages = await Promise.all(
            [
                plugin({ command: "get-token" }),
                plugin({ ...v1, interactiveMode: "Always" }),
                plugin(v1, {}, JSON.stringify({ status: {} })),
                plugin(v1, {}, "eyJhbGciOi-not-json"),
            ].map(async ({ e }) => (await failure(clusterAccess({}, e))).message),
        );
        expect(messages[0]).to.contain("has no apiVersion");
        expect(messages[1]).to.contain("needs a terminal");
        expect(messages[2]).to.contain("printed no ExecCredential");
        expect(messages[3]).to.contain("printed no ExecCredential").and.not.contain("eyJhbGciOi");
        const failing = environment({ "/k": kubeconfig({ server: "https://k" }, { exec: v1 }) }, { KUBECONFIG: "/k" });
        const e = { ...failing.e, run: () => Promise.reject(new Error("the exec credential plugin get-token was not found")) };
        expect((await failure(clusterAccess({}, e))).message).to.equal("the exec credential plugin get-token was not found (install get-token)");
    });

    it("the real plugin runner: a process's standard output with its input closed; a failure with its standard error, never its arguments", async () => {
        const readAll = `process.stdin.resume(); process.stdin.on("end", () => process.stdout.write("read to the end"))`;
        expect(await PROCESS_ENVIRONMENT.run(process.execPath, ["-e", readAll], {})).to.equal("read to the end");
        const print = `process.stdout.write(JSON.stringify({ status: { token: process.env.KUBERNETES_EXEC_INFO.length > 0 ? "ran" : "" } }))`;
        expect(JSON.parse(await PROCESS_ENVIRONMENT.run(process.execPath, ["-e", print], { KUBERNETES_EXEC_INFO: "{}" }))).to.deep.equal({
            status: { token: "ran" },
        });
        const silent = await failure(PROCESS_ENVIRONMENT.run(process.execPath, ["-e", "process.exit(3)", "--", "--client-secret", "S3CRET"], {}));
        expect(silent.message).to.equal(`the exec credential plugin ${path.basename(process.execPath)} failed (exit 3)`);
        const failed = await failure(PROCESS_ENVIRONMENT.run(process.execPath, ["-e", "console.error('not logged in'); process.exit(1)"], {}));
        expect(failed.message).to.contain("not logged in");
    });

    it("in a pod without a kubeconfig: the service account; neither: an error saying so", async () => {
        const sa = "/var/run/secrets/kubernetes.io/serviceaccount";
        const { e } = environment(
            { [`${sa}/token`]: "sa-token\n", [`${sa}/ca.crt`]: "CA" },
            { KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "443" },
        );
        const access = await clusterAccess({}, e);
        expect([access.server.href, access.headers.Authorization, String(access.tls.ca)]).to.deep.equal(["https://[fd00::1]/", "Bearer sa-token", "CA"]);
        const none = await failure(clusterAccess({}, environment({}).e));
        expect(none.message).to.contain("no kubeconfig").and.not.be.instanceOf(Unsupported);
    });

    it("what it does not handle is refused as Unsupported, naming it (the client library reads those); a wrong context is an error; a proxy variable is not used", async () => {
        const cfg = (cluster: object, user: object) => ({ kubeconfig: kubeconfig({ server: "https://x", ...cluster }, user) });
        expect(await unsupported(clusterAccess(cfg({}, { "auth-provider": { name: "gcp" } }), environment({}).e))).to.contain("auth-provider");
        expect(await unsupported(clusterAccess(cfg({ "proxy-url": "http://proxy:3128" }, {}), environment({}).e))).to.contain("proxy-url");
        expect(await unsupported(clusterAccess(cfg({}, { as: "admin" }), environment({}).e))).to.contain("impersonates (as)");
        expect((await clusterAccess(cfg({}, {}), environment({}, { HTTPS_PROXY: "http://p" }).e)).server.host, "nor by the library").to.equal("x");
        const wrong = await failure(clusterAccess({ ...cfg({}, {}), context: "nope" }, environment({}).e));
        expect(wrong).to.not.be.instanceOf(Unsupported);
        expect(wrong.message).to.contain('no context "nope"');
    });
});

/** A stand-in API server over http: records each request, answers from `answer`. */
async function apiServer(answer: (req: { method: string; url: string; body: unknown }) => [number, unknown]) {
    const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: unknown }[] = [];
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const text = Buffer.concat(chunks).toString();
            const request = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: text ? JSON.parse(text) : undefined };
            seen.push(request);
            const [status, body] = answer(request);
            res.writeHead(status, { "Content-Type": "application/json" }).end(typeof body === "string" ? body : JSON.stringify(body));
        });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const access: ClusterAccess = {
        server: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
        tls: { rejectUnauthorized: true },
        headers: { Authorization: "Bearer t" },
    };
    return { seen, access, close: () => new Promise((r) => server.close(r)) };
}

const TLS = (name: string) => fs.readFileSync(path.join(__dirname, "fixtures", "tls", name));

/** An https stand-in of the API server (test/fixtures/tls: its certificate names only kube.test) asking for a client certificate. */
async function tlsServer(): Promise<{ port: number; clients: string[]; close: () => Promise<unknown> }> {
    const clients: string[] = [];
    const server = https.createServer(
        { key: TLS("server.key"), cert: TLS("server.crt"), ca: TLS("ca.crt"), requestCert: true, rejectUnauthorized: false },
        (req, res) => {
            const cn = (req.socket as TLSSocket).getPeerCertificate()?.subject?.CN;
            clients.push(Array.isArray(cn) ? cn.join(",") : (cn ?? ""));
            res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ items: [] }));
        },
    );
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return { port: (server.address() as AddressInfo).port, clients, close: () => new Promise((r) => server.close(r)) };
}

/** Helm's storage Secret of `release`'s revision `version` as the API server returns it, created long ago. */
const storedRevision = (release: string, version: number, status: string, uid: string, resourceVersion: string) => ({
    metadata: {
        name: storageSecretName(release, version),
        uid,
        resourceVersion,
        labels: { owner: "helm", name: release, status, version: String(version) },
        creationTimestamp: "2020-01-01T00:00:00Z",
    },
    type: STORAGE_SECRET_TYPE,
    data: { release: b64(encodeRelease({ info: { status } })) },
});

describe("requests and the stuck-release check over them (lib/kubeAccess, lib/releaseRecovery)", () => {
    it("over https: the server is verified against the kubeconfig's CA under tls-server-name, and the client certificate is presented", async () => {
        const api = await tlsServer();
        try {
            const access = (ca: string, servername?: string): ClusterAccess => ({
                server: new URL(`https://127.0.0.1:${api.port}`),
                tls: { ca: TLS(ca), cert: TLS("client.crt"), key: TLS("client.key"), rejectUnauthorized: true, ...(servername ? { servername } : {}) },
                headers: {},
            });
            expect(await kubeRequest(access("ca.crt", "kube.test"), "GET", "/api/v1/namespaces")).to.deep.equal({ items: [] });
            expect(api.clients, "the client certificate's CN").to.deep.equal(["pulse-admin"]);
            expect((await failure(kubeRequest(access("other-ca.crt", "kube.test"), "GET", "/api"))).message, "another CA").to.match(/certificate/i);
            expect((await failure(kubeRequest(access("ca.crt"), "GET", "/api"))).message, "without the server name").to.match(/altnames|IP/i);
            expect(api.clients).to.have.length(1);
        } finally {
            await api.close();
        }
    });

    it("a server address with a path keeps it; a server that does not answer, or answers without JSON, fails the request", async () => {
        const api = await apiServer(({ url }) => (url.includes("not-json") ? [200, "<html>a login page</html>"] : [200, { ok: true }]));
        const stalled = http.createServer(() => undefined);
        await new Promise<void>((r) => stalled.listen(0, "127.0.0.1", r));
        try {
            const prefixed = { ...api.access, server: new URL(`${api.access.server.origin}/k8s/clusters/c-1/`) };
            await kubeRequest(prefixed, "GET", "/api/v1/namespaces/pulse/secrets");
            expect(api.seen[0].url).to.equal("/k8s/clusters/c-1/api/v1/namespaces/pulse/secrets");
            expect((await failure(kubeRequest(api.access, "GET", "/not-json"))).message).to.contain("/not-json: 200");
            const silent = { ...api.access, server: new URL(`http://127.0.0.1:${(stalled.address() as AddressInfo).port}`) };
            expect((await failure(kubeRequest(silent, "GET", "/api", undefined, 200))).message).to.contain("no answer in 0.2 s");
        } finally {
            stalled.closeAllConnections();
            await Promise.all([api.close(), new Promise((r) => stalled.close(r))]);
        }
    });

    it("a request carries the credentials and JSON; a refusal fails with the API server's code and message", async () => {
        const api = await apiServer(({ method }) =>
            method === "GET" ? [200, { items: [] }] : [409, { kind: "Status", message: "the object has been modified" }],
        );
        try {
            expect(await kubeRequest(api.access, "GET", "/api/v1/namespaces/pulse/secrets?labelSelector=a%3Db")).to.deep.equal({ items: [] });
            const refused = await failure(kubeRequest(api.access, "PUT", "/api/v1/namespaces/pulse/secrets/s", { a: 1 }));
            expect(refused).to.be.instanceOf(KubeRequestError);
            expect((refused as KubeRequestError).status).to.equal(409);
            expect(refused.message).to.contain("the object has been modified");
            expect(api.seen.map((r) => [r.method, r.url, r.headers.authorization, r.body])).to.deep.equal([
                ["GET", "/api/v1/namespaces/pulse/secrets?labelSelector=a%3Db", "Bearer t", undefined],
                ["PUT", "/api/v1/namespaces/pulse/secrets/s", "Bearer t", { a: 1 }],
            ]);
        } finally {
            await api.close();
        }
    });

    it("an interrupted first install: listed by its labels, its record deleted with the uid and resourceVersion as preconditions", async () => {
        const release = "pulse-postgresql";
        const pending = storedRevision(release, 1, "pending-install", "u1", "7");
        const api = await apiServer(({ method }) => (method === "GET" ? [200, { items: [pending] }] : [200, {}]));
        try {
            const plan = await recoverWith(storageByRequests(api.access), { release, namespace: "pulse", stuckAfterSeconds: 900 });
            expect(plan.action).to.equal("remove-record");
            expect(api.seen.map((r) => [r.method, decodeURIComponent(r.url), r.body])).to.deep.equal([
                ["GET", `/api/v1/namespaces/pulse/secrets?labelSelector=owner=helm,name=${release}`, undefined],
                [
                    "DELETE",
                    `/api/v1/namespaces/pulse/secrets/${storageSecretName(release, 1)}`,
                    { apiVersion: "v1", kind: "DeleteOptions", preconditions: { uid: "u1", resourceVersion: "7" } },
                ],
            ]);
        } finally {
            await api.close();
        }
    });

    it("an interrupted upgrade: the pending revision written back as a Secret, failed, with the resourceVersion it was read at", async () => {
        const release = "pulse-nats";
        const revision = (version: number, status: string, uid: string) => storedRevision(release, version, status, uid, `${10 + version}`);
        const api = await apiServer(({ method }) =>
            method === "GET" ? [200, { items: [revision(1, "deployed", "u1"), revision(2, "pending-upgrade", "u2")] }] : [200, {}],
        );
        try {
            const plan = await recoverWith(storageByRequests(api.access), { release, namespace: "pulse", stuckAfterSeconds: 900 });
            expect(plan.action).to.equal("mark-failed");
            const put = api.seen[1] as {
                method: string;
                url: string;
                body: { kind: string; apiVersion: string; metadata: { resourceVersion: string; labels: Record<string, string> } };
            };
            expect([put.method, put.url]).to.deep.equal(["PUT", `/api/v1/namespaces/pulse/secrets/${storageSecretName(release, 2)}`]);
            expect([put.body.apiVersion, put.body.kind, put.body.metadata.resourceVersion, put.body.metadata.labels.status]).to.deep.equal([
                "v1",
                "Secret",
                "12",
                "failed",
            ]);
            expect(api.seen).to.have.length(2);
        } finally {
            await api.close();
        }
    });

    describe("from the stack's kubernetes:kubeconfig (the recoverer the program uses)", () => {
        const release = "pulse-emqx";
        const pending = storedRevision(release, 1, "pending-install", "u9", "9");

        /** Runs the cluster recoverer with `kubernetes:kubeconfig` set to `user` on a stand-in server; its requests. */
        async function recoverThrough(user: object, cluster: object = {}) {
            const api = await apiServer(({ method }) =>
                method === "GET" ? [200, { kind: "SecretList", apiVersion: "v1", items: [pending] }] : [200, pending],
            );
            const saved = { ...process.env };
            pulumi.runtime.setConfig("kubernetes:kubeconfig", kubeconfig({ server: api.access.server.origin, ...cluster }, user));
            try {
                const plan = await recoverOnCluster({ release, namespace: "pulse", stuckAfterSeconds: 900 });
                return { plan, seen: api.seen };
            } finally {
                for (const k of ["PULUMI_CONFIG", "PULUMI_CONFIG_SECRET_KEYS"]) {
                    if (saved[k] === undefined) delete process.env[k];
                    else process.env[k] = saved[k];
                }
                await api.close();
            }
        }

        it("a kubeconfig it handles: its requests, signed as the kubeconfig's user", async () => {
            const { plan, seen } = await recoverThrough({ token: "cfg-token" });
            expect(plan.action).to.equal("remove-record");
            expect(seen.map((r) => [r.method, r.headers.authorization])).to.deep.equal([
                ["GET", "Bearer cfg-token"],
                ["DELETE", "Bearer cfg-token"],
            ]);
        });

        it("one it does not handle (impersonation): the client library's requests, to the same server, with the same plan", async function () {
            this.timeout(20_000); // loading the library
            // The library refuses plain http unless told not to verify.
            const { plan, seen } = await recoverThrough({ token: "cfg-token", as: "pulse-admin" }, { "insecure-skip-tls-verify": true });
            expect(plan.action).to.equal("remove-record");
            expect(seen.map((r) => [r.method, decodeURIComponent(r.url)])).to.deep.equal([
                ["GET", `/api/v1/namespaces/pulse/secrets?labelSelector=owner=helm,name=${release}`],
                ["DELETE", `/api/v1/namespaces/pulse/secrets/${storageSecretName(release, 1)}`],
            ]);
            expect(seen[1].body).to.deep.include({ preconditions: { uid: "u9", resourceVersion: "9" } });
        });
    });
});
