import { ApplicationFailure } from '@temporalio/activity';
import { departureOutcome, type DepartedMandate, type DeparturePhase } from '../domain/client-departures';
import { OPEN_MANDATE_STATES, type MandateService, type MandateState } from '../domain/mandates';
import { inTransaction, type Pool, type PoolClient } from '../db/pool';
import { departureById, recordDepartureProgress, type DepartureRow } from '../db/repositories/client-departures';
import { writeLog } from '../db/repositories/communication-log';
import { markMandatesForRevocation, type MandateTarget } from '../db/repositories/mandates';
import { revokePortalAccess } from '../db/repositories/portal-tokens';

export interface ClientDepartureActivityDeps {
  pool: Pool;
}

export const DEPARTURE_FAILURES = { missing: 'DepartureMissing' } as const;

/** What the departure's workflow shows of itself (ids and counts only). */
export interface DepartureProgress {
  phase: DeparturePhase;
  total: number;
  settled: number;
  reason: string | null;
}

/**
 * A departing client (C6): its portal access ends, every open mandate is marked for revocation (each revoked by its
 * own mandate workflow), and the outcome is recorded once they settled. Each activity is idempotent.
 */
export function createClientDepartureActivities(deps: ClientDepartureActivityDeps) {
  async function load(db: Pool | PoolClient, departureId: string, forUpdate = false): Promise<DepartureRow> {
    const row = await departureById(db, departureId, forUpdate);
    if (!row) throw ApplicationFailure.nonRetryable(`departure ${departureId} does not exist`, DEPARTURE_FAILURES.missing);
    return row;
  }

  async function log(db: Pool | PoolClient, row: DepartureRow, level: 'I' | 'F', text: string) {
    await writeLog(db, { hubId: row.hub_id, step: 'process message', level, text: `departure of client ${row.organisation_id}: ${text}` });
  }

  return {
    /** Ends the client's portal access: its unused links and open sessions are revoked (counted over every run). */
    async endDepartingClientPortalAccess({ departureId }: { departureId: string }): Promise<{ tokens: number; sessions: number }> {
      return inTransaction(deps.pool, async (db) => {
        const row = await load(db, departureId, true);
        const revoked = await revokePortalAccess(db, row.organisation_id);
        await db.query(
          `UPDATE client_departures SET portal_tokens_revoked = coalesce(portal_tokens_revoked, 0) + $2,
                  portal_sessions_revoked = coalesce(portal_sessions_revoked, 0) + $3, phase = 'revoking-mandates', updated_at = now()
            WHERE id = $1 AND finished_at IS NULL`,
          [departureId, revoked.tokens, revoked.sessions],
        );
        await log(db, row, 'I', `portal access ended: ${revoked.tokens} link(s) and ${revoked.sessions} session(s) revoked`);
        return revoked;
      });
    },

    /**
     * Marks every open mandate of the client for revocation (a held request is withdrawn by it) and answers those
     * whose workflows must act. No new request can be made for the client meanwhile: its departure exists.
     */
    async markDepartingClientRevocations({ departureId }: { departureId: string }): Promise<{ targets: MandateTarget[]; total: number; settled: number }> {
      return inTransaction(deps.pool, async (db) => {
        const row = await load(db, departureId, true);
        await db.query('SELECT id FROM organisations WHERE id = $1 FOR UPDATE', [row.organisation_id]);
        const { rows } = await db.query<{ id: string }>(
          'SELECT id FROM mandates WHERE organisation_id = $1 AND hub_id = $2 AND state = ANY($3) ORDER BY created_at, id',
          [row.organisation_id, row.hub_id, OPEN_MANDATE_STATES],
        );
        const targets = await markMandatesForRevocation(db, rows.map((r) => r.id), `departure ${departureId}`);
        const ids = [...new Set([...row.mandate_ids, ...targets.map((t) => t.mandateId)])];
        await recordDepartureProgress(db, departureId, { phase: 'revoking-mandates', mandateIds: ids, total: ids.length, settled: ids.length - targets.length });
        await log(db, row, 'I', `${targets.length} open mandate(s) to revoke`);
        return { targets, total: ids.length, settled: ids.length - targets.length };
      });
    },

    /** Progress as the workflow has it (the API's read model). */
    async recordClientDeparture({ departureId, progress }: { departureId: string; progress: DepartureProgress }): Promise<void> {
      await recordDepartureProgress(deps.pool, departureId, { phase: progress.phase, settled: progress.settled, reason: progress.reason });
    },

    /**
     * The outcome, from the mandates' records: complete when none of them is open any more, incomplete otherwise
     * (a revocation the register refused, or one that did not settle in time); asking for the departure again runs it
     * again for those.
     */
    async finishClientDeparture({ departureId, reason }: { departureId: string; reason: string | null }): Promise<DepartureProgress> {
      return inTransaction(deps.pool, async (db) => {
        const row = await load(db, departureId, true);
        const { rows } = await db.query<{ id: string; service: MandateService; year: number; state: MandateState; reason: string | null; revoke_failed_reason: string | null }>(
          'SELECT id, service, year, state, reason, revoke_failed_reason FROM mandates WHERE id = ANY($1) ORDER BY created_at, id',
          [row.mandate_ids],
        );
        const mandates: DepartedMandate[] = rows.map((m) => ({ mandateId: m.id, service: m.service, year: m.year, state: m.state, reason: m.revoke_failed_reason ?? m.reason }));
        const outcome = departureOutcome(mandates, { tokens: row.portal_tokens_revoked ?? 0, sessions: row.portal_sessions_revoked ?? 0 });
        const phase: DeparturePhase = outcome.complete ? 'completed' : 'incomplete';
        const settled = mandates.length - mandates.filter((m) => OPEN_MANDATE_STATES.includes(m.state)).length;
        const why = outcome.complete ? null : (reason ?? 'not every mandate was revoked: ask for the departure again to retry');
        await recordDepartureProgress(db, departureId, { phase, settled, outcome: { mandates: outcome.mandates, summary: outcome.summary }, reason: why });
        await log(db, row, outcome.complete ? 'I' : 'F', `${phase}: ${outcome.summary}`);
        return { phase, total: mandates.length, settled, reason: why };
      });
    },
  };
}

export type ClientDepartureActivities = ReturnType<typeof createClientDepartureActivities>;
