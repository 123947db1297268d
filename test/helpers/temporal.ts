import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { loadConfig, loadDigipoortConfig, type AppConfig } from '../../config';
import { parseKeyring } from '../../lib/sealing';
import { WusClientPool } from '../../integrations/wus/client-pool';
import type { ActivityDeps } from '../../activities';
import { createPool, type Pool } from '../../db/pool';
import { connectClient } from '../../temporal/connection';
import { connectWorker, createWorker } from '../../worker/worker';

/** The configuration of this test run (from global setup), on a task queue of the test file's own. */
export function testConfig(taskQueue = uniqueTaskQueue('test')): AppConfig {
  const config = loadConfig(process.env);
  return { ...config, temporal: { ...config.temporal, taskQueue } };
}

export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export interface TestWorker {
  worker: Worker;
  connection: NativeConnection;
  stop(): Promise<void>;
}

/** A real worker (real activities, real PostgreSQL) on the run's pre-built workflow bundle. */
export async function startTestWorker(config: AppConfig, deps: ActivityDeps): Promise<TestWorker> {
  const connection = await connectWorker(config.temporal);
  const worker = await createWorker({
    connection,
    temporal: config.temporal,
    payloadEncryptionKeys: config.payloadEncryptionKeys,
    deps,
    workflowBundle: { codePath: config.workflowBundlePath as string },
  });
  const running = worker.run();
  let stopped: Promise<void> | undefined;
  return {
    worker,
    connection,
    // Idempotent: a test that stops the context's worker itself leaves the context's close to call it again.
    stop() {
      stopped ??= (async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
        await connection.close();
      })();
      return stopped;
    },
  };
}

export interface TestContext {
  config: AppConfig;
  pool: Pool;
  client: Client;
  worker: TestWorker;
  wus: WusClientPool;
  close(): Promise<void>;
}

/** Pool, client and a running worker (real activities, the simulator as Digipoort) for one test file. */
export async function startTestContext(prefix: string, options: { worker?: boolean; deps?: Partial<ActivityDeps> } = {}): Promise<TestContext> {
  const config = testConfig(uniqueTaskQueue(prefix));
  const pool = createPool(config.databaseUrl, 5);
  const client = await connectClient(config.temporal, config.payloadEncryptionKeys);
  const wus = new WusClientPool({
    pool,
    keyring: parseKeyring(config.certificateMasterKeys, 'CERTIFICATE_MASTER_KEYS'),
    digipoort: loadDigipoortConfig(process.env),
  });
  const worker =
    options.worker === false
      ? undefined
      : await startTestWorker(config, { pool, wus, temporal: client, taskQueue: config.temporal.taskQueue, ...options.deps });
  return {
    config,
    pool,
    client,
    worker: worker as TestWorker,
    wus,
    async close() {
      await worker?.stop();
      wus.close();
      await client.connection.close();
      await pool.end();
    },
  };
}
