/**
 * Building blocks the sections are made of: integers, switches, maps, a container image, resources, autoscaling,
 * a data volume, a Helm chart source and a Job's settings, each with the same messages wherever it appears.
 */
import { z } from "zod";
import { isPulseRepository, RELEASE_TAG_RE, RELEASE_TAG_RULE } from "../../lib/images";
import { annotationsSize, isAnnotationKey, isLabelKey, isLabelValue, TOTAL_ANNOTATION_SIZE_LIMIT } from "./apimachinery";
import { bytes, DIGEST_RE, ENV_NAME_RE, hasUrlCredentials, IMAGE_TAG_RE, k8sName, parseQuantity, quantity } from "./formats";
import { DOMAIN_RE, readAsRegistry, REMOTE_NAME_RE, REPOSITORY_MAX } from "./reference";

/** The API's int32 fields (replicas, ports, uids, retries): what the API server decodes at most. */
const INT32_MAX = 2 ** 31 - 1;

/** An integer >= min; one message for wrong type, fraction and range so errors read the same everywhere. */
export function intAtLeast(min: number, max?: number) {
    const msg = max === undefined ? `must be an integer >= ${min}` : `must be an integer from ${min} to ${max}`;
    const base = z.int({ error: msg }).min(min, { error: msg });
    // A refinement, not .max(): the reference and the JSON Schema keep saying ">= min".
    return max === undefined
        ? base.refine((n) => n <= INT32_MAX, {
              error: `must be at most ${INT32_MAX} (one bound for every integer the program passes on: most are 32-bit in the Kubernetes API)`,
          })
        : base.max(max, { error: msg });
}

export const bool = () => z.boolean({ error: "must be true or false" });

export const nonEmpty = (what: string) => z.string({ error: `must be ${what}` }).min(1, { error: `must be ${what}` });

export const port = (def: number) => intAtLeast(1, 65535).default(def);

const stringMap = (what: string) => z.record(z.string(), z.string({ error: `${what} values must be strings (quote numbers and booleans)` }));

/** Labels (or a label selector's matchLabels): keys and values as the API server validates them (apimachinery.ts). */
export const labelMap = () =>
    stringMap("label").superRefine((labels, ctx) => {
        for (const [key, value] of Object.entries(labels)) {
            const keyProblems = isLabelKey(key);
            if (keyProblems.length > 0)
                ctx.addIssue({ code: "custom", path: [key], input: key, message: `is not a valid label key: ${keyProblems.join("; ")}` });
            const valueProblems = isLabelValue(value);
            if (valueProblems.length > 0) {
                ctx.addIssue({ code: "custom", path: [key], input: value, message: `is not a valid label value: ${valueProblems.join("; ")}` });
            }
        }
    });

/** Room left for the annotations the program adds to the same object itself (content checksums, revisions). */
const PROGRAM_ANNOTATIONS = 4 * 1024;

/** Annotations: keys as the API server validates them, and their total size within its limit (apimachinery.ts). */
export const annotationMap = () =>
    stringMap("annotation").superRefine((annotations, ctx) => {
        for (const key of Object.keys(annotations)) {
            const problems = isAnnotationKey(key);
            if (problems.length > 0)
                ctx.addIssue({ code: "custom", path: [key], input: key, message: `is not a valid annotation key: ${problems.join("; ")}` });
        }
        const size = annotationsSize(annotations);
        const limit = TOTAL_ANNOTATION_SIZE_LIMIT - PROGRAM_ANNOTATIONS;
        if (size > limit) {
            ctx.addIssue({
                code: "custom",
                input: `(${size} bytes)`,
                message: `must hold at most ${limit} bytes of keys and values: the API server refuses an object whose annotations exceed 256 KiB, and the program adds its own (up to ${PROGRAM_ANNOTATIONS} bytes)`,
            });
        }
    });

export const envMap = (def: Record<string, string>) =>
    z
        .record(
            z.string().regex(ENV_NAME_RE, { error: "must be a valid environment variable name" }),
            z.string({ error: "environment values must be strings (quote numbers and booleans)" }),
        )
        .default(def);

const PULL_POLICIES = ["IfNotPresent", "Always", "Never"] as const;

/** A registry host[:port] (distribution/reference's domain) that a runtime also reads as one, not as a Docker Hub namespace. */
export const registry = () =>
    z
        .string({ error: "must be a registry host" })
        .regex(DOMAIN_RE, { error: "must be a registry host such as registry.example.com[:port]", abort: true })
        .refine(readAsRegistry, {
            error: "must be a registry host with a '.' or a port (or localhost): a container runtime reads a bare name such as this as a Docker Hub namespace (docker.io/<name>/...)",
        });

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
        .regex(IMAGE_TAG_RE, { error: "must be a valid image tag: letters, digits, '_', '.' and '-', not starting with '.' or '-', at most 128 (no '+')" })
        .refine((t) => t !== "latest", { error: "must be a pinned version, not 'latest'" });
    return z
        .strictObject({
            registry: (d.registry === undefined ? registry().optional() : registry().default(d.registry)).describe(
                "Registry of this image (Docker Hub when unset); `global.imageRegistry`, when set, takes precedence",
            ),
            repository: z
                .string({ error: "must be an image repository" })
                .regex(REMOTE_NAME_RE, {
                    error: "must be an image repository such as pulse/ingest-iot: lower-case path components of letters and digits, separated by '.', '_', '__' or dashes",
                })
                .max(REPOSITORY_MAX, { error: `must be an image repository of at most ${REPOSITORY_MAX} characters` })
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

export const SMALL: ResourceDefaults = { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } };
export const MEDIUM: ResourceDefaults = { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } };

interface AutoscalingDefaults {
    readonly enabled: boolean;
    readonly minReplicas: number;
    readonly maxReplicas: number;
    readonly targetCPUUtilizationPercentage: number;
}

export function autoscaling(d: AutoscalingDefaults) {
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

export const NO_AUTOSCALING: AutoscalingDefaults = {
    enabled: false,
    minReplicas: 2,
    maxReplicas: 5,
    targetCPUUtilizationPercentage: 70,
};

export const httpPath = (def: string) =>
    z.string({ error: "must be an absolute HTTP path" }).startsWith("/", { error: "must be an absolute HTTP path starting with '/'" }).default(def);

/** A data volume. The charts disagree on the StorageClass key's name, so each caller adds its own. */
export function persistence(size: string) {
    return z.strictObject({
        enabled: bool().default(true).describe("Keep data on a PersistentVolumeClaim"),
        size: bytes().default(size).describe("Volume size"),
    });
}

/**
 * A StorageClass: an object name (a DNS subdomain: the claim's storageClassName), as the API server checks it. For a
 * Bitnami chart also "-", its way to write storageClassName "" (no dynamic provisioning: pre-created volumes only).
 */
export const storageClass = (chart: "bitnami" | "other" = "other") => {
    const error = `must be a StorageClass name (a DNS subdomain: lower-case letters, digits, '-' and '.')${chart === "bitnami" ? ', or "-" for none' : ""}`;
    const name = k8sName("a StorageClass name");
    return (chart === "bitnami" ? z.union([z.literal(""), z.literal("-"), name], { error }) : z.union([z.literal(""), name], { error }))
        .optional()
        .describe(`StorageClass (cluster default when unset)${chart === "bitnami" ? '; "-": none, pre-created volumes only' : ""}`);
};

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
export function chart(d: ChartDefaults) {
    return z
        .strictObject({
            repository: z
                .string({ error: "must be a chart repository URL" })
                .regex(CHART_REPO_RE, { error: "must be an https:// chart repository or an oci:// registry path" })
                .refine((v) => !hasUrlCredentials(v), {
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
            timeoutSeconds: intAtLeast(60).default(d.timeoutSeconds).describe("How long Helm waits for the release's resources and jobs to be ready"),
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
            const issue = (key: string, message: string) => ctx.addIssue({ code: "custom", path: [key], input: (c as Record<string, unknown>)[key], message });
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

export const SERVICE_TYPES = ["ClusterIP", "LoadBalancer", "NodePort"] as const;

/** Settings of a Job that `pulumi up` waits for. */
export function jobSettings(d: { backoffLimit: number; activeDeadlineSeconds: number; timeoutSeconds: number }) {
    return {
        backoffLimit: intAtLeast(0).default(d.backoffLimit).describe("Retries of a failed pod before the Job fails"),
        activeDeadlineSeconds: intAtLeast(30).default(d.activeDeadlineSeconds).describe("Hard limit on the Job's run time, retries included"),
        timeoutSeconds: intAtLeast(60).default(d.timeoutSeconds).describe("How long `pulumi up` waits for the Job; must exceed activeDeadlineSeconds"),
    };
}

export function deadlineBelowTimeout(j: { activeDeadlineSeconds: number; timeoutSeconds: number }, ctx: z.RefinementCtx) {
    if (j.timeoutSeconds <= j.activeDeadlineSeconds) {
        ctx.addIssue({
            code: "custom",
            path: ["timeoutSeconds"],
            input: j.timeoutSeconds,
            message: `must exceed activeDeadlineSeconds (${j.activeDeadlineSeconds}), or pulumi gives up on a Job that is still running`,
        });
    }
}
