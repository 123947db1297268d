import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

/**
 * CPU time per part of the system, read from /proc (Linux): what the machine's cores were spent on during a round,
 * so the bench can say which part bounds the pipeline. A part is a process with all its descendants (npm start's
 * children run under tsx); PostgreSQL is every process named `postgres` (the server is not a child of npm start).
 */
const TICKS_PER_SECOND = 100;

interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  cpuSeconds: number;
}

function readStats(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // comm is in parentheses and may hold spaces: the fields after it are split from the last ')'.
      const close = text.lastIndexOf(')');
      const comm = text.slice(text.indexOf('(') + 1, close);
      const fields = text.slice(close + 2).split(' ');
      // After comm: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
      const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
      stats.push({ pid: Number(entry), ppid: Number(fields[1]), comm, cpuSeconds: ticks / TICKS_PER_SECOND });
    } catch {
      // The process ended while we read.
    }
  }
  return stats;
}

function treeSeconds(stats: ProcStat[], root: number | undefined): number | undefined {
  if (!root || !stats.some((s) => s.pid === root)) return undefined;
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  let total = 0;
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    total += stats.find((s) => s.pid === pid)?.cpuSeconds ?? 0;
    for (const child of children.get(pid) ?? []) stack.push(child.pid);
  }
  return total;
}

export type CpuParts = Record<string, number | undefined>;

/** CPU seconds so far of each named process tree, of PostgreSQL, and of this process (the bench's own driver). */
export function cpuNow(roots: Record<string, number | undefined>): CpuParts {
  const stats = readStats();
  const parts: CpuParts = Object.fromEntries(Object.entries(roots).map(([name, pid]) => [name, treeSeconds(stats, pid)]));
  parts.postgres = stats.filter((s) => s.comm === 'postgres').reduce((sum, s) => sum + s.cpuSeconds, 0);
  const own = process.cpuUsage();
  parts.bench = (own.user + own.system) / 1e6;
  return parts;
}

/** What each part used between two readings, and the wall time's worth of all cores for comparison. */
export function cpuBetween(before: CpuParts, after: CpuParts, wallMs: number): { parts: CpuParts; coreSeconds: number } {
  const parts: CpuParts = {};
  for (const name of Object.keys(after)) {
    const a = after[name];
    const b = before[name];
    parts[name] = a !== undefined && b !== undefined ? a - b : undefined;
  }
  return { parts, coreSeconds: (wallMs / 1000) * os.cpus().length };
}
