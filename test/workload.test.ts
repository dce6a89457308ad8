import { expect } from "chai";
import { DEFAULT_ROLLOUT_SECONDS, httpProbe, IMAGE_PULL_SECONDS, podStartBudgetSeconds, rolloutTimeouts, Workload, WorkloadArgs } from "../components/workload";
import { record } from "../tools/mocks";
import { config, inputs, one, ofType } from "./helpers";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";

function args(overrides: Partial<WorkloadArgs> = {}): WorkloadArgs {
    return {
        namespace: "ns",
        component: "thing",
        image: { repository: "acme/thing", tag: "1.0.0", pullPolicy: "IfNotPresent", ref: "acme/thing:1.0.0" },
        imagePullSecrets: [],
        replicas: 1,
        resources: config().ui.resources,
        ports: { http: 8080 },
        probes: { readiness: httpProbe("http", "/ready"), liveness: httpProbe("http", "/live") },
        runAsUser: 10001,
        awaitReadiness: true,
        ...overrides,
    };
}

async function workload(a: WorkloadArgs) {
    const { resources } = await record(() => new Workload("w", a));
    return resources;
}

describe("workload (generic component)", () => {
    it("exposes the Kubernetes name of its objects as objectName (its Pulumi name is its own)", async () => {
        const { result, resources } = await record(() => new Workload("w", args({ servicePorts: ["http"] })));
        expect(result.objectName).to.equal("pulse-thing");
        expect(inputs(one(resources, DEPLOYMENT)).metadata.name).to.equal(result.objectName);
        expect(one(resources, DEPLOYMENT).name).to.equal("w-deployment");
    });

    it("names every object pulse-<component> and selects its pods with labels the pods carry", async () => {
        const rs = await workload(args({ servicePorts: ["http"] }));
        const d = inputs(one(rs, DEPLOYMENT));
        expect(d.metadata.name).to.equal("pulse-thing");
        const selector = d.spec.selector.matchLabels;
        expect(d.spec.template.metadata.labels).to.include(selector);
        expect(d.metadata.labels).to.include({ "app.kubernetes.io/component": "thing", "app.kubernetes.io/version": "1.0.0" });
        const svc = inputs(one(rs, "kubernetes:core/v1:Service"));
        expect(svc.metadata.name).to.equal("pulse-thing");
        expect(svc.spec.selector).to.deep.equal(selector);
        expect(svc.spec.ports).to.deep.equal([{ name: "http", port: 8080, targetPort: "http", protocol: "TCP" }]);
        expect(svc.spec.type).to.equal("ClusterIP");
    });

    it("runs with its own ServiceAccount and no token", async () => {
        const rs = await workload(args());
        const sa = inputs(one(rs, "kubernetes:core/v1:ServiceAccount"));
        expect(sa.automountServiceAccountToken).to.equal(false);
        const pod = inputs(one(rs, DEPLOYMENT)).spec.template.spec;
        expect(pod.serviceAccountName).to.equal(sa.metadata.name);
        expect(pod.automountServiceAccountToken).to.equal(false);
    });

    it("meets Pod Security 'restricted' with a read-only root and a writable /tmp", async () => {
        const pod = inputs(one(await workload(args({ scratch: { cache: "/var/cache/thing" } })), DEPLOYMENT)).spec.template.spec;
        expect(pod.securityContext).to.deep.include({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } });
        const c = pod.containers[0];
        expect(c.securityContext).to.deep.include({
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ["ALL"] },
        });
        expect(c.volumeMounts).to.deep.include.members([
            { name: "tmp", mountPath: "/tmp" },
            { name: "cache", mountPath: "/var/cache/thing" },
        ]);
        expect(pod.volumes).to.deep.include({ name: "tmp", emptyDir: {} });
    });

    it("sets resources, named ports, probes and zero-downtime rolling updates", async () => {
        const d = inputs(one(await workload(args()), DEPLOYMENT));
        const c = d.spec.template.spec.containers[0];
        expect(c.resources.requests).to.have.keys("cpu", "memory", "ephemeral-storage");
        expect(c.resources.limits.memory).to.be.a("string");
        expect(c.readinessProbe.httpGet).to.deep.equal({ path: "/ready", port: "http" });
        expect(c.livenessProbe.httpGet).to.deep.equal({ path: "/live", port: "http" });
        expect(d.spec.strategy).to.deep.equal({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    });

    it("with autoscaling: an autoscaling/v2 HPA on CPU and no static replicas", async () => {
        const rs = await workload(args({ replicas: 3, autoscaling: { minReplicas: 2, maxReplicas: 7, targetCPUUtilizationPercentage: 65 } }));
        expect(inputs(one(rs, DEPLOYMENT)).spec).not.to.have.property("replicas");
        const hpa = inputs(one(rs, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"));
        expect(hpa.spec).to.deep.include({ minReplicas: 2, maxReplicas: 7 });
        expect(hpa.spec.scaleTargetRef).to.deep.equal({ apiVersion: "apps/v1", kind: "Deployment", name: "pulse-thing" });
        expect(hpa.spec.metrics[0].resource).to.deep.equal({ name: "cpu", target: { type: "Utilization", averageUtilization: 65 } });
    });

    it("without autoscaling: static replicas and no HPA", async () => {
        const rs = await workload(args({ replicas: 3 }));
        expect(inputs(one(rs, DEPLOYMENT)).spec.replicas).to.equal(3);
        expect(ofType(rs, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler")).to.have.length(0);
    });

    it("with two or more replicas: a PDB, host anti-affinity and zone spreading; with one: none", async () => {
        const ha = await workload(args({ replicas: 2 }));
        const pdb = inputs(one(ha, "kubernetes:policy/v1:PodDisruptionBudget"));
        expect(pdb.spec).to.deep.include({ maxUnavailable: 1, unhealthyPodEvictionPolicy: "AlwaysAllow" });
        const pod = inputs(one(ha, DEPLOYMENT)).spec.template.spec;
        expect(pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey).to.equal("kubernetes.io/hostname");
        expect(pod.topologySpreadConstraints[0].topologyKey).to.equal("topology.kubernetes.io/zone");
        const single = await workload(args({ replicas: 1 }));
        expect(ofType(single, "kubernetes:policy/v1:PodDisruptionBudget")).to.have.length(0);
        expect(inputs(one(single, DEPLOYMENT)).spec.template.spec).not.to.have.property("affinity");
    });

    it("adds pull secrets and pod annotations when given, no Service without service ports", async () => {
        const rs = await workload(args({ imagePullSecrets: ["regcred"], podAnnotations: { "checksum/x": "abc" } }));
        const t = inputs(one(rs, DEPLOYMENT)).spec.template;
        expect(t.spec.imagePullSecrets).to.deep.equal([{ name: "regcred" }]);
        expect(t.metadata.annotations).to.deep.equal({ "checksum/x": "abc" });
        expect(ofType(rs, "kubernetes:core/v1:Service")).to.have.length(0);
    });

    it("waits for a rollout as long as its pods may take: all at once on create, one at a time on update; never less than Pulumi's default", async () => {
        const slow = { startup: httpProbe("http", "/started", { periodSeconds: 5, failureThreshold: 60 }), readiness: httpProbe("http", "/ready") };
        // A pull, then the startup probe at its limit (300 s), then readiness (Kubernetes' defaults: 3 x 10 s).
        const pod = IMAGE_PULL_SECONDS + 300 + 30;
        expect(podStartBudgetSeconds(slow)).to.equal(pod);
        expect(rolloutTimeouts({ replicas: 1, probes: slow })).to.deep.equal({ create: DEFAULT_ROLLOUT_SECONDS, update: DEFAULT_ROLLOUT_SECONDS });
        expect(rolloutTimeouts({ replicas: 3, probes: slow })).to.deep.equal({ create: DEFAULT_ROLLOUT_SECONDS, update: 3 * pod });
        // With an HPA, an update may have to replace its maximum.
        const hpa = { minReplicas: 2, maxReplicas: 8, targetCPUUtilizationPercentage: 70 };
        expect(rolloutTimeouts({ replicas: 1, autoscaling: hpa, probes: slow }).update).to.equal(8 * pod);
        const rs = await workload(args({ replicas: 3, probes: slow }));
        expect(one(rs, DEPLOYMENT).customTimeouts).to.deep.include({ create: `${DEFAULT_ROLLOUT_SECONDS}s`, update: `${3 * pod}s` });
    });

    it("creates its Service after its Deployment, whose await saw the pods ready (test/awaits.test.ts pins the Service's await)", async () => {
        const rs = await workload(args({ servicePorts: ["http"] }));
        expect(one(rs, "kubernetes:core/v1:Service").dependencies).to.include(one(rs, DEPLOYMENT).urn);
    });
});
