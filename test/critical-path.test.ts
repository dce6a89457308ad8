import { expect } from "chai";
import { criticalPath, formatCriticalPath, GraphResource, providerUrn, StepEvent } from "../tools/criticalPath";

const urn = (type: string, name: string) => `urn:pulumi:prod::pulse::pulse:platform:Platform$${type}::${name}`;
const PROVIDER = "urn:pulumi:prod::pulse::pulumi:providers:kubernetes::default_4_34_2";

/** A step that began at `from` and ended at `to` seconds (create, done). */
function step(type: string, name: string, from: number, to: number, phase: "done" | "failed" = "done"): StepEvent[] {
    return [
        { phase: "pre", op: "create", type, urn: urn(type, name), at: from * 1000 },
        { phase, op: "create", type, urn: urn(type, name), at: to * 1000 },
    ];
}
/** Events in time order, as the engine sends them. */
const inOrder = (...steps: StepEvent[][]) => steps.flat().sort((a, b) => a.at - b.at);
const node = (type: string, name: string, deps: [string, string][] = [], extra: Partial<GraphResource> = {}): GraphResource => ({
    urn: urn(type, name),
    custom: true,
    dependencies: deps.map(([t, n]) => urn(t, n)),
    ...extra,
});

const NS = "kubernetes:core/v1:Namespace";
const SECRET = "kubernetes:core/v1:Secret";
const RELEASE = "kubernetes:helm.sh/v3:Release";
const JOB = "kubernetes:batch/v1:Job";
const SERVICE = "kubernetes:core/v1:Service";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";

describe("critical path (tools/criticalPath.ts)", () => {
    // The first up of issue 24, reduced: the device Service's await held up the Deployments, each Service settled for
    // 10 s after its Deployment was ready, the Ingress settled again.
    const steps = inOrder(
        step(NS, "ns", 0.5, 0.8),
        step(SECRET, "db-secret", 0.9, 1.0),
        step(RELEASE, "emqx", 1.1, 6.0),
        step(RELEASE, "postgresql", 1.1, 6.2),
        step(JOB, "setup", 6.3, 7.4),
        step(JOB, "migrator", 7.5, 8.5),
        step(SERVICE, "devices", 6.1, 16.3),
        step(DEPLOYMENT, "ui-deployment", 16.4, 17.6),
        step(SERVICE, "ui-service", 17.7, 27.8),
        step(INGRESS, "ingress", 27.8, 38.0),
    );
    const graph = [
        node(NS, "ns"),
        node(SECRET, "db-secret", [[NS, "ns"]]),
        node(RELEASE, "emqx", [[NS, "ns"]]),
        node(RELEASE, "postgresql", [
            [NS, "ns"],
            [SECRET, "db-secret"],
        ]),
        node(JOB, "setup", [[RELEASE, "postgresql"]]),
        node(JOB, "migrator", [[JOB, "setup"]]),
        node(SERVICE, "devices", [[RELEASE, "emqx"]]),
        node(DEPLOYMENT, "ui-deployment", [
            [JOB, "migrator"],
            [RELEASE, "emqx"],
            [SERVICE, "devices"],
        ]),
        node(SERVICE, "ui-service", [[DEPLOYMENT, "ui-deployment"]]),
        node(INGRESS, "ingress", [[SERVICE, "ui-service"]]),
    ];

    it("walks back from the last step through the dependency that ended last before each link began", () => {
        const path = criticalPath(steps, graph);
        expect(path.totalMs).to.equal(38_000);
        expect(path.links.map((l) => l.name)).to.deep.equal(["ns", "emqx", "devices", "ui-deployment", "ui-service", "ingress"]);
        const devices = path.links[2];
        expect(devices).to.deep.include({ type: SERVICE, op: "create", startMs: 6100, endMs: 16_300, ms: 10_200 });
        expect(devices.waitMs, "from emqx's end to its start").to.be.closeTo(100, 1e-9);
        expect(path.links[0].waitMs, "the first link waits from the operation's start").to.equal(500);
    });

    it("the chain moves to another dependency when it is the one that ended last (the migrator, not the device Service)", () => {
        const graphWithout = graph.map((r) =>
            r.urn === urn(DEPLOYMENT, "ui-deployment") ? { ...r, dependencies: r.dependencies!.filter((d) => d !== urn(SERVICE, "devices")) } : r,
        );
        const quick = steps.map((s) => (s.urn.endsWith("::ui-deployment") ? { ...s, at: s.at - 7000 } : s));
        expect(criticalPath(quick, graphWithout).links.map((l) => l.name)).to.deep.equal([
            "ns",
            "db-secret",
            "postgresql",
            "setup",
            "migrator",
            "ui-deployment",
            "ui-service",
            "ingress",
        ]);
    });

    it("counts the provider as a gate, and never a component (which ends after its children) nor a step that ended after the link began", () => {
        const component = "urn:pulumi:prod::pulse::pulse:platform:Platform::pulse";
        const events = inOrder(
            [
                { phase: "pre", op: "create", type: "pulumi:providers:kubernetes", urn: PROVIDER, at: 100 },
                { phase: "done", op: "create", type: "pulumi:providers:kubernetes", urn: PROVIDER, at: 900 },
                { phase: "pre", op: "create", type: "pulse:platform:Platform", urn: component, at: 50 },
                { phase: "done", op: "create", type: "pulse:platform:Platform", urn: component, at: 950 },
            ],
            step(SECRET, "late", 0.2, 3.0),
            step(NS, "ns", 1.0, 2.0),
        );
        const withProvider = [
            { urn: PROVIDER, custom: true },
            { urn: component, custom: false },
            node(SECRET, "late"),
            node(NS, "ns", [[SECRET, "late"]], { provider: `${PROVIDER}::04da6b54-80e4-46f7-96ec-b56ff0331ba9`, parent: component }),
        ];
        // The Secret ended last, so it is the path's end; the Namespace is the longest chain only through its provider.
        const path = criticalPath(events, withProvider);
        // The stack, a component, ends after everything: never a link.
        const stack = "urn:pulumi:prod::pulse::pulumi:pulumi:Stack::pulse-prod";
        const withStack = inOrder(events, [
            { phase: "pre", op: "create", type: "pulumi:pulumi:Stack", urn: stack, at: 10 },
            { phase: "done", op: "create", type: "pulumi:pulumi:Stack", urn: stack, at: 5000 },
        ]);
        expect(criticalPath(withStack, [...withProvider, { urn: stack, custom: false }]).links.map((l) => l.name)).to.deep.equal(["late"]);
        expect(path.links.map((l) => l.name)).to.deep.equal(["late"]);
        const nsOnly = events.filter((e) => !e.urn.endsWith("::late"));
        expect(criticalPath(nsOnly, withProvider).links.map((l) => [l.name, l.waitMs])).to.deep.equal([
            ["default_4_34_2", 100],
            ["ns", 100],
        ]);
        expect(providerUrn(`${PROVIDER}::04da6b54-80e4-46f7-96ec-b56ff0331ba9`)).to.equal(PROVIDER);
    });

    it("a failed step ends the operation like a done one; steps that never ended are left out", () => {
        const events = inOrder(step(RELEASE, "postgresql", 1, 5), step(JOB, "migrator", 5.5, 9, "failed"), [
            { phase: "pre", op: "create", type: DEPLOYMENT, urn: urn(DEPLOYMENT, "never"), at: 9500 },
        ]);
        const path = criticalPath(events, [node(RELEASE, "postgresql"), node(JOB, "migrator", [[RELEASE, "postgresql"]])]);
        expect(path.totalMs).to.equal(9000);
        expect(path.links.map((l) => l.name)).to.deep.equal(["postgresql", "migrator"]);
        expect(criticalPath([], []).links).to.deep.equal([]);
    });

    it("a replaced resource spans its first step's start to its last step's end; of two ending together, the later event ends the path", () => {
        const job = urn(JOB, "migrator");
        const events: StepEvent[] = [
            { phase: "pre", op: "create-replacement", type: JOB, urn: job, at: 1000 },
            { phase: "done", op: "create-replacement", type: JOB, urn: job, at: 3000 },
            { phase: "pre", op: "replace", type: JOB, urn: job, at: 3000 },
            { phase: "done", op: "replace", type: JOB, urn: job, at: 3100 },
            ...step(SECRET, "tie", 2, 3.1),
        ];
        const path = criticalPath(events, [node(JOB, "migrator"), node(SECRET, "tie")]);
        expect(path.links).to.have.length(1);
        expect(path.links[0]).to.deep.include({ name: "tie" });
        const alone = criticalPath(events.slice(0, 4), [node(JOB, "migrator")]);
        expect(alone.links[0]).to.deep.include({ op: "create-replacement", startMs: 1000, endMs: 3100, ms: 2100 });
    });

    it("prints each link with its times and the total, split into the steps and the time between them", () => {
        const text = formatCriticalPath(criticalPath(steps, graph));
        const lines = text.split("\n");
        expect(lines).to.have.length(7);
        expect(lines[2]).to.match(/^\s+6\.1 → 16\.3\s+10\.2 s\s+\(\+0\.1 s\)\s+create\s+Service\s+devices$/);
        expect(lines[6]).to.equal("    total 38.0 s: 36.9 s in the steps, 1.1 s between them");
    });
});
