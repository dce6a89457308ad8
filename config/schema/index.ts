/**
 * The stack configuration schema: the replacement for the Helm chart's values.yaml.
 *
 * Every top-level key here is one `pulse:<key>` stack config key holding one object (or a scalar for `namespace` /
 * `appVersion`). Defaults are the original Helm chart's values.yaml, corrected where the pinned upstream charts differ
 * (see docs/migrating-from-values.md). Secrets are never fields here: they are the separate keys in SECRET_KEYS.
 *
 * The config reference in docs/configuration.md is generated from this schema (`npm run docs:config`) and a test
 * keeps it in sync, so every `.describe()` text here is user-facing documentation.
 *
 * This module assembles the root object and its cross-section checks; the sections and what they are built of live
 * beside it: formats.ts (string grammars, quantities), blocks.ts (building blocks), releases.ts (every Helm release's
 * section, from its registry entry), scheduling.ts (the pod keys), platform.ts (databases, brokers and their keys of
 * their own, Secrets), external.ts (S3, SMTP), workloads.ts (global, app, the Pulse services, Keycloak, Caddy),
 * identity.ts (Keycloak's external provider and realm source), edge.ts (Ingress, NetworkPolicies) and jobs.ts
 * (migrator, natsInit).
 */
import { z } from "zod";
import { RELEASE_TAG_RE, RELEASE_TAG_RULE } from "../../lib/images";
import { ServiceName } from "../services";
import { CONTROLLER_NAMESPACES, knownControllerClass, ingress, INTERNAL_API_PATH, networkPolicy } from "./edge";
import { browserProblems, egressProblems, namespaceProblems, secretNameProblems } from "./cluster";
import { dnsLabel, formatBytes, parseQuantity } from "./formats";
import { migrator, natsInit } from "./jobs";
import { metricsProblems } from "./metrics";
import { externalDatabase, helm, RELEASE_OWN_KEYS, secrets } from "./platform";
import { RELEASE_KEYS } from "../releases";
import { releaseSections } from "./releases";
import { s3, smtp } from "./external";
import { app, caddy, global, keycloak, services } from "./workloads";

export { APP_SECRET_KEYS, componentOf, connectsToDatabase, contractOf, SECRET_ENV, SERVICE_NAMES, SERVICES } from "../services";
export type { SecretEnvSource, ServiceContract, ServiceName } from "../services";
export { parseQuantity } from "./formats";
export type { EnvSource, ExtraVolume, OwnMappingKey, ReleasePlacement, PodSettings } from "./scheduling";
export { deviceTlsEnabled, PULSE_DATABASE_USER } from "./platform";
export { s3Endpoint } from "./external";
export { INGRESS_BACKENDS, ingressControllerNamespace, INTERNAL_API_PATH, UI_TEST_CHANNELS } from "./edge";
export { issuerParts, urlPort } from "./identity";
export { entrySection } from "./releases";

/** Every Helm release's section, from its registry entry (config/releases.ts) and its keys of its own, if any. */
const { postgresql, ...releases } = releaseSections(RELEASE_OWN_KEYS);

/** Cross-section checks run even when the root has other problems (e.g. unknown keys), so one run lists them all. */
const ALWAYS = { when: () => true };

export const pulseConfigSchema = z
    .strictObject({
        namespace: dnsLabel().default("pulse").describe("Namespace all Pulse objects and Helm releases go into"),
        appVersion: z
            .string({ error: RELEASE_TAG_RULE })
            .regex(RELEASE_TAG_RE, { error: RELEASE_TAG_RULE })
            .max(128, { error: "must be at most 128 characters: it is every Pulse image's default tag" })
            .default("1.0.0")
            .describe("Pulse release; the default tag of every Pulse image"),
        global: global.describe("Settings every workload shares"),
        secrets: secrets.describe("Where the platform's Kubernetes Secrets come from (see docs/secrets.md)"),
        app: app.describe("What every Pulse service is told about its environment (MODE, ENV, cookies, CORS)"),
        s3: s3.describe("S3-compatible object storage for exports and reports (external; credentials are secrets)"),
        smtp: smtp.describe("SMTP for notification e-mail (password: secret pulse:smtpPassword)"),
        postgresql,
        // The managed alternative to the in-cluster PostgreSQL, beside it.
        externalDatabase: externalDatabase.describe("Managed PostgreSQL instead of the in-cluster one"),
        ...releases,
        ...services,
        keycloak: keycloak.describe("Keycloak 26 identity provider, or an existing one (`enabled: false`, `external`)"),
        caddy: caddy.describe("Optional Caddy reverse proxy (alternative to an Ingress controller)"),
        ingress: ingress.describe("Kubernetes Ingress for the HTTP entry points"),
        networkPolicy: networkPolicy.describe("NetworkPolicies: default deny, then the platform's flows"),
        migrator: migrator.describe("Database migrator Job, run before every rollout"),
        natsInit: natsInit.describe("JetStream stream setup Job"),
        helm: helm.describe(
            "Helm releases (PostgreSQL, EMQX, NATS) left pending-install or pending-upgrade by an interrupted `pulumi up`: automatic recovery before the next install or upgrade (docs/operations.md)",
        ),
    })
    .superRefine((c, ctx) => {
        // The root check runs even when sections have errors: read defensively.
        const pgOn = c.postgresql?.enabled === true;
        const extOn = c.externalDatabase?.enabled === true;
        if (pgOn === extOn) {
            ctx.addIssue({
                code: "custom",
                path: ["externalDatabase", "enabled"],
                input: extOn,
                message: pgOn
                    ? "cannot be true while postgresql.enabled is true: choose the in-cluster PostgreSQL or an external database"
                    : "must be true when postgresql.enabled is false: Pulse needs a database",
            });
        }
        const tls = c.emqx?.deviceTls;
        if (c.emqx?.enabled && tls) {
            const hasCert = tls.serverCertSecret !== "" || tls.certManager?.issuer !== "";
            if (hasCert !== (tls.deviceCaSecret !== "")) {
                ctx.addIssue({
                    code: "custom",
                    path: ["emqx", "deviceTls", hasCert ? "deviceCaSecret" : "serverCertSecret"],
                    input: "",
                    message: hasCert
                        ? "is required with a server certificate: 8883 is mutual TLS, devices present certificates the device CA signed"
                        : "or certManager.issuer is required with deviceCaSecret: 8883 needs the broker's own certificate",
                });
            }
        }
        // Devices have one entry, the mutual-TLS listener: its Service and admitted ranges mean nothing without it.
        if (c.emqx?.enabled && tls && tls.serverCertSecret === "" && tls.certManager?.issuer === "" && tls.deviceCaSecret === "") {
            const svc = c.emqx.deviceService;
            const set: [PropertyKey[], unknown][] = [
                [["emqx", "deviceService", "type"], svc?.type !== "ClusterIP" ? svc?.type : undefined],
                [["emqx", "deviceService", "loadBalancerSourceRanges"], svc?.loadBalancerSourceRanges?.length ? svc.loadBalancerSourceRanges : undefined],
                [["emqx", "deviceService", "annotations"], svc && Object.keys(svc.annotations ?? {}).length > 0 ? svc.annotations : undefined],
                [["emqx", "deviceTls", "websocket"], tls.websocket ? true : undefined],
                [["networkPolicy", "mqttClientCidrs"], c.networkPolicy?.mqttClientCidrs?.length ? c.networkPolicy.mqttClientCidrs : undefined],
            ];
            for (const [path, input] of set.filter(([, v]) => v !== undefined)) {
                ctx.addIssue({
                    code: "custom",
                    path,
                    input,
                    message:
                        "is used only with emqx.deviceTls (devices connect only through the mutual-TLS listener): configure deviceTls.serverCertSecret (or certManager.issuer) and deviceCaSecret, or remove it",
                });
            }
        }
        if (
            c.emqx?.enabled &&
            c.emqx.deviceService &&
            c.emqx.deviceService.type !== "ClusterIP" &&
            c.networkPolicy?.enabled &&
            c.networkPolicy.mqttClientCidrs?.length === 0
        ) {
            ctx.addIssue({
                code: "custom",
                path: ["networkPolicy", "mqttClientCidrs"],
                input: [],
                message: `must list the devices' address ranges when emqx.deviceService.type is ${c.emqx.deviceService.type}: the NetworkPolicy drops every device otherwise (0.0.0.0/0 for the internet)`,
            });
        }
        const ing = c.ingress;
        // The entry points' policy admits the controller whether or not this program creates the Ingress.
        if (ing && c.networkPolicy?.enabled && c.networkPolicy.ingressController?.namespace === undefined && !knownControllerClass(ing.className)) {
            ctx.addIssue({
                code: "custom",
                path: ["networkPolicy", "ingressController", "namespace"],
                input: undefined,
                message: `is required with ingress.className "${ing.className}": the NetworkPolicies admit HTTP only from the Ingress controller's namespace (known without it: ${Object.keys(CONTROLLER_NAMESPACES).join(", ")})`,
            });
        }
        if (c.emqx?.enabled === false && !c.emqx.externalHost) {
            ctx.addIssue({
                code: "custom",
                path: ["emqx", "externalHost"],
                input: c.emqx.externalHost,
                message: "is required when emqx.enabled is false: Pulse needs an MQTT broker",
            });
        }
        if (c.nats?.enabled === false && !c.nats.externalUrl) {
            ctx.addIssue({
                code: "custom",
                path: ["nats", "externalUrl"],
                input: c.nats.externalUrl,
                message: "is required when nats.enabled is false: Pulse needs NATS",
            });
        }
        c.ingress?.hosts?.forEach((h, i) =>
            h?.paths?.forEach((p, j) => {
                const kcPath = c.keycloak?.httpRelativePath;
                if (p?.service === "keycloak" && c.keycloak?.enabled === false) {
                    ctx.addIssue({
                        code: "custom",
                        path: ["ingress", "hosts", i, "paths", j, "service"],
                        input: p.service,
                        message: "routes to keycloak, which is disabled (keycloak.enabled is false: the identity provider is keycloak.external)",
                    });
                } else if (p?.service === "keycloak" && typeof kcPath === "string" && typeof p.path === "string" && !p.path.startsWith(kcPath)) {
                    ctx.addIssue({
                        code: "custom",
                        path: ["ingress", "hosts", i, "paths", j, "path"],
                        input: p.path,
                        message: `routes to keycloak, which serves under keycloak.httpRelativePath (${kcPath}): use that path`,
                    });
                }
                // A shorter prefix (/api) is fine: the blocked path is longer, so it wins.
                if (typeof p?.path === "string" && p.path.startsWith(INTERNAL_API_PATH)) {
                    ctx.addIssue({
                        code: "custom",
                        path: ["ingress", "hosts", i, "paths", j, "path"],
                        input: p.path,
                        message: `must not route ui's internal endpoints (${INTERNAL_API_PATH}/*): they are never public`,
                    });
                }
                if (p?.service === "caddy" && c.caddy?.enabled !== true) {
                    ctx.addIssue({
                        code: "custom",
                        path: ["ingress", "hosts", i, "paths", j, "service"],
                        input: p.service,
                        message: "routes to caddy, which is disabled (caddy.enabled is false)",
                    });
                }
            }),
        );
        c.natsInit?.streams?.forEach((s, i) => {
            const n = c.nats;
            if (!n?.enabled || !s) return;
            if (typeof s.replicas === "number" && typeof n.replicaCount === "number" && s.replicas > n.replicaCount) {
                ctx.addIssue({
                    code: "custom",
                    path: ["natsInit", "streams", i, "replicas"],
                    input: s.replicas,
                    message: `must be <= nats.replicaCount (${n.replicaCount}): a stream cannot have more replicas than servers`,
                });
            }
            const store = s.storage === "memory" ? n.jetstream?.memoryStore : n.jetstream?.fileStore;
            if (store?.enabled === false) {
                ctx.addIssue({
                    code: "custom",
                    path: ["natsInit", "streams", i, "storage"],
                    input: s.storage,
                    message: `needs nats.jetstream.${s.storage === "memory" ? "memoryStore" : "fileStore"}.enabled`,
                });
            }
        });
        // JetStream reserves every stream's max bytes in its store up front; a server holds a replica of each stream
        // when the streams have as many replicas as there are servers, so each store must hold the sum.
        const js = c.nats?.jetstream;
        if (c.nats?.enabled && js && Array.isArray(c.natsInit?.streams)) {
            for (const [kind, store, size] of [
                ["file", "fileStore", js.fileStore?.size],
                ["memory", "memoryStore", js.memoryStore?.maxSize],
            ] as const) {
                const reserved = c.natsInit.streams
                    .filter((s) => s?.storage === kind && s.maxBytes !== -1)
                    .reduce((sum, s) => sum + (parseQuantity(s.maxBytes) ?? 0), 0);
                const capacity = parseQuantity(size);
                if (reserved > 0 && capacity !== undefined && reserved > capacity) {
                    ctx.addIssue({
                        code: "custom",
                        path: ["nats", "jetstream", store, store === "fileStore" ? "size" : "maxSize"],
                        input: size,
                        message: `must hold the ${kind} streams' reserved max bytes (${formatBytes(reserved)} in natsInit.streams)`,
                    });
                }
            }
        }
        metricsProblems(c, ctx);
        stuckAgeProblems(c, ctx);
        namespaceProblems(c, ctx);
        secretNameProblems(c, ctx);
        browserProblems(c, ctx);
        egressProblems(c, ctx);
        objectSizeProblems(c, ctx);
        const pulseDb = extOn ? c.externalDatabase?.database : c.postgresql?.auth?.database;
        if (c.keycloak?.enabled !== false && typeof pulseDb === "string" && c.keycloak?.database?.name === pulseDb) {
            ctx.addIssue({
                code: "custom",
                path: ["keycloak", "database", "name"],
                input: pulseDb,
                message: `is Pulse's own database (${pulseDb}): Keycloak needs a database of its own, which the setup creates and gives its role`,
            });
        }
        if (extOn && !c.externalDatabase.host) {
            ctx.addIssue({
                code: "custom",
                path: ["externalDatabase", "host"],
                input: c.externalDatabase.host,
                message: "is required when externalDatabase.enabled is true",
            });
        }
    }, ALWAYS);

/**
 * What one section may weigh: the objects built from it (a Deployment carries its env, annotations, affinity) must fit
 * in etcd, which refuses a request over 1.5 MiB (etcd's default --max-request-bytes; kube-apiserver's own body limit
 * is 3 MiB, a Secret's or ConfigMap's data 1 MiB): 1 MiB leaves room for what the program adds.
 */
const SECTION_BYTES_MAX = 1024 * 1024;

/** A section over SECTION_BYTES_MAX, reported at the key that holds most of it. */
function objectSizeProblems(c: Record<string, unknown>, ctx: z.RefinementCtx): void {
    const size = (v: unknown) => Buffer.byteLength(JSON.stringify(v) ?? "", "utf8");
    for (const [section, value] of Object.entries(c)) {
        const total = size(value);
        if (total <= SECTION_BYTES_MAX) continue;
        const path: PropertyKey[] = [section];
        let at: unknown = value;
        for (;;) {
            if (typeof at !== "object" || at === null) break;
            const [key, child] = Object.entries(at).reduce<[string, unknown]>((best, e) => (size(e[1]) > size(best[1]) ? e : best), ["", undefined]);
            if (key === "" || size(child) * 2 < total) break;
            path.push(Array.isArray(at) ? Number(key) : key);
            at = child;
        }
        ctx.addIssue({
            code: "custom",
            path,
            input: `(${(total / 2 ** 20).toFixed(1)} MiB)`,
            message: `makes pulse:${section} ${(total / 2 ** 20).toFixed(1)} MiB, over ${SECTION_BYTES_MAX / 2 ** 20} MiB: the objects built from it would exceed what the API server stores (etcd refuses requests over 1.5 MiB); keep large data in a ConfigMap or Secret of your own (envFrom, extraVolumes)`,
        });
    }
}

export type PulseConfig = z.output<typeof pulseConfigSchema>;
export type PulseConfigInput = z.input<typeof pulseConfigSchema>;
type PulseServiceConfig = PulseConfig[ServiceName];
export type ImageConfig = PulseServiceConfig["image"];
export type ResourcesConfig = PulseServiceConfig["resources"];

/** Top-level keys that hold a scalar string; every other key holds an object (JSON in Pulumi config). */
export const SCALAR_KEYS: ReadonlySet<string> = new Set(["namespace", "appVersion"]);

/**
 * Secret stack config keys (`pulumi config set --secret pulse:<key> ...`). Each is optional: when unset, the program
 * generates the value (RandomPassword) and keeps it in state as a secret.
 */
export const SECRET_KEYS = {
    dbPassword: "Password of the Pulse database user (required with externalDatabase.enabled)",
    postgresPassword: "Password of the in-cluster PostgreSQL admin user 'postgres'",
    postgresReplicationPassword: "Password of the in-cluster PostgreSQL's replication user (with postgresql.architecture replication)",
    keycloakAdminPassword: "Password of Keycloak's bootstrap admin (not with keycloak.enabled false)",
    emqxDashboardPassword: "Password of the EMQX dashboard admin (never the chart's 'public')",
    chartRepositoryPassword: "Password of the private chart repository or registry (with `<section>.chart.username`)",
    mqttPassword: "Password of the services' MQTT user (MQTT_PASSWORD; EMQX's built-in database user)",
    mqttInternalAuthSecret: "Shared secret EMQX sends to ui's internal auth endpoints (MQTT_INTERNAL_AUTH_SECRET)",
    emqxApiSecret: "Secret of ops-worker's EMQX REST API key (`emqx.apiKey`; ops-worker's EMQX_DASHBOARD_PASSWORD): no ':' or whitespace",
    adminKey: "Provisioning API admin key (ADMIN_KEY), at least 32 characters",
    keycloakClientSecret: "Secret of the confidential Keycloak client pulse-api (KEYCLOAK_CLIENT_SECRET)",
    keycloakDbPassword: "Password of Keycloak's database role (required with externalDatabase.enabled; not with keycloak.enabled false)",
    s3AccessKey: "S3 access key (S3_ACCESS_KEY); required in production",
    s3SecretKey: "S3 secret key (S3_SECRET_KEY); required in production",
    smtpPassword: "SMTP password (SMTP_PASSWORD); required in production",
    stripeSecretKey: "Stripe API secret key (STRIPE_SECRET_KEY); required in production",
    stripeWebhookSecret: "Stripe webhook signing secret (STRIPE_WEBHOOK_SECRET); required in production",
    revisionKey: "Key of the pods' secret revisions (checksum/secrets annotations); read by no pod; changing it rolls every pod once",
} as const;

/** Secret keys that `app.environment: production` requires: generated placeholders would start Pulse but break the feature. */
export const PRODUCTION_SECRETS = [
    "s3AccessKey",
    "s3SecretKey",
    "smtpPassword",
    "stripeSecretKey",
    "stripeWebhookSecret",
] as const satisfies readonly (keyof typeof SECRET_KEYS)[];
export type SecretKey = keyof typeof SECRET_KEYS;

type ChartedSection = { enabled?: unknown; chart?: { timeoutSeconds?: unknown } } | undefined;

/**
 * A pending revision counts as interrupted only once older than `helm.stuckAfterSeconds`; Helm gives up an operation
 * after the release's `chart.timeoutSeconds`, so a threshold at or below a release's timeout could take a running
 * install or upgrade for a dead one.
 */
function stuckAgeProblems(c: { helm?: { recoverStuckReleases?: unknown; stuckAfterSeconds?: unknown } } & Record<string, unknown>, ctx: z.RefinementCtx): void {
    const age = c.helm?.stuckAfterSeconds;
    if (c.helm?.recoverStuckReleases !== true || typeof age !== "number") return;
    for (const section of RELEASE_KEYS) {
        const s = c[section] as ChartedSection;
        const timeout = s?.chart?.timeoutSeconds;
        if (s?.enabled === false || typeof timeout !== "number" || age > timeout) continue;
        ctx.addIssue({
            code: "custom",
            path: ["helm", "stuckAfterSeconds"],
            input: age,
            message: `must exceed ${section}.chart.timeoutSeconds (${timeout}): a pending revision younger than the release's own Helm timeout may belong to an install or upgrade that still runs`,
        });
    }
}
