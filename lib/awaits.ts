/**
 * Pulumi's readiness awaits. By default `pulumi up` waits until a Helm release's resources are ready, a Deployment is
 * available, a Service has endpoints and an Ingress has an address. `global.awaitReadiness: false` turns that off for
 * the objects whose readiness needs kubelets or an ingress controller (Release `skipAwait`, this annotation elsewhere);
 * `ingress.awaitLoadBalancer: false` for the Ingress alone. Jobs are always awaited: the migrator must finish before
 * anything rolls.
 */
export const SKIP_AWAIT_ANNOTATION = "pulumi.com/skipAwait";

/** Annotations that switch the await off when `awaitReadiness` is false; none otherwise. */
export function awaitAnnotations(awaitReadiness: boolean): Record<string, string> {
    return awaitReadiness ? {} : { [SKIP_AWAIT_ANNOTATION]: "true" };
}
