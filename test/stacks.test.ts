import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import {
    ConfigError,
    contractOf,
    parseConfig,
    parseQuantity,
    parseStackConfig,
    PRODUCTION_SECRETS,
    PulseConfig,
    pulseConfigSchema,
    SERVICE_NAMES,
} from "../config";
import { projectConfigDeclarations, PROJECT_DIR, readStackFile, withPlaceholderSecrets } from "../tools/stackfile";
import { CI_STACK_FILE, stackConfig } from "./helpers";

const stackFiles = fs.readdirSync(PROJECT_DIR).filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f));

/** Replica count a service really runs with: the HPA minimum when autoscaling, else replicaCount. */
const minReplicas = (c: PulseConfig, s: (typeof SERVICE_NAMES)[number]) => (c[s].autoscaling.enabled ? c[s].autoscaling.minReplicas : c[s].replicaCount);

describe("stack files", () => {
    it("has the dev and prod stacks", () => {
        expect(stackFiles).to.include.members(["Pulumi.dev.yaml", "Pulumi.prod.yaml"]);
    });

    for (const file of [...stackFiles, path.relative(PROJECT_DIR, CI_STACK_FILE)]) {
        it(`${file} passes the schema (a template's production secrets set)`, () => {
            expect(() => parseStackConfig(withPlaceholderSecrets(readStackFile(path.join(PROJECT_DIR, file))))).not.to.throw();
        });
    }

    it("every stack has the Kubernetes provider update Secrets and ConfigMaps in place (its default deletes and recreates them, and with them every Deployment that names them)", () => {
        const mutable = (file: string) => {
            const { values } = readStackFile(file);
            return [values["kubernetes:enableSecretMutable"], values["kubernetes:enableConfigMapMutable"]];
        };
        for (const file of [...stackFiles.map((f) => path.join(PROJECT_DIR, f)), CI_STACK_FILE]) expect(mutable(file), file).to.deep.equal(["true", "true"]);
        const without = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pulse-stack-")), "Pulumi.bad.yaml");
        fs.writeFileSync(without, 'config:\n  kubernetes:enableSecretMutable: "true"\n');
        expect(mutable(without)).to.deep.equal(["true", undefined]);
    });

    it("Pulumi.prod.yaml is a template: without its production secrets it fails naming each, and only them", () => {
        let problems: string[] = [];
        try {
            parseStackConfig(readStackFile(path.join(PROJECT_DIR, "Pulumi.prod.yaml")));
        } catch (e) {
            problems = [...(e as ConfigError).problems];
        }
        expect(problems.map((p) => p.split(": ")[0])).to.deep.equal(PRODUCTION_SECRETS.map((k) => `pulse:${k}`));
    });

    it("a broken stack file fails the same check (the check can fail)", () => {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pulse-stack-"));
        const bad = path.join(tmp, "Pulumi.bad.yaml");
        fs.writeFileSync(bad, "config:\n  pulse:ingest:\n    replicaCout: 2\n");
        expect(() => parseStackConfig(readStackFile(bad))).to.throw(/pulse:ingest.replicaCout: unknown key/);
    });

    describe("dev starts simple", () => {
        const dev = stackConfig("dev");
        it("runs one replica of every Pulse service, Keycloak and EMQX, with no autoscaling", () => {
            for (const s of SERVICE_NAMES) {
                expect(dev[s].replicaCount, s).to.equal(1);
                expect(dev[s].autoscaling.enabled, s).to.equal(false);
            }
            expect(dev.keycloak.replicaCount).to.equal(1);
            expect(dev.emqx.replicaCount).to.equal(1);
        });
        it("keeps every dependency in-cluster", () => {
            expect(dev.postgresql.enabled).to.equal(true);
            expect(dev.externalDatabase.enabled).to.equal(false);
            expect(dev.emqx.enabled).to.equal(true);
            expect(dev.nats.enabled).to.equal(true);
        });
        it("lets `pulumi destroy` remove the disposable dev database", () => {
            expect(dev.postgresql.protect).to.equal(false);
        });
        it("uses small volumes (at most 1Gi each; NATS's holds what Pulse's streams reserve, 2Gi)", () => {
            const sizes = [dev.postgresql.persistence.size, dev.emqx.persistence.size];
            for (const s of sizes) expect(parseQuantity(s), s).to.be.at.most(2 ** 30);
            expect(parseQuantity(dev.nats.jetstream.fileStore.size)).to.equal(2 * 2 ** 30);
        });
    });

    describe("prod is highly available and safe", () => {
        const prod = stackConfig("prod");
        const defaults = parseConfig({});
        it("runs at least two replicas of every Pulse service that can run more than once, one of the others, two of Keycloak", () => {
            for (const s of SERVICE_NAMES) expect(minReplicas(prod, s), s).to.be.at.least(contractOf(s).singleton ? 1 : 2);
            expect(prod.keycloak.replicaCount).to.be.at.least(2);
        });
        it("runs in production mode", () => {
            expect(prod.app.environment).to.equal("production");
        });
        it("keeps the spec's ingest autoscaling", () => {
            expect(prod.ingest.autoscaling).to.deep.equal(defaults.ingest.autoscaling);
        });
        it("clusters EMQX", () => {
            expect(prod.emqx.replicaCount).to.be.at.least(3);
        });
        it("sizes persistence for production (larger than the chart defaults)", () => {
            expect(parseQuantity(prod.postgresql.persistence.size)).to.be.greaterThan(parseQuantity(defaults.postgresql.persistence.size)!);
            expect(parseQuantity(prod.nats.jetstream.fileStore.size)).to.be.greaterThan(parseQuantity(defaults.nats.jetstream.fileStore.size)!);
            expect(prod.postgresql.persistence.enabled && prod.emqx.persistence.enabled && prod.nats.jetstream.fileStore.enabled).to.equal(true);
        });
        it("keeps the database on destroy and replacement, and runs NATS as a 3-node JetStream cluster", () => {
            expect(prod.postgresql.protect).to.equal(true);
            expect(prod.nats.replicaCount).to.equal(3);
        });
        it("terminates TLS on the ingress for every host", () => {
            expect(prod.ingress.enabled).to.equal(true);
            const tlsHosts = prod.ingress.tls.flatMap((t) => t.hosts);
            for (const h of prod.ingress.hosts) expect(tlsHosts, h.host).to.include(h.host);
        });
        it("pins the Pulse release explicitly", () => {
            const raw = readStackFile(path.join(PROJECT_DIR, "Pulumi.prod.yaml")).values;
            expect(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.prod.yaml"), "utf8")).to.match(/pulse:appVersion:/);
            expect(raw["pulse:appVersion"]).to.equal(prod.appVersion);
        });
    });

    describe("Pulumi.yaml project config declarations", () => {
        const decls = projectConfigDeclarations();
        const shape = pulseConfigSchema.shape;
        const defaults = parseConfig({});
        it("declares only keys of the schema, with the schema's default and description", () => {
            expect(Object.keys(decls)).not.to.be.empty;
            for (const [full, decl] of Object.entries(decls)) {
                const key = full.replace(/^pulse:/, "") as keyof typeof shape;
                expect(shape, full).to.have.property(key);
                expect(decl.default, full).to.equal(defaults[key]);
                expect(decl.description, full).to.equal(shape[key].description);
            }
        });
    });
});
