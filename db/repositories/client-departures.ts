import type { DepartedMandate, DeparturePhase } from '../../domain/client-departures';
import type { Pool, PoolClient } from '../pool';

/** Departing clients (C6): one row per client, the progress and outcome of its departure workflow. */
type Db = Pool | PoolClient;

export interface DepartureRow {
  id: string;
  hub_id: string;
  organisation_id: string;
  workflow_id: string;
  requested_by: string;
  phase: DeparturePhase;
  mandate_ids: string[];
  mandates_total: number;
  mandates_settled: number;
  portal_tokens_revoked: number | null;
  portal_sessions_revoked: number | null;
  outcome: { mandates: DepartedMandate[]; summary: string } | null;
  reason: string | null;
  runs: number;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

/** The client's departure, if it departs or departed. */
export async function departureOf(db: Db, organisationId: string): Promise<DepartureRow | undefined> {
  const { rows } = await db.query<DepartureRow>('SELECT * FROM client_departures WHERE organisation_id = $1', [organisationId]);
  return rows[0];
}

export async function departureById(db: Db, id: string, forUpdate = false): Promise<DepartureRow | undefined> {
  const { rows } = await db.query<DepartureRow>(`SELECT * FROM client_departures WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0];
}

/**
 * The client's departure: created once (the client row locked, so no mandate request or portal link slips in
 * between), or the existing one. `restarted`: an incomplete one is set to run again.
 */
export async function createOrRestartDeparture(
  db: PoolClient,
  input: { hubId: string; organisationId: string; workflowId: string; requestedBy: string },
): Promise<{ row: DepartureRow; created: boolean; restarted: boolean }> {
  await db.query('SELECT id FROM organisations WHERE id = $1 FOR UPDATE', [input.organisationId]);
  const { rows: existing } = await db.query<DepartureRow>('SELECT * FROM client_departures WHERE organisation_id = $1 FOR UPDATE', [input.organisationId]);
  if (existing[0]) {
    if (existing[0].phase !== 'incomplete') return { row: existing[0], created: false, restarted: false };
    const { rows } = await db.query<DepartureRow>(
      `UPDATE client_departures SET phase = 'starting', reason = NULL, finished_at = NULL, runs = runs + 1, updated_at = now() WHERE id = $1 RETURNING *`,
      [existing[0].id],
    );
    return { row: rows[0], created: false, restarted: true };
  }
  const { rows } = await db.query<DepartureRow>(
    `INSERT INTO client_departures (hub_id, organisation_id, workflow_id, requested_by, phase) VALUES ($1, $2, $3, $4, 'starting') RETURNING *`,
    [input.hubId, input.organisationId, input.workflowId, input.requestedBy],
  );
  return { row: rows[0], created: true, restarted: false };
}

/** The departure's progress as its workflow reports it; a finished departure is not changed by a late report. */
export async function recordDepartureProgress(
  db: Db,
  id: string,
  progress: {
    phase: DeparturePhase;
    mandateIds?: readonly string[];
    total?: number;
    settled?: number;
    portal?: { tokens: number; sessions: number };
    outcome?: { mandates: DepartedMandate[]; summary: string };
    reason?: string | null;
  },
): Promise<DepartureRow | undefined> {
  const finished = progress.phase === 'completed' || progress.phase === 'incomplete';
  const { rows } = await db.query<DepartureRow>(
    `UPDATE client_departures SET phase = $2, mandate_ids = coalesce($3, mandate_ids), mandates_total = coalesce($4, mandates_total),
            mandates_settled = coalesce($5, mandates_settled), portal_tokens_revoked = coalesce($6, portal_tokens_revoked),
            portal_sessions_revoked = coalesce($7, portal_sessions_revoked), outcome = coalesce($8, outcome),
            reason = CASE WHEN $9 THEN $10 ELSE reason END, updated_at = now(),
            finished_at = CASE WHEN $11 THEN now() ELSE NULL END
      WHERE id = $1 AND finished_at IS NULL RETURNING *`,
    [
      id, progress.phase, progress.mandateIds ?? null, progress.total ?? null, progress.settled ?? null, progress.portal?.tokens ?? null,
      progress.portal?.sessions ?? null, progress.outcome ? JSON.stringify(progress.outcome) : null, progress.reason !== undefined,
      progress.reason ?? null, finished,
    ],
  );
  return rows[0];
}

export function departureView(row: DepartureRow) {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    workflowId: row.workflow_id,
    requestedBy: row.requested_by,
    phase: row.phase,
    mandates: { total: row.mandates_total, settled: row.mandates_settled, ids: row.mandate_ids },
    portalAccess:
      row.portal_tokens_revoked === null ? null : { linksRevoked: row.portal_tokens_revoked, sessionsRevoked: row.portal_sessions_revoked ?? 0 },
    outcome: row.outcome,
    reason: row.reason,
    runs: row.runs,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
  };
}

export type DepartureApiView = ReturnType<typeof departureView>;
