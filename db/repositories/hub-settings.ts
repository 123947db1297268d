import { DEFAULT_REMINDER_OFFSETS, type ReminderOffset } from '../../domain/deadlines';
import { FILING_KINDS, FILING_KIND_NAMES, type FilingKind } from '../../domain/filings';
import type { Pool, PoolClient } from '../pool';

/** Per-hub settings beside the hubs row: reminder moments (A1) and message types (A4). */
type Db = Pool | PoolClient;

export interface HubReminderMoments {
  moments: ReminderOffset[];
  /** False: the hub has not chosen its own, these are the defaults. */
  custom: boolean;
  updatedBy: string | null;
  updatedAt: string | null;
}

/** The hub's reminder moments, or the defaults (DEFAULT_REMINDER_OFFSETS) when it has none of its own. */
export async function reminderMomentsOf(db: Db, hubId: string): Promise<HubReminderMoments> {
  const { rows } = await db.query<{ moments: ReminderOffset[]; updated_by: string; updated_at: Date }>(
    'SELECT moments, updated_by, updated_at FROM hub_reminder_moments WHERE hub_id = $1',
    [hubId],
  );
  if (!rows[0]) return { moments: DEFAULT_REMINDER_OFFSETS.map((o) => ({ ...o })), custom: false, updatedBy: null, updatedAt: null };
  return { moments: rows[0].moments, custom: true, updatedBy: rows[0].updated_by, updatedAt: rows[0].updated_at.toISOString() };
}

/** Stores moments already checked by the domain's rule (checkReminderOffsets). */
export async function setReminderMoments(db: Db, hubId: string, moments: readonly ReminderOffset[], by: string): Promise<void> {
  await db.query(
    `INSERT INTO hub_reminder_moments (hub_id, moments, updated_by) VALUES ($1, $2, $3)
     ON CONFLICT (hub_id) DO UPDATE SET moments = EXCLUDED.moments, updated_by = EXCLUDED.updated_by, updated_at = now()`,
    [hubId, JSON.stringify(moments), by],
  );
}

export interface MessageTypeSetting {
  kind: FilingKind;
  berichtsoort: string;
  label: string;
  blocked: boolean;
  approvalWorkflow: 'none' | 'portal';
}

/** Every filing kind with the hub's setting (a missing row: unblocked, no approval). */
export async function messageTypesOf(db: Db, hubId: string): Promise<MessageTypeSetting[]> {
  const { rows } = await db.query<{ kind: string; blocked: boolean; approval_workflow: 'none' | 'portal' }>(
    'SELECT kind, blocked, approval_workflow FROM message_types WHERE hub_id = $1',
    [hubId],
  );
  return FILING_KIND_NAMES.map((kind) => {
    const row = rows.find((r) => r.kind === kind);
    return { kind, berichtsoort: FILING_KINDS[kind].berichtsoort, label: FILING_KINDS[kind].label, blocked: row?.blocked ?? false, approvalWorkflow: row?.approval_workflow ?? ('none' as const) };
  });
}

export async function setMessageType(db: Db, hubId: string, kind: FilingKind, blocked: boolean, approvalWorkflow?: 'none' | 'portal'): Promise<void> {
  await db.query(
    `INSERT INTO message_types (hub_id, kind, blocked, approval_workflow) VALUES ($1, $2, $3, COALESCE($4, 'none'))
     ON CONFLICT (hub_id, kind) DO UPDATE SET blocked = EXCLUDED.blocked, approval_workflow = COALESCE($4, message_types.approval_workflow)`,
    [hubId, kind, blocked, approvalWorkflow ?? null],
  );
}
