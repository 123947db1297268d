import { readFileSync } from 'node:fs';
import { loadConfig, loadRateLimits, readEnv, requireEnv } from '../config';
import { withLocalDefaults } from '../config/local';
import { createPool } from '../db/pool';
import { TrustRoots } from '../integrations/pki/trust';
import { createLogger } from '../lib/logger';
import { runUntilSignalled } from '../lib/process';
import { connectClient } from '../temporal/connection';
import { buildApp } from './app';
import { listHubs } from '../db/repositories/hubs';
import { ensureCertificateExpirySchedule, ensureSendReceiveWorkflow } from './services/schedules';

async function main(): Promise<void> {
  // Started alone (`npm run api`) on a machine where `npm start` runs, it uses the same local configuration.
  const env = withLocalDefaults(process.env);
  const config = loadConfig(env);
  const logger = createLogger('api', config.logLevel);
  const pool = createPool(config.databaseUrl);
  const temporal = await connectClient(config.temporal, config.payloadEncryptionKeys);
  const app = await buildApp({
    pool,
    temporal,
    taskQueue: config.temporal.taskQueue,
    payloadEncryptionKeys: config.payloadEncryptionKeys,
    certificateMasterKeys: config.certificateMasterKeys,
    searchAttributeKey: requireEnv('SEARCH_ATTRIBUTE_KEY', env),
    temporalUiUrl: config.temporalUiUrl,
    codecAuthRequired: config.codecAuthRequired,
    publicUrl: config.publicUrl,
    digipoortEndpoint: readEnv('DIGIPOORT_ENDPOINT_BASE', env),
    temporalUiUpstream: readEnv('TEMPORAL_UI_UPSTREAM', env),
    pkiOverheidRoots: TrustRoots.fromPem(readFileSync(requireEnv('PKIOVERHEID_ROOTS_FILE', env), 'utf8')),
    rateLimits: loadRateLimits(env),
    logger,
  });
  runUntilSignalled(logger, async () => {
    await app.close();
    await temporal.connection.close();
    await pool.end();
  });
  // Every hub's send/receive schedule exists and matches the hub (a new deployment, a restored database).
  for (const hub of await listHubs(pool)) {
    await ensureSendReceiveWorkflow(temporal, config.temporal.taskQueue, hub);
    // C7: every hub's certificate expiry watch.
    await ensureCertificateExpirySchedule(temporal, config.temporal.taskQueue, hub);
  }
  await app.listen({ host: config.host, port: config.port });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
