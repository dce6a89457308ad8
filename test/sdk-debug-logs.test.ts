import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
// eslint-disable-next-line @typescript-eslint/no-require-imports -- its exports object itself, which the SDK calls through
import sdkLog = require("@pulumi/pulumi/log");
import { withoutSdkDebugLogs } from "../lib/sdkDebugLogs";

type Debug = (msg: string) => Promise<void>;
const exportsOf = sdkLog as unknown as { debug: Debug };

class Probe extends pulumi.CustomResource {
    constructor(name: string) {
        super("test:debug:Probe", name, {});
    }
}

/** Runs `body` with `debug` as the SDK's log.debug and PULSE_SDK_DEBUG_LOGS as given; puts both back after. */
async function withDebug(debug: Debug, flag: string | undefined, body: () => Promise<void> | void): Promise<void> {
    const [previous, previousFlag] = [exportsOf.debug, process.env.PULSE_SDK_DEBUG_LOGS];
    exportsOf.debug = debug;
    if (flag === undefined) delete process.env.PULSE_SDK_DEBUG_LOGS;
    else process.env.PULSE_SDK_DEBUG_LOGS = flag;
    try {
        await body();
    } finally {
        exportsOf.debug = previous;
        if (previousFlag === undefined) delete process.env.PULSE_SDK_DEBUG_LOGS;
        else process.env.PULSE_SDK_DEBUG_LOGS = previousFlag;
    }
}

describe("the SDK's debug lines (lib/sdkDebugLogs)", () => {
    it("the SDK sends each registration's debug lines through log's exports object, so replacing it there is seen", async () => {
        const lines: string[] = [];
        await withDebug(
            (msg) => (lines.push(msg), Promise.resolve()),
            undefined,
            async () => {
                const r = new Probe("probe");
                await new Promise<void>((resolve) => r.urn.apply(() => resolve()));
            },
        );
        expect(lines.filter((l) => l.includes("test:debug:Probe"))).to.have.length.greaterThan(0);
    });

    it("are dropped unless PULSE_SDK_DEBUG_LOGS is set; dropping twice keeps one replacement", async () => {
        const lines: string[] = [];
        const recording: Debug = (msg) => (lines.push(msg), Promise.resolve());
        await withDebug(recording, undefined, async () => {
            withoutSdkDebugLogs();
            const dropped = exportsOf.debug;
            expect(dropped).to.not.equal(recording);
            withoutSdkDebugLogs();
            expect(exportsOf.debug).to.equal(dropped);
            await exportsOf.debug("a debug line");
        });
        expect(lines).to.deep.equal([]);
        await withDebug(recording, "1", async () => {
            withoutSdkDebugLogs();
            await exportsOf.debug("kept");
        });
        expect(lines).to.deep.equal(["kept"]);
    });
});
