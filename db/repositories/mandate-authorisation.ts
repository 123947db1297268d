import { assertAuthorisable, assertAuthorisationRefusable, refusedAuthorisationReason } from '../../domain/mandate-authorisation';
import { RuleViolation } from '../../domain/errors';
import type { Pool, PoolClient } from '../pool';
import { writeLog } from './communication-log';
import { currentMessage, mandateById, messagesOf, type MandateRow } from './mandates';

/** C6 four eyes on mandate requests: the hub's setting and the second person's decision on a held request. */
type Db = Pool | PoolClient;

export interface MandateSettings {
  authorisationRequired: boolean;
}

export async function mandateSettingsOf(db: Db, hubId: string): Promise<MandateSettings> {
  const { rows } = await db.query<{ mandate_authorisation_required: boolean }>('SELECT mandate_authorisation_required FROM hubs WHERE id = $1', [hubId]);
  return { authorisationRequired: rows[0]?.mandate_authorisation_required ?? false };
}

export async function setMandateSettings(db: Db, hubId: string, settings: MandateSettings): Promise<MandateSettings> {
  await db.query('UPDATE hubs SET mandate_authorisation_required = $2 WHERE id = $1', [hubId, settings.authorisationRequired]);
  return mandateSettingsOf(db, hubId);
}

export interface AuthorisationDecision {
  decision: 'authorise' | 'refuse';
  by: string;
  /** The staff token (API) or the console account that decides. */
  byToken?: string;
  byAccount?: string;
  reason?: string;
}

const factsOf = (m: MandateRow) => ({ state: m.state, authorisation: m.authorisation, requestedByToken: m.requested_by_token, requestedByAccount: m.requested_by_account });

/**
 * The second person's decision, on the record first (the mandate's workflow follows it): authorised releases the
 * request to be sent; refused closes it as REJECTED with its unsent request failed, so nothing ever goes out.
 * Refused (RuleViolation, nothing changed) when the rules do not allow it.
 */
export async function decideAuthorisation(db: PoolClient, hubId: string, mandateId: string, decision: AuthorisationDecision): Promise<MandateRow | undefined> {
  const m = await mandateById(db, mandateId, true);
  if (!m || m.hub_id !== hubId) return undefined;
  if (decision.decision === 'authorise') assertAuthorisable(factsOf(m), { token: decision.byToken ?? null, account: decision.byAccount ?? null });
  else assertAuthorisationRefusable(factsOf(m));
  const request = currentMessage(await messagesOf(db, mandateId), 'request');
  // A held request is never handed to Digipoort; anything else means the record and the rule disagree.
  if (request && request.delivery_state !== 'ready') {
    throw new RuleViolation('C6', `the request is ${request.delivery_state} already: it is not waiting for authorisation`, 'conflict');
  }
  const authorised = decision.decision === 'authorise';
  const { rows } = await db.query<MandateRow>(
    `UPDATE mandates SET authorisation = $2, authorisation_decided_by = $3, authorisation_decided_by_token = $4, authorisation_decided_at = now(),
            authorisation_reason = $5,
            state = CASE WHEN $6 THEN state ELSE 'REJECTED' END,
            reason = CASE WHEN $6 THEN reason ELSE $7 END,
            state_changed_at = CASE WHEN $6 THEN state_changed_at ELSE now() END,
            authorisation_decided_by_account = $8
      WHERE id = $1 RETURNING *`,
    [mandateId, authorised ? 'authorised' : 'refused', decision.by, decision.byToken ?? null, decision.reason ?? null, authorised, refusedAuthorisationReason(decision.by, decision.reason), decision.byAccount ?? null],
  );
  if (!authorised && request) {
    await db.query(`UPDATE mandate_messages SET delivery_state = 'failed', outcome_reason = 'not sent: its authorisation was refused' WHERE id = $1`, [request.id]);
  }
  await writeLog(db, {
    hubId,
    step: 'send message',
    level: 'I',
    text:
      `mandate ${m.service} ${m.year}${m.continuing ? ' (continuing)' : ''} of client ${m.organisation_id}, requested by ${m.requested_by}: ` +
      (authorised ? `authorised by ${decision.by} and released for sending` : `authorisation refused by ${decision.by}${decision.reason ? ` (${decision.reason})` : ''}; REQUESTED → REJECTED, nothing sent`),
  });
  return rows[0];
}

/** The hub's requests held for authorisation, oldest first. */
export async function awaitingAuthorisation(db: Db, hubId: string): Promise<MandateRow[]> {
  const { rows } = await db.query<MandateRow>(
    `SELECT * FROM mandates WHERE hub_id = $1 AND authorisation = 'awaiting' AND state = 'REQUESTED' ORDER BY created_at, id`,
    [hubId],
  );
  return rows;
}
