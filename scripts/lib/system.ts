import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { readEnv } from '../../config/env';
import { isValidBsnOrRsin } from '../../domain/identifiers';
import { dropDatabase } from '../../db/migrate';
import { PidFile } from './children';
import { freePort } from './ports';

/**
 * The whole system as an operator runs it, for campaigns (chaos, bench): `npm start` (scripts/start.ts: its own
 * Temporal dev server, database, simulator, worker and API) on free ports with its own DATA_DIR and databases, and
 * nothing of the calling process's own servers leaking in. Plus the firm such a campaign files for.
 */
export interface LocalSystemOptions {
  /** Prefix of the DATA_DIR and the databases (`chaos`, `bench`). */
  name: string;
  /** Settings on top of the defaults below (SIMULATOR_STATUS_STEP_MS, DIGIPOORT_TIMEOUT_MS, rate limits, ...). */
  settings?: Record<string, string>;
  /** A pre-built workflow bundle: restarted workers come back sooner. */
  workflowBundlePath?: string;
  startTimeoutMs?: number;
  log: (line: string) => void;
}

export interface LocalSystem {
  dataDir: string;
  databaseUrl: string;
  simulatorDatabaseUrl: string;
  apiUrl: string;
  adminUrl: string;
  ports: { api: number; temporal: number; ui: number; simulator: number; admin: number };
  /** The environment `npm start` was given (children derive theirs from it and DATA_DIR). */
  env: NodeJS.ProcessEnv;
  staffToken: string;
  /** Everything `npm start` printed so far. */
  output(): string;
  /** The current pid of one of npm start's children (temporal, simulator, worker, api). */
  childPid(name: string): number | undefined;
  /** A staff API call, sent again while the API sheds load (503), is rate limited (429) or restarts. */
  call(method: string, url: string, body?: unknown, token?: string): Promise<{ status: number; json: Record<string, unknown> }>;
  /** Stops npm start (Ctrl-C); removes DATA_DIR and the databases unless `keep`. */
  stop(keep: boolean): Promise<void>;
}

const ROOT = path.resolve(__dirname, '..', '..');

/** Polls `probe` until it gives a value; fails after `timeoutMs`, or at once when `dead` names a reason. */
export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 500, dead?: () => string | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = dead?.();
    if (reason) throw new Error(`${what}: ${reason}`);
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * `npm start` on free ports. A port found free can be taken by another process before the system listens on it
 * (the machine is shared): that start is given up and tried again on new ports, twice at most.
 */
export async function startLocalSystem(options: LocalSystemOptions): Promise<LocalSystem> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startLocalSystemOnce(options);
    } catch (err) {
      if (attempt >= 3 || !/port \d+ is in use/.test((err as Error).message)) throw err;
      options.log(`a port was taken before the system could listen on it: starting again on other ports (${(err as Error).message.split('\n')[0]})`);
    }
  }
}

async function startLocalSystemOnce(options: LocalSystemOptions): Promise<LocalSystem> {
  const started = Date.now();
  const id = `${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}_${process.pid}`;
  // A fresh clone has no .tmp yet.
  mkdirSync(path.join(ROOT, '.tmp'), { recursive: true });
  const dataDir = mkdtempSync(path.join(ROOT, '.tmp', `${options.name}-`));
  const ports = { api: await freePort(), temporal: await freePort(), ui: await freePort(), simulator: await freePort(), admin: await freePort() };
  const databaseUrl = `postgres://postgres@127.0.0.1:5432/filinghub_${options.name}_${id}`;
  const simulatorDatabaseUrl = `${databaseUrl}_sim`;
  const apiUrl = `http://127.0.0.1:${ports.api}`;
  const adminUrl = `http://127.0.0.1:${ports.admin}`;

  // Only what an operator would set: nothing of the calling process's own servers leaks in.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...(readEnv('TEMPORAL_CLI_PATH') ? { TEMPORAL_CLI_PATH: readEnv('TEMPORAL_CLI_PATH') } : {}),
    ...(options.workflowBundlePath ? { WORKFLOW_BUNDLE_PATH: options.workflowBundlePath } : {}),
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    SIMULATOR_DATABASE_URL: simulatorDatabaseUrl,
    PORT: String(ports.api),
    TEMPORAL_PORT: String(ports.temporal),
    TEMPORAL_UI_PORT: String(ports.ui),
    SIMULATOR_PORT: String(ports.simulator),
    SIMULATOR_ADMIN_PORT: String(ports.admin),
    SEED_DEMO: 'false',
    LOG_LEVEL: 'warn',
    ...options.settings,
  };
  let output = '';
  const system: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  system.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  system.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => system.once('exit', () => resolve()));

  // What npm start's supervisor records of its children (scripts/lib/children.ts).
  const childrenFile = path.join(dataDir, 'run', 'children.json');
  const stop = async (keep: boolean) => {
    system.kill('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
    if (system.exitCode === null && system.signalCode === null) {
      system.kill('SIGKILL');
      await exited;
      // Killed before it stopped its children: stop those it recorded (the Temporal dev server would outlive it).
      await new PidFile(childrenFile).stopLeftovers(options.log);
    }
    if (!keep) {
      await dropDatabase(databaseUrl).catch(() => undefined);
      await dropDatabase(simulatorDatabaseUrl).catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    } else {
      options.log(`kept ${dataDir}, ${databaseUrl} and ${simulatorDatabaseUrl}`);
    }
  };

  try {
    await until('npm start', options.startTimeoutMs ?? 300_000, async () => (output.includes('Filing hub is running') ? true : undefined), 500, () =>
      system.exitCode !== null ? 'npm start exited' : undefined,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${output.slice(-4000)}`);
    });
  } catch (err) {
    await stop(false);
    throw err;
  }
  options.log(`system up on API ${apiUrl} (Temporal ${ports.temporal}, simulator ${ports.simulator}) in ${Math.round((Date.now() - started) / 1000)} s`);
  const staffToken = readFileSync(path.join(dataDir, 'staff-token'), 'utf8').trim();
  const call: LocalSystem['call'] = async (method, url, body, token = staffToken) => {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${apiUrl}${url}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      }).catch(() => undefined);
      // The API may be shedding load or restarting: the same request again, as the 503 says.
      if (res && res.status !== 503 && res.status !== 429) {
        const text = await res.text();
        return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
      }
      if (attempt > 60) throw new Error(`${method} ${url}: no answer`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  const childPid = (name: string) => {
    const children = JSON.parse(readFileSync(childrenFile, 'utf8')) as { name: string; pid: number }[];
    return children.find((c) => c.name === name)?.pid;
  };
  return { dataDir, databaseUrl, simulatorDatabaseUrl, apiUrl, adminUrl, ports, env, staffToken, output: () => output, childPid, call, stop };
}

/** `count` valid OB numbers (RSIN + B01) from a seed. */
export function obNumbers(count: number, seed: number): string[] {
  const found: string[] = [];
  for (let eight = 10_000_000 + (seed % 80_000_000); found.length < count; eight += 7919) {
    for (let last = 0; last <= 9; last++) {
      const nine = `${eight % 100_000_000}`.padStart(8, '0') + last;
      if (isValidBsnOrRsin(nine)) {
        found.push(`${nine}B01`);
        break;
      }
    }
  }
  return found;
}

export interface FirmOptions {
  clients: number;
  /** Name of the hub and prefix of its clients' names. */
  label: string;
  sendReceiveIntervalSeconds: number;
  /** VAT returns need the client's approval on the portal; every client gets a contact person. */
  portalApproval?: boolean;
  /** API calls in parallel while setting the clients up. */
  parallel?: number;
}

export interface Firm {
  participant: string;
  clients: { obNumber: string; organisationId: string; connectorToken: string; contactPersonId?: string }[];
}

/** The firm: one hub, its holding certificate (the test PKI's), the clients with their administrations and connector tokens. */
export async function setUpFirm(system: LocalSystem, options: FirmOptions): Promise<Firm> {
  const { call } = system;
  const participant = String(10_000 + (process.pid % 89_999));
  const hub = await call('POST', '/api/hubs', { environmentCode: `O${participant}AA`, name: `${options.label} hub`, sendReceiveIntervalSeconds: options.sendReceiveIntervalSeconds });
  if (hub.status !== 201) throw new Error(`hub: ${hub.status} ${JSON.stringify(hub.json)}`);
  const manifest = JSON.parse(readFileSync(path.join(system.dataDir, 'pki', 'manifest.json'), 'utf8')) as { organisations: { slug: string; pkcs12File: string; passphraseFile: string }[] };
  const holding = manifest.organisations.find((o) => o.slug === 'holding')!;
  const certificate = await call('POST', `/api/hubs/${participant}/certificates`, {
    label: `Holding (${options.label.toLowerCase()})`,
    pkcs12: readFileSync(path.join(system.dataDir, 'pki', holding.pkcs12File)).toString('base64'),
    passphrase: readFileSync(path.join(system.dataDir, 'pki', holding.passphraseFile), 'utf8').trim(),
    workCertificate: true,
  });
  if (certificate.status !== 201) throw new Error(`certificate: ${certificate.status} ${JSON.stringify(certificate.json)}`);
  if (options.portalApproval) {
    const patched = await call('PATCH', `/api/hubs/${participant}`, { portalEnabled: true, accountantEmail: 'accountant@firm.test' });
    if (patched.status !== 200) throw new Error(`portal: ${patched.status} ${JSON.stringify(patched.json)}`);
    const type = await call('PUT', `/api/hubs/${participant}/message-types/vat-return`, { blocked: false, approvalWorkflow: 'portal' });
    if (type.status !== 200) throw new Error(`message type: ${type.status} ${JSON.stringify(type.json)}`);
  }
  const numbers = obNumbers(options.clients, process.pid);
  const clients: Firm['clients'] = new Array(numbers.length);
  const queue = numbers.map((ob, i) => ({ ob, i }));
  await Promise.all(
    Array.from({ length: options.parallel ?? 1 }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const { ob, i } = next;
        const org = await call('POST', `/api/hubs/${participant}/organisations`, { name: `${options.label} client ${i + 1}`, obNumber: `NL${ob}` });
        if (org.status !== 201) throw new Error(`organisation: ${org.status} ${JSON.stringify(org.json)}`);
        const admin = await call('POST', `/api/hubs/${participant}/administrations`, { name: `Administration ${i + 1}`, organisationId: org.json.id });
        const token = await call('POST', `/api/hubs/${participant}/connector-tokens`, { scope: 'administration', administrationId: admin.json.id });
        let contactPersonId: string | undefined;
        if (options.portalApproval) {
          const person = await call('POST', `/api/hubs/${participant}/organisations/${String(org.json.id)}/contact-persons`, { name: `Contact ${i + 1}`, email: `contact${i + 1}@client.test` });
          if (person.status !== 201) throw new Error(`contact person: ${person.status} ${JSON.stringify(person.json)}`);
          contactPersonId = String(person.json.id);
        }
        clients[i] = { obNumber: ob, organisationId: String(org.json.id), connectorToken: String(token.json.token), contactPersonId };
      }
    }),
  );
  return { participant, clients };
}

/** Digipoort faults at the simulator: `faults` of all calls (of `operation`, when given) fail, in five kinds. */
export async function injectFaults(system: LocalSystem, faults: number, operation?: string): Promise<void> {
  const each = 1 - (1 - faults) ** (1 / 5);
  const only = operation ? { operation } : {};
  const rules = [
    { kind: 'http503', fraction: each, ...only },
    { kind: 'reset-before', fraction: each, ...only },
    { kind: 'reset-after', fraction: each, ...only },
    { kind: 'http500-after', fraction: each, ...only },
    { kind: 'latency', latencyMs: 4000, fraction: each, ...only },
  ];
  const res = await fetch(`${system.adminUrl}/admin/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rules) });
  if (!res.ok) throw new Error(`faults: ${res.status}`);
}
