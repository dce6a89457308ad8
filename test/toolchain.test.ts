import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { installedVersion, PROJECT_DIR } from "../tools/stackfile";
import { toolchainVar } from "../tools/toolchain";

const read = (...p: string[]) => fs.readFileSync(path.join(PROJECT_DIR, ...p), "utf8");
/** The version a wrapper go.mod requires of a module. */
const required = (wrapper: string, module: string) => {
    const m = new RegExp(`^\\s*(?:require\\s+)?${module.replace(/[.]/g, "\\.")} (v\\S+)`, "m").exec(read("toolchain", wrapper, "go.mod"));
    if (!m) throw new Error(`toolchain/${wrapper}/go.mod does not require ${module}`);
    return m[1];
};

/** Staging replaces (`k8s.io/x => k8s.io/x v0.y.z`) of a go.mod. */
export function stagingReplaces(goMod: string): { module: string; version: string }[] {
    return [...goMod.matchAll(/^\s*(k8s\.io\/[\w-]+) => (k8s\.io\/[\w-]+) (v\S+)$/gm)].map((m) => {
        if (m[1] !== m[2]) throw new Error(`${m[1]} is replaced by another module (${m[2]})`);
        return { module: m[1], version: m[3] };
    });
}

describe("integration toolchain (scripts/toolchain.sh, toolchain/*)", () => {
    it("builds the Pulumi CLI at the version of @pulumi/pulumi in the lockfile", () => {
        const v = `v${installedVersion("@pulumi/pulumi")}`;
        expect(required("pulumi", "github.com/pulumi/pulumi/pkg/v3")).to.equal(v);
        expect(required("pulumi", "github.com/pulumi/pulumi/sdk/v3")).to.equal(v);
        expect(toolchainVar("PULUMI_VERSION")).to.equal(v);
    });

    it("builds the one Kubernetes provider version the script names, and docs/integration-testing.md says which @pulumi/kubernetes it stands in for", () => {
        const commit = toolchainVar("PROVIDER_COMMIT");
        expect(required("kubernetes-provider", "github.com/pulumi/pulumi-kubernetes/provider/v4")).to.equal(commit);
        const doc = read("docs", "integration-testing.md");
        expect(doc).to.include(commit);
        expect(doc).to.include(`@pulumi/kubernetes ${installedVersion("@pulumi/kubernetes")}`);
    });

    it("builds kube-apiserver with every staging module at the matching v0.x release", () => {
        const k8sVersion = toolchainVar("KUBERNETES_VERSION");
        expect(required("kubernetes", "k8s.io/kubernetes")).to.equal(k8sVersion);
        const replaces = stagingReplaces(read("toolchain", "kubernetes", "go.mod"));
        expect(replaces.map((r) => r.module)).to.include.members(["k8s.io/api", "k8s.io/apiserver", "k8s.io/client-go", "k8s.io/pod-security-admission"]);
        for (const r of replaces) expect(r.version, r.module).to.equal(k8sVersion.replace(/^v1\./, "v0."));
    });

    it("catches a staging module left at another version, or replaced by a different module", () => {
        const bad = "replace (\n\tk8s.io/api => k8s.io/api v0.35.4\n\tk8s.io/apiserver => k8s.io/apiserver v0.34.0\n)";
        expect(stagingReplaces(bad).find((r) => r.module === "k8s.io/apiserver")!.version).to.equal("v0.34.0");
        expect(() => stagingReplaces("\tk8s.io/api => k8s.io/apimachinery v0.35.4")).to.throw(/replaced by another module/);
    });

    it("builds etcd 3.5.x, the version the script names", () => {
        expect(required("etcd", "go.etcd.io/etcd/server/v3"))
            .to.equal(toolchainVar("ETCD_VERSION"))
            .and.to.match(/^v3\.5\./);
    });

    it("builds kwok and kwokctl (the simulated cluster) at the version the script names", () => {
        expect(required("kwok", "sigs.k8s.io/kwok")).to.equal(toolchainVar("KWOK_VERSION"));
    });

    it("builds helm at the version the Kubernetes provider embeds, so `helm template` renders as the provider installs", () => {
        const embedded = required("kubernetes-provider", "helm.sh/helm/v3");
        expect(required("helm", "helm.sh/helm/v3")).to.equal(embedded);
        expect(toolchainVar("HELM_VERSION")).to.equal(embedded);
    });
});
