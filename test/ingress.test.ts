import { expect } from "chai";
import { PulseConfig } from "../config";
import { build, buildComponent, config, inputs, one, ofType } from "./helpers";
import { ADDRESS_PUBLISHED, WAIT_FOR_ANNOTATION } from "../lib/awaits";

const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
/** The Ingress alone (the Services it routes to are other components'). */
const ingress = (c: PulseConfig) => buildComponent("ingress", c);

describe("ingress", () => {
    const paths = (ing: { spec: { rules: { host: string; http: { paths: { path: string; backend: { service: { name: string; port: unknown } } }[] } }[] } }) =>
        ing.spec.rules.flatMap((r) => r.http.paths.map((p) => [r.host, p.path, p.backend.service.name, p.backend.service.port]));

    it("routes as Pulse does by default: Keycloak's root paths, ui at /; class nginx, no TLS", async () => {
        const ing = inputs(one((await ingress(config())).resources, INGRESS));
        expect(ing.metadata.name).to.equal("pulse");
        expect(ing.spec.ingressClassName).to.equal("nginx");
        const http = { name: "http" };
        expect(paths(ing)).to.deep.equal([
            ["pulse.example.com", "/realms", "pulse-keycloak", http],
            ["pulse.example.com", "/resources", "pulse-keycloak", http],
            ["pulse.example.com", "/admin", "pulse-keycloak", http],
            ["pulse.example.com", "/js", "pulse-keycloak", http],
            ["pulse.example.com", "/", "pulse-ui", http],
            ["pulse.example.com", "/api/v1/internal", "pulse-edge-blocked", http],
        ]);
        expect(ing.spec).not.to.have.property("tls");
    });

    it("never routes ui's internal endpoints: on every host the longest prefix of /api/v1/internal/* leads to no pod", async () => {
        const c = config({
            ingress: { hosts: [{ host: "a.example.com", paths: [{ path: "/" }, { path: "/api", service: "ui" }] }, { host: "b.example.com" }] },
        });
        const { resources } = await ingress(c);
        const ing = inputs(one(resources, INGRESS));
        for (const rule of ing.spec.rules as { host: string; http: { paths: { path: string; backend: { service: { name: string } } }[] } }[]) {
            const match = rule.http.paths.filter((p) => "/api/v1/internal/mqtt-auth".startsWith(p.path)).sort((x, y) => y.path.length - x.path.length)[0];
            expect(match.backend.service.name, rule.host).to.equal("pulse-edge-blocked");
        }
        const blocked = inputs(one(resources, "kubernetes:core/v1:Service", "pulse-ingress-blocked"));
        expect(blocked.spec).not.to.have.property("selector");
        // Refused in config, too.
        expect(() => config({ ingress: { hosts: [{ host: "a.example.com", paths: [{ path: "/api/v1/internal" }] }] } })).to.throw(
            /must not route ui's internal endpoints/,
        );
    });

    it("routes each configured path to its service, with TLS, annotations and class from config", async () => {
        const c = config({
            ingress: {
                className: "traefik",
                annotations: { "cert-manager.io/cluster-issuer": "letsencrypt" },
                hosts: [
                    { host: "pulse.example.com", paths: [{ path: "/" }, { path: "/auth", service: "keycloak" }] },
                    { host: "devices.example.com", paths: [{ path: "/", service: "provisionApi" }] },
                ],
                tls: [{ secretName: "pulse-tls", hosts: ["pulse.example.com", "devices.example.com"] }],
            },
            networkPolicy: { ingressController: { namespace: "traefik" } },
        });
        const ing = inputs(one((await ingress(c)).resources, INGRESS));
        expect(ing.spec.ingressClassName).to.equal("traefik");
        // The configured annotations, and the await for the controller's address (test/awaits.test.ts).
        expect(ing.metadata.annotations).to.deep.equal({ "cert-manager.io/cluster-issuer": "letsencrypt", [WAIT_FOR_ANNOTATION]: ADDRESS_PUBLISHED });
        expect(paths(ing).filter((p) => p[2] !== "pulse-edge-blocked")).to.deep.equal([
            ["pulse.example.com", "/", "pulse-ui", { name: "http" }],
            ["pulse.example.com", "/auth", "pulse-keycloak", { name: "http" }],
            ["devices.example.com", "/", "pulse-provision-api", { name: "http" }],
        ]);
        expect(ing.spec.tls).to.deep.equal([{ secretName: "pulse-tls", hosts: ["pulse.example.com", "devices.example.com"] }]);
    });

    it("is not created when ingress.enabled is false", async () => {
        expect(ofType((await build(config({ ingress: { enabled: false } }))).resources, INGRESS)).to.have.length(0);
    });

    it("never routes Keycloak's management port: every backend port is the Service's `http`", async () => {
        const c = config({ ingress: { hosts: [{ host: "a.example.com", paths: [{ path: "/auth", service: "keycloak" }] }] } });
        const ing = inputs(one((await ingress(c)).resources, INGRESS));
        expect(JSON.stringify(ing)).not.to.include("9000");
        expect(JSON.stringify(ing)).not.to.include("management");
    });
});
