/** The `app.kubernetes.io/*` labels every Pulse object carries, and the selector subset that never changes. */
import { objectName, PART_OF } from "./contracts";

/** Marks a Service exposed outside the cluster on purpose, with the config key that asked for it (policy pack). */
export const EXPOSURE_ANNOTATION = "pulse.opsconductor.io/exposed";
/** The documented read-only-root waiver (kube-linter's annotation, which the policy pack honours too), with its reason. */
export const WRITABLE_ROOT_WAIVER = "ignore-check.kube-linter.io/no-read-only-root-fs";
/** The documented probe waiver of a workload without an HTTP server (kube-linter's, honoured by the policy pack). */
export const NO_PROBES_WAIVER = "ignore-check.kube-linter.io/no-readiness-probe";

export interface LabelArgs {
    /** Stable component key, e.g. "ingest", "keycloak". */
    readonly component: string;
    /** Image tag or release the object runs; omitted from selectors. */
    readonly version?: string;
}

export { componentOf } from "../config/services";

/** Selector labels: immutable for the life of a Deployment, so they never include the version. */
export function selectorLabels(component: string): Record<string, string> {
    return {
        "app.kubernetes.io/name": objectName(component),
        "app.kubernetes.io/instance": PART_OF,
    };
}

export function standardLabels(args: LabelArgs): Record<string, string> {
    return {
        ...selectorLabels(args.component),
        "app.kubernetes.io/component": args.component,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": "pulumi",
        ...(args.version === undefined ? {} : { "app.kubernetes.io/version": args.version }),
    };
}

/** `{ annotations }` for object metadata, or nothing when there are none (no empty map in the manifests). */
export function annotationsOrNone(annotations: Readonly<Record<string, string>>): { annotations?: Record<string, string> } {
    return Object.keys(annotations).length > 0 ? { annotations: { ...annotations } } : {};
}
