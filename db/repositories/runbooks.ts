import { RuleViolation } from '../../domain/errors';
import type { MandateService, MandateState } from '../../domain/mandates';
import type { RunbookInput, RunbookKind, RunbookPhase, RunbookPlan, RunbookStepProgress, RunbookWorld } from '../../domain/runbooks';
import type { Pool, PoolClient } from '../pool';
import { loadCertificateSituation, masterDataOfHub } from './certificates';

/** The runbooks' read model (written by their activities) and the world a plan is computed from. */
type Db = Pool | PoolClient;

export interface RunbookRow {
  id: string;
  hub_id: string;
  kind: RunbookKind;
  primary_certificate_id: string;
  certificate_ids: string[];
  input: RunbookInput;
  plan: RunbookPlan | null;
  phase: RunbookPhase;
  steps: RunbookStepProgress[];
  current_step: string | null;
  progress: number;
  reason: string | null;
  workflow_id: string;
  workflow_run_id: string | null;
  created_by: string;
  confirmed_by: string | null;
  confirmed_at: Date | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

export const TERMINAL_PHASES: readonly RunbookPhase[] = ['completed', 'cancelled', 'failed'];

export async function loadRunbookWorld(db: Db, hubId: string, now: Date): Promise<RunbookWorld> {
  const situation = await loadCertificateSituation(db, hubId);
  const masterData = await masterDataOfHub(db, hubId);
  const { rows: clients } = await db.query<{ id: string; name: string }>('SELECT id, name FROM organisations WHERE hub_id = $1 ORDER BY name, id', [hubId]);
  const { rows: mandates } = await db.query<{
    id: string;
    organisation_id: string;
    service: MandateService;
    year: number;
    continuing: boolean;
    state: MandateState;
    certificate_id: string;
  }>(
    `SELECT id, organisation_id, service, year, continuing, state, certificate_id FROM mandates
      WHERE hub_id = $1 AND state IN ('REQUESTED', 'ONTVANGEN', 'ACTIVE') ORDER BY organisation_id, service, year`,
    [hubId],
  );
  return {
    ...situation,
    clients: clients.map((c) => ({ organisationId: c.id, name: c.name, masterData: masterData.get(c.id) ?? [] })),
    openMandates: mandates.map((m) => ({
      id: m.id,
      organisationId: m.organisation_id,
      service: m.service,
      year: m.year,
      continuing: m.continuing,
      state: m.state,
      certificateId: m.certificate_id,
    })),
    currentYear: now.getUTCFullYear(),
    now,
  };
}

export async function runbookById(db: Db, id: string): Promise<RunbookRow | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const { rows } = await db.query<RunbookRow>('SELECT * FROM runbooks WHERE id = $1', [id]);
  return rows[0];
}

/**
 * Takes the lock of every certificate for the runbook (one runbook per certificate at a time); returns the runbook
 * that holds a certificate already, if any, and then takes nothing.
 */
export async function lockCertificates(client: PoolClient, runbookId: string, certificateIds: readonly string[]): Promise<{ certificateId: string; runbookId: string } | undefined> {
  const { rows } = await client.query<{ certificate_id: string; runbook_id: string }>(
    'SELECT certificate_id, runbook_id FROM runbook_locks WHERE certificate_id = ANY($1) AND runbook_id <> $2 FOR UPDATE',
    [certificateIds, runbookId],
  );
  if (rows[0]) return { certificateId: rows[0].certificate_id, runbookId: rows[0].runbook_id };
  for (const certificateId of certificateIds) {
    await client.query('INSERT INTO runbook_locks (certificate_id, runbook_id) VALUES ($1, $2) ON CONFLICT (certificate_id) DO NOTHING', [certificateId, runbookId]);
  }
  const { rows: taken } = await client.query<{ certificate_id: string; runbook_id: string }>(
    'SELECT certificate_id, runbook_id FROM runbook_locks WHERE certificate_id = ANY($1) AND runbook_id <> $2',
    [certificateIds, runbookId],
  );
  return taken[0] ? { certificateId: taken[0].certificate_id, runbookId: taken[0].runbook_id } : undefined;
}

export async function releaseCertificateLocks(db: Db, runbookId: string): Promise<void> {
  await db.query('DELETE FROM runbook_locks WHERE runbook_id = $1', [runbookId]);
}

/** Phases in which a runbook's plan must not be changed under it: it is planned, waits for confirmation, or runs. */
export const LOCKING_PHASES: readonly RunbookPhase[] = ['planning', 'awaiting-confirmation', 'running'];

/**
 * A write path of the staff API that touches these certificates (groups, work certificate, Becons, master data,
 * mandate requests) is refused while a runbook holds one of them and may still act on its plan. A paused runbook lets
 * staff fix the cause of its failed step; its steps check again when retried.
 */
export async function assertNotLockedByRunbook(db: Db, certificateIds: readonly (string | null | undefined)[]): Promise<void> {
  const ids = [...new Set(certificateIds.filter((id): id is string => typeof id === 'string'))];
  if (ids.length === 0) return;
  const { rows } = await db.query<{ certificate_id: string; label: string; runbook_id: string; kind: RunbookKind; phase: RunbookPhase }>(
    `SELECT l.certificate_id, c.label, l.runbook_id, r.kind, r.phase
       FROM runbook_locks l JOIN runbooks r ON r.id = l.runbook_id JOIN certificates c ON c.id = l.certificate_id
      WHERE l.certificate_id = ANY($1) AND r.phase = ANY($2) ORDER BY c.label, l.certificate_id LIMIT 1`,
    [ids, LOCKING_PHASES],
  );
  const held = rows[0];
  if (held) {
    throw new RuleViolation(
      'RB',
      `certificate "${held.label}" (${held.certificate_id}) is locked by runbook ${held.runbook_id} (${held.kind}, ${held.phase}): wait until it ends, or cancel it; nothing changed`,
      'conflict',
    );
  }
}

export function runbookView(r: RunbookRow) {
  return {
    id: r.id,
    kind: r.kind,
    phase: r.phase,
    workflowId: r.workflow_id,
    primaryCertificateId: r.primary_certificate_id,
    certificateIds: r.certificate_ids,
    input: r.input,
    plan: r.plan,
    steps: r.steps,
    currentStep: r.current_step,
    progress: r.progress,
    reason: r.reason,
    createdBy: r.created_by,
    confirmedBy: r.confirmed_by,
    confirmedAt: r.confirmed_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    finishedAt: r.finished_at?.toISOString() ?? null,
  };
}

// --- staff console ---------------------------------------------------------------------------------------------

/** The hub's runbooks, newest first (the console's list and the JSON API's). */
export async function listRunbooks(db: Db, hubId: string, limit = 200): Promise<RunbookRow[]> {
  const { rows } = await db.query<RunbookRow>('SELECT * FROM runbooks WHERE hub_id = $1 ORDER BY created_at DESC LIMIT $2', [hubId, limit]);
  return rows;
}

/** Every certificate the hub had, deleted ones too (a finished RB3 still names what it removed). */
export async function certificateNamesOf(db: Db, hubId: string): Promise<{ id: string; label: string; kvkNumber: string | null; deleted: boolean }[]> {
  const { rows } = await db.query<{ id: string; label: string; kvk_number: string | null; deleted_at: Date | null }>(
    'SELECT id, label, kvk_number, deleted_at FROM certificates WHERE hub_id = $1 ORDER BY label, created_at',
    [hubId],
  );
  return rows.map((r) => ({ id: r.id, label: r.label, kvkNumber: r.kvk_number, deleted: r.deleted_at !== null }));
}
