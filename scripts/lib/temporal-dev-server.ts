import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

/** The Temporal CLI release whose dev server (with Web UI) the project runs; newer tags do not `go install`. */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

const CLI_TYPE_NAMES: Record<string, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** `--search-attribute Name=Type` arguments for every attribute the workflows use. */
export function searchAttributeArgs(): string[] {
  return ALL_SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=${CLI_TYPE_NAMES[key.type]}`]);
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function goBinDir(go: string): string | undefined {
  const gobin = spawnSync(go, ['env', 'GOBIN'], { encoding: 'utf8' }).stdout?.trim();
  if (gobin) return gobin;
  const gopath = spawnSync(go, ['env', 'GOPATH'], { encoding: 'utf8' }).stdout?.trim();
  return gopath ? path.join(gopath.split(path.delimiter)[0], 'bin') : undefined;
}

export const INSTALL_HINT =
  'Install the Temporal CLI with Go (https://go.dev/dl/): `go install ' +
  TEMPORAL_CLI_MODULE +
  '`, then put $(go env GOPATH)/bin on PATH or set TEMPORAL_CLI_PATH; or set TEMPORAL_ADDRESS to use an existing ' +
  'Temporal server.';

/**
 * Finds the `temporal` CLI: TEMPORAL_CLI_PATH, then PATH, then Go's bin directory; installs it with `go install` when
 * none is found (the first run takes a few minutes). Throws with install instructions when that is impossible.
 */
export function resolveTemporalCli(explicitPath: string | undefined, log: (msg: string) => void): string {
  if (explicitPath) {
    if (!isExecutable(explicitPath)) throw new Error(`TEMPORAL_CLI_PATH=${explicitPath} is not an executable file. ${INSTALL_HINT}`);
    return explicitPath;
  }
  const found = onPath('temporal');
  if (found) return found;
  const go = onPath('go') ?? (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  const binDir = go ? goBinDir(go) : undefined;
  if (binDir && isExecutable(path.join(binDir, 'temporal'))) return path.join(binDir, 'temporal');
  if (!go || !binDir) throw new Error(`The Temporal CLI was not found and Go is not installed. ${INSTALL_HINT}`);
  log(`Temporal CLI not found: installing ${TEMPORAL_CLI_MODULE} with go (first run only, takes a few minutes)...`);
  const result = spawnSync(go, ['install', TEMPORAL_CLI_MODULE], { stdio: 'inherit' });
  const installed = path.join(binDir, 'temporal');
  if (result.status !== 0 || !isExecutable(installed)) {
    throw new Error(`Installing the Temporal CLI failed (go install exit ${result.status}). ${INSTALL_HINT}`);
  }
  log(`Temporal CLI installed at ${installed}`);
  return installed;
}

export interface DevServerOptions {
  cli: string;
  port: number;
  /** Web UI port; omit for a headless server (tests). */
  uiPort?: number;
  /** SQLite file for persistent state; omit for in-memory (tests). */
  dbFile?: string;
  namespace: string;
  /** Codec endpoint the Web UI calls to decode payloads (a path: the UI's own origin). */
  uiCodecEndpoint?: string;
  /** Path under which the Web UI serves itself (the API proxies it there). */
  uiPublicPath?: string;
  /** File that receives the server's own log. */
  logFile: string;
  /** Faster, non-durable SQLite settings for throwaway test servers. */
  fast?: boolean;
}

export interface DevServer {
  address: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Waits until a Temporal frontend answers on `address`. */
export async function waitForTemporal(address: string, timeoutMs: number, isDead?: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const dead = isDead?.();
    if (dead) throw new Error(dead);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error(`Temporal at ${address} did not answer within ${timeoutMs} ms: ${String(lastError)}`);
}

/**
 * SQLite settings of the dev server. A throwaway test server (`fast`): WAL without any sync, nothing needs to survive.
 * A server with a state file (`npm start`): WAL with `synchronous=NORMAL`. A commit is then written into the WAL
 * before it returns, so a crashed or killed dev server (or worker, or supervisor) loses nothing committed; only an
 * operating-system crash or power loss may roll back the last commits, never corrupt the file. It syncs at
 * checkpoints instead of at every commit (SQLite's default `journal_mode=DELETE` with `synchronous=FULL` syncs the
 * journal and the file at every commit, the dev server's ceiling on a busy day). `synchronous=FULL` would also survive
 * a power loss, at about the cost of the default: not worth it for a local development server.
 */
export function sqlitePragmas(options: Pick<DevServerOptions, 'dbFile' | 'fast'>): string[] {
  if (options.fast) return ['journal_mode=WAL', 'synchronous=OFF'];
  if (options.dbFile) return ['journal_mode=WAL', 'synchronous=NORMAL'];
  return [];
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  if (options.dbFile) mkdirSync(path.dirname(options.dbFile), { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--namespace',
    options.namespace,
    '--log-level',
    'warn',
    '--dynamic-config-value',
    'frontend.enableUpdateWorkflowExecution=true',
    '--dynamic-config-value',
    'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
    ...searchAttributeArgs(),
  ];
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  for (const pragma of sqlitePragmas(options)) args.push('--sqlite-pragma', pragma);
  if (options.uiPort !== undefined) {
    args.push('--ui-port', String(options.uiPort), '--ui-ip', '127.0.0.1');
    if (options.uiCodecEndpoint) args.push('--ui-codec-endpoint', options.uiCodecEndpoint);
    if (options.uiPublicPath) args.push('--ui-public-path', options.uiPublicPath);
  } else {
    args.push('--headless');
  }
  const log = openSync(options.logFile, 'a');
  const child = spawn(options.cli, args, { stdio: ['ignore', log, log], detached: true });
  let exit: string | undefined;
  child.on('exit', (code, signal) => {
    exit = `The Temporal dev server exited (code ${code}, signal ${signal}); see ${options.logFile}`;
  });
  const address = `127.0.0.1:${options.port}`;
  try {
    await waitForTemporal(address, 60_000, () => exit);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    address,
    process: child,
    stop: () => stopProcess(child, 10_000),
  };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
export function stopProcess(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
