/**
 * Wall-clock timings of the suite's operations, the critical path of each first up and the ratios the goals are set in
 * (docs/integration-testing.md), written as JSON and printed as a table.
 */
import * as fs from "fs";
import * as inspector from "inspector";
import * as os from "os";
import * as path from "path";
import { procStat } from "./proc";
import { CriticalPath, criticalPath, formatCriticalPath, GraphResource, StepEvent } from "../../tools/criticalPath";

export interface Timing {
    readonly subject: string;
    readonly operation: string;
    readonly ms: number;
    /**
     * CPU time spent meanwhile, in ms: by this process (the inline program, the SDK, the Automation API) and by the
     * child processes that ended (the CLI with its provider plugins): which side a slow operation is slow in.
     */
    readonly cpu?: { readonly program: number; readonly cli: number };
}

/** CPU ms of the children this process waited for (Linux: /proc/self/stat cutime + cstime); undefined elsewhere. */
function childrenCpuMs(): number | undefined {
    try {
        const fields = procStat("self");
        // cutime and cstime, in clock ticks of 10 ms (USER_HZ on Linux).
        return (Number(fields[13]) + Number(fields[14])) * 10;
    } catch {
        return undefined;
    }
}

/** A subject and operation as a file name. */
const fileNameOf = (name: string) => name.replace(/[^A-Za-z0-9.-]+/g, "-");

/** Starts V8's CPU profiler in this process; the function returned stops it and writes the profile to a file. */
async function startProfile(): Promise<(file: string) => Promise<void>> {
    const session = new inspector.Session();
    session.connect();
    const post = (method: string) => new Promise<unknown>((resolve, reject) => session.post(method, (err, result) => (err ? reject(err) : resolve(result))));
    await post("Profiler.enable");
    await post("Profiler.start");
    return async (file) => {
        const { profile } = (await post("Profiler.stop")) as { profile: object };
        session.disconnect();
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, JSON.stringify(profile));
    };
}

/** An operation's timing over another's (same cluster, same run), against its goal. */
export interface Ratio {
    readonly name: string;
    readonly ratio: number;
    readonly goal: number;
    readonly met: boolean;
}

/** What a ratio divides: `subject` / `operation` of two timings. */
export interface RatioSpec {
    readonly name: string;
    readonly of: readonly [subject: string, operation: string];
    readonly over: readonly [subject: string, operation: string];
    readonly goal: number;
}

export class Timings {
    readonly entries: Timing[] = [];
    readonly criticalPaths: { subject: string; operation: string; path: CriticalPath }[] = [];

    record(subject: string, operation: string, ms: number, cpu?: Timing["cpu"]): void {
        this.entries.push({ subject, operation, ms, ...(cpu ? { cpu } : {}) });
    }

    /** The operation's critical path; its step events and graph go to `traces` (JSON) too, to look at them again. */
    recordCriticalPath(subject: string, operation: string, steps: readonly StepEvent[], graph: readonly GraphResource[], traces?: string): void {
        this.criticalPaths.push({ subject, operation, path: criticalPath(steps, graph) });
        if (!traces) return;
        fs.mkdirSync(traces, { recursive: true });
        const file = path.join(traces, fileNameOf(`${subject} ${operation}.json`));
        fs.writeFileSync(file, JSON.stringify({ subject, operation, steps, graph }) + "\n");
    }

    /**
     * Runs `op` and records how long it took (also when it fails), and the CPU time spent meanwhile. With
     * `PULSE_IT_CPU_PROFILE=<dir>`, this process's CPU profile of the operation goes to `<dir>/<subject> <operation>.cpuprofile`
     * (Chrome DevTools, or any V8 profile reader): where the program's side of an operation goes.
     */
    async time<T>(subject: string, operation: string, op: () => Promise<T>): Promise<T> {
        const profile = process.env.PULSE_IT_CPU_PROFILE ? await startProfile() : undefined;
        const start = process.hrtime.bigint();
        const own = process.cpuUsage();
        const children = childrenCpuMs();
        try {
            return await op();
        } finally {
            if (profile) await profile(path.join(process.env.PULSE_IT_CPU_PROFILE!, fileNameOf(`${subject} ${operation}.cpuprofile`)));
            const ms = Number((process.hrtime.bigint() - start) / 1_000_000n);
            const used = process.cpuUsage(own);
            const childrenNow = childrenCpuMs();
            const cli = children === undefined || childrenNow === undefined ? undefined : childrenNow - children;
            this.record(subject, operation, ms, cli === undefined ? undefined : { program: Math.round((used.user + used.system) / 1000), cli });
        }
    }

    /** The ratios of the specs whose two timings were both recorded. */
    ratios(specs: readonly RatioSpec[]): Ratio[] {
        const find = ([subject, operation]: readonly [string, string]) => this.entries.find((e) => e.subject === subject && e.operation === operation);
        return specs.flatMap((s) => {
            const a = find(s.of);
            const b = find(s.over);
            if (!a || !b || b.ms === 0) return [];
            const ratio = Math.round((a.ms / b.ms) * 100) / 100;
            return [{ name: s.name, ratio, goal: s.goal, met: ratio <= s.goal }];
        });
    }

    write(file: string, ratios: readonly Ratio[] = []): string {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        const machine = {
            cpus: os.cpus().length,
            model: os.cpus()[0]?.model ?? "",
            memoryGiB: Math.round(os.totalmem() / 2 ** 30),
            node: process.version,
            loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
        };
        const doc = { when: new Date().toISOString(), machine, timings: this.entries, ratios, criticalPaths: this.criticalPaths };
        fs.writeFileSync(file, JSON.stringify(doc, null, 2) + "\n");
        return file;
    }

    table(ratios: readonly Ratio[] = []): string {
        const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
        const rows = this.entries.map((e) => [
            e.subject,
            e.operation,
            seconds(e.ms),
            e.cpu ? `CPU: ${seconds(e.cpu.program)} this process, ${seconds(e.cpu.cli)} CLI and plugins` : "",
        ]);
        const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length), 4));
        return [
            ...rows.map((r) => ("    " + r.map((c, i) => (i === 2 ? c.padStart(widths[i]) : i === 3 ? c : c.padEnd(widths[i]))).join("  ")).trimEnd()),
            ...ratios.map((r) => `    ${r.name}: ${r.ratio.toFixed(2)}× (goal ≤ ${r.goal}×: ${r.met ? "met" : "not met"})`),
            ...this.criticalPaths.flatMap((c) => [`    critical path of ${c.subject} ${c.operation}:`, formatCriticalPath(c.path, "      ")]),
        ].join("\n");
    }
}
