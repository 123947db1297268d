import { Pool } from 'pg';
import { injectFaults, setUpFirm, startLocalSystem } from './system';

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

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? ((line: string) => process.stdout.write(`[chaos] ${line}\n`));
  const clients = options.clients ?? Math.max(1, Math.ceil(options.n / 4));
  const faults = options.faults ?? 0.3;
  const started = Date.now();
  const system = await startLocalSystem({
    name: 'chaos',
    log,
    workflowBundlePath: options.workflowBundlePath,
    settings: {
      SIMULATOR_STATUS_STEP_MS: '50',
      // A call times out after 5 s; a missing process is proof of absence after 10 s.
      DIGIPOORT_TIMEOUT_MS: '5000',
    },
  });
  const pool = new Pool({ connectionString: system.databaseUrl, max: 2 });
  let report: ChaosReport | undefined;
  try {
    const call = system.call;
    // The firm: one hub, its holding certificate, the clients with their administrations and connector tokens.
    const firm = await setUpFirm(system, { clients, label: 'Chaos', sendReceiveIntervalSeconds: 5 });
    const participant = firm.participant;
    const numbers = firm.clients.map((c) => c.obNumber);
    const tokens = firm.clients.map((c) => c.connectorToken);

    // Faults on every Digipoort call, in five kinds; together `faults` of all calls.
    await injectFaults(system, faults, options.faultOperation);
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
        const pid = system.childPid(target);
        if (pid === undefined) continue;
        try {
          process.kill(pid, 'SIGKILL');
          kills[target]++;
          log(`killed ${target} (pid ${pid})`);
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
    const deliveries = (await (await fetch(`${system.adminUrl}/admin/deliveries?limit=1000000`)).json()) as {
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
      ...(problems.length > 0 ? { diagnostics: system.output().slice(-6000) } : {}),
    };
    return report;
  } finally {
    await pool.end();
    await system.stop(Boolean(options.keep));
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
