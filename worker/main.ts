import { Runtime, DefaultLogger, type LogLevel } from '@temporalio/worker';
import { loadConfig, loadDigipoortConfig, loadStatusFollowUp, loadWorkerTuning, readEnv } from '../config';
import { withLocalDefaults } from '../config/local';
import { announcePresence } from '../db/repositories/worker-presence';
import { createSmtpMailer } from '../integrations/email/mailer';
import { parseKeyring } from '../lib/sealing';
import { WusClientPool } from '../integrations/wus/client-pool';
import { connectClient } from '../temporal/connection';
import { createPool } from '../db/pool';
import { createLogger } from '../lib/logger';
import { runUntilSignalled } from '../lib/process';
import { connectWorker, createWorker } from './worker';

async function main(): Promise<void> {
  // Started alone (`npm run worker`) on a machine where `npm start` runs, it uses the same local configuration.
  const env = withLocalDefaults(process.env);
  const config = loadConfig(env);
  const tuning = loadWorkerTuning(env);
  const logger = createLogger('worker', config.logLevel);
  const temporalLevel = (['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const).find((l) => l === config.logLevel.toUpperCase()) ?? 'INFO';
  Runtime.install({
    logger: new DefaultLogger(temporalLevel as LogLevel, (entry) => {
      const level = entry.level.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error';
      logger[level]({ ...entry.meta, source: 'temporal' }, entry.message);
    }),
  });

  const pool = createPool(config.databaseUrl);
  const wus = new WusClientPool({
    pool,
    keyring: parseKeyring(config.certificateMasterKeys, 'CERTIFICATE_MASTER_KEYS'),
    digipoort: loadDigipoortConfig(env),
  });
  const client = await connectClient(config.temporal, config.payloadEncryptionKeys);
  const smtpUrl = readEnv('SMTP_URL', env);
  const connection = await connectWorker(config.temporal);
  const worker = await createWorker({
    connection,
    temporal: config.temporal,
    payloadEncryptionKeys: config.payloadEncryptionKeys,
    deps: {
      pool,
      wus,
      temporal: client,
      taskQueue: config.temporal.taskQueue,
      mailer: smtpUrl ? createSmtpMailer(smtpUrl, readEnv('SMTP_FROM', env)!) : undefined,
      publicUrl: config.publicUrl,
      statusFollowUp: loadStatusFollowUp(env),
    },
    workflowBundle: config.workflowBundlePath ? { codePath: config.workflowBundlePath } : undefined,
    tuning,
  });
  // /health knows a worker is alive from this (every 2 s from when it runs, removed when it stops).
  const presence = announcePresence(pool, config.temporal.taskQueue);
  const running = worker.run().finally(async () => {
    await presence.stop();
    wus.close();
    await connection.close();
    await client.connection.close();
    await pool.end();
  });
  runUntilSignalled(logger, async () => {
    worker.shutdown();
    await running;
    logger.info('worker stopped');
  });
  logger.info({ taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace, ...tuning }, 'worker running');
  await running;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
