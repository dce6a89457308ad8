/** Linux /proc, read by the suite's observers: what the kernel counts of a process. */
import * as fs from "fs";

/**
 * The fields of `/proc/<pid>/stat` after the command (proc(5) fields 3 on: state, ppid, ... utime, stime, cutime,
 * cstime at 11-14); the command is in parentheses and may hold spaces and parentheses, so it is cut at the last ")".
 * Throws when the process is gone (or there is no /proc).
 */
export function procStat(pid: number | "self"): string[] {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}
