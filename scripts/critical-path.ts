/**
 * `npx tsx scripts/critical-path.ts out/integration-traces/<trace>.json`: prints the critical path of an operation the
 * integration suite traced (its step events and the state's dependency graph, tools/criticalPath.ts), e.g. to look at
 * a run again or to try another rule over the same events.
 */
import * as fs from "fs";
import { criticalPath, formatCriticalPath, GraphResource, StepEvent } from "../tools/criticalPath";

const files = process.argv.slice(2);
if (files.length === 0) {
    process.stderr.write("usage: tsx scripts/critical-path.ts <trace.json>...\n");
    process.exit(2);
}
for (const file of files) {
    const trace = JSON.parse(fs.readFileSync(file, "utf8")) as { subject: string; operation: string; steps: StepEvent[]; graph: GraphResource[] };
    process.stdout.write(`${trace.subject} ${trace.operation}:\n${formatCriticalPath(criticalPath(trace.steps, trace.graph))}\n`);
}
