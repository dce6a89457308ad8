import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { networkPolicyRules, NetworkPolicyRule } from "../components/networkPolicies";
import { build, config, inputs, ofType } from "./helpers";

const rule = (rules: NetworkPolicyRule[], name: string) => {
    const r = rules.find((x) => x.name === name);
    if (!r) throw new Error(`no NetworkPolicy ${name}: ${rules.map((x) => x.name).join(", ")}`);
    return JSON.parse(JSON.stringify(r.spec));
};

describe("network policies", () => {
    it("deny all ingress and egress in the namespace by default, selecting every pod", () => {
        const deny = rule(networkPolicyRules(config()), "pulse-default-deny");
        expect(deny).to.deep.equal({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    });

    it("allow DNS to kube-system on 53/UDP and 53/TCP for every pod", () => {
        const dns = rule(networkPolicyRules(config()), "pulse-allow-dns");
        expect(dns.podSelector).to.deep.equal({});
        expect(dns.egress[0].to[0].namespaceSelector.matchLabels).to.deep.equal({ "kubernetes.io/metadata.name": "kube-system" });
        expect(dns.egress[0].ports).to.deep.equal([
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
        ]);
    });

    it("let the configured Ingress controller reach only the HTTP entry points, on their ports", () => {
        const c = config({ networkPolicy: { ingressController: { namespace: "traefik", podLabels: { "app.kubernetes.io/name": "traefik" } } } });
        const entry = rule(networkPolicyRules(c), "pulse-allow-http-entry");
        expect(entry.podSelector.matchExpressions[0].values).to.have.members(["pulse-ui", "pulse-provision-api", "pulse-keycloak", "pulse-caddy"]);
        expect(entry.ingress).to.deep.equal([
            {
                from: [
                    {
                        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "traefik" } },
                        podSelector: { matchLabels: { "app.kubernetes.io/name": "traefik" } },
                    },
                ],
                ports: [
                    { protocol: "TCP", port: 8080 },
                    { protocol: "TCP", port: 8081 },
                ],
            },
        ]);
    });

    it("open the HTTP ports the services' contracts declare, not a fixed 8080 (provision-api listens on 8081)", () => {
        const rules = networkPolicyRules(config());
        const entry = rule(rules, "pulse-allow-http-entry");
        expect(entry.ingress[0].ports).to.deep.equal([
            { protocol: "TCP", port: 8080 },
            { protocol: "TCP", port: 8081 },
        ]);
        const apps = rule(rules, "pulse-apps");
        expect(apps.ingress[0].ports.map((p: { port: number }) => p.port)).to.deep.equal([8080, 8081]);
        expect(apps.egress[0].ports.map((p: { port: number }) => p.port)).to.deep.equal([8080, 8081]);
    });

    it("let Pulse's pods reach PostgreSQL, NATS and EMQX in-cluster, and those accept only Pulse's pods (and their own)", () => {
        const rules = networkPolicyRules(config());
        const apps = rule(rules, "pulse-apps");
        const targets = apps.egress.map((e: { to: { podSelector?: { matchLabels: Record<string, string> } }[]; ports: { port: number }[] }) => [
            e.to[0].podSelector?.matchLabels["app.kubernetes.io/instance"],
            e.ports[0].port,
        ]);
        expect(targets).to.deep.include.members([
            ["pulse-postgresql", 5432],
            ["pulse-nats", 4222],
            ["pulse-emqx", 1883],
            ["pulse", 8080],
        ]);
        const pg = rule(rules, "pulse-allow-postgresql");
        expect(pg.ingress).to.deep.equal([
            { from: [{ podSelector: { matchLabels: { "app.kubernetes.io/instance": "pulse" } } }], ports: [{ protocol: "TCP", port: 5432 }] },
        ]);
        expect(rule(rules, "pulse-allow-nats").ingress[1]).to.deep.equal({
            from: [{ podSelector: { matchLabels: { "app.kubernetes.io/instance": "pulse-nats" } } }],
        });
    });

    it("open only the devices' mutual-TLS ports (8883, and wss 8084 with websocket) to the configured client ranges; 1883 and the API to Pulse's pods", () => {
        const closed = rule(networkPolicyRules(config()), "pulse-allow-emqx");
        expect(JSON.stringify(closed.ingress)).not.to.include("ipBlock");
        expect(closed.ingress[0]).to.deep.equal({
            from: [{ podSelector: { matchLabels: { "app.kubernetes.io/instance": "pulse" } } }],
            ports: [
                { protocol: "TCP", port: 1883 },
                { protocol: "TCP", port: 18083 },
            ],
        });
        const deviceTls = { serverCertSecret: "pulse-emqx-tls", deviceCaSecret: "pulse-device-ca" };
        const open = rule(networkPolicyRules(config({ emqx: { deviceTls }, networkPolicy: { mqttClientCidrs: ["10.20.0.0/16"] } })), "pulse-allow-emqx");
        expect(open.ingress).to.deep.include({ from: [{ ipBlock: { cidr: "10.20.0.0/16" } }], ports: [{ protocol: "TCP", port: 8883 }] });
        const wss = config({ emqx: { deviceTls: { ...deviceTls, websocket: true } }, networkPolicy: { mqttClientCidrs: ["10.20.0.0/16"] } });
        expect(rule(networkPolicyRules(wss), "pulse-allow-emqx").ingress).to.deep.include({
            from: [{ ipBlock: { cidr: "10.20.0.0/16" } }],
            ports: [
                { protocol: "TCP", port: 8883 },
                { protocol: "TCP", port: 8084 },
            ],
        });
    });

    it("let ui test notification channels only where configured: SMTP, SNMP (UDP) and MQTT closed by default", () => {
        expect(networkPolicyRules(config()).map((r) => r.name)).not.to.include("pulse-allow-ui-test-channels");
        const c = config({ networkPolicy: { uiTestChannels: { snmp: ["10.50.0.0/16"], smtp: ["0.0.0.0/0"] } } });
        const r = rule(networkPolicyRules(c), "pulse-allow-ui-test-channels");
        expect(r.podSelector).to.deep.equal({ matchLabels: { "app.kubernetes.io/name": "pulse-ui", "app.kubernetes.io/instance": "pulse" } });
        expect(r.egress).to.deep.equal([
            {
                to: [{ ipBlock: { cidr: "0.0.0.0/0" } }],
                ports: [
                    { protocol: "TCP", port: 25 },
                    { protocol: "TCP", port: 465 },
                    { protocol: "TCP", port: 587 },
                ],
            },
            {
                to: [{ ipBlock: { cidr: "10.50.0.0/16" } }],
                ports: [
                    { protocol: "UDP", port: 161 },
                    { protocol: "UDP", port: 162 },
                ],
            },
        ]);
    });

    it("let EMQX call ui's internal auth endpoints, and ui accept it", () => {
        const rules = networkPolicyRules(config());
        const ui = { podSelector: { matchLabels: { "app.kubernetes.io/name": "pulse-ui", "app.kubernetes.io/instance": "pulse" } } };
        expect(rule(rules, "pulse-allow-emqx").egress).to.deep.include({ to: [ui], ports: [{ protocol: "TCP", port: 8080 }] });
        const accept = rule(rules, "pulse-allow-emqx-to-ui");
        expect(accept.podSelector).to.deep.equal(ui.podSelector);
        expect(accept.ingress).to.deep.equal([
            { from: [{ podSelector: { matchLabels: { "app.kubernetes.io/instance": "pulse-emqx" } } }], ports: [{ protocol: "TCP", port: 8080 }] },
        ]);
    });

    it("let only the services that need the internet reach it, never the private ranges: HTTPS (ui, ops-worker), webhooks, SMTP", () => {
        const rules = networkPolicyRules(
            config({ smtp: { host: "smtp.example.com", port: 465, security: "tls" }, s3: { endpoint: "https://s3.example.com:9443" } }),
        );
        const https = rule(rules, "pulse-allow-https-out");
        expect(https.podSelector.matchExpressions[0].values).to.deep.equal(["pulse-ui", "pulse-ops-worker"]);
        expect(https.egress[0].ports.map((p: { port: number }) => p.port)).to.deep.equal([443, 9443]);
        expect(https.egress[0].to).to.deep.equal([{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] } }]);
        expect(rule(rules, "pulse-allow-webhooks-out").podSelector.matchExpressions[0].values).to.deep.equal(["pulse-route-delivery"]);
        const smtp = rule(rules, "pulse-allow-smtp-out");
        expect(smtp.podSelector.matchExpressions[0].values).to.deep.equal(["pulse-subscription-worker", "pulse-keycloak"]);
        expect(smtp.egress[0].ports).to.deep.equal([{ protocol: "TCP", port: 465 }]);
        expect(networkPolicyRules(config()).map((r) => r.name)).not.to.include("pulse-allow-smtp-out");
    });

    it("keep in each internet ipBlock only the `except` ranges inside it (the API server refuses the others)", () => {
        const c = config({
            networkPolicy: { internet: { cidrs: ["0.0.0.0/0", "203.0.113.0/24", "10.0.0.0/8", "::/0"], except: ["10.0.0.0/8", "10.1.0.0/16", "fd00::/8"] } },
        });
        expect(rule(networkPolicyRules(c), "pulse-allow-https-out").egress[0].to).to.deep.equal([
            { ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "10.1.0.0/16"] } },
            { ipBlock: { cidr: "203.0.113.0/24" } },
            { ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] } },
            { ipBlock: { cidr: "::/0", except: ["fd00::/8"] } },
        ]);
    });

    it("with external services: egress to their ports anywhere, no release policies", () => {
        const c = config({
            postgresql: { enabled: false },
            externalDatabase: { enabled: true, host: "db.example.com", port: 6432 },
            nats: { enabled: false, externalUrl: "tls://nats.example.com:7422" },
            emqx: { enabled: false, externalHost: "mqtt.example.com", externalPort: 8883 },
        });
        const rules = networkPolicyRules(c);
        for (const name of ["pulse-allow-postgresql", "pulse-allow-nats", "pulse-allow-emqx"]) expect(rules.map((r) => r.name)).not.to.include(name);
        const ports = rule(rules, "pulse-apps").egress.map((e: { ports: { port: number }[] }) => e.ports[0].port);
        expect(ports).to.include.members([6432, 7422, 8883]);
    });

    it("keycloak replicas talk JGroups to each other when clustered", () => {
        expect(networkPolicyRules(config()).map((r) => r.name)).not.to.include("pulse-keycloak-cluster");
        const kc = rule(networkPolicyRules(config({ keycloak: { replicaCount: 2 } })), "pulse-keycloak-cluster");
        expect(kc.ingress[0].ports).to.deep.equal([{ protocol: "TCP", port: 7800 }]);
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
