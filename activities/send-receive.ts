import { heartbeat } from '@temporalio/activity';
import { withHeartbeat } from './heartbeat';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { mergeStatus, type StatusEvent } from '../domain/digipoort-status';
import { FILING_KINDS } from '../domain/filings';
import type { LifecycleCode } from '../domain/lifecycle';
import { inTransaction, type Pool } from '../db/pool';
import { writeLog } from '../db/repositories/communication-log';
import { applyFreshStatuses, storeStatuses, type OpenMessage, type StatusChange } from './statuses';
import { findHubById, nextMessageNumber, type Hub } from '../db/repositories/hubs';
import { acquireSendReceiveLock, releaseSendReceiveLock } from '../db/repositories/send-receive-locks';
import { WusFault, WusTransportError } from '../integrations/wus/errors';
import type { WusClientPool } from '../integrations/wus/client-pool';
import type { StatusResultaat } from '../integrations/wus/types';
import { claimedKenmerken, laneInFlight } from '../db/repositories/submission-attempts';
import { digipoortStatusChangedSignal, filing, type FilingInput } from '../workflows/filing';

export interface SendReceiveActivityDeps {
  pool: Pool;
  wus: WusClientPool;
  temporal?: Client;
  taskQueue: string;
}

export type { OpenMessage, StatusChange } from './statuses';

/** H9: receiving always looks back 30 days. */
export const RECEIVE_LOOKBACK_DAYS = 30;

/** H7/H9: how often the full scan runs (every process of every organisation, the full history of every open one). */
export const FULL_SCAN_HOURS = 24;

/** Status requests (and filing signals) in flight at once during a run. */
const STATUS_CALL_CONCURRENCY = 4;
const SIGNAL_CONCURRENCY = 8;

export interface SendReceiveRoundInput {
  hubId: string;
  /** The lock's run id: the API's, when it took the lock for an on-demand run; else the hub workflow's own. */
  runId: string;
  trigger: 'schedule' | 'api';
  /** A full scan (H7, H9) now, whether or not one is due. */
  full?: boolean;
}

export interface SendReceiveRoundResult {
  skipped?: 'already running';
  started: number;
  changed: number;
  unknown: number;
  /** Digipoort calls this run made. */
  calls: number;
  fullScan: boolean;
  summary: string;
  /** The hub's send/receive interval as set now. */
  intervalSeconds: number;
  finishedAt: string;
}

/** Runs `work` over `items`, at most `limit` at a time, keeping the order of the results. */
async function mapWithLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const at = next++;
      results[at] = await work(items[at]);
    }
  });
  await Promise.all(lanes);
  return results;
}


export function createSendReceiveActivities(deps: SendReceiveActivityDeps) {
  async function hubOrFail(hubId: string): Promise<Hub> {
    const hub = await findHubById(deps.pool, hubId);
    if (!hub) throw new Error(`hub ${hubId} does not exist`);
    return hub;
  }

  async function workCertificate(hubId: string): Promise<string | undefined> {
    const { rows } = await deps.pool.query<{ id: string }>(
      'SELECT id FROM certificates WHERE hub_id = $1 AND is_work_certificate AND deleted_at IS NULL',
      [hubId],
    );
    return rows[0]?.id;
  }

  /** Send: ready filings whose workflow was not made sure of yet, once per workflow id (not on every run). */
  async function startPending(hub: Hub): Promise<number> {
    if (!deps.temporal) return 0;
    const { rows } = await deps.pool.query<{ id: string; number: string; kind: string; approval_required: boolean; workflow_id: string }>(
      `SELECT id, number, kind, approval_required, workflow_id FROM messages
        WHERE hub_id = $1 AND direction = 'outgoing' AND workflow_closed_at IS NULL AND delivery_state IN ('ready', 'submitting')
          AND workflow_id IS NOT NULL AND start_checked_workflow_id IS DISTINCT FROM workflow_id
          AND created_at < now() - interval '1 minute'`,
      [hub.id],
    );
    let started = 0;
    const checked: { id: string; workflowId: string }[] = [];
    for (const row of rows) {
      const input: FilingInput = { messageId: row.id, participant: hub.participantNumber, number: Number(row.number), kind: row.kind, approvalRequired: row.approval_required };
      try {
        // FAIL, not USE_EXISTING: only a workflow this call really started counts as started.
        await deps.temporal.workflow.start(filing, {
          workflowId: row.workflow_id,
          taskQueue: deps.taskQueue,
          args: [input],
          workflowIdConflictPolicy: 'FAIL',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
        });
        started++;
        checked.push({ id: row.id, workflowId: row.workflow_id });
      } catch (err) {
        // Running (e.g. waiting for the client's approval) or closed with its outcome on record: nothing to start.
        if (err instanceof WorkflowExecutionAlreadyStartedError) checked.push({ id: row.id, workflowId: row.workflow_id });
        // Anything else (Temporal unreachable): looked at again on the next run.
      }
      heartbeat();
    }
    if (checked.length > 0) {
      await deps.pool.query(
        `UPDATE messages m SET start_checked_workflow_id = c.workflow_id FROM unnest($1::uuid[], $2::text[]) AS c(id, workflow_id) WHERE m.id = c.id`,
        [checked.map((c) => c.id), checked.map((c) => c.workflowId)],
      );
    }
    return started;
  }

  /**
   * Receive (H9): every open process of the last 30 days, through Digipoort's per-caller cursor
   * (getNieuweStatussenProces: only what this certificate has not fetched yet), or the full history
   * (getStatussenProces) on a full scan and wherever our record of that cursor is missing or was left marked by a run
   * that did not finish storing. New statuses are stored in one statement and applied in one transaction; the
   * cursor records are cleared only after that commit (at-least-once; storing is idempotent).
   * `leaveFollowed`: a process whose open filing still follows it itself (messages.followed_until) is left to that
   * follow-up; during a deadline-day backlog a scheduled run would otherwise ask Digipoort about each of them twice.
   */
  async function receive(hub: Hub, full: boolean, leaveFollowed = false): Promise<{ changes: StatusChange[]; calls: number }> {
    const { rows } = await deps.pool.query<OpenMessage>(
      `SELECT id, number, kind, kenmerk, certificate_id, workflow_id, workflow_closed_at, lifecycle, digipoort_status, organisation_id, period FROM messages
        WHERE hub_id = $1 AND direction = 'outgoing' AND delivery_state = 'submitted' AND kenmerk IS NOT NULL
          AND submitted_at > now() - make_interval(days => ${RECEIVE_LOOKBACK_DAYS})
          AND NOT ($2 AND workflow_closed_at IS NULL AND followed_until IS NOT NULL AND followed_until > now())
        ORDER BY number`,
      [hub.id, leaveFollowed],
    );
    const changes: StatusChange[] = [];
    let calls = 0;
    const fallback = rows.some((m) => !m.certificate_id) ? await workCertificate(hub.id) : undefined;
    const targets = rows.flatMap((message) => {
      const certificateId = message.certificate_id ?? fallback;
      return certificateId ? [{ message, certificateId }] : [];
    });
    if (targets.length > 0) {
      const certificates = targets.map((t) => t.certificateId);
      const kenmerken = targets.map((t) => t.message.kenmerk);
      const { rows: cursors } = await deps.pool.query<{ certificate_id: string; kenmerk: string }>(
        'SELECT certificate_id, kenmerk FROM status_cursors WHERE hub_id = $1 AND kenmerk = ANY($2) AND fetching_since IS NULL',
        [hub.id, kenmerken],
      );
      const clean = new Set(cursors.map((c) => `${c.certificate_id} ${c.kenmerk}`));
      // Marked before the calls: a run that dies between Digipoort's answer and our commit leaves the mark.
      await deps.pool.query(
        `INSERT INTO status_cursors (hub_id, certificate_id, kenmerk, fetching_since)
         SELECT $1, c, k, now() FROM unnest($2::uuid[], $3::text[]) AS t(c, k)
         ON CONFLICT (hub_id, certificate_id, kenmerk) DO UPDATE SET fetching_since = now()`,
        [hub.id, certificates, kenmerken],
      );
      const answered = await mapWithLimit(targets, STATUS_CALL_CONCURRENCY, async ({ message, certificateId }) => {
        try {
          const { client } = await deps.wus.clientFor(certificateId);
          calls++;
          const statuses = !full && clean.has(`${certificateId} ${message.kenmerk}`)
            ? await client.getNieuweStatussenProces({ kenmerk: message.kenmerk })
            : await client.getStatussenProces({ kenmerk: message.kenmerk });
          heartbeat();
          return { message, certificateId, statuses };
        } catch (err) {
          const text =
            err instanceof WusFault ? `status request refused: ${err.foutcode}` : err instanceof WusTransportError ? `status request failed (${err.failure}): problem at the receiver or the connection, retried on the next run` : (err as Error).message;
          await writeLog(deps.pool, { hubId: hub.id, environment: hub.environmentCode, messageId: message.id, messageNumber: Number(message.number), step: 'receive', level: 'F', text });
          return undefined;
        }
      });
      const ok = answered.filter((a): a is NonNullable<typeof a> => a !== undefined);
      const returned = ok.flatMap((a) => a.statuses.map((status) => ({ message: a.message, status })));
      if (returned.length > 0) {
        await inTransaction(deps.pool, async (client) => {
          const inserted = await storeStatuses(client, hub.id, returned.map(({ message, status }) => ({ messageId: message.id, status })));
          const fresh = new Map<OpenMessage, StatusResultaat[]>();
          for (const i of inserted) {
            const { message, status } = returned[i];
            fresh.set(message, [...(fresh.get(message) ?? []), status]);
          }
          for (const [message, statuses] of fresh) {
            const change = await applyFreshStatuses(client, hub, message, statuses);
            if (change) changes.push(change);
          }
        });
      }
      // Only now, with what they returned committed, are these cursors ours again.
      if (ok.length > 0) {
        await deps.pool.query(
          `UPDATE status_cursors s SET fetching_since = NULL, stored_at = now() FROM unnest($2::uuid[], $3::text[]) AS t(c, k)
            WHERE s.hub_id = $1 AND s.certificate_id = t.c AND s.kenmerk = t.k`,
          [hub.id, ok.map((a) => a.certificateId), ok.map((a) => a.message.kenmerk)],
        );
      }
    }
    // A final status on record whose filing workflow is still open was not taken up: the run that stored it may have
    // died before it could signal (its activity retried, finding nothing new). Told again; taking it up is idempotent.
    const { rows: untold } = await deps.pool.query<{ number: string; workflow_id: string; digipoort_status: string; lifecycle: LifecycleCode }>(
      `SELECT number, workflow_id, digipoort_status, lifecycle FROM messages
        WHERE hub_id = $1 AND direction = 'outgoing' AND delivery_state IN ('final', 'failed') AND digipoort_status IS NOT NULL
          AND workflow_closed_at IS NULL AND workflow_id IS NOT NULL AND last_status_change_at < now() - interval '30 seconds'`,
      [hub.id],
    );
    const told = new Set(changes.map((c) => c.workflowId));
    for (const m of untold) {
      if (!told.has(m.workflow_id)) changes.push({ workflowId: m.workflow_id, number: Number(m.number), code: m.digipoort_status, lifecycle: m.lifecycle, final: true, workflowOpen: true });
    }
    return { changes, calls };
  }

  /** Signals the filing workflows that changed and are still open, a few at a time; a closed one has its status stored. */
  async function signalChanges(changes: StatusChange[]): Promise<number> {
    const temporal = deps.temporal;
    if (!temporal) return 0;
    const open = changes.filter((c) => c.workflowId && c.workflowOpen);
    const sent = await mapWithLimit(open, SIGNAL_CONCURRENCY, async (change) => {
      try {
        await temporal.workflow.getHandle(change.workflowId).signal(digipoortStatusChangedSignal, { code: change.code, lifecycle: change.lifecycle, final: change.final });
        return true;
      } catch {
        // The filing's workflow has finished meanwhile (e.g. a late status after a reset): the status is on record anyway.
        return false;
      }
    });
    return sent.filter(Boolean).length;
  }

  /** H7/H9: a full scan is due when none was made, when the work certificate changed (a new caller), and daily. */
  async function fullScanDue(hubId: string, certificateId: string | undefined): Promise<boolean> {
    const { rows } = await deps.pool.query<{ due: boolean }>(
      `SELECT (certificate_id IS DISTINCT FROM $2::uuid OR full_scan_at < now() - make_interval(hours => ${FULL_SCAN_HOURS})) AS due
         FROM send_receive_scans WHERE hub_id = $1`,
      [hubId, certificateId ?? null],
    );
    return rows[0]?.due ?? true;
  }

  async function markFullScan(hubId: string, certificateId: string | undefined): Promise<void> {
    await deps.pool.query(
      `INSERT INTO send_receive_scans (hub_id, certificate_id, full_scan_at) VALUES ($1, $2, now())
       ON CONFLICT (hub_id) DO UPDATE SET certificate_id = EXCLUDED.certificate_id, full_scan_at = EXCLUDED.full_scan_at`,
      [hubId, certificateId ?? null],
    );
    // Cursor records of processes that are no longer open are of no further use.
    await deps.pool.query(
      `DELETE FROM status_cursors c WHERE c.hub_id = $1
          AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.kenmerk = c.kenmerk AND m.delivery_state = 'submitted')`,
      [hubId],
    );
  }

  async function detectUnknown(hub: Hub, certificateId: string | undefined): Promise<{ found: number; calls: number }> {
    const hubId = hub.id;
    let calls = 0;
    if (!certificateId) return { found: 0, calls };
    const { client } = await deps.wus.clientFor(certificateId);
    const { rows: organisations } = await deps.pool.query<{ ob_number: string | null; kvk_number: string | null }>(
      'SELECT ob_number, kvk_number FROM organisations WHERE hub_id = $1',
      [hubId],
    );
    let found = 0;
    for (const organisation of organisations) {
      for (const spec of Object.values(FILING_KINDS)) {
        const nummer = organisation[spec.identifier.column];
        if (!nummer) continue;
        const lane = { berichtsoort: spec.berichtsoort, identityType: spec.identityType, identityNumber: nummer };
        let processes;
        try {
          calls++;
          processes = await client.getProcessen({ berichtsoort: spec.berichtsoort, identiteitBelanghebbende: { nummer, type: spec.identityType } });
        } catch (err) {
          await writeLog(deps.pool, { hubId, environment: hub.environmentCode, step: 'receive', level: 'F', text: `process list for ${spec.berichtsoort} ${nummer} failed: ${(err as Error).message}` });
          continue;
        }
        if (processes.length === 0) continue;
        // In this order, after the list: an attempt in flight may still claim one of these processes; one that ended
        // before this check has its kenmerk on record, read next.
        if (await laneInFlight(deps.pool, lane)) continue;
        const claimed = await claimedKenmerken(deps.pool, processes.map((p) => p.kenmerk));
        const { rows: kept } = await deps.pool.query<{ kenmerk: string }>('SELECT kenmerk FROM messages WHERE kenmerk = ANY($1)', [processes.map((p) => p.kenmerk)]);
        const known = new Set([...claimed, ...kept.map((k) => k.kenmerk)]);
        const unknown = processes.filter((p) => !known.has(p.kenmerk));
        for (const process of unknown) {
          let statuses: StatusResultaat[];
          try {
            calls++;
            statuses = await client.getStatussenProces({ kenmerk: process.kenmerk });
          } catch (err) {
            // Looked at again on the next run; one unreachable process must not stop the others.
            await writeLog(deps.pool, { hubId, environment: hub.environmentCode, step: 'receive', level: 'F', text: `statuses of unmatched process ${process.kenmerk} could not be read: ${(err as Error).message}` });
            continue;
          }
          const first = statuses.map((s) => Date.parse(s.tijdstempelStatus)).sort((a, b) => a - b)[0];
          if (first === undefined || first < Date.now() - RECEIVE_LOOKBACK_DAYS * 86_400_000) continue;
          await inTransaction(deps.pool, async (db) => {
            const number = await nextMessageNumber(db, hubId);
            let best: StatusEvent | undefined;
            for (const s of statuses) best = mergeStatus(best, { code: s.statuscode, foutcode: s.statusFoutcode?.foutcode, timestamp: s.tijdstempelStatus });
            const { rows: created } = await db.query<{ id: string }>(
              `INSERT INTO messages (hub_id, number, direction, subtype, kind, berichtsoort, lifecycle, delivery_state, identity_number,
                 identity_type, kenmerk, digipoort_status, digipoort_status_at, needs_action_reason)
               VALUES ($1, $2, 'incoming', 'ONB', $3, $4, NULL, 'received', $5, $6, $7, $8, $9, $10)
               ON CONFLICT (kenmerk) DO NOTHING RETURNING id`,
              [hubId, number, spec.kind, spec.berichtsoort, nummer, spec.identityType, process.kenmerk, best?.code ?? null, best?.timestamp ?? null,
                'ONB: a return message that matches no sent message; a person must resolve it'],
            );
            if (!created[0]) return;
            for (const s of statuses) {
              await db.query(
                `INSERT INTO digipoort_statuses (message_id, hub_id, kenmerk, statuscode, tijdstempel_status, statusomschrijving, foutcode,
                   foutbeschrijving, statusdetails) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT DO NOTHING`,
                [created[0].id, hubId, s.kenmerk, s.statuscode, s.tijdstempelStatus, s.statusomschrijving, s.statusFoutcode?.foutcode ?? null,
                  s.statusFoutcode?.foutbeschrijving ?? null, s.statusdetails ?? null],
              );
            }
            await writeLog(db, {
              hubId,
              environment: hub.environmentCode,
              messageId: created[0].id,
              messageNumber: number,
              step: 'process message',
              level: 'F',
              text: `unknown return message (ONB) for ${spec.berichtsoort} ${nummer}, kenmerk ${process.kenmerk}, status ${best?.code}: matches no sent message; resolve it`,
            });
            found++;
          });
          heartbeat();
        }
      }
    }
    return { found, calls };
  }

  return {
    /** H8: the lock of a scheduled run (an on-demand run gets its lock from the API before it starts). */
    async acquireSendReceiveLock({ hubId, runId }: { hubId: string; runId: string }): Promise<boolean> {
      return acquireSendReceiveLock(deps.pool, hubId, runId);
    },

    async releaseSendReceiveLock({ hubId, runId }: { hubId: string; runId: string }): Promise<void> {
      await releaseSendReceiveLock(deps.pool, hubId, runId);
    },

    /** Send: every prepared message whose filing workflow has not started (e.g. the API stopped in between) gets one. */
    async startPendingFilings({ hubId }: { hubId: string }): Promise<number> {
      return withHeartbeat(async () => startPending(await hubOrFail(hubId)));
    },

    /** Receive: the new statuses of every open process of the last 30 days (H9), stored once, highest applied (H6). */
    async receiveStatuses({ hubId }: { hubId: string }): Promise<StatusChange[]> {
      return withHeartbeat(async () => (await receive(await hubOrFail(hubId), false)).changes);
    },

    /**
     * One send/receive run of the hub (H8): the lock, send what was not started, receive the new statuses, signal the
     * filings that changed, and on a full scan (due daily, or asked for) look for unknown return messages (H7).
     * Returns the hub's interval too, so the hub's workflow follows the setting.
     */
    async sendReceiveRound(input: SendReceiveRoundInput): Promise<SendReceiveRoundResult> {
      return withHeartbeat(async () => {
        const hub = await hubOrFail(input.hubId);
        const base = { intervalSeconds: hub.sendReceiveIntervalSeconds, started: 0, changed: 0, unknown: 0, calls: 0, fullScan: false };
        if (!(await acquireSendReceiveLock(deps.pool, hub.id, input.runId))) {
          return { ...base, skipped: 'already running', summary: 'skipped, another send/receive is running (H8)', finishedAt: new Date().toISOString() };
        }
        try {
          const started = await startPending(hub);
          const certificateId = await workCertificate(hub.id);
          const full = Boolean(input.full) || (await fullScanDue(hub.id, certificateId));
          // A scheduled run leaves fresh processes to their filings' own follow-up; run-now and full scans ask all.
          const received = await receive(hub, full, input.trigger === 'schedule' && !full);
          const signalled = await signalChanges(received.changes);
          let unknown = 0;
          let calls = received.calls;
          if (full) {
            const detected = await detectUnknown(hub, certificateId);
            unknown = detected.found;
            calls += detected.calls;
            await markFullScan(hub.id, certificateId);
          }
          const summary =
            `send/receive (${input.trigger}${full ? ', full scan' : ''}): ${started} started, ${received.changes.length} status changes` +
            ` (${signalled} signalled), ${unknown} unknown return messages, ${calls} Digipoort calls`;
          await writeLog(deps.pool, { hubId: hub.id, environment: hub.environmentCode, step: 'send-receive', level: unknown > 0 ? 'F' : 'I', text: summary });
          return { ...base, started, changed: received.changes.length, unknown, calls, fullScan: full, summary, finishedAt: new Date().toISOString() };
        } finally {
          await releaseSendReceiveLock(deps.pool, hub.id, input.runId);
        }
      });
    },

    /**
     * H7: return messages that match no sent message are kept as separate messages of subtype ONB, for a person.
     * Looks at every process of the hub's organisations in every message type (H9), last 30 days. A kenmerk claimed by
     * any message or attempt (an earlier attempt of a reset filing included) is never unknown, and a lane whose
     * attempt was in flight during the look is left for the next run: that attempt's reconcile may claim the process.
     */
    async detectUnknownProcesses({ hubId }: { hubId: string }): Promise<number> {
      return withHeartbeat(async () => (await detectUnknown(await hubOrFail(hubId), await workCertificate(hubId))).found);
    },

    async logSendReceive({ hubId, level, text }: { hubId: string; level: 'I' | 'F'; text: string }): Promise<void> {
      const hub = await hubOrFail(hubId);
      await writeLog(deps.pool, { hubId, environment: hub.environmentCode, step: 'send-receive', level, text });
    },
  };
}

export type SendReceiveActivities = ReturnType<typeof createSendReceiveActivities>;
