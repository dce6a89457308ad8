/** Image references: `[registry/]repository:tag[@digest]`, with `global.imageRegistry` taking precedence. */
import { ImageConfig, PulseConfig } from "../config";

export interface ResolvedImage {
    /** Registry in effect, if any (Docker Hub otherwise). */
    readonly registry?: string;
    readonly repository: string;
    readonly tag: string;
    readonly digest?: string;
    readonly pullPolicy: ImageConfig["pullPolicy"];
    /** The full reference for a container's `image` field. */
    readonly ref: string;
}

export function resolveImage(image: ImageConfig, global: PulseConfig["global"], appVersion: string): ResolvedImage {
    const registry = global.imageRegistry || image.registry || undefined;
    const tag = image.tag ?? appVersion;
    const name = registry ? `${registry}/${image.repository}` : image.repository;
    return {
        registry,
        repository: image.repository,
        tag,
        digest: image.digest,
        pullPolicy: image.pullPolicy,
        ref: `${name}:${tag}${image.digest ? `@${image.digest}` : ""}`,
    };
}
