/**
 * Runs the program under Pulumi mocks and records every registration as the engine would receive it: type, name,
 * inputs, parent, dependencies, provider and options. One implementation for the tests (test/setup.ts), the offline render and the
 * benchmark.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { withoutPromiseStacks } from "../lib/promiseStacks";
import { RecoveryTarget, useRecoverer } from "../lib/releaseRecovery";

const PROJECT = "pulse";

export interface RecordedResource {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    readonly custom: boolean;
    /** Inputs as the SDK serialized them; a secret anywhere inside a top-level input wraps that input (see isSecretValue). */
    readonly inputs: Record<string, unknown>;
    readonly parent: string;
    /** URNs this resource waits on: explicit dependsOn plus every resource whose outputs feed its inputs. */
    readonly dependencies: readonly string[];
    /** The provider reference (`<provider URN>::<id>`) it was given or inherited; "" for its package's default provider. */
    readonly provider: string;
    /** Resource options the engine would enforce. */
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
    /** Input paths whose change replaces the resource (`replaceOnChanges`). */
    readonly replaceOnChanges: readonly string[];
    /** Earlier identities the resource keeps (`aliases`): a former name, or a full URN. */
    readonly aliases: readonly string[];
    /** `customTimeouts` the engine would apply. */
    readonly customTimeouts?: { create: string; update: string; delete: string };
}

/** Marker keys of a serialized secret: `{[SIG_KEY]: SECRET_SIG, value}`. */
const SIG_KEY = pulumi.runtime.specialSigKey;
const SECRET_SIG = pulumi.runtime.specialSecretSig;

export function isSecretValue(v: unknown): v is { value: unknown } {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** The value with every secret marker removed (for assertions on content, not on secretness). */
export function unwrapSecrets(v: unknown): unknown {
    if (isSecretValue(v)) return unwrapSecrets(v.value);
    if (Array.isArray(v)) return v.map(unwrapSecrets);
    if (typeof v === "object" && v !== null) {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
    }
    return v;
}

/** Fake provider outputs for the custom resources whose outputs the program reads. */
function mockState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
    if (type === "random:index/randomPassword:RandomPassword") {
        return { ...inputs, result: `mock-${name}` };
    }
    return inputs;
}

/** The pieces of the gRPC RegisterResourceRequest the recorder reads. */
interface RegisterRequest {
    getType(): string;
    getName(): string;
    getCustom(): boolean;
    getParent(): string;
    getDependenciesList(): string[];
    getProvider(): string;
    getObject(): unknown;
    getProtect(): boolean | undefined;
    getRetainondelete(): boolean | undefined;
    getReplaceonchangesList(): string[];
    getAliasesList(): { getUrn(): string; getSpec(): { getName(): string } | undefined }[];
    getCustomtimeouts(): { getCreate(): string; getUpdate(): string; getDelete(): string } | undefined;
}
interface RegisterResponse {
    getUrn(): string;
}
interface MonitorLike {
    registerResource(req: RegisterRequest, cb: (err: unknown, res?: RegisterResponse) => void): void;
}

/** `waitForRPCs` drains the SDK's queue of pending registrations; exported by the runtime, left out of its typings. */
const runtimeInternals = pulumi.runtime as unknown as { waitForRPCs(): Promise<void> };

class Recorder {
    resources: RecordedResource[] = [];
    /** The stuck-release checks the program asked for (lib/releaseRecovery.ts), in order. */
    recoveryChecks: RecoveryTarget[] = [];
}

const recorder = new Recorder();
let installedFor: string | undefined;
let recording = false;

/**
 * Installs the mocks once per process (Mocha loads every spec before running: one setup, not one per file).
 * Calling it again with the same stack is a no-op.
 */
export function installMocks(stack = "test"): void {
    if (installedFor !== undefined) {
        if (installedFor !== stack) throw new Error(`mocks already installed for stack ${installedFor}`);
        return;
    }
    cheapSdkStacks();
    // The mock monitor deserializes a request's inputs and hands them to `newResource` before its first await, so
    // within `register` below: the recorder takes them from there instead of deserializing the request again.
    let received: Record<string, unknown> | undefined;
    void pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                received = args.inputs as Record<string, unknown>;
                return { id: `${args.name}-id`, state: mockState(args.type, args.name, received) };
            },
            call: (args) => args.inputs as Record<string, unknown>,
        },
        PROJECT,
        stack,
        false,
    );
    const monitor = pulumi.runtime.getMonitor() as unknown as MonitorLike;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
        received = undefined;
        // eslint-disable-next-line prefer-const -- set once `register` returns, read when it calls back
        let inputs: Record<string, unknown> | undefined;
        register(req, (err, res) => {
            if (!err && res) {
                recorder.resources.push({
                    type: req.getType(),
                    name: req.getName(),
                    urn: res.getUrn(),
                    custom: req.getCustom(),
                    inputs: inputs ?? pulumi.runtime.deserializeProperties(req.getObject() as never),
                    parent: req.getParent(),
                    dependencies: [...req.getDependenciesList()].sort(),
                    provider: req.getProvider(),
                    protect: req.getProtect() === true,
                    retainOnDelete: req.getRetainondelete() === true,
                    replaceOnChanges: [...req.getReplaceonchangesList()],
                    // The SDK also sends name-less specs (parent aliasing): only the ones that name something count.
                    aliases: req
                        .getAliasesList()
                        .map((a) => a.getSpec()?.getName() || a.getUrn())
                        .filter((a) => a !== ""),
                    customTimeouts: timeoutsOf(req),
                });
            }
            cb(err, res);
        });
        inputs = received;
    };
    // No cluster under the mocks: the releases' stuck-release check records what it was asked and changes nothing.
    useRecoverer((target) => {
        recorder.recoveryChecks.push(target);
        return Promise.resolve({ action: "none" });
    });
    installedFor = stack;
}

/** Where the Pulumi SDK's own files are: the frames of its stack captures. */
const SDK_DIR = `${path.sep}node_modules${path.sep}@pulumi${path.sep}pulumi${path.sep}`;

/**
 * The SDK captures a stack for every resource and promise (`new Error().stack`, no message) and nothing reads them
 * under the mocks; formatting each, through the TypeScript source maps, cost a third of an evaluation. Those captures
 * get their first line only; every other error's stack is formatted as usual, mapped to the TypeScript lines (a
 * failing assertion names the test's line: test/stack-traces.test.ts).
 * Most are `debuggablePromise`'s, which take no frames at all (lib/promiseStacks.ts).
 */
function cheapSdkStacks(): void {
    const format = Error.prepareStackTrace?.bind(Error);
    if (format === undefined) return;
    Error.prepareStackTrace = (error: Error, frames: NodeJS.CallSite[]): unknown =>
        error.message === "" && (frames.length === 0 || frames[0].getFileName()?.includes(SDK_DIR)) ? "Error" : (format(error, frames) as unknown);
    withoutPromiseStacks();
}

/** The registrations of the recording under way, so far (a test's stand-in recoverer looks at them). */
export const registeredSoFar = (): readonly RecordedResource[] => [...recorder.resources];

function timeoutsOf(req: RegisterRequest): RecordedResource["customTimeouts"] {
    const t = req.getCustomtimeouts();
    return t ? { create: t.getCreate(), update: t.getUpdate(), delete: t.getDelete() } : undefined;
}

/** Sets the stack config the program's loadConfig() will read (full keys, e.g. "pulse:ingest"). */
export function setStackConfig(values: Record<string, string>, secretKeys: readonly string[] = []): void {
    pulumi.runtime.setAllConfig(values, [...secretKeys]);
}

/**
 * Runs `build` on an empty record, waits until the SDK has registered everything, and returns the registrations in
 * order. `build` throwing (e.g. bad config) rejects before anything is registered.
 */
export async function record<T>(build: () => T): Promise<{ result: T; resources: RecordedResource[]; recoveryChecks: RecoveryTarget[] }> {
    if (installedFor === undefined) throw new Error("installMocks() first");
    if (recording) throw new Error("record() is not re-entrant: await one recording before starting the next");
    recording = true;
    recorder.resources = [];
    recorder.recoveryChecks = [];
    try {
        const result = build();
        await runtimeInternals.waitForRPCs();
        return { result, resources: recorder.resources, recoveryChecks: recorder.recoveryChecks };
    } finally {
        recorder.resources = [];
        recorder.recoveryChecks = [];
        recording = false;
    }
}

/** Resolves an Output under mocks (values only; use pulumi.isSecret for secretness). */
export function resolve<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((done) => o.apply((v) => done(v)));
}
