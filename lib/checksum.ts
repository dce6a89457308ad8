import { createHash, createHmac } from "crypto";
import * as pulumi from "@pulumi/pulumi";

/** A content hash for a pod-template annotation: the pods roll when the content changes. */
export function checksum(data: unknown): string {
    return createHash("sha256").update(JSON.stringify(data)).digest("hex");
}

/**
 * A keyed hash (HMAC-SHA256, 16 hex) of secret values, for a pod-template annotation that must change with them: unlike
 * a plain hash, it gives whoever reads the annotation nothing to test password guesses against without the key.
 */
function keyedChecksum(key: string, data: unknown): string {
    return createHmac("sha256", key).update(JSON.stringify(data)).digest("hex").slice(0, 16);
}

/** The pod-template annotation with the revision of the secret values a workload reads (secretsRevision). */
export const SECRETS_ANNOTATION = "checksum/secrets";

/**
 * The revision of secret values for a pod-template annotation: a keyed checksum, not secret itself (so it shows in
 * previews), that changes when any of the values does. The key is a secret the pods reading the values need not have.
 */
export function secretsRevision(key: pulumi.Input<string>, values: readonly pulumi.Input<string>[]): pulumi.Output<string> {
    return pulumi.unsecret(pulumi.all([key, ...values]).apply(([k, ...vs]) => keyedChecksum(k, vs)));
}
