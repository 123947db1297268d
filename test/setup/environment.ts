import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { dropDatabase, ensureDatabase, migrate } from '../../db/migrate';
import { bundleWorkflows } from '../../worker/bundle';
import { resolveTemporalCli, startDevServer, type DevServer } from '../../scripts/lib/temporal-dev-server';
import { TEST_PAYLOAD_ENCRYPTION_KEYS } from './constants';

export const ROOT = path.resolve(__dirname, '..', '..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface TestEnvironment {
  runDir: string;
  temporalAddress: string;
  databaseUrl: string;
  workflowBundlePath: string;
  /** Environment variables the tests (and processes they spawn) read. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * A real Temporal dev server (in memory, headless), a fresh PostgreSQL database with all migrations, and the workflow
 * bundle built once: the environment of one test run (and of the history recorder).
 */
export async function startTestEnvironment(log: (msg: string) => void = () => undefined): Promise<TestEnvironment> {
  const runId = `${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}_${process.pid}`;
  const runDir = path.join(ROOT, '.tmp', `test-run-${runId}`);
  mkdirSync(runDir, { recursive: true });

  const cli = resolveTemporalCli(process.env.TEMPORAL_CLI_PATH, log);
  const base = new URL(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/filinghub');
  base.pathname = `/filinghub_test_${runId}`;
  const databaseUrl = base.toString();

  const [devServer, bundle] = await Promise.all([
    freePort().then((port) =>
      startDevServer({ cli, port, namespace: 'default', logFile: path.join(runDir, 'temporal.log'), fast: true }),
    ),
    bundleWorkflows(),
    ensureDatabase(databaseUrl).then(() => migrate(databaseUrl)),
  ]).then(([server, code]) => [server, code] as [DevServer, Awaited<ReturnType<typeof bundleWorkflows>>]);

  const workflowBundlePath = path.join(runDir, 'workflow-bundle.js');
  writeFileSync(workflowBundlePath, bundle.code);

  const env = {
    TEST_RUN_DIR: runDir,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: devServer.address,
    TEMPORAL_NAMESPACE: 'default',
    WORKFLOW_BUNDLE_PATH: workflowBundlePath,
    PAYLOAD_ENCRYPTION_KEYS: TEST_PAYLOAD_ENCRYPTION_KEYS,
    TEMPORAL_CLI_PATH: cli,
  };
  return {
    runDir,
    temporalAddress: devServer.address,
    databaseUrl,
    workflowBundlePath,
    env,
    async stop() {
      await devServer.stop();
      if (!process.env.KEEP_TEST_DB) await dropDatabase(databaseUrl).catch(() => undefined);
    },
  };
}
