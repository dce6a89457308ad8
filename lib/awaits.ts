/**
 * Pulumi's readiness awaits, decided here. By default `pulumi up` waits until a Helm release's resources are ready, a
 * Deployment is available, a Job complete, a Service has endpoints and an Ingress has an address. The program keeps
 * every await that proves something and drops the ones that only repeat another's proof:
 *   - a Service's endpoints are pods its owner's await already saw ready (the Deployment's; the Helm release's wait for
 *     the devices' Service): no await of its own, ordered after that owner, so whatever comes after the Service still
 *     comes after ready pods. The provider's Service await would add 10 s after the endpoints last changed
 *     (pulumi-kubernetes await/service.go) for nothing. A LoadBalancer still waits for its address, and only for that.
 *   - the Ingress waits for its controller's address, not again for its backends' endpoints (its Services come after
 *     their ready pods; the built-in await adds the same 10 s settle).
 * `global.awaitReadiness: false` turns every readiness await off (Release `skipAwait`, the skip annotation elsewhere);
 * `ingress.awaitLoadBalancer: false` the Ingress's alone. Jobs are always awaited: the migrator must finish before
 * anything rolls.
 */
import * as pulumi from "@pulumi/pulumi";

export const SKIP_AWAIT_ANNOTATION = "pulumi.com/skipAwait";
/** The provider's custom await (a JSONPath or a condition) in place of its built-in one. */
export const WAIT_FOR_ANNOTATION = "pulumi.com/waitFor";
/** The address a controller publishes (Ingress, LoadBalancer Service): matched once the list has an entry. */
export const ADDRESS_PUBLISHED = "jsonpath={.status.loadBalancer.ingress[0]}";

const SKIP = { [SKIP_AWAIT_ANNOTATION]: "true" } as const;

/** Annotations that switch the await off when `awaitReadiness` is false; none otherwise (Deployments: the built-in await). */
export function awaitAnnotations(awaitReadiness: boolean): Record<string, string> {
    return awaitReadiness ? {} : { ...SKIP };
}

export type ServiceType = "ClusterIP" | "NodePort" | "LoadBalancer";

/** A Service's await and ordering: its annotations, and what it is created after. */
export interface ServiceAwait {
    readonly annotations: Record<string, string>;
    readonly dependsOn: pulumi.Resource[];
}

/**
 * How a Service selecting `readyBy`'s pods is awaited. `readyBy` is the resource whose own await proves those pods
 * ready (a Deployment, a Helm release): the Service is created after it and waits for nothing more, but a
 * LoadBalancer's address. Without one, Pulumi's built-in await (endpoints, then a LoadBalancer's address).
 */
export function serviceAwait(type: ServiceType, awaitReadiness: boolean, readyBy?: pulumi.Resource): ServiceAwait {
    const dependsOn = readyBy ? [readyBy] : [];
    if (!awaitReadiness) return { annotations: { ...SKIP }, dependsOn };
    if (!readyBy) return { annotations: {}, dependsOn };
    return { annotations: type === "LoadBalancer" ? { [WAIT_FOR_ANNOTATION]: ADDRESS_PUBLISHED } : { ...SKIP }, dependsOn };
}

/** The Ingress's await: its controller's address (`awaitAddress`: awaitReadiness and ingress.awaitLoadBalancer), or none. */
export function ingressAwaitAnnotations(awaitAddress: boolean): Record<string, string> {
    return awaitAddress ? { [WAIT_FOR_ANNOTATION]: ADDRESS_PUBLISHED } : { ...SKIP };
}
