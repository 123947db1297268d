import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../setup/paths';

/** The real worker entry point (worker/main.ts) as its own process, so a test can SIGKILL it. */
export interface WorkerProcess {
  process: ChildProcess;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export async function startWorkerProcess(taskQueue: string, name: string): Promise<WorkerProcess> {
  const log = openSync(path.join(process.env.TEST_RUN_DIR as string, `worker-${name}.log`), 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'worker', 'main.ts')], {
    cwd: ROOT,
    env: { ...process.env, TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'info' },
    stdio: ['ignore', log, log],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    process: child,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
