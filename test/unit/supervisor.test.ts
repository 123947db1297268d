import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PidFile } from '../../scripts/lib/children';
import { Supervisor } from '../../scripts/lib/supervisor';

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

describe('npm start supervisor', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'supervisor-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a child that dies is started again; stopping while that restart is under way stops what the restart started', async () => {
    const started: ChildProcess[] = [];
    const lines: string[] = [];
    const supervisor = new Supervisor((line) => lines.push(line), new PidFile(path.join(dir, 'children.json')));
    await supervisor.add({
      name: 'sleeper',
      marker: 'sleep',
      stopGraceMs: 2000,
      start: async () => {
        // The first start is at once; a restart takes a while (as the dev server's does), so stop() can meet it.
        if (started.length > 0) await delay(1500);
        const child = spawn('sleep', ['60'], { stdio: 'ignore' });
        started.push(child);
        return child;
      },
    });
    started[0].kill('SIGKILL');
    // The restart begins after the first pause (1 s) and is still starting when stop() comes.
    await delay(1300);
    expect(started).toHaveLength(1);
    await supervisor.stop();
    expect(started).toHaveLength(2);
    expect(started.every(exited)).toBe(true);
    expect(lines.some((l) => l.includes('sleeper') && l.includes('exited unexpectedly'))).toBe(true);
  }, 15_000);
});
