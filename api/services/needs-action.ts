import { RuleViolation } from '../../domain/errors';
import { findKind } from '../../domain/kinds';
import { inTransaction } from '../../db/pool';
import { writeLog } from '../../db/repositories/communication-log';
import { findHubById, type Hub } from '../../db/repositories/hubs';
import { messageByNumber, recordSubmission, type Message, type MessageRow } from '../../db/repositories/messages';
import { hubsServingIdentifier, recordHandledMark } from '../../db/repositories/needs-action';
import { queueClientReminder } from '../../db/repositories/reminders';
import { KenmerkClaimed, settleByPerson } from '../../db/repositories/submission-attempts';
import { filingWorkflowId, submissionResolvedSignal } from '../../workflows/filing';
import { HttpError } from '../plugins/errors';
import { routeHeldMessage, type FilingServiceDeps } from './filings';

/**
 * The follow-ups of the "Needs action" inbox, shared by the JSON API and the staff console: an ambiguous submission
 * settled by a person, a held message resolved automatically (H12), a client reminded (A1), a final outcome (40/90)
 * marked handled. Every refusal names its rule and changes nothing.
 */

export type AmbiguousChoice = { how: 'adopted'; kenmerk: string } | { how: 'resend' };

/**
 * After an ambiguous aanleveren that reconcile could not settle (delivery needs_human): adopt one Digipoort process
 * (by kenmerk) or allow a resend; the filing's workflow is told. H10 when nothing waits; H5 for a process of another
 * message; 404 when the hub has no such filing.
 */
export async function resolveAmbiguousSubmission(deps: FilingServiceDeps, hub: Hub, number: number, choice: AmbiguousChoice, by: string): Promise<MessageRow> {
  const row = await inTransaction(deps.pool, async (client) => {
    const current = await messageByNumber(client, hub.id, number, true);
    if (!current || current.direction !== 'outgoing') throw new HttpError(404, `no filing ${number}`);
    if (current.delivery_state !== 'needs_human') throw new RuleViolation('H10', 'only an ambiguous submission waiting for a person can be resolved', 'conflict');
    let settled;
    try {
      settled = await settleByPerson(client, { messageId: current.id }, choice, by);
    } catch (err) {
      if (err instanceof KenmerkClaimed) throw new RuleViolation('H5', err.message, 'conflict');
      throw err;
    }
    if (choice.how === 'adopted') await recordSubmission(client, current, choice.kenmerk, null, settled?.id ?? null);
    else await client.query(`UPDATE messages SET delivery_state = 'ready', attempt_started_at = NULL, needs_action_reason = NULL WHERE id = $1`, [current.id]);
    await writeLog(client, {
      hubId: hub.id,
      environment: hub.environmentCode,
      messageId: current.id,
      messageNumber: Number(current.number),
      step: 'reconcile',
      level: 'I',
      text: choice.how === 'adopted' ? `${by} adopted Digipoort process ${choice.kenmerk}` : `${by} allowed a resend`,
    });
    return (await messageByNumber(client, hub.id, number))!;
  });
  await deps.temporal.workflow
    .getHandle(filingWorkflowId(hub.participantNumber, Number(row.number)))
    .signal(submissionResolvedSignal, { how: row.delivery_state === 'submitted' ? 'adopted' : 'resend' });
  return row;
}

/**
 * H12's automatic resolution: the held message goes to the one hub that has an organisation with the filing's OB or
 * KvK number, under that hub's rules (A1 approval included). Refused with H12 when there is none or more than one,
 * or (`allowedHubIds`, the console) when that hub is not one the person may act for.
 */
export async function resolveHeldAutomatically(deps: FilingServiceDeps, message: MessageRow, actor: string, allowedHubIds?: readonly string[]): Promise<Message> {
  const hubs = await hubsServingIdentifier(deps.pool, message);
  if (hubs.length !== 1) {
    throw new RuleViolation('H12', `${hubs.length === 0 ? 'no hub has' : `${hubs.length} hubs have`} an organisation with ${message.identity_number}; route it by hand`, 'conflict');
  }
  if (allowedHubIds && !allowedHubIds.includes(hubs[0])) {
    throw new RuleViolation('H12', `the one hub with an organisation with ${message.identity_number} is not one of yours; route it by hand`, 'conflict');
  }
  const target = (await findHubById(deps.pool, hubs[0]))!;
  return routeHeldMessage(deps, message.id, target, actor);
}

/** Awaiting the client's approval on the portal: offered for review (30), approval required, not superseded. */
export function awaitsApproval(row: Pick<MessageRow, 'lifecycle' | 'approval_required' | 'do_not_send'>): boolean {
  return row.approval_required && row.lifecycle === 30 && !row.do_not_send;
}

/**
 * A1: reminds the client of a filing that waits for its approval: the portal's reminder e-mail to each contact person
 * (queued in the outbox, sent by the hub's next send/receive), logged (H13). Refused with A1 when the filing does not
 * wait for approval, with A6 when the client has no contact person.
 */
export async function remindClient(deps: FilingServiceDeps, hub: Hub, number: number, by: string): Promise<{ queued: number }> {
  return inTransaction(deps.pool, async (client) => {
    const row = await messageByNumber(client, hub.id, number, true);
    if (!row || row.direction !== 'outgoing') throw new HttpError(404, `no filing ${number}`);
    if (!awaitsApproval(row)) {
      throw new RuleViolation('A1', `only a filing that waits for the client's approval on the portal (lifecycle 30) can be reminded; this one is at lifecycle ${row.lifecycle}`, 'conflict');
    }
    const queued = await queueClientReminder(client, row, { what: labelOf(row), by, at: (deps.clock ?? (() => new Date()))() });
    if (queued === 0) throw new RuleViolation('A6', 'the client has no contact person with portal access to remind', 'conflict');
    await writeLog(client, {
      hubId: hub.id,
      environment: hub.environmentCode,
      messageId: row.id,
      messageNumber: Number(row.number),
      step: 'process message',
      level: 'I',
      text: `client reminded by ${by}: ${queued} e-mail${queued === 1 ? '' : 's'} queued`,
    });
    return { queued };
  });
}

const labelOf = (row: MessageRow) => {
  const kind = findKind(row.kind);
  return kind ? `${kind.label} ${row.period ?? ''}`.trim() : row.kind;
};

/**
 * Marks a final outcome handled, with a note of what the person did: only a client rejection (40) or a refusal by the
 * authority (90), only the latest version (a newer one already follows it up), once. Refused with the rule (K4: 40 and
 * 90 are final) otherwise; 404 when the hub has no such filing.
 */
export async function markFilingHandled(deps: FilingServiceDeps, hub: Hub, number: number, by: string, note: string): Promise<MessageRow> {
  const text = note.trim();
  return inTransaction(deps.pool, async (client) => {
    const row = await messageByNumber(client, hub.id, number, true);
    if (!row || row.direction !== 'outgoing') throw new HttpError(404, `no filing ${number}`);
    if (row.lifecycle !== 40 && row.lifecycle !== 90) {
      throw new RuleViolation('K4', `only a filing rejected by the client (40) or by the authority (90) is marked handled; this one is at lifecycle ${row.lifecycle}`, 'conflict');
    }
    if (!text) throw new RuleViolation('K4', 'write down what was done about the rejection', 'invalid', 'note');
    const { rows: newer } = await client.query('SELECT 1 FROM messages WHERE filing_key = $1 AND version > $2', [row.filing_key, row.version]);
    if (newer[0]) throw new RuleViolation('H11', 'a newer version of this filing exists already: it follows this one up', 'conflict');
    if (!(await recordHandledMark(client, hub, row, by, text))) throw new RuleViolation('K4', 'this filing was marked handled already', 'conflict');
    return row;
  });
}
