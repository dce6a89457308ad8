/**
 * The workloads' sections: what every workload shares (global, app), the Pulse services' sections built from their
 * registry (config/services.ts), Keycloak and Caddy.
 */
import { z } from "zod";
import { podSettingsFields } from "./scheduling";
import { componentOf, SECRET_ENV, SERVICE_NAMES, ServiceContract, ServiceName, SERVICES } from "../services";
import { autoscaling, bool, envMap, httpPath, image, intAtLeast, MEDIUM, NO_AUTOSCALING, nonEmpty, registry, resources, SERVICE_TYPES, SMALL } from "./blocks";
import { HOSTNAME_RE, k8sName, pgIdentifier } from "./formats";
import { checkIdentity, keycloakExternal, keycloakRealm } from "./identity";
import { globalMetrics, metricsSwitch } from "./metrics";
import { POSTGRES_ADMIN_USER, POSTGRES_REPLICATION_USER, PULSE_DATABASE_USER } from "./platform";

export const global = z
    .strictObject({
        imageRegistry: z
            .union([z.literal(""), registry()], {
                error: "must be empty or a registry host such as registry.example.com[:port]",
            })
            .default("")
            .describe("Registry prefixed to every image (private mirror); empty keeps each image's own registry"),
        clusterDomain: z
            .string()
            .regex(HOSTNAME_RE, { error: "must be a DNS domain such as cluster.local" })
            .default("cluster.local")
            .describe("The cluster's DNS domain (for fully qualified in-cluster names)"),
        imagePullSecrets: z.array(k8sName("a Secret name")).default([]).describe("Names of docker-registry Secrets in the namespace, used by every pod"),
        awaitReadiness: bool()
            .default(true)
            .describe(
                "Wait for the Helm releases, Deployments to be available (their Services' endpoints with them) and the Ingress (and any LoadBalancer Service) an address; false " +
                    "skips those waits (Release `skipAwait`, annotation `pulumi.com/skipAwait`). Jobs are always awaited",
            ),
        metrics: globalMetrics.describe("Prometheus scrape targets (docs/metrics.md)"),
    })
    .prefault({});

const ENVIRONMENTS = ["development", "production"] as const;

export const app = z
    .strictObject({
        environment: z
            .enum(ENVIRONMENTS, { error: `must be one of ${ENVIRONMENTS.join(", ")}` })
            .default("production")
            .describe(
                "production: MODE/ENV=PROD, secure cookies, and the S3, SMTP and Stripe secrets must be configured; development: MODE/ENV=DEV, and unset ones are generated placeholders",
            ),
        corsOrigins: z
            .array(z.string().regex(/^https?:\/\/[^\s/@]+$/, { error: "must be an origin such as https://pulse.example.com (no path, no credentials)" }))
            .default([])
            .describe("Origins allowed to call the API (CORS_ORIGINS); empty: the UI's public origin"),
    })
    .prefault({});

/**
 * The `metrics` switch of a service that serves metrics (its contract's `http.metrics`). The others have no such key
 * (an unknown key to the schema); typed as an optional one, which is what the section's value holds for them.
 */
function serviceMetrics(c: ServiceContract): { metrics: ReturnType<typeof metricsSwitch> | z.ZodOptional<z.ZodNever> } {
    const http = c.http;
    return (http?.metrics ? { metrics: metricsSwitch(`its ${http.metrics} on port ${http.port}`) } : {}) as ReturnType<typeof serviceMetrics>;
}

/** One Pulse service's section (ingest, ui, ...), from its registry entry (config/services.ts). */
function pulseService(name: ServiceName) {
    const c: ServiceContract = SERVICES[name];
    const d = c.defaults;
    return z
        .strictObject({
            replicaCount: intAtLeast(0)
                .default(d.replicaCount)
                .describe(c.singleton ? `Pod replicas: 0 or 1 (${c.singleton.reason})` : "Pod replicas (ignored while autoscaling is on)"),
            image: image({ repository: c.repository }),
            resources: resources(d.resources === "medium" ? MEDIUM : SMALL),
            env: envMap(d.env ?? {}).describe(
                "Extra environment variables (plain, non-secret values); they override the platform's plain settings of the same name",
            ),
            autoscaling: autoscaling(d.autoscaling ? { enabled: true, ...d.autoscaling } : NO_AUTOSCALING),
            runAsUser: intAtLeast(1).default(10001).describe("Non-root uid the container runs as (the image must not need root)"),
            ...podSettingsFields(),
            ...serviceMetrics(c),
        })
        .prefault({})
        .superRefine((s, ctx) => {
            for (const k of Object.keys(s.env).filter((k) => k in SECRET_ENV)) {
                ctx.addIssue({
                    code: "custom",
                    path: ["env", k],
                    input: "(not shown)",
                    message: "is a secret: it comes from its Secret (docs/secrets.md), never a plain value",
                });
            }
            if (!c.singleton) return;
            if (s.replicaCount > 1) {
                ctx.addIssue({
                    code: "custom",
                    path: ["replicaCount"],
                    input: s.replicaCount,
                    message: `must be 0 or 1: ${componentOf(name)} runs once at most (${c.singleton.reason})`,
                });
            }
            if (s.autoscaling.enabled) {
                ctx.addIssue({
                    code: "custom",
                    path: ["autoscaling", "enabled"],
                    input: true,
                    message: `must be false: ${componentOf(name)} runs once at most (${c.singleton.reason})`,
                });
            }
        });
}

/** The Pulse services' sections, one per registry entry (config/services.ts). */
export const services = Object.fromEntries(SERVICE_NAMES.map((name) => [name, pulseService(name).describe(SERVICES[name].description)])) as Record<
    ServiceName,
    ReturnType<typeof pulseService>
>;

export const keycloak = z
    .strictObject({
        enabled: bool()
            .default(true)
            .describe(
                "Deploy Keycloak in the namespace; false: the services use an existing provider (`external`) and nothing of Keycloak is deployed (no workload, routes, database or role)",
            ),
        external: keycloakExternal.describe("The existing identity provider, when keycloak.enabled is false"),
        replicaCount: intAtLeast(0).default(1).describe("Keycloak replicas; more than one forms an Infinispan cluster (DNS discovery)"),
        image: image({ registry: "quay.io", repository: "keycloak/keycloak", tag: "26.0.8" }),
        resources: resources({
            requests: { cpu: "500m", memory: "1700Mi", ephemeralStorage: "256Mi" },
            limits: { memory: "1700Mi", ephemeralStorage: "2Gi" },
        }),
        startMode: z
            .enum(["start", "start-dev"], { error: "must be start or start-dev" })
            .default("start")
            .describe("`start` (production) or `start-dev` (development only)"),
        httpRelativePath: httpPath("/").describe(
            "Path Keycloak serves under; `/` (Pulse's SPA expects /realms, /resources, /admin, /js at the root), else route that path to `keycloak`",
        ),
        adminUsername: nonEmpty("a user name")
            .default("pulse-admin")
            .describe("Bootstrap admin (password: secret pulse:keycloakAdminPassword, generated when unset)"),
        database: z
            .strictObject({
                name: pgIdentifier("a database name").default("keycloak").describe("Keycloak's own database, on Pulse's PostgreSQL server"),
                username: pgIdentifier("a role name")
                    .default("keycloak")
                    .describe("Keycloak's own role (password: secret pulse:keycloakDbPassword; generated in-cluster, required for an external database)"),
            })
            .prefault({}),
        realmImport: bool()
            .default(true)
            .describe("Import the `pulse` realm (roles, the pulse-ui and pulse-api clients, redirect URIs from the ingress hosts) when it does not exist yet"),
        realm: keycloakRealm.describe("Where the imported realm comes from: generated from config, or an existing ConfigMap"),
        metrics: metricsSwitch("Keycloak's /metrics on its management port 9000"),
        ...podSettingsFields(),
    })
    .prefault({})
    .superRefine(checkIdentity)
    .superRefine((kc, ctx) => {
        // The setup script creates Keycloak's role and sets its password: another role's name would set that role's
        // password twice (PostgreSQL: pg_* names are reserved, CREATE ROLE refuses them).
        const role = kc.database.username;
        const taken: Record<string, string> = {
            [PULSE_DATABASE_USER]: "Pulse's own role",
            [POSTGRES_ADMIN_USER]: "the database admin",
            [POSTGRES_REPLICATION_USER]: "the replication user",
        };
        const why = Object.hasOwn(taken, role)
            ? `is ${taken[role]}`
            : role.startsWith("pg_")
              ? "starts with pg_, which PostgreSQL reserves for its own roles"
              : undefined;
        if (why) {
            ctx.addIssue({ code: "custom", path: ["database", "username"], input: role, message: `${why}: Keycloak needs a role of its own (e.g. keycloak)` });
        }
        if (["postgres", "template0", "template1"].includes(kc.database.name)) {
            ctx.addIssue({
                code: "custom",
                path: ["database", "name"],
                input: kc.database.name,
                message: "is one of PostgreSQL's own databases: Keycloak needs a database of its own (e.g. keycloak)",
            });
        }
    });

export const caddy = z
    .strictObject({
        enabled: bool().default(false).describe("Deploy Caddy as reverse proxy (alternative to an Ingress controller)"),
        replicaCount: intAtLeast(0).default(1).describe("Caddy replicas"),
        image: image({ registry: "docker.io", repository: "library/caddy", tag: "2.10.2" }),
        resources: resources(SMALL),
        serviceType: z
            .enum(SERVICE_TYPES, { error: `must be one of ${SERVICE_TYPES.join(", ")}` })
            .default("ClusterIP")
            .describe("Service type; LoadBalancer or NodePort exposes Caddy outside the cluster"),
        ...podSettingsFields(),
    })
    .prefault({});
