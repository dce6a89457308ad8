import { expect } from "chai";
import { build, config, inputs, one, ofType } from "./helpers";

const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";

describe("ingress", () => {
    it("routes ui at / by default with class nginx and no TLS", async () => {
        const ing = inputs(one((await build(config())).resources, INGRESS));
        expect(ing.metadata.name).to.equal("pulse");
        expect(ing.spec.ingressClassName).to.equal("nginx");
        expect(ing.spec.rules).to.deep.equal([
            {
                host: "pulse.example.com",
                http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "pulse-ui", port: { name: "http" } } } }] },
            },
        ]);
        expect(ing.spec).not.to.have.property("tls");
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
        });
        const ing = inputs(one((await build(c)).resources, INGRESS));
        expect(ing.spec.ingressClassName).to.equal("traefik");
        expect(ing.metadata.annotations).to.deep.equal({ "cert-manager.io/cluster-issuer": "letsencrypt" });
        const backends = ing.spec.rules.flatMap((r: { host: string; http: { paths: { path: string; backend: { service: { name: string; port: unknown } } }[] } }) =>
            r.http.paths.map((p) => [r.host, p.path, p.backend.service.name, p.backend.service.port]),
        );
        expect(backends).to.deep.equal([
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
        const ing = inputs(one((await build(c)).resources, INGRESS));
        expect(JSON.stringify(ing)).not.to.include("9000");
        expect(JSON.stringify(ing)).not.to.include("management");
    });
});
