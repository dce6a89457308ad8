import { resourceRequirements } from "../lib/resources";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { DASHBOARD_PASSWORD_KEY, DASHBOARD_USERNAME_KEY, EMQX_RELEASE } from "../components/emqx";
import { isSecretValue, RecordedResource } from "../lib/mocks";
import { build, config, inputs, ofType, one, releases } from "./helpers";

const SECRET = "kubernetes:core/v1:Secret";
const emqxRelease = (rs: RecordedResource[]) => releases(rs, EMQX_RELEASE);
const dashboardSecret = (rs: RecordedResource[]) => one(rs, SECRET, "pulse-emqx-dashboard");

describe("emqx", () => {
    it("installs emqx 5.8.9 from repos.emqx.io as release pulse-emqx", async () => {
        const [release] = emqxRelease((await build(config())).resources);
        const r = inputs(release);
        expect(r).to.include({ name: "pulse-emqx", chart: "emqx", version: "5.8.9", namespace: "pulse", maxHistory: 10, waitForJobs: true });
        expect(r.repositoryOpts).to.deep.equal({ repo: "https://repos.emqx.io/charts" });
    });

    it("maps replicas, persistence, resources and the pinned image", async () => {
        const c = config({ emqx: { replicaCount: 3, persistence: { size: "5Gi", storageClassName: "ssd" } } });
        const { values } = inputs(emqxRelease((await build(c)).resources)[0]);
        expect(values.replicaCount).to.equal(3);
        expect(values.persistence).to.deep.equal({ enabled: true, size: "5Gi", storageClassName: "ssd" });
        expect(values.resources).to.deep.equal(resourceRequirements(c.emqx.resources));
        expect(values.image).to.deep.include({ repository: "docker.io/emqx/emqx", tag: "5.8.9" });
        expect(values.pdb).to.deep.equal({ enabled: true, maxUnavailable: 1 });
    });

    it("applies the registry mirror and pull secrets to the EMQX image", async () => {
        const c = config({ global: { imageRegistry: "mirror.example.com", imagePullSecrets: ["regcred"] } });
        const { values } = inputs(emqxRelease((await build(c)).resources)[0]);
        expect(values.image).to.deep.include({ repository: "mirror.example.com/emqx/emqx", pullSecrets: ["regcred"] });
    });

    it("replaces the admin/public dashboard login with a generated secret the chart loads via envFromSecret", async () => {
        const { resources } = await build(config());
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
        const { resources } = await build(config(), { emqxDashboardPassword: pulumi.secret("s3cret-dash") });
        expect(inputs(dashboardSecret(resources)).stringData[DASHBOARD_PASSWORD_KEY]).to.equal("s3cret-dash");
    });

    it("runs EMQX under Pod Security 'restricted'", async () => {
        const { values } = inputs(emqxRelease((await build(config())).resources)[0]);
        for (const ctx of [values.podSecurityContext, values.containerSecurityContext]) {
            expect(ctx).to.deep.include({ enabled: true, runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: "RuntimeDefault" } });
        }
        expect(values.containerSecurityContext).to.deep.include({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    });

    it("with secrets managed outside Pulumi, creates no dashboard Secret but still references it", async () => {
        const { resources } = await build(config({ secrets: { external: true, emqxDashboard: "vault-emqx" } }));
        expect(ofType(resources, SECRET).filter((r) => inputs(r).metadata.name === "vault-emqx")).to.have.length(0);
        expect(inputs(emqxRelease(resources)[0]).values.envFromSecret).to.equal("vault-emqx");
    });

    it("off: no release, no Secret, and the MQTT endpoint comes from config", async () => {
        const { resources, platform } = await build(config({ emqx: { enabled: false, externalHost: "mqtt.example.com", externalPort: 8883 } }));
        expect(emqxRelease(resources)).to.have.length(0);
        expect(ofType(resources, SECRET).map((r) => r.name)).not.to.include("pulse-emqx-dashboard");
        expect(platform.emqx).to.include({ mqttHost: "mqtt.example.com", mqttPort: 8883 });
    });
});
