import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import path from 'node:path';
import { stopProcess } from '../../scripts/lib/temporal-dev-server';
import { ROOT } from './paths';

export interface SimulatorProcess {
  url: string;
  adminUrl: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Runs the Digipoort simulator as its own process (a separate network peer), as `npm start` does. */
export async function startSimulatorProcess(options: {
  port: number;
  adminPort: number;
  pkiDir: string;
  databaseUrl: string;
  logFile: string;
  statusStepMs: number;
  registrationsFile?: string;
}): Promise<SimulatorProcess> {
  const log = openSync(options.logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'simulator', 'main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      SIMULATOR_PORT: String(options.port),
      SIMULATOR_ADMIN_PORT: String(options.adminPort),
      SIMULATOR_PKI_DIR: options.pkiDir,
      SIMULATOR_DATABASE_URL: options.databaseUrl,
      SIMULATOR_STATUS_STEP_MS: String(options.statusStepMs),
      SIMULATOR_REGISTRATIONS_FILE: options.registrationsFile ?? '',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', log, log],
  });
  const adminUrl = `http://127.0.0.1:${options.adminPort}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the simulator exited during start-up; see ${options.logFile}`);
    try {
      if ((await fetch(`${adminUrl}/admin/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the simulator did not start within 60 s; see ${options.logFile}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url: `https://127.0.0.1:${options.port}`,
    adminUrl,
    process: child,
    stop: () => stopProcess(child, 5000),
  };
}
