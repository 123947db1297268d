import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { dropDatabase, ensureDatabase, migrate } from '../../db/migrate';
import { bundleWorkflows } from '../../worker/bundle';
import { resolveTemporalCli, startDevServer, type DevServer } from '../../scripts/lib/temporal-dev-server';
import { generateTestPki } from '../../simulator/pki/generate';
import { TEST_CERTIFICATE_MASTER_KEYS, TEST_PAYLOAD_ENCRYPTION_KEYS, TEST_SEARCH_ATTRIBUTE_KEY } from './constants';
import { ROOT } from './paths';
import { startSimulatorProcess } from './simulator-process';
import { freePort } from '../../scripts/lib/ports';

export { ROOT };

export { freePort };

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

  const simulatorDatabaseUrl = `${databaseUrl}_sim`;
  const pkiDir = path.join(runDir, 'pki');
  // The test PKI first: the simulator needs it. The holding's certificate may file anything for anyone; tests
  // register other senders at the simulator's admin endpoint when they need them.
  const manifest = await generateTestPki({ outDir: pkiDir });
  const holding = manifest.organisations.find((o) => o.slug === 'holding')!;
  const registrationsFile = path.join(runDir, 'simulator-registrations.json');
  writeFileSync(registrationsFile, JSON.stringify([{ senderIdentity: holding.hrn, berichtsoort: '*', belanghebbende: '*' }]));

  const [devServer, bundle, simulator] = await Promise.all([
    freePort().then((port) =>
      startDevServer({ cli, port, namespace: 'default', logFile: path.join(runDir, 'temporal.log'), fast: true }),
    ),
    bundleWorkflows(),
    Promise.all([freePort(), freePort()]).then(([port, adminPort]) =>
      startSimulatorProcess({
        port,
        adminPort,
        pkiDir,
        databaseUrl: simulatorDatabaseUrl,
        logFile: path.join(runDir, 'simulator.log'),
        statusStepMs: 50,
        registrationsFile,
      }),
    ),
    ensureDatabase(databaseUrl).then(() => migrate(databaseUrl)),
  ]).then(
    ([server, code, sim]) =>
      [server, code, sim] as [DevServer, Awaited<ReturnType<typeof bundleWorkflows>>, Awaited<ReturnType<typeof startSimulatorProcess>>],
  );

  const workflowBundlePath = path.join(runDir, 'workflow-bundle.js');
  writeFileSync(workflowBundlePath, bundle.code);

  const env = {
    TEST_RUN_DIR: runDir,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: devServer.address,
    TEMPORAL_NAMESPACE: 'default',
    WORKFLOW_BUNDLE_PATH: workflowBundlePath,
    PAYLOAD_ENCRYPTION_KEYS: TEST_PAYLOAD_ENCRYPTION_KEYS,
    CERTIFICATE_MASTER_KEYS: TEST_CERTIFICATE_MASTER_KEYS,
    SEARCH_ATTRIBUTE_KEY: TEST_SEARCH_ATTRIBUTE_KEY,
    DIGIPOORT_TIMEOUT_MS: '5000',
    TEMPORAL_CLI_PATH: cli,
    TEST_PKI_DIR: pkiDir,
    SIMULATOR_URL: simulator.url,
    SIMULATOR_ADMIN_URL: simulator.adminUrl,
    SIMULATOR_DATABASE_URL: simulatorDatabaseUrl,
    DIGIPOORT_ENDPOINT_BASE: simulator.url,
    DIGIPOORT_CA_FILE: path.join(pkiDir, 'root-ca.pem'),
    PKIOVERHEID_ROOTS_FILE: path.join(pkiDir, 'root-ca.pem'),
    DIGIPOORT_CRL_FILE: path.join(pkiDir, 'crls.pem'),
    DIGIPOORT_SERVICE_CERT_FILE: path.join(pkiDir, 'digipoort-service.pem'),
  };
  return {
    runDir,
    temporalAddress: devServer.address,
    databaseUrl,
    workflowBundlePath,
    env,
    async stop() {
      await Promise.all([devServer.stop(), simulator.stop()]);
      if (!process.env.KEEP_TEST_RUN) {
        await dropDatabase(databaseUrl).catch(() => undefined);
        await dropDatabase(simulatorDatabaseUrl).catch(() => undefined);
        rmSync(runDir, { recursive: true, force: true });
      }
    },
  };
}
