import type { DeliveryState } from '../../domain/filings';
import type { LifecycleCode } from '../../domain/lifecycle';
import type { Pool, PoolClient } from '../pool';
import { writeLog } from './communication-log';

export interface MessageRow {
  id: string;
  hub_id: string | null;
  number: string | null;
  direction: 'outgoing' | 'incoming';
  subtype: 'ONB' | null;
  administration_id: string | null;
  organisation_id: string | null;
  kind: string;
  berichtsoort: string;
  period: string | null;
  filing_key: string | null;
  version: number;
  lifecycle: LifecycleCode | null;
  digipoort_status: string | null;
  digipoort_status_at: Date | null;
  delivery_state: DeliveryState;
  do_not_send: boolean;
  approval_required: boolean;
  identity_number: string;
  identity_type: string;
  role: string;
  input: unknown;
  content_xml: string | null;
  content_sha256: string | null;
  aanleverkenmerk: string | null;
  kenmerk: string | null;
  submitted_at: Date | null;
  attempt: number;
  attempt_started_at: Date | null;
  certificate_id: string | null;
  workflow_id: string | null;
  workflow_closed_at: Date | null;
  needs_action_reason: string | null;
  resolution: string | null;
  resolved_at: Date | null;
  created_at: Date;
  last_status_change_at: Date;
  due_date: Date | null;
  reminder_state: string | null;
}

export interface Message {
  id: string;
  hubId: string | null;
  number: number | null;
  direction: 'outgoing' | 'incoming';
  subtype: 'ONB' | null;
  administrationId: string | null;
  organisationId: string | null;
  kind: string;
  berichtsoort: string;
  period: string | null;
  filingKey: string | null;
  version: number;
  lifecycle: LifecycleCode | null;
  digipoortStatus: string | null;
  digipoortStatusAt: string | null;
  deliveryState: DeliveryState;
  doNotSend: boolean;
  approvalRequired: boolean;
  identityNumber: string;
  identityType: string;
  role: string;
  contentSha256: string | null;
  aanleverkenmerk: string | null;
  kenmerk: string | null;
  submittedAt: string | null;
  attempt: number;
  attemptStartedAt: string | null;
  certificateId: string | null;
  workflowId: string | null;
  workflowClosedAt: string | null;
  needsActionReason: string | null;
  resolution: string | null;
  resolvedAt: string | null;
  createdAt: string;
  lastStatusChangeAt: string;
  dueDate: string | null;
  reminderState: string | null;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function toMessage(r: MessageRow): Message {
  return {
    id: r.id,
    hubId: r.hub_id,
    number: r.number === null ? null : Number(r.number),
    direction: r.direction,
    subtype: r.subtype,
    administrationId: r.administration_id,
    organisationId: r.organisation_id,
    kind: r.kind,
    berichtsoort: r.berichtsoort,
    period: r.period,
    filingKey: r.filing_key,
    version: r.version,
    lifecycle: r.lifecycle,
    digipoortStatus: r.digipoort_status,
    digipoortStatusAt: iso(r.digipoort_status_at),
    deliveryState: r.delivery_state,
    doNotSend: r.do_not_send,
    approvalRequired: r.approval_required,
    identityNumber: r.identity_number,
    identityType: r.identity_type,
    role: r.role,
    contentSha256: r.content_sha256,
    aanleverkenmerk: r.aanleverkenmerk,
    kenmerk: r.kenmerk,
    submittedAt: iso(r.submitted_at),
    attempt: r.attempt,
    attemptStartedAt: iso(r.attempt_started_at),
    certificateId: r.certificate_id,
    workflowId: r.workflow_id,
    workflowClosedAt: iso(r.workflow_closed_at),
    needsActionReason: r.needs_action_reason,
    resolution: r.resolution,
    resolvedAt: iso(r.resolved_at),
    createdAt: r.created_at.toISOString(),
    lastStatusChangeAt: r.last_status_change_at.toISOString(),
    dueDate: r.due_date ? r.due_date.toISOString().slice(0, 10) : null,
    reminderState: r.reminder_state,
  };
}

export async function messageById(db: Pool | PoolClient, id: string, forUpdate = false): Promise<MessageRow | undefined> {
  const { rows } = await db.query<MessageRow>(`SELECT * FROM messages WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0];
}

export async function messageByNumber(db: Pool | PoolClient, hubId: string, number: number, forUpdate = false): Promise<MessageRow | undefined> {
  const { rows } = await db.query<MessageRow>(
    `SELECT * FROM messages WHERE hub_id = $1 AND number = $2${forUpdate ? ' FOR UPDATE' : ''}`,
    [hubId, number],
  );
  return rows[0];
}

export interface StatusEventView {
  statuscode: string;
  statusomschrijving: string;
  tijdstempelStatus: string;
  foutcode: string | null;
  foutbeschrijving: string | null;
  hasDetails: boolean;
  /** The Digipoort process (kenmerk) and the attempt that made it (H5: statuses correlate to the attempt). */
  kenmerk: string;
  attempt: number | null;
}

export async function statusHistory(db: Pool | PoolClient, messageId: string): Promise<StatusEventView[]> {
  const { rows } = await db.query<{
    statuscode: string;
    statusomschrijving: string;
    tijdstempel_status: Date;
    foutcode: string | null;
    foutbeschrijving: string | null;
    has_details: boolean;
    kenmerk: string;
    attempt: number | null;
  }>(
    `SELECT s.statuscode, s.statusomschrijving, s.tijdstempel_status, s.foutcode, s.foutbeschrijving, s.statusdetails IS NOT NULL AS has_details,
            s.kenmerk, a.attempt
       FROM digipoort_statuses s LEFT JOIN submission_attempts a ON a.id = s.attempt_id
      WHERE s.message_id = $1 ORDER BY s.tijdstempel_status, s.id`,
    [messageId],
  );
  return rows.map((r) => ({
    statuscode: r.statuscode,
    statusomschrijving: r.statusomschrijving,
    tijdstempelStatus: r.tijdstempel_status.toISOString(),
    foutcode: r.foutcode,
    foutbeschrijving: r.foutbeschrijving,
    hasDetails: r.has_details,
    kenmerk: r.kenmerk,
    attempt: r.attempt,
  }));
}

export interface AttachmentView {
  id: string;
  direction: 'outgoing' | 'incoming';
  filename: string;
  mimeType: string;
  size: number;
  createdAt: string;
  /** Outgoing (H14): when it went to the authority with the filing; null while not, or when it is kept only. */
  sentAt: string | null;
}

export async function attachments(db: Pool | PoolClient, messageId: string): Promise<AttachmentView[]> {
  const { rows } = await db.query<{ id: string; direction: 'outgoing' | 'incoming'; filename: string; mime_type: string; size: number; created_at: Date; sent_at: Date | null }>(
    `SELECT id, direction, filename, mime_type, octet_length(content) AS size, created_at, sent_at FROM message_attachments
      WHERE message_id = $1 ORDER BY created_at, id`,
    [messageId],
  );
  return rows.map((r) => ({
    id: r.id,
    direction: r.direction,
    filename: r.filename,
    mimeType: r.mime_type,
    size: Number(r.size),
    createdAt: r.created_at.toISOString(),
    sentAt: iso(r.sent_at),
  }));
}

/**
 * The message went out as `kenmerk` (sent, adopted by reconcile or by a person): submitted, lifecycle 60. A return
 * message already kept as unknown (ONB) for that kenmerk belongs to it after all: its statuses move over, to the
 * attempt that made the process.
 */
export async function recordSubmission(
  db: PoolClient,
  message: { id: string; number: string | number | null },
  kenmerk: string,
  receivedAt: string | null,
  attemptId: string | null,
  /** How long the filing itself follows the process from now (issue 10); 0: not at all, the hub's send/receive asks. */
  followedForMs = 0,
): Promise<void> {
  const adopted = await db.query<{ id: string }>(
    `UPDATE messages SET resolution = $1, resolved_at = now(), kenmerk = NULL WHERE kenmerk = $2 AND subtype = 'ONB' RETURNING id`,
    [`correlated with message ${message.number}`, kenmerk],
  );
  for (const onb of adopted.rows) {
    await db.query('UPDATE digipoort_statuses SET message_id = $1, attempt_id = $3 WHERE message_id = $2', [message.id, onb.id, attemptId]);
  }
  await db.query(
    `UPDATE messages SET delivery_state = 'submitted', kenmerk = $2, submitted_at = coalesce($3, submitted_at, now()), lifecycle = 60,
            needs_action_reason = NULL, last_status_change_at = now(),
            followed_until = CASE WHEN $4::int > 0 THEN now() + make_interval(secs => $4::int / 1000.0) END WHERE id = $1`,
    [message.id, kenmerk, receivedAt, Math.round(followedForMs)],
  );
}

export interface FilingFilter {
  kind?: string;
  period?: string;
  lifecycle?: number;
  deliveryState?: string;
  organisationId?: string;
  administrationId?: string;
  /** Past its due date and not final (lifecycle 40, 80, 90 are final). */
  overdueOn?: string;
}

function filingWhere(hubId: string, f: FilingFilter): { sql: string; values: unknown[] } {
  return {
    sql: `hub_id = $1 AND direction = 'outgoing'
      AND ($2::text IS NULL OR kind = $2) AND ($3::text IS NULL OR period = $3) AND ($4::int IS NULL OR lifecycle = $4)
      AND ($5::text IS NULL OR delivery_state = $5) AND ($6::uuid IS NULL OR organisation_id = $6)
      AND ($7::uuid IS NULL OR administration_id = $7)
      AND ($8::date IS NULL OR (due_date < $8 AND NOT do_not_send AND coalesce(lifecycle, 0) NOT IN (40, 80, 90)))`,
    values: [hubId, f.kind ?? null, f.period ?? null, f.lifecycle ?? null, f.deliveryState ?? null, f.organisationId ?? null, f.administrationId ?? null, f.overdueOn ?? null],
  };
}

/** The hub's filings, newest number first (the staff API's list and the console's list). */
export async function listFilings(db: Pool | PoolClient, hubId: string, filter: FilingFilter, page: { limit: number; offset: number }): Promise<MessageRow[]> {
  const where = filingWhere(hubId, filter);
  const { rows } = await db.query<MessageRow>(`SELECT * FROM messages WHERE ${where.sql} ORDER BY number DESC LIMIT $9 OFFSET $10`, [...where.values, page.limit, page.offset]);
  return rows;
}

export async function countFilings(db: Pool | PoolClient, hubId: string, filter: FilingFilter): Promise<number> {
  const where = filingWhere(hubId, filter);
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages WHERE ${where.sql}`, where.values);
  return rows[0].n;
}

export interface DecisionView {
  decision: 'approved' | 'rejected' | 'adopted';
  reason: string | null;
  contentSha256: string;
  decidedVia: 'portal' | 'operator';
  contactPerson: string | null;
  decidedAt: string;
}

/** The client's decisions on a message (A1, K3), oldest first, with the contact person's name. */
export async function approvalDecisions(db: Pool | PoolClient, messageId: string): Promise<DecisionView[]> {
  const { rows } = await db.query<{
    decision: DecisionView['decision']; reason: string | null; content_sha256: string; decided_via: DecisionView['decidedVia']; name: string | null; decided_at: Date;
  }>(
    `SELECT d.decision, d.reason, d.content_sha256, d.decided_via, c.name, d.decided_at
       FROM approval_decisions d LEFT JOIN contact_persons c ON c.id = d.contact_person_id
      WHERE d.message_id = $1 ORDER BY d.decided_at, d.id`,
    [messageId],
  );
  return rows.map((r) => ({
    decision: r.decision,
    reason: r.reason,
    contentSha256: r.content_sha256,
    decidedVia: r.decided_via,
    contactPerson: r.name,
    decidedAt: r.decided_at.toISOString(),
  }));
}

export interface VersionRow {
  number: number;
  version: number;
  lifecycle: number | null;
  deliveryState: string;
  doNotSend: boolean;
}

/** Every version of the filing a message belongs to (H11). */
export async function filingVersions(db: Pool | PoolClient, filingKey: string | null): Promise<VersionRow[]> {
  const { rows } = await db.query<{ number: string; version: number; lifecycle: number | null; delivery_state: string; do_not_send: boolean }>(
    'SELECT number, version, lifecycle, delivery_state, do_not_send FROM messages WHERE filing_key = $1 ORDER BY version',
    [filingKey],
  );
  return rows.map((v) => ({ number: Number(v.number), version: v.version, lifecycle: v.lifecycle, deliveryState: v.delivery_state, doNotSend: v.do_not_send }));
}

/** The hub's unknown return messages (ONB, H7) that no person has resolved yet, oldest first. */
export async function unresolvedOnbMessages(db: Pool | PoolClient, hubId: string): Promise<MessageRow[]> {
  const { rows } = await db.query<MessageRow>(
    `SELECT * FROM messages WHERE hub_id = $1 AND subtype = 'ONB' AND resolved_at IS NULL ORDER BY created_at, number`,
    [hubId],
  );
  return rows;
}

/** The hub's messages of one kind of list (outgoing, incoming, ONB, unresolved ONB), newest number first. */
export async function listMessages(
  db: Pool | PoolClient,
  hubId: string,
  filter: { direction?: 'outgoing' | 'incoming'; subtype?: 'ONB'; unresolved?: boolean; limit: number },
): Promise<MessageRow[]> {
  const { rows } = await db.query<MessageRow>(
    `SELECT * FROM messages WHERE hub_id = $1 AND ($2::text IS NULL OR direction = $2) AND ($3::text IS NULL OR subtype = $3)
        AND (NOT $4 OR (subtype = 'ONB' AND resolved_at IS NULL))
      ORDER BY number DESC LIMIT $5`,
    [hubId, filter.direction ?? null, filter.subtype ?? null, filter.unresolved ?? false, filter.limit],
  );
  return rows;
}

/**
 * H7: a person resolves an unknown return message with a note of what they did; logged (H13). Undefined when the
 * hub has no unresolved ONB message with that number.
 */
export async function resolveOnbMessage(
  db: Pool,
  hub: { id: string; environmentCode: string },
  number: number,
  by: string,
  note: string,
): Promise<MessageRow | undefined> {
  const { rows } = await db.query<MessageRow>(
    `UPDATE messages SET resolution = $3, resolved_at = now()
      WHERE hub_id = $1 AND number = $2 AND subtype = 'ONB' AND resolved_at IS NULL RETURNING *`,
    [hub.id, number, `${by}: ${note}`],
  );
  if (!rows[0]) return undefined;
  await writeLog(db, { hubId: hub.id, environment: hub.environmentCode, messageId: rows[0].id, messageNumber: number, step: 'process message', level: 'I', text: `ONB message resolved by ${by}: ${note}` });
  return rows[0];
}

/**
 * What waits for a person: held messages (H12, no hub yet: those of the hub's administrations) and ambiguous
 * submissions (needs_human). `hubId` null: every hub's.
 */
export async function needsActionMessages(db: Pool | PoolClient, hubId: string | null): Promise<MessageRow[]> {
  const { rows } = await db.query<MessageRow>(
    `SELECT m.* FROM messages m LEFT JOIN administrations a ON a.id = m.administration_id
      WHERE m.delivery_state IN ('held', 'needs_human') AND ($1::uuid IS NULL OR a.hub_id = $1 OR m.hub_id = $1) ORDER BY m.created_at`,
    [hubId],
  );
  return rows;
}
