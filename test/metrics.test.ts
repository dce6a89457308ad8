import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { expect } from "chai";
import { networkPolicyRules, NetworkPolicyRule } from "../components/networkPolicies";
import { contractOf, PulseConfig, PulseConfigInput, SERVICE_NAMES, componentOf } from "../config";
import {
    EMQX_API_PORT,
    EMQX_RELEASE,
    KEYCLOAK_MANAGEMENT_PORT,
    NATS_EXPORTER_PORT,
    NATS_RELEASE,
    POSTGRESQL_EXPORTER_PORT,
    POSTGRESQL_RELEASE,
} from "../lib/contracts";
import { metricsTargets, ScrapeTarget } from "../lib/metrics";
import { RecordedResource } from "../tools/mocks";
import { restrictedViolations as podRestrictedViolations } from "../tools/podSecurity";
import { build, buildComponent, config, inputs, ofType, releases, configProblems } from "./helpers";

const POD_MONITOR = "kubernetes:monitoring.coreos.com/v1:PodMonitor";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

/** kube-prometheus-stack in `monitoring`, as an operator would name it. */
const PROMETHEUS = { namespaceLabels: { "kubernetes.io/metadata.name": "monitoring" }, podLabels: { "app.kubernetes.io/name": "prometheus" } };
type MetricsInput = NonNullable<NonNullable<PulseConfigInput["global"]>["metrics"]>;
/** Metrics on, scraped by PROMETHEUS, plus the given sections. */
const withMetrics = (overrides: PulseConfigInput = {}, metrics: MetricsInput = {}): PulseConfig =>
    config({ ...overrides, global: { metrics: { enabled: true, prometheus: PROMETHEUS, ...metrics } } });

const problems = configProblems;

/** The Pulse services whose contract declares a metrics endpoint, as component keys. */
const SCRAPED_SERVICES = SERVICE_NAMES.filter((s) => contractOf(s).http?.metrics !== undefined).map(componentOf);
const metricsRules = (rules: NetworkPolicyRule[]) => rules.filter((r) => r.name.startsWith("pulse-metrics-"));
const podMonitors = (rs: RecordedResource[]) => ofType(rs, POD_MONITOR).map(inputs);
const releaseValues = (rs: RecordedResource[], release: string) => inputs(releases(rs, release)[0]).values;
const chartDefaults = (chart: string) =>
    YAML.parse(fs.readFileSync(path.join(__dirname, "fixtures", "charts", chart, "values.yaml"), "utf8")) as Record<string, any>;

/**
 * The Pod Security "restricted" checks (tools/podSecurity.ts) a container fails, given its pod's securityContext.
 * (The charts' exporters are not objects of the render: their values are what the tests can hold to the standard.)
 */
const restrictedViolations = (container: Record<string, any> = {}, pod: Record<string, any> = {}): string[] =>
    podRestrictedViolations({ securityContext: pod, containers: [{ name: "exporter", securityContext: container }] }).map((v) => v.split(":")[0]);

describe("metrics (Prometheus scrape targets)", () => {
    describe("off by default", () => {
        it("no target, no PodMonitor, no NetworkPolicy for them, no exporter in the charts' values", async () => {
            const c = config();
            expect(c.global.metrics.enabled).to.equal(false);
            expect(metricsTargets(c)).to.deep.equal([]);
            expect(metricsRules(networkPolicyRules(c))).to.deep.equal([]);
            const { resources } = await build(c);
            expect(ofType(resources, POD_MONITOR)).to.deep.equal([]);
            expect(ofType(resources, "pulse:metrics:Metrics")).to.deep.equal([]);
            expect(releaseValues(resources, POSTGRESQL_RELEASE)).not.to.have.property("metrics");
            expect(releaseValues(resources, NATS_RELEASE)).not.to.have.property("promExporter");
        });

        it("nothing rendered changes while global.metrics.enabled is false, whatever the other metrics keys say", async () => {
            const shape = (rs: RecordedResource[]) => rs.map((r) => ({ type: r.type, name: r.name, inputs: inputs(r) }));
            const plain = shape((await build(config())).resources);
            const preset = config({
                global: { metrics: { enabled: false, monitorLabels: { release: "prom" }, prometheus: PROMETHEUS } },
                keycloak: { metrics: { enabled: true } },
                nats: { metrics: { resources: { requests: { memory: "48Mi" } } } },
                postgresql: { metrics: { image: { tag: "0.16.0" } } },
            });
            expect(shape((await build(preset)).resources)).to.deep.equal(plain);
            // The check can fail: the same keys with metrics on change the render.
            expect(shape((await build(withMetrics())).resources)).not.to.deep.equal(plain);
        });
    });

    describe("config", () => {
        it("refuses PodMonitors with metrics off: there would be nothing to scrape", () => {
            const found = problems({ global: { metrics: { podMonitors: true } } });
            expect(found).to.have.length(1);
            expect(found[0]).to.match(/^pulse:global\.metrics\.podMonitors: needs global\.metrics\.enabled/);
        });

        it("requires Prometheus's namespace and pod labels while the NetworkPolicies are on: empty ones would admit everyone", () => {
            const none = problems({ global: { metrics: { enabled: true } } });
            expect(none.map((p) => p.split(": ")[0])).to.deep.equal([
                "pulse:global.metrics.prometheus.namespaceLabels",
                "pulse:global.metrics.prometheus.podLabels",
            ]);
            expect(none[0]).to.match(/every namespace/);
            const noPods = problems({ global: { metrics: { enabled: true, prometheus: { namespaceLabels: PROMETHEUS.namespaceLabels } } } });
            expect(noPods).to.have.length(1);
            expect(noPods[0]).to.match(/^pulse:global\.metrics\.prometheus\.podLabels: must name the Prometheus pods .* every pod of its namespace/);
            // A malformed section is reported where it is, once.
            expect(problems({ global: { metrics: { enabled: true, prometheus: "monitoring" } } } as never)).to.deep.equal([
                'pulse:global.metrics.prometheus: must be an object, got "monitoring"',
            ]);
            // Without NetworkPolicies there is nothing to admit; and a named Prometheus is accepted.
            expect(problems({ global: { metrics: { enabled: true } }, networkPolicy: { enabled: false } })).to.deep.equal([]);
            expect(problems({ global: { metrics: { enabled: true, podMonitors: true, prometheus: PROMETHEUS } } })).to.deep.equal([]);
        });

        it("has a `metrics` switch only on the services that serve metrics", () => {
            for (const s of SERVICE_NAMES) {
                const found = problems({ [s]: { metrics: { enabled: false } } });
                if (contractOf(s).http?.metrics) expect(found, s).to.deep.equal([]);
                else expect(found, s).to.deep.equal([`pulse:${s}.metrics: unknown key`]);
            }
        });

        it("pins the PostgreSQL exporter's image like every other (never 'latest')", () => {
            const found = problems({ postgresql: { metrics: { image: { tag: "latest" } } } });
            expect(found).to.have.length(1);
            expect(found[0]).to.match(/^pulse:postgresql\.metrics\.image\.tag: must be a pinned version/);
        });
    });

    describe("targets", () => {
        it("the Pulse services whose contract declares a metrics endpoint, Keycloak, EMQX, NATS and PostgreSQL", () => {
            const targets = metricsTargets(withMetrics());
            expect(targets.map((t) => t.component)).to.deep.equal([...SCRAPED_SERVICES, "keycloak", "emqx", "nats", "postgresql"]);
            for (const s of SERVICE_NAMES.filter((x) => contractOf(x).http?.metrics)) {
                const t = targets.find((x) => x.component === componentOf(s))!;
                expect(t.port.number, s).to.equal(contractOf(s).http!.port);
                expect(t.path, s).to.equal(contractOf(s).http!.metrics);
            }
            const byComponent = Object.fromEntries(targets.map((t) => [t.component, t]));
            expect(byComponent.keycloak).to.deep.include({ port: { name: "management", number: KEYCLOAK_MANAGEMENT_PORT }, path: "/metrics" });
            expect(byComponent.emqx).to.deep.include({ port: { name: "dashboard", number: EMQX_API_PORT }, path: "/api/v5/prometheus/stats" });
            expect(byComponent.nats.port).to.deep.equal({ name: "prom-metrics", number: NATS_EXPORTER_PORT });
            expect(byComponent.postgresql.port).to.deep.equal({ name: "http-metrics", number: POSTGRESQL_EXPORTER_PORT });
        });

        it("each component's switch leaves its own target out; an external broker, NATS or database has none", () => {
            const some = metricsTargets(
                withMetrics({ ingest: { metrics: { enabled: false } }, keycloak: { metrics: { enabled: false } }, nats: { metrics: { enabled: false } } }),
            );
            expect(some.map((t) => t.component)).to.deep.equal([...SCRAPED_SERVICES.filter((s) => s !== "ingest"), "emqx", "postgresql"]);
            const external = metricsTargets(
                withMetrics({
                    emqx: { enabled: false, externalHost: "mqtt.example.com" },
                    nats: { enabled: false, externalUrl: "nats://nats.example.com:4222" },
                    postgresql: { enabled: false },
                    externalDatabase: { enabled: true, host: "db.example.com" },
                }),
            );
            expect(external.map((t) => t.component)).to.deep.equal([...SCRAPED_SERVICES, "keycloak"]);
            // An existing identity provider instead of Keycloak: nothing of Keycloak to scrape or to open.
            const noKeycloak = metricsTargets(withMetrics({ keycloak: { enabled: false, external: { issuerUrl: "https://id.example.com/realms/pulse" } } }));
            expect(noKeycloak.map((t) => t.component)).not.to.include("keycloak");
        });

        it("the exporters' ports are the pinned charts' defaults (the program does not set them)", () => {
            expect(chartDefaults("nats-1.2.11").promExporter.port).to.equal(NATS_EXPORTER_PORT);
            const pg = chartDefaults("postgresql-15.5.38").metrics;
            expect([pg.containerPorts.metrics, pg.service.ports.metrics]).to.deep.equal([POSTGRESQL_EXPORTER_PORT, POSTGRESQL_EXPORTER_PORT]);
            expect(chartDefaults("emqx-5.8.9").service.dashboard).to.equal(EMQX_API_PORT);
        });
    });

    describe("NetworkPolicies", () => {
        it("admit the configured Prometheus, and only it, to each target's port on the target's pods", () => {
            const c = withMetrics();
            const rules = metricsRules(networkPolicyRules(c));
            const targets = metricsTargets(c);
            expect(rules.map((r) => r.name)).to.deep.equal(targets.map((t) => `pulse-metrics-${t.component}`));
            for (const t of targets) {
                const rule = rules.find((r) => r.name === `pulse-metrics-${t.component}`)!;
                expect(JSON.parse(JSON.stringify(rule.spec)), t.component).to.deep.equal({
                    podSelector: { matchLabels: t.pods },
                    policyTypes: ["Ingress"],
                    ingress: [
                        {
                            from: [{ namespaceSelector: { matchLabels: PROMETHEUS.namespaceLabels }, podSelector: { matchLabels: PROMETHEUS.podLabels } }],
                            ports: [{ protocol: "TCP", port: t.port.number }],
                        },
                    ],
                });
                // The charts' pods are not objects of the offline render: the linters' documented waiver.
                expect(rule.annotations !== undefined, t.component).to.equal(t.release !== undefined);
            }
        });

        it("open Keycloak's management port 9000 to Prometheus only with metrics on (closed to everyone before)", () => {
            const admits9000 = (rules: NetworkPolicyRule[]) =>
                rules.filter((r) => (r.spec.ingress as { ports?: { port: number }[] }[] | undefined)?.some((i) => i.ports?.some((p) => p.port === 9000)));
            expect(admits9000(networkPolicyRules(config()))).to.deep.equal([]);
            const open = admits9000(networkPolicyRules(withMetrics()));
            expect(open.map((r) => r.name)).to.deep.equal(["pulse-metrics-keycloak"]);
            expect(JSON.parse(JSON.stringify(open[0].spec.podSelector))).to.deep.equal({
                matchLabels: { "app.kubernetes.io/name": "pulse-keycloak", "app.kubernetes.io/instance": "pulse" },
            });
            expect(admits9000(networkPolicyRules(withMetrics({ keycloak: { metrics: { enabled: false } } })))).to.deep.equal([]);
        });

        it("select exactly the scraped servers among the charts' pods (NATS's, not nats-box's; PostgreSQL's primary)", () => {
            const pods = Object.fromEntries(metricsTargets(withMetrics()).map((t) => [t.component, t.pods]));
            expect(pods.nats).to.deep.equal({
                "app.kubernetes.io/name": "nats",
                "app.kubernetes.io/instance": NATS_RELEASE,
                "app.kubernetes.io/component": "nats",
            });
            expect(pods.postgresql).to.deep.equal({
                "app.kubernetes.io/name": "postgresql",
                "app.kubernetes.io/instance": POSTGRESQL_RELEASE,
                "app.kubernetes.io/component": "primary",
            });
            expect(pods.emqx).to.deep.equal({ "app.kubernetes.io/name": "emqx", "app.kubernetes.io/instance": EMQX_RELEASE });
        });

        it("are not created without NetworkPolicies; the targets and PodMonitors still are", async () => {
            const { resources } = await build(withMetrics({ networkPolicy: { enabled: false } }, { podMonitors: true }));
            expect(ofType(resources, NETWORK_POLICY)).to.deep.equal([]);
            expect(podMonitors(resources)).to.have.length(metricsTargets(withMetrics()).length);
        });
    });

    describe("PodMonitors", () => {
        it("are not registered without global.metrics.podMonitors (a cluster without the operator has no such kind)", async () => {
            const { resources } = await build(withMetrics());
            expect(ofType(resources, POD_MONITOR)).to.deep.equal([]);
            expect(ofType(resources, "pulse:metrics:Metrics")).to.deep.equal([]);
            // The targets are there all the same: the NetworkPolicies admit Prometheus to them.
            expect(ofType(resources, NETWORK_POLICY).filter((r) => inputs(r).metadata.name.startsWith("pulse-metrics-"))).to.have.length(9);
        });

        it("one per target, labelled for the Prometheus's selector", async () => {
            const c = withMetrics({}, { podMonitors: true, monitorLabels: { release: "kube-prometheus-stack" } });
            const monitors = podMonitors((await buildComponent("metrics", c)).resources);
            expect(monitors.map((m) => m.metadata.name)).to.deep.equal(metricsTargets(c).map((t) => `pulse-${t.component}`));
            for (const m of monitors) {
                expect(m).to.deep.include({ apiVersion: "monitoring.coreos.com/v1", kind: "PodMonitor" });
                expect(m.metadata.namespace).to.equal("pulse");
                expect(m.metadata.labels).to.include({ release: "kube-prometheus-stack", "app.kubernetes.io/part-of": "pulse" });
            }
        });

        it("select the Deployments' pods and name the container port the NetworkPolicy opens (Pulse services, Keycloak)", async () => {
            const c = withMetrics({}, { podMonitors: true });
            const { resources } = await build(c);
            const monitors = podMonitors(resources);
            const own = metricsTargets(c).filter((t) => t.release === undefined);
            expect(own.map((t) => t.component)).to.deep.equal([...SCRAPED_SERVICES, "keycloak"]);
            for (const t of own) {
                const m = monitors.find((x) => x.metadata.name === `pulse-${t.component}`);
                const deployment = inputs(ofType(resources, DEPLOYMENT).find((r) => inputs(r).metadata.name === `pulse-${t.component}`)!);
                const pod = deployment.spec.template;
                expect(m.spec.selector.matchLabels, t.component).to.deep.equal(deployment.spec.selector.matchLabels);
                expect(pod.metadata.labels, t.component).to.include(m.spec.selector.matchLabels);
                const [endpoint] = m.spec.podMetricsEndpoints;
                const ports = pod.spec.containers.flatMap((x: { ports?: { name: string; containerPort: number }[] }) => x.ports ?? []);
                expect(ports.find((p: { name: string }) => p.name === endpoint.port)?.containerPort, t.component).to.equal(t.port.number);
                expect(endpoint.path).to.equal(t.path);
            }
        });

        it("select the charts' pods with the NetworkPolicy's selector, on the charts' port names", () => {
            const c = withMetrics({}, { podMonitors: true });
            const rules = metricsRules(networkPolicyRules(c));
            const charts = metricsTargets(c).filter((t): t is ScrapeTarget & { release: string } => t.release !== undefined);
            expect(charts.map((t) => t.release)).to.deep.equal([EMQX_RELEASE, NATS_RELEASE, POSTGRESQL_RELEASE]);
            for (const t of charts) {
                const rule = rules.find((r) => r.name === `pulse-metrics-${t.component}`)!;
                expect(JSON.parse(JSON.stringify(rule.spec.podSelector)).matchLabels).to.deep.equal(t.pods);
            }
        });
    });

    describe("the charts' exporters", () => {
        it("PostgreSQL: the chart's exporter, its pinned image, explicit resources, under Pod Security 'restricted'", async () => {
            const c = withMetrics();
            const { metrics } = releaseValues((await buildComponent("database", c)).resources, POSTGRESQL_RELEASE);
            expect(metrics).to.deep.include({ enabled: true });
            expect(metrics.image).to.include({ registry: "docker.io", repository: "bitnamilegacy/postgres-exporter", tag: "0.15.0-debian-12-r43" });
            expect(metrics.resources.requests).to.have.keys("cpu", "memory", "ephemeral-storage");
            expect(metrics.resources.limits).to.have.property("memory");
            expect(metrics.containerSecurityContext.enabled).to.equal(true);
            expect(restrictedViolations(metrics.containerSecurityContext)).to.deep.equal([]);
            expect(metrics.containerSecurityContext).to.include({ readOnlyRootFilesystem: true, runAsUser: 1001 });
            const off = releaseValues(
                (await buildComponent("database", withMetrics({ postgresql: { metrics: { enabled: false } } }))).resources,
                POSTGRESQL_RELEASE,
            );
            expect(off).not.to.have.property("metrics");
        });

        it("NATS: the chart's promExporter sidecar, its resources and the restricted securityContext the chart does not give it", async () => {
            const values = releaseValues((await buildComponent("nats", withMetrics())).resources, NATS_RELEASE);
            expect(values.promExporter.enabled).to.equal(true);
            // The chart's own PodMonitor stays off: the program's is the one the render shows.
            expect(values.promExporter).not.to.have.property("podMonitor");
            expect(values.promExporter.merge.resources.limits).to.have.property("memory");
            const pod = values.podTemplate.merge.spec.securityContext;
            expect(restrictedViolations(values.promExporter.merge.securityContext, pod)).to.deep.equal([]);
            expect(values.promExporter.merge.securityContext.readOnlyRootFilesystem).to.equal(true);
            // The check can fail: the sidecar as the chart ships it (no securityContext) meets none of it but the pod's.
            expect(restrictedViolations({}, pod)).to.deep.equal(["allowPrivilegeEscalation", "capabilities"]);
            expect(restrictedViolations({})).to.have.length(4);
            const off = releaseValues((await buildComponent("nats", withMetrics({ nats: { metrics: { enabled: false } } }))).resources, NATS_RELEASE);
            expect(off).not.to.have.property("promExporter");
        });

        it("EMQX: nothing to switch on (the stats API is part of the broker), and the chart's own monitor stays off", async () => {
            const values = releaseValues((await buildComponent("emqx", withMetrics())).resources, EMQX_RELEASE);
            expect(values).not.to.have.property("metrics");
        });
    });
});
