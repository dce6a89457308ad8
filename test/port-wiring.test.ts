import { expect } from "chai";
import { NetworkPolicyLike, PodLike, portWiringProblems, ServiceLike } from "./port-wiring";

/** EMQX's pod as the chart declares it: ports named after EMQX's default listeners. */
const emqxPod: PodLike = {
    metadata: { name: "pulse-emqx-0", labels: { "app.kubernetes.io/instance": "pulse-emqx" } },
    spec: {
        containers: [
            {
                ports: [
                    { name: "mqtt", containerPort: 1883 },
                    { name: "ws", containerPort: 8083 },
                ],
            },
        ],
    },
};
const service = (targetPort: number | string, selector = { "app.kubernetes.io/instance": "pulse-emqx" }): ServiceLike => ({
    metadata: { name: "pulse-emqx-devices" },
    spec: { selector, ports: [{ port: 9001, targetPort }] },
});
const policy = (port: number | string): NetworkPolicyLike => ({
    metadata: { name: "pulse-allow-emqx" },
    spec: { podSelector: { matchLabels: { "app.kubernetes.io/instance": "pulse-emqx" } }, ingress: [{ ports: [{ port }] }] },
});

describe("port wiring (the integration suite's check of the live namespace)", () => {
    it("passes Services and policies that reach declared ports, by name or number", () => {
        expect(portWiringProblems([emqxPod], [service("ws"), service(8083)], [policy(8083), policy("ws")])).to.deep.equal([]);
        // A Service without a selector (the edge's blocked route) has no pods to check.
        expect(portWiringProblems([emqxPod], [{ metadata: { name: "pulse-edge-blocked" }, spec: { ports: [{ port: 80 }] } }], [])).to.deep.equal([]);
    });

    it("catches a policy opening the port EMQX was told to bind instead of the one its pod declares", () => {
        expect(portWiringProblems([emqxPod], [], [policy(9001)])).to.deep.equal([
            "NetworkPolicy pulse-allow-emqx opens port 9001, which none of its pods declares",
        ]);
    });

    it("catches a Service whose target port no selected pod declares, or that selects no pod", () => {
        expect(portWiringProblems([emqxPod], [service(9001), service("wss")], [])).to.deep.equal([
            "Service pulse-emqx-devices port 9001 -> 9001: not declared by pulse-emqx-0",
            "Service pulse-emqx-devices port 9001 -> wss: not declared by pulse-emqx-0",
        ]);
        expect(portWiringProblems([emqxPod], [service("ws", { "app.kubernetes.io/instance": "emqx" })], [])).to.deep.equal([
            "Service pulse-emqx-devices selects no pod",
        ]);
    });
});
