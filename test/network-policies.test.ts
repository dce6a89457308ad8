import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { compilePolicies, networkPolicyRules, resolveFlows } from "../components/networkPolicies";
import { networkParties } from "../components/networkParties";
import { componentOf, contractOf, INGRESS_BACKENDS, PulseConfig, SERVICE_NAMES, ServiceName } from "../config";
import { RELEASE_KEYS, RELEASES, ReleaseKey } from "../config/releases";
import { selectorLabels } from "../lib/labels";
import { parseTalk, Party, Talk } from "../lib/network";
import { build, config, inputs, ofType, PlainRule } from "./helpers";
import { Endpoint, reaches } from "./reachability";

const plain = (c: PulseConfig): PlainRule[] => JSON.parse(JSON.stringify(networkPolicyRules(c)));
const pulse = (component: string): Endpoint => ({ pod: { ...selectorLabels(component), "app.kubernetes.io/component": component } });
const service = (s: ServiceName) => pulse(componentOf(s));
const release = (key: ReleaseKey, extra: Record<string, string> = {}): Endpoint => ({ pod: { ...RELEASES[key].pods, ...extra } });
const httpPort = (s: ServiceName) => contractOf(s).http?.port;
const deviceTls = { serverCertSecret: "pulse-emqx-tls", deviceCaSecret: "pulse-device-ca" };

/** Every party this repository declares, switched on: each talk must resolve to a party and a port it serves. */
const everything = () =>
    config({
        caddy: { enabled: true },
        smtp: { host: "smtp.example.com", port: 587, security: "starttls" },
        keycloak: { replicaCount: 2 },
        emqx: { deviceTls: { ...deviceTls, websocket: true, crlCheck: true, crlDistributionPoints: ["http://crl.example.com/ca.crl"] } },
        networkPolicy: { mqttClientCidrs: ["10.20.0.0/16"], uiTestChannels: { smtp: ["0.0.0.0/0"], snmp: ["10.50.0.0/16"], mqtt: ["10.60.0.0/16"] } },
    });

/**
 * What the code's environment says a service connects to (config/services.ts `reads`), as the talk it must declare;
 * and the talks no variable names (the address comes from the database or from config).
 */
const TALK_OF_READ: Readonly<Record<string, Talk>> = {
    PG_HOST: "postgresql:postgresql",
    DATABASE_URL: "postgresql:postgresql",
    NATS_URL: "nats:client",
    MQTT_HOST: "emqx:mqtt",
    MQTT_BROKER_URL: "emqx:mqtt",
    EMQX_API_URL: "emqx:api",
    KEYCLOAK_INTERNAL_URL: "keycloak:http",
    INGEST_HEALTH_URL: "ingest:http",
    EVALUATOR_HEALTH_URL: "evaluator:http",
    S3_ENDPOINT: "internet:https",
    STRIPE_SECRET_KEY: "internet:https",
    SMTP_HOST: "internet:smtp",
};
const TALKS_WITHOUT_VARIABLE: Readonly<Partial<Record<ServiceName, readonly Talk[]>>> = {
    // Webhook URLs are routes' settings in the database.
    routeDelivery: ["internet:webhooks"],
    // The test notification channels' addresses are what the user types in.
    ui: ["test-smtp:smtp", "test-snmp:snmp", "test-mqtt:mqtt"],
};

describe("network policies", () => {
    it("deny all ingress and egress in the namespace by default, selecting every pod", () => {
        const deny = plain(config()).find((r) => r.name === "pulse-default-deny");
        expect(deny?.spec).to.deep.equal({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    });

    it("allow DNS to kube-system on 53/UDP and 53/TCP for every pod", () => {
        const rules = plain(config());
        const dns: Endpoint = { pod: { "k8s-app": "kube-dns" }, namespace: "kube-system" };
        for (const protocol of ["UDP", "TCP"]) expect(reaches(rules, service("ingest"), dns, 53, protocol), protocol).to.equal(true);
        expect(reaches(rules, service("ingest"), dns, 80)).to.equal(false);
    });

    it("each service declares exactly what its code connects to (its `reads`), and nothing else", () => {
        for (const s of SERVICE_NAMES) {
            const implied = contractOf(s).reads.flatMap((v) => (TALK_OF_READ[v] ? [TALK_OF_READ[v]] : []));
            const expected = new Set([...implied, ...(TALKS_WITHOUT_VARIABLE[s] ?? [])]);
            expect([...new Set(contractOf(s).talksTo)].sort(), s).to.deep.equal([...expected].sort());
        }
    });

    it("every declared talk names a party and a port that party serves (all parties on)", () => {
        const parties = networkParties(everything());
        const byKey = new Map(parties.map((p) => [p.key, p]));
        for (const p of parties) {
            for (const talk of p.talksTo) {
                const { party, port } = parseTalk(talk);
                const to = byKey.get(party);
                expect(to, `${p.key} talks to ${talk}: no party "${party}"`).not.to.equal(undefined);
                if (port !== "*") expect(Object.keys(to!.ports), `${p.key} talks to ${talk}`).to.include(port);
            }
        }
        // A port the party does not serve is refused by name, not silently closed.
        const bad = parties.map((p): Party => (p.key === "ui" ? { ...p, talksTo: [...p.talksTo, "ingest:htp"] } : p));
        expect(() => resolveFlows(bad)).to.throw(/ui talks to ingest:htp, but ingest serves no port "htp" \(it serves http\)/);
    });

    it("let each service reach exactly the services' and releases' ports it declares", () => {
        for (const c of [config(), everything()]) {
            const rules = plain(c);
            for (const from of SERVICE_NAMES) {
                const talks = new Set<string>(contractOf(from).talksTo);
                for (const to of SERVICE_NAMES) {
                    const port = httpPort(to);
                    if (port !== undefined)
                        expect(reaches(rules, service(from), service(to), port), `${from} -> ${to}:${port}`).to.equal(talks.has(`${to}:http`));
                }
                for (const key of RELEASE_KEYS) {
                    for (const [name, port] of Object.entries(RELEASES[key].ports)) {
                        expect(reaches(rules, service(from), release(key), port), `${from} -> ${key}:${name}`).to.equal(talks.has(`${key}:${name}`));
                    }
                }
            }
        }
    });

    it("let the configured Ingress controller reach only the HTTP entry points, on their ports", () => {
        const c = config({
            caddy: { enabled: true },
            networkPolicy: { ingressController: { namespace: "traefik", podLabels: { "app.kubernetes.io/name": "traefik" } } },
        });
        const rules = plain(c);
        const controller: Endpoint = { pod: { "app.kubernetes.io/name": "traefik" }, namespace: "traefik" };
        const entry = { ui: service("ui"), provisionApi: service("provisionApi"), keycloak: pulse("keycloak"), caddy: pulse("caddy") };
        for (const b of INGRESS_BACKENDS) {
            const port = b === "provisionApi" ? 8081 : 8080;
            expect(reaches(rules, controller, entry[b], port), b).to.equal(true);
            expect(reaches(rules, { ...controller, pod: { app: "other" } }, entry[b], port), `${b} from another pod`).to.equal(false);
            expect(reaches(rules, { ...controller, namespace: "default" }, entry[b], port), `${b} from another namespace`).to.equal(false);
        }
        expect(reaches(rules, controller, service("ingest"), 8080)).to.equal(false);
        expect(reaches(rules, controller, service("ui"), 8081)).to.equal(false);
    });

    it("open the devices' mutual-TLS ports (8883, and wss 8084 with websocket) to the configured ranges only; 1883 and the API to no device", () => {
        const device: Endpoint = { ip: "10.20.3.4" };
        const closed = plain(config({ emqx: { deviceTls } }));
        expect(reaches(closed, device, release("emqx"), 8883)).to.equal(false);
        const open = plain(config({ emqx: { deviceTls }, networkPolicy: { mqttClientCidrs: ["10.20.0.0/16"] } }));
        expect(reaches(open, device, release("emqx"), 8883)).to.equal(true);
        expect(reaches(open, { ip: "10.30.0.1" }, release("emqx"), 8883)).to.equal(false);
        for (const port of [1883, 18083, 8084]) expect(reaches(open, device, release("emqx"), port), String(port)).to.equal(false);
        const wss = plain(config({ emqx: { deviceTls: { ...deviceTls, websocket: true } }, networkPolicy: { mqttClientCidrs: ["10.20.0.0/16"] } }));
        expect(reaches(wss, device, release("emqx"), 8084)).to.equal(true);
    });

    it("let ui test notification channels only where configured: SMTP, SNMP (UDP) and MQTT closed by default", () => {
        expect(reaches(plain(config()), service("ui"), { ip: "10.50.0.1" }, 161, "UDP")).to.equal(false);
        const rules = plain(config({ networkPolicy: { uiTestChannels: { snmp: ["10.50.0.0/16"], smtp: ["0.0.0.0/0"] } } }));
        expect(reaches(rules, service("ui"), { ip: "10.50.0.1" }, 161, "UDP")).to.equal(true);
        expect(reaches(rules, service("ui"), { ip: "10.50.0.1" }, 161, "TCP")).to.equal(false);
        expect(reaches(rules, service("ui"), { ip: "10.60.0.1" }, 161, "UDP")).to.equal(false);
        expect(reaches(rules, service("ui"), { ip: "192.0.2.1" }, 587)).to.equal(true);
        expect(reaches(rules, service("ui"), { ip: "192.0.2.1" }, 1883)).to.equal(false);
        expect(reaches(rules, service("ingest"), { ip: "10.50.0.1" }, 161, "UDP")).to.equal(false);
    });

    it("let EMQX call ui's internal auth endpoints, and no other service's port", () => {
        const rules = plain(config());
        expect(reaches(rules, release("emqx"), service("ui"), 8080)).to.equal(true);
        expect(reaches(rules, release("emqx"), service("ingest"), 8080)).to.equal(false);
        expect(reaches(rules, release("nats"), service("ui"), 8080)).to.equal(false);
    });

    it("let only the services that need the internet reach it, never the private ranges: HTTPS (ui, ops-worker), webhooks, SMTP", () => {
        const c = config({ smtp: { host: "smtp.example.com", port: 465, security: "tls" }, s3: { endpoint: "https://s3.example.com:9443" } });
        const rules = plain(c);
        const internet = { ip: "198.51.100.7" };
        for (const s of ["ui", "opsWorker"] as const) {
            expect(reaches(rules, service(s), internet, 443), s).to.equal(true);
            expect(reaches(rules, service(s), internet, 9443), s).to.equal(true);
            expect(reaches(rules, service(s), { ip: "10.1.2.3" }, 443), `${s} to a private range`).to.equal(false);
        }
        expect(reaches(rules, service("ingest"), internet, 443)).to.equal(false);
        expect(reaches(rules, service("routeDelivery"), internet, 443)).to.equal(true);
        expect(reaches(rules, service("ui"), internet, 80)).to.equal(false);
        for (const smtp of [service("subscriptionWorker"), pulse("keycloak")]) expect(reaches(rules, smtp, internet, 465)).to.equal(true);
        expect(reaches(rules, service("ui"), internet, 465)).to.equal(false);
        expect(reaches(plain(config()), service("subscriptionWorker"), internet, 465)).to.equal(false);
    });

    it("keep in each internet ipBlock only the `except` ranges inside it (the API server refuses the others)", () => {
        const c = config({
            networkPolicy: { internet: { cidrs: ["0.0.0.0/0", "203.0.113.0/24", "10.0.0.0/8", "::/0"], except: ["10.0.0.0/8", "10.1.0.0/16", "fd00::/8"] } },
        });
        const rules = plain(c);
        const blocks = JSON.stringify(rules).match(/"ipBlock":\{[^}]*\}/g) ?? [];
        expect(blocks).to.include('"ipBlock":{"cidr":"0.0.0.0/0","except":["10.0.0.0/8","10.1.0.0/16"]}');
        expect(blocks).to.include('"ipBlock":{"cidr":"203.0.113.0/24"}');
        expect(blocks).to.include('"ipBlock":{"cidr":"10.0.0.0/8","except":["10.1.0.0/16"]}');
        expect(blocks).to.include('"ipBlock":{"cidr":"::/0","except":["fd00::/8"]}');
        expect(reaches(rules, service("ui"), { ip: "10.2.0.1" }, 443)).to.equal(true);
        expect(reaches(rules, service("ui"), { ip: "10.1.0.1" }, 443)).to.equal(false);
        expect(reaches(rules, service("ui"), { ip: "fd00::1" }, 443)).to.equal(false);
        expect(reaches(rules, service("ui"), { ip: "2001:db8::1" }, 443)).to.equal(true);
    });

    it("with external services: egress to their ports anywhere for those that declare them, no release policies", () => {
        // Every release off (a new one too), the three with an external endpoint pointing at it.
        const c = config({
            ...Object.fromEntries(RELEASE_KEYS.map((key) => [key, { enabled: false }])),
            postgresql: { enabled: false },
            externalDatabase: { enabled: true, host: "db.example.com", port: 6432 },
            nats: { enabled: false, externalUrl: "tls://nats.example.com:7422" },
            emqx: { enabled: false, externalHost: "mqtt.example.com", externalPort: 8883 },
        });
        const rules = plain(c);
        for (const key of RELEASE_KEYS) expect(rules.map((r) => r.name)).not.to.include(`pulse-allow-${key}`);
        const managed = { ip: "10.9.8.7" };
        expect(reaches(rules, service("ingest"), managed, 6432)).to.equal(true);
        expect(reaches(rules, service("ingest"), managed, 7422)).to.equal(true);
        expect(reaches(rules, service("ingest"), managed, 8883)).to.equal(false);
        expect(reaches(rules, service("mqttNatsBridge"), managed, 8883)).to.equal(true);
        expect(reaches(rules, service("mqttNatsBridge"), managed, 6432)).to.equal(false);
        expect(reaches(rules, pulse("keycloak"), managed, 6432)).to.equal(true);
    });

    it("let the releases' pods talk among themselves (cluster traffic, replication, backups), and Keycloak's replicas JGroups when clustered", () => {
        const rules = plain(config({ postgresql: { architecture: "replication", backup: { enabled: true } } }));
        expect(reaches(rules, release("nats"), release("nats"), 6222)).to.equal(true);
        expect(reaches(rules, release("emqx"), release("emqx"), 4370)).to.equal(true);
        const pg = (component: string) => release("postgresql", { "app.kubernetes.io/component": component });
        expect(reaches(rules, pg("read"), pg("primary"), 5432)).to.equal(true);
        expect(reaches(rules, pg("pg_dumpall"), pg("primary"), 5432)).to.equal(true);
        expect(reaches(rules, pg("read"), pg("primary"), 8008)).to.equal(false);
        expect(reaches(rules, release("nats"), release("emqx"), 4370)).to.equal(false);
        expect(reaches(plain(config()), pulse("keycloak"), pulse("keycloak"), 7800)).to.equal(false);
        expect(reaches(plain(config({ keycloak: { replicaCount: 2 } })), pulse("keycloak"), pulse("keycloak"), 7800)).to.equal(true);
    });

    it("compile one policy per party in the namespace, with the waiver only on the releases' (their pods are not in the render)", () => {
        const rules = compilePolicies(networkParties(everything()));
        const inNamespace = networkParties(everything()).filter((p) => "pods" in p.place);
        expect(rules.map((r) => r.name)).to.deep.equal(inNamespace.map((p) => `pulse-allow-${p.name}`));
        for (const r of rules) expect(r.annotations !== undefined, r.name).to.equal(RELEASE_KEYS.some((k) => r.name === `pulse-allow-${k}`));
    });

    it("each policy's Pulumi name is the component's and its rule's, and it keeps every name it had as an alias", async () => {
        const policies = ofType((await build(config())).resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy");
        const identity: Record<string, { name: string; aliases: readonly string[] }> = Object.fromEntries(
            policies.map((r) => [inputs(r).metadata.name, { name: r.name, aliases: r.aliases }]),
        );
        // Named like its object until the component's name prefixed it: that name is its alias (no change on upgrade).
        expect(identity["pulse-allow-dns"]).to.deep.equal({ name: "pulse-network-allow-dns", aliases: ["pulse-allow-dns"] });
        for (const [objectName, { name, aliases }] of Object.entries(identity)) {
            expect(name).to.equal(`pulse-network-${objectName.slice("pulse-".length)}`);
            expect(aliases[0], name).to.equal(objectName);
        }
        // Renamed clear of the charts' names before (the object too: a replacement, not a delete and a create): both
        // earlier names stay aliases.
        const renamedTwice = Object.fromEntries(Object.entries(identity).filter(([, r]) => r.aliases.length > 1));
        expect(renamedTwice).to.deep.equal({
            "pulse-allow-postgresql": { name: "pulse-network-allow-postgresql", aliases: ["pulse-allow-postgresql", "pulse-postgresql"] },
            "pulse-allow-nats": { name: "pulse-network-allow-nats", aliases: ["pulse-allow-nats", "pulse-nats"] },
            "pulse-allow-emqx": { name: "pulse-network-allow-emqx", aliases: ["pulse-allow-emqx", "pulse-emqx"] },
        });
    });

    it("are created in the namespace, and not at all with networkPolicy.enabled false", async () => {
        const on = ofType((await build(config())).resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy");
        expect(on.map((r) => inputs(r).metadata.name)).to.include("pulse-default-deny");
        for (const r of on) expect(inputs(r).metadata.namespace).to.equal("pulse");
        const off = (await build(config({ networkPolicy: { enabled: false } }), { dbPassword: pulumi.secret("x") })).resources;
        expect(ofType(off, "kubernetes:networking.k8s.io/v1:NetworkPolicy")).to.have.length(0);
    });
});
