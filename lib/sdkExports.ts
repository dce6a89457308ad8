/**
 * The SDK calls its own helpers through their modules' exports objects (`log.debug(...)`, `debuggable_1.debuggablePromise(...)`),
 * so a function replaced there is seen everywhere. How lib/promiseStacks.ts and lib/sdkDebugLogs.ts trim what the SDK
 * does per resource: once per process, never when `optOut` is set in the environment, and never on an SDK whose
 * module lacks the function.
 */
const REPLACED = Symbol("replaced by the program");

type Fn = (...args: never[]) => unknown;

export function replaceSdkFunction<F extends Fn>(moduleExports: object, name: string, optOut: string, replacement: (original: F) => F): void {
    const slots = moduleExports as Record<string, unknown>;
    const original = slots[name];
    if (process.env[optOut] || typeof original !== "function" || REPLACED in original) return;
    slots[name] = Object.assign(replacement(original as F), { [REPLACED]: true });
}
