/**
 * The policy pack's rules run offline over rendered resources, the way the policy engine calls them during a preview:
 * one ResourceValidationArgs per resource, violations collected. `npm run policy -- <stack>` and the tests use it.
 */
import { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { pulsePolicies } from "../policy/rules";
import { RecordedResource, unwrapSecrets } from "./mocks";

class NotApplicable extends Error {}

/** The violations one policy reports for one resource (type token and input properties). */
export function violations(policy: ResourceValidationPolicy, type: string, props: Record<string, unknown>, name = "x"): string[] {
    const found: string[] = [];
    const report: ReportViolation = (message) => void found.push(message);
    const args = {
        type,
        props,
        urn: `urn:pulumi:offline::pulse::${type}::${name}`,
        name,
        opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: {}, additionalSecretOutputs: [] },
        stackTags: new Map<string, string>(),
        isType: () => false,
        asType: () => undefined,
        getConfig: <T extends object>() => ({}) as T,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    } as unknown as ResourceValidationArgs;
    const validate = policy.validateResource;
    for (const v of Array.isArray(validate) ? validate : validate ? [validate] : []) {
        try {
            // Pulse's rules are synchronous; an async one would report after this returns, so it is refused here.
            const pending: unknown = v(args, report);
            if (pending instanceof Promise) throw new Error(`policy ${policy.name}: asynchronous rules cannot run offline`);
        } catch (e) {
            if (!(e instanceof NotApplicable)) throw e;
        }
    }
    return found;
}

export interface Violation {
    readonly policy: string;
    readonly resource: string;
    readonly message: string;
}

/** Every violation of the pack's policies over the custom resources of a render. */
export function checkResources(resources: readonly RecordedResource[], policies: readonly ResourceValidationPolicy[] = pulsePolicies): Violation[] {
    return resources
        .filter((r) => r.custom)
        .flatMap((r) =>
            policies.flatMap((p) =>
                violations(p, r.type, unwrapSecrets(r.inputs) as Record<string, unknown>, r.name).map((message) => ({
                    policy: p.name,
                    resource: `${r.type}::${r.name}`,
                    message,
                })),
            ),
        );
}
