import type { Pool, PoolClient } from '../pool';
import type { MessageRow } from './messages';

/** The reminder e-mail of a filing that waits for the client's approval (the portal flow's and the console's alike). */
export function clientReminderMail(what: string, due: string | undefined, contactName: string): { subject: string; body: string } {
  return {
    subject: `Reminder: ${what} waits for your approval (due ${due})`,
    body: `Dear ${contactName},\n\n${what} still waits for your approval in the client portal. It is due ${due}.\n`,
  };
}

export async function contactPersonsOf(db: Pool | PoolClient, organisationId: string | null): Promise<{ id: string; name: string; email: string }[]> {
  if (!organisationId) return [];
  const { rows } = await db.query<{ id: string; name: string; email: string }>(
    'SELECT id, name, email FROM contact_persons WHERE organisation_id = $1 ORDER BY name',
    [organisationId],
  );
  return rows;
}

/**
 * A reminder a person asks for (staff console, API): the portal notice and one e-mail per contact person, queued in
 * the outbox with a personal login link (minted when sent). Keyed by the moment asked, so each request queues once.
 * Answers the number of e-mails queued (0: no contact person).
 */
export async function queueClientReminder(db: PoolClient, row: MessageRow, request: { what: string; by: string; at: Date }): Promise<number> {
  const contacts = await contactPersonsOf(db, row.organisation_id);
  if (!contacts.length) return 0;
  const due = row.due_date?.toISOString().slice(0, 10);
  const moment = `staff-reminder-${request.at.toISOString()}`;
  await db.query(
    'INSERT INTO portal_notices (organisation_id, message_id, kind, text) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
    [row.organisation_id, row.id, moment, `Reminder: ${request.what} waits for your approval; it is due ${due}.`],
  );
  let queued = 0;
  for (const contact of contacts) {
    const mail = clientReminderMail(request.what, due, contact.name);
    const { rowCount } = await db.query(
      `INSERT INTO email_outbox (dedupe_key, hub_id, message_id, recipient, subject, body, login_contact_person_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (dedupe_key) DO NOTHING`,
      [`${row.id}:${moment}:${contact.email}`, row.hub_id, row.id, contact.email, mail.subject, mail.body, contact.id],
    );
    queued += rowCount ?? 0;
  }
  return queued;
}
