/**
 * The offline Pod Security "restricted" checker (tools/podSecurity.ts) that `npm run test:charts` runs over the
 * charts' rendered pods: a compliant pod passes, each rule catches its violation, the exemptions hold.
 */
import { expect } from "chai";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../lib/security";
import { podsOf, restrictedViolations } from "../tools/podSecurity";

/* A pod as the program shapes one: restricted at pod and container level. */
const good = () => ({
    securityContext: restrictedPodSecurityContext(1000) as Record<string, any>,
    initContainers: [{ name: "init", securityContext: restrictedContainerSecurityContext() as Record<string, any> }],
    containers: [{ name: "app", securityContext: restrictedContainerSecurityContext() as Record<string, any>, ports: [{ containerPort: 8080 }] }],
    volumes: [{ name: "tmp", emptyDir: {} }] as ({ name: string } & Record<string, unknown>)[],
});
const ids = (spec: Record<string, any>, metadata?: Record<string, any>) => restrictedViolations(spec, metadata).map((v) => v.split(":")[0]);
/** The pod with one change to its app container's securityContext. */
const withApp = (ctx: Record<string, any>) => {
    const pod = good();
    pod.containers[0].securityContext = { ...pod.containers[0].securityContext, ...ctx };
    return pod;
};

describe("Pod Security 'restricted' offline (tools/podSecurity.ts)", () => {
    it("passes a pod the program shapes (lib/security.ts)", () => {
        expect(restrictedViolations(good())).to.deep.equal([]);
    });

    it("refuses a pod with no security context at all, as admission does (the namespace's control)", () => {
        expect(ids({ containers: [{ name: "c", image: "busybox" }] })).to.deep.equal([
            "allowPrivilegeEscalation",
            "runAsNonRoot",
            "seccompProfile",
            "capabilities",
        ]);
        expect(restrictedViolations({ containers: [{ name: "c" }] })[0]).to.equal(
            'allowPrivilegeEscalation: allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false)',
        );
    });

    it("catches each restricted rule on a container, init containers included (the checks can fail)", () => {
        expect(ids(withApp({ allowPrivilegeEscalation: true }))).to.deep.equal(["allowPrivilegeEscalation"]);
        expect(ids(withApp({ runAsNonRoot: false }))).to.deep.equal(["runAsNonRoot"]);
        expect(ids(withApp({ runAsUser: 0 }))).to.deep.equal(["runAsUser"]);
        expect(ids(withApp({ seccompProfile: { type: "Unconfined" } }))).to.deep.equal(["seccompProfile"]);
        expect(ids(withApp({ capabilities: { drop: ["NET_RAW"] } }))).to.deep.equal(["capabilities"]);
        expect(ids(withApp({ capabilities: { drop: ["ALL"], add: ["SYS_ADMIN"] } }))).to.deep.equal(["capabilities"]);
        expect(ids(withApp({ capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] } }))).to.deep.equal([]);
        expect(ids(withApp({ privileged: true }))).to.deep.equal(["privileged"]);
        expect(ids(withApp({ procMount: "Unmasked" }))).to.deep.equal(["procMount"]);
        expect(ids(withApp({ seLinuxOptions: { type: "spc_t" } }))).to.deep.equal(["seLinuxOptions"]);
        expect(ids(withApp({ seLinuxOptions: { type: "container_t" } }))).to.deep.equal([]);
        expect(ids(withApp({ appArmorProfile: { type: "Unconfined" } }))).to.deep.equal(["appArmorProfile"]);
        expect(ids(withApp({ windowsOptions: { hostProcess: true } }))).to.deep.equal(["windowsHostProcess"]);
        const init = good();
        delete init.initContainers[0].securityContext.allowPrivilegeEscalation;
        expect(restrictedViolations(init)).to.deep.equal([
            'allowPrivilegeEscalation: allowPrivilegeEscalation != false (container "init" must set securityContext.allowPrivilegeEscalation=false)',
        ]);
    });

    it("catches the pod-level rules: host namespaces, ports, volumes, sysctls, probe hosts, AppArmor annotations", () => {
        expect(ids({ ...good(), hostNetwork: true })).to.deep.equal(["hostNamespaces"]);
        const port = good();
        port.containers[0].ports = [{ containerPort: 8080, hostPort: 8080 } as never];
        expect(ids(port)).to.deep.equal(["hostPorts"]);
        expect(ids({ ...good(), volumes: [{ name: "host", hostPath: { path: "/" } }] })).to.deep.equal(["restrictedVolumes"]);
        expect(
            ids({
                ...good(),
                volumes: [
                    { name: "nfs", nfs: { server: "x", path: "/" } },
                    { name: "ok", secret: { secretName: "s" } },
                ],
            }),
        ).to.deep.equal(["restrictedVolumes"]);
        const sysctl = good();
        sysctl.securityContext.sysctls = [{ name: "kernel.msgmax", value: "1" }];
        expect(ids(sysctl)).to.deep.equal(["sysctls"]);
        sysctl.securityContext.sysctls = [{ name: "net.ipv4.tcp_keepalive_time", value: "60" }];
        expect(ids(sysctl)).to.deep.equal([]);
        const probe = good();
        probe.containers[0] = { ...probe.containers[0], livenessProbe: { httpGet: { host: "10.0.0.1", port: 80 } } } as never;
        expect(ids(probe)).to.deep.equal(["hostProbesAndHostLifecycle"]);
        expect(ids(good(), { annotations: { "container.apparmor.security.beta.kubernetes.io/app": "unconfined" } })).to.deep.equal(["appArmorProfile"]);
        expect(ids(good(), { annotations: { "container.apparmor.security.beta.kubernetes.io/app": "runtime/default" } })).to.deep.equal([]);
    });

    it("pod and container settings combine as admission combines them", () => {
        // Set on the pod only: every container inherits it.
        const podOnly = good();
        for (const c of [...podOnly.containers, ...podOnly.initContainers]) {
            delete c.securityContext.runAsNonRoot;
            delete c.securityContext.seccompProfile;
        }
        expect(ids(podOnly)).to.deep.equal([]);
        // Not on the pod: every container must set it.
        delete podOnly.securityContext.runAsNonRoot;
        delete podOnly.securityContext.seccompProfile;
        expect(ids(podOnly)).to.deep.equal(["runAsNonRoot", "seccompProfile"]);
        // A container's false beats the pod's true; the pod's runAsUser 0 is refused whatever the containers say.
        expect(ids(withApp({ runAsNonRoot: false }))).to.deep.equal(["runAsNonRoot"]);
        const rootPod = good();
        rootPod.securityContext.runAsUser = 0;
        expect(ids(rootPod)).to.deep.equal(["runAsUser"]);
    });

    it("keeps admission's exemptions: Windows pods (escalation, seccomp, capabilities), user-namespaced pods (non-root, uid)", () => {
        const bare = { containers: [{ name: "c" }] };
        expect(ids({ ...bare, os: { name: "windows" } })).to.deep.equal(["runAsNonRoot"]);
        expect(ids({ ...bare, hostUsers: false })).to.deep.equal(["allowPrivilegeEscalation", "seccompProfile", "capabilities"]);
    });

    it("finds the pod templates of every kind that has one", () => {
        const spec = good();
        const template = { metadata: { labels: { a: "b" } }, spec };
        expect(podsOf({ kind: "Pod", metadata: {}, spec }).map((p) => p.where)).to.deep.equal(["spec"]);
        for (const kind of ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"]) {
            expect(
                podsOf({ kind, spec: { template } }).map((p) => p.where),
                kind,
            ).to.deep.equal(["spec.template"]);
        }
        expect(podsOf({ kind: "CronJob", spec: { jobTemplate: { spec: { template } } } })[0]).to.deep.include({
            where: "spec.jobTemplate.spec.template",
            spec,
        });
        expect(podsOf({ kind: "Service", spec: {} })).to.deep.equal([]);
    });
});
