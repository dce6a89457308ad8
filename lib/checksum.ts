import { createHash, createHmac } from "crypto";

/** A content hash for a pod-template annotation: the pods roll when the content changes. */
export function checksum(data: unknown): string {
    return createHash("sha256").update(JSON.stringify(data)).digest("hex");
}

/**
 * A keyed hash (HMAC-SHA256, 16 hex) of secret values, for a pod-template annotation that must change with them: unlike
 * a plain hash, it gives whoever reads the annotation nothing to test password guesses against without the key.
 */
export function keyedChecksum(key: string, data: unknown): string {
    return createHmac("sha256", key).update(JSON.stringify(data)).digest("hex").slice(0, 16);
}
