import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { decisionProblem, dueDateFor, type ClientDecision } from '../domain/approval';
import type { ReminderKind, ReminderOffset } from '../domain/deadlines';
import { findKind, type FilingKind } from '../domain/kinds';
import { lifecycleLabel, type LifecycleCode } from '../domain/lifecycle';
import { inTransaction, type Pool, type PoolClient } from '../db/pool';
import { writeLogs } from '../db/repositories/communication-log';
import { reminderMomentsOf } from '../db/repositories/hub-settings';
import { findHubById } from '../db/repositories/hubs';
import { messageById, type MessageRow } from '../db/repositories/messages';
import type { Mailer } from '../integrations/email/mailer';
import { issuePortalToken, portalLoginLink } from '../db/repositories/portal-tokens';
import { clientReminderMail } from '../db/repositories/reminders';
import { kindContent, type StoredKvkDocument } from '../integrations/xbrl/kinds';
import { departureOf } from '../db/repositories/client-departures';
import { overdueAwaitingApproval, queueOverdueMail } from '../db/repositories/portal';

export interface PortalActivityDeps {
  pool: Pool;
  mailer?: Mailer;
  /** The API's public base URL: e-mails to contact persons carry a personal portal login link on it. */
  publicUrl?: string;
  clock?: () => Date;
}

export interface PublishOutcome {
  lifecycle: LifecycleCode;
  contentSha256: string;
  adopted: boolean;
  dueDate: string;
  /** The hub's reminder moments (A1); absent in results recorded before hubs had their own: the defaults then. */
  reminderOffsets?: ReminderOffset[];
}

/** How long the login link in an e-mail works. */
const MAIL_LINK_HOURS = 72;

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

export function createPortalActivities(deps: PortalActivityDeps) {
  const now = () => (deps.clock ?? (() => new Date()))();

  async function load(db: Pool | PoolClient, messageId: string, forUpdate = false): Promise<MessageRow> {
    const row = await messageById(db, messageId, forUpdate);
    if (!row) throw ApplicationFailure.nonRetryable(`message ${messageId} does not exist`, 'MessageMissing');
    return row;
  }

  /** Writes log lines of the message in one statement (the hub's environment is read in it). */
  async function log(db: Pool | PoolClient, row: MessageRow, level: 'I' | 'F', lines: string | string[]) {
    const texts = typeof lines === 'string' ? [lines] : lines;
    await writeLogs(db, texts.map((text) => ({ hubId: row.hub_id, messageId: row.id, messageNumber: Number(row.number), step: 'process message' as const, level, text })));
  }

  function label(row: MessageRow): string {
    const kind = findKind(row.kind);
    return kind ? `${kind.label} ${row.period ?? ''}`.trim() : row.kind;
  }

  /** Queues e-mails in the outbox (one per dedupe key, however often this runs), then tries to send what is pending. */
  async function queueMail(db: PoolClient, row: MessageRow, mails: { key: string; to: string; subject: string; body: string; loginFor?: string }[]) {
    for (const mail of mails) {
      await db.query(
        `INSERT INTO email_outbox (dedupe_key, hub_id, message_id, recipient, subject, body, login_contact_person_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (dedupe_key) DO NOTHING`,
        [mail.key, row.hub_id, row.id, mail.to, mail.subject, mail.body, mail.loginFor ?? null],
      );
    }
  }

  async function contactEmails(db: Pool | PoolClient, organisationId: string | null): Promise<{ id: string; name: string; email: string }[]> {
    if (!organisationId) return [];
    const { rows } = await db.query<{ id: string; name: string; email: string }>(
      'SELECT id, name, email FROM contact_persons WHERE organisation_id = $1 ORDER BY name',
      [organisationId],
    );
    return rows;
  }

  /**
   * A personal login link, minted when the mail is actually sent: the outbox keeps no token, only the token's hash is
   * stored (with its expiry), and a mail that is never sent leaves no usable link behind.
   */
  async function loginLinkText(db: PoolClient, contactPersonId: string | null): Promise<string> {
    if (!contactPersonId || !deps.publicUrl) return '';
    const { rows } = await db.query<{ organisation_id: string }>('SELECT organisation_id FROM contact_persons WHERE id = $1', [contactPersonId]);
    if (!rows[0]) return '';
    // C6: a departing client's contact persons get the mail, but no new way into the portal.
    if (await departureOf(db, rows[0].organisation_id)) return '';
    const issued = await issuePortalToken(db, { contactPersonId, organisationId: rows[0].organisation_id, validHours: MAIL_LINK_HOURS, createdBy: 'e-mail' });
    return `\nOpen the client portal with your personal link (it works once and expires in ${MAIL_LINK_HOURS} hours):\n${portalLoginLink(deps.publicUrl, issued.token)}\n`;
  }

  async function pendingMails(hubId: string | null): Promise<number> {
    const { rows } = await deps.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM email_outbox WHERE sent_at IS NULL AND hub_id IS NOT DISTINCT FROM $1',
      [hubId],
    );
    return rows[0].n;
  }

  /**
   * Sends a hub's pending e-mails, each at most once per call: a mail that fails (a refused address, SMTP down) waits
   * for the next call instead of using up its attempts in one go or holding up the mails behind it.
   */
  async function flushOutbox(hubId: string | null, limit = 50): Promise<{ sent: number; pending: number }> {
    if (!deps.mailer) return { sent: 0, pending: await pendingMails(hubId) };
    let sent = 0;
    const tried: string[] = [];
    for (let i = 0; i < limit; i++) {
      const done = await inTransaction(deps.pool, async (db) => {
        const { rows } = await db.query<{ id: string; recipient: string; subject: string; body: string; login_contact_person_id: string | null }>(
          `SELECT id, recipient, subject, body, login_contact_person_id FROM email_outbox
            WHERE sent_at IS NULL AND attempts < 20 AND hub_id IS NOT DISTINCT FROM $1 AND NOT (id = ANY($2::uuid[]))
            ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
          [hubId, tried],
        );
        const mail = rows[0];
        if (!mail) return false;
        tried.push(mail.id);
        // A link minted for a mail that then fails is undone with it: no working token that nobody received.
        await db.query('SAVEPOINT sending');
        try {
          const link = await loginLinkText(db, mail.login_contact_person_id);
          await deps.mailer!.send({ to: mail.recipient, subject: mail.subject, text: mail.body + link });
          await db.query('UPDATE email_outbox SET sent_at = now(), attempts = attempts + 1 WHERE id = $1', [mail.id]);
          sent++;
        } catch (err) {
          await db.query('ROLLBACK TO SAVEPOINT sending');
          await db.query('UPDATE email_outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1', [mail.id, String((err as Error).message).slice(0, 500)]);
        }
        return true;
      });
      if (!done) break;
    }
    return { sent, pending: await pendingMails(hubId) };
  }

  return {
    /**
     * A1: the filing goes on the portal (0 → 10 → 20 → 30: offered to the client for review), with its due date; the
     * client's contact persons get a notice and an e-mail.
     */
    async publishToPortal({ messageId }: { messageId: string }): Promise<PublishOutcome> {
      const outcome = await inTransaction(deps.pool, async (db) => {
        const row = await load(db, messageId, true);
        const kind = row.kind as FilingKind;
        const input = (row.input ?? {}) as { document?: StoredKvkDocument };
        const dueDate =
          row.due_date?.toISOString().slice(0, 10) ??
          dueDateFor(kind, row.period ?? '', {
            preparedOn: row.created_at.toISOString().slice(0, 10),
            financialYearEnd: input.document?.financialYear.end,
            adoptionDate: input.document?.adoptionDate,
          });
        if ((row.lifecycle ?? 0) < 30) {
          await db.query(`UPDATE messages SET lifecycle = 30, due_date = $2, last_status_change_at = now() WHERE id = $1`, [messageId, dueDate]);
          await log(db, row, 'I', ['10: sent to the portal', '20: processed in the portal', `30: offered to the client for review (due ${dueDate})`]);
          const what = label(row);
          await db.query(
            `INSERT INTO portal_notices (organisation_id, message_id, kind, text) VALUES ($1, $2, 'published', $3) ON CONFLICT DO NOTHING`,
            [row.organisation_id, messageId, `${what} is ready for your review (due ${dueDate}).`],
          );
          await queueMail(
            db,
            row,
            (await contactEmails(db, row.organisation_id)).map((contact) => ({
              key: `${messageId}:published:${contact.email}`,
              to: contact.email,
              subject: `${what}: please review and approve`,
              body: `Dear ${contact.name},\n\n${what} is ready for your review in the client portal. Please approve or reject it before ${dueDate}.\n`,
              loginFor: contact.id,
            })),
          );
        }
        const adopted = Boolean((await db.query("SELECT 1 FROM approval_decisions WHERE message_id = $1 AND decision = 'adopted' AND content_sha256 = $2", [messageId, row.content_sha256])).rowCount);
        const reminderOffsets = row.hub_id ? (await reminderMomentsOf(db, row.hub_id)).moments : undefined;
        return { hubId: row.hub_id, published: { lifecycle: 30 as LifecycleCode, contentSha256: row.content_sha256 ?? '', adopted, dueDate, reminderOffsets } };
      });
      await flushOutbox(outcome.hubId);
      return outcome.published;
    },

    /**
     * Records the client's decision (A1, K3), bound to the content it was shown: approve → 50, reject → 40 (final),
     * adopt (KvK) → the annual report is rebuilt as adopted and needs the final approval on that new content.
     */
    async recordDecision({ messageId, decision }: { messageId: string; decision: ClientDecision }): Promise<{ lifecycle: LifecycleCode; contentSha256: string; adopted: boolean }> {
      let mailFor: string | null | undefined;
      const outcome = await inTransaction(deps.pool, async (db) => {
        const row = await load(db, messageId, true);
        const adoptedBefore = Boolean(
          (await db.query("SELECT 1 FROM approval_decisions WHERE message_id = $1 AND decision = 'adopted'", [messageId])).rowCount,
        );
        const problem = decisionProblem(
          { awaiting: row.lifecycle === 30 && !row.do_not_send, kind: row.kind, contentSha256: row.content_sha256, adopted: adoptedBefore },
          decision,
        );
        if (problem) throw ApplicationFailure.nonRetryable(problem, 'StaleDecision');
        const who = decision.via === 'operator' ? 'an operator (on behalf of the client)' : 'the client';
        const record = (kind: 'approved' | 'rejected' | 'adopted', sha: string) =>
          db.query(
            `INSERT INTO approval_decisions (message_id, content_sha256, decision, reason, contact_person_id, decided_via) VALUES ($1, $2, $3, $4, $5, $6)`,
            [messageId, sha, kind, decision.reason ?? null, decision.contactPersonId ?? null, decision.via],
          );
        const kind = findKind(row.kind);
        const authority = kind?.receiver ?? 'belastingdienst';
        if (decision.decision === 'adopt') {
          const input = row.input as { document: StoredKvkDocument; instance?: string };
          await record('adopted', row.content_sha256 ?? '');
          let content: string | undefined;
          try {
            // decisionProblem let only a kind adopted before approval get here: it declares how its content changes.
            const adopted = kind && kindContent(kind.kind).adoptedContent;
            if (!adopted) throw new Error(`${row.kind} is not adopted`);
            content = adopted({ identityNumber: row.identity_number, input: row.input, filingDate: now().toISOString().slice(0, 10) });
          } catch (err) {
            // Deterministic: retrying cannot help. The filing keeps waiting; the accountant must prepare a corrected one.
            throw ApplicationFailure.nonRetryable(`K3: the adopted annual report cannot be built: ${(err as Error).message}`, 'DecisionRefused');
          }
          if (content === undefined) {
            // The stored content already records the adoption (a ready instance, checked when prepared): confirmed.
            await log(db, row, 'I', `K3: annual accounts adopted, confirmed by ${who}; awaiting the final approval`);
            return { lifecycle: 30 as LifecycleCode, contentSha256: row.content_sha256 ?? '', adopted: true };
          }
          const newSha = sha256(content);
          await db.query('UPDATE messages SET content_xml = $2, content_sha256 = $3, last_status_change_at = now() WHERE id = $1', [messageId, content, newSha]);
          await log(db, row, 'I', `K3: annual accounts adopted by ${who} (adopted on ${input.document.adoptionDate}); awaiting the final approval`);
          return { lifecycle: 30 as LifecycleCode, contentSha256: newSha, adopted: true };
        }
        if (decision.decision === 'approve') {
          await record('approved', row.content_sha256 ?? '');
          await db.query('UPDATE messages SET lifecycle = 50, last_status_change_at = now() WHERE id = $1', [messageId]);
          await log(db, row, 'I', `50: ${lifecycleLabel(50, authority)} (approved by ${who})`);
          return { lifecycle: 50 as LifecycleCode, contentSha256: row.content_sha256 ?? '', adopted: adoptedBefore };
        }
        await record('rejected', row.content_sha256 ?? '');
        await db.query(`UPDATE messages SET lifecycle = 40, delivery_state = 'final', last_status_change_at = now() WHERE id = $1`, [messageId]);
        await log(db, row, 'I', `40: rejected by ${who}: ${decision.reason}`);
        // The portal tells the client their accountant is informed: the hub's accountant gets the reason by e-mail.
        const hub = row.hub_id ? await findHubById(db, row.hub_id) : undefined;
        const to = hub?.accountantEmail;
        const what = label(row);
        if (to) {
          await queueMail(db, row, [
            {
              key: `${messageId}:rejected`,
              to,
              subject: `Rejected: message ${row.number} (${what}) was rejected by ${who}`,
              body: `Message ${row.number} of hub ${hub?.participantNumber} (${what}) was rejected by ${who}. The reason given:\n\n${decision.reason ?? ''}\n\nNothing was sent; a corrected filing is needed.\n`,
            },
          ]);
        }
        await log(db, row, 'I', to ? `rejection: e-mail to the accountant (${to}) queued` : 'rejection: no e-mail, no accountant e-mail set for the hub');
        mailFor = row.hub_id;
        return { lifecycle: 40 as LifecycleCode, contentSha256: row.content_sha256 ?? '', adopted: adoptedBefore };
      });
      // Sent now if it can be; otherwise with the hub's next send/receive (the decision is recorded either way).
      if (mailFor !== undefined) await flushOutbox(mailFor).catch(() => undefined);
      return outcome;
    },

    /** A reminder before the deadline: a portal notice and an e-mail to the client, or an escalation to the accountant. */
    async sendReminder({ messageId, kind, daysBefore }: { messageId: string; kind: ReminderKind; daysBefore: number }): Promise<void> {
      const hubId = await inTransaction(deps.pool, async (db) => {
        const row = await load(db, messageId, true);
        if (row.lifecycle !== 30) return row.hub_id;
        const what = label(row);
        const due = row.due_date?.toISOString().slice(0, 10);
        const state = kind === 'client-reminder' ? `client-reminded-${daysBefore}d` : `escalated-${daysBefore}d`;
        await db.query('UPDATE messages SET reminder_state = $2 WHERE id = $1', [messageId, state]);
        if (kind === 'client-reminder') {
          await db.query(
            `INSERT INTO portal_notices (organisation_id, message_id, kind, text) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
            [row.organisation_id, messageId, state, `Reminder: ${what} waits for your approval; it is due ${due}.`],
          );
          await queueMail(
            db,
            row,
            (await contactEmails(db, row.organisation_id)).map((contact) => ({
              key: `${messageId}:${state}:${contact.email}`,
              to: contact.email,
              ...clientReminderMail(what, due, contact.name),
              loginFor: contact.id,
            })),
          );
          await log(db, row, 'I', `client reminded ${daysBefore} days before the due date ${due}`);
        } else {
          const hub = row.hub_id ? await findHubById(db, row.hub_id) : undefined;
          const to = hub?.accountantEmail;
          if (to) {
            await queueMail(db, row, [
              {
                key: `${messageId}:${state}`,
                to,
                subject: `Escalation: message ${row.number} (${what}) not yet approved, due ${due}`,
                body: `Message ${row.number} of hub ${hub?.participantNumber} (${what}) has not been approved by the client; it is due ${due}.\n`,
              },
            ]);
          }
          await log(db, row, 'F', `escalated to the accountant${to ? ` (${to})` : ' (no accountant e-mail set for the hub)'}: not approved ${daysBefore} day(s) before the due date ${due}`);
        }
        return row.hub_id;
      });
      await flushOutbox(hubId);
    },

    /**
     * Sends the hub's pending e-mails (run by every send/receive of the hub, so failures are retried), after queueing
     * the accountant's e-mail for each filing that became overdue while it waits for the client (once per filing).
     */
    async flushEmailOutbox({ hubId }: { hubId: string }): Promise<{ sent: number; pending: number }> {
      for (const f of await overdueAwaitingApproval(deps.pool, hubId, now().toISOString().slice(0, 10))) {
        const what = `${findKind(f.kind)?.label ?? f.kind} ${f.period ?? ''}`.trim();
        await queueOverdueMail(deps.pool, { id: f.id, number: f.number, hubId, what, dueDate: f.dueDate });
      }
      return flushOutbox(hubId);
    },
  };
}

export type PortalActivities = ReturnType<typeof createPortalActivities>;
