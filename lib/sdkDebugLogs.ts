/**
 * The Pulumi Node SDK sends every `log.debug` to the engine as a gRPC call of its own, in series: three for each
 * resource it registers ("Registering resource", "RPC prepared", "RPC finished") and more for each component's
 * outputs, some 400 calls per `up` of prod. The engine shows them only under `pulumi up --debug`, and nothing tells
 * the program whether that flag is on. Unless `PULSE_SDK_DEBUG_LOGS` is set (to anything), they are dropped here,
 * from the platform's creation on; the SDK calls the function through its module's exports object (`log.debug(...)`),
 * so replacing it there is seen everywhere.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- its exports object itself, which the SDK calls through
import sdkLog = require("@pulumi/pulumi/log");
import { replaceSdkFunction } from "./sdkExports";

export function withoutSdkDebugLogs(): void {
    replaceSdkFunction<() => Promise<void>>(sdkLog, "debug", "PULSE_SDK_DEBUG_LOGS", () => () => Promise.resolve());
}
