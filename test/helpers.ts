/**
 * Shared test helpers: build the platform, or one of its components, from a config object under the mocks and query
 * what it registered.
 */
import type { PlatformCredentials } from "../components/credentials";
import { globalsOf } from "../components/globals";
import { networkPolicyRules } from "../components/networkPolicies";
import { createPlatform, Platform, PLATFORM_COMPONENTS, PLATFORM_NAME, platformNamespace, platformStage, PlatformStage } from "../components/platform";
import { execFile } from "child_process";
import * as path from "path";
import { promisify } from "util";
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { componentOf, ConfigError, contractOf, parseConfig, parseStackConfig, PlatformSecrets, PulseConfig, PulseConfigInput, SERVICE_NAMES } from "../config";
import { TYPES } from "../lib/contracts";
import { HELM_RELEASE_TYPE } from "../tools/graph";
import { record, RecordedResource, setStackConfig, unwrapSecrets } from "../tools/mocks";
import { Render, renderProgram } from "../tools/render";
import { PROJECT_DIR, readStackFile, stackFilePath, withPlaceholderSecrets } from "../tools/stackfile";
import { selects } from "./port-wiring";

export { CI_STACK_FILE } from "../tools/stacks";

/**
 * Runs a CLI of scripts/ in the project directory as `npm run` does, through tsx's CommonJS hook in one process (the
 * tsx command would start two): its exit code, stdout and stderr.
 */
export async function runScript(script: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
        const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--require", "tsx/cjs", path.join(PROJECT_DIR, "scripts", script), ...args], {
            cwd: PROJECT_DIR,
        });
        return { code: 0, stdout, stderr };
    } catch (e) {
        const err = e as { code: number; stdout: string; stderr: string };
        return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
}

/** A validated config: schema defaults overlaid with `overrides` (the way a stack file overlays values.yaml). */
export function config(overrides: PulseConfigInput = {}): PulseConfig {
    return parseConfig(overrides);
}

/** The validated config of a stack file ("dev", "prod" or a path), a template's production secrets as placeholders. */
export function stackConfig(stack: string): PulseConfig {
    return parseStackConfig(withPlaceholderSecrets(readStackFile(stackFilePath(stack)))).config;
}

const renders = new Map<string, Promise<Render>>();

/**
 * Renders a stack file ("dev", "prod" or a path) in-process, through the program's own loadConfig path, once per file
 * (tests only read it); `fresh` renders it again.
 */
export function renderStack(stack: string, fresh = false): Promise<Render> {
    const file = stackFilePath(stack);
    const run = async () => {
        const raw = withPlaceholderSecrets(readStackFile(file));
        setStackConfig(raw.values, [...raw.secretKeys]);
        return renderProgram();
    };
    if (fresh) return run();
    if (!renders.has(file)) renders.set(file, run());
    return renders.get(file)!;
}

/** The ConfigError problems of a parse, or none: the `pulse:<path>: reason` lines the user sees. */
function problemsOf(parse: () => unknown): string[] {
    try {
        parse();
    } catch (e) {
        expect(e).to.be.instanceOf(ConfigError);
        return [...(e as ConfigError).problems];
    }
    return [];
}

/** The problems a config (schema defaults overlaid, development) produces. */
export const configProblems = (overrides: PulseConfigInput): string[] => problemsOf(() => parseConfig({ app: { environment: "development" }, ...overrides }));

/**
 * The problems of a stack config as Pulumi hands it over (`pulse:<key>` strings, `secretKeys` set as secrets);
 * development unless the values say otherwise (production also requires its secrets).
 */
export function stackProblems(values: Record<string, unknown>, secretKeys: readonly string[] = []): string[] {
    const raw: Record<string, string> = {};
    for (const [k, v] of Object.entries({ app: { environment: "development" }, ...values })) raw[`pulse:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    return problemsOf(() => parseStackConfig({ values: raw, secretKeys: new Set(secretKeys.map((k) => `pulse:${k}`)) }));
}

type Selector = Parameters<typeof selects>[0];
type Peer = { podSelector?: Selector };
/** A NetworkPolicy rule as plain data (the program's specs are Pulumi input types). */
export interface PlainRule {
    name: string;
    spec: {
        podSelector: Selector;
        policyTypes?: string[];
        ingress?: { from?: Peer[] }[];
        egress?: { to?: Peer[]; ports?: unknown[] }[];
    };
}
/** The NetworkPolicy rules of a config, as plain data. */
export const plainRules = (c: PulseConfig): PlainRule[] => JSON.parse(JSON.stringify(networkPolicyRules(c)));

export interface Built {
    readonly platform: Platform;
    readonly resources: RecordedResource[];
}

const builds = new Map<string, Promise<Built>>();

/**
 * Builds the platform under the mocks. Builds without secrets are memoized by config: tests only read the result,
 * and many share the defaults.
 */
export function build(cfg: PulseConfig, secrets?: PlatformSecrets): Promise<Built> {
    const run = async () => {
        const { result, resources } = await record(() => createPlatform(cfg, secrets ?? {}));
        return { platform: result, resources };
    };
    if (secrets !== undefined) return run();
    const key = JSON.stringify(cfg);
    if (!builds.has(key)) builds.set(key, run());
    return builds.get(key)!;
}

/**
 * The components `buildComponent` builds, each as the platform builds it (PLATFORM_COMPONENTS) with nothing to wait
 * for: the other components do not exist in such a build. `credentials`: none, the stage alone.
 */
const ALONE = {
    database: (s: PlatformStage) => PLATFORM_COMPONENTS.database(s),
    emqx: (s: PlatformStage) => PLATFORM_COMPONENTS.emqx(s),
    nats: (s: PlatformStage) => PLATFORM_COMPONENTS.release(s, "nats"),
    migrator: (s: PlatformStage) => PLATFORM_COMPONENTS.migrator(s, []),
    natsInit: (s: PlatformStage) => PLATFORM_COMPONENTS.natsInit(s, []),
    keycloak: (s: PlatformStage) => PLATFORM_COMPONENTS.keycloak(s, []),
    services: (s: PlatformStage) => PLATFORM_COMPONENTS.services(s, []),
    caddy: (s: PlatformStage) => PLATFORM_COMPONENTS.caddy(s, []),
    ingress: (s: PlatformStage) => PLATFORM_COMPONENTS.ingress(s, []),
    metrics: (s: PlatformStage) => PLATFORM_COMPONENTS.metrics(s),
    credentials: () => undefined,
};
export type ComponentKey = keyof typeof ALONE;
export const COMPONENT_KEYS = Object.keys(ALONE) as ComponentKey[];

export interface ComponentBuilt<K extends ComponentKey> {
    /** What PLATFORM_COMPONENTS built: undefined where the config leaves the component out. */
    readonly component: ReturnType<(typeof ALONE)[K]>;
    readonly credentials: PlatformCredentials;
    /** The component's registrations and the ones it stands on: the platform, its Namespace and the credentials stage. */
    readonly resources: RecordedResource[];
}

/** By component and config; each entry is that key's ComponentBuilt. */
const componentBuilds = new Map<string, Promise<unknown>>();

/**
 * Builds one component under the mocks, with the args, names and URNs the platform gives it, on what it stands on:
 * a stand-in platform (its type and name), the Namespace and the credentials stage. What it waits for from other
 * components (migrations, releases, Services) is left out: its dependencies on them, and what they register, are
 * the whole build's (`build`), which is what a test about wiring between components takes. A test about the
 * component's own resources takes this: a fraction of the whole build's cost. test/component-build.test.ts proves
 * every component's registrations equal the platform's. Memoized like `build`.
 */
export function buildComponent<K extends ComponentKey>(key: K, cfg: PulseConfig, secrets?: PlatformSecrets): Promise<ComponentBuilt<K>> {
    const run = async (): Promise<ComponentBuilt<K>> => {
        const { result, resources } = await record(() => {
            const parent = new pulumi.ComponentResource(TYPES.platform, PLATFORM_NAME);
            const namespace = platformNamespace(PLATFORM_NAME, cfg, parent);
            const stage = platformStage(PLATFORM_NAME, parent, { config: cfg, secrets: secrets ?? {}, globals: globalsOf(cfg, namespace.metadata.name) });
            return { component: ALONE[key](stage) as ComponentBuilt<K>["component"], credentials: stage.credentials };
        });
        return { ...result, resources };
    };
    if (secrets !== undefined) return run();
    const memo = `${key} ${JSON.stringify(cfg)}`;
    if (!componentBuilds.has(memo)) componentBuilds.set(memo, run());
    return componentBuilds.get(memo) as Promise<ComponentBuilt<K>>;
}

/** Resources of a type token, e.g. "kubernetes:core/v1:Namespace". */
export function ofType(resources: readonly RecordedResource[], type: string): RecordedResource[] {
    return resources.filter((r) => r.type === type);
}

/** The single resource of a type (and name, when given); fails loudly when there is not exactly one. */
export function one(resources: readonly RecordedResource[], type: string, name?: string): RecordedResource {
    const found = ofType(resources, type).filter((r) => name === undefined || r.name === name);
    if (found.length !== 1) {
        throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
    }
    return found[0];
}

/** The Helm releases named `releaseName` (none when the chart is switched off). */
export function releases(resources: readonly RecordedResource[], releaseName: string): RecordedResource[] {
    return ofType(resources, HELM_RELEASE_TYPE).filter((r) => inputs(r).name === releaseName);
}

/** A resource's inputs with secret markers removed, typed loosely for deep property assertions. */

export function inputs(r: RecordedResource): any {
    return unwrapSecrets(r.inputs);
}

/** A recorded resource as the mocks would record it: a custom resource with no parent, options or inputs unless given. */
export function recorded(fields: Pick<RecordedResource, "type" | "name"> & Partial<RecordedResource>): RecordedResource {
    return {
        urn: `urn:${fields.name}`,
        custom: true,
        parent: "",
        dependencies: [],
        provider: "",
        protect: false,
        retainOnDelete: false,
        replaceOnChanges: [],
        aliases: [],
        inputs: {},
        ...fields,
    };
}

/**
 * What changing one secret rolls: the Deployments whose pod annotations (the secrets' revisions) differ between two
 * builds with the secret's two values, and the Deployments of the services whose code reads any of `variables`; and
 * the Jobs whose pod annotations differ (re-run: the database setup Job, which sets a database role's password). A
 * changed credential must roll exactly its readers.
 */
export async function rolledBy(secret: keyof PlatformSecrets, variables: string | readonly string[], values: readonly [string, string]) {
    const annotations = async (value: string) => {
        const { resources } = await build(config(), { [secret]: pulumi.secret(value) });
        const byName = (type: string) =>
            Object.fromEntries(ofType(resources, type).map((r) => [r.name, JSON.stringify(inputs(r).spec.template.metadata.annotations ?? {})]));
        return { deployments: byName("kubernetes:apps/v1:Deployment"), jobs: byName("kubernetes:batch/v1:Job") };
    };
    const [was, is] = [await annotations(values[0]), await annotations(values[1])];
    const changed = (kind: keyof typeof was) =>
        Object.keys(is[kind])
            .filter((name) => is[kind][name] !== was[kind][name])
            .sort();
    const read = typeof variables === "string" ? [variables] : variables;
    const readers = SERVICE_NAMES.filter((s) => contractOf(s).reads.some((v) => read.includes(v))).map((s) => `pulse-services-${componentOf(s)}-deployment`);
    return { rolled: changed("deployments"), readers: readers.sort(), rerun: changed("jobs") };
}
