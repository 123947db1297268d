/**
 * `npm start`: the whole system on this machine. Provisions Temporal (the CLI dev server, unless TEMPORAL_ADDRESS
 * points at a cluster), creates and migrates the database, starts the worker and the API as separate processes, and
 * prints where everything is. Ctrl-C stops every child; a start after a crash first stops what the crash left.
 */
import { createServer } from 'node:net';
import path from 'node:path';
import { envIsSet, readEnv } from '../config/env';
import { ensureDatabase, migrate } from '../db/migrate';
import { createPool } from '../db/pool';
import { createStaffToken } from '../api/plugins/auth';
import { Connection } from '@temporalio/client';
import { PidFile, spawnTs, type ManagedChild } from './lib/children';
import { loadLocalSecrets, saveLocalSecrets, staffTokenIsValid } from './lib/local-secrets';
import { ensureLocalPki } from './lib/local-pki';
import { DEMO, demoPortalLink, seedDemo } from './lib/demo-seed';
import {
  devServerDbFile,
  resolveTemporalCli,
  startDevServer,
  stopProcess,
  waitForTemporal,
  type DevServer,
} from './lib/temporal-dev-server';

const ROOT = path.resolve(__dirname, '..');

function log(msg: string): void {
  process.stdout.write(`[start] ${msg}\n`);
}

async function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean>, dead: () => string | undefined) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const reason = dead();
    if (reason) throw new Error(reason);
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what} did not become ready within ${Math.round(timeoutMs / 1000)} s`);
}

async function main(): Promise<void> {
  const dataDir = path.resolve(ROOT, readEnv('DATA_DIR') ?? './data');
  const port = Number(readEnv('PORT'));
  const publicUrl = (readEnv('PUBLIC_URL') ?? `http://localhost:${port}`).replace(/\/+$/, '');
  const namespace = readEnv('TEMPORAL_NAMESPACE') ?? 'default';
  const taskQueue = readEnv('TEMPORAL_TASK_QUEUE') ?? 'filing-hub';
  const databaseUrl = readEnv('DATABASE_URL') as string;
  const pidFile = new PidFile(path.join(dataDir, 'run', 'children.json'));
  await pidFile.stopLeftovers(log);

  const secrets = loadLocalSecrets(dataDir);
  const children: ManagedChild[] = [];
  let devServer: DevServer | undefined;
  let stopping = false;

  const recordPids = () =>
    pidFile.write([
      ...(devServer ? [{ name: 'temporal', pid: devServer.process.pid, marker: 'start-dev' }] : []),
      ...children.map((c) => ({ name: c.name, pid: c.process.pid, marker: 'main.ts' })),
    ]);

  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping...');
    // The API first (no new work), then the worker (finishes its tasks), Temporal last.
    for (const child of [...children].reverse()) await stopProcess(child.process, 15_000);
    if (devServer) await devServer.stop();
    pidFile.clear();
    log('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  const deathOf = (child: ManagedChild) => () =>
    child.process.exitCode !== null || child.process.signalCode !== null ? `${child.name} exited during start-up` : undefined;

  try {
    // 1. Temporal
    let temporalAddress = readEnv('TEMPORAL_ADDRESS');
    let uiUrl = readEnv('TEMPORAL_UI_URL') as string;
    if (temporalAddress) {
      log(`using the Temporal server at ${temporalAddress}`);
      if (!readEnv('TEMPORAL_API_KEY') && !readEnv('TEMPORAL_TLS_CERT_PATH')) await waitForTemporal(temporalAddress, 30_000);
    } else {
      const temporalPort = Number(readEnv('TEMPORAL_PORT'));
      const uiPort = Number(readEnv('TEMPORAL_UI_PORT'));
      for (const p of [temporalPort, uiPort, port]) {
        if (!(await portIsFree(p))) {
          throw new Error(`port ${p} is in use: stop what holds it, or set TEMPORAL_PORT / TEMPORAL_UI_PORT / PORT`);
        }
      }
      const cli = resolveTemporalCli(readEnv('TEMPORAL_CLI_PATH'), log);
      log(`starting the Temporal dev server (${cli})`);
      devServer = await startDevServer({
        cli,
        port: temporalPort,
        uiPort,
        dbFile: devServerDbFile(dataDir),
        namespace,
        uiCodecEndpoint: `${publicUrl}/codec`,
        logFile: path.join(dataDir, 'logs', 'temporal.log'),
      });
      recordPids();
      temporalAddress = devServer.address;
      uiUrl = `http://localhost:${uiPort}`;
    }

    // 2. PostgreSQL
    if (await ensureDatabase(databaseUrl)) log('database created');
    const applied = await migrate(databaseUrl);
    log(applied.length ? `migrations applied: ${applied.join(', ')}` : 'database schema is up to date');

    // 3. Digipoort: the simulator with a test PKI, unless DIGIPOORT_ENDPOINT_BASE points at a real Digipoort.
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_UI_URL: uiUrl,
      DATA_DIR: dataDir,
      PAYLOAD_ENCRYPTION_KEYS: readEnv('PAYLOAD_ENCRYPTION_KEYS') ?? secrets.payloadEncryptionKeys,
      CERTIFICATE_MASTER_KEYS: readEnv('CERTIFICATE_MASTER_KEYS') ?? secrets.certificateMasterKeys,
      CODEC_AUTH_REQUIRED: envIsSet('CODEC_AUTH_REQUIRED') ? readEnv('CODEC_AUTH_REQUIRED') : String(!devServer),
      SUPERVISOR_PID: String(process.pid),
    };
    let simulatorUrl: string | undefined;
    let pkiDir: string | undefined;
    if (!envIsSet('DIGIPOORT_ENDPOINT_BASE')) {
      const pki = await ensureLocalPki(dataDir, log);
      pkiDir = pki.dir;
      const simulatorPort = Number(readEnv('SIMULATOR_PORT'));
      const adminPort = Number(readEnv('SIMULATOR_ADMIN_PORT'));
      for (const p of [simulatorPort, adminPort]) {
        if (!(await portIsFree(p))) throw new Error(`port ${p} is in use: stop what holds it, or set SIMULATOR_PORT / SIMULATOR_ADMIN_PORT`);
      }
      simulatorUrl = `https://127.0.0.1:${simulatorPort}`;
      Object.assign(childEnv, {
        SIMULATOR_PKI_DIR: pki.dir,
        SIMULATOR_REGISTRATIONS_FILE: readEnv('SIMULATOR_REGISTRATIONS_FILE') ?? pki.registrationsFile,
        DIGIPOORT_ENDPOINT_BASE: simulatorUrl,
        DIGIPOORT_CA_FILE: readEnv('DIGIPOORT_CA_FILE') ?? path.join(pki.dir, 'root-ca.pem'),
        DIGIPOORT_CRL_FILE: readEnv('DIGIPOORT_CRL_FILE') ?? path.join(pki.dir, 'crls.pem'),
        DIGIPOORT_SERVICE_CERT_FILE: readEnv('DIGIPOORT_SERVICE_CERT_FILE') ?? path.join(pki.dir, 'digipoort-service.pem'),
      });
      const simulator = spawnTs('simulator', 'simulator/main.ts', childEnv, ROOT);
      children.push(simulator);
      recordPids();
      await waitFor('the Digipoort simulator', 60_000, async () => (await fetch(`http://127.0.0.1:${adminPort}/admin/health`)).ok, deathOf(simulator));
      log(`Digipoort simulator listening on ${simulatorUrl}`);
    }

    // 4. Worker and API, as separate processes
    const worker = spawnTs('worker', 'worker/main.ts', childEnv, ROOT);
    children.push(worker);
    recordPids();
    const connection = await Connection.connect({ address: temporalAddress });
    await waitFor('the worker', 180_000, async () => {
      const described = await connection.workflowService.describeTaskQueue({
        namespace,
        taskQueue: { name: taskQueue },
        taskQueueType: 1, // workflow pollers
      });
      return described.pollers.length > 0;
    }, deathOf(worker));
    await connection.close();
    log('worker is polling');

    const api = spawnTs('api', 'api/main.ts', childEnv, ROOT);
    children.push(api);
    recordPids();
    await waitFor('the API', 60_000, async () => (await fetch(`http://127.0.0.1:${port}/health`)).status === 200, deathOf(api));

    // 5. A staff token for the README's curl commands
    const pool = createPool(databaseUrl, 1);
    try {
      if (!secrets.staffToken || !(await staffTokenIsValid(pool, secrets.staffToken))) {
        secrets.staffToken = (await createStaffToken(pool, 'local development (npm start)')).token;
        saveLocalSecrets(dataDir, secrets);
      }
    } finally {
      await pool.end();
    }

    // 6. The demo firm (only with the simulator: a real Digipoort must never see demo data).
    if (pkiDir && readEnv('SEED_DEMO') !== 'false') {
      const seeded = await seedDemo({ apiUrl: `http://127.0.0.1:${port}`, staffToken: secrets.staffToken!, pkiDir, log });
      if (seeded.connectorToken) {
        secrets.connectorToken = seeded.connectorToken;
        saveLocalSecrets(dataDir, secrets);
      }
    }
    // Links are single use: a new one for the demo client at every start (the token is printed, never logged).
    const portalLink = pkiDir ? await demoPortalLink({ apiUrl: `http://127.0.0.1:${port}`, staffToken: secrets.staffToken! }) : undefined;

    for (const child of children) {
      child.process.on('exit', (code, signal) => {
        if (stopping) return;
        log(`${child.name} exited unexpectedly (code ${code}, signal ${signal})`);
        void stopAll(1);
      });
    }
    if (devServer) {
      devServer.process.on('exit', () => {
        if (!stopping) {
          log('the Temporal dev server exited unexpectedly');
          void stopAll(1);
        }
      });
    }

    const tokenFile = path.relative(ROOT, path.join(dataDir, 'staff-token'));
    const pki = pkiDir ? path.relative(ROOT, pkiDir) : undefined;
    process.stdout.write(
      [
        '',
        'Filing hub is running:',
        `  API                ${publicUrl}`,
        `  Health             ${publicUrl}/health`,
        `  OpenAPI docs       ${publicUrl}/docs   (JSON: ${publicUrl}/docs/json)`,
        `  Temporal Web UI    ${uiUrl}${devServer ? '' : '   (external cluster)'}`,
        `  Temporal gRPC      ${temporalAddress}`,
        `  Digipoort          ${simulatorUrl ? `${simulatorUrl} (simulator; admin http://127.0.0.1:${readEnv('SIMULATOR_ADMIN_PORT')}/admin)` : readEnv('DIGIPOORT_ENDPOINT_BASE')}`,
        `  Staff token        in ${tokenFile}`,
        '',
        'Start a connectivity check workflow:',
        `  curl -X POST -H "Authorization: Bearer $(cat ${tokenFile})" ${publicUrl}/api/platform/checks`,
        ...(portalLink
          ? [
              '',
              `Client portal of the demo client ${DEMO.organisations[0].name} (${DEMO.contactPerson.name}; single use, valid 72 hours):`,
              `  ${portalLink}`,
              `  VAT return ${DEMO.waitingReturn.period} waits there at lifecycle 30: approve it and it goes 50 → 60 → 80`,
              `  (staff API: curl -H "Authorization: Bearer $(cat ${tokenFile})" ${publicUrl}/api/hubs/${DEMO.participant}/filings/1)`,
            ]
          : []),
        ...(pki && secrets.connectorToken
          ? [
              '',
              `File another VAT return for the demo hub ${DEMO.participant} as its client administration (it waits for the client's approval in the portal at 30, then goes on to 80):`,
              `  curl -X POST -H "Authorization: Bearer $(cat ${path.relative(ROOT, path.join(dataDir, 'connector-token'))})" -H 'content-type: application/json' \\`,
              `    ${publicUrl}/connector/${DEMO.participant}/messages --data @examples/vat-return-request.json`,
              `  curl -H "Authorization: Bearer $(cat ${path.relative(ROOT, path.join(dataDir, 'connector-token'))})" ${publicUrl}/connector/${DEMO.participant}/messages/1`,
            ]
          : []),
        ...(pki
          ? [
              '',
              'Send a VAT return to the Digipoort simulator with the operator CLI, then read its statuses:',
              `  npm run wus -- send --endpoint-base ${simulatorUrl} --pfx ${pki}/holding.p12 --passphrase-file ${pki}/holding.passphrase \\`,
              `    --ca ${pki}/root-ca.pem --crl ${pki}/crls.pem --service-cert ${pki}/digipoort-service.pem \\`,
              '    --berichtsoort Omzetbelasting --nummer 001000044B37 --file examples/omzetbelasting-2026-Q1.xbrl',
              `  npm run wus -- status --kenmerk <kenmerk> (same connection options)`,
            ]
          : []),
        '',
        'Press Ctrl-C to stop everything.',
        '',
      ].join('\n'),
    );
  } catch (err) {
    log(`start failed: ${err instanceof Error ? err.message : String(err)}`);
    await stopAll(1);
  }
}

void main();
