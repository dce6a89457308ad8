/**
 * The Kubernetes Ingress for the HTTP entry points: per host, Pulse's own routes (or the configured paths), each to its
 * service, and ui's internal endpoints (`/api/v1/internal/*`) to a Service with no endpoints, so no controller ever
 * routes them (the controller answers 503) whatever the other paths say.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { INTERNAL_API_PATH, PulseConfig } from "../config";
import { ingressAwaitAnnotations, SKIP_AWAIT_ANNOTATION } from "../lib/awaits";
import { objectName, TYPES } from "../lib/contracts";
import { annotationsOrNone, standardLabels } from "../lib/labels";
import { Route } from "../lib/routes";
import { Globals } from "./globals";

/** The Service that blocked paths route to: no selector, no endpoints. */
const BLOCKED_SERVICE = objectName("edge-blocked");

export interface IngressArgs {
    readonly globals: Globals;
    readonly ingress: PulseConfig["ingress"];
    /** The routing table (lib/routes' `routes(config)`): its paths, per host. */
    readonly routes: readonly Route[];
    /** The Services it routes to: it is created once they are (each after its ready pods), then awaits its address. */
    readonly after: readonly pulumi.Resource[];
}

/** The Ingress spec: every route to its backend's Service on the named port `http` (never Keycloak's management port). */
function ingressSpec(ingress: PulseConfig["ingress"], table: readonly Route[]) {
    const blocked = { path: INTERNAL_API_PATH, pathType: "Prefix", backend: { service: { name: BLOCKED_SERVICE, port: { name: "http" } } } };
    return {
        ingressClassName: ingress.className,
        rules: ingress.hosts.map((h) => ({
            host: h.host,
            http: {
                paths: [
                    ...table
                        .filter((r) => r.host === h.host)
                        .map((r) => ({ path: r.path, pathType: r.pathType, backend: { service: { name: r.target.service, port: { name: "http" } } } })),
                    blocked,
                ],
            },
        })),
        ...(ingress.tls.length > 0 ? { tls: ingress.tls.map((t) => ({ secretName: t.secretName, hosts: [...t.hosts] })) } : {}),
    };
}

export class Ingress extends pulumi.ComponentResource {
    readonly ingress: k8s.networking.v1.Ingress;
    readonly blockedService: k8s.core.v1.Service;

    constructor(name: string, args: IngressArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPES.ingress, name, {}, opts);
        const labels = standardLabels({ component: "ingress" });
        this.blockedService = new k8s.core.v1.Service(
            `${name}-blocked`,
            {
                metadata: {
                    name: BLOCKED_SERVICE,
                    namespace: args.globals.namespace,
                    labels,
                    annotations: {
                        // Nothing ever answers behind it: there is nothing to wait for.
                        [SKIP_AWAIT_ANNOTATION]: "true",
                        "ignore-check.kube-linter.io/dangling-service": `the Ingress routes ${INTERNAL_API_PATH}/* here so that nothing answers it`,
                    },
                },
                spec: { type: "ClusterIP", ports: [{ name: "http", port: 80, protocol: "TCP" }] },
            },
            { parent: this },
        );
        this.ingress = new k8s.networking.v1.Ingress(
            `${name}-ingress`,
            {
                metadata: {
                    name: "pulse",
                    namespace: args.globals.namespace,
                    labels,
                    ...annotationsOrNone({
                        ...args.ingress.annotations,
                        // Its controller's address; its backends' pods were ready before their Services (lib/awaits.ts).
                        ...ingressAwaitAnnotations(args.globals.awaitReadiness && args.ingress.awaitLoadBalancer),
                    }),
                },
                spec: ingressSpec(args.ingress, args.routes),
            },
            { parent: this, dependsOn: [...args.after, this.blockedService] },
        );
        this.registerOutputs({ ingress: this.ingress, blockedService: this.blockedService });
    }
}
