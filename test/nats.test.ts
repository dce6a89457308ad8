import { resourceRequirements } from "../lib/resources";
import { expect } from "chai";
import { PulseConfig } from "../config";
import { NATS_RELEASE } from "../lib/contracts";
import { RecordedResource, resolve } from "../tools/mocks";
import { build, buildComponent, config, inputs, releases } from "./helpers";

const natsRelease = (rs: RecordedResource[]) => releases(rs, NATS_RELEASE);
/** The NATS release alone. */
const nats = (c: PulseConfig) => buildComponent("nats", c);

describe("nats", () => {
    it("installs nats 1.2.11 from the nats-io chart repository as release pulse-nats", async () => {
        const r = inputs(natsRelease((await nats(config())).resources)[0]);
        expect(r).to.include({ name: "pulse-nats", chart: "nats", version: "1.2.11", namespace: "pulse", maxHistory: 10, waitForJobs: true });
        expect(r.repositoryOpts).to.deep.equal({ repo: "https://nats-io.github.io/k8s/helm/charts/" });
    });

    it("turns JetStream on with both stores sized from config, in the chart's 1.x layout", async () => {
        const c = config({ nats: { jetstream: { memoryStore: { maxSize: "128Mi" }, fileStore: { size: "10Gi", storageClassName: "ssd" } } } });
        const { values } = inputs(natsRelease((await nats(c)).resources)[0]);
        expect(values.config.jetstream).to.deep.equal({
            enabled: true,
            memoryStore: { enabled: true, maxSize: "128Mi" },
            fileStore: { enabled: true, pvc: { enabled: true, size: "10Gi", storageClassName: "ssd" } },
        });
        expect(values).not.to.have.property("nats");
    });

    it("sets resources and the restricted security context through the merge hooks", async () => {
        const c = config();
        const { values } = inputs(natsRelease((await nats(c)).resources)[0]);
        expect(values.container.merge.resources).to.deep.equal(resourceRequirements(c.nats.resources));
        expect(values.reloader.merge.resources.requests).to.have.keys("cpu", "memory");
        for (const sc of [values.container.merge.securityContext, values.reloader.merge.securityContext]) {
            expect(sc).to.deep.include({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, runAsNonRoot: true });
        }
        expect(values.podTemplate.merge.spec.securityContext).to.deep.include({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 });
    });

    it("leaves nats-box off unless configured", async () => {
        const off = inputs(natsRelease((await nats(config())).resources)[0]).values;
        expect(off.natsBox).to.deep.equal({ enabled: false });
        const on = inputs(natsRelease((await nats(config({ nats: { natsBox: { enabled: true } } }))).resources)[0]).values;
        expect(on.natsBox.enabled).to.equal(true);
        expect(on.natsBox.container.merge.securityContext.allowPrivilegeEscalation).to.equal(false);
    });

    it("forms a cluster when replicaCount > 1", async () => {
        const one = inputs(natsRelease((await nats(config())).resources)[0]).values;
        expect(one.config.cluster).to.deep.equal({ enabled: false });
        const three = inputs(natsRelease((await nats(config({ nats: { replicaCount: 3 } }))).resources)[0]).values;
        expect(three.config.cluster).to.deep.equal({ enabled: true, replicas: 3 });
    });

    it("applies the registry mirror and pull secrets to every NATS image", async () => {
        const c = config({ global: { imageRegistry: "mirror.example.com", imagePullSecrets: ["regcred"] } });
        const { values } = inputs(natsRelease((await nats(c)).resources)[0]);
        expect(values.global.image).to.deep.equal({ registry: "mirror.example.com", pullSecretNames: ["regcred"] });
    });

    it("exposes nats://pulse-nats:4222, or the external URL when off", async () => {
        const on = await build(config());
        expect(await resolve(on.platform.outputs.natsUrl)).to.equal("nats://pulse-nats:4222");
        const off = await build(config({ nats: { enabled: false, externalUrl: "tls://nats.example.com:4222" } }));
        expect(natsRelease(off.resources)).to.have.length(0);
        expect(await resolve(off.platform.outputs.natsUrl)).to.equal("tls://nats.example.com:4222");
    });
});
