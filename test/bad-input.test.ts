/**
 * Issue 23: nothing accepted that the cluster would refuse. One bad input per line, by class: each is refused at its
 * key (the values the API server, NATS, PostgreSQL or a browser would refuse later), and no message echoes a credential.
 */
import { expect } from "chai";
import { PRODUCTION_SECRETS } from "../config";
import { stackProblems } from "./helpers";

const SECRET = "s3cr3tValue";
/** Every production secret set: the production checks here are about the rest of the config. */
const PROD_SECRETS = [...PRODUCTION_SECRETS];
/** A production config that works in a browser: the cases change one thing of it. */
const PROD = {
    app: { environment: "production" },
    ingress: { hosts: [{ host: "pulse.example.com" }], tls: [{ secretName: "pulse-tls", hosts: ["pulse.example.com"] }] },
    smtp: { host: "smtp.example.com", from: "pulse@example.com" },
};
const prodProblems = (values: Record<string, unknown>) =>
    stackProblems({ ...PROD, ...Object.fromEntries(PROD_SECRETS.map((k) => [k, `placeholder-${k}`])), ...values }, PROD_SECRETS);

/** The problems name `key` (the line starts with it) and none echoes the secret. */
function refusedAt(found: string[], key: string, reason?: RegExp): void {
    const at = found.filter((p) => p.startsWith(`pulse:${key}`));
    expect(at, `no problem at pulse:${key}:\n${found.join("\n")}`).to.not.be.empty;
    if (reason) expect(at.join("\n")).to.match(reason);
    for (const p of found) expect(p).to.not.include(SECRET);
}

const refused = (values: Record<string, unknown>, key: string, reason?: RegExp) => refusedAt(stackProblems(values), key, reason);
const accepted = (values: Record<string, unknown>) => {
    const found = stackProblems(values);
    expect(found, found.join("\n")).to.deep.equal([]);
};

describe("bad input (issue 23)", () => {
    describe("1. values the API server refuses", () => {
        it("label keys and values: spaces, unicode, length, a bad prefix", () => {
            refused({ ingest: { podLabels: { "team name": "iot" } } }, "ingest.podLabels", /label key/);
            refused({ ingest: { podLabels: { team: "a b" } } }, "ingest.podLabels.team", /label value/);
            refused({ ingest: { podLabels: { team: "ünï" } } }, "ingest.podLabels.team", /label value/);
            refused({ ingest: { podLabels: { team: "v".repeat(64) } } }, "ingest.podLabels.team", /63/);
            refused({ ingest: { podLabels: { "Example.com/team": "iot" } } }, "ingest.podLabels", /prefix/);
            refused({ ingest: { nodeSelector: { disktype: "fast ssd" } } }, "ingest.nodeSelector.disktype");
            refused({ global: { metrics: { monitorLabels: { release: "kube prometheus" } } } }, "global.metrics.monitorLabels.release");
            refused({ emqx: { podLabels: { "a/b/c": "x" } } }, "emqx.podLabels");
            accepted({ ingest: { podLabels: { "example.com/team": "iot", tier: "" } } });
        });

        it("annotation keys and their total size", () => {
            refused({ ingest: { podAnnotations: { "my annotation": "x" } } }, "ingest.podAnnotations", /annotation key/);
            refused({ ingress: { annotations: { "a/b/c": "x" } } }, "ingress.annotations");
            refused({ emqx: { deviceService: { annotations: { ünï: "x" } } } }, "emqx.deviceService.annotations");
            refused({ ingest: { podAnnotations: { big: "x".repeat(256 * 1024) } } }, "ingest.podAnnotations", /256 KiB/);
            // Case does not matter in annotation keys (apimachinery lowercases them before checking).
            accepted({ ingress: { annotations: { "Nginx.Ingress.Kubernetes.io/Proxy-Body-Size": "10m" } } });
        });

        it("an IngressClass name with capitals", () => {
            refused({ ingress: { className: "Nginx" }, networkPolicy: { ingressController: { namespace: "ingress" } } }, "ingress.className");
        });

        it("Ingress paths the API server or the controller refuses", () => {
            const path = (p: string, pathType = "Prefix") => ({ ingress: { hosts: [{ host: "pulse.example.com", paths: [{ path: p, pathType }] }] } });
            refused(path("//"), "ingress.hosts[0].paths[0].path", /\/\//);
            refused(path("/a/../b"), "ingress.hosts[0].paths[0].path");
            refused(path("/x/."), "ingress.hosts[0].paths[0].path");
            refused(path("/%2fx"), "ingress.hosts[0].paths[0].path");
            refused(path("/api/*"), "ingress.hosts[0].paths[0].path", /\*/);
            refused(path("/api/*", "Exact"), "ingress.hosts[0].paths[0].path", /\*/);
            accepted(path("/api/.*", "ImplementationSpecific"));
            // ingress-nginx's literal-path rule holds for its class only; '*' matches nothing under any class.
            refused(path("/@me"), "ingress.hosts[0].paths[0].path", /ingress-nginx/);
            const traefik = (p: string) => ({
                ingress: { className: "traefik", hosts: [{ host: "pulse.example.com", paths: [{ path: p }] }] },
                networkPolicy: { enabled: false },
            });
            accepted(traefik("/@me"));
            refused(traefik("/api/*"), "ingress.hosts[0].paths[0].path", /\*/);
        });

        it("an IP address as an Ingress host", () => {
            refused({ ingress: { hosts: [{ host: "10.0.0.1" }] } }, "ingress.hosts[0].host", /not an IP address/);
        });

        it("object names as the API server checks them: a DNS subdomain, no limit per label", () => {
            accepted({ secrets: { app: "a".repeat(70) } });
            refused({ secrets: { app: "a".repeat(254) } }, "secrets.app", /253/);
            refused({ secrets: { app: "Pulse-App" } }, "secrets.app", /subdomain/);
            refused({ namespace: "a".repeat(64) }, "namespace", /63/);
            // "-" is the Bitnami charts' "no StorageClass"; any other claim's storageClassName "-" the API server refuses.
            accepted({ postgresql: { persistence: { storageClass: "-" } } });
            refused({ emqx: { persistence: { storageClassName: "-" } } }, "emqx.persistence.storageClassName", /StorageClass/);
        });

        it("an Ingress with no rules", () => {
            refused({ ingress: { hosts: [] } }, "ingress.hosts", /at least one/);
            accepted({ ingress: { enabled: false, hosts: [] } });
        });

        it("cron schedules as Kubernetes' parser (robfig/cron v3) reads them", () => {
            const schedule = (s: string) => ({ postgresql: { backup: { enabled: true, schedule: s } } });
            for (const ok of ["@every 12h", "@hourly", "@every 1h30m", "0 2 * * sun", "0 2 * * SUN-SAT", "*/15 * * * ?", "0 0 1,15 * *", "0 2 * JAN,feb *"]) {
                accepted(schedule(ok));
            }
            for (const bad of [
                "0 0 * * 7",
                "@every 12",
                "@every",
                "@hourly ",
                "TZ=UTC 0 2 * * *",
                "CRON_TZ=UTC 0 2 * * *",
                "*/0 * * * *",
                "0 2 * *",
                "60 * * * *",
                "1-2-3 * * * *",
            ]) {
                refused(schedule(bad), "postgresql.backup.schedule");
            }
        });

        it("image references (distribution/reference)", () => {
            refused({ appVersion: "1.2.0+build.7" }, "appVersion", /image tag|\+build/);
            refused({ emqx: { image: { registry: "registry" } } }, "emqx.image.registry", /Docker Hub/);
            refused({ global: { imageRegistry: "a..b" } }, "global.imageRegistry");
            refused({ emqx: { image: { repository: "emqx//emqx" } } }, "emqx.image.repository");
            refused({ emqx: { image: { tag: "5.8.9+build" } } }, "emqx.image.tag");
            accepted({ emqx: { image: { repository: "emqx/emqx--mirror" } }, global: { imageRegistry: "localhost:5000" } });
        });

        it("taint keys and values, integers beyond the API's int32, repeated spread constraints", () => {
            refused({ ingest: { tolerations: [{ key: "dedicated node", operator: "Exists" }] } }, "ingest.tolerations[0].key", /taint key/);
            refused({ ingest: { tolerations: [{ key: "dedicated", value: "a b" }] } }, "ingest.tolerations[0].value", /taint value/);
            refused({ ingest: { runAsUser: 2 ** 31 } }, "ingest.runAsUser", /32-bit/);
            refused({ routeDelivery: { replicaCount: 3e9 } }, "routeDelivery.replicaCount", /32-bit/);
            // Found by the generated-config dry run (seed 4242, #92): a StorageClass is an object name.
            refused({ postgresql: { persistence: { storageClass: "0 0 * * 7" } } }, "postgresql.persistence.storageClass", /StorageClass name/);
            refused({ nats: { jetstream: { fileStore: { storageClassName: "Fast SSD" } } } }, "nats.jetstream.fileStore.storageClassName");
            // Found by the dry run (seed 4242, #122): 71027 NATS servers, whose routes make the chart's ConfigMap over 3 MiB.
            refused({ nats: { replicaCount: 71027 } }, "nats.replicaCount", /from 1 to 1000/);
            const spread = { topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", maxSkew: 1 };
            refused(
                { ingest: { topologySpreadConstraints: [spread, { ...spread, maxSkew: 2 }] } },
                "ingest.topologySpreadConstraints[1]",
                /one constraint per pair/,
            );
        });

        it("an object over the API server's request size", () => {
            refused({ ingest: { env: { BIG: "x".repeat(2 * 1024 * 1024) } } }, "ingest.env", /MiB/);
        });
    });

    describe("2. cross-field rules the servers enforce", () => {
        const stream = (s: Record<string, unknown>) => ({ name: "S", subjects: ["s.>"], ...s });
        it("NATS: max age shorter than the duplicate window", () => {
            refused({ natsInit: { streams: [stream({ maxAge: "1m" })], consumers: [] } }, "natsInit.streams[0].duplicateWindow", /max age/);
            accepted({ natsInit: { streams: [stream({ maxAge: "0" })], consumers: [] } });
        });
        it("NATS: subjects that overlap another stream's", () => {
            const streams = [stream({ name: "A", subjects: ["telemetry.>"] }), stream({ name: "B", subjects: ["telemetry.*.x"] })];
            refused({ natsInit: { streams, consumers: [] } }, "natsInit.streams[1].subjects[0]", /overlap/);
        });
        it("NATS: a second consumer on a work-queue stream", () => {
            const consumers = [
                { name: "route-delivery", stream: "ROUTES" },
                { name: "audit", stream: "ROUTES" },
            ];
            refused({ natsInit: { consumers } }, "natsInit.consumers[1]", /work-queue/);
        });
        it("PostgreSQL: Keycloak's role is none of the others", () => {
            for (const role of ["iot", "postgres", "repl_user", "pg_keycloak"])
                refused({ keycloak: { database: { username: role } } }, "keycloak.database.username");
        });
        it("two configured Secret names equal", () => {
            refused({ secrets: { keycloakDb: "pulse-app-secrets" } }, "secrets.keycloakDb", /pulse:secrets.app/);
            refused({ postgresql: { auth: { existingSecret: "pulse-keycloak-admin" } } }, "postgresql.auth.existingSecret");
            refused({ ingress: { tls: [{ secretName: "pulse-app-secrets", hosts: ["pulse.example.com"] }] } }, "ingress.tls[0].secretName");
        });
    });

    describe("3. namespaces the program must never take over", () => {
        it("the cluster's own", () => {
            for (const ns of ["kube-system", "kube-public", "kube-node-lease", "default"]) refused({ namespace: ns }, "namespace");
        });
        it("the ingress controller's", () => {
            refused({ namespace: "ingress-nginx" }, "namespace", /ingress controller/);
            refused({ namespace: "edge", networkPolicy: { ingressController: { namespace: "edge" } } }, "namespace");
        });
    });

    describe("4. production that cannot work in a browser", () => {
        it("the reference production config passes", () => {
            expect(prodProblems({})).to.deep.equal([]);
        });
        it("no TLS on the public hosts while cookies are secure", () => {
            refusedAt(prodProblems({ ingress: { hosts: [{ host: "pulse.example.com" }] } }), "ingress.tls", /secure cookies/);
        });
        it("Keycloak routed on a host without TLS while ui is https", () => {
            const ingress = {
                hosts: [
                    { host: "pulse.example.com", paths: [{ path: "/", service: "ui" }] },
                    { host: "id.example.com", paths: [{ path: "/", service: "keycloak" }] },
                ],
                tls: [{ secretName: "pulse-tls", hosts: ["pulse.example.com"] }],
            };
            refused({ ingress }, "ingress.hosts[1]", /https/);
        });
        it("no concrete public host", () => {
            const wildcard = { hosts: [{ host: "*.example.com" }], tls: [{ secretName: "pulse-tls", hosts: ["*.example.com"] }] };
            refusedAt(prodProblems({ ingress: wildcard }), "ingress.hosts", /concrete/);
            refusedAt(prodProblems({ ingress: { enabled: false } }), "ingress.enabled");
        });
        it("SMTP host and sender", () => {
            refusedAt(prodProblems({ smtp: { from: "pulse@example.com" } }), "smtp.host");
            refusedAt(prodProblems({ smtp: { host: "smtp.example.com" } }), "smtp.from");
        });
        it("an in-cluster S3 or SMTP endpoint the egress policy blocks", () => {
            refused({ s3: { endpoint: "http://minio.pulse.svc:9000" } }, "s3.endpoint", /networkPolicy/);
            refused({ s3: { endpoint: "http://10.0.3.4:9000" } }, "s3.endpoint", /networkPolicy/);
            refused({ smtp: { host: "mailhog.pulse.svc.cluster.local" } }, "smtp.host", /networkPolicy/);
            accepted({ s3: { endpoint: "http://minio.pulse.svc:9000" }, networkPolicy: { enabled: false } });
        });
    });

    describe("5. credentials in URLs are refused and never printed", () => {
        const url = `https://user:${SECRET}@example.com`;
        it("in every URL field", () => {
            refused({ s3: { endpoint: url } }, "s3.endpoint", /credentials/);
            refused({ s3: { publicEndpoint: url } }, "s3.publicEndpoint", /credentials/);
            refused({ nats: { enabled: false, externalUrl: `nats://user:${SECRET}@nats.example.com:4222` } }, "nats.externalUrl", /credentials/);
            refused(
                { keycloak: { enabled: false, external: { issuerUrl: `https://user:${SECRET}@id.example.com/realms/pulse` } } },
                "keycloak.external.issuerUrl",
            );
            refused({ postgresql: { enabled: false }, externalDatabase: { enabled: true, host: `user:${SECRET}@db.example.com` } }, "externalDatabase.host");
            refused({ nats: { chart: { repository: `https://user:${SECRET}@charts.example.com` } } }, "nats.chart.repository", /credentials/);
            refused({ app: { corsOrigins: [url] } }, "app.corsOrigins[0]");
        });
        it("a password holding '/', '?', '#' or '@' is still credentials, and never printed", () => {
            for (const pw of [`${SECRET}/x`, `${SECRET}?x`, `${SECRET}#x`, `${SECRET}@x`]) {
                const at = `https://user:${pw}@example.com`;
                refused({ s3: { endpoint: at } }, "s3.endpoint", /credentials/);
                refused({ nats: { enabled: false, externalUrl: `nats://user:${pw}@nats.example.com:4222` } }, "nats.externalUrl", /credentials/);
                refused({ keycloak: { enabled: false, external: { issuerUrl: `${at}/realms/pulse` } } }, "keycloak.external.issuerUrl", /credentials/);
                refused({ nats: { chart: { repository: `https://user:${pw}@charts.example.com` } } }, "nats.chart.repository", /credentials/);
                refused({ postgresql: { enabled: false }, externalDatabase: { enabled: true, host: `user:${pw}@db.example.com` } }, "externalDatabase.host");
                refused({ app: { corsOrigins: [at] } }, "app.corsOrigins[0]");
            }
        });
        it("nor a value of a key that looks like a secret", () => {
            refused({ ingest: { env: { DB_PASSWORD: 12345678 } } }, "ingest.env.DB_PASSWORD");
            const found = stackProblems({ ingest: { env: { DB_PASSWORD: 12345678 } }, ui: { podAnnotations: { "api-token": 87654321 } } });
            expect(found.join("\n")).to.not.match(/12345678|87654321/);
        });
    });

    describe("7. every problem at once, and messages that say what to do", () => {
        it("a schema error does not hide the production secrets", () => {
            const found = stackProblems({ app: { environment: "production" }, ingest: { replicaCount: -1 } });
            refusedAt(found, "ingest.replicaCount");
            for (const k of PRODUCTION_SECRETS) refusedAt(found, k, /required with app.environment production/);
        });
        it("no problem about defaults the user never wrote", () => {
            // A refused app.environment would default to production: none of production's checks may follow from it.
            const typo = stackProblems({ app: { environment: "dev" } });
            expect(typo, typo.join("\n")).to.have.length(1);
            refusedAt(typo, "app.environment", /production, development|development/);
            // An invalid host is not replaced by the default one in the TLS check.
            const host = prodProblems({
                ingress: { hosts: [{ host: "Pulse.Example.com" }], tls: [{ secretName: "pulse-tls", hosts: ["pulse.example.com"] }] },
            });
            refusedAt(host, "ingress.hosts[0].host");
            expect(host.join("\n")).to.not.match(/must cover/);
        });
        it("a secret typed inside a section points at its key", () => {
            refused({ smtp: { password: "x" } }, "smtp.password", /pulse:smtpPassword/);
            refused({ s3: { accessKey: "x" } }, "s3.accessKey", /pulse:s3AccessKey/);
            refused({ keycloak: { database: { password: "x" } } }, "keycloak.database.password", /pulse:keycloakDbPassword/);
            expect(stackProblems({ smtp: { password: SECRET } }).join("\n")).to.not.include(SECRET);
            // Set with --secret --path: the section is secret, the message still names the field's own key.
            refused({ smtp: { host: "smtp.example.com", password: SECRET } }, "smtp.password", /pulse:smtpPassword/);
            refusedAt(stackProblems({ smtp: { host: "smtp.example.com", password: SECRET } }, ["smtp"]), "smtp.password", /pulse:smtpPassword/);
        });
        it("did you mean, for an unknown secret key", () => {
            refusedAt(stackProblems({ smtpPasword: "x" }, ["smtpPasword"]), "smtpPasword", /did you mean "pulse:smtpPassword"/);
            refusedAt(stackProblems({ adminkey: "x".repeat(40) }), "adminkey", /pulse:adminKey/);
        });
        it("an unquoted number where a string belongs says to quote it", () => {
            refused({ emqx: { image: { tag: 5.8 } } }, "emqx.image.tag", /quote/);
        });
    });
});
