import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isAlive } from '../../lib/process';

export interface ManagedChild {
  name: string;
  process: ChildProcess;
}

/** Runs a TypeScript entry point of this project as its own process, its output prefixed with its name. */
export function spawnTs(name: string, entry: string, env: NodeJS.ProcessEnv, cwd: string): ManagedChild {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const prefix = `[${name}] `;
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) process.stdout.write(prefix + line + '\n');
    });
  }
  return { name, process: child };
}

interface PidRecord {
  name: string;
  pid: number;
  marker: string;
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/**
 * Remembers the children of this start, so the next start can stop what a crashed one left behind (the Temporal
 * dev server does not watch its parent). A pid is only killed when its command line still matches.
 */
export class PidFile {
  constructor(private readonly file: string) {}

  write(children: { name: string; pid: number | undefined; marker: string }[]): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const records = children.filter((c): c is PidRecord => typeof c.pid === 'number');
    writeFileSync(this.file, JSON.stringify(records, null, 2));
  }

  clear(): void {
    this.write([]);
  }

  async stopLeftovers(log: (msg: string) => void): Promise<void> {
    let records: PidRecord[] = [];
    try {
      records = JSON.parse(readFileSync(this.file, 'utf8')) as PidRecord[];
    } catch {
      return;
    }
    for (const record of records) {
      if (!isAlive(record.pid) || !commandLine(record.pid).includes(record.marker)) continue;
      log(`stopping ${record.name} (pid ${record.pid}) left over from an earlier start`);
      process.kill(record.pid, 'SIGTERM');
      const deadline = Date.now() + 10_000;
      while (isAlive(record.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      if (isAlive(record.pid)) process.kill(record.pid, 'SIGKILL');
    }
    this.clear();
  }
}

/**
 * One `npm start` per DATA_DIR: a second one would stop the first one's children while the first starts them again.
 * Records this supervisor's pid; refuses when the recorded one is still running.
 */
export function claimSupervisor(file: string): { release(): void } {
  try {
    const recorded = JSON.parse(readFileSync(file, 'utf8')) as { pid?: number };
    if (recorded.pid && recorded.pid !== process.pid && isAlive(recorded.pid) && commandLine(recorded.pid).includes('scripts/start.ts')) {
      throw new Error(`npm start is already running for this DATA_DIR (pid ${recorded.pid}); stop it first (Ctrl-C), or use another DATA_DIR`);
    }
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('npm start is already running')) throw err;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ pid: process.pid }));
  return { release: () => writeFileSync(file, JSON.stringify({})) };
}

