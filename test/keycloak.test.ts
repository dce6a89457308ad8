import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { UI_USER_ATTRIBUTES } from "../components/keycloak";
import { PlatformSecrets, PulseConfig, PulseConfigInput } from "../config";
import { isSecretValue, RecordedResource, resolve } from "../tools/mocks";
import { build, buildComponent, config, inputs, one, ofType, plainRules } from "./helpers";
import { reaches } from "./reachability";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
/** Keycloak alone, on the credentials stage (its admin and database Secrets). */
const keycloak = (c: PulseConfig, secrets?: PlatformSecrets) => buildComponent("keycloak", c, secrets);
const kcDeployment = (rs: RecordedResource[]) => inputs(one(rs, DEPLOYMENT, "pulse-keycloak-workload-deployment"));
interface Env {
    name: string;
    value?: string;
    valueFrom?: unknown;
}
const envOf = (c: { env: Env[] }): Record<string, Env> => Object.fromEntries(c.env.map((e) => [e.name, e]));
const withKeycloakRoute = {
    keycloak: { httpRelativePath: "/auth" },
    ingress: {
        hosts: [{ host: "pulse.example.com", paths: [{ path: "/" }, { path: "/auth", service: "keycloak" as const }] }],
        tls: [{ secretName: "t", hosts: ["pulse.example.com"] }],
    },
};

describe("keycloak", () => {
    it("runs quay.io/keycloak/keycloak:26.0.8 (a patch release) with `start`, the organization feature and the realm import", async () => {
        const c = inputs(one((await keycloak(config())).resources, DEPLOYMENT, "pulse-keycloak-workload-deployment")).spec.template.spec.containers[0];
        expect(c.image).to.equal("quay.io/keycloak/keycloak:26.0.8");
        expect(c.args).to.deep.equal(["start", "--features=organization", "--import-realm"]);
        const dev = kcDeployment((await keycloak(config({ keycloak: { startMode: "start-dev", realmImport: false } }))).resources);
        expect(dev.spec.template.spec.containers[0].args).to.deep.equal(["start-dev", "--features=organization"]);
    });

    it("uses its own database and role on Pulse's server (pulse-keycloak-db), and the bootstrap admin from its Secret", async () => {
        const env = envOf(kcDeployment((await keycloak(config())).resources).spec.template.spec.containers[0]);
        expect(env.KC_DB.value).to.equal("postgres");
        expect(env.KC_DB_URL.value).to.equal("jdbc:postgresql://pulse-postgresql:5432/keycloak");
        expect(env).not.to.have.property("KC_DB_SCHEMA");
        expect(env.KC_DB_USERNAME.valueFrom).to.deep.equal({ secretKeyRef: { name: "pulse-keycloak-db", key: "username" } });
        expect(env.KC_DB_PASSWORD.valueFrom).to.deep.equal({ secretKeyRef: { name: "pulse-keycloak-db", key: "password" } });
        expect(env.KC_BOOTSTRAP_ADMIN_USERNAME.valueFrom).to.deep.equal({ secretKeyRef: { name: "pulse-keycloak-admin", key: "username" } });
        expect(env.KC_BOOTSTRAP_ADMIN_PASSWORD.valueFrom).to.deep.equal({ secretKeyRef: { name: "pulse-keycloak-admin", key: "password" } });
        expect(env).not.to.have.property("KEYCLOAK_ADMIN");
        for (const e of Object.values(env)) {
            if (/PASSWORD|SECRET/.test(e.name)) expect(e.value, e.name).to.equal(undefined);
        }
    });

    it("imports the pulse realm from a ConfigMap: Pulse's roles and clients, redirect URIs from the ingress hosts, secrets as placeholders", async () => {
        const c = config({
            ingress: { hosts: [{ host: "pulse.example.com" }, { host: "app.example.org" }], tls: [{ secretName: "t", hosts: ["pulse.example.com"] }] },
        });
        const { resources } = await keycloak(c);
        const realm = JSON.parse(inputs(one(resources, "kubernetes:core/v1:ConfigMap", "pulse-keycloak-realm")).data["realm-pulse.json"]);
        expect(realm).to.deep.include({ realm: "pulse", enabled: true });
        expect(realm.roles.realm.map((r: { name: string }) => r.name)).to.deep.equal(["customer", "tenant-admin", "operator", "operator-admin"]);
        const ui = realm.clients.find((x: { clientId: string }) => x.clientId === "pulse-ui");
        expect(ui).to.deep.include({
            publicClient: true,
            redirectUris: ["https://pulse.example.com/*", "http://app.example.org/*"],
            webOrigins: ["https://pulse.example.com", "http://app.example.org"],
        });
        expect(ui.attributes["pkce.code.challenge.method"]).to.equal("S256");
        expect(ui.protocolMappers.map((m: { protocolMapper: string }) => m.protocolMapper)).to.deep.equal([
            "oidc-audience-mapper",
            "oidc-usermodel-attribute-mapper",
        ]);
        const api = realm.clients.find((x: { clientId: string }) => x.clientId === "pulse-api");
        expect(api).to.deep.include({ publicClient: false, secret: "${KEYCLOAK_CLIENT_SECRET}" });
        // The placeholder's value comes from the app Secret, by reference; the ConfigMap holds no secret.
        const d = kcDeployment(resources);
        expect(envOf(d.spec.template.spec.containers[0]).KEYCLOAK_CLIENT_SECRET.valueFrom).to.deep.equal({
            secretKeyRef: { name: "pulse-app-secrets", key: "KEYCLOAK_CLIENT_SECRET" },
        });
        expect(d.spec.template.spec.containers[0].volumeMounts).to.deep.include({ name: "realm", mountPath: "/opt/keycloak/data/import", readOnly: true });
        expect(realm).not.to.have.property("smtpServer");
        const smtp = JSON.parse(
            inputs(
                one(
                    (await keycloak(config({ smtp: { host: "smtp.example.com", user: "pulse", from: "pulse@example.com" } }))).resources,
                    "kubernetes:core/v1:ConfigMap",
                    "pulse-keycloak-realm",
                ),
            ).data["realm-pulse.json"],
        );
        expect(smtp.smtpServer).to.deep.include({ host: "smtp.example.com", port: "587", password: "${SMTP_PASSWORD}" });
    });

    it("declares every attribute ui writes (tenant_id) in the realm's user profile, so Keycloak keeps it; only administrators edit it", async () => {
        const { resources } = await keycloak(config());
        const realm = JSON.parse(inputs(one(resources, "kubernetes:core/v1:ConfigMap", "pulse-keycloak-realm")).data["realm-pulse.json"]);
        const [component] = realm.components["org.keycloak.userprofile.UserProfileProvider"];
        expect(component.providerId).to.equal("declarative-user-profile");
        const profile = JSON.parse(component.config["kc.user.profile.config"][0]);
        const attributes = new Map<string, { permissions?: { edit: string[]; view: string[] } }>(
            profile.attributes.map((a: { name: string }) => [a.name, a] as const),
        );
        // Keycloak's own four stay declared (a profile without username or email is refused), plus ui's.
        expect([...attributes.keys()]).to.include.members(["username", "email", "firstName", "lastName", ...UI_USER_ATTRIBUTES]);
        expect(UI_USER_ATTRIBUTES).to.include("tenant_id");
        // A user who could edit tenant_id could move to another tenant.
        expect(attributes.get("tenant_id")!.permissions).to.deep.equal({ view: ["admin", "user"], edit: ["admin"] });
        // Unmanaged attributes stay off: undeclared ones are dropped, not editable by users.
        expect(profile).not.to.have.property("unmanagedAttributePolicy");
    });

    it("tells ui the admin user Keycloak starts with: one Secret key for both", async () => {
        const c = config({ keycloak: { adminUsername: "ops-admin" } });
        const { resources } = await keycloak(c);
        const kc = envOf(kcDeployment(resources).spec.template.spec.containers[0]);
        const pods = (await buildComponent("services", c)).resources;
        const ui = envOf(inputs(ofType(pods, DEPLOYMENT).find((r) => inputs(r).metadata.name === "pulse-ui")!).spec.template.spec.containers[0]);
        expect(ui.KEYCLOAK_ADMIN_USERNAME.valueFrom).to.deep.equal(kc.KC_BOOTSTRAP_ADMIN_USERNAME.valueFrom);
        expect(ui.KEYCLOAK_ADMIN_PASSWORD.valueFrom).to.deep.equal(kc.KC_BOOTSTRAP_ADMIN_PASSWORD.valueFrom);
        expect(inputs(one(resources, "kubernetes:core/v1:Secret", "pulse-keycloak-admin")).stringData.username).to.equal("ops-admin");
    });

    it("creates the admin Secret with a generated or configured password, as a secret", async () => {
        const gen = (await buildComponent("credentials", config())).resources;
        const secret = one(gen, "kubernetes:core/v1:Secret", "pulse-keycloak-admin");
        expect(isSecretValue(secret.inputs.stringData)).to.equal(true);
        expect(inputs(secret).stringData).to.deep.include({ username: "pulse-admin" });
        expect(inputs(secret).stringData.password).to.match(/^mock-/);
        const set = (await buildComponent("credentials", config(), { keycloakAdminPassword: pulumi.secret("kc-pw") })).resources;
        expect(inputs(one(set, "kubernetes:core/v1:Secret", "pulse-keycloak-admin")).stringData.password).to.equal("kc-pw");
        const ext = (await build(config({ secrets: { external: true } }))).resources;
        expect(ofType(ext, "kubernetes:core/v1:Secret")).to.have.length(0);
    });

    it("runs behind the ingress: public hostname URL, X-Forwarded headers, HTTP inside, relative path", async () => {
        const env = envOf(kcDeployment((await keycloak(config(withKeycloakRoute))).resources).spec.template.spec.containers[0]);
        expect(env.KC_HOSTNAME.value).to.equal("https://pulse.example.com/auth");
        expect(env.KC_PROXY_HEADERS.value).to.equal("xforwarded");
        expect(env.KC_HTTP_ENABLED.value).to.equal("true");
        expect(env.KC_HTTP_RELATIVE_PATH.value).to.equal("/auth");
        expect(env.KC_HEALTH_ENABLED.value).to.equal("true");
        expect(env.KC_METRICS_ENABLED.value).to.equal("true");
        // By default Keycloak is routed at the root (Pulse's SPA builds its URL from the page's origin).
        const root = envOf(kcDeployment((await keycloak(config())).resources).spec.template.spec.containers[0]);
        expect(root.KC_HOSTNAME.value).to.equal("http://pulse.example.com");
        expect(root.KC_HTTP_RELATIVE_PATH.value).to.equal("/");
        const noRoute = envOf(kcDeployment((await keycloak(config({ ingress: { enabled: false } }))).resources).spec.template.spec.containers[0]);
        expect(noRoute).not.to.have.property("KC_HOSTNAME");
        expect(noRoute.KC_HOSTNAME_STRICT.value).to.equal("false");
    });

    it("probes started/ready/live on management port 9000, which its Service does not expose", async () => {
        const { resources } = await keycloak(config());
        const c = kcDeployment(resources).spec.template.spec.containers[0];
        expect(c.ports).to.deep.include({ name: "management", containerPort: 9000, protocol: "TCP" });
        expect(c.startupProbe.httpGet).to.deep.equal({ path: "/health/started", port: "management" });
        expect(c.readinessProbe.httpGet).to.deep.equal({ path: "/health/ready", port: "management" });
        expect(c.livenessProbe.httpGet).to.deep.equal({ path: "/health/live", port: "management" });
        expect(envOf(c).KC_HTTP_MANAGEMENT_RELATIVE_PATH.value).to.equal("/");
        const svc = inputs(one(resources, "kubernetes:core/v1:Service", "pulse-keycloak-workload-service"));
        expect(svc.spec.ports.map((p: { port: number }) => p.port)).to.deep.equal([8080]);
    });

    it("runs as uid/gid 1000, not root group 0, with no init container (its database is set up by the db-setup Job)", async () => {
        const pod = kcDeployment((await keycloak(config())).resources).spec.template.spec;
        expect(pod.securityContext).to.deep.include({ runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true });
        expect(pod).not.to.have.property("initContainers");
    });

    it("with more than one replica: an Infinispan cluster over a headless discovery Service", async () => {
        const { resources } = await keycloak(config({ keycloak: { replicaCount: 2 } }));
        const env = envOf(kcDeployment(resources).spec.template.spec.containers[0]);
        expect(env.KC_CACHE.value).to.equal("ispn");
        expect(env.KC_CACHE_STACK.value).to.equal("kubernetes");
        expect(env.JAVA_OPTS_APPEND.value).to.equal("-Djgroups.dns.query=pulse-keycloak-discovery.pulse.svc.cluster.local");
        const headless = inputs(one(resources, "kubernetes:core/v1:Service", "pulse-keycloak-discovery"));
        expect(headless.spec).to.deep.include({ clusterIP: "None", publishNotReadyAddresses: true });
        const single = envOf(kcDeployment((await keycloak(config())).resources).spec.template.spec.containers[0]);
        expect(single.KC_CACHE.value).to.equal("local");
    });

    it("connects to an external database with its sslmode", async () => {
        const c = config({ postgresql: { enabled: false }, externalDatabase: { enabled: true, host: "db.example.com", sslmode: "require" } });
        const pod = kcDeployment((await keycloak(c, { dbPassword: pulumi.secret("x"), keycloakDbPassword: pulumi.secret("y") })).resources).spec.template.spec;
        expect(envOf(pod.containers[0]).KC_DB_URL.value).to.equal("jdbc:postgresql://db.example.com:5432/keycloak?sslmode=require");
    });
});

describe("keycloak.realm.configMap: the realm from an existing ConfigMap", () => {
    it("mounts the given key as the realm file for --import-realm, and generates no realm ConfigMap", async () => {
        const { resources } = await keycloak(config({ keycloak: { realm: { configMap: "acme-realm", key: "acme.json" } } }));
        expect(ofType(resources, "kubernetes:core/v1:ConfigMap").map((r) => r.name)).not.to.include("pulse-keycloak-realm");
        const pod = kcDeployment(resources).spec.template.spec;
        expect(pod.containers[0].args).to.include("--import-realm");
        expect(pod.volumes).to.deep.include({ name: "realm", configMap: { name: "acme-realm", items: [{ key: "acme.json", path: "realm-pulse.json" }] } });
        expect(pod.containers[0].volumeMounts).to.deep.include({ name: "realm", mountPath: "/opt/keycloak/data/import", readOnly: true });
        // The realm file's placeholders are still filled from the app Secret.
        expect(envOf(pod.containers[0])).to.have.property("KEYCLOAK_CLIENT_SECRET");
        // Without it: the generated ConfigMap, mounted whole.
        const generated = await keycloak(config());
        expect(ofType(generated.resources, "kubernetes:core/v1:ConfigMap").map((r) => r.name)).to.include("pulse-keycloak-realm");
        expect(kcDeployment(generated.resources).spec.template.spec.volumes).to.deep.include({ name: "realm", configMap: { name: "pulse-keycloak-realm" } });
    });
});

describe("keycloak.enabled false: an existing identity provider", () => {
    const ISSUER = "https://id.example.com/realms/acme";
    const off = (external: Record<string, string> = {}, extra: PulseConfigInput = {}) =>
        config({ ...extra, keycloak: { ...extra.keycloak, enabled: false, external: { issuerUrl: ISSUER, ...external } } });
    const uiEnv = (rs: RecordedResource[]) => envOf(inputs(one(rs, DEPLOYMENT, "pulse-services-ui-deployment")).spec.template.spec.containers[0]);
    /**
     * Every resource that is Keycloak's or leads to it: by Pulumi or object name, component label, or a reference to its
     * Service (`pulse-keycloak` as a whole word: routes, policies) or its database role (the db-setup Job's variables).
     * Not the app Secret's KEYCLOAK_CLIENT_SECRET, one of the services' credentials (docs/secrets.md).
     */
    const keycloakParts = (rs: RecordedResource[]) =>
        rs
            .filter((r) => {
                const i = inputs(r);
                return (
                    (/keycloak/i.test(r.name) && r.name !== "pulse-app-secrets-keycloak-client-secret") ||
                    /keycloak/i.test(i?.metadata?.name ?? "") ||
                    i?.metadata?.labels?.["app.kubernetes.io/component"] === "keycloak" ||
                    /pulse-keycloak(?![-\w])|"name":"KEYCLOAK_USER"/.test(JSON.stringify(i ?? {}))
                );
            })
            .map((r) => r.name);

    it("deploys nothing of Keycloak: no workload, Services, Secrets, realm, NetworkPolicies, routes, database role or its Secret", async () => {
        const withSmtpAndCaddy: PulseConfigInput = { smtp: { host: "smtp.example.com" }, caddy: { enabled: true } };
        // The same config with Keycloak on has every one of them (the check can fail).
        const on = (await build(config({ ...withSmtpAndCaddy, keycloak: { replicaCount: 2 } }))).resources;
        expect(keycloakParts(on)).to.include.members([
            "pulse-keycloak",
            "pulse-keycloak-workload-deployment",
            "pulse-keycloak-workload-service",
            "pulse-keycloak-admin",
            "pulse-keycloak-realm",
            "pulse-keycloak-discovery",
            "pulse-database-keycloak-secret",
            "pulse-network-allow-keycloak",
            "pulse-ingress-ingress",
            "pulse-caddy-caddyfile",
            "pulse-database-setup-run",
            "pulse-services-ui-deployment",
        ]);
        const { resources } = await build(off({}, { ...withSmtpAndCaddy, keycloak: { replicaCount: 2 } }));
        expect(keycloakParts(resources)).to.deep.equal([]);
        expect(ofType(resources, "pulse:keycloak:Keycloak")).to.have.length(0);
        // The db-setup Job still runs, for Pulse's own database, without Keycloak's variables (the script skips its part).
        const setup = inputs(one(resources, "kubernetes:batch/v1:Job", "pulse-database-setup-run")).spec.template.spec.containers[0];
        expect(setup.env.map((e: Env) => e.name))
            .to.include.members(["APP_DB", "APP_USER"])
            .and.not.include("KEYCLOAK_USER");
    });

    it("points the services at the issuer: its base, realm and JWKS URI; the stack outputs name its base", async () => {
        const { resources, platform } = await build(off());
        const env = uiEnv(resources);
        expect(env.KEYCLOAK_URL.value).to.equal("https://id.example.com");
        expect(env.KEYCLOAK_PUBLIC_URL.value).to.equal("https://id.example.com");
        expect(env.KEYCLOAK_INTERNAL_URL.value).to.equal("https://id.example.com");
        expect(env.KEYCLOAK_REALM.value).to.equal("acme");
        expect(env.KEYCLOAK_JWKS_URI.value).to.equal(`${ISSUER}/protocol/openid-connect/certs`);
        // ui still reads the provider's admin password, from the existing Secret named in config.
        expect(env.KEYCLOAK_ADMIN_PASSWORD.valueFrom).to.deep.equal({ secretKeyRef: { name: "pulse-keycloak-admin", key: "password" } });
        expect(await resolve(platform.outputs.keycloakUrl)).to.equal("https://id.example.com");
        expect(platform.outputs.serviceNames).not.to.have.property("keycloak");
        expect(platform.keycloak).to.equal(undefined);
        // Configured: the JWKS URI and the in-cluster URL (a trailing slash dropped).
        const set = uiEnv(
            (await buildComponent("services", off({ jwksUri: "https://keys.example.com/certs", internalUrl: "http://keycloak.idp.svc.cluster.local:8080/" })))
                .resources,
        );
        expect(set.KEYCLOAK_JWKS_URI.value).to.equal("https://keys.example.com/certs");
        expect(set.KEYCLOAK_INTERNAL_URL.value).to.equal("http://keycloak.idp.svc.cluster.local:8080");
        expect(set.KEYCLOAK_URL.value).to.equal("https://id.example.com");
        // With Keycloak on, they point at the in-cluster one.
        const inCluster = uiEnv((await buildComponent("services", config())).resources);
        expect(inCluster.KEYCLOAK_INTERNAL_URL.value).to.equal("http://pulse-keycloak:8080");
        expect(inCluster.KEYCLOAK_REALM.value).to.equal("pulse");
    });

    it("lets the services that read KEYCLOAK_* reach the provider on its ports, through the internet ranges", () => {
        const c = off({ jwksUri: "https://keys.example.com:8443/certs" }, { networkPolicy: { internet: { cidrs: ["203.0.113.0/24"], except: [] } } });
        const rules = plainRules(c);
        const ui = { pod: { "app.kubernetes.io/name": "pulse-ui", "app.kubernetes.io/instance": "pulse" } };
        const ingest = { pod: { "app.kubernetes.io/name": "pulse-ingest", "app.kubernetes.io/instance": "pulse" } };
        for (const port of [443, 8443]) expect(reaches(rules, ui, { ip: "203.0.113.9" }, port), String(port)).to.equal(true);
        expect(reaches(rules, ui, { ip: "198.51.100.7" }, 443), "outside the internet ranges").to.equal(false);
        expect(reaches(rules, ingest, { ip: "203.0.113.9" }, 8443), "a service that does not read KEYCLOAK_*").to.equal(false);
        // In-cluster Keycloak: ui reaches its pods, not the provider's ports outside.
        expect(reaches(plainRules(config()), ui, { ip: "203.0.113.9" }, 8443)).to.equal(false);
    });
});
