/** Credentials: a configured secret or a generated one, kept in a Kubernetes Secret whose every value is a Pulumi secret. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { standardLabels } from "./labels";

/**
 * The configured password, or one generated once and kept in state: 32 alphanumerics, so it needs no escaping in
 * URLs, JDBC strings, env files or shells. Always a Pulumi secret.
 */
export function passwordOr(given: pulumi.Output<string> | undefined, name: string, opts: pulumi.CustomResourceOptions): pulumi.Output<string> {
    if (given) return pulumi.secret(given);
    const password = new random.RandomPassword(name, { length: 32, special: false }, { ...opts, additionalSecretOutputs: ["result"] });
    return pulumi.secret(password.result);
}

export interface CredentialsSecretArgs {
    /** The Secret's name: a contract the workloads and charts read by. */
    readonly objectName: string;
    readonly namespace: pulumi.Input<string>;
    /** Component label. */
    readonly component: string;
    readonly stringData: Record<string, pulumi.Input<string>>;
}

/**
 * A Secret the program writes, with the values it was given: the pods' secret revisions are computed from these (the
 * Secret's outputs are what the provider read back, not what the program wrote).
 */
export type CredentialsSecret = k8s.core.v1.Secret & { readonly values: Readonly<Record<string, pulumi.Input<string>>> };

/** An Opaque Secret with a fixed name; every value goes in as a Pulumi secret. */
export function credentialsSecret(name: string, args: CredentialsSecretArgs, opts: pulumi.CustomResourceOptions): CredentialsSecret {
    const secret = new k8s.core.v1.Secret(
        name,
        {
            metadata: { name: args.objectName, namespace: args.namespace, labels: standardLabels({ component: args.component }) },
            type: "Opaque",
            stringData: Object.fromEntries(Object.entries(args.stringData).map(([k, v]) => [k, pulumi.secret(v)])),
        },
        opts,
    );
    return Object.assign(secret, { values: args.stringData });
}

/** An environment variable from one key of a Secret (a components/credentials.ts SecretRef): secrets only by reference. */
export const secretKeyEnv = (name: string, ref: { readonly secretName: pulumi.Input<string>; readonly key: string }): k8s.types.input.core.v1.EnvVar => ({
    name,
    valueFrom: { secretKeyRef: { name: ref.secretName, key: ref.key } },
});

/** A written Secret's values in key order, for a revision of them (lib/checksum secretsRevision). */
export const valuesOf = (secret: CredentialsSecret): pulumi.Input<string>[] =>
    Object.keys(secret.values)
        .sort()
        .map((k) => secret.values[k]);
