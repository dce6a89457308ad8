/**
 * The offline render: runs the program under mocks and turns what it registered into the files reviewers diff and
 * linters read: one YAML file per Kubernetes object, one per Helm release. Secret values are redacted.
 */
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { createPlatform } from "../components/platform";
import { loadConfig } from "../config";
import { deployGraph, HELM_RELEASE_TYPE } from "./graph";
import { isSecretValue, record, RecordedResource, resolve, unwrapSecrets } from "./mocks";

export const REDACTED = "<redacted>";

export interface RenderedFile {
    /** Relative to the output directory: k8s/<...>.yaml, helm/<release>.yaml, outputs.yaml. */
    readonly path: string;
    readonly content: string;
}

export interface Render {
    readonly resources: readonly RecordedResource[];
    readonly outputs: Record<string, unknown>;
}

/** Loads the stack config set in the Pulumi runtime (throws RunError on bad config) and records the program. */
export async function renderProgram(): Promise<Render> {
    const { result: platform, resources } = await record(() => {
        const { config, secrets } = loadConfig();
        return createPlatform(config, secrets);
    });
    const outputs: Record<string, unknown> = {};
    for (const [k, o] of Object.entries(platform.outputs)) outputs[k] = await resolve(pulumi.output(o));
    return { resources, outputs };
}

/** Secret markers become REDACTED, at the level the SDK marked them. */
function redact(v: unknown): unknown {
    if (isSecretValue(v)) return REDACTED;
    if (Array.isArray(v)) return v.map(redact);
    if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redact(x)]));
    return v;
}

/** A Kubernetes object the program registers itself (not a Helm release, not a component). */
export const isKubernetesObject = (r: RecordedResource) => r.custom && r.type.startsWith("kubernetes:") && r.type !== HELM_RELEASE_TYPE;

interface K8sObject {
    apiVersion: string;
    kind: string;
    metadata: { name?: string; namespace?: string; [k: string]: unknown };
    [k: string]: unknown;
}

/** The Kubernetes manifest of a recorded resource, redacted. Auto-named objects get their Pulumi name. */
export function manifestOf(r: RecordedResource): K8sObject {
    const obj = redact(r.inputs) as K8sObject;
    obj.metadata = { ...(obj.metadata ?? {}) };
    obj.metadata.name ??= r.name;
    if (obj.kind === "Secret") {
        // Every value of a Secret is redacted, marked secret or not; its keys stay visible for review.
        for (const field of ["data", "stringData"] as const) {
            const m = unwrapSecrets(r.inputs[field]);
            if (m === undefined) continue;
            obj[field] = typeof m === "object" && m !== null ? Object.fromEntries(Object.keys(m).map((k) => [k, REDACTED])) : REDACTED;
        }
    }
    return obj;
}

export function kubernetesManifests(resources: readonly RecordedResource[]): K8sObject[] {
    return resources.filter(isKubernetesObject).map(manifestOf);
}

/** The render's YAML: no line folding, no aliases (the same input gives the same bytes). */
export const toYaml = (v: unknown) => YAML.stringify(v, { lineWidth: 0, aliasDuplicateObjects: false });
/** An object's file name in a render folder: `<namespace>.<kind>.<name>.yaml` (cluster-scoped: `_cluster.…`). */
export const objectFileName = (o: { kind: string; metadata: { name?: string; namespace?: string } }) =>
    `${o.metadata.namespace ?? "_cluster"}.${o.kind.toLowerCase()}.${o.metadata.name}.yaml`;
const yaml = toYaml;
const fileName = (o: K8sObject) => `k8s/${objectFileName(o)}`;

/** A Helm release as the program asks for it (helm/<release>.yaml): chart, version, repository, namespace, values. */
export interface ReleaseInput {
    readonly name: string;
    readonly namespace: string;
    readonly chart: string;
    readonly version: string;
    readonly values: Record<string, unknown>;
    readonly [setting: string]: unknown;
}

/** Every Helm release of a render, redacted: the repository's settings are shown, only its password is redacted. */
export function releaseInputs(resources: readonly RecordedResource[]): ReleaseInput[] {
    return resources
        .filter((x) => x.type === HELM_RELEASE_TYPE)
        .map((r) => {
            const { name, namespace, chart, version, values, ...rest } = redact(r.inputs) as Record<string, unknown>;
            delete rest.repositoryOpts;
            // The SDK marks the whole repositoryOpts secret when a password is set.
            const opts = (unwrapSecrets(r.inputs.repositoryOpts) ?? {}) as Record<string, unknown>;
            const { repo: repository, ...access }: Record<string, unknown> = { ...opts, ...("password" in opts ? { password: REDACTED } : {}) };
            return {
                name: typeof name === "string" ? name : r.name,
                namespace,
                chart,
                version,
                ...(repository ? { repository } : {}),
                ...(Object.keys(access).length > 0 ? { repositoryAccess: access } : {}),
                ...rest,
                values: (values ?? {}) as Record<string, unknown>,
            } as ReleaseInput;
        });
}

export function renderFiles(render: Render): RenderedFile[] {
    const files: RenderedFile[] = kubernetesManifests(render.resources).map((o) => ({ path: fileName(o), content: yaml(o) }));
    for (const release of releaseInputs(render.resources)) files.push({ path: `helm/${release.name}.yaml`, content: yaml(release) });
    files.push({ path: "outputs.yaml", content: yaml(render.outputs) });
    files.push({ path: "graph.yaml", content: yaml(deployGraph(render.resources)) });
    const paths = new Set<string>();
    for (const f of files) {
        if (paths.has(f.path)) throw new Error(`two rendered objects map to ${f.path}`);
        paths.add(f.path);
    }
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** All Kubernetes objects as one multi-document YAML stream, in file order. */
export function renderStream(render: Render): string {
    return renderFiles(render)
        .filter((f) => f.path.startsWith("k8s/"))
        .map((f) => `---\n${f.content}`)
        .join("");
}
