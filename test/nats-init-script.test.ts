import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { expect } from "chai";
import { natsInitFiles } from "../components/natsInit";
import { config } from "./helpers";

const run = promisify(execFile);

/** A stand-in `nats` CLI: logs every call, answers from the FAKE_* environment. */
const FAKE_NATS = `#!/bin/sh
echo "$*" >> "$FAKE_LOG"
case "$1 $2" in
  "--server $FAKE_URL") shift 2 ;;
  *) echo "fake nats: expected --server $FAKE_URL, got $*" >&2; exit 64 ;;
esac
case "$1 $2" in
  "account info")
    n=$(($(cat "$FAKE_STATE/ready" 2>/dev/null || echo 0) + 1)); echo "$n" > "$FAKE_STATE/ready"
    [ "$n" -ge "\${FAKE_READY_AFTER:-1}" ] ;;
  "stream info")
    case " $FAKE_EXISTING " in *" $3 "*) exit 0 ;; *) echo "nats: error: stream not found" >&2; exit 1 ;; esac ;;
  "stream add")
    [ -f "$5" ] || { echo "no config $5" >&2; exit 2; } ;;
  "stream edit")
    [ -f "$5" ] || { echo "no config $5" >&2; exit 2; }
    case " \${FAKE_REFUSE_EDIT:-} " in *" $3 "*) echo "nats: error: stream configuration update can not change storage type (10058)" >&2; exit 1 ;; esac ;;
  "consumer info")
    case " $FAKE_EXISTING " in *" $3/$4 "*) exit 0 ;; *) echo "nats: error: consumer not found" >&2; exit 1 ;; esac ;;
  "consumer add")
    [ -f "$5" ] || { echo "no config $5" >&2; exit 2; } ;;
  "consumer edit")
    [ -f "$6" ] || { echo "no config $6" >&2; exit 2; }
    case " \${FAKE_REFUSE_EDIT:-} " in *" $3/$4 "*) echo "nats: error: consumer ack policy can not be updated (10012)" >&2; exit 1 ;; esac ;;
  *) echo "fake nats: unexpected $*" >&2; exit 64 ;;
esac
`;

const { streams, consumers } = config({
    natsInit: {
        streams: [
            { name: "TELEMETRY", subjects: ["telemetry.>"] },
            { name: "EVENTS", subjects: ["events.>"], storage: "memory" },
        ],
        consumers: [{ name: "ingest-workers", stream: "TELEMETRY", maxDeliver: 3 }],
    },
}).natsInit;

interface Result {
    code: number;
    stdout: string;
    stderr: string;
    calls: string[];
}

async function initScript(env: Record<string, string>): Promise<Result> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nats-init-"));
    const bin = path.join(dir, "bin");
    const streamsDir = path.join(dir, "streams");
    const state = path.join(dir, "state");
    for (const d of [bin, streamsDir, state]) fs.mkdirSync(d);
    fs.writeFileSync(path.join(bin, "nats"), FAKE_NATS, { mode: 0o755 });
    const files = natsInitFiles(streams, consumers);
    for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(streamsDir, name), content);
    const log = path.join(dir, "calls.log");
    const fullEnv = {
        PATH: `${bin}:${process.env.PATH}`,
        NATS_URL: "nats://pulse-nats:4222",
        FAKE_URL: "nats://pulse-nats:4222",
        STREAMS_DIR: streamsDir,
        FAKE_LOG: log,
        FAKE_STATE: state,
        FAKE_EXISTING: "",
        WAIT_SECONDS: "5",
        POLL_SECONDS: "0",
        ...env,
    };
    let result: Omit<Result, "calls">;
    try {
        const { stdout, stderr } = await run("sh", [path.join(streamsDir, "init.sh")], { env: fullEnv });
        result = { code: 0, stdout, stderr };
    } catch (e) {
        const err = e as { code: number; stdout: string; stderr: string };
        result = { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
    const calls = fs.existsSync(log)
        ? fs
              .readFileSync(log, "utf8")
              .trim()
              .split("\n")
              .map((l) => l.replace(/^--server \S+ /, "").replace(streamsDir, "$DIR"))
        : [];
    return { ...result, calls };
}

describe("nats-init script (against a fake nats CLI)", () => {
    it("creates the streams, then the consumers, that do not exist", async () => {
        const r = await initScript({});
        expect(r.code, r.stderr).to.equal(0);
        expect(r.calls).to.deep.equal([
            "account info",
            "stream info EVENTS",
            "stream add EVENTS --config $DIR/stream.EVENTS.json",
            "stream info TELEMETRY",
            "stream add TELEMETRY --config $DIR/stream.TELEMETRY.json",
            "consumer info TELEMETRY ingest-workers",
            "consumer add TELEMETRY --config $DIR/consumer.TELEMETRY.ingest-workers.json",
        ]);
        expect(r.stdout).to.include("2 stream(s) and 1 consumer(s) in place");
    });

    it("edits existing streams and consumers to their declared config instead of adding them; a re-run succeeds the same way", async () => {
        for (let i = 0; i < 2; i++) {
            const r = await initScript({ FAKE_EXISTING: "TELEMETRY EVENTS TELEMETRY/ingest-workers" });
            expect(r.code, r.stderr).to.equal(0);
            expect(r.calls.filter((c) => / add /.test(` ${c} `))).to.deep.equal([]);
            expect(r.calls).to.include.members([
                "stream edit EVENTS --config $DIR/stream.EVENTS.json --force",
                "stream edit TELEMETRY --config $DIR/stream.TELEMETRY.json --force",
                "consumer edit TELEMETRY ingest-workers --config $DIR/consumer.TELEMETRY.ingest-workers.json --force",
            ]);
        }
    });

    it("creates the missing stream and edits the existing one in a mixed state", async () => {
        const r = await initScript({ FAKE_EXISTING: "TELEMETRY" });
        expect(r.code, r.stderr).to.equal(0);
        expect(r.calls).to.include("stream add EVENTS --config $DIR/stream.EVENTS.json");
        expect(r.calls).to.include("stream edit TELEMETRY --config $DIR/stream.TELEMETRY.json --force");
    });

    it("fails loudly when the server refuses a consumer's change", async () => {
        const r = await initScript({ FAKE_EXISTING: "TELEMETRY EVENTS TELEMETRY/ingest-workers", FAKE_REFUSE_EDIT: "TELEMETRY/ingest-workers" });
        expect(r.code).to.equal(1);
        expect(r.stderr).to.include("consumer TELEMETRY/ingest-workers cannot be changed to its declared config");
    });

    it("fails loudly when the server refuses a change", async () => {
        const r = await initScript({ FAKE_EXISTING: "TELEMETRY EVENTS", FAKE_REFUSE_EDIT: "EVENTS" });
        expect(r.code).to.equal(1);
        expect(r.stderr).to.include("can not change storage type (10058)");
        expect(r.stderr).to.include("stream EVENTS cannot be changed to its declared config");
    });

    it("waits for NATS to answer before touching streams", async () => {
        const r = await initScript({ FAKE_READY_AFTER: "3" });
        expect(r.code, r.stderr).to.equal(0);
        expect(r.calls.slice(0, 3)).to.deep.equal(["account info", "account info", "account info"]);
        expect(r.calls[3]).to.equal("stream info EVENTS");
    });

    it("gives up, bounded in time, when NATS never answers", async () => {
        const r = await initScript({ FAKE_READY_AFTER: "1000", WAIT_SECONDS: "0" });
        expect(r.code).to.equal(1);
        expect(r.stderr).to.include("did not answer within 0s");
        expect(r.calls.filter((c) => c.startsWith("stream"))).to.deep.equal([]);
    });
});
