import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { ensureDatabase, migrate } from '../db/migrate';
import { createPool } from '../db/pool';
import { createLogger, type Logger } from '../lib/logger';
import { runUntilSignalled } from '../lib/process';
import { pemBlocks } from '../integrations/pki/pem';
import { loadSimulatorConfig, type Registration, type SimulatorConfig } from './config';
import { DigipoortSimulator } from './server';
import { SimulatorStore } from './store';

export const SIMULATOR_MIGRATIONS_DIR = path.join(__dirname, 'migrations');

export async function startSimulator(config: SimulatorConfig, logger: Logger): Promise<{ simulator: DigipoortSimulator; stop(): Promise<void> }> {
  const pki = (name: string) => readFileSync(path.join(config.pkiDir, name), 'utf8');
  await ensureDatabase(config.databaseUrl);
  await migrate(config.databaseUrl, undefined, { dir: SIMULATOR_MIGRATIONS_DIR, migrationsTable: 'sim_schema_migrations' });
  const pool = createPool(config.databaseUrl, 10);
  const store = new SimulatorStore(pool);
  if (config.registrationsFile) {
    const registrations = JSON.parse(readFileSync(config.registrationsFile, 'utf8')) as Registration[];
    for (const registration of registrations) await store.addRegistration(registration);
    logger.info({ count: registrations.length }, 'registrations loaded');
  }
  const simulator = new DigipoortSimulator({
    host: config.host,
    port: config.port,
    adminPort: config.adminPort,
    publicUrls: config.publicUrls,
    tls: {
      cert: pki('simulator-server.pem'),
      key: pki('simulator-server.key.pem'),
      ca: [pki('root-ca.pem')],
      crl: pemBlocks(pki('crls.pem')),
    },
    signer: {
      privateKey: createPrivateKey(pki('digipoort-service.key.pem')),
      certificateDer: new X509Certificate(pki('digipoort-service.pem')).raw,
    },
    store,
    statusStepMs: config.statusStepMs,
    clockSkewSeconds: config.clockSkewSeconds,
    faults: config.faults,
    logger,
  });
  await simulator.start();
  return {
    simulator,
    async stop() {
      await simulator.stop();
      await pool.end();
    },
  };
}

async function main(): Promise<void> {
  const config = loadSimulatorConfig();
  const logger = createLogger('simulator', config.logLevel);
  const { simulator, stop } = await startSimulator(config, logger);
  runUntilSignalled(logger, stop);
  logger.info(
    { url: `https://${config.host}:${simulator.port}`, admin: `http://127.0.0.1:${simulator.adminPort}/admin` },
    'Digipoort simulator listening',
  );
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
