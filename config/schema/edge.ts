/**
 * The edge: the Ingress that routes HTTP into the platform and the NetworkPolicies that admit only the platform's flows.
 */
import { isIP } from "net";
import { z } from "zod";
import { parseCidr, strictlyInside } from "../../lib/cidr";
import { annotationMap, bool, httpPath, labelMap, port } from "./blocks";
import { cidrs, dnsLabel, INGRESS_HOST_RE, k8sName } from "./formats";

/** RFC 1918: the networks the cluster's pods and nodes live in, never "the internet". */
const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] as const;

/** Where the usual controller of an IngressClass runs (its install docs' namespace); other classes must say. */
export const CONTROLLER_NAMESPACES: Readonly<Record<string, string>> = { nginx: "ingress-nginx" };

/** Whether the class's controller namespace is known without config (own keys only: not "constructor" and the like). */
export const knownControllerClass = (className: string): boolean => Object.hasOwn(CONTROLLER_NAMESPACES, className);

/** The namespace whose pods the NetworkPolicies admit as the Ingress controller (validated to exist). */
export function ingressControllerNamespace(c: { networkPolicy: { ingressController: { namespace?: string } }; ingress: { className: string } }): string {
    const ns =
        c.networkPolicy.ingressController.namespace ?? (knownControllerClass(c.ingress.className) ? CONTROLLER_NAMESPACES[c.ingress.className] : undefined);
    if (ns === undefined) throw new Error(`no ingress controller namespace for class ${c.ingress.className} (validation should have required it)`);
    return ns;
}

/** The ports of ui's "test channel" features (it connects out to check a notification channel), by channel. */
export const UI_TEST_CHANNELS = {
    smtp: { protocol: "TCP", ports: [25, 465, 587] },
    snmp: { protocol: "UDP", ports: [161, 162] },
    mqtt: { protocol: "TCP", ports: [1883, 8883] },
} as const;

/** A channel's ranges: where ui may connect to test it, nowhere by default. */
const testChannel = (channel: keyof typeof UI_TEST_CHANNELS) =>
    cidrs("203.0.113.0/24")
        .default([])
        .describe(
            `Where ui may test ${channel.toUpperCase()} channels (${UI_TEST_CHANNELS[channel].protocol} ${UI_TEST_CHANNELS[channel].ports.join(", ")}); empty: nowhere`,
        );

const uiTestChannels = z.strictObject({ smtp: testChannel("smtp"), snmp: testChannel("snmp"), mqtt: testChannel("mqtt") }).prefault({});

export const networkPolicy = z
    .strictObject({
        enabled: bool().default(true).describe("Default-deny NetworkPolicies for the namespace plus the flows the platform needs"),
        ingressController: z
            .strictObject({
                namespace: dnsLabel()
                    .optional()
                    .describe(
                        `Namespace of the Ingress controller allowed to reach the HTTP entry points; unset: the usual one for \`ingress.className\` (${Object.entries(
                            CONTROLLER_NAMESPACES,
                        )
                            .map(([c, ns]) => `${c}: ${ns}`)
                            .join(", ")}), required for any other class`,
                    ),
                podLabels: labelMap().default({}).describe("Labels of the controller's pods (empty: any pod of that namespace)"),
            })
            .prefault({}),
        mqttClientCidrs: cidrs("10.0.0.0/8")
            .default([])
            .describe("Address ranges outside the namespace allowed to reach EMQX's MQTT ports (devices, load balancer)"),
        apiServerCidrs: cidrs("10.96.0.1/32")
            .default(["0.0.0.0/0"])
            .describe("Where EMQX may reach the Kubernetes API (its k8s cluster discovery), on 443/6443"),
        uiTestChannels: uiTestChannels.describe(
            'Where ui\'s "test channel" features may connect (a notification channel checked from the UI): address ranges per channel, closed by default',
        ),
        internet: z
            .strictObject({
                cidrs: cidrs("0.0.0.0/0")
                    .default(["0.0.0.0/0"])
                    .describe(
                        "Where the services may reach outside the cluster: Stripe and S3 (ui, ops-worker, on 443 and S3's port), webhooks (route-delivery), SMTP (subscription-worker, Keycloak)",
                    ),
                except: cidrs("10.0.0.0/8")
                    .default([...PRIVATE_RANGES])
                    .describe(
                        "Ranges excluded from `cidrs` (default: the private networks, the cluster's own pods and nodes, wherever a `cidrs` range contains them); each one you set must lie inside a `cidrs` range",
                    ),
                webhookPorts: z.array(port(443)).default([80, 443]).describe("Ports route-delivery may deliver webhooks to"),
            })
            .prefault({})
            .superRefine((net, ctx) => {
                // Kubernetes accepts an `except` only strictly inside its ipBlock's cidr; one inside none of them would
                // be dropped from every block, so the range it names would stay open.
                const blocks = net.cidrs.map(parseCidr).filter((b) => typeof b !== "string");
                if (blocks.length !== net.cidrs.length) return; // a malformed cidr is reported on its own
                // The default private ranges apply where a range contains them (a narrow public range needs none).
                if (net.except.length === PRIVATE_RANGES.length && net.except.every((e, i) => e === PRIVATE_RANGES[i])) return;
                net.except.forEach((text, i) => {
                    const range = parseCidr(text);
                    if (typeof range === "string" || blocks.some((b) => strictlyInside(range, b))) return;
                    ctx.addIssue({
                        code: "custom",
                        path: ["except", i],
                        input: text,
                        message: `must lie strictly inside one of internet.cidrs (${net.cidrs.join(", ")}), or it excludes nothing`,
                    });
                });
            }),
    })
    .prefault({});

const PATH_TYPES = ["Prefix", "Exact", "ImplementationSpecific"] as const;
/** Services an Ingress path may route to. */
export const INGRESS_BACKENDS = ["ui", "provisionApi", "keycloak", "caddy"] as const;

/**
 * k8s.io/kubernetes v1.35.4 pkg/apis/networking/validation/validation.go validateHTTPIngressPath: an Exact or Prefix
 * path must not contain these sequences nor end with these suffixes (an ImplementationSpecific one only starts with '/').
 */
const INVALID_PATH_SEQUENCES = ["//", "/./", "/../", "%2f", "%2F"];
const INVALID_PATH_SUFFIXES = ["/..", "/."];
/**
 * An Exact or Prefix path is matched literally, element by element: `*` there matches nothing (only a URL with a
 * literal '*'), whatever the controller; ingress-nginx (the `nginx` class) also refuses any character outside these
 * ("path ... cannot be used with pathType Prefix", its strict-validate-path-type check). Patterns are
 * ImplementationSpecific.
 */
const NGINX_LITERAL_PATH_RE = /^\/[A-Za-z0-9\-._~/]*$/;

/** Why the API server or the controller of `className` refuses a path of this type, or undefined. */
function ingressPathProblem(path: string, pathType: (typeof PATH_TYPES)[number], className: string): string | undefined {
    if (pathType === "ImplementationSpecific") return undefined;
    const seq = INVALID_PATH_SEQUENCES.find((x) => path.includes(x));
    if (seq) return `must not contain '${seq}' with pathType ${pathType} (the API server refuses it)`;
    const suffix = INVALID_PATH_SUFFIXES.find((x) => path.endsWith(x));
    if (suffix) return `cannot end with '${suffix}' with pathType ${pathType} (the API server refuses it)`;
    if (path.includes("*")) return `must not contain '*' with pathType ${pathType}: it is matched literally; use pathType ImplementationSpecific for a pattern`;
    if (className === "nginx" && !NGINX_LITERAL_PATH_RE.test(path)) {
        return `must be a literal path (letters, digits, '-', '.', '_', '~' and '/') with pathType ${pathType}: ingress-nginx refuses others; use pathType ImplementationSpecific for a pattern`;
    }
    return undefined;
}

const ingressPath = z.strictObject({
    path: httpPath("/").describe("URL path"),
    pathType: z.enum(PATH_TYPES, { error: `must be one of ${PATH_TYPES.join(", ")}` }).default("Prefix"),
    service: z
        .enum(INGRESS_BACKENDS, { error: `must be one of ${INGRESS_BACKENDS.join(", ")}` })
        .default("ui")
        .describe("Pulse service the path routes to"),
});

/** ui's internal endpoints (EMQX authentication and ACL): never routed from outside. */
export const INTERNAL_API_PATH = "/api/v1/internal";

const ingressHostRule = z.strictObject({
    host: z
        .string({ error: "must be a DNS host name" })
        .regex(INGRESS_HOST_RE, { error: "must be a DNS host name (RFC 1123), optionally starting with '*.'" })
        // networking/validation.go validateIngressRules: "must be a DNS name, not an IP address".
        .refine((h) => isIP(h) === 0, { error: "must be a DNS name, not an IP address (the API server refuses an IP as an Ingress host)" }),
    paths: z
        .array(ingressPath)
        .min(1, { error: "must list at least one path" })
        .optional()
        .describe("Paths and the service each routes to; unset: Pulse's own routes (Keycloak's paths, then ui at /)"),
});

export const ingress = z
    .strictObject({
        enabled: bool().default(true).describe("Create an Ingress for the HTTP entry points"),
        className: k8sName("an IngressClass name").default("nginx").describe("ingressClassName"),
        awaitLoadBalancer: bool()
            .default(true)
            .describe(
                "Wait until the Ingress controller publishes an address (`.status.loadBalancer`); false for controllers that never do, so `pulumi up` does not wait 10 minutes for it",
            ),
        annotations: annotationMap().default({}).describe("Ingress annotations"),
        hosts: z
            .array(ingressHostRule)
            .default([{ host: "pulse.example.com" }])
            .describe(`Hosts, each with Pulse's routes or its own paths (each naming the service it routes to); ${INTERNAL_API_PATH}/* is never routed`),
        tls: z
            .array(
                z.strictObject({
                    secretName: k8sName("a Secret name"),
                    hosts: z.array(z.string().regex(INGRESS_HOST_RE, { error: "must be a DNS host name (RFC 1123)" })),
                }),
            )
            .default([])
            .describe("TLS: kubernetes.io/tls Secret names and the hosts they cover; each host one of `hosts`"),
    })
    .prefault({})
    .superRefine((ing, ctx) => {
        if (ing.enabled && ing.hosts.length === 0) {
            ctx.addIssue({
                code: "custom",
                path: ["hosts"],
                input: [],
                message: "must list at least one host while ingress.enabled is true (the API server refuses an Ingress with no rules); or set enabled: false",
            });
        }
        ing.hosts.forEach((h, i) =>
            h.paths?.forEach((p, j) => {
                const problem = ingressPathProblem(p.path, p.pathType, ing.className);
                if (problem) ctx.addIssue({ code: "custom", path: ["hosts", i, "paths", j, "path"], input: p.path, message: problem });
            }),
        );
        const served = ing.hosts.map((h) => h.host);
        ing.tls.forEach((t, i) =>
            t.hosts.forEach((host, j) => {
                if (served.some((s) => coversHost(host, s))) return;
                ctx.addIssue({
                    code: "custom",
                    path: ["tls", i, "hosts", j],
                    input: host,
                    message: `is not one of ingress.hosts (${served.join(", ") || "none"}): the certificate would cover a host no rule serves`,
                });
            }),
        );
    });

/** Whether a TLS host entry and a rule's host name the same hosts: equal, or one a `*.` wildcard one label above the other. */
export function coversHost(tlsHost: string, ruleHost: string): boolean {
    const parentOf = (host: string) => host.slice(host.indexOf(".") + 1);
    if (tlsHost === ruleHost) return true;
    // A wildcard certificate covers the hosts one label below it; a wildcard rule serves each such host.
    if (tlsHost.startsWith("*.") && !ruleHost.startsWith("*.")) return parentOf(ruleHost) === tlsHost.slice(2);
    return ruleHost.startsWith("*.") && !tlsHost.startsWith("*.") && parentOf(tlsHost) === ruleHost.slice(2);
}
