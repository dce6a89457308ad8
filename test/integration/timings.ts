/** Wall-clock timings of the suite's operations, written as JSON and printed as a table. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface Timing {
    readonly subject: string;
    readonly operation: string;
    readonly ms: number;
}

export class Timings {
    readonly entries: Timing[] = [];

    record(subject: string, operation: string, ms: number): void {
        this.entries.push({ subject, operation, ms });
    }

    /** Runs `op` and records how long it took (also when it fails). */
    async time<T>(subject: string, operation: string, op: () => Promise<T>): Promise<T> {
        const start = process.hrtime.bigint();
        try {
            return await op();
        } finally {
            this.record(subject, operation, Number((process.hrtime.bigint() - start) / 1_000_000n));
        }
    }

    write(file: string): string {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        const machine = { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? "", memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version };
        fs.writeFileSync(file, JSON.stringify({ when: new Date().toISOString(), machine, timings: this.entries }, null, 2) + "\n");
        return file;
    }

    table(): string {
        const rows = this.entries.map((e) => [e.subject, e.operation, `${(e.ms / 1000).toFixed(1)} s`]);
        const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length), 4));
        return rows.map((r) => "    " + r.map((c, i) => (i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ")).join("\n");
    }
}
