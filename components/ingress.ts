/** The Kubernetes Ingress for the HTTP entry points: hosts and paths from config, each routed to its service. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PulseConfig } from "../config";
import { awaitAnnotations } from "../lib/awaits";
import { annotationsOrNone, standardLabels } from "../lib/labels";
import { backendTarget } from "../lib/routes";

export interface IngressArgs {
    readonly namespace: pulumi.Input<string>;
    readonly config: PulseConfig;
    /** The Services it routes to: its await (an address from the controller) starts once they are ready. */
    readonly after: readonly pulumi.Resource[];
}

/** The Ingress spec: every path to its backend's Service on the named port `http` (never Keycloak's management port). */
export function ingressSpec(config: PulseConfig) {
    const { ingress } = config;
    return {
        ingressClassName: ingress.className,
        rules: ingress.hosts.map((h) => ({
            host: h.host,
            http: {
                paths: h.paths.map((p) => ({
                    path: p.path,
                    pathType: p.pathType,
                    backend: { service: { name: backendTarget(p.service).service, port: { name: "http" } } },
                })),
            },
        })),
        ...(ingress.tls.length > 0 ? { tls: ingress.tls.map((t) => ({ secretName: t.secretName, hosts: [...t.hosts] })) } : {}),
    };
}

export class Ingress extends pulumi.ComponentResource {
    readonly ingress: k8s.networking.v1.Ingress;

    constructor(name: string, args: IngressArgs, opts?: pulumi.ComponentResourceOptions) {
        super("pulse:ingress:Ingress", name, {}, opts);
        this.ingress = new k8s.networking.v1.Ingress(
            `${name}-ingress`,
            {
                metadata: {
                    name: "pulse",
                    namespace: args.namespace,
                    labels: standardLabels({ component: "ingress" }),
                    ...annotationsOrNone({
                        ...args.config.ingress.annotations,
                        ...awaitAnnotations(args.config.global.awaitReadiness && args.config.ingress.awaitLoadBalancer),
                    }),
                },
                spec: ingressSpec(args.config),
            },
            { parent: this, dependsOn: [...args.after] },
        );
        this.registerOutputs({ name: "pulse" });
    }
}
