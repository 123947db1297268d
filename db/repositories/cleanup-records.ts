import type { LifecycleCode } from '../../domain/lifecycle';
import type { Pool, PoolClient } from '../pool';

/** H15: a message as cleanup weighs it: its status, since when, whether its process runs, its attachments. */
export interface CleanupCandidateRow {
  id: string;
  number: number;
  kind: string;
  period: string | null;
  direction: 'outgoing' | 'incoming';
  lifecycle: LifecycleCode | null;
  approvalRequired: boolean;
  /** When it reached its status: its last status change (never before its creation). */
  finalisedAt: Date;
  daysInStatus: number;
  processRunning: boolean;
  attachments: number;
}

/** One message a cleanup removed (or a dry run would remove), and why: kept in the record. */
export interface CleanedMessage {
  id: string;
  number: number;
  kind: string;
  period: string | null;
  direction: string;
  lifecycle: LifecycleCode | null;
  lifecycleLabel: string | null;
  finalisedAt: string;
  attachments: number;
  reason: string;
}

export interface CleanupRecord {
  id: string;
  requestedBy: string;
  createdAt: string;
  dryRun: boolean;
  fiscalOverride: boolean;
  olderThanDays: number;
  messageCount: number;
  attachmentCount: number;
  messageNumbers: number[];
  messages: CleanedMessage[];
}

/** Every message of the hub, locked for the cleanup's transaction. */
export async function lockCleanupCandidates(db: PoolClient, hubId: string): Promise<CleanupCandidateRow[]> {
  const { rows } = await db.query<{
    id: string; number: string; kind: string; period: string | null; direction: 'outgoing' | 'incoming'; lifecycle: LifecycleCode | null;
    approval_required: boolean; finalised_at: Date; days_in_status: number; running: boolean; attachments: number;
  }>(
    `SELECT m.id, m.number, m.kind, m.period, m.direction, m.lifecycle, m.approval_required,
            greatest(m.created_at, m.last_status_change_at) AS finalised_at,
            EXTRACT(EPOCH FROM (now() - greatest(m.created_at, m.last_status_change_at))) / 86400 AS days_in_status,
            (m.direction = 'outgoing' AND m.workflow_closed_at IS NULL) AS running,
            (SELECT count(*)::int FROM message_attachments a WHERE a.message_id = m.id) AS attachments
       FROM messages m WHERE m.hub_id = $1 ORDER BY m.number FOR UPDATE`,
    [hubId],
  );
  return rows.map((r) => ({
    id: r.id,
    number: Number(r.number),
    kind: r.kind,
    period: r.period,
    direction: r.direction,
    lifecycle: r.lifecycle,
    approvalRequired: r.approval_required,
    finalisedAt: r.finalised_at,
    daysInStatus: Number(r.days_in_status),
    processRunning: r.running,
    attachments: r.attachments,
  }));
}

/** Irreversible: the messages and, with them, their attachments and raw statuses. */
export async function deleteMessages(db: PoolClient, ids: readonly string[]): Promise<void> {
  if (ids.length) await db.query('DELETE FROM messages WHERE id = ANY($1)', [ids]);
}

export async function insertCleanupRecord(
  db: PoolClient,
  record: { hubId: string; requestedBy: string; dryRun: boolean; fiscalOverride: boolean; olderThanDays: number; messages: CleanedMessage[] },
): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO cleanup_records (hub_id, requested_by, dry_run, fiscal_override, older_than_days, message_count, attachment_count, message_numbers, messages)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
    [
      record.hubId, record.requestedBy, record.dryRun, record.fiscalOverride, record.olderThanDays, record.messages.length,
      record.messages.reduce((n, m) => n + m.attachments, 0), record.messages.map((m) => m.number), JSON.stringify(record.messages),
    ],
  );
  return rows[0].id;
}

interface RecordRow {
  id: string;
  requested_by: string;
  created_at: Date;
  dry_run: boolean;
  fiscal_override: boolean;
  older_than_days: number;
  message_count: number;
  attachment_count: number;
  message_numbers: string[];
  messages: CleanedMessage[];
}

const COLUMNS = 'id, requested_by, created_at, dry_run, fiscal_override, older_than_days, message_count, attachment_count, message_numbers, messages';

function toRecord(r: RecordRow): CleanupRecord {
  return {
    id: r.id,
    requestedBy: r.requested_by,
    createdAt: r.created_at.toISOString(),
    dryRun: r.dry_run,
    fiscalOverride: r.fiscal_override,
    olderThanDays: r.older_than_days,
    messageCount: r.message_count,
    attachmentCount: r.attachment_count,
    messageNumbers: r.message_numbers.map(Number),
    messages: r.messages,
  };
}

/** A hub's cleanup records, newest first. */
export async function cleanupRecords(db: Pool | PoolClient, hubId: string, limit: number): Promise<CleanupRecord[]> {
  const { rows } = await db.query<RecordRow>(`SELECT ${COLUMNS} FROM cleanup_records WHERE hub_id = $1 ORDER BY created_at DESC, id LIMIT $2`, [hubId, limit]);
  return rows.map(toRecord);
}

/** One record of the hub (undefined for another hub's). */
export async function cleanupRecord(db: Pool | PoolClient, hubId: string, id: string): Promise<CleanupRecord | undefined> {
  const { rows } = await db.query<RecordRow>(`SELECT ${COLUMNS} FROM cleanup_records WHERE hub_id = $1 AND id = $2`, [hubId, id]);
  return rows[0] ? toRecord(rows[0]) : undefined;
}
