import { createHash } from "crypto";

/** A content hash for a pod-template annotation: the pods roll when the content changes. */
export function checksum(data: unknown): string {
    return createHash("sha256").update(JSON.stringify(data)).digest("hex");
}
