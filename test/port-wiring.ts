/**
 * Do Services and NetworkPolicies point at ports the pods declare? A Service whose target port no selected pod
 * declares, or a policy that opens a port none of its pods listens on, deploys cleanly and carries nothing: the
 * integration suite runs this over the live namespace. Structural types, so the suite's client objects fit.
 */

interface LabelSelector {
    readonly matchLabels?: Record<string, string>;
    readonly matchExpressions?: readonly { readonly key: string; readonly operator: string; readonly values?: readonly string[] }[];
}
export interface PodLike {
    readonly metadata?: { readonly name?: string; readonly labels?: Record<string, string> };
    readonly spec?: { readonly containers: readonly { readonly ports?: readonly { readonly name?: string; readonly containerPort: number }[] }[] };
}
export interface ServiceLike {
    readonly metadata?: { readonly name?: string };
    readonly spec?: {
        readonly selector?: Record<string, string>;
        readonly ports?: readonly { readonly port: number; readonly targetPort?: number | string }[];
    };
}
export interface NetworkPolicyLike {
    readonly metadata?: { readonly name?: string };
    readonly spec?: { readonly podSelector: LabelSelector; readonly ingress?: readonly { readonly ports?: readonly { readonly port?: number | string }[] }[] };
}

export function selects(selector: LabelSelector, labels: Record<string, string>): boolean {
    return (
        Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v) &&
        (selector.matchExpressions ?? []).every((e) => {
            const has = e.key in labels;
            if (e.operator === "In") return has && e.values!.includes(labels[e.key]);
            if (e.operator === "NotIn") return !has || !e.values!.includes(labels[e.key]);
            if (e.operator === "Exists") return has;
            return !has;
        })
    );
}

/** Whether the pod declares the port, by name or number. */
function declares(pod: PodLike, port: number | string): boolean {
    return (pod.spec?.containers ?? []).some((c) => (c.ports ?? []).some((p) => (typeof port === "number" ? p.containerPort === port : p.name === port)));
}

/** One line per Service port or policy port that reaches nothing; empty when everything is wired. */
export function portWiringProblems(pods: readonly PodLike[], services: readonly ServiceLike[], policies: readonly NetworkPolicyLike[]): string[] {
    const problems: string[] = [];
    for (const svc of services) {
        const selector = svc.spec?.selector;
        // A Service without a selector has hand-made endpoints (or, on purpose, none).
        if (!selector || Object.keys(selector).length === 0) continue;
        const selected = pods.filter((p) => selects({ matchLabels: selector }, p.metadata?.labels ?? {}));
        if (selected.length === 0) problems.push(`Service ${svc.metadata?.name} selects no pod`);
        for (const port of svc.spec?.ports ?? []) {
            const target = port.targetPort ?? port.port;
            const missing = selected.filter((p) => !declares(p, target)).map((p) => p.metadata?.name);
            if (missing.length > 0) problems.push(`Service ${svc.metadata?.name} port ${port.port} -> ${target}: not declared by ${missing.join(", ")}`);
        }
    }
    for (const np of policies) {
        const selected = pods.filter((p) => selects(np.spec!.podSelector, p.metadata?.labels ?? {}));
        for (const rule of np.spec?.ingress ?? []) {
            for (const { port } of rule.ports ?? []) {
                if (port !== undefined && selected.length > 0 && !selected.some((p) => declares(p, port))) {
                    problems.push(`NetworkPolicy ${np.metadata?.name} opens port ${port}, which none of its pods declares`);
                }
            }
        }
    }
    return problems;
}
