import { Runtime, DefaultLogger, type LogLevel } from '@temporalio/worker';
import { loadConfig, loadDigipoortConfig, readEnv } from '../config';
import { createSmtpMailer } from '../integrations/email/mailer';
import { parseKeyring } from '../lib/sealing';
import { WusClientPool } from '../integrations/wus/client-pool';
import { connectClient } from '../temporal/connection';
import { createPool } from '../db/pool';
import { createLogger } from '../lib/logger';
import { runUntilSignalled } from '../lib/process';
import { connectWorker, createWorker } from './worker';

async function main(): Promise<void> {
  const config = loadConfig();
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
    digipoort: loadDigipoortConfig(),
  });
  const client = await connectClient(config.temporal, config.payloadEncryptionKeys);
  const smtpUrl = readEnv('SMTP_URL');
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
      mailer: smtpUrl ? createSmtpMailer(smtpUrl, readEnv('SMTP_FROM')!) : undefined,
      publicUrl: config.publicUrl,
    },
    workflowBundle: config.workflowBundlePath ? { codePath: config.workflowBundlePath } : undefined,
  });
  const running = worker.run().finally(async () => {
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
  logger.info({ taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace }, 'worker running');
  await running;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
