/**
 * The stack configuration schema: the replacement for the Helm chart's values.yaml.
 *
 * Every top-level key here is one `pulse:<key>` stack config key holding one object (or a scalar for `namespace` /
 * `appVersion`). Defaults are the spec's values.yaml, corrected where the pinned upstream charts differ
 * (see README "Migrating from values.yaml"). Secrets are never fields here: they are the separate keys in SECRET_KEYS.
 *
 * The README's config reference is generated from this schema (`npm run docs:config`) and a test keeps it in sync,
 * so every `.describe()` text here is user-facing documentation.
 */
import { z } from "zod";
import { parseCidr } from "../../lib/cidr";
import { isPulseRepository, RELEASE_TAG_RE, RELEASE_TAG_RULE } from "../../lib/images";
import { componentOf, SECRET_ENV, SERVICE_NAMES, ServiceContract, ServiceName, SERVICES } from "../services";

export { APP_SECRET_KEYS, componentOf, contractOf, SECRET_ENV, SERVICE_NAMES, SERVICES } from "../services";
export type { SecretEnvSource, ServiceContract, ServiceName } from "../services";

// ─── Formats ────────────────────────────────────────────────────────────────────────────────────────────────

/** A Kubernetes resource.Quantity in its canonical string forms: 250m, 1, 0.5, 512Mi, 2Gi, 1e3. */
export const QUANTITY_RE = /^[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[KMGTPE]i|[numkMGTPE])?$/;
/** An RFC 1123 label (Namespace names): lower case alphanumerics and '-', at most 63 characters. */
const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** An RFC 1123 host name: dot-separated labels, at most 253 characters. */
const HOSTNAME_RE = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
/** An Ingress host: a host name, optionally with a leading '*.' wildcard label. */
const INGRESS_HOST_RE = /^(\*\.)?[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/;
/** Docker image tag grammar. */
const IMAGE_TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
/** Image repository path: lower-case path components separated by '/'. */
const REPOSITORY_RE = /^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
/** Registry host with optional port, e.g. registry.example.com:5000. */
const REGISTRY_RE = /^[a-zA-Z0-9]([-a-zA-Z0-9.]*[a-zA-Z0-9])?(:\d{1,5})?$/;
/** Environment variable names Kubernetes accepts. */
const ENV_NAME_RE = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

// ─── Building blocks ────────────────────────────────────────────────────────────────────────────────────────

/** An integer >= min; one message for wrong type, fraction and range so errors read the same everywhere. */
export function intAtLeast(min: number, max?: number) {
    const msg = max === undefined ? `must be an integer >= ${min}` : `must be an integer from ${min} to ${max}`;
    const base = z.int({ error: msg }).min(min, { error: msg });
    return max === undefined ? base : base.max(max, { error: msg });
}

const bool = () => z.boolean({ error: "must be true or false" });

const nonEmpty = (what: string) => z.string({ error: `must be ${what}` }).min(1, { error: `must be ${what}` });

export function quantity() {
    const msg = 'must be a Kubernetes quantity string such as "512Mi", "2Gi" or "250m"';
    return z.string({ error: msg }).regex(QUANTITY_RE, { error: msg }).meta({ kind: "quantity" });
}

/** Below this, a byte quantity is almost surely a missing unit ("512" is 512 bytes, not 512Mi). */
const BYTES_FLOOR = { text: "1Mi", bytes: 1024 * 1024 };

/** A quantity of bytes (memory, storage, volume sizes): at least 1Mi, with a hint when the unit looks forgotten. */
export function bytes() {
    return quantity().superRefine((q, ctx) => {
        const n = parseQuantity(q);
        if (n === undefined || n >= BYTES_FLOOR.bytes) return;
        const unitless = /^[+]?[\d.]+$/.test(q);
        ctx.addIssue({
            code: "custom",
            input: q,
            message: `is ${n} bytes, below ${BYTES_FLOOR.text}${unitless ? `: without a unit a quantity counts bytes (did you mean "${q}Mi"?)` : ""}`,
        });
    });
}

const dnsLabel = () =>
    z
        .string({ error: "must be a DNS label (RFC 1123)" })
        .regex(DNS_LABEL_RE, { error: "must be a DNS label: lower-case letters, digits and '-', at most 63 characters" })
        .meta({ kind: "DNS label" });

export function hostname() {
    const msg = "must be a DNS host name (RFC 1123): lower-case labels of letters, digits and '-', separated by dots";
    return z.string({ error: msg }).regex(HOSTNAME_RE, { error: msg }).meta({ kind: "host name" });
}

const k8sName = (what: string) =>
    z
        .string({ error: `must be ${what}` })
        .regex(HOSTNAME_RE, { error: `must be ${what}: a DNS subdomain name (lower-case letters, digits, '-' and '.')` })
        .meta({ kind: "object name" });

const port = (def: number) => intAtLeast(1, 65535).default(def);

/** A PostgreSQL identifier the setup script creates unquoted-safe: lower case, digits and '_'. */
const pgIdentifier = (what: string) =>
    z.string({ error: `must be ${what}` }).regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: `must be ${what}: lower-case letters, digits and '_' (PostgreSQL)` });

const stringMap = (what: string) =>
    z.record(z.string(), z.string({ error: `${what} values must be strings (quote numbers and booleans)` }));

const envMap = (def: Record<string, string>) =>
    z
        .record(
            z.string().regex(ENV_NAME_RE, { error: "must be a valid environment variable name" }),
            z.string({ error: "environment values must be strings (quote numbers and booleans)" }),
        )
        .default(def);

const PULL_POLICIES = ["IfNotPresent", "Always", "Never"] as const;

const registry = () =>
    z
        .string({ error: "must be a registry host" })
        .regex(REGISTRY_RE, { error: "must be a registry host such as registry.example.com[:port]" });

interface ImageDefaults {
    readonly registry?: string;
    readonly repository: string;
    /** Absent for Pulse's own images: their tag defaults to `pulse:appVersion`. */
    readonly tag?: string;
}

/** A container image: `[registry/]repository:tag[@digest]`. */
export function image(d: ImageDefaults) {
    const tag = z
        .string({ error: "must be a non-empty image tag" })
        .min(1, { error: "must be a non-empty image tag", abort: true })
        .regex(IMAGE_TAG_RE, { error: "must be a valid image tag (letters, digits, '_', '.', '-'; at most 128)" })
        .refine((t) => t !== "latest", { error: "must be a pinned version, not 'latest'" });
    return z
        .strictObject({
            registry: (d.registry === undefined ? registry().optional() : registry().default(d.registry)).describe(
                "Registry of this image (Docker Hub when unset); `global.imageRegistry`, when set, takes precedence",
            ),
            repository: z
                .string({ error: "must be an image repository" })
                .regex(REPOSITORY_RE, { error: "must be an image repository such as pulse/ingest-iot" })
                .default(d.repository)
                .describe("Image repository"),
            tag: (d.tag === undefined ? tag.optional() : tag.default(d.tag)).describe(
                d.tag === undefined ? "Image tag; defaults to `pulse:appVersion`" : "Image tag (pinned; never 'latest')",
            ),
            digest: z
                .string()
                .regex(DIGEST_RE, { error: "must be an image digest sha256:<64 hex>" })
                .optional()
                .describe("Image digest (sha256:...); pins the image exactly when set"),
            pullPolicy: z
                .enum(PULL_POLICIES, { error: `must be one of ${PULL_POLICIES.join(", ")}` })
                .default("IfNotPresent")
                .describe("imagePullPolicy"),
        })
        .prefault({})
        .superRefine((i, ctx) => {
            // The policy pack's rule for Pulse images, applied where the tag is written.
            if (i.tag !== undefined && i.digest === undefined && isPulseRepository(i.repository) && !RELEASE_TAG_RE.test(i.tag)) {
                ctx.addIssue({ code: "custom", path: ["tag"], input: i.tag, message: `${RELEASE_TAG_RULE} (or set a digest)` });
            }
        });
}

export interface ResourceDefaults {
    readonly requests: { readonly cpu: string; readonly memory: string; readonly ephemeralStorage?: string };
    readonly limits: { readonly cpu?: string; readonly memory: string; readonly ephemeralStorage?: string };
}

/** Scratch space (emptyDirs, logs) a container may use before it is evicted; generous, but bounded. */
const EPHEMERAL = { request: "64Mi", limit: "1Gi" };

/** Container resources. Memory request and limit and the CPU request are always set. */
export function resources(d: ResourceDefaults) {
    const cpuLimit = d.limits.cpu === undefined ? quantity().optional() : quantity().default(d.limits.cpu);
    return z
        .strictObject({
            requests: z
                .strictObject({
                    cpu: quantity().default(d.requests.cpu).describe("CPU request"),
                    memory: bytes().default(d.requests.memory).describe("Memory request"),
                    ephemeralStorage: bytes()
                        .default(d.requests.ephemeralStorage ?? EPHEMERAL.request)
                        .describe("Ephemeral storage request (emptyDirs, logs)"),
                })
                .prefault({}),
            limits: z
                .strictObject({
                    cpu: cpuLimit.describe("CPU limit (optional)"),
                    memory: bytes().default(d.limits.memory).describe("Memory limit"),
                    ephemeralStorage: bytes()
                        .default(d.limits.ephemeralStorage ?? EPHEMERAL.limit)
                        .describe("Ephemeral storage limit; the pod is evicted beyond it"),
                })
                .prefault({}),
        })
        .prefault({})
        .superRefine((r, ctx) => {
            for (const res of ["cpu", "memory", "ephemeralStorage"] as const) {
                const req = parseQuantity(r.requests[res]);
                const lim = r.limits[res] === undefined ? undefined : parseQuantity(r.limits[res]);
                if (req !== undefined && lim !== undefined && lim < req) {
                    ctx.addIssue({
                        code: "custom",
                        path: ["limits", res],
                        input: r.limits[res],
                        message: `must be >= requests.${res} (${r.requests[res]})`,
                    });
                }
            }
        });
}

const SMALL: ResourceDefaults = { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } };
const MEDIUM: ResourceDefaults = { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } };

interface AutoscalingDefaults {
    readonly enabled: boolean;
    readonly minReplicas: number;
    readonly maxReplicas: number;
    readonly targetCPUUtilizationPercentage: number;
}

function autoscaling(d: AutoscalingDefaults) {
    return z
        .strictObject({
            enabled: bool().default(d.enabled).describe("Create a HorizontalPodAutoscaler (the Deployment then sets no replicas)"),
            minReplicas: intAtLeast(1).default(d.minReplicas).describe("HPA minimum replicas"),
            maxReplicas: intAtLeast(1).default(d.maxReplicas).describe("HPA maximum replicas"),
            targetCPUUtilizationPercentage: intAtLeast(1, 100)
                .default(d.targetCPUUtilizationPercentage)
                .describe("Average CPU utilization (% of request) the HPA aims for"),
        })
        .prefault({})
        .superRefine((a, ctx) => {
            if (a.minReplicas > a.maxReplicas) {
                ctx.addIssue({
                    code: "custom",
                    path: ["minReplicas"],
                    input: a.minReplicas,
                    message: `must be <= maxReplicas (${a.maxReplicas})`,
                });
            }
        });
}

const NO_AUTOSCALING: AutoscalingDefaults = {
    enabled: false,
    minReplicas: 2,
    maxReplicas: 5,
    targetCPUUtilizationPercentage: 70,
};

const httpPath = (def: string) =>
    z
        .string({ error: "must be an absolute HTTP path" })
        .startsWith("/", { error: "must be an absolute HTTP path starting with '/'" })
        .default(def);

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
            runAsUser: intAtLeast(1)
                .default(10001)
                .describe("Non-root uid the container runs as (the image must not need root)"),
        })
        .prefault({})
        .superRefine((s, ctx) => {
            for (const k of Object.keys(s.env).filter((k) => k in SECRET_ENV)) {
                ctx.addIssue({ code: "custom", path: ["env", k], input: "(not shown)", message: "is a secret: it comes from its Secret (README, Secrets), never a plain value" });
            }
            if (!c.singleton) return;
            if (s.replicaCount > 1) {
                ctx.addIssue({ code: "custom", path: ["replicaCount"], input: s.replicaCount, message: `must be 0 or 1: ${componentOf(name)} runs once at most (${c.singleton.reason})` });
            }
            if (s.autoscaling.enabled) {
                ctx.addIssue({ code: "custom", path: ["autoscaling", "enabled"], input: true, message: `must be false: ${componentOf(name)} runs once at most (${c.singleton.reason})` });
            }
        });
}

/** A data volume. The charts disagree on the StorageClass key's name, so each caller adds its own. */
function persistence(size: string) {
    return z.strictObject({
        enabled: bool().default(true).describe("Keep data on a PersistentVolumeClaim"),
        size: bytes().default(size).describe("Volume size"),
    });
}

const storageClass = () => z.string().optional().describe("StorageClass (cluster default when unset)");

const CHART_VERSION_RE = /^\d+\.\d+\.\d+$/;
const CHART_REPO_RE = /^(https|oci):\/\/[^\s]+$/;

interface ChartDefaults {
    readonly repository: string;
    readonly version: string;
    readonly timeoutSeconds: number;
}

/** Files the chart source names, with what each is. */
const chartFile = (what: string) => z.string({ error: `must be a file path (${what})` }).default("");

/**
 * Where a Helm chart comes from, pinned to an exact version: a chart repository or OCI registry (optionally private:
 * a user whose password is the secret `pulse:chartRepositoryPassword`, a CA, a client certificate), or a local chart
 * directory or .tgz for air-gapped installs.
 */
function chart(d: ChartDefaults) {
    return z
        .strictObject({
            repository: z
                .string({ error: "must be a chart repository URL" })
                .regex(CHART_REPO_RE, { error: "must be an https:// chart repository or an oci:// registry path" })
                .refine((v) => !/^[a-z]+:\/\/[^/]*@/.test(v), {
                    error: "must not carry credentials: set chart.username and the secret pulse:chartRepositoryPassword",
                })
                .default(d.repository)
                .describe("Chart repository (https:// index) or OCI registry path (oci://)"),
            path: chartFile("a chart directory or .tgz").describe(
                "Local chart directory or .tgz (air-gapped installs), relative to the project directory; when set, `repository` is not used. Its Chart.yaml must carry `version`",
            ),
            version: z
                .string({ error: "must be an exact chart version" })
                .regex(CHART_VERSION_RE, { error: "must be an exact chart version such as 1.2.11 (no ranges or wildcards)" })
                .default(d.version)
                .describe("Chart version, exact"),
            timeoutSeconds: intAtLeast(60)
                .default(d.timeoutSeconds)
                .describe("How long Helm waits for the release's resources and jobs to be ready"),
            username: z
                .string({ error: "must be a user name" })
                .default("")
                .describe("User of a private repository or registry; its password is the secret `pulse:chartRepositoryPassword`"),
            caFile: chartFile("PEM CA bundle").describe("CA bundle (PEM) that signs the repository's TLS certificate"),
            certFile: chartFile("PEM client certificate").describe("Client certificate (PEM) for a repository that requires mutual TLS"),
            keyFile: chartFile("PEM client key").describe("Key of `certFile`"),
        })
        .prefault({})
        .superRefine((c, ctx) => {
            const issue = (key: string, message: string) =>
                ctx.addIssue({ code: "custom", path: [key], input: (c as Record<string, unknown>)[key], message });
            if (c.path !== "") {
                for (const key of ["username", "caFile", "certFile", "keyFile"] as const) {
                    if (c[key] !== "") issue(key, "applies to a repository, not to a local chart `path`; remove it");
                }
            } else if (c.repository.startsWith("oci://")) {
                // helm.v3.Release builds its OCI registry client without repositoryOpts' TLS files.
                for (const key of ["caFile", "certFile", "keyFile"] as const) {
                    if (c[key] !== "") issue(key, "is not used for an oci:// registry; trust its CA on the machine that runs pulumi, or use chart.path");
                }
            }
            if ((c.certFile === "") !== (c.keyFile === "")) issue(c.certFile === "" ? "certFile" : "keyFile", "certFile and keyFile go together");
        });
}

/** The config sections that install a Helm chart, and the chart's name. */
export const CHART_SECTIONS = { postgresql: "postgresql", emqx: "emqx", nats: "nats" } as const;
export type ChartSection = keyof typeof CHART_SECTIONS;

/** nats://host[:port] or tls://host[:port]. */
function natsUrl() {
    const msg = "must be a NATS URL such as nats://nats.example.com:4222 (or tls://...)";
    return z.string({ error: msg }).refine(
        (v) => {
            const m = /^(nats|tls):\/\/([^/:\s]+)(:(\d{1,5}))?$/.exec(v);
            return m !== null && HOSTNAME_RE.test(m[2]) && (m[4] === undefined || (Number(m[4]) >= 1 && Number(m[4]) <= 65535));
        },
        { error: msg },
    );
}

const optionalHost = (what: string) =>
    z
        .union([z.literal(""), hostname()], { error: "must be a DNS host name (RFC 1123)" })
        .default("")
        .describe(what);

// ─── Sections ───────────────────────────────────────────────────────────────────────────────────────────────

const global = z
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
        imagePullSecrets: z
            .array(k8sName("a Secret name"))
            .default([])
            .describe("Names of docker-registry Secrets in the namespace, used by every pod"),
        awaitReadiness: bool()
            .default(true)
            .describe(
                "Wait for the Helm releases, Deployments to be available, Services to have endpoints and the Ingress an address; false " +
                    "skips those waits (Release `skipAwait`, annotation `pulumi.com/skipAwait`). Jobs are always awaited",
            ),
    })
    .prefault({});

const postgresql = z
    .strictObject({
        enabled: bool().default(true).describe("Install PostgreSQL in-cluster (Bitnami chart); false for a managed database"),
        auth: z
            .strictObject({
                database: nonEmpty("a database name").default("iotcloud").describe("Database Pulse uses"),
                username: nonEmpty("a user name").default("iot").describe("Database user Pulse connects as"),
                existingSecret: k8sName("a Secret name")
                    .default("pulse-db-secret")
                    .describe("Secret with keys url, password, postgres-password (and username)"),
            })
            .prefault({}),
        // TimescaleDB's build on the Bitnami PostgreSQL 16 image: the chart's scripts, plus the extension Pulse's migrations need.
        image: image({ registry: "docker.io", repository: "timescale/timescaledb", tag: "2.16.1-pg16-bitnami" }),
        persistence: persistence("8Gi").extend({ storageClass: storageClass() }).prefault({}),
        resources: resources({ requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } }),
        protect: bool()
            .default(true)
            .describe(
                "Keep the database (release, volume, generated passwords) on `pulumi destroy` and refuse to replace it; see README, Data safety",
            ),
        chart: chart({ repository: "oci://registry-1.docker.io/bitnamicharts", version: "15.5.38", timeoutSeconds: 600 }),
    })
    .prefault({});

const SSL_MODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] as const;

const externalDatabase = z
    .strictObject({
        enabled: bool().default(false).describe("Use a managed PostgreSQL (RDS, Cloud SQL) instead of the in-cluster one"),
        host: optionalHost("Database host (required when enabled)"),
        port: port(5432).describe("Database port"),
        database: nonEmpty("a database name").default("iotcloud").describe("Database name"),
        username: nonEmpty("a user name").default("iot").describe("Database user"),
        sslmode: z
            .enum(SSL_MODES, { error: `must be one of ${SSL_MODES.join(", ")}` })
            .default("require")
            .describe("libpq sslmode appended to the connection URL"),
        existingSecret: k8sName("a Secret name")
            .default("pulse-db-secret")
            .describe("Secret with keys url, password and username"),
    })
    .prefault({});

const SERVICE_TYPES = ["ClusterIP", "LoadBalancer", "NodePort"] as const;
/** CIDR blocks the API server accepts in a NetworkPolicy ipBlock (or a Service's loadBalancerSourceRanges). */
const cidrs = (example: string) =>
    z.array(
        z.string({ error: `must be a CIDR such as ${example}` }).superRefine((text, ctx) => {
            const parsed = parseCidr(text);
            if (typeof parsed === "string") ctx.addIssue({ code: "custom", input: text, message: `must be a CIDR such as ${example} (${parsed})` });
        }),
    );

const emqx = z
    .strictObject({
        enabled: bool().default(true).describe("Install the EMQX MQTT broker in-cluster"),
        replicaCount: intAtLeast(1).default(1).describe("EMQX nodes (3 for HA)"),
        image: image({ registry: "docker.io", repository: "emqx/emqx", tag: "5.8.9" }),
        persistence: persistence("1Gi").extend({ storageClassName: storageClass() }).prefault({}),
        resources: resources({ requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } }),
        dashboard: z
            .strictObject({
                username: nonEmpty("a user name")
                    .default("pulse-admin")
                    .describe("Dashboard admin user (password: secret pulse:emqxDashboardPassword, generated when unset)"),
            })
            .prefault({}),
        serviceUser: nonEmpty("a user name")
            .default("service_pulse")
            .describe("MQTT user the Pulse services connect as (EMQX's built-in database; password: secret pulse:mqttPassword)"),
        deviceTls: z
            .strictObject({
                serverCertSecret: z
                    .union([z.literal(""), k8sName("a Secret name")])
                    .default("")
                    .describe("kubernetes.io/tls Secret with the broker's server certificate for 8883 (written by cert-manager when `certManager.issuer` is set)"),
                certManager: z
                    .strictObject({
                        issuer: z.string().default("").describe("cert-manager issuer that signs the server certificate; empty: bring `serverCertSecret` yourself"),
                        issuerKind: z.enum(["ClusterIssuer", "Issuer"], { error: "must be ClusterIssuer or Issuer" }).default("ClusterIssuer"),
                        dnsNames: z.array(hostname()).default([]).describe("Names devices connect to (the Service's in-cluster names are always added)"),
                    })
                    .prefault({}),
                deviceCaSecret: z
                    .union([z.literal(""), k8sName("a Secret name")])
                    .default("")
                    .describe("Secret with the device CA (tls.crt; tls.key for ui, which signs device certificates, and ops-worker); devices must present a certificate it signed"),
                crlCheck: bool()
                    .default(true)
                    .describe("Refuse revoked device certificates (EMQX fetches the CRL from each certificate's distribution point)"),
            })
            .prefault({})
            .describe("The devices' listener, 8883 with mutual TLS: on when a server certificate and the device CA are configured"),
        deviceService: z
            .strictObject({
                type: z
                    .enum(SERVICE_TYPES, { error: `must be one of ${SERVICE_TYPES.join(", ")}` })
                    .default("ClusterIP")
                    .describe("Type of the Service devices connect to (pulse-emqx-devices); LoadBalancer or NodePort exposes it outside the cluster"),
                annotations: stringMap("annotation").default({}).describe("Its annotations (a cloud load balancer's settings)"),
                loadBalancerSourceRanges: cidrs("203.0.113.0/24")
                    .default([])
                    .describe("Address ranges a LoadBalancer admits (empty: the provider's default, usually everything)"),
            })
            .prefault({})
            .describe("The devices' entry: 8883 (mutual TLS, when deviceTls is configured) and WebSocket 9001 at /mqtt"),
        externalHost: optionalHost("MQTT broker host when emqx.enabled is false (required then)"),
        externalPort: port(1883).describe("MQTT broker port when emqx.enabled is false"),
        chart: chart({ repository: "https://repos.emqx.io/charts", version: "5.8.9", timeoutSeconds: 600 }),
    })
    .prefault({});

const nats = z
    .strictObject({
        enabled: bool().default(true).describe("Install NATS JetStream in-cluster"),
        replicaCount: intAtLeast(1)
            .default(1)
            .describe("NATS servers; more than one forms a cluster (3 for JetStream replicated streams)"),
        jetstream: z
            .strictObject({
                memoryStore: z
                    .strictObject({
                        enabled: bool().default(true).describe("JetStream memory store"),
                        maxSize: bytes().default("256Mi").describe("Memory store size (container memory limit must exceed it)"),
                    })
                    .prefault({}),
                fileStore: z
                    .strictObject({
                        enabled: bool().default(true).describe("JetStream file store on a PVC"),
                        size: bytes().default("2Gi").describe("File store volume size"),
                        storageClassName: storageClass(),
                    })
                    .prefault({}),
            })
            .prefault({}),
        resources: resources({ requests: { cpu: "100m", memory: "512Mi" }, limits: { memory: "512Mi" } }),
        natsBox: z
            .strictObject({ enabled: bool().default(false).describe("Deploy the nats-box toolbox Deployment") })
            .prefault({}),
        externalUrl: z
            .union([z.literal(""), natsUrl()], { error: "must be a NATS URL such as nats://nats.example.com:4222 (or tls://...)" })
            .default("")
            .describe("NATS URL when nats.enabled is false (required then)"),
        chart: chart({ repository: "https://nats-io.github.io/k8s/helm/charts/", version: "1.2.11", timeoutSeconds: 600 }),
    })
    .prefault({})
    .superRefine((n, ctx) => {
        if (n.enabled && !n.jetstream.memoryStore.enabled && !n.jetstream.fileStore.enabled) {
            ctx.addIssue({
                code: "custom",
                path: ["jetstream", "fileStore", "enabled"],
                input: false,
                message: "JetStream needs a store: enable fileStore or memoryStore",
            });
        }
        // JetStream's memory store lives in the container's memory: the limit must leave room beyond it.
        const store = n.jetstream.memoryStore;
        const limit = parseQuantity(n.resources.limits.memory);
        const size = parseQuantity(store.maxSize);
        if (store.enabled && limit !== undefined && size !== undefined && limit <= size) {
            ctx.addIssue({
                code: "custom",
                path: ["resources", "limits", "memory"],
                input: n.resources.limits.memory,
                message: `must exceed jetstream.memoryStore.maxSize (${store.maxSize})`,
            });
        }
    });

const secrets = z
    .strictObject({
        external: bool()
            .default(false)
            .describe(
                "Secrets are managed outside Pulumi (External Secrets, Sealed Secrets, a cloud secret manager): create none and reference them by name",
            ),
        emqxDashboard: k8sName("a Secret name")
            .default("pulse-emqx-dashboard")
            .describe(
                "Secret EMQX loads as its environment: EMQX_DASHBOARD__DEFAULT_USERNAME, EMQX_DASHBOARD__DEFAULT_PASSWORD, EMQX_AUTHENTICATION, EMQX_AUTHORIZATION__SOURCES",
            ),
        keycloakAdmin: k8sName("a Secret name")
            .default("pulse-keycloak-admin")
            .describe("Secret with Keycloak's bootstrap admin: username, password"),
        emqxBootstrap: k8sName("a Secret name")
            .default("pulse-emqx-bootstrap")
            .describe("Secret with `users.csv`, EMQX's built-in database bootstrap (the services' MQTT user)"),
        keycloakDb: k8sName("a Secret name")
            .default("pulse-keycloak-db")
            .describe("Secret with Keycloak's database credentials: username, password"),
        app: k8sName("a Secret name")
            .default("pulse-app-secrets")
            .describe("Secret with the Pulse services' credentials, one key per variable (README, Secrets): MQTT_PASSWORD, MQTT_INTERNAL_AUTH_SECRET, S3_ACCESS_KEY, S3_SECRET_KEY, ADMIN_KEY, SMTP_PASSWORD, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, KEYCLOAK_CLIENT_SECRET"),
    })
    .prefault({});

const ENVIRONMENTS = ["development", "production"] as const;

const app = z
    .strictObject({
        environment: z
            .enum(ENVIRONMENTS, { error: `must be one of ${ENVIRONMENTS.join(", ")}` })
            .default("production")
            .describe(
                "production: MODE/ENV=PROD, secure cookies, and the S3, SMTP and Stripe secrets must be configured; development: MODE/ENV=DEV, and unset ones are generated placeholders",
            ),
        corsOrigins: z
            .array(z.string().regex(/^https?:\/\/[^\s/]+$/, { error: "must be an origin such as https://pulse.example.com (no path)" }))
            .default([])
            .describe("Origins allowed to call the API (CORS_ORIGINS); empty: the UI's public origin"),
    })
    .prefault({});

const s3 = z
    .strictObject({
        endpoint: z.union([z.literal(""), z.url({ error: "must be a URL such as https://s3.eu-west-1.amazonaws.com" })]).default("").describe("S3 API endpoint the services use (S3_ENDPOINT); empty: the SDK's default (AWS)"),
        publicEndpoint: z.union([z.literal(""), z.url({ error: "must be a URL" })]).default("").describe("S3 endpoint in links handed to browsers (S3_PUBLIC_ENDPOINT); empty: `endpoint`"),
        bucket: nonEmpty("a bucket name").default("exports").describe("Bucket for exports and reports (S3_BUCKET)"),
        region: nonEmpty("a region").default("us-east-1").describe("S3 region (S3_REGION)"),
    })
    .prefault({});

const smtp = z
    .strictObject({
        host: optionalHost("SMTP server for notification e-mail (SMTP_HOST)"),
        port: port(587).describe("SMTP port"),
        user: z.string().default("").describe("SMTP user (password: secret pulse:smtpPassword)"),
        tls: bool().default(true).describe("STARTTLS/TLS to the SMTP server"),
        from: z.string().default("").describe("Sender address of notification e-mail (SMTP_FROM)"),
    })
    .prefault({});

const keycloak = z
    .strictObject({
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
            .describe(
                "Import the `pulse` realm (roles, the pulse-ui and pulse-api clients, redirect URIs from the ingress hosts) when it does not exist yet",
            ),
    })
    .prefault({});


const caddy = z
    .strictObject({
        enabled: bool().default(false).describe("Deploy Caddy as reverse proxy (alternative to an Ingress controller)"),
        replicaCount: intAtLeast(0).default(1).describe("Caddy replicas"),
        image: image({ registry: "docker.io", repository: "library/caddy", tag: "2.10.2" }),
        resources: resources(SMALL),
        serviceType: z
            .enum(SERVICE_TYPES, { error: `must be one of ${SERVICE_TYPES.join(", ")}` })
            .default("ClusterIP")
            .describe("Service type; LoadBalancer or NodePort exposes Caddy outside the cluster"),
    })
    .prefault({});

/** Where the usual controller of an IngressClass runs (its install docs' namespace); other classes must say. */
export const CONTROLLER_NAMESPACES: Readonly<Record<string, string>> = { nginx: "ingress-nginx" };

/** The namespace whose pods the NetworkPolicies admit as the Ingress controller (validated to exist). */
export function ingressControllerNamespace(c: { networkPolicy: { ingressController: { namespace?: string } }; ingress: { className: string } }): string {
    const ns = c.networkPolicy.ingressController.namespace ?? CONTROLLER_NAMESPACES[c.ingress.className];
    if (ns === undefined) throw new Error(`no ingress controller namespace for class ${c.ingress.className} (validation should have required it)`);
    return ns;
}

const networkPolicy = z
    .strictObject({
        enabled: bool()
            .default(true)
            .describe("Default-deny NetworkPolicies for the namespace plus the flows the platform needs"),
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
                podLabels: stringMap("label").default({}).describe("Labels of the controller's pods (empty: any pod of that namespace)"),
            })
            .prefault({}),
        mqttClientCidrs: cidrs("10.0.0.0/8")
            .default([])
            .describe("Address ranges outside the namespace allowed to reach EMQX's MQTT ports (devices, load balancer)"),
        apiServerCidrs: cidrs("10.96.0.1/32")
            .default(["0.0.0.0/0"])
            .describe("Where EMQX may reach the Kubernetes API (its k8s cluster discovery), on 443/6443"),
        internet: z
            .strictObject({
                cidrs: cidrs("0.0.0.0/0")
                    .default(["0.0.0.0/0"])
                    .describe("Where the services may reach outside the cluster: Stripe and S3 (ui, ops-worker, on 443 and S3's port), webhooks (route-delivery), SMTP (subscription-worker, Keycloak)"),
                except: cidrs("10.0.0.0/8")
                    .default(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"])
                    .describe("Ranges excluded from `cidrs` (the private networks: the cluster's own pods and nodes)"),
                webhookPorts: z.array(port(443)).default([80, 443]).describe("Ports route-delivery may deliver webhooks to"),
            })
            .prefault({}),
    })
    .prefault({});

const PATH_TYPES = ["Prefix", "Exact", "ImplementationSpecific"] as const;
/** Services an Ingress path may route to. */
export const INGRESS_BACKENDS = ["ui", "provisionApi", "keycloak", "caddy"] as const;

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
        .regex(INGRESS_HOST_RE, { error: "must be a DNS host name (RFC 1123), optionally starting with '*.'" }),
    paths: z
        .array(ingressPath)
        .min(1, { error: "must list at least one path" })
        .optional()
        .describe("Paths and the service each routes to; unset: Pulse's own routes (Keycloak's paths, then ui at /)"),
});

const ingress = z
    .strictObject({
        enabled: bool().default(true).describe("Create an Ingress for the HTTP entry points"),
        className: z.string().min(1).default("nginx").describe("ingressClassName"),
        awaitLoadBalancer: bool()
            .default(true)
            .describe(
                "Wait until the Ingress controller publishes an address (`.status.loadBalancer`); false for controllers that never do, so `pulumi up` does not wait 10 minutes for it",
            ),
        annotations: stringMap("annotation").default({}).describe("Ingress annotations"),
        hosts: z
            .array(ingressHostRule)
            .default([{ host: "pulse.example.com" }])
            .describe(
                `Hosts, each with Pulse's routes or its own paths (each naming the service it routes to); ${INTERNAL_API_PATH}/* is never routed`,
            ),
        tls: z
            .array(
                z.strictObject({
                    secretName: k8sName("a Secret name"),
                    hosts: z.array(
                        z.string().regex(INGRESS_HOST_RE, { error: "must be a DNS host name (RFC 1123)" }),
                    ),
                }),
            )
            .default([])
            .describe("TLS: kubernetes.io/tls Secret names and the hosts they cover; each host one of `hosts`"),
    })
    .prefault({})
    .superRefine((ing, ctx) => {
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

/** Whether a TLS host entry covers a rule's host: equal, or a `*.` wildcard one label above it. */
function coversHost(tlsHost: string, ruleHost: string): boolean {
    if (tlsHost === ruleHost) return true;
    return tlsHost.startsWith("*.") && ruleHost.slice(ruleHost.indexOf(".") + 1) === tlsHost.slice(2) && !ruleHost.startsWith("*.");
}

/** Settings of a Job that `pulumi up` waits for. */
function jobSettings(d: { backoffLimit: number; activeDeadlineSeconds: number; timeoutSeconds: number }) {
    return {
        backoffLimit: intAtLeast(0).default(d.backoffLimit).describe("Retries of a failed pod before the Job fails"),
        activeDeadlineSeconds: intAtLeast(30)
            .default(d.activeDeadlineSeconds)
            .describe("Hard limit on the Job's run time, retries included"),
        timeoutSeconds: intAtLeast(60)
            .default(d.timeoutSeconds)
            .describe("How long `pulumi up` waits for the Job; must exceed activeDeadlineSeconds"),
    };
}

function deadlineBelowTimeout(j: { activeDeadlineSeconds: number; timeoutSeconds: number }, ctx: z.RefinementCtx) {
    if (j.timeoutSeconds <= j.activeDeadlineSeconds) {
        ctx.addIssue({
            code: "custom",
            path: ["timeoutSeconds"],
            input: j.timeoutSeconds,
            message: `must exceed activeDeadlineSeconds (${j.activeDeadlineSeconds}), or pulumi gives up on a Job that is still running`,
        });
    }
}

const migrator = z
    .strictObject({
        image: image({ repository: "pulse/db-migrator" }),
        resources: resources(SMALL),
        ...jobSettings({ backoffLimit: 2, activeDeadlineSeconds: 900, timeoutSeconds: 1200 }),
    })
    .prefault({})
    .superRefine(deadlineBelowTimeout);

/** A JetStream stream name: no whitespace, '.', '*', '>' or path separators. */
const STREAM_NAME_RE = /^[A-Za-z0-9_-]{1,255}$/;
/** A subject: dot-separated tokens, '*' for one token, a final '>' for the rest. */
const SUBJECT_RE = /^(?:[^.\s*>]+|\*)(?:\.(?:[^.\s*>]+|\*))*(?:\.>)?$|^>$/;
/** A duration for max age: 0 (unlimited) or a number with s, m, h or d. */
export const DURATION_RE = /^(0|\d+(s|m|h|d))$/;

const duration = (def: string) =>
    z.string().regex(DURATION_RE, { error: "must be 0 (unlimited) or a duration such as 90s, 30m, 72h or 7d" }).default(def);

const stream = z.strictObject({
    name: z.string({ error: "must be a stream name" }).regex(STREAM_NAME_RE, {
        error: "must be a stream name: letters, digits, '_' and '-' (no spaces, '.', '*' or '>')",
    }),
    subjects: z
        .array(z.string().regex(SUBJECT_RE, { error: "must be a NATS subject such as telemetry.> or devices.*.status" }))
        .min(1, { error: "must list at least one subject" }),
    storage: z.enum(["file", "memory"], { error: "must be file or memory" }).default("file"),
    retention: z.enum(["limits", "interest", "workqueue"], { error: "must be limits, interest or workqueue" }).default("limits"),
    maxAge: duration("0"),
    maxBytes: z.union([z.literal(-1), bytes()], { error: "must be -1 (unlimited) or a quantity such as 10Gi" }).default(-1),
    maxMsgsPerSubject: z.union([z.literal(-1), intAtLeast(1)], { error: "must be -1 (unlimited) or an integer >= 1" }).default(-1),
    duplicateWindow: duration("2m"),
    replicas: intAtLeast(1, 5).default(1),
    discard: z.enum(["old", "new"], { error: "must be old or new" }).default("old"),
});

/** A durable pull consumer on one of the streams. */
const consumer = z.strictObject({
    name: z.string({ error: "must be a consumer name" }).regex(STREAM_NAME_RE, { error: "must be a consumer name: letters, digits, '_' and '-'" }),
    stream: z.string({ error: "must name a stream" }),
    ackWait: duration("30s"),
    maxDeliver: z.union([z.literal(-1), intAtLeast(1)], { error: "must be -1 (unlimited) or an integer >= 1" }).default(-1),
    maxAckPending: intAtLeast(1).default(1000),
});

/** Pulse's streams and consumers, as its code declares them (design notes, pulse-services.md). */
const PULSE_STREAMS: z.input<typeof stream>[] = [
    { name: "TELEMETRY", subjects: ["telemetry.>"], retention: "limits", maxAge: "1h", maxBytes: "1Gi", maxMsgsPerSubject: 100000 },
    { name: "SHADOW", subjects: ["shadow.>"], retention: "limits", maxAge: "1h", maxBytes: "256Mi", maxMsgsPerSubject: 10000 },
    { name: "COMMANDS", subjects: ["commands.>"], retention: "limits", maxAge: "1h", maxBytes: "256Mi", maxMsgsPerSubject: 10000 },
    { name: "ROUTES", subjects: ["routes.>"], retention: "workqueue", maxAge: "24h", maxBytes: "512Mi" },
];
const PULSE_CONSUMERS = [
    { name: "ingest-workers", stream: "TELEMETRY", ackWait: "30s", maxDeliver: 3, maxAckPending: 1000 },
    { name: "ingest-shadow", stream: "SHADOW", ackWait: "30s", maxDeliver: 3, maxAckPending: 1000 },
    { name: "ingest-commands", stream: "COMMANDS", ackWait: "30s", maxDeliver: 3, maxAckPending: 1000 },
    { name: "route-delivery", stream: "ROUTES", ackWait: "30s", maxDeliver: -1, maxAckPending: 100 },
];

const natsInit = z
    .strictObject({
        image: image({ registry: "docker.io", repository: "natsio/nats-box", tag: "0.16.0" }),
        resources: resources(SMALL),
        streams: z
            .array(stream)
            .default(() => PULSE_STREAMS.map((s) => stream.parse(s)))
            .describe(
                "JetStream streams to create or update (name, subjects, storage, retention, maxAge, maxBytes, maxMsgsPerSubject, duplicateWindow, replicas, discard); default: Pulse's four",
            ),
        consumers: z
            .array(consumer)
            .default(() => PULSE_CONSUMERS.map((c) => consumer.parse(c)))
            .describe("Durable pull consumers to create or update (name, stream, ackWait, maxDeliver, maxAckPending); default: Pulse's four"),
        waitSeconds: intAtLeast(10).default(120).describe("How long the Job waits for NATS to answer"),
        ...jobSettings({ backoffLimit: 2, activeDeadlineSeconds: 300, timeoutSeconds: 600 }),
    })
    .prefault({})
    .superRefine((n, ctx) => {
        deadlineBelowTimeout(n, ctx);
        const seen = new Set<string>();
        n.streams.forEach((s, i) => {
            if (seen.has(s.name)) {
                ctx.addIssue({ code: "custom", path: ["streams", i, "name"], input: s.name, message: "is declared twice" });
            }
            seen.add(s.name);
        });
        const consumers = new Set<string>();
        n.consumers.forEach((c, i) => {
            if (!seen.has(c.stream)) {
                ctx.addIssue({ code: "custom", path: ["consumers", i, "stream"], input: c.stream, message: `is not one of natsInit.streams (${[...seen].join(", ")})` });
            }
            if (consumers.has(`${c.stream}/${c.name}`)) {
                ctx.addIssue({ code: "custom", path: ["consumers", i, "name"], input: c.name, message: `is declared twice on stream ${c.stream}` });
            }
            consumers.add(`${c.stream}/${c.name}`);
        });
    });

// ─── The whole configuration ────────────────────────────────────────────────────────────────────────────────

/** The Pulse services' sections, one per registry entry (config/services.ts). */
const services = Object.fromEntries(SERVICE_NAMES.map((name) => [name, pulseService(name).describe(SERVICES[name].description)])) as Record<
    ServiceName,
    ReturnType<typeof pulseService>
>;

/** Cross-section checks run even when the root has other problems (e.g. unknown keys), so one run lists them all. */
const ALWAYS = { when: () => true };

export const pulseConfigSchema = z
    .strictObject({
        namespace: dnsLabel().default("pulse").describe("Namespace all Pulse objects and Helm releases go into"),
        appVersion: z
            .string({ error: RELEASE_TAG_RULE })
            .regex(RELEASE_TAG_RE, { error: RELEASE_TAG_RULE })
            .default("1.0.0")
            .describe("Pulse release; the default tag of every Pulse image"),
        global: global.describe("Settings every workload shares"),
        secrets: secrets.describe("Where the platform's Kubernetes Secrets come from (see README, Secrets)"),
        app: app.describe("What every Pulse service is told about its environment (MODE, ENV, cookies, CORS)"),
        s3: s3.describe("S3-compatible object storage for exports and reports (external; credentials are secrets)"),
        smtp: smtp.describe("SMTP for notification e-mail (password: secret pulse:smtpPassword)"),
        postgresql: postgresql.describe("In-cluster PostgreSQL (Bitnami chart 15.5.38, PostgreSQL 16.4)"),
        externalDatabase: externalDatabase.describe("Managed PostgreSQL instead of the in-cluster one"),
        emqx: emqx.describe("EMQX MQTT broker (chart 5.8.9)"),
        nats: nats.describe("NATS with JetStream (chart 1.2.11; the spec's 0.x `nats.nats.jetstream` keys moved here)"),
        ...services,
        keycloak: keycloak.describe("Keycloak 26 identity provider"),
        caddy: caddy.describe("Optional Caddy reverse proxy (alternative to an Ingress controller)"),
        ingress: ingress.describe("Kubernetes Ingress for the HTTP entry points"),
        networkPolicy: networkPolicy.describe("NetworkPolicies: default deny, then the platform's flows"),
        migrator: migrator.describe("Database migrator Job, run before every rollout"),
        natsInit: natsInit.describe("JetStream stream setup Job"),
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
        if (c.emqx?.enabled && c.emqx.deviceService && c.emqx.deviceService.type !== "ClusterIP" && c.networkPolicy?.enabled && c.networkPolicy.mqttClientCidrs?.length === 0) {
            ctx.addIssue({
                code: "custom",
                path: ["networkPolicy", "mqttClientCidrs"],
                input: [],
                message: `must list the devices' address ranges when emqx.deviceService.type is ${c.emqx.deviceService.type}: the NetworkPolicy drops every device otherwise (0.0.0.0/0 for the internet)`,
            });
        }
        const ing = c.ingress;
        if (ing?.enabled && c.networkPolicy?.enabled && c.networkPolicy.ingressController?.namespace === undefined && !(ing.className in CONTROLLER_NAMESPACES)) {
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
                if (p?.service === "keycloak" && typeof kcPath === "string" && typeof p.path === "string" && !p.path.startsWith(kcPath)) {
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
        if (extOn && !c.externalDatabase.host) {
            ctx.addIssue({
                code: "custom",
                path: ["externalDatabase", "host"],
                input: c.externalDatabase.host,
                message: "is required when externalDatabase.enabled is true",
            });
        }
    }, ALWAYS);

export type PulseConfig = z.output<typeof pulseConfigSchema>;
export type PulseConfigInput = z.input<typeof pulseConfigSchema>;
export type PulseServiceConfig = PulseConfig[ServiceName];
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
    keycloakAdminPassword: "Password of Keycloak's bootstrap admin",
    emqxDashboardPassword: "Password of the EMQX dashboard admin (never the chart's 'public')",
    chartRepositoryPassword: "Password of the private chart repository or registry (with `<section>.chart.username`)",
    mqttPassword: "Password of the services' MQTT user (MQTT_PASSWORD; EMQX's built-in database user)",
    mqttInternalAuthSecret: "Shared secret EMQX sends to ui's internal auth endpoints (MQTT_INTERNAL_AUTH_SECRET)",
    adminKey: "Provisioning API admin key (ADMIN_KEY), at least 32 characters",
    keycloakClientSecret: "Secret of the confidential Keycloak client pulse-api (KEYCLOAK_CLIENT_SECRET)",
    keycloakDbPassword: "Password of Keycloak's database role (required with externalDatabase.enabled)",
    s3AccessKey: "S3 access key (S3_ACCESS_KEY); required in production",
    s3SecretKey: "S3 secret key (S3_SECRET_KEY); required in production",
    smtpPassword: "SMTP password (SMTP_PASSWORD); required in production",
    stripeSecretKey: "Stripe API secret key (STRIPE_SECRET_KEY); required in production",
    stripeWebhookSecret: "Stripe webhook signing secret (STRIPE_WEBHOOK_SECRET); required in production",
} as const;

/** Secret keys that `app.environment: production` requires: generated placeholders would start Pulse but break the feature. */
export const PRODUCTION_SECRETS = ["s3AccessKey", "s3SecretKey", "smtpPassword", "stripeSecretKey", "stripeWebhookSecret"] as const satisfies readonly (keyof typeof SECRET_KEYS)[];
export type SecretKey = keyof typeof SECRET_KEYS;

// ─── Quantities ─────────────────────────────────────────────────────────────────────────────────────────────

const SUFFIX: Record<string, number> = {
    "": 1,
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
};

/** Bytes as the largest binary unit that divides them (2147483648 -> "2Gi"). */
export function formatBytes(n: number): string {
    for (const [suffix, f] of [["Ti", 2 ** 40], ["Gi", 2 ** 30], ["Mi", 2 ** 20], ["Ki", 2 ** 10]] as const) if (n % f === 0) return `${n / f}${suffix}`;
    return String(n);
}

/** The numeric value of a Kubernetes quantity ("512Mi" -> 536870912), or undefined when it is not one. */
export function parseQuantity(q: unknown): number | undefined {
    if (typeof q !== "string" || !QUANTITY_RE.test(q)) return undefined;
    const m = /^[+]?((?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)([KMGTPE]i|[numkMGTPE])?$/.exec(q);
    if (!m) return undefined;
    return Number(m[1]) * SUFFIX[m[2] ?? ""];
}
