import { resourceRequirements } from "../lib/resources";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { DASHBOARD_PASSWORD_KEY, DASHBOARD_USERNAME_KEY } from "../components/emqx";
import { SECRETS_ANNOTATION } from "../lib/checksum";
import { EMQX_RELEASE } from "../lib/contracts";
import { EXPOSURE_ANNOTATION } from "../lib/labels";
import { PlatformSecrets, PulseConfig } from "../config";
import { isSecretValue, RecordedResource } from "../tools/mocks";
import { buildComponent, config, configProblems, inputs, ofType, one, plainRules, releases, stackProblems } from "./helpers";
import { reaches } from "./reachability";

const SECRET = "kubernetes:core/v1:Secret";
const emqxRelease = (rs: RecordedResource[]) => releases(rs, EMQX_RELEASE);
const dashboardSecret = (rs: RecordedResource[]) => one(rs, SECRET, "pulse-emqx-dashboard");
/** EMQX alone, on the credentials stage (the app Secret it shares values with). */
const emqx = (c: PulseConfig, secrets?: PlatformSecrets) => buildComponent("emqx", c, secrets);
/** The services alone: ui's and ops-worker's side of the broker. */
const services = (c: PulseConfig) => buildComponent("services", c);

describe("emqx", () => {
    it("restarts the broker when a credential in its environment changes (the auth header above all); nothing to revise with Secrets managed outside", async () => {
        const revision = async (internalAuth: string, dashboard = "dash-one") => {
            const { resources } = await emqx(config(), {
                mqttInternalAuthSecret: pulumi.secret(internalAuth),
                emqxDashboardPassword: pulumi.secret(dashboard),
            });
            return inputs(emqxRelease(resources)[0]).values.podAnnotations?.[SECRETS_ANNOTATION] as string | undefined;
        };
        const one = await revision("auth-one");
        expect(one).to.match(/^[0-9a-f]{16}$/);
        expect(await revision("auth-one")).to.equal(one);
        expect(await revision("auth-two")).not.to.equal(one);
        expect(await revision("auth-one", "dash-two")).not.to.equal(one);
        const outside = await emqx(config({ secrets: { external: true } }));
        expect(inputs(emqxRelease(outside.resources)[0]).values.podAnnotations).to.equal(undefined);
    });

    it("installs emqx 5.8.9 from repos.emqx.io as release pulse-emqx", async () => {
        const [release] = emqxRelease((await emqx(config())).resources);
        const r = inputs(release);
        expect(r).to.include({ name: "pulse-emqx", chart: "emqx", version: "5.8.9", namespace: "pulse", maxHistory: 10, waitForJobs: true });
        expect(r.repositoryOpts).to.deep.equal({ repo: "https://repos.emqx.io/charts" });
    });

    it("maps replicas, persistence, resources and the pinned image", async () => {
        const c = config({ emqx: { replicaCount: 3, persistence: { size: "5Gi", storageClassName: "ssd" } } });
        const { values } = inputs(emqxRelease((await emqx(c)).resources)[0]);
        expect(values.replicaCount).to.equal(3);
        expect(values.persistence).to.deep.equal({ enabled: true, size: "5Gi", storageClassName: "ssd" });
        expect(values.resources).to.deep.equal(resourceRequirements(c.emqx.resources));
        expect(values.image).to.deep.include({ repository: "docker.io/emqx/emqx", tag: "5.8.9" });
        expect(values.pdb).to.deep.equal({ enabled: true, maxUnavailable: 1 });
    });

    it("applies the registry mirror and pull secrets to the EMQX image", async () => {
        const c = config({ global: { imageRegistry: "mirror.example.com", imagePullSecrets: ["regcred"] } });
        const { values } = inputs(emqxRelease((await emqx(c)).resources)[0]);
        expect(values.image).to.deep.include({ repository: "mirror.example.com/emqx/emqx", pullSecrets: ["regcred"] });
    });

    it("replaces the admin/public dashboard login with a generated secret the chart loads via envFromSecret", async () => {
        const { resources } = await emqx(config());
        const { values } = inputs(emqxRelease(resources)[0]);
        expect(values.envFromSecret).to.equal("pulse-emqx-dashboard");
        expect(values.emqxConfig[DASHBOARD_PASSWORD_KEY]).to.equal("");
        expect(values.emqxConfig[DASHBOARD_USERNAME_KEY]).to.equal("");
        const secret = dashboardSecret(resources);
        expect(isSecretValue(secret.inputs.stringData)).to.equal(true);
        const data = inputs(secret).stringData;
        expect(data[DASHBOARD_USERNAME_KEY]).to.equal("pulse-admin");
        expect(data[DASHBOARD_PASSWORD_KEY]).to.match(/^mock-/);
        expect(data[DASHBOARD_PASSWORD_KEY]).not.to.equal("public");
        expect(emqxRelease(resources)[0].dependencies).to.include(secret.urn);
    });

    it("uses pulse:emqxDashboardPassword when set", async () => {
        const { resources } = await emqx(config(), { emqxDashboardPassword: pulumi.secret("s3cret-dash") });
        expect(inputs(dashboardSecret(resources)).stringData[DASHBOARD_PASSWORD_KEY]).to.equal("s3cret-dash");
    });

    it("runs EMQX under Pod Security 'restricted'", async () => {
        const { values } = inputs(emqxRelease((await emqx(config())).resources)[0]);
        for (const ctx of [values.podSecurityContext, values.containerSecurityContext]) {
            expect(ctx).to.deep.include({ enabled: true, runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: "RuntimeDefault" } });
        }
        expect(values.containerSecurityContext).to.deep.include({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    });

    it("with secrets managed outside Pulumi, creates no dashboard Secret but still references it", async () => {
        const { resources } = await emqx(config({ secrets: { external: true, emqxDashboard: "vault-emqx" } }));
        expect(ofType(resources, SECRET).filter((r) => inputs(r).metadata.name === "vault-emqx")).to.have.length(0);
        expect(inputs(emqxRelease(resources)[0]).values.envFromSecret).to.equal("vault-emqx");
    });

    it("off: no release, no Secret, and the MQTT endpoint comes from config", async () => {
        const { resources, component } = await emqx(config({ emqx: { enabled: false, externalHost: "mqtt.example.com", externalPort: 8883 } }));
        expect(emqxRelease(resources)).to.have.length(0);
        expect(ofType(resources, SECRET).map((r) => r.name)).not.to.include("pulse-emqx-dashboard");
        expect(component).to.include({ mqttHost: "mqtt.example.com", mqttPort: 8883 });
    });

    it("authenticates from its built-in database (the services' user, bootstrapped) then at ui, and authorizes at ui; denies the rest", async () => {
        const { resources } = await emqx(config(), { mqttPassword: pulumi.secret("mq-pw"), mqttInternalAuthSecret: pulumi.secret('in"ternal') });
        const env = inputs(dashboardSecret(resources)).stringData;
        expect(env.EMQX_AUTHENTICATION).to.include("backend = built_in_database").and.include('bootstrap_file = "/opt/emqx/etc/pulse-bootstrap/users.csv"');
        expect(env.EMQX_AUTHENTICATION).to.include('url = "http://pulse-ui:8080/api/v1/internal/mqtt-auth"');
        // The header secret is quoted as a HOCON (JSON) string, so any character is safe.
        expect(env.EMQX_AUTHENTICATION).to.include('"X-Internal-Auth" = "in\\"ternal"');
        expect(env.EMQX_AUTHENTICATION.indexOf("built_in_database")).to.be.lessThan(env.EMQX_AUTHENTICATION.indexOf("backend = http"));
        expect(env.EMQX_AUTHORIZATION__SOURCES).to.include('url = "http://pulse-ui:8080/api/v1/internal/mqtt-acl"').and.include('topic = "${topic}"');
        const bootstrap = inputs(one(resources, SECRET, "pulse-emqx-bootstrap"));
        expect(bootstrap.stringData["users.csv"]).to.equal("user_id,password,is_superuser\nservice_pulse,mq-pw,true\n");
        const { values } = inputs(emqxRelease(resources)[0]);
        expect(values.emqxConfig).to.include({ EMQX_AUTHORIZATION__NO_MATCH: "deny" });
        expect(values.extraVolumes).to.deep.include({
            name: "pulse-bootstrap",
            secret: {
                secretName: "pulse-emqx-bootstrap",
                items: [
                    { key: "users.csv", path: "users.csv" },
                    { key: "api-keys.txt", path: "api-keys.txt" },
                ],
            },
        });
        // The services' MQTT password is the one in their own Secret: one value, generated or configured once.
        const app = inputs(one(resources, SECRET, "pulse-app-secrets")).stringData;
        expect(app.MQTT_PASSWORD).to.equal("mq-pw");
        expect(JSON.stringify(values)).not.to.include("mq-pw").and.not.to.include("ternal");
    });

    it("shares one generated MQTT password between the services and EMQX's bootstrap", async () => {
        const { resources } = await emqx(config());
        const app = inputs(one(resources, SECRET, "pulse-app-secrets")).stringData;
        const bootstrap = inputs(one(resources, SECRET, "pulse-emqx-bootstrap")).stringData["users.csv"];
        expect(bootstrap).to.include(`,${app.MQTT_PASSWORD},`);
        expect(inputs(dashboardSecret(resources)).stringData.EMQX_AUTHENTICATION).to.include(`"${app.MQTT_INTERNAL_AUTH_SECRET}"`);
    });

    it("offers devices only mutual TLS: 8883 once a server certificate and the device CA are configured, never plain WebSocket", async () => {
        const plain = inputs(emqxRelease((await emqx(config())).resources)[0]).values;
        // Pulse's authentication takes a bare <tenant>/<device> username on a listener without client certificates.
        expect(plain.emqxConfig).to.include({
            EMQX_LISTENERS__WS__DEFAULT__ENABLE: "false",
            EMQX_LISTENERS__WSS__DEFAULT__ENABLE: "false",
            EMQX_LISTENERS__SSL__DEFAULT__ENABLE: "false",
        });
        const c = config({ emqx: { deviceTls: { certManager: { issuer: "pulse-ca", dnsNames: ["mqtt.example.com"] }, deviceCaSecret: "pulse-device-ca" } } });
        const { resources } = await emqx(c);
        const tls = inputs(emqxRelease(resources)[0]).values;
        expect(tls.emqxConfig).to.include({
            EMQX_LISTENERS__SSL__DEFAULT__ENABLE: "true",
            EMQX_LISTENERS__SSL__DEFAULT__SSL_OPTIONS__VERIFY: "verify_peer",
            EMQX_LISTENERS__SSL__DEFAULT__SSL_OPTIONS__FAIL_IF_NO_PEER_CERT: "true",
            EMQX_LISTENERS__SSL__DEFAULT__SSL_OPTIONS__CACERTFILE: "/opt/emqx/etc/certs/device-ca/tls.crt",
            EMQX_ZONES__DEVICES__MQTT__PEER_CERT_AS_USERNAME: "cn",
            EMQX_LISTENERS__SSL__DEFAULT__ZONE: "devices",
            EMQX_LISTENERS__SSL__DEFAULT__MESSAGES_RATE: "10/s",
            // Off unless the operator names a CRL source: the certificates ui issues carry no distribution point.
            EMQX_LISTENERS__SSL__DEFAULT__SSL_OPTIONS__ENABLE_CRL_CHECK: "false",
            EMQX_LISTENERS__WS__DEFAULT__ENABLE: "false",
            EMQX_LISTENERS__WSS__DEFAULT__ENABLE: "false",
        });
        // The chart names its container ports after EMQX's default listeners (mqttssl 8883, wss 8084): a moved bind
        // would leave the Services' named target ports with nothing listening.
        for (const values of [plain, tls]) expect(Object.keys(values.emqxConfig).filter((k) => /__BIND$/.test(k))).to.deep.equal([]);
        // EMQX gets the CA's certificate only, never the key that signs devices.
        expect(tls.extraVolumes).to.deep.include({
            name: "device-ca",
            secret: { secretName: "pulse-device-ca", items: [{ key: "tls.crt", path: "tls.crt" }] },
        });
        const cert = inputs(one(resources, "kubernetes:cert-manager.io/v1:Certificate"));
        expect(cert.spec).to.deep.include({ secretName: "pulse-emqx-tls", issuerRef: { name: "pulse-ca", kind: "ClusterIssuer", group: "cert-manager.io" } });
        expect(cert.spec.dnsNames).to.include.members(["mqtt.example.com", "pulse-emqx", "pulse-emqx-devices"]);
        // ui (signs device certificates) and ops-worker (the CRL) get the whole CA, mounted from its Secret.
        const pods = (await services(c)).resources;
        for (const name of ["pulse-ui", "pulse-ops-worker"]) {
            const d = inputs(ofType(pods, "kubernetes:apps/v1:Deployment").find((r) => inputs(r).metadata.name === name)!);
            expect(d.spec.template.spec.volumes).to.deep.include({ name: "device-ca", secret: { secretName: "pulse-device-ca" } });
            expect(d.spec.template.spec.containers[0].env).to.deep.include({ name: "DEVICE_CA_KEY_PATH", value: "/etc/pulse/device-ca/tls.key" });
        }
    });

    it("MQTT over WebSocket only as wss with the same mutual TLS (deviceTls.websocket), and only with device TLS", async () => {
        const c = config({ emqx: { deviceTls: { serverCertSecret: "pulse-emqx-tls", deviceCaSecret: "pulse-device-ca", websocket: true } } });
        const { emqxConfig } = inputs(emqxRelease((await emqx(c)).resources)[0]).values;
        expect(emqxConfig).to.include({
            EMQX_LISTENERS__WS__DEFAULT__ENABLE: "false",
            EMQX_LISTENERS__WSS__DEFAULT__ENABLE: "true",
            EMQX_LISTENERS__WSS__DEFAULT__ZONE: "devices",
            EMQX_LISTENERS__WSS__DEFAULT__SSL_OPTIONS__VERIFY: "verify_peer",
            EMQX_LISTENERS__WSS__DEFAULT__SSL_OPTIONS__FAIL_IF_NO_PEER_CERT: "true",
            EMQX_LISTENERS__WSS__DEFAULT__WEBSOCKET__MQTT_PATH: "/mqtt",
        });
        expect(() => config({ emqx: { deviceTls: { websocket: true } } })).to.throw(/pulse:emqx.deviceTls.websocket: is used only with emqx.deviceTls/);
    });

    it("checks device certificates against a CRL only where the operator names the distribution points, and lets EMQX fetch them", async () => {
        const tls = { serverCertSecret: "pulse-emqx-tls", deviceCaSecret: "pulse-device-ca" };
        expect(() => config({ emqx: { deviceTls: { ...tls, crlCheck: true } } })).to.throw(
            /pulse:emqx.deviceTls.crlDistributionPoints: must list the CRL distribution points your device certificates name when crlCheck is true/,
        );
        expect(() => config({ emqx: { deviceTls: { ...tls, crlDistributionPoints: ["http://crl.example.com/ca.crl"] } } })).to.throw(
            /pulse:emqx.deviceTls.crlDistributionPoints: is used only with crlCheck: true/,
        );
        const c = config({ emqx: { deviceTls: { ...tls, crlCheck: true, crlDistributionPoints: ["http://crl.example.com:8080/ca.crl"] } } });
        const { resources } = await emqx(c);
        expect(inputs(emqxRelease(resources)[0]).values.emqxConfig).to.include({ EMQX_LISTENERS__SSL__DEFAULT__SSL_OPTIONS__ENABLE_CRL_CHECK: "true" });
        // EMQX reaches the distribution points' port on the internet ranges; off (the default), it does not.
        const emqxPod = { pod: { "app.kubernetes.io/name": "emqx", "app.kubernetes.io/instance": "pulse-emqx" } };
        const crlHost = { ip: "198.51.100.7" };
        expect(reaches(plainRules(c), emqxPod, crlHost, 8080)).to.equal(true);
        expect(reaches(plainRules(config({ emqx: { deviceTls: tls } })), emqxPod, crlHost, 8080)).to.equal(false);
    });

    it("bootstraps ops-worker's REST API key into EMQX; ops-worker calls the base URL with the key and its secret, never the dashboard login", async () => {
        const { resources } = await emqx(config(), { emqxApiSecret: pulumi.secret("api-s3cret") });
        const bootstrap = inputs(one(resources, SECRET, "pulse-emqx-bootstrap")).stringData;
        expect(bootstrap["api-keys.txt"]).to.equal("pulse-ops-worker:api-s3cret\n");
        const { values } = inputs(emqxRelease(resources)[0]);
        expect(values.emqxConfig).to.include({ EMQX_API_KEY__BOOTSTRAP_FILE: "/opt/emqx/etc/pulse-bootstrap/api-keys.txt" });
        // ops-worker's environment names the Secret, whatever its value: the services with the defaults.
        const ops = inputs(
            ofType((await services(config())).resources, "kubernetes:apps/v1:Deployment").find((r) => inputs(r).metadata.name === "pulse-ops-worker")!,
        );
        const env = ops.spec.template.spec.containers[0].env as { name: string; value?: string; valueFrom?: unknown }[];
        // The code appends /api/v5 itself.
        expect(env).to.deep.include({ name: "EMQX_API_URL", value: "http://pulse-emqx:18083" });
        expect(env).to.deep.include({ name: "EMQX_API_USER", value: "pulse-ops-worker" });
        expect(env).to.deep.include({ name: "EMQX_DASHBOARD_PASSWORD", valueFrom: { secretKeyRef: { name: "pulse-app-secrets", key: "EMQX_API_SECRET" } } });
        expect(inputs(one(resources, SECRET, "pulse-app-secrets")).stringData.EMQX_API_SECRET).to.equal("api-s3cret");
        expect(JSON.stringify(values)).not.to.include("api-s3cret");
        // A rotated API secret restarts EMQX, which loads the bootstrap file at start.
        const revision = async (secret: string) =>
            inputs(emqxRelease((await emqx(config(), { emqxApiSecret: pulumi.secret(secret) })).resources)[0]).values.podAnnotations[SECRETS_ANNOTATION];
        expect(await revision("api-one")).not.to.equal(await revision("api-two"));
        // Without the in-cluster broker there is no API to call: none of it.
        const external = await services(config({ emqx: { enabled: false, externalHost: "mqtt.example.com" } }));
        const names = (
            inputs(ofType(external.resources, "kubernetes:apps/v1:Deployment").find((r) => inputs(r).metadata.name === "pulse-ops-worker")!).spec.template.spec
                .containers[0].env as { name: string }[]
        ).map((e) => e.name);
        expect(names.filter((n) => n.startsWith("EMQX_"))).to.deep.equal([]);
    });

    it("refuses an API secret EMQX's bootstrap file cannot hold, without echoing it; and one no broker of ours would use", () => {
        for (const bad of ["key:and-more", "with space"]) {
            const problems = stackProblems({ emqxApiSecret: bad }, ["emqxApiSecret"]);
            expect(problems).to.deep.equal([
                "pulse:emqxApiSecret: must not contain ':' or whitespace (EMQX's API key bootstrap file is one key:secret per line)",
            ]);
        }
        expect(stackProblems({ emqxApiSecret: "fine-secret" }, ["emqxApiSecret"])).to.deep.equal([]);
        expect(stackProblems({ emqxApiSecret: "fine-secret", emqx: { enabled: false, externalHost: "mqtt.example.com" } }, ["emqxApiSecret"])).to.deep.equal([
            "pulse:emqxApiSecret: is not used when emqx.enabled is false (the API key is bootstrapped into the in-cluster EMQX); remove it",
        ]);
    });

    it("refuses half a device TLS setup, naming the missing half", () => {
        expect(() => config({ emqx: { deviceTls: { serverCertSecret: "pulse-emqx-tls" } } })).to.throw(
            /pulse:emqx.deviceTls.deviceCaSecret: is required with a server certificate/,
        );
        expect(() => config({ emqx: { deviceTls: { deviceCaSecret: "pulse-device-ca" } } })).to.throw(
            /pulse:emqx.deviceTls.serverCertSecret: or certManager.issuer is required/,
        );
    });

    it("gives devices their own Service only with device TLS: 8883 (and wss 8084 with websocket); exposed only as configured", async () => {
        const service = (rs: RecordedResource[]) => inputs(one(rs, "kubernetes:core/v1:Service", "pulse-emqx-devices"));
        expect(ofType((await emqx(config())).resources, "kubernetes:core/v1:Service").map((r) => inputs(r).metadata.name)).not.to.include("pulse-emqx-devices");
        const tls = { serverCertSecret: "pulse-emqx-tls", deviceCaSecret: "pulse-device-ca" };
        const internal = await emqx(config({ emqx: { deviceTls: tls } }));
        expect(service(internal.resources).spec).to.deep.equal({
            type: "ClusterIP",
            selector: { "app.kubernetes.io/name": "emqx", "app.kubernetes.io/instance": "pulse-emqx" },
            ports: [{ name: "mqtts", port: 8883, targetPort: "mqttssl", protocol: "TCP" }],
        });
        expect(service(internal.resources).metadata.annotations).not.to.have.property(EXPOSURE_ANNOTATION);
        expect(one(internal.resources, "kubernetes:core/v1:Service", "pulse-emqx-devices").dependencies).to.include(emqxRelease(internal.resources)[0].urn);

        const c = config({
            emqx: {
                deviceTls: { ...tls, websocket: true },
                deviceService: {
                    type: "LoadBalancer",
                    loadBalancerSourceRanges: ["203.0.113.0/24"],
                    annotations: { "service.beta.kubernetes.io/aws-load-balancer-type": "nlb" },
                },
            },
            networkPolicy: { mqttClientCidrs: ["0.0.0.0/0"] },
        });
        const exposed = service((await emqx(c)).resources);
        expect(exposed.spec).to.deep.include({ type: "LoadBalancer", externalTrafficPolicy: "Local", loadBalancerSourceRanges: ["203.0.113.0/24"] });
        expect(exposed.spec.ports.map((p: { name: string; port: number; targetPort: string }) => [p.name, p.port, p.targetPort])).to.deep.equal([
            ["mqtts", 8883, "mqttssl"],
            ["wss", 8084, "wss"],
        ]);
        expect(exposed.metadata.annotations).to.include({
            [EXPOSURE_ANNOTATION]: "pulse:emqx.deviceService.type",
            "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
        });
    });

    it("refuses an exposed devices' Service the NetworkPolicies would close, naming mqttClientCidrs, and one without device TLS", () => {
        const deviceTls = { serverCertSecret: "pulse-emqx-tls", deviceCaSecret: "pulse-device-ca" };
        expect(() => config({ emqx: { deviceTls, deviceService: { type: "NodePort" } } })).to.throw(
            /pulse:networkPolicy.mqttClientCidrs: must list the devices' address ranges when emqx.deviceService.type is NodePort/,
        );
        expect(() => config({ emqx: { deviceTls, deviceService: { type: "NodePort" } }, networkPolicy: { enabled: false } })).not.to.throw();
        // Without device TLS there is nothing to expose: every key that would expose it is named.
        const problems = configProblems({ emqx: { deviceService: { type: "NodePort" } }, networkPolicy: { mqttClientCidrs: ["0.0.0.0/0"] } });
        expect(problems.filter((p) => p.includes("is used only with emqx.deviceTls"))).to.have.length(2);
        expect(problems.join("\n"))
            .to.match(/pulse:emqx.deviceService.type: is used only with emqx.deviceTls/)
            .and.match(/pulse:networkPolicy.mqttClientCidrs: is used only/);
        expect(() => config({ emqx: { deviceTls, deviceService: { loadBalancerSourceRanges: ["everyone"] } } })).to.throw(
            /pulse:emqx.deviceService.loadBalancerSourceRanges\[0\]: must be a CIDR such as 203.0.113.0\/24 \(an address and a prefix length, separated by '\/'\), got "everyone"/,
        );
    });
});
