/**
 * Cross-section rules that the cluster, the servers Pulse talks to or a browser enforce, checked before anything is
 * registered: the namespace (never one the cluster or the ingress controller owns), the Secrets the program creates
 * (one owner each), a production deployment a browser can use (TLS with secure cookies, a concrete public host, SMTP),
 * and endpoints the egress NetworkPolicies would block. Run by the root schema even when sections have errors, so each
 * reads its input defensively.
 */
import * as net from "net";
import { z } from "zod";
import { contains, parseCidr } from "../../lib/cidr";
import { CONTROLLER_NAMESPACES, coversHost } from "./edge";
import type { PulseConfig } from "./index";

/** Namespaces every cluster has and runs its own components in (kube-apiserver's system namespaces and `default`). */
const CLUSTER_NAMESPACES = ["kube-system", "kube-public", "kube-node-lease", "default"] as const;

/** The root refinement's input: typed as the whole config, read defensively (a section may be invalid). */
type Loose = PulseConfig;
type Ctx = z.RefinementCtx;
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const issue = (ctx: Ctx, path: PropertyKey[], input: unknown, message: string) => ctx.addIssue({ code: "custom", path, input, message });

/** The namespace whose pods the NetworkPolicies admit as the Ingress controller, if known. */
function controllerNamespace(c: Loose): string | undefined {
    const set = str(c.networkPolicy?.ingressController?.namespace);
    const cls = str(c.ingress?.className);
    return set ?? (cls !== undefined && Object.hasOwn(CONTROLLER_NAMESPACES, cls) ? CONTROLLER_NAMESPACES[cls] : undefined);
}

export function namespaceProblems(c: Loose, ctx: Ctx): void {
    const ns = str(c.namespace) ?? "pulse";
    const owns = "the program labels its namespace Pod Security restricted, denies all traffic in it and deletes it with the stack";
    if ((CLUSTER_NAMESPACES as readonly string[]).includes(ns)) {
        issue(ctx, ["namespace"], ns, `must not be ${ns}, a namespace of the cluster itself: ${owns}; choose a namespace of Pulse's own`);
    } else if (ns === controllerNamespace(c)) {
        issue(ctx, ["namespace"], ns, `must not be the ingress controller's namespace (${ns}): ${owns}, which would cut the controller off`);
    }
}

/**
 * The Secrets the program creates (or, with secrets.external, expects) are one object each: two keys naming the same
 * Secret make two resources own it (the second create fails, or one overwrites the other's keys); and none may be a
 * Secret the config names as existing (TLS certificates, pull secrets, environment or volumes).
 */
export function secretNameProblems(c: Loose, ctx: Ctx): void {
    const own: [PropertyKey[], unknown][] = [
        [["secrets", "app"], c.secrets?.app],
        c.externalDatabase?.enabled === true
            ? [["externalDatabase", "existingSecret"], c.externalDatabase?.existingSecret]
            : [["postgresql", "auth", "existingSecret"], c.postgresql?.auth?.existingSecret],
        ...(c.emqx?.enabled !== false
            ? ([
                  [["secrets", "emqxDashboard"], c.secrets?.emqxDashboard],
                  [["secrets", "emqxBootstrap"], c.secrets?.emqxBootstrap],
              ] as [PropertyKey[], unknown][])
            : []),
        [["secrets", "keycloakAdmin"], c.secrets?.keycloakAdmin],
        ...(c.keycloak?.enabled !== false ? ([[["secrets", "keycloakDb"], c.secrets?.keycloakDb]] as [PropertyKey[], unknown][]) : []),
    ];
    const key = (p: PropertyKey[]) => `pulse:${p.map((x) => (typeof x === "number" ? `[${x}]` : String(x))).join(".")}`.replace(/\.\[/g, "[");
    const named = own.filter((o): o is [PropertyKey[], string] => typeof o[1] === "string");
    for (const [path, name] of named) {
        const others = named.filter(([p, n]) => n === name && p !== path).map(([p]) => key(p));
        if (others.length > 0) issue(ctx, path, name, `names the same Secret as ${others.join(", ")}: each is a Secret of its own, with its own keys`);
    }
    const existing: [PropertyKey[], unknown][] = [
        [["emqx", "deviceTls", "serverCertSecret"], c.emqx?.deviceTls?.serverCertSecret],
        [["emqx", "deviceTls", "deviceCaSecret"], c.emqx?.deviceTls?.deviceCaSecret],
        [["externalDatabase", "caSecret"], c.externalDatabase?.caSecret],
        ...(Array.isArray(c.ingress?.tls) ? c.ingress.tls.map((t, i): [PropertyKey[], unknown] => [["ingress", "tls", i, "secretName"], t?.secretName]) : []),
        ...(Array.isArray(c.global?.imagePullSecrets)
            ? c.global.imagePullSecrets.map((s, i): [PropertyKey[], unknown] => [["global", "imagePullSecrets", i], s])
            : []),
    ];
    for (const [path, name] of existing) {
        const owner = named.find(([, n]) => n === name);
        if (owner) issue(ctx, path, name, `is the Secret the program creates for ${key(owner[0])}: name a Secret of its own`);
    }
}

const IN_CLUSTER_NAME = "a name inside the cluster";

/** Whether a host is an address inside the cluster or its private networks: what the egress policy keeps the pods from. */
function blockedByEgress(host: string, c: Loose): string | undefined {
    const domain = str(c.global?.clusterDomain) ?? "cluster.local";
    if (!host.includes(".") || host === "localhost") return IN_CLUSTER_NAME;
    if (host.endsWith(".svc") || host.endsWith(".svc." + domain) || host.endsWith("." + domain)) return IN_CLUSTER_NAME;
    const ip = host.replace(/^\[|\]$/g, "");
    const family = net.isIP(ip);
    if (family === 0) return undefined;
    const inside = (list: unknown) =>
        (Array.isArray(list) ? list : []).some((text) => {
            const block = typeof text === "string" ? parseCidr(text) : "";
            return typeof block !== "string" && contains(block, ip, family === 4 ? "ipv4" : "ipv6");
        });
    const internet: { cidrs?: unknown; except?: unknown } = c.networkPolicy?.internet ?? {};
    if (inside(internet.except)) return "an address of networkPolicy.internet.except";
    if (!inside(internet.cidrs ?? ["0.0.0.0/0"])) return "an address outside networkPolicy.internet.cidrs";
    return undefined;
}

const hostOfUrl = (u: unknown): string | undefined => {
    try {
        return typeof u === "string" ? new URL(u).hostname : undefined;
    } catch {
        return undefined;
    }
};

/** The services reach S3 and SMTP through the internet egress policy only: an in-cluster endpoint would time out. */
export function egressProblems(c: Loose, ctx: Ctx): void {
    if (c.networkPolicy?.enabled === false) return;
    const endpoints: [PropertyKey[], unknown, string | undefined][] = [
        [["s3", "endpoint"], c.s3?.endpoint, hostOfUrl(c.s3?.endpoint)],
        [["smtp", "host"], c.smtp?.host, str(c.smtp?.host) || undefined],
    ];
    for (const [path, input, host] of endpoints) {
        const where = host === undefined ? undefined : blockedByEgress(host, c);
        if (where) {
            const remedies = where === IN_CLUSTER_NAME ? "use the service's public address" : "use the service's public address, adjust networkPolicy.internet";
            issue(
                ctx,
                path,
                input,
                `is ${where}, which the services' egress NetworkPolicy blocks (they reach S3 and SMTP through networkPolicy.internet, the private ranges excluded): ${remedies}, or set networkPolicy.enabled false`,
            );
        }
    }
}

/**
/**
 * Keycloak's public URL (its first route on a concrete host, as lib/routes.ts publicUrl takes it) not on plain http
 * while ui's is https: the login redirects and token calls from the https page would mix schemes.
 */
export function browserProblems(c: Loose, ctx: Ctx): void {
    const ing = c.ingress;
    if (typeof ing !== "object" || ing === null || ing.enabled === false || !Array.isArray(ing.hosts) || c.keycloak?.enabled === false) return;
    type Host = (typeof ing.hosts)[number];
    const tlsHosts: unknown[] = (Array.isArray(ing.tls) ? ing.tls : []).flatMap((t) => (Array.isArray(t?.hosts) ? t.hosts : []));
    const secure = (host: string) => tlsHosts.some((t) => typeof t === "string" && coversHost(t, host));
    const routes = (h: Host, backend: string) =>
        Array.isArray(h.paths) ? h.paths.some((p) => (p?.service ?? "ui") === backend) : backend === "ui" || backend === "keycloak";
    const first = (backend: string) => ing.hosts.findIndex((h) => typeof h?.host === "string" && !h.host.startsWith("*.") && routes(h, backend));
    const [ui, kc] = [first("ui"), first("keycloak")];
    if (ui < 0 || kc < 0) return;
    const [uiHost, kcHost] = [ing.hosts[ui].host, ing.hosts[kc].host];
    if (secure(uiHost) && !secure(kcHost)) {
        issue(
            ctx,
            ["ingress", "hosts", kc],
            kcHost,
            `routes keycloak over plain http while ui is served over https (${uiHost}): cover ${kcHost} in ingress.tls (the browser's login redirects and token calls would mix schemes)`,
        );
    }
}

/**
 * What a browser needs in production (secure cookies: MODE/ENV=PROD): a concrete public host on the Ingress, TLS on
 * every host, and SMTP for the mail Pulse and Keycloak send. Checked with the stack's secrets (config/validate.ts), not
 * by the schema: like the production secrets, a template stack (or a test's defaults) may leave them unset.
 */
export function productionProblems(c: {
    app: { environment: string };
    ingress: { enabled: boolean; hosts: readonly { host: string }[]; tls: readonly { hosts: readonly string[] }[] };
    smtp: { host: string; from: string };
}): [PropertyKey[], string][] {
    if (c.app.environment !== "production") return [];
    const prod = "with app.environment production (secure cookies)";
    const ing = c.ingress;
    if (!ing.enabled) {
        return [
            [
                ["ingress", "enabled"],
                `must be true ${prod}: the services' public URLs and Keycloak's redirect URIs come from ingress.hosts; without them browsers are sent to in-cluster names`,
            ],
        ];
    }
    const problems: [PropertyKey[], string][] = [];
    if (ing.hosts.length > 0 && ing.hosts.every((h) => h.host.startsWith("*."))) {
        problems.push([
            ["ingress", "hosts"],
            `must name a concrete host ${prod}: a wildcard is no URL for browsers, and the realm would have no redirect URIs`,
        ]);
    }
    const tlsHosts = ing.tls.flatMap((t) => t.hosts);
    const plain = ing.hosts.map((h) => h.host).filter((host) => !tlsHosts.some((t) => coversHost(t, host)));
    if (plain.length > 0) {
        problems.push([
            ["ingress", "tls"],
            `must cover ${plain.join(", ")} ${prod}: browsers drop secure cookies over plain http, so nobody could log in; name the TLS Secret and its hosts`,
        ]);
    }
    for (const k of ["host", "from"] as const) {
        if (c.smtp[k] === "") {
            problems.push([
                ["smtp", k],
                `is required ${prod}: Pulse and Keycloak send invitations, password resets and notifications by mail (docs/secrets.md)`,
            ]);
        }
    }
    return problems;
}
