import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { releaseChart } from "../lib/helm";
import { isSecretValue } from "../tools/mocks";
import { buildComponent, config, inputs, releases } from "./helpers";

describe("chart sources (lib/helm)", () => {
    const source = (over: Partial<ReturnType<typeof config>["nats"]["chart"]>) => ({ ...config().nats.chart, ...over });

    it("a public repository: the chart by name and the repository's URL", () => {
        expect(releaseChart(source({}), "nats")).to.deep.equal({ chart: "nats", repositoryOpts: { repo: "https://nats-io.github.io/k8s/helm/charts/" } });
    });

    it("an OCI registry: the full chart reference and no repository", () => {
        expect(releaseChart(source({ repository: "oci://registry.example.com/charts/" }), "nats")).to.deep.equal({
            chart: "oci://registry.example.com/charts/nats",
        });
    });

    it("a local chart directory or .tgz: its path, no repository, no credentials", () => {
        expect(releaseChart(source({ path: "vendor/nats-1.2.11.tgz" }), "nats", "pw")).to.deep.equal({ chart: "vendor/nats-1.2.11.tgz" });
    });

    it("a private repository: user, password, CA and client certificate", () => {
        const r = releaseChart(
            source({ repository: "https://charts.example.com", username: "robot", caFile: "ca.pem", certFile: "c.pem", keyFile: "k.pem" }),
            "nats",
            "pw",
        );
        expect(r).to.deep.equal({
            chart: "nats",
            repositoryOpts: { repo: "https://charts.example.com", username: "robot", password: "pw", caFile: "ca.pem", certFile: "c.pem", keyFile: "k.pem" },
        });
    });

    it("the repository password reaches the Releases as a Pulumi secret, never in plain text", async () => {
        const cfg = config({ nats: { chart: { repository: "oci://registry.example.com/charts", username: "robot" } } });
        const secrets = { chartRepositoryPassword: pulumi.secret("s3cret") };
        const nats = releases((await buildComponent("nats", cfg, secrets)).resources, "pulse-nats")[0];
        expect(isSecretValue(nats.inputs.repositoryOpts), "repositoryOpts is secret").to.equal(true);
        expect(inputs(nats).repositoryOpts).to.deep.equal({ username: "robot", password: "s3cret" });
        expect(inputs(releases((await buildComponent("emqx", cfg, secrets)).resources, "pulse-emqx")[0]).repositoryOpts).to.deep.equal({
            repo: "https://repos.emqx.io/charts",
        });
    });
});
