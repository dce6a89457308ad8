/**
 * Image references: `[registry/]repository:tag[@digest]`, with `global.imageRegistry` taking precedence; and the one
 * rule for what a Pulse image may run, shared by the config schema and the policy pack so they never disagree.
 */
import type { ImageConfig, PulseConfig } from "../config";

/**
 * A released Pulse version: semantic version x.y.z, optional leading v, optional pre-release suffix. No `+build`
 * suffix: '+' is no character of an image tag (distribution/reference), so no image could carry it.
 */
export const RELEASE_TAG_RE = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
export const RELEASE_TAG_RULE =
    "must be a released version x.y.z, optionally -<pre-release> (e.g. 1.4.2; no '+build' suffix, which no image tag can carry), the tag the policy pack requires of Pulse images";

/** Pulse's own images: a `pulse/` repository, on any registry. */
export const isPulseRepository = (repository: string): boolean => /(^|\/)pulse\//.test(repository);

/** Tag and digest of an image reference (the tag is after the last ':' of the last path segment). */
export function imageParts(image: string): { name: string; tag?: string; digest?: string } {
    const [name, digest] = image.split("@");
    const last = name.slice(name.lastIndexOf("/") + 1);
    const colon = last.lastIndexOf(":");
    return { name: colon >= 0 ? name.slice(0, name.length - last.length + colon) : name, tag: colon >= 0 ? last.slice(colon + 1) : undefined, digest };
}

/** Whether a Pulse image reference runs a release: a release tag or a digest. */
export const pinnedToRelease = (image: string): boolean => {
    const { tag, digest } = imageParts(image);
    return digest !== undefined || (tag !== undefined && RELEASE_TAG_RE.test(tag));
};

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

export function resolveImage(image: ImageConfig, global: Pick<PulseConfig["global"], "imageRegistry">, appVersion: string): ResolvedImage {
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

/** A Bitnami chart's `image` values (registry, repository, tag or digest, pull policy) from an image section. */
export function bitnamiImageValues(image: ImageConfig): Record<string, unknown> {
    return {
        ...(image.registry ? { registry: image.registry } : {}),
        repository: image.repository,
        tag: image.tag ?? "",
        ...(image.digest ? { digest: image.digest } : {}),
        pullPolicy: image.pullPolicy,
    };
}
