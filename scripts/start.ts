/**
 * `npm start`: the whole system on this machine. Provisions Temporal (the CLI dev server, unless TEMPORAL_ADDRESS
 * points at a cluster), creates and migrates the database, starts the worker and the API as separate processes, and
 * prints where everything is. Ctrl-C stops every child; a start after a crash first stops what the crash left.
 */
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { envIsSet, readEnv } from '../config/env';
import { publicUrlOf, temporalUiUrlOf, WEB_UI_PATH } from '../config';
import { dataDirOf, devServerDbFile, withLocalDefaults } from '../config/local';
import { ensureDatabase, migrate } from '../db/migrate';
import { createPool } from '../db/pool';
import { forgetWorker } from '../db/repositories/worker-presence';
import { createStaffToken } from '../api/plugins/auth';
import { Connection } from '@temporalio/client';
import { claimSupervisor, PidFile, spawnTs } from './lib/children';
import { Supervisor } from './lib/supervisor';
import { portIsFree } from './lib/ports';
import { loadLocalSecrets, saveLocalSecrets, staffTokenIsValid } from './lib/local-secrets';
import { ensureLocalPki } from './lib/local-pki';
import { DEMO, demoPortalLink, seedDemo } from './lib/demo-seed';
import { demoStaffAccount } from './lib/demo-staff-account';
import { resolveTemporalCli, startDevServer, waitForTemporal } from './lib/temporal-dev-server';

const ROOT = path.resolve(__dirname, '..');

function log(msg: string): void {
  process.stdout.write(`[start] ${msg}\n`);
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
  const dataDir = dataDirOf(process.env);
  const port = Number(readEnv('PORT'));
  const publicUrl = publicUrlOf(process.env);
  const namespace = readEnv('TEMPORAL_NAMESPACE') ?? 'default';
  const taskQueue = readEnv('TEMPORAL_TASK_QUEUE') ?? 'filing-hub';
  const databaseUrl = readEnv('DATABASE_URL') as string;
  let claim: { release(): void };
  try {
    claim = claimSupervisor(path.join(dataDir, 'run', 'supervisor.json'));
  } catch (err) {
    log(`start refused: ${(err as Error).message}`);
    process.exit(1);
  }
  const pidFile = new PidFile(path.join(dataDir, 'run', 'children.json'));
  await pidFile.stopLeftovers(log);

  const secrets = loadLocalSecrets(dataDir);
  const supervisor = new Supervisor(log, pidFile);
  let presencePool: ReturnType<typeof createPool> | undefined;
  let stopping = false;

  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping...');
    // The API first (no new work), then the worker (finishes its tasks), Temporal last.
    await supervisor.stop();
    await presencePool?.end().catch(() => undefined);
    claim.release();
    log('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  const deathOf = (name: string, child: ChildProcess) => () =>
    child.exitCode !== null || child.signalCode !== null ? `${name} exited during start-up` : undefined;

  try {
    // 1. Temporal
    let temporalAddress = readEnv('TEMPORAL_ADDRESS');
    let uiUrl = temporalUiUrlOf(process.env);
    let devServer = false;
    let uiUpstream = readEnv('TEMPORAL_UI_UPSTREAM');
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
      const options = {
        cli,
        port: temporalPort,
        uiPort,
        dbFile: devServerDbFile(dataDir),
        namespace,
        // The API serves this UI at <PUBLIC_URL>/temporal/ to signed-in operators; its codec is then same-origin.
        uiPublicPath: WEB_UI_PATH,
        uiCodecEndpoint: '/codec',
        logFile: path.join(dataDir, 'logs', 'temporal.log'),
      };
      // Its state is in DATA_DIR: started again after a crash, it carries on where it was.
      await supervisor.add({ name: 'temporal', marker: 'start-dev', start: async () => (await startDevServer(options)).process, stopGraceMs: 10_000 });
      devServer = true;
      temporalAddress = `127.0.0.1:${temporalPort}`;
      uiUrl = `http://localhost:${uiPort}`;
      uiUpstream = `http://127.0.0.1:${uiPort}`;
    }

    // 2. PostgreSQL
    if (await ensureDatabase(databaseUrl)) log('database created');
    const applied = await migrate(databaseUrl);
    log(applied.length ? `migrations applied: ${applied.join(', ')}` : 'database schema is up to date');

    // 3. Digipoort: the simulator with a test PKI, unless DIGIPOORT_ENDPOINT_BASE points at a real Digipoort.
    const simulated = !envIsSet('DIGIPOORT_ENDPOINT_BASE');
    const pki = simulated ? await ensureLocalPki(dataDir, log) : undefined;
    // What every child gets: the same configuration `npm run worker` / `npm run api` derive when started alone.
    const childEnv = {
      ...withLocalDefaults({
        ...process.env,
        DATA_DIR: dataDir,
        TEMPORAL_ADDRESS: temporalAddress,
        TEMPORAL_UI_URL: uiUrl,
        TEMPORAL_UI_UPSTREAM: uiUpstream,
        PUBLIC_URL: publicUrl,
      }),
      SUPERVISOR_PID: String(process.pid),
    } as NodeJS.ProcessEnv;
    let simulatorUrl: string | undefined;
    if (pki) {
      const simulatorPort = Number(readEnv('SIMULATOR_PORT'));
      const adminPort = Number(readEnv('SIMULATOR_ADMIN_PORT'));
      for (const p of [simulatorPort, adminPort]) {
        if (!(await portIsFree(p))) throw new Error(`port ${p} is in use: stop what holds it, or set SIMULATOR_PORT / SIMULATOR_ADMIN_PORT`);
      }
      simulatorUrl = `https://127.0.0.1:${simulatorPort}`;
      Object.assign(childEnv, {
        SIMULATOR_PKI_DIR: pki.dir,
        SIMULATOR_REGISTRATIONS_FILE: readEnv('SIMULATOR_REGISTRATIONS_FILE') ?? pki.registrationsFile,
      });
      const simulator = await supervisor.add({ name: 'simulator', marker: 'main.ts', start: async () => spawnTs('simulator', 'simulator/main.ts', childEnv, ROOT).process });
      await waitFor('the Digipoort simulator', 60_000, async () => (await fetch(`http://127.0.0.1:${adminPort}/admin/health`)).ok, deathOf('simulator', simulator));
      log(`Digipoort simulator listening on ${simulatorUrl}`);
    }

    // 4. Worker and API, as separate processes
    presencePool = createPool(databaseUrl, 1);
    const presence = presencePool;
    const worker = await supervisor.add({
      name: 'worker',
      marker: 'main.ts',
      start: async () => spawnTs('worker', 'worker/main.ts', childEnv, ROOT).process,
      // /health names the worker as missing from the moment it died, until the new one runs.
      onDeath: async (pid) => {
        if (pid) await forgetWorker(presence, pid);
      },
    });
    const connection = await Connection.connect({ address: temporalAddress });
    await waitFor('the worker', 180_000, async () => {
      const described = await connection.workflowService.describeTaskQueue({
        namespace,
        taskQueue: { name: taskQueue },
        taskQueueType: 1, // workflow pollers
      });
      return described.pollers.length > 0;
    }, deathOf('worker', worker));
    await connection.close();
    log('worker is polling');

    const api = await supervisor.add({ name: 'api', marker: 'main.ts', start: async () => spawnTs('api', 'api/main.ts', childEnv, ROOT).process });
    await waitFor('the API', 60_000, async () => (await fetch(`http://127.0.0.1:${port}/health`)).status === 200, deathOf('api', api));

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
    if (pki && readEnv('SEED_DEMO') !== 'false') {
      const seeded = await seedDemo({ apiUrl: `http://127.0.0.1:${port}`, staffToken: secrets.staffToken!, pkiDir: pki.dir, log });
      if (seeded.connectorToken) {
        secrets.connectorToken = seeded.connectorToken;
        saveLocalSecrets(dataDir, secrets);
      }
    }
    // Links are single use: a new one for the demo client at every start (the token is printed, never logged).
    const portalLink = pki ? await demoPortalLink({ apiUrl: `http://127.0.0.1:${port}`, staffToken: secrets.staffToken! }) : undefined;
    // The demo hub's accountant in the staff console: a fresh password at every start (printed, never stored in plain).
    const consoleAccount = pki ? await demoStaffAccount(databaseUrl) : undefined;

    const tokenFile = path.relative(ROOT, path.join(dataDir, 'staff-token'));
    const pkiPath = pki ? path.relative(ROOT, pki.dir) : undefined;
    process.stdout.write(
      [
        '',
        'Filing hub is running:',
        `  API                ${publicUrl}`,
        `  Health             ${publicUrl}/health`,
        `  OpenAPI docs       ${publicUrl}/docs   (JSON: ${publicUrl}/docs/json)`,
        ...(uiUpstream
          ? [`  Temporal Web UI    ${publicUrl}${WEB_UI_PATH}/   (sign in with the staff token; decodes payloads)`]
          : [`  Temporal Web UI    ${uiUrl}${devServer ? '' : '   (external cluster)'}`]),
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
        ...(consoleAccount
          ? [
              '',
              `Staff console of the demo hub ${DEMO.participant} (Dutch; English at the top right):`,
              `  ${publicUrl}/staff   sign in as ${consoleAccount.email} with password ${consoleAccount.password} (new at every start)`,
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
              `  npm run wus -- send --endpoint-base ${simulatorUrl} --pfx ${pkiPath}/holding.p12 --passphrase-file ${pkiPath}/holding.passphrase \\`,
              `    --ca ${pkiPath}/root-ca.pem --crl ${pkiPath}/crls.pem --service-cert ${pkiPath}/digipoort-service.pem \\`,
              '    --berichtsoort Omzetbelasting --nummer 001000044B37 --file examples/omzetbelasting-2026-Q1.xbrl',
              `  npm run wus -- status --kenmerk <kenmerk> (same connection options)`,
            ]
          : []),
        '',
        'A child that dies is started again (logged here); /health says "degraded" and names it meanwhile.',
        'More workers on this machine: npm run worker (it reads the same local configuration from DATA_DIR).',
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
