import type { LifecycleCode } from '../../domain/lifecycle';
import { inTransaction, type Pool } from '../pool';
import { writeLog } from './communication-log';
import { findHubById } from './hubs';

/** The client portal's reads and writes (api/routes/portal.ts): sessions, a client's filings and notices. */

export interface PortalSessionRow {
  id: string;
  contactPersonId: string;
  contactName: string;
  organisationId: string;
  organisationName: string;
}

/** A live session by the hash of its cookie value (not revoked, not expired). */
export async function portalSessionByHash(pool: Pool, sessionHash: Buffer | string): Promise<PortalSessionRow | undefined> {
  const { rows } = await pool.query<{ id: string; contact_person_id: string; contact_name: string; organisation_id: string; organisation_name: string }>(
    `SELECT s.id, s.contact_person_id, c.name AS contact_name, s.organisation_id, o.name AS organisation_name
       FROM portal_sessions s JOIN contact_persons c ON c.id = s.contact_person_id JOIN organisations o ON o.id = s.organisation_id
      WHERE s.session_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now()`,
    [sessionHash],
  );
  const row = rows[0];
  return row && { id: row.id, contactPersonId: row.contact_person_id, contactName: row.contact_name, organisationId: row.organisation_id, organisationName: row.organisation_name };
}

/**
 * Redeems a login link: single use, the link is spent in the same statement that checks it; then the session is
 * stored (by its hash). Undefined when the link was used, expired, revoked or never existed.
 */
export async function redeemPortalToken(pool: Pool, tokenHash: Buffer | string, sessionHash: Buffer | string, sessionHours: number): Promise<boolean> {
  return inTransaction(pool, async (db) => {
    const { rows } = await db.query<{ id: string; contact_person_id: string; organisation_id: string }>(
      `UPDATE portal_tokens SET used_at = now()
        WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
        RETURNING id, contact_person_id, organisation_id`,
      [tokenHash],
    );
    if (!rows[0]) return false;
    await db.query(
      `INSERT INTO portal_sessions (session_hash, portal_token_id, contact_person_id, organisation_id, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(hours => $5::int))`,
      [sessionHash, rows[0].id, rows[0].contact_person_id, rows[0].organisation_id, sessionHours],
    );
    return true;
  });
}

export async function revokePortalSession(pool: Pool, id: string): Promise<void> {
  await pool.query('UPDATE portal_sessions SET revoked_at = now() WHERE id = $1', [id]);
}

export interface PortalFilingRow {
  id: string;
  number: string;
  kind: string;
  period: string | null;
  lifecycle: LifecycleCode | null;
  digipoort_status: string | null;
  identity_number: string;
  content_xml: string | null;
  content_sha256: string | null;
  due_date: Date | null;
  last_status_change_at: Date;
  input: unknown;
  adopted: boolean;
  workflow_id: string | null;
  hub_id: string | null;
  hub_name: string | null;
}

/** The filings a client reviews (theirs, outgoing, needing approval, not superseded); one of them by id. */
export async function portalFilings(pool: Pool, organisationId: string, id?: string): Promise<PortalFilingRow[]> {
  const { rows } = await pool.query<PortalFilingRow>(
    `SELECT m.id, m.number, m.kind, m.period, m.lifecycle, m.digipoort_status, m.identity_number, m.content_xml, m.content_sha256,
            m.due_date, m.last_status_change_at, m.input, m.workflow_id, m.hub_id, h.name AS hub_name,
            EXISTS (SELECT 1 FROM approval_decisions d WHERE d.message_id = m.id AND d.decision = 'adopted') AS adopted
       FROM messages m LEFT JOIN hubs h ON h.id = m.hub_id
      WHERE m.organisation_id = $1 AND m.direction = 'outgoing' AND m.approval_required AND NOT m.do_not_send
        AND ($2::uuid IS NULL OR m.id = $2)
      ORDER BY m.created_at DESC LIMIT 100`,
    [organisationId, id ?? null],
  );
  return rows;
}

export interface PortalNotice {
  kind: string;
  text: string;
  messageId: string | null;
  createdAt: Date;
}

/**
 * The notices a client still has to read: a notice that asks for a decision ("ready for your review", a reminder)
 * goes once the filing is decided (or superseded); what happened to a filing (rejected by the authority) stays.
 */
export async function openPortalNotices(pool: Pool, organisationId: string, messageId?: string): Promise<PortalNotice[]> {
  const { rows } = await pool.query<{ kind: string; text: string; message_id: string | null; created_at: Date }>(
    `SELECT n.kind, n.text, n.message_id, n.created_at
       FROM portal_notices n LEFT JOIN messages m ON m.id = n.message_id
      WHERE n.organisation_id = $1 AND ($2::uuid IS NULL OR n.message_id = $2)
        AND (n.kind = 'rejected-by-authority' OR (m.lifecycle = 30 AND NOT m.do_not_send))
      ORDER BY n.created_at DESC LIMIT 20`,
    [organisationId, messageId ?? null],
  );
  return rows.map((r) => ({ kind: r.kind, text: r.text, messageId: r.message_id, createdAt: r.created_at }));
}

/** A hub's filings past their due date that still wait for the client (lifecycle 30); `today` is YYYY-MM-DD. */
export async function overdueAwaitingApproval(pool: Pool, hubId: string, today: string): Promise<{ id: string; number: number; kind: string; period: string | null; dueDate: string }[]> {
  const { rows } = await pool.query<{ id: string; number: string; kind: string; period: string | null; due_date: Date }>(
    // Filings whose accountant's e-mail is already queued are left out: every send/receive run asks, each is told once.
    `SELECT m.id, m.number, m.kind, m.period, m.due_date FROM messages m
      WHERE m.hub_id = $1 AND m.direction = 'outgoing' AND m.approval_required AND NOT m.do_not_send AND m.lifecycle = 30 AND m.due_date < $2::date
        AND NOT EXISTS (SELECT 1 FROM email_outbox o WHERE o.dedupe_key = m.id::text || ':overdue')
      ORDER BY m.due_date LIMIT 500`,
    [hubId, today],
  );
  return rows.map((r) => ({ id: r.id, number: Number(r.number), kind: r.kind, period: r.period, dueDate: r.due_date.toISOString().slice(0, 10) }));
}

/**
 * An overdue filing (the due date passed while it waits for the client): the hub's accountant is told by e-mail, once
 * per filing (the outbox's dedupe key), and the log says so. Queued by every send/receive run of the hub (which then
 * sends it) and when the client is shown the filing. Answers whether this call queued it.
 */
export async function queueOverdueMail(pool: Pool, filing: { id: string; number: number; hubId: string | null; what: string; dueDate: string }): Promise<boolean> {
  if (!filing.hubId) return false;
  return inTransaction(pool, async (db) => {
    const hub = await findHubById(db, filing.hubId!);
    if (!hub) return false;
    const to = hub.accountantEmail;
    const log = (level: 'I' | 'F', text: string) =>
      writeLog(db, { hubId: hub.id, environment: hub.environmentCode, messageId: filing.id, messageNumber: filing.number, step: 'process message', level, text });
    if (!to) {
      // Nobody to mail: logged once, the first time the overdue filing is seen.
      const logged = await db.query("SELECT 1 FROM communication_log WHERE message_id = $1 AND text LIKE 'overdue:%' LIMIT 1", [filing.id]);
      if (!logged.rowCount) await log('F', `overdue: not approved by the client by the due date ${filing.dueDate}; no accountant e-mail set for the hub`);
      return false;
    }
    const queued = await db.query(
      `INSERT INTO email_outbox (dedupe_key, hub_id, message_id, recipient, subject, body)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (dedupe_key) DO NOTHING`,
      [
        `${filing.id}:overdue`,
        hub.id,
        filing.id,
        to,
        `Overdue: message ${filing.number} (${filing.what}) not approved, due ${filing.dueDate}`,
        `Message ${filing.number} of hub ${hub.participantNumber} (${filing.what}) was due ${filing.dueDate} and still waits for the client's approval in the portal.\n`,
      ],
    );
    if (!queued.rowCount) return false;
    await log('F', `overdue: not approved by the client by the due date ${filing.dueDate}; e-mail to the accountant (${to}) queued`);
    return true;
  });
}
