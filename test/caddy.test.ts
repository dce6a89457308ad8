import { expect } from "chai";
import { caddyfile } from "../components/caddy";
import { routes } from "../lib/routes";
import { buildComponent, config, inputs, one, ofType } from "./helpers";

const withCaddy = (extra = {}) =>
    config({
        caddy: { enabled: true },
        ingress: {
            hosts: [
                { host: "pulse.example.com", paths: [{ path: "/" }, { path: "/auth", service: "keycloak" }, { path: "/provision", service: "provisionApi" }] },
            ],
        },
        ...extra,
    });

describe("caddy", () => {
    it("is off by default, as in the spec", async () => {
        const { resources } = await buildComponent("caddy", config());
        expect(ofType(resources, "pulse:caddy:Caddy")).to.have.length(0);
    });

    it("routes to Keycloak, provision-api and ui, most specific path first, and answers /healthz", () => {
        const file = caddyfile(routes(withCaddy()));
        expect(file).to.include("admin off").and.include("auto_https off").and.include("persist_config off");
        expect(file).to.include(":8080 {");
        const order = [
            "handle /healthz",
            "handle /provision* {\n\t\treverse_proxy pulse-provision-api:8081",
            "handle /auth* {\n\t\treverse_proxy pulse-keycloak:8080",
            "handle {\n\t\treverse_proxy pulse-ui:8080",
        ].map((s) => file.indexOf(s));
        for (const i of order) expect(i).to.be.greaterThan(-1);
        expect([...order].sort((a, b) => a - b)).to.deep.equal(order);
        expect(file).not.to.include("9000");
    });

    it("proxies to each service's own port (provision-api listens on 8081)", () => {
        const file = caddyfile(routes(withCaddy()));
        expect(file).to.include("reverse_proxy pulse-ui:8080").and.include("reverse_proxy pulse-provision-api:8081");
    });

    it("mounts the generated Caddyfile, rolls on change, runs non-root on 8080 with NET_BIND_SERVICE only", async () => {
        const { resources } = await buildComponent("caddy", withCaddy());
        const cm = inputs(one(resources, "kubernetes:core/v1:ConfigMap", "pulse-caddy-caddyfile"));
        expect(cm.data.Caddyfile).to.equal(caddyfile(routes(withCaddy())));
        const d = inputs(one(resources, "kubernetes:apps/v1:Deployment", "pulse-caddy-workload-deployment"));
        const pod = d.spec.template.spec;
        const c = pod.containers[0];
        expect(c.image).to.equal("docker.io/library/caddy:2.10.2");
        expect(c.ports).to.deep.equal([{ name: "http", containerPort: 8080, protocol: "TCP" }]);
        expect(c.securityContext.capabilities).to.deep.equal({ drop: ["ALL"], add: ["NET_BIND_SERVICE"] });
        expect(c.securityContext).to.deep.include({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
        expect(c.volumeMounts).to.deep.include.members([
            { name: "caddyfile", mountPath: "/etc/caddy", readOnly: true },
            { name: "data", mountPath: "/data" },
            { name: "config", mountPath: "/config" },
            { name: "tmp", mountPath: "/tmp" },
        ]);
        expect(c.readinessProbe.httpGet).to.deep.equal({ path: "/healthz", port: "http" });
        const hash = d.spec.template.metadata.annotations["checksum/caddyfile"];
        const other = await buildComponent("caddy", withCaddy({ ingress: { hosts: [{ host: "pulse.example.com", paths: [{ path: "/" }] }] } }));
        const hash2 = inputs(one(other.resources, "kubernetes:apps/v1:Deployment", "pulse-caddy-workload-deployment")).spec.template.metadata.annotations[
            "checksum/caddyfile"
        ];
        expect(hash)
            .to.match(/^[0-9a-f]{64}$/)
            .and.not.equal(hash2);
    });

    it("has a ClusterIP Service unless another type is configured", async () => {
        const svc = (c: ReturnType<typeof config>) =>
            buildComponent("caddy", c).then(({ resources }) => inputs(one(resources, "kubernetes:core/v1:Service", "pulse-caddy-workload-service")));
        expect((await svc(withCaddy())).spec.type).to.equal("ClusterIP");
        expect((await svc(withCaddy({ caddy: { enabled: true, serviceType: "LoadBalancer" } }))).spec.type).to.equal("LoadBalancer");
    });
});
