import { expect } from "chai";
import { previousUrns, renamedSince, withPreviousUrns } from "./integration/layout";

const P = "urn:pulumi:s::pulse::pulse:platform:Platform";
const np = (name: string) => `${P}$pulse:networkPolicies:NetworkPolicies$kubernetes:networking.k8s.io/v1:NetworkPolicy::${name}`;
const job = (name: string) => `${P}$pulse:migrator:Migrator$pulse:awaitedJob:AwaitedJob$kubernetes:batch/v1:Job::${name}`;

describe("the previous layout's state (integration suite's upgrade check)", () => {
    it("maps each renamed resource to its previous URN by parent chain, type and object name, and rewrites every reference", () => {
        const previous = previousUrns(
            [
                "urn:pulumi:test::pulse::x::a",
                np("pulse-allow-dns").replace("::s::", "::test::"),
                job("pulse-migrator").replace("::s::", "::test::"),
                np("pulse-apps").replace("::s::", "::test::"),
            ].join("\n"),
            "s",
        );
        const resources = [
            { urn: np("pulse-network-allow-dns"), type: "kubernetes:networking.k8s.io/v1:NetworkPolicy", outputs: { metadata: { name: "pulse-allow-dns" } } },
            { urn: np("pulse-apps"), type: "kubernetes:networking.k8s.io/v1:NetworkPolicy", outputs: { metadata: { name: "pulse-apps" } } },
            { urn: job("pulse-migrator-job-run"), type: "kubernetes:batch/v1:Job", outputs: { metadata: { name: "pulse-migrator-0123456789" } } },
            { urn: `${P}$kubernetes:apps/v1:Deployment::new-thing`, type: "kubernetes:apps/v1:Deployment", outputs: { metadata: { name: "pulse-ui" } } },
            // Added since: its object name only starts with a previous one's.
            {
                urn: np("pulse-network-allow-dns-extra"),
                type: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
                outputs: { metadata: { name: "pulse-allow-dns-extra" } },
            },
        ];
        const renamed = renamedSince(resources, previous);
        expect(renamed).to.deep.equal([
            { current: np("pulse-network-allow-dns"), previous: np("pulse-allow-dns") },
            { current: job("pulse-migrator-job-run"), previous: job("pulse-migrator") },
        ]);
        const state = { resources: [{ urn: job("pulse-migrator-job-run") }, { urn: "d", dependencies: [job("pulse-migrator-job-run")] }] };
        expect(withPreviousUrns(state, renamed)).to.deep.equal({
            resources: [{ urn: job("pulse-migrator") }, { urn: "d", dependencies: [job("pulse-migrator")] }],
        });
    });
});
