/**
 * Pulse's mandatory policies, as pure ResourceValidationPolicy objects. Kept apart from index.ts: importing the
 * module that constructs the PolicyPack starts its gRPC server, which would hang the test runner.
 */
import { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";

import { imageParts, isPulseRepository, pinnedToRelease } from "../lib/images";
import { EXPOSURE_ANNOTATION, NO_PROBES_WAIVER, WRITABLE_ROOT_WAIVER } from "../lib/labels";

export { EXPOSURE_ANNOTATION, NO_PROBES_WAIVER, WRITABLE_ROOT_WAIVER };

type Obj = Record<string, any>;

const WORKLOAD_TYPES: Record<string, (props: Obj) => Obj | undefined> = {
    "kubernetes:apps/v1:Deployment": (p) => p.spec?.template?.spec,
    "kubernetes:apps/v1:StatefulSet": (p) => p.spec?.template?.spec,
    "kubernetes:apps/v1:DaemonSet": (p) => p.spec?.template?.spec,
    "kubernetes:batch/v1:Job": (p) => p.spec?.template?.spec,
    "kubernetes:batch/v1:CronJob": (p) => p.spec?.jobTemplate?.spec?.template?.spec,
    "kubernetes:core/v1:Pod": (p) => p.spec,
};

interface ContainerRef {
    readonly container: Obj;
    readonly init: boolean;
}

/** The pod spec and every container of a workload resource; undefined for other resources. */
function podOf(args: ResourceValidationArgs): { pod: Obj; containers: ContainerRef[] } | undefined {
    const pick = WORKLOAD_TYPES[args.type];
    const pod = pick?.(args.props);
    if (!pod) return undefined;
    return {
        pod,
        containers: [
            ...((pod.initContainers ?? []) as Obj[]).map((container) => ({ container, init: true })),
            ...((pod.containers ?? []) as Obj[]).map((container) => ({ container, init: false })),
        ],
    };
}

function forEachContainer(args: ResourceValidationArgs, check: (c: ContainerRef, pod: Obj) => void): void {
    const found = podOf(args);
    if (found) for (const c of found.containers) check(c, found.pod);
}

export const noFloatingImages: ResourceValidationPolicy = {
    name: "pulse-no-floating-images",
    description: "Every container image names a tag or digest, and never 'latest'.",
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceValidationArgs, report: ReportViolation) =>
        forEachContainer(args, ({ container }) => {
            const { tag, digest } = imageParts(String(container.image ?? ""));
            if (!digest && !tag) report(`container ${container.name}: image ${container.image} has no tag or digest`);
            if (!digest && tag === "latest") report(`container ${container.name}: image ${container.image} uses 'latest'`);
        }),
};

export const pinnedPulseImages: ResourceValidationPolicy = {
    name: "pulse-pinned-pulse-images",
    description: "Pulse's own images run a released version: a semantic-version tag or a digest.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) =>
        forEachContainer(args, ({ container }) => {
            const image = String(container.image ?? "");
            if (!isPulseRepository(imageParts(image).name)) return;
            if (!pinnedToRelease(image)) {
                report(`container ${container.name}: Pulse image ${image} is not pinned to a release (x.y.z tag or @sha256 digest)`);
            }
        }),
};

export const resourcesAndProbes: ResourceValidationPolicy = {
    name: "pulse-resources-and-probes",
    description: "Every container requests CPU and memory and limits memory; long-running containers have readiness and liveness probes.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        // A container with no HTTP server to probe carries the documented waiver, with its reason.
        const waived = args.props.metadata?.annotations?.[NO_PROBES_WAIVER] !== undefined;
        forEachContainer(args, ({ container, init }) => {
            const r = container.resources ?? {};
            for (const [kind, key] of [
                ["requests", "cpu"],
                ["requests", "memory"],
                ["limits", "memory"],
            ] as const) {
                if (r[kind]?.[key] === undefined) report(`container ${container.name}: no ${key} ${kind === "requests" ? "request" : "limit"}`);
            }
            const longRunning = !init && !waived && args.type !== "kubernetes:batch/v1:Job" && args.type !== "kubernetes:batch/v1:CronJob";
            if (longRunning && !container.readinessProbe) report(`container ${container.name}: no readinessProbe`);
            if (longRunning && !container.livenessProbe) report(`container ${container.name}: no livenessProbe`);
        });
    },
};

export const nonRootReadOnly: ResourceValidationPolicy = {
    name: "pulse-non-root-read-only",
    description: "Containers run as non-root with a read-only root file system (unless the object carries the documented waiver).",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        const waived = args.props.metadata?.annotations?.[WRITABLE_ROOT_WAIVER] !== undefined;
        forEachContainer(args, ({ container }, pod) => {
            const sc = container.securityContext ?? {};
            const nonRoot = sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
            if (nonRoot !== true) report(`container ${container.name}: runAsNonRoot is not true`);
            if (sc.readOnlyRootFilesystem !== true && !waived) report(`container ${container.name}: root file system is writable`);
        });
    },
};

export const noUnplannedExposure: ResourceValidationPolicy = {
    name: "pulse-no-unplanned-exposure",
    description: "No LoadBalancer or NodePort Service unless the configuration asked for it.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (args.type !== "kubernetes:core/v1:Service") return;
        const type = args.props.spec?.type ?? "ClusterIP";
        if ((type === "LoadBalancer" || type === "NodePort") && !args.props.metadata?.annotations?.[EXPOSURE_ANNOTATION]) {
            report(`Service ${args.props.metadata?.name}: type ${type} without the ${EXPOSURE_ANNOTATION} annotation set from config`);
        }
    },
};

const REQUIRED_LABELS = ["app.kubernetes.io/part-of", "app.kubernetes.io/managed-by"];
const WORKLOAD_LABELS = ["app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component"];

export const requiredLabels: ResourceValidationPolicy = {
    name: "pulse-required-labels",
    description: "Every Kubernetes object carries app.kubernetes.io/part-of and managed-by; workloads also name, instance and component.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        if (!args.type.startsWith("kubernetes:") || args.type.startsWith("kubernetes:helm.sh/")) return;
        const labels: Obj = args.props.metadata?.labels ?? {};
        const required = WORKLOAD_TYPES[args.type] ? [...REQUIRED_LABELS, ...WORKLOAD_LABELS] : REQUIRED_LABELS;
        for (const l of required) if (!labels[l]) report(`${args.type.split(":").pop()} ${args.props.metadata?.name ?? args.name}: label ${l} missing`);
    },
};

export const pulsePolicies: ResourceValidationPolicy[] = [
    noFloatingImages,
    pinnedPulseImages,
    resourcesAndProbes,
    nonRootReadOnly,
    noUnplannedExposure,
    requiredLabels,
];
