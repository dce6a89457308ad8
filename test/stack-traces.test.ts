/**
 * A failing test points at its own TypeScript line: stacks are mapped through the source maps, while the SDK's
 * per-resource stack captures stay cheap (tools/mocks.ts, cheapSdkStacks; lib/promiseStacks.ts).
 */
import * as fs from "fs";
import { AssertionError, expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import * as debuggable from "@pulumi/pulumi/runtime/debuggable";

/** The SDK's wrapper of every promise it tracks (left out of its typings): it stores a stack on the promise. */
const { debuggablePromise } = debuggable as unknown as { debuggablePromise: (p: Promise<unknown>, ctx: string) => Promise<unknown> };

/** The 1-based line of this file that holds `marker`. */
const lineOf = (marker: string): number =>
    fs
        .readFileSync(__filename, "utf8")
        .split("\n")
        .findIndex((l) => l.includes(marker) && !l.includes("lineOf(")) + 1;
/** The first frame of a stack that names a file, as `file:line`. */
const firstFrame = (stack = ""): string => /\(?([^\s()]+):(\d+):\d+\)?$/m.exec(stack.split("\n").slice(1).join("\n"))?.slice(1, 3).join(":") ?? "";

describe("stack traces name the TypeScript line", () => {
    it("a failing chai assertion: this file and the line of the expect", () => {
        let failure: unknown;
        try {
            expect(1, "a deliberate failure").to.equal(2); // marker: the failing expect
        } catch (e) {
            failure = e;
        }
        expect(failure).to.be.instanceOf(AssertionError);
        expect(firstFrame((failure as Error).stack)).to.equal(`${__filename}:${lineOf("marker: the failing expect")}`);
    });

    it("an error the program throws through the SDK (with a message): its full, mapped stack", () => {
        const e = new pulumi.RunError("bad config"); // marker: the RunError
        expect(e.stack).to.match(/^Error: bad config\n/);
        expect(e.stack).to.include(`${__filename}:${lineOf("marker: the RunError")}:`);
    });

    it("the SDK's own captures (no message, from inside the SDK) are one line, not a formatted stack", async () => {
        const tracked = Promise.resolve(1) as Promise<number> & { _debugStackTrace?: string };
        await debuggablePromise(tracked, "a test");
        expect(tracked._debugStackTrace).to.equal("Error");
    });

    it("the SDK's promise tracking captures no frames (unless PULUMI_DEBUG_PROMISE_LEAKS asks for them)", async () => {
        // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was; V8 calls it unbound too
        const format = Error.prepareStackTrace;
        const captured: number[] = [];
        Error.prepareStackTrace = (error, frames) => (captured.push(frames.length), format ? format(error, frames) : String(error));
        try {
            await debuggablePromise(Promise.resolve(1), "a test");
        } finally {
            Error.prepareStackTrace = format;
        }
        expect(captured, "frames of each stack the tracking captured").to.deep.equal([0]);
    });
});
