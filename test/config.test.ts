import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { expect } from "chai";
import { config, stackProblems } from "./helpers";
import { parseConfig, parseQuantity, parseStackConfig, PulseConfigInput, RELEASE_KEYS, SECRET_KEYS, SERVICE_NAMES } from "../config";

/** The problems a stack config produces (development unless the values say otherwise). */
const problems = stackProblems;

/** A ustar archive of these files (what `helm package` gzips). */
function tar(files: Record<string, string>): Buffer {
    const blocks: Buffer[] = [];
    for (const [name, content] of Object.entries(files)) {
        const body = Buffer.from(content);
        const header = Buffer.alloc(512);
        header.write(name, 0);
        header.write("0000644\0", 100);
        header.write(body.length.toString(8).padStart(11, "0") + "\0", 124);
        header.write("0".repeat(11) + "\0", 136);
        header.write("        ", 148);
        header.write("0", 156);
        header.write("ustar\0" + "00", 257);
        const sum = header.reduce((a, b) => a + b, 0);
        header.write(sum.toString(8).padStart(6, "0") + "\0 ", 148);
        blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
    }
    return Buffer.concat([...blocks, Buffer.alloc(1024)]);
}

/** Asserts exactly one problem, at `key`, whose reason matches (the given secret keys set as secrets). */
function expectProblem(values: Record<string, unknown>, key: string, reason: RegExp, secretKeys: readonly string[] = []): void {
    const found = problems(values, secretKeys);
    expect(found, found.join("\n")).to.have.length(1);
    expect(found[0]).to.satisfy((p: string) => p.startsWith(`pulse:${key}: `), found[0]);
    expect(found[0]).to.match(reason);
}

/** The secrets an external database requires (Keycloak's too, with Keycloak deployed). */
const EXTERNAL_DB_SECRETS = { dbPassword: "x", keycloakDbPassword: "x" };

describe("config schema", () => {
    describe("defaults are the spec's values.yaml, corrected for the pinned charts", () => {
        const c = parseConfig({});

        it("takes the spec's ingest block", () => {
            expect(c.ingest.replicaCount).to.equal(2);
            expect(c.ingest.image.repository).to.equal("pulse/ingest-iot");
            expect(c.ingest.resources.requests).to.include({ cpu: "250m", memory: "256Mi" });
            expect(c.ingest.resources.limits).to.include({ cpu: "1", memory: "512Mi" });
            expect(c.ingest.env).to.deep.equal({
                BATCH_SIZE: "1000",
                FLUSH_INTERVAL_MS: "500",
                INGEST_WORKER_COUNT: "4",
                PG_POOL_MAX: "10",
            });
            expect(c.ingest.autoscaling).to.deep.equal({
                enabled: true,
                minReplicas: 2,
                maxReplicas: 10,
                targetCPUUtilizationPercentage: 70,
            });
        });

        it("takes the spec's database, broker and ingress sections", () => {
            expect(c.postgresql.enabled).to.equal(true);
            expect(c.postgresql.auth).to.deep.equal({ database: "iotcloud", username: "iot", existingSecret: "pulse-db-secret" });
            expect(c.externalDatabase).to.include({ enabled: false, port: 5432, database: "iotcloud", username: "iot" });
            expect(c.emqx).to.deep.include({ enabled: true, replicaCount: 1 });
            expect(c.emqx.persistence).to.deep.include({ enabled: true, size: "1Gi" });
            expect(c.keycloak.image).to.include({ registry: "quay.io", repository: "keycloak/keycloak", tag: "26.0.8" });
            expect(c.caddy.enabled).to.equal(false);
            expect(c.ingress).to.deep.include({ enabled: true, className: "nginx", annotations: {}, tls: [] });
            // No paths: Pulse's own routes (lib/routes.ts).
            expect(c.ingress.hosts).to.deep.equal([{ host: "pulse.example.com" }]);
        });

        it("moves the spec's NATS 0.x keys to the chart 1.x layout with the spec's sizes", () => {
            expect(c.nats.jetstream).to.deep.equal({
                memoryStore: { enabled: true, maxSize: "256Mi" },
                fileStore: { enabled: true, size: "2Gi" },
            });
        });

        it("runs TimescaleDB's build of the Bitnami PostgreSQL 16 image (Pulse's migrations need the extension)", () => {
            expect(c.postgresql.image).to.include({ registry: "docker.io", repository: "timescale/timescaledb", tag: "2.16.1-pg16-bitnami" });
        });

        it("never defaults a Pulse image to 'latest': the tag follows appVersion", () => {
            for (const s of SERVICE_NAMES) expect(c[s].image.tag, s).to.equal(undefined);
            expect(c.migrator.image.tag).to.equal(undefined);
            expect(c.appVersion).to.equal("1.0.0");
        });

        it("sets CPU and memory requests and a memory limit on every container it configures", () => {
            const withResources = [...SERVICE_NAMES, ...RELEASE_KEYS, "keycloak", "caddy", "migrator", "natsInit"] as const;
            for (const s of withResources) {
                const r = c[s].resources;
                expect(parseQuantity(r.requests.cpu), s).to.be.greaterThan(0);
                expect(parseQuantity(r.requests.memory), s).to.be.greaterThan(0);
                expect(parseQuantity(r.limits.memory), s).to.be.at.least(parseQuantity(r.requests.memory)!);
            }
        });
    });

    describe("rejects bad config naming the key and the reason", () => {
        it("wrong types", () => {
            expectProblem({ ingest: { replicaCount: "two" } }, "ingest.replicaCount", /must be an integer >= 0, got "two"/);
            expectProblem({ caddy: { enabled: "yes" } }, "caddy.enabled", /must be true or false, got "yes"/);
            expectProblem({ ingest: { env: { BATCH_SIZE: 10 } } }, "ingest.env.BATCH_SIZE", /must be strings.*got 10/);
            expectProblem({ emqx: "true" }, "emqx", /must be an object, got true/);
        });

        it("negative or fractional replica counts", () => {
            expectProblem({ ingest: { replicaCount: -1 } }, "ingest.replicaCount", /must be an integer >= 0, got -1$/);
            expectProblem({ ui: { replicaCount: 1.5 } }, "ui.replicaCount", /must be an integer >= 0, got 1.5$/);
        });

        it("invalid Kubernetes quantities", () => {
            expectProblem(
                { ingest: { resources: { requests: { memory: "512Mx" } } } },
                "ingest.resources.requests.memory",
                /must be a Kubernetes quantity.*got "512Mx"/,
            );
            expectProblem({ nats: { jetstream: { fileStore: { size: "2 GB" } } } }, "nats.jetstream.fileStore.size", /quantity/);
        });

        it("limits below requests", () => {
            expectProblem(
                { ui: { resources: { requests: { memory: "1Gi" }, limits: { memory: "512Mi" } } } },
                "ui.resources.limits.memory",
                /must be >= requests.memory \(1Gi\), got "512Mi"/,
            );
        });

        it("a NATS memory limit that does not exceed the JetStream memory store", () => {
            expectProblem(
                { nats: { jetstream: { memoryStore: { maxSize: "1Gi" } } } },
                "nats.resources.limits.memory",
                /must exceed jetstream.memoryStore.maxSize \(1Gi\)/,
            );
        });

        it("invalid DNS host names", () => {
            expectProblem(
                { ingress: { hosts: [{ host: "Pulse_Host.example.com", paths: [{ path: "/" }] }] } },
                "ingress.hosts[0].host",
                /must be a DNS host name.*got "Pulse_Host.example.com"/,
            );
            expectProblem(
                { postgresql: { enabled: false }, externalDatabase: { enabled: true, host: "db..example.com" }, ...EXTERNAL_DB_SECRETS },
                "externalDatabase.host",
                /DNS host name/,
                Object.keys(EXTERNAL_DB_SECRETS),
            );
            expectProblem({ namespace: "Pulse" }, "namespace", /must be a DNS label/);
        });

        it("unknown keys, with the likely intended key", () => {
            expectProblem({ ingest: { replicaCout: 3 } }, "ingest.replicaCout", /unknown key \(did you mean "replicaCount"\?\)/);
            expectProblem({ ingst: {} }, "ingst", /unknown key \(did you mean "ingest"\?\)/);
            expectProblem({ "ingest.replicaCount": "3" }, "ingest.replicaCount", /pulumi config set --path/);
            expectProblem(
                { ingress: { hosts: [{ host: "a.example.com", paths: [{ path: "/", servce: "ui" }] }] } },
                "ingress.hosts[0].paths[0].servce",
                /did you mean "service"/,
            );
        });

        it("autoscaling min > max", () => {
            expectProblem(
                { ingest: { autoscaling: { minReplicas: 12, maxReplicas: 10 } } },
                "ingest.autoscaling.minReplicas",
                /must be <= maxReplicas \(10\), got 12$/,
            );
        });

        it("in-cluster PostgreSQL and an external database both enabled, or neither", () => {
            expectProblem(
                { externalDatabase: { enabled: true, host: "db.example.com" } },
                "externalDatabase.enabled",
                /cannot be true while postgresql.enabled is true/,
            );
            expectProblem({ postgresql: { enabled: false } }, "externalDatabase.enabled", /must be true when postgresql.enabled is false/);
        });

        it("an external database without a host", () => {
            expectProblem(
                { postgresql: { enabled: false }, externalDatabase: { enabled: true }, ...EXTERNAL_DB_SECRETS },
                "externalDatabase.host",
                /is required when externalDatabase.enabled is true/,
                Object.keys(EXTERNAL_DB_SECRETS),
            );
        });

        it("empty or floating image tags", () => {
            expectProblem({ ingest: { image: { tag: "" } } }, "ingest.image.tag", /must be a non-empty image tag, got ""$/);
            expectProblem({ keycloak: { image: { tag: "latest" } } }, "keycloak.image.tag", /pinned version, not 'latest'/);
            expectProblem({ appVersion: "latest" }, "appVersion", /released version x.y.z/);
        });

        it("a Pulse release the policy pack would refuse: appVersion or a Pulse image tag that is not x.y.z", () => {
            expectProblem({ appVersion: "1.0" }, "appVersion", /must be a released version x.y.z.*got "1.0"$/);
            expectProblem({ ingest: { image: { tag: "main" } } }, "ingest.image.tag", /released version x.y.z.*or set a digest.*got "main"$/);
            // A digest pins it; other images keep their own tags (the rule is Pulse's).
            expect(problems({ ingest: { image: { tag: "main", digest: `sha256:${"a".repeat(64)}` } } })).to.deep.equal([]);
            expect(problems({ caddy: { image: { tag: "2.10" } } })).to.deep.equal([]);
        });

        it("byte quantities below 1Mi (a forgotten unit), with the hint", () => {
            expectProblem(
                { nats: { jetstream: { memoryStore: { maxSize: "512" } } } },
                "nats.jetstream.memoryStore.maxSize",
                /is 512 bytes, below 1Mi: .*did you mean "512Mi"/,
            );
            expect(problems({ ingest: { resources: { requests: { memory: "64" }, limits: { memory: "64" } } } })).to.deep.equal([
                'pulse:ingest.resources.requests.memory: is 64 bytes, below 1Mi: without a unit a quantity counts bytes (did you mean "64Mi"?), got "64"',
                'pulse:ingest.resources.limits.memory: is 64 bytes, below 1Mi: without a unit a quantity counts bytes (did you mean "64Mi"?), got "64"',
            ]);
            expectProblem({ postgresql: { persistence: { size: "100k" } } }, "postgresql.persistence.size", /is 100000 bytes, below 1Mi, got "100k"$/);
            expectProblem({ emqx: { persistence: { size: "2048" } } }, "emqx.persistence.size", /did you mean "2048Mi"/);
            // A stream's byte limit is not a memory or volume size: small ones are legitimate.
            const small = { name: "SMALL", subjects: ["small.>"], maxBytes: "512Ki" };
            expect(problems({ natsInit: { streams: [small], consumers: [] } })).to.deep.equal([]);
        });

        it("a TLS host that no ingress rule serves", () => {
            expectProblem(
                { ingress: { hosts: [{ host: "pulse.example.com" }], tls: [{ secretName: "t", hosts: ["pulse.example.com", "other.example.com"] }] } },
                "ingress.tls[0].hosts[1]",
                /is not one of ingress.hosts \(pulse.example.com\)/,
            );
            // A wildcard rule serves the hosts one label below it; a wildcard certificate covers them.
            expect(problems({ ingress: { hosts: [{ host: "*.example.com" }], tls: [{ secretName: "t", hosts: ["a.example.com"] }] } })).to.deep.equal([]);
            expectProblem(
                { ingress: { hosts: [{ host: "*.example.com" }], tls: [{ secretName: "t", hosts: ["a.b.example.com"] }] } },
                "ingress.tls[0].hosts[0]",
                /is not one of ingress.hosts/,
            );
            // A wildcard certificate covers the hosts one label below it.
            expect(problems({ ingress: { hosts: [{ host: "a.example.com" }], tls: [{ secretName: "t", hosts: ["*.example.com"] }] } })).to.deep.equal([]);
        });

        it("an ingress class whose controller namespace the NetworkPolicies cannot know", () => {
            expectProblem({ ingress: { className: "traefik" } }, "networkPolicy.ingressController.namespace", /is required with ingress.className "traefik"/);
            expect(problems({ ingress: { className: "traefik" }, networkPolicy: { ingressController: { namespace: "traefik" } } })).to.deep.equal([]);
            expect(problems({ ingress: { className: "traefik" }, networkPolicy: { enabled: false } })).to.deep.equal([]);
            // The entry points' policy admits the controller even when this program creates no Ingress.
            expectProblem(
                { ingress: { enabled: false, className: "traefik" } },
                "networkPolicy.ingressController.namespace",
                /is required with ingress.className "traefik"/,
            );
            // Only the table's own entries are known: not Object.prototype's (an empty selector would admit every namespace).
            expectProblem(
                { ingress: { className: "constructor" } },
                "networkPolicy.ingressController.namespace",
                /is required with ingress.className "constructor"/,
            );
        });

        it("chart versions that are not exact", () => {
            expectProblem({ emqx: { chart: { version: "5.8.*" } } }, "emqx.chart.version", /exact chart version.*got "5.8.\*"/);
            expectProblem({ nats: { chart: { repository: "nats-io.github.io/k8s" } } }, "nats.chart.repository", /https:\/\/ chart repository or an oci:\/\//);
        });

        it("more than one replica, or autoscaling, of a service that runs once at most; a secret in a section's env", () => {
            expectProblem({ ui: { replicaCount: 2 } }, "ui.replicaCount", /must be 0 or 1: ui runs once at most \(its MQTT client id is fixed\)/);
            expectProblem({ evaluator: { autoscaling: { enabled: true } } }, "evaluator.autoscaling.enabled", /must be false: evaluator runs once at most/);
            expectProblem({ mqttNatsBridge: { replicaCount: 3 } }, "mqttNatsBridge.replicaCount", /must be 0 or 1/);
            expect(problems({ routeDelivery: { replicaCount: 4 }, ui: { replicaCount: 0 } })).to.deep.equal([]);
            const leak = problems({ ingest: { env: { PG_PASS: "hunter2" } } });
            expect(leak).to.have.length(1);
            expect(leak[0]).to.match(/^pulse:ingest.env.PG_PASS: is a secret: it comes from its Secret/);
            expect(leak[0]).not.to.include("hunter2");
        });

        it("chart sources: a local path with repository settings, half a client certificate, a missing or wrong local chart", () => {
            expectProblem(
                { nats: { chart: { path: path.join(__dirname, "fixtures", "charts", "nats-1.2.11"), username: "robot" } } },
                "nats.chart.username",
                /applies to a repository, not to a local chart `path`/,
            );
            expectProblem({ emqx: { chart: { certFile: "client.pem" } } }, "emqx.chart.keyFile", /certFile and keyFile go together/);
            expectProblem(
                { nats: { chart: { path: "no/such/chart" } } },
                "nats.chart.path",
                /must be a chart directory or a .tgz archive, got no such file: no\/such\/chart/,
            );
            const standIns = path.join(__dirname, "fixtures", "charts");
            expectProblem({ nats: { chart: { path: path.join(standIns, "emqx-5.8.9") } } }, "nats.chart.path", /holds chart "emqx", not "nats"/);
            expectProblem(
                { nats: { chart: { path: path.join(standIns, "nats-1.2.11"), version: "1.2.10" } } },
                "nats.chart.version",
                /must match the local chart's version 1.2.11/,
            );
            expectProblem({ nats: { chart: { caFile: "/no/such/ca.pem" } } }, "nats.chart.caFile", /no such file/);
            // A switched-off chart's source is not checked; a good local chart passes.
            expect(problems({ nats: { enabled: false, externalUrl: "nats://nats.example.com:4222", chart: { path: "no/such/chart" } } })).to.deep.equal([]);
            expect(problems({ nats: { chart: { path: path.join(standIns, "nats-1.2.11") } } })).to.deep.equal([]);
        });

        it("a packaged chart (.tgz) that is not the pinned chart and version, or no chart at all", () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-chart-"));
            const archive = (name: string, files: Record<string, string>) => {
                const file = path.join(dir, name);
                fs.writeFileSync(file, zlib.gzipSync(tar(files)));
                return file;
            };
            const good = archive("nats-1.2.11.tgz", { "nats/Chart.yaml": "name: nats\nversion: 1.2.11\n", "nats/values.yaml": "{}\n" });
            expect(problems({ nats: { chart: { path: good } } })).to.deep.equal([]);
            const older = archive("nats-old.tgz", { "nats/values.yaml": "{}\n", "nats/Chart.yaml": "name: nats\nversion: 1.2.10\n" });
            expectProblem({ nats: { chart: { path: older } } }, "nats.chart.version", /must match the local chart's version 1.2.10/);
            const other = archive("emqx.tgz", { "emqx/Chart.yaml": "name: emqx\nversion: 1.2.11\n" });
            expectProblem({ nats: { chart: { path: other } } }, "nats.chart.path", /holds chart "emqx", not "nats"/);
            const junk = path.join(dir, "junk.tgz");
            fs.writeFileSync(junk, "not gzip");
            expectProblem({ nats: { chart: { path: junk } } }, "nats.chart.path", /holds no readable Chart.yaml/);
            expectProblem(
                { nats: { chart: { path: path.join(dir, "nats.zip") } } },
                "nats.chart.path",
                /must be a chart directory or a .tgz archive, got no such file/,
            );
        });

        it("chart repositories: https or oci only, credentials never in the URL, no TLS files for oci://", () => {
            expectProblem(
                { nats: { chart: { repository: "http://charts.example.com" } } },
                "nats.chart.repository",
                /https:\/\/ chart repository or an oci:\/\//,
            );
            expectProblem(
                { nats: { chart: { repository: "https://robot:s3cret@charts.example.com" } } },
                "nats.chart.repository",
                /must not carry credentials/,
            );
            expectProblem({ postgresql: { chart: { caFile: "ca.pem" } } }, "postgresql.chart.caFile", /is not used for an oci:\/\/ registry/);
        });

        it("a private chart repository's password: required with a user, refused without one", () => {
            const missing = problems({ postgresql: { chart: { username: "robot" } }, nats: { chart: { username: "robot" } } });
            expect(missing).to.have.length(1);
            expect(missing[0]).to.match(/^pulse:chartRepositoryPassword: is required by pulse:postgresql.chart.username, pulse:nats.chart.username/);
            expect(problems({ nats: { chart: { username: "robot" } }, chartRepositoryPassword: "s3cret" }, ["chartRepositoryPassword"])).to.deep.equal([]);
            const unused = problems({ chartRepositoryPassword: "s3cret" }, ["chartRepositoryPassword"]);
            expect(unused).to.have.length(1);
            expect(unused[0]).to.match(/^pulse:chartRepositoryPassword: is not used/);
            // With externally managed Kubernetes Secrets, the repository's password is still Pulumi's to hold.
            expect(
                problems({ secrets: { external: true }, nats: { chart: { username: "robot" } }, chartRepositoryPassword: "s3cret" }, [
                    "chartRepositoryPassword",
                ]),
            ).to.deep.equal([]);
        });

        it("an external broker or NATS without its endpoint, or a malformed one", () => {
            expectProblem({ emqx: { enabled: false } }, "emqx.externalHost", /is required when emqx.enabled is false/);
            expectProblem({ nats: { enabled: false } }, "nats.externalUrl", /is required when nats.enabled is false/);
            expectProblem({ nats: { enabled: false, externalUrl: "http://nats:4222" } }, "nats.externalUrl", /must be a NATS URL/);
            expectProblem({ nats: { enabled: false, externalUrl: "nats://nats:99999" } }, "nats.externalUrl", /must be a NATS URL/);
            expect(
                problems({ nats: { enabled: false, externalUrl: "tls://nats.example.com:4222" }, emqx: { enabled: false, externalHost: "mqtt.example.com" } }),
            ).to.deep.equal([]);
        });

        it("JetStream without any store", () => {
            expectProblem(
                { nats: { jetstream: { memoryStore: { enabled: false }, fileStore: { enabled: false } } }, natsInit: { streams: [], consumers: [] } },
                "nats.jetstream.fileStore.enabled",
                /JetStream needs a store/,
            );
        });

        it("an ingress path to a disabled service, or to Keycloak outside its relative path", () => {
            expectProblem(
                { ingress: { hosts: [{ host: "a.example.com", paths: [{ path: "/", service: "caddy" }] }] } },
                "ingress.hosts[0].paths[0].service",
                /routes to caddy, which is disabled/,
            );
            expectProblem(
                { keycloak: { httpRelativePath: "/auth" }, ingress: { hosts: [{ host: "a.example.com", paths: [{ path: "/sso", service: "keycloak" }] }] } },
                "ingress.hosts[0].paths[0].path",
                /keycloak.httpRelativePath \(\/auth\)/,
            );
        });

        it("keycloak.enabled false without a valid issuer, external keys with Keycloak on, a route to a disabled Keycloak", () => {
            const off = (external: object, extra: object = {}) => ({ keycloak: { enabled: false, external }, ...extra });
            const issuerUrl = "https://id.example.com/realms/pulse";
            expect(problems(off({ issuerUrl }))).to.deep.equal([]);
            expect(problems(off({ issuerUrl: "https://id.example.com:8443/auth/realms/acme" }))).to.deep.equal([]);
            expectProblem(off({}), "keycloak.external.issuerUrl", /is required when keycloak.enabled is false/);
            expectProblem(off({ issuerUrl: "http://id.example.com/realms/pulse" }), "keycloak.external.issuerUrl", /must be an https URL/);
            expectProblem(
                off({ issuerUrl: "https://id.example.com" }),
                "keycloak.external.issuerUrl",
                /Keycloak realm, https:\/\/<host>\[\/<path>\]\/realms\/<realm>/,
            );
            expectProblem(off({ issuerUrl: "https://id.example.com/realms/pulse/" }), "keycloak.external.issuerUrl", /Keycloak realm/);
            expectProblem(off({ issuerUrl: "id.example.com/realms/pulse" }), "keycloak.external.issuerUrl", /Keycloak realm/);
            expectProblem(off({ issuerUrl, jwksUri: "http://id.example.com/certs" }), "keycloak.external.jwksUri", /must be an https URL/);
            expectProblem(off({ issuerUrl, internalUrl: "ftp://id.example.com" }), "keycloak.external.internalUrl", /must be an http\(s\) URL/);
            expectProblem({ keycloak: { external: { issuerUrl } } }, "keycloak.external.issuerUrl", /used only when keycloak.enabled is false/);
            expectProblem(
                off({ issuerUrl }, { ingress: { hosts: [{ host: "a.example.com", paths: [{ path: "/realms", service: "keycloak" }, { path: "/" }] }] } }),
                "ingress.hosts[0].paths[0].service",
                /routes to keycloak, which is disabled \(keycloak.enabled is false/,
            );
        });

        it("a realm ConfigMap Keycloak would not import, or a bad key", () => {
            expect(problems({ keycloak: { realm: { configMap: "acme-realm", key: "acme.json" } } })).to.deep.equal([]);
            expectProblem(
                { keycloak: { enabled: false, external: { issuerUrl: "https://id.example.com/realms/pulse" }, realm: { configMap: "acme-realm" } } },
                "keycloak.realm.configMap",
                /not used when keycloak.enabled is false/,
            );
            expectProblem({ keycloak: { realmImport: false, realm: { configMap: "acme-realm" } } }, "keycloak.realm.configMap", /realmImport is false/);
            expectProblem({ keycloak: { realm: { configMap: "Acme_Realm" } } }, "keycloak.realm.configMap", /must be a ConfigMap name/);
            expectProblem({ keycloak: { realm: { configMap: "acme-realm", key: "realm/acme.json" } } }, "keycloak.realm.key", /must be a ConfigMap key/);
        });

        it("bad JetStream stream definitions", () => {
            const streams = (s: object) => ({ natsInit: { streams: [{ name: "TELEMETRY", subjects: ["telemetry.>"], ...s }], consumers: [] } });
            expectProblem(streams({ name: "bad.name" }), "natsInit.streams[0].name", /must be a stream name/);
            expectProblem(streams({ subjects: [] }), "natsInit.streams[0].subjects", /at least one subject/);
            expectProblem(streams({ subjects: ["a.>.b"] }), "natsInit.streams[0].subjects[0]", /NATS subject/);
            expectProblem(streams({ maxAge: "3 days" }), "natsInit.streams[0].maxAge", /duration such as/);
            expectProblem(streams({ replicas: 3 }), "natsInit.streams[0].replicas", /must be <= nats.replicaCount \(1\)/);
            expectProblem(
                {
                    natsInit: {
                        streams: [
                            { name: "A", subjects: ["a"] },
                            { name: "A", subjects: ["b"] },
                        ],
                        consumers: [],
                    },
                },
                "natsInit.streams[1].name",
                /is declared twice/,
            );
            expect(problems({ nats: { replicaCount: 3 }, ...streams({ replicas: 3, subjects: ["devices.*.status", "telemetry.>"] }) })).to.deep.equal([]);
        });

        it("a consumer on a stream that is not declared, or twice; streams that reserve more than the JetStream store holds", () => {
            const consumers = (c: object[]) => ({ natsInit: { streams: [{ name: "TELEMETRY", subjects: ["telemetry.>"] }], consumers: c } });
            expectProblem(consumers([{ name: "w", stream: "EVENTS" }]), "natsInit.consumers[0].stream", /is not one of natsInit.streams \(TELEMETRY\)/);
            expectProblem(
                consumers([
                    { name: "w", stream: "TELEMETRY" },
                    { name: "w", stream: "TELEMETRY" },
                ]),
                "natsInit.consumers[1].name",
                /declared twice on stream TELEMETRY/,
            );
            // Pulse's four streams reserve 2Gi of file store.
            expectProblem(
                { nats: { jetstream: { fileStore: { size: "1Gi" } } } },
                "nats.jetstream.fileStore.size",
                /must hold the file streams' reserved max bytes \(2Gi in natsInit.streams\)/,
            );
            expect(problems({ nats: { jetstream: { fileStore: { size: "2Gi" } } } })).to.deep.equal([]);
            const memory = { natsInit: { streams: [{ name: "M", subjects: ["m.>"], storage: "memory", maxBytes: "300Mi" }], consumers: [] } };
            expectProblem(memory, "nats.jetstream.memoryStore.maxSize", /memory streams' reserved max bytes \(300Mi/);
        });

        it("defaults to Pulse's four streams and four pull consumers, as its code declares them", () => {
            const n = config({}).natsInit;
            expect(
                n.streams.map((s) => [s.name, s.subjects[0], s.retention, s.maxAge, s.maxBytes, s.maxMsgsPerSubject, s.storage, s.replicas, s.discard]),
            ).to.deep.equal([
                ["TELEMETRY", "telemetry.>", "limits", "1h", "1Gi", 100000, "file", 1, "old"],
                ["SHADOW", "shadow.>", "limits", "1h", "256Mi", 10000, "file", 1, "old"],
                ["COMMANDS", "commands.>", "limits", "1h", "256Mi", 10000, "file", 1, "old"],
                ["ROUTES", "routes.>", "workqueue", "24h", "512Mi", -1, "file", 1, "old"],
            ]);
            expect(n.streams[0].duplicateWindow).to.equal("2m");
            expect(n.consumers.map((c) => [c.name, c.stream, c.maxDeliver, c.maxAckPending, c.ackWait])).to.deep.equal([
                ["ingest-workers", "TELEMETRY", 3, 1000, "30s"],
                ["ingest-shadow", "SHADOW", 3, 1000, "30s"],
                ["ingest-commands", "COMMANDS", 3, 1000, "30s"],
                ["route-delivery", "ROUTES", -1, 100, "30s"],
            ]);
        });

        it("malformed network policy ranges", () => {
            // Devices' ranges apply to the mutual-TLS listener only.
            const emqx = { deviceTls: { serverCertSecret: "pulse-emqx-tls", deviceCaSecret: "pulse-device-ca" } };
            expectProblem({ emqx, networkPolicy: { mqttClientCidrs: ["10.0.0.0"] } }, "networkPolicy.mqttClientCidrs[0]", /must be a CIDR/);
            // Ranges the API server would refuse: prefix beyond the family's width, octets out of range, leading zeros.
            expectProblem(
                { emqx, networkPolicy: { mqttClientCidrs: ["10.0.0.0/33"] } },
                "networkPolicy.mqttClientCidrs[0]",
                /IPv4 prefix length is at most 32, not 33/,
            );
            expectProblem(
                { networkPolicy: { internet: { cidrs: ["999.1.1.1/8"] } } },
                "networkPolicy.internet.cidrs[0]",
                /999.1.1.1 is not an IPv4 or IPv6 address/,
            );
            expectProblem({ networkPolicy: { apiServerCidrs: ["010.0.0.1/32"] } }, "networkPolicy.apiServerCidrs[0]", /not an IPv4 or IPv6 address/);
            expectProblem(
                { networkPolicy: { internet: { except: ["2001:db8::/129"] } } },
                "networkPolicy.internet.except[0]",
                /IPv6 prefix length is at most 128/,
            );
            expect(problems({ emqx, networkPolicy: { mqttClientCidrs: ["10.0.0.0/8", "2001:db8::/32", "0.0.0.0/0"] } })).to.deep.equal([]);
            // An exception must lie strictly inside a range it excepts from, or it would silently exclude nothing.
            expectProblem(
                { networkPolicy: { internet: { cidrs: ["10.0.0.0/8"], except: ["10.0.0.0/8"] } } },
                "networkPolicy.internet.except[0]",
                /must lie strictly inside one of internet.cidrs \(10.0.0.0\/8\), or it excludes nothing/,
            );
            expectProblem(
                { networkPolicy: { internet: { cidrs: ["203.0.113.0/24"], except: ["10.0.0.0/8"] } } },
                "networkPolicy.internet.except[0]",
                /must lie strictly inside/,
            );
            // The default private ranges apply where a range contains them: a narrow public range needs none.
            expect(problems({ networkPolicy: { internet: { cidrs: ["203.0.113.0/24"] } } })).to.deep.equal([]);
        });

        it("a Job timeout that does not exceed its deadline", () => {
            expectProblem(
                { migrator: { activeDeadlineSeconds: 1800, timeoutSeconds: 1200 } },
                "migrator.timeoutSeconds",
                /must exceed activeDeadlineSeconds \(1800\)/,
            );
        });

        it("lists every problem at once, not only the first", () => {
            const found = problems({
                ingest: { replicaCount: -1, replicaCout: 1 },
                ui: { resources: { limits: { memory: "512Mx" } } },
                postgresql: { enabled: false },
                nosuchsection: {},
            });
            expect(found.map((p) => p.split(": ")[0])).to.have.members([
                "pulse:ingest.replicaCount",
                "pulse:ingest.replicaCout",
                "pulse:ui.resources.limits.memory",
                "pulse:externalDatabase.enabled",
                "pulse:nosuchsection",
            ]);
        });

        it("accepts a valid config (the checks are not rejecting everything)", () => {
            const valid = {
                ingest: { replicaCount: 0 },
                postgresql: { enabled: false },
                externalDatabase: { enabled: true, host: "db.example.com" },
                dbPassword: "pw",
                keycloakDbPassword: "kc",
            };
            expect(problems(valid, ["dbPassword", "keycloakDbPassword"])).to.deep.equal([]);
        });
    });

    describe("secrets", () => {
        it("reads the secret keys as secret values", () => {
            const parsed = parseStackConfig({
                values: { "pulse:dbPassword": "s3cret", "pulse:app": JSON.stringify({ environment: "development" }) },
                secretKeys: new Set(["pulse:dbPassword"]),
            });
            expect(parsed.secretValues).to.deep.equal({ dbPassword: "s3cret" });
        });

        it("rejects a secret key stored in plain text, without echoing the value", () => {
            for (const key of Object.keys(SECRET_KEYS)) {
                const found = problems({ [key]: "hunter2" });
                expect(found).to.have.length(1);
                expect(found[0]).to.match(new RegExp(`^pulse:${key}: is a secret; set it with \`pulumi config set --secret`));
                expect(found[0]).not.to.include("hunter2");
            }
        });

        it("rejects a secret value inside a section: secrets are separate keys", () => {
            const found = problems({ keycloak: { replicaCount: 1 } }, ["keycloak"]);
            expect(found).to.have.length(1);
            expect(found[0]).to.match(/^pulse:keycloak: holds a secret value; secrets are separate keys/);
        });

        it("requires pulse:dbPassword and pulse:keycloakDbPassword for an external database: they cannot be generated", () => {
            const found = problems({ postgresql: { enabled: false }, externalDatabase: { enabled: true, host: "db.example.com" } });
            expect(found).to.have.length(2);
            expect(found[0]).to.match(/^pulse:dbPassword: is required with externalDatabase.enabled/);
            expect(found[1]).to.match(/^pulse:keycloakDbPassword: is required with externalDatabase.enabled/);
        });

        it("rejects Keycloak's secrets when Keycloak is not deployed; an external database then needs only pulse:dbPassword", () => {
            const off = { keycloak: { enabled: false, external: { issuerUrl: "https://id.example.com/realms/pulse" } } };
            const found = problems({ ...off, keycloakAdminPassword: "x", keycloakDbPassword: "y" }, ["keycloakAdminPassword", "keycloakDbPassword"]);
            expect(found).to.have.length(2);
            expect(found[0]).to.match(/^pulse:keycloakAdminPassword: is not used when keycloak.enabled is false/);
            expect(found[1]).to.match(/^pulse:keycloakDbPassword: is not used when keycloak.enabled is false/);
            expect(found.join("\n")).not.to.match(/: x|: y/);
            // With Keycloak on they are fine.
            expect(problems({ keycloakAdminPassword: "x", keycloakDbPassword: "y" }, ["keycloakAdminPassword", "keycloakDbPassword"])).to.deep.equal([]);
            const external = { postgresql: { enabled: false }, externalDatabase: { enabled: true, host: "db.example.com" } };
            expect(problems({ ...off, ...external, dbPassword: "x" }, ["dbPassword"])).to.deep.equal([]);
        });

        it("rejects secret keys that secrets.external makes unused, and EMQX's default password", () => {
            const unused = problems({ secrets: { external: true }, dbPassword: "x" }, ["dbPassword"]);
            expect(unused).to.have.length(1);
            expect(unused[0]).to.match(/^pulse:dbPassword: is not used when pulse:secrets.external is true/);
            const weak = problems({ emqxDashboardPassword: "public" }, ["emqxDashboardPassword"]);
            expect(weak).to.have.length(1);
            expect(weak[0]).to.match(/^pulse:emqxDashboardPassword: must not be EMQX's well-known default/);
        });

        it("requires the S3, SMTP and Stripe secrets in production, and ADMIN_KEY of 32 characters at least", () => {
            // Everything else production needs (TLS, SMTP) is configured: the secrets are what is missing.
            const browser = {
                ingress: { hosts: [{ host: "pulse.example.com" }], tls: [{ secretName: "pulse-tls", hosts: ["pulse.example.com"] }] },
                smtp: { host: "smtp.example.com", from: "pulse@example.com" },
            };
            const prod = problems({ app: { environment: "production" }, ...browser });
            expect(prod.map((p) => p.split(": ")[0])).to.deep.equal([
                "pulse:s3AccessKey",
                "pulse:s3SecretKey",
                "pulse:smtpPassword",
                "pulse:stripeSecretKey",
                "pulse:stripeWebhookSecret",
            ]);
            for (const p of prod) expect(p).to.match(/is required with app.environment production/);
            const keys = ["s3AccessKey", "s3SecretKey", "smtpPassword", "stripeSecretKey", "stripeWebhookSecret"];
            expect(problems({ app: { environment: "production" }, ...browser, ...Object.fromEntries(keys.map((k) => [k, "x"])) }, keys)).to.deep.equal([]);
            const short = problems({ adminKey: "too-short" }, ["adminKey"]);
            expect(short).to.deep.equal(["pulse:adminKey: must be at least 32 characters (provision-api refuses a shorter one)"]);
            expect(problems({ adminKey: "k".repeat(32) }, ["adminKey"])).to.deep.equal([]);
        });

        it("ignores other namespaces' keys", () => {
            const parsed = parseStackConfig({
                values: { "kubernetes:context": "kind-pulse", "pulse:app": '{"environment":"development"}' },
                secretKeys: new Set(),
            });
            expect(parsed.config.namespace).to.equal("pulse");
        });
    });

    it("parseQuantity reads the Kubernetes suffixes", () => {
        const cases: [string, number][] = [
            ["250m", 0.25],
            ["1", 1],
            ["512Mi", 512 * 2 ** 20],
            ["2Gi", 2 * 2 ** 30],
            ["1k", 1000],
            ["1e3", 1000],
        ];
        for (const [q, v] of cases) expect(parseQuantity(q), q).to.equal(v);
        expect(parseQuantity("512Mx")).to.equal(undefined);
    });

    it("a typed override compiles against the schema's input type", () => {
        const input: PulseConfigInput = { ingest: { replicaCount: 3 } };
        expect(parseConfig(input).ingest.replicaCount).to.equal(3);
    });
});
