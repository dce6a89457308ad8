/**
 * The Pulumi SDK wraps every promise it makes (five per output property of every resource) in `debuggablePromise`,
 * which stores `new Error().stack` on it for the leak report that only PULUMI_DEBUG_PROMISE_LEAKS prints. Capturing
 * ten frames for each, and formatting them through source maps where the runtime maps stacks, is a quarter of an
 * evaluation's CPU (`npm run bench`). Unless that variable is set, the capture takes no frames; the tracking of
 * leaked promises, and every other stack, stay as they are. The SDK calls the function through its module's exports
 * object (`debuggable_1.debuggablePromise(...)`), so replacing it there is seen everywhere; an SDK without it is left
 * alone. test/stack-traces.test.ts proves the effect.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- its exports object itself, which the SDK calls through
import debuggable = require("@pulumi/pulumi/runtime/debuggable");
import { replaceSdkFunction } from "./sdkExports";

type Track = (p: Promise<unknown>, ctx: unknown) => Promise<unknown>;

export function withoutPromiseStacks(): void {
    replaceSdkFunction<Track>(debuggable, "debuggablePromise", "PULUMI_DEBUG_PROMISE_LEAKS", (track) => (p, ctx) => {
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 0;
        try {
            return track(p, ctx);
        } finally {
            Error.stackTraceLimit = limit;
        }
    });
}
