import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Pool } from 'pg';
import { readEnv } from '../../config/env';
import { isValidBsnOrRsin } from '../../domain/identifiers';
import { dropDatabase } from '../../db/migrate';
import { freePort } from './ports';

/**
 * A fault campaign against the whole system as an operator runs it: `npm start` (its own dev server, database,
 * simulator, worker and API, on free ports), one hub with several clients, every client with several filings in
 * flight at once (VAT, ICP, supplement; two VAT returns share a submission lane), a share of Digipoort calls failing
 * (503, reset before and after the request, 500 after processing, 4 s latency), and the worker and the Temporal dev
 * server killed by their pids. It waits until every filing is final and reports what Digipoort and the hub recorded.
 */
export interface ChaosOptions {
  n: number;
  clients?: number;
  /** Share of Digipoort calls that fail (0..1). */
  faults?: number;
  workerKills?: number;
  temporalRestarts?: number;
  /** Milliseconds between two kills (the first comes this long after posting starts). */
  killEveryMs?: number;
  /** Fail only this Digipoort operation (e.g. `aanleveren`); default every call. */
  faultOperation?: string;
  timeoutMs?: number;
  /** A pre-built workflow bundle: restarted workers come back sooner. */
  workflowBundlePath?: string;
  /** Keep DATA_DIR and the databases for inspection. */
  keep?: boolean;
  log?: (line: string) => void;
}

export interface ChaosProblem {
  number: number;
  problem: 'duplicate' | 'misattributed' | 'needs-human' | 'lost' | 'not-final';
  detail: string;
}

export interface ChaosReport {
  submitted: number;
  final: number;
  accepted: number;
  duplicates: number;
  misattributed: number;
  needsHuman: number;
  lost: number;
  unknownReturnMessages: number;
  faultsInjected: number;
  /** How the attempts ended: sent, adopted (reconciled), absent (resent after proven absence), not-sent, refused. */
  attempts: Record<string, number>;
  workerKills: number;
  temporalRestarts: number;
  seconds: number;
  problems: ChaosProblem[];
  /** When something went wrong: the end of npm start's output, for the reader of a failed run. */
  diagnostics?: string;
}

const ROOT = path.resolve(__dirname, '..', '..');

function obNumbers(count: number, seed: number): string[] {
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

const contact = { initials: 'C', surname: 'Chaos', telephone: '0201234567' };

/** The filings of one client, in order: two VAT returns (one lane), an ICP return, a supplement, then more VAT. */
function filingFor(obNumber: string, index: number): Record<string, unknown> {
  const quarters = ['2025-Q1', '2025-Q2', '2025-Q3', '2025-Q4', '2026-Q1', '2026-Q2', '2026-Q3'];
  if (index === 2) {
    return { kind: 'icp', period: '2026-Q1', obNumber: `NL${obNumber}`, contact, icpLines: [{ countryCode: 'DE', vatNumber: 'DE123456789', category: 'goods', amount: '1500' }] };
  }
  if (index === 3) {
    return { kind: 'vat-supplement', period: '2025', obNumber: `NL${obNumber}`, contact, figures: { turnover: { '1a': '1250' }, vat: { '1a': '262.50' } }, alreadyDeclared: '210' };
  }
  const quarter = quarters[(index < 2 ? index : index - 2) % quarters.length];
  return { kind: 'vat-return', period: quarter, obNumber: `NL${obNumber}`, contact, figures: { turnover: { '1a': String(10_000 + 100 * index) }, vat: { '1a': String(2100 + 21 * index) } } };
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`chaos: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? ((line: string) => process.stdout.write(`[chaos] ${line}\n`));
  const clients = options.clients ?? Math.max(1, Math.ceil(options.n / 4));
  const faults = options.faults ?? 0.3;
  const started = Date.now();
  const id = `${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}_${process.pid}`;
  // A fresh clone has no .tmp yet.
  mkdirSync(path.join(ROOT, '.tmp'), { recursive: true });
  const dataDir = mkdtempSync(path.join(ROOT, '.tmp', 'chaos-'));
  const ports = { api: await freePort(), temporal: await freePort(), ui: await freePort(), simulator: await freePort(), admin: await freePort() };
  const databaseUrl = `postgres://postgres@127.0.0.1:5432/filinghub_chaos_${id}`;
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
    SIMULATOR_STATUS_STEP_MS: '50',
    // A call times out after 5 s; a missing process is proof of absence after 10 s.
    DIGIPOORT_TIMEOUT_MS: '5000',
    SEED_DEMO: 'false',
    LOG_LEVEL: 'warn',
  };
  let output = '';
  const system: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  system.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  system.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => system.once('exit', () => resolve()));
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  let report: ChaosReport | undefined;
  try {
    await until('npm start', 300_000, async () => {
      if (system.exitCode !== null) throw new Error(`npm start exited:\n${output}`);
      return output.includes('Filing hub is running') ? true : undefined;
    }).catch((err: Error) => {
      throw new Error(`${err.message}\n${output.slice(-4000)}`);
    });
    log(`system up on API ${apiUrl} (Temporal ${ports.temporal}, simulator ${ports.simulator}) in ${Math.round((Date.now() - started) / 1000)} s`);
    const staffToken = readFileSync(path.join(dataDir, 'staff-token'), 'utf8').trim();
    const call = async (method: string, url: string, body?: unknown, token = staffToken) => {
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

    // The firm: one hub, its holding certificate, the clients with their administrations and connector tokens.
    const participant = String(10_000 + (process.pid % 89_999));
    const hub = await call('POST', '/api/hubs', { environmentCode: `O${participant}AA`, name: 'Chaos hub', sendReceiveIntervalSeconds: 5 });
    if (hub.status !== 201) throw new Error(`hub: ${hub.status} ${JSON.stringify(hub.json)}`);
    const manifest = JSON.parse(readFileSync(path.join(dataDir, 'pki', 'manifest.json'), 'utf8')) as { organisations: { slug: string; pkcs12File: string; passphraseFile: string }[] };
    const holding = manifest.organisations.find((o) => o.slug === 'holding')!;
    const certificate = await call('POST', `/api/hubs/${participant}/certificates`, {
      label: 'Holding (chaos)',
      pkcs12: readFileSync(path.join(dataDir, 'pki', holding.pkcs12File)).toString('base64'),
      passphrase: readFileSync(path.join(dataDir, 'pki', holding.passphraseFile), 'utf8').trim(),
      workCertificate: true,
    });
    if (certificate.status !== 201) throw new Error(`certificate: ${certificate.status} ${JSON.stringify(certificate.json)}`);
    const numbers = obNumbers(clients, process.pid);
    const tokens: string[] = [];
    for (const [i, ob] of numbers.entries()) {
      const org = await call('POST', `/api/hubs/${participant}/organisations`, { name: `Chaos client ${i + 1}`, obNumber: `NL${ob}` });
      const admin = await call('POST', `/api/hubs/${participant}/administrations`, { name: `Administration ${i + 1}`, organisationId: org.json.id });
      const token = await call('POST', `/api/hubs/${participant}/connector-tokens`, { scope: 'administration', administrationId: admin.json.id });
      tokens.push(String(token.json.token));
    }

    // Faults on every Digipoort call, in five kinds; together `faults` of all calls.
    const each = 1 - (1 - faults) ** (1 / 5);
    const operation = options.faultOperation ? { operation: options.faultOperation } : {};
    const rules = [
      { kind: 'http503', fraction: each, ...operation },
      { kind: 'reset-before', fraction: each, ...operation },
      { kind: 'reset-after', fraction: each, ...operation },
      { kind: 'http500-after', fraction: each, ...operation },
      { kind: 'latency', latencyMs: 4000, fraction: each, ...operation },
    ];
    await fetch(`${adminUrl}/admin/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rules) });
    log(`${clients} clients, ${options.n} filings, ${Math.round(faults * 100)} % of ${options.faultOperation ?? 'all'} Digipoort calls failing`);

    // Chaos: the worker and the dev server killed by their pids, as an operator would, while filings are in flight.
    const kills = { worker: 0, temporal: 0 };
    const plan: ('worker' | 'temporal')[] = [];
    for (let i = 0; i < (options.workerKills ?? 4); i++) plan.push('worker');
    for (let i = 0; i < (options.temporalRestarts ?? 1); i++) plan.splice(Math.min(plan.length, 2 + i * 2), 0, 'temporal');
    let chaosDone = false;
    const chaos = (async () => {
      for (const target of plan) {
        await new Promise((r) => setTimeout(r, options.killEveryMs ?? 8000));
        const children = JSON.parse(readFileSync(path.join(dataDir, 'run', 'children.json'), 'utf8')) as { name: string; pid: number }[];
        const victim = children.find((c) => c.name === target);
        if (!victim) continue;
        try {
          process.kill(victim.pid, 'SIGKILL');
          kills[target]++;
          log(`killed ${target} (pid ${victim.pid})`);
        } catch {
          // it had died already
        }
      }
      chaosDone = true;
    })();

    // The administrations post their filings, several at a time.
    const posted: number[] = [];
    const queue = Array.from({ length: options.n }, (_, i) => i);
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
          const client = i % clients;
          const res = await call('POST', `/connector/${participant}/messages`, filingFor(numbers[client], Math.floor(i / clients)), tokens[client]);
          if (res.status !== 202) throw new Error(`filing ${i}: ${res.status} ${JSON.stringify(res.json)}`);
          posted.push(Number(res.json.number));
        }
      }),
    );
    log(`posted ${posted.length} filings`);
    await chaos;

    // Every filing final (80/90), its workflow closed; or the time is up.
    const timeoutMs = options.timeoutMs ?? Math.max(240_000, options.n * 3000);
    const deadline = Date.now() + timeoutMs;
    let open = options.n;
    while (Date.now() < deadline) {
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM messages m JOIN hubs h ON h.id = m.hub_id
          WHERE h.participant_number = $1 AND m.direction = 'outgoing' AND NOT (m.lifecycle IN (80, 90) AND m.workflow_closed_at IS NOT NULL)`,
        [participant],
      );
      if (rows[0].n !== open) log(`${options.n - rows[0].n} of ${options.n} final`);
      open = rows[0].n;
      if (open === 0 && chaosDone) break;
      await new Promise((r) => setTimeout(r, 2000));
    }

    // What Digipoort accepted, per message and per kenmerk, against what the hub recorded.
    const deliveries = (await (await fetch(`${adminUrl}/admin/deliveries?limit=1000000`)).json()) as {
      byAanleverkenmerk: Record<string, number>;
      processes: { kenmerk: string; aanleverkenmerk: string | null }[];
    };
    const madeBy = new Map(deliveries.processes.map((p) => [p.kenmerk, p.aanleverkenmerk ?? '']));
    const { rows: messages } = await pool.query<{ number: string; version: number; lifecycle: number; delivery_state: string; kenmerk: string | null; workflow_closed_at: Date | null }>(
      `SELECT m.number, m.version, m.lifecycle, m.delivery_state, m.kenmerk, m.workflow_closed_at FROM messages m JOIN hubs h ON h.id = m.hub_id
        WHERE h.participant_number = $1 AND m.direction = 'outgoing' ORDER BY m.number`,
      [participant],
    );
    const { rows: outcomes } = await pool.query<{ outcome: string | null; n: number }>(
      `SELECT a.outcome, count(*)::int AS n FROM submission_attempts a JOIN hubs h ON h.id = a.hub_id
        WHERE h.participant_number = $1 GROUP BY a.outcome`,
      [participant],
    );
    const { rows: onb } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM messages m JOIN hubs h ON h.id = m.hub_id WHERE h.participant_number = $1 AND m.subtype = 'ONB'`,
      [participant],
    );
    const problems: ChaosProblem[] = [];
    const stored = new Map(messages.map((m) => [Number(m.number), m]));
    let accepted = 0;
    for (const number of posted) {
      const m = stored.get(number);
      if (!m) {
        problems.push({ number, problem: 'lost', detail: 'accepted by the connector, not in the database' });
        continue;
      }
      const prefix = `FH${participant}-${number}-v${m.version}-`;
      const deliveredCount = Object.entries(deliveries.byAanleverkenmerk).filter(([k]) => k.startsWith(prefix)).reduce((sum, [, c]) => sum + c, 0);
      accepted += deliveredCount;
      if (deliveredCount > 1) problems.push({ number, problem: 'duplicate', detail: `${deliveredCount} accepted aanleveren` });
      if (m.kenmerk && !(madeBy.get(m.kenmerk) ?? '').startsWith(prefix)) {
        problems.push({ number, problem: 'misattributed', detail: `kenmerk ${m.kenmerk} was made by ${madeBy.get(m.kenmerk) || 'nobody known'}` });
      }
      if (m.delivery_state === 'needs_human') problems.push({ number, problem: 'needs-human', detail: 'waits for a person' });
      else if (!(m.lifecycle === 80 || m.lifecycle === 90) || !m.workflow_closed_at) {
        problems.push({ number, problem: 'not-final', detail: `lifecycle ${m.lifecycle}, ${m.delivery_state}${m.workflow_closed_at ? '' : ', workflow open'}` });
      }
    }
    const count = (problem: ChaosProblem['problem']) => problems.filter((p) => p.problem === problem).length;
    report = {
      submitted: posted.length,
      final: posted.length - count('lost') - count('not-final') - count('needs-human'),
      accepted,
      duplicates: count('duplicate'),
      misattributed: count('misattributed'),
      needsHuman: count('needs-human'),
      lost: count('lost') + count('not-final'),
      unknownReturnMessages: onb[0].n,
      faultsInjected: Math.round(faults * 100),
      attempts: Object.fromEntries(outcomes.map((o) => [o.outcome ?? 'open', o.n])),
      workerKills: kills.worker,
      temporalRestarts: kills.temporal,
      seconds: Math.round((Date.now() - started) / 1000),
      problems,
      ...(problems.length > 0 ? { diagnostics: output.slice(-6000) } : {}),
    };
    return report;
  } finally {
    system.kill('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
    if (system.exitCode === null) system.kill('SIGKILL');
    await pool.end();
    if (!options.keep) {
      await dropDatabase(databaseUrl).catch(() => undefined);
      await dropDatabase(simulatorDatabaseUrl).catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    } else {
      log(`kept ${dataDir}, ${databaseUrl} and ${simulatorDatabaseUrl}`);
    }
    if (report?.diagnostics) log(`output of npm start (last part):\n${report.diagnostics}`);
  }
}

/** The report as the table `npm run chaos` prints. */
export function formatChaosReport(r: ChaosReport): string {
  const rows: [string, string | number][] = [
    ['submitted', r.submitted],
    ['final', r.final],
    ['accepted aanleveren at Digipoort', r.accepted],
    ['duplicates (accepted aanleveren per message > 1)', r.duplicates],
    ["misattributed (a message's kenmerk made by another's attempt)", r.misattributed],
    ['needs-human', r.needsHuman],
    ['lost (not in the database, or not final)', r.lost],
    ['unknown return messages (ONB)', r.unknownReturnMessages],
    ['Digipoort calls failing', `${r.faultsInjected} %`],
    ['attempts by outcome', Object.entries(r.attempts).map(([k, v]) => `${k} ${v}`).join(', ')],
    ['worker kills / Temporal restarts', `${r.workerKills} / ${r.temporalRestarts}`],
    ['time', `${r.seconds} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return [...rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`), ...r.problems.map((p) => `  message ${p.number}: ${p.problem}: ${p.detail}`)].join('\n');
}
