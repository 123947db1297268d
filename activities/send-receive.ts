import { heartbeat } from '@temporalio/activity';
import { withHeartbeat } from './heartbeat';
import type { Client } from '@temporalio/client';
import { mergeStatus, type StatusEvent } from '../domain/digipoort-status';
import { applyProcessStatuses, type OpenMessage, type StatusChange } from './statuses';
import { FILING_KINDS } from '../domain/filings';
import type { LifecycleCode } from '../domain/lifecycle';
import { inTransaction, type Pool } from '../db/pool';
import { writeLog } from '../db/repositories/communication-log';
import { findHubById, nextMessageNumber, type Hub } from '../db/repositories/hubs';
import { acquireSendReceiveLock, releaseSendReceiveLock } from '../db/repositories/send-receive-locks';
import { WusFault, WusTransportError } from '../integrations/wus/errors';
import type { WusClientPool } from '../integrations/wus/client-pool';
import type { StatusResultaat } from '../integrations/wus/types';
import { claimedKenmerken, laneInFlight } from '../db/repositories/submission-attempts';
import { filing, filingWorkflowId, type FilingInput } from '../workflows/filing';

export interface SendReceiveActivityDeps {
  pool: Pool;
  wus: WusClientPool;
  temporal?: Client;
  taskQueue: string;
}

/** H9: receiving always looks back 30 days. */
export const RECEIVE_LOOKBACK_DAYS = 30;

export type { OpenMessage, StatusChange } from './statuses';

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

  /** Stores new raw statuses (once each) and applies only the highest to the message (H5, H6): activities/statuses.ts. */
  const applyStatuses = (hub: Hub, message: OpenMessage, results: StatusResultaat[]) => applyProcessStatuses(deps.pool, hub, message, results);

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
      return withHeartbeat(async () => {
        if (!deps.temporal) return 0;
        const hub = await hubOrFail(hubId);
        const { rows } = await deps.pool.query<{ id: string; number: string; kind: string; approval_required: boolean; created_at: Date }>(
          `SELECT id, number, kind, approval_required, created_at FROM messages
            WHERE hub_id = $1 AND direction = 'outgoing' AND workflow_closed_at IS NULL AND delivery_state IN ('ready', 'submitting')
              AND created_at < now() - interval '1 minute'`,
          [hubId],
        );
        let started = 0;
        for (const row of rows) {
          const input: FilingInput = { messageId: row.id, participant: hub.participantNumber, number: Number(row.number), kind: row.kind, approvalRequired: row.approval_required };
          try {
            await deps.temporal.workflow.start(filing, {
              workflowId: filingWorkflowId(hub.participantNumber, Number(row.number)),
              taskQueue: deps.taskQueue,
              args: [input],
              workflowIdConflictPolicy: 'USE_EXISTING',
              workflowIdReusePolicy: 'REJECT_DUPLICATE',
            });
            started++;
          } catch {
            // A closed run exists: its outcome is on record; nothing to start.
          }
          heartbeat();
        }
        return started;
      });
    },

    /** Receive: all statuses of every open process of the last 30 days (H9), stored once, highest applied (H6). */
    async receiveStatuses({ hubId }: { hubId: string }): Promise<StatusChange[]> {
      return withHeartbeat(async () => {
        const hub = await hubOrFail(hubId);
        const { rows } = await deps.pool.query<OpenMessage>(
          `SELECT id, number, kind, kenmerk, certificate_id, workflow_id, lifecycle, digipoort_status, organisation_id, period FROM messages
            WHERE hub_id = $1 AND direction = 'outgoing' AND delivery_state = 'submitted' AND kenmerk IS NOT NULL
              AND submitted_at > now() - make_interval(days => ${RECEIVE_LOOKBACK_DAYS})
            ORDER BY number`,
          [hubId],
        );
        const changes: StatusChange[] = [];
        const fallback = await workCertificate(hubId);
        for (const message of rows) {
          const certificateId = message.certificate_id ?? fallback;
          if (!certificateId) continue;
          try {
            const { client } = await deps.wus.clientFor(certificateId);
            // The full history each time: idempotent, so a run that dies halfway loses nothing (getNieuwe* would).
            const results = await client.getStatussenProces({ kenmerk: message.kenmerk });
            const change = await applyStatuses(hub, message, results);
            if (change) changes.push(change);
          } catch (err) {
            const text =
              err instanceof WusFault ? `status request refused: ${err.foutcode}` : err instanceof WusTransportError ? `status request failed (${err.failure}): problem at the receiver or the connection, retried on the next run` : (err as Error).message;
            await writeLog(deps.pool, { hubId, environment: hub.environmentCode, messageId: message.id, messageNumber: Number(message.number), step: 'receive', level: 'F', text });
          }
          heartbeat();
        }
        // A final status on record whose filing workflow is still open was not taken up: the run that stored it may have
        // died before it could signal (its activity retried, finding nothing new). Told again; taking it up is idempotent.
        const { rows: untold } = await deps.pool.query<{ number: string; workflow_id: string; digipoort_status: string; lifecycle: LifecycleCode }>(
          `SELECT number, workflow_id, digipoort_status, lifecycle FROM messages
            WHERE hub_id = $1 AND direction = 'outgoing' AND delivery_state IN ('final', 'failed') AND digipoort_status IS NOT NULL
              AND workflow_closed_at IS NULL AND workflow_id IS NOT NULL AND last_status_change_at < now() - interval '30 seconds'`,
          [hubId],
        );
        const told = new Set(changes.map((c) => c.workflowId));
        for (const m of untold) {
          if (!told.has(m.workflow_id)) changes.push({ workflowId: m.workflow_id, number: Number(m.number), code: m.digipoort_status, lifecycle: m.lifecycle, final: true });
        }
        return changes;
      });
    },

    /**
     * H7: return messages that match no sent message are kept as separate messages of subtype ONB, for a person.
     * Looks at every process of the hub's organisations in every message type (H9), last 30 days. A kenmerk claimed by
     * any message or attempt (an earlier attempt of a reset filing included) is never unknown, and a lane whose
     * attempt was in flight during the look is left for the next run: that attempt's reconcile may claim the process.
     */
    async detectUnknownProcesses({ hubId }: { hubId: string }): Promise<number> {
      return withHeartbeat(async () => {
        const hub = await hubOrFail(hubId);
        const certificateId = await workCertificate(hubId);
        if (!certificateId) return 0;
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
        return found;
      });
    },

    async logSendReceive({ hubId, level, text }: { hubId: string; level: 'I' | 'F'; text: string }): Promise<void> {
      const hub = await hubOrFail(hubId);
      await writeLog(deps.pool, { hubId, environment: hub.environmentCode, step: 'send-receive', level, text });
    },
  };
}

export type SendReceiveActivities = ReturnType<typeof createSendReceiveActivities>;
