import os from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { Pool } from 'pg';
import { Connection, WorkflowUpdateRPCTimeoutOrCancelledError, type Client } from '@temporalio/client';
import { loadTemporalConfig, loadWorkerTuning, readEnv, requireEnv, type WorkerTuning } from '../../config';
import { envIsSet } from '../../config/env';
import { followUpCounts } from '../../db/repositories/status-follow-up';
import { withLocalDefaults } from '../../config/local';
import { connectClient } from '../../temporal/connection';
import { decideFilingUpdate, filingWorkflowId } from '../../workflows/filing';
import { lastSendReceiveQuery, sendReceiveHubWorkflowId } from '../../workflows/send-receive';
import { spawnTs } from '../lib/children';
import { stopProcess } from '../lib/temporal-dev-server';
import { injectFaults, setUpFirm, startLocalSystem, until, type Firm, type LocalSystem } from '../lib/system';
import { benchNoopFiling, noopApproveUpdate, noopAwaitingQuery, type NoopFilingResult } from './noop-workflow';
import { shapeFromHistory, taskWaits, type FilingShape } from './shape';
import { measureSigning, type SigningFigures } from './signing';
import { cpuBetween, cpuNow } from './cpu';
import { PROFILED_PARTS, PROFILE_PRELOAD, readProfile, startProfiles, stopProfiles, summariseProfile } from './profile';
import { percentile, perMinute } from './stats';

const ROOT = path.resolve(__dirname, '..', '..');

export interface BenchOptions {
  n: number;
  /** Client organisations per round (default n: one VAT return each). */
  clients?: number;
  /** Share of Digipoort calls failing at the simulator (0..1), as `npm run chaos` injects them. */
  faults: number;
  /** Also run a round at 10 n. */
  growth: boolean;
  keep: boolean;
  /** CPU profiles of the worker, API and simulator during the first pipeline round (scripts/bench/profile.ts). */
  profile?: boolean;
  /** The simulator's time between two statuses. */
  statusStepMs: number;
  log: (line: string) => void;
}

/** Latencies of one kind of filing, in ms. */
export interface Latencies {
  completed: number;
  perMinute?: number;
  approvalToAck: number[];
  ackToFinal: number[];
  historyEvents?: number;
  stateTransitions?: number;
  /** Sampled filings' workflow tasks after the approval: their waits for a worker (ms), and each filing's total. */
  taskWaits?: { perTask: number[]; perFiling: number[] };
  /** Approval updates sent again after a timeout (WorkflowUpdateRPCTimeoutOrCancelledError). */
  updateRetries: number;
}

export interface RoundFigures {
  n: number;
  noop: Latencies;
  /** `ackToStored`: from the kenmerk to the final status stored and told to the administration (before the workflow closes). */
  real: Latencies & {
    final80: number;
    postedPerMinute?: number;
    ackToStored: number[];
    cpu?: ReturnType<typeof cpuBetween>;
    profiles?: ProfileSummary;
    /** The hub's status follow-up polls during the round: asked within its rate, and skipped over it. */
    followUps: { taken: number; skipped: number };
  };
  rss: { baselineKb?: number; openKb?: number };
}

export interface BenchReport {
  shape: FilingShape;
  probe: { historyEvents?: number; stateTransitions?: number };
  rounds: RoundFigures[];
  signing: SigningFigures;
  /** The hub's first send/receive full scan (H7), run to its end before the rounds: its Digipoort calls and time. */
  firstFullScan: { calls?: number; seconds: number };
  seconds: number;
  machine: string;
  /** The product worker's (and the bench worker's) cache and slots. */
  workerTuning: WorkerTuning;
}

/** Runs `work` over `items` with at most `parallel` at once. */
async function pooled<T>(items: readonly T[], parallel: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) await work(items[i], i);
    }),
  );
}

/** Resident memory of a process, in kB (Linux /proc). */
export function rssKb(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The latest month that has ended, and `back` months before it: a VAT return is prepared once its period is over. */
function endedMonth(back: number): string {
  const now = new Date();
  const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1 - back, 1));
  return `${month.getUTCFullYear()}-${String(month.getUTCMonth() + 1).padStart(2, '0')}`;
}

function vatReturn(obNumber: string, period: string, index: number) {
  return {
    kind: 'vat-return',
    period,
    obNumber: `NL${obNumber}`,
    contact: { initials: 'B', surname: 'Bench', telephone: '0201234567' },
    figures: { turnover: { '1a': String(10_000 + 100 * index) }, vat: { '1a': String(2100 + 21 * index) } },
  };
}

async function describeCounts(client: Client, workflowId: string): Promise<{ historyEvents?: number; stateTransitions?: number }> {
  const described = await client.workflow.getHandle(workflowId).describe();
  const transitions = described.raw.workflowExecutionInfo?.stateTransitionCount;
  return { historyEvents: described.historyLength, stateTransitions: transitions === undefined || transitions === null ? undefined : Number(transitions) };
}

/** The workflow-task waits of up to `size` finished workflows (scripts/bench/shape.ts taskWaits). */
async function sampleTaskWaits(client: Client, workflowIds: string[], size = 30): Promise<{ perTask: number[]; perFiling: number[] }> {
  const step = Math.max(1, Math.floor(workflowIds.length / size));
  const chosen = workflowIds.filter((_, i) => i % step === 0).slice(0, size);
  const waits = await Promise.all(chosen.map((id) => client.workflow.getHandle(id).fetchHistory().then((h) => taskWaits(h.events ?? []), () => [] as number[])));
  return { perTask: waits.flat(), perFiling: waits.filter((w) => w.length > 0).map((w) => w.reduce((a, b) => a + b, 0)) };
}

function median(values: (number | undefined)[]): number | undefined {
  return percentile(values.filter((v): v is number => v !== undefined), 50);
}

interface Bench {
  system: LocalSystem;
  client: Client;
  pool: Pool;
  firm: Firm;
  options: BenchOptions;
  log: (line: string) => void;
  /** Where the processes write their CPU profiles (`--profile`). */
  profileDir?: string;
}

/** Posts filings through the connector API (as the administrations do) and waits until each awaits approval at 30. */
async function postAndOffer(bench: Bench, clients: Firm['clients'], count: number, roundLabel: string): Promise<{ numbers: number[]; postedMs: number }> {
  const { system, firm, pool } = bench;
  const numbers: number[] = new Array(count);
  const started = Date.now();
  await pooled(
    Array.from({ length: count }, (_, i) => i),
    16,
    async (i) => {
      const client = clients[i % clients.length];
      const res = await system.call('POST', `/connector/${firm.participant}/messages`, vatReturn(client.obNumber, endedMonth(Math.floor(i / clients.length)), i), client.connectorToken);
      if (res.status !== 202) throw new Error(`filing ${i}: ${res.status} ${JSON.stringify(res.json)}`);
      numbers[i] = Number(res.json.number);
    },
  );
  const postedMs = Date.now() - started;
  await until(`${roundLabel}: ${count} filings awaiting approval (30)`, Math.max(120_000, count * 1000), async () => {
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM messages m JOIN hubs h ON h.id = m.hub_id WHERE h.participant_number = $1 AND m.number = ANY($2::bigint[]) AND m.lifecycle = 30`,
      [firm.participant, numbers],
    );
    return rows[0].n === count ? true : undefined;
  }, 1000);
  return { numbers, postedMs };
}

/** The portal's decision (decideFilingUpdate) for each filing; returns when each was sent (ms) and how many were retried. */
async function approveAll(bench: Bench, numbers: number[], contactOf: (i: number) => string | undefined): Promise<{ sentAt: Map<number, number>; retries: number }> {
  const { client, pool, firm } = bench;
  const { rows } = await pool.query<{ number: string; content_sha256: string }>(
    `SELECT m.number, m.content_sha256 FROM messages m JOIN hubs h ON h.id = m.hub_id WHERE h.participant_number = $1 AND m.number = ANY($2::bigint[])`,
    [firm.participant, numbers],
  );
  const content = new Map(rows.map((r) => [Number(r.number), r.content_sha256]));
  const sentAt = new Map<number, number>();
  let retries = 0;
  await pooled(numbers, 32, async (number, i) => {
    sentAt.set(number, Date.now());
    const handle = client.workflow.getHandle(filingWorkflowId(firm.participant, number));
    for (let attempt = 0; ; attempt++) {
      try {
        await handle.executeUpdate(decideFilingUpdate, { args: [{ decision: 'approve', contentSha256: content.get(number) ?? '', contactPersonId: contactOf(i), via: 'portal' }] });
        return;
      } catch (err) {
        // What the portal's user would do after a timeout: send it again (the decision is idempotent per content).
        if (!(err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) || attempt >= 5) throw err;
        retries++;
      }
    }
  });
  return { sentAt, retries };
}

/** (b) N real VAT filings: connector → 30 → the portal's approval → simulator → final; (d) the worker's RSS at 30. */
async function realRound(bench: Bench, clients: Firm['clients'], count: number): Promise<RoundFigures['real'] & { rss: RoundFigures['rss'] }> {
  const { system, pool, firm, client, log } = bench;
  const workerPid = system.childPid('worker');
  const baselineKb = rssKb(workerPid);
  const { numbers, postedMs } = await postAndOffer(bench, clients, count, `pipeline n=${count}`);
  // Let the last workflow tasks settle before reading the memory of the worker holding them.
  await new Promise((r) => setTimeout(r, 2000));
  const openKb = rssKb(system.childPid('worker'));
  log(`pipeline n=${count}: ${count} filings awaiting approval (posted in ${(postedMs / 1000).toFixed(1)} s); worker RSS ${baselineKb} → ${openKb} kB`);
  // What the cores are spent on from the first approval until every filing is final (scripts/bench/cpu.ts).
  const parts = () => cpuNow(Object.fromEntries(['worker', 'api', 'simulator', 'temporal'].map((name) => [name, system.childPid(name)])));
  const cpuBefore = parts();
  const cpuFrom = Date.now();
  const hubId = (await pool.query<{ id: string }>('SELECT id FROM hubs WHERE participant_number = $1', [firm.participant])).rows[0].id;
  const followUpsBefore = await followUpCounts(pool, hubId);
  if (bench.profileDir) startProfiles(bench.profileDir);
  const { sentAt, retries } = await approveAll(bench, numbers, (i) => clients[i % clients.length].contactPersonId);
  log(`pipeline n=${count}: approved (${retries} update(s) sent again after a timeout)`);
  type Row = { number: string; lifecycle: number; submitted_at: Date | null; workflow_closed_at: Date | null; last_status_change_at: Date };
  const timeoutMs = Math.max(300_000, count * 3000);
  const deadline = Date.now() + timeoutMs;
  let rows: Row[] = [];
  let lastDone = -1;
  while (Date.now() < deadline) {
    ({ rows } = await pool.query<Row>(
      `SELECT m.number, m.lifecycle, m.submitted_at, m.workflow_closed_at, m.last_status_change_at FROM messages m JOIN hubs h ON h.id = m.hub_id
        WHERE h.participant_number = $1 AND m.number = ANY($2::bigint[])`,
      [firm.participant, numbers],
    ));
    const done = rows.filter((r) => r.workflow_closed_at).length;
    if (done !== lastDone) log(`pipeline n=${count}: ${done} of ${count} final`);
    lastDone = done;
    if (done === count) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const approvalToAck: number[] = [];
  const ackToFinal: number[] = [];
  const ackToStored: number[] = [];
  let lastFinal = 0;
  for (const r of rows) {
    const sent = sentAt.get(Number(r.number));
    const ack = r.submitted_at?.getTime();
    const final = r.workflow_closed_at?.getTime();
    if (sent !== undefined && ack !== undefined) approvalToAck.push(ack - sent);
    if (ack !== undefined && final !== undefined) ackToFinal.push(final - ack);
    // A final lifecycle is the message's last status change.
    if (ack !== undefined && final !== undefined && r.lifecycle === 80) ackToStored.push(r.last_status_change_at.getTime() - ack);
    if (final !== undefined) lastFinal = Math.max(lastFinal, final);
  }
  const cpu = cpuBetween(cpuBefore, parts(), Date.now() - cpuFrom);
  const followUpsAfter = await followUpCounts(pool, hubId);
  const followUps = { taken: followUpsAfter.taken - followUpsBefore.taken, skipped: followUpsAfter.skipped - followUpsBefore.skipped };
  const profiles = bench.profileDir ? await summariseRound(bench.profileDir, log) : undefined;
  const completed = rows.filter((r) => r.workflow_closed_at).length;
  const firstSent = Math.min(...sentAt.values());
  const finished = rows.filter((r) => r.workflow_closed_at && r.lifecycle === 80).map((r) => Number(r.number));
  const sample = await Promise.all(finished.slice(0, 5).map((n) => describeCounts(client, filingWorkflowId(firm.participant, n)).catch(() => ({ historyEvents: undefined, stateTransitions: undefined }))));
  const waits = await sampleTaskWaits(client, finished.map((n) => filingWorkflowId(firm.participant, n)));
  return {
    completed,
    final80: rows.filter((r) => r.lifecycle === 80).length,
    perMinute: completed === count ? perMinute(count, lastFinal - firstSent) : undefined,
    postedPerMinute: perMinute(count, postedMs),
    approvalToAck,
    ackToFinal,
    ackToStored,
    cpu,
    profiles,
    historyEvents: median(sample.map((s) => s.historyEvents)),
    stateTransitions: median(sample.map((s) => s.stateTransitions)),
    taskWaits: waits,
    updateRetries: retries,
    followUps,
    rss: { baselineKb, openKb },
  };
}

/** (a) The engine's ceiling: no-op workflows of the filing's shape, started, offered, approved by update, to the end. */
async function noopRound(bench: Bench, taskQueue: string, shape: FilingShape, count: number): Promise<Latencies> {
  const { client, log } = bench;
  const prefix = `bench-noop-${Date.now()}`;
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  await pooled(ids, 32, async (workflowId) => {
    await client.workflow.start(benchNoopFiling, { workflowId, taskQueue, args: [{ steps: shape.steps }] });
  });
  // Approved once it waits for the approval, as the pipeline's filings are approved once they wait at 30.
  const waiting = new Set(ids);
  await until(`no-op n=${count}: all awaiting approval`, Math.max(120_000, count * 1000), async () => {
    await pooled([...waiting], 32, async (id) => {
      if (await client.workflow.getHandle(id).query(noopAwaitingQuery).catch(() => false)) waiting.delete(id);
    });
    return waiting.size === 0 ? true : undefined;
  }, 500);
  log(`no-op n=${count}: ${count} awaiting approval`);
  const sentAt = new Map<string, number>();
  let retries = 0;
  await pooled(ids, 32, async (id) => {
    sentAt.set(id, Date.now());
    for (let attempt = 0; ; attempt++) {
      try {
        await client.workflow.getHandle(id).executeUpdate(noopApproveUpdate);
        return;
      } catch (err) {
        if (!(err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) || attempt >= 5) throw err;
        retries++;
      }
    }
  });
  const results = new Map<string, NoopFilingResult>();
  await pooled(ids, 64, async (id) => {
    results.set(id, (await client.workflow.getHandle(id).result()) as NoopFilingResult);
  });
  const approvalToAck: number[] = [];
  const ackToFinal: number[] = [];
  for (const [id, r] of results) {
    if (r.ackAt !== null) approvalToAck.push(r.ackAt - sentAt.get(id)!);
    if (r.ackAt !== null) ackToFinal.push(r.finalAt - r.ackAt);
  }
  const lastFinal = Math.max(...[...results.values()].map((r) => r.finalAt));
  const firstSent = Math.min(...sentAt.values());
  const counts = await describeCounts(client, ids[0]).catch(() => ({ historyEvents: undefined, stateTransitions: undefined }));
  const taskWaits = await sampleTaskWaits(client, ids);
  log(`no-op n=${count}: ${results.size} completed`);
  return { completed: results.size, perMinute: perMinute(results.size, lastFinal - firstSent), approvalToAck, ackToFinal, ...counts, taskWaits, updateRetries: retries };
}

export type ProfileSummary = Record<string, { owner: string; share: number }[]>;

/** Stops the round's profiles, and summarises each part's; the profile files stay for a closer look. */
async function summariseRound(dir: string, log: (line: string) => void): Promise<ProfileSummary> {
  const files = await stopProfiles(dir, PROFILED_PARTS);
  const summary: ProfileSummary = {};
  for (const [part, file] of files) {
    const profile = readProfile(file);
    if (profile) summary[part] = summariseProfile(profile);
  }
  log(`CPU profiles in ${dir}`);
  return summary;
}

/**
 * Waits until the hub's current full scan is on record (send_receive_scans, for its work certificate): it may have
 * ended while the clients were still being set up, or run for minutes after. Its calls are known when it was the
 * hub workflow's last run.
 */
async function awaitFirstFullScan(pool: Pool, client: Client, participant: string): Promise<BenchReport['firstFullScan']> {
  const startedAt = Date.now();
  await until('the first full scan', 3_600_000, async () => {
    const { rows } = await pool.query<{ current: boolean }>(
      `SELECT s.certificate_id = c.id AS current FROM hubs h JOIN send_receive_scans s ON s.hub_id = h.id
         JOIN certificates c ON c.hub_id = h.id AND c.is_work_certificate AND c.deleted_at IS NULL
        WHERE h.participant_number = $1`,
      [participant],
    );
    return rows[0]?.current ? true : undefined;
  }, 1000);
  const last = await client.workflow.getHandle(sendReceiveHubWorkflowId(participant)).query(lastSendReceiveQuery).catch(() => undefined);
  return { calls: last?.fullScan ? last.calls : undefined, seconds: Math.round((Date.now() - startedAt) / 1000) };
}

const WORKER_SETTINGS = ['WORKER_MAX_CACHED_WORKFLOWS', 'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS', 'WORKER_MAX_CONCURRENT_ACTIVITIES', 'WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES'] as const;

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const log = options.log;
  const started = Date.now();
  const sizes = options.growth ? [options.n, options.n * 10] : [options.n];
  const perRound = sizes.map((n) => Math.max(1, Math.min(n, options.clients ?? n)));
  const profileDir = options.profile ? path.join(ROOT, 'test-results', 'bench-profiles', new Date().toISOString().replace(/[:.]/g, '-')) : undefined;
  const system = await startLocalSystem({
    name: 'bench',
    log,
    settings: {
      SIMULATOR_STATUS_STEP_MS: String(options.statusStepMs),
      // The bench measures the engine, not the API's rate limit (a setting; see the README).
      API_RATE_LIMIT_PER_MINUTE: '1000000',
      CONNECTOR_RATE_LIMIT_PER_MINUTE: '1000000',
      ...(options.faults > 0 ? { DIGIPOORT_TIMEOUT_MS: '5000' } : {}),
      ...(profileDir ? { NODE_OPTIONS: `--require ${PROFILE_PRELOAD}`, BENCH_PROFILE_DIR: profileDir } : {}),
      // The worker's cache and slots as this shell sets them (e.g. WORKER_MAX_CACHED_WORKFLOWS=200 npm run bench).
      ...Object.fromEntries(WORKER_SETTINGS.filter((name) => envIsSet(name)).map((name) => [name, readEnv(name) as string])),
    },
  });
  const env = withLocalDefaults({ ...system.env });
  const temporal = loadTemporalConfig(env);
  const client = await connectClient(temporal, requireEnv('PAYLOAD_ENCRYPTION_KEYS', env));
  const pool = new Pool({ connectionString: system.databaseUrl, max: 4 });
  let benchWorker: ReturnType<typeof spawnTs> | undefined;
  try {
    const totalClients = 1 + perRound.reduce((a, b) => a + b, 0);
    const firm = await setUpFirm(system, { clients: totalClients, label: 'Bench', sendReceiveIntervalSeconds: 5, portalApproval: true, parallel: 8 });
    log(`hub ${firm.participant} with ${totalClients} clients (portal approval for VAT returns), send/receive every 5 s, simulator status step ${options.statusStepMs} ms`);
    if (options.faults > 0) {
      await injectFaults(system, options.faults);
      log(`${Math.round(options.faults * 100)} % of Digipoort calls failing`);
    }
    const bench: Bench = { system, client, pool, firm, options, log, profileDir };
    // A new hub's first run is a full scan (H7: getProcessen per organisation and message type); on a deadline day it
    // is a daily event, not part of every filing: it runs to its end first, its cost reported on its own.
    const firstFullScan = await awaitFirstFullScan(pool, client, firm.participant);
    log(`first full scan: ${firstFullScan.calls ?? '?'} Digipoort calls, ended ${firstFullScan.seconds} s after the hub was set up`);

    // The filing's shape today: one real filing, approved, to the end; its history is what the no-op replays.
    const probeClient = [firm.clients[0]];
    const probe = await postAndOffer(bench, probeClient, 1, 'probe');
    await approveAll(bench, probe.numbers, () => probeClient[0].contactPersonId);
    const probeId = filingWorkflowId(firm.participant, probe.numbers[0]);
    await client.workflow.getHandle(probeId).result();
    const shape = shapeFromHistory((await client.workflow.getHandle(probeId).fetchHistory()).events ?? []);
    const probeCounts = await describeCounts(client, probeId);
    log(`filing shape: ${JSON.stringify(shape.counts)}; ${probeCounts.historyEvents} events, ${probeCounts.stateTransitions} state transitions`);

    // The bench's own worker for the no-op filing, on its own task queue of the same server.
    const taskQueue = `${temporal.taskQueue}-bench`;
    benchWorker = spawnTs('bench-worker', 'scripts/bench/noop-worker.ts', { ...system.env, TEMPORAL_TASK_QUEUE: taskQueue }, ROOT);
    const worker = benchWorker.process;
    const connection = await Connection.connect({ address: temporal.address });
    await until(
      'the bench worker',
      180_000,
      async () => {
        const described = await connection.workflowService.describeTaskQueue({ namespace: temporal.namespace, taskQueue: { name: taskQueue }, taskQueueType: 1 });
        return described.pollers.length > 0 ? true : undefined;
      },
      500,
      () => (worker.exitCode !== null ? 'it exited' : undefined),
    );
    await connection.close();

    const rounds: RoundFigures[] = [];
    let offset = 1;
    for (const [r, n] of sizes.entries()) {
      const clients = firm.clients.slice(offset, offset + perRound[r]);
      offset += perRound[r];
      const noop = await noopRound(bench, taskQueue, shape, n);
      const { rss, ...real } = await realRound(bench, clients, n);
      rounds.push({ n, noop, real, rss });
    }
    log('signing a 50 kB envelope...');
    const signing = measureSigning(path.join(system.dataDir, 'pki'), (requireEnv('DIGIPOORT_HASH', env) as 'sha1' | 'sha256'));
    return { shape, probe: probeCounts, rounds, signing, firstFullScan, workerTuning: loadWorkerTuning(env), seconds: Math.round((Date.now() - started) / 1000), machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}` };
  } finally {
    if (benchWorker) await stopProcess(benchWorker.process, 10_000);
    await client.connection.close().catch(() => undefined);
    await pool.end();
    await system.stop(options.keep);
  }
}
