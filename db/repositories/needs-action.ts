import { FILING_KINDS, findKind } from '../../domain/kinds';
import type { Pool, PoolClient } from '../pool';
import { writeLog } from './communication-log';
import { filingReasons } from './filing-reasons';
import type { MessageRow } from './messages';

/**
 * What the "Needs action" inbox reads beyond ONB messages (H7): held messages (H12), failed sends waiting for a reset
 * (H10), and final outcomes a person must follow up (40 rejected by the client, 90 refused by the authority) until a
 * newer version exists or someone marks them handled.
 */

/** The column of the organisation's identifier a held message of this kind is routed by (A5). */
const identifierColumn = (kind: string): 'ob_number' | 'kvk_number' => findKind(kind)?.identifier.column ?? 'ob_number';

/** A held message a staff token may see: every one for an unlimited token (`hubId` null), else its hub's administrations'. */
export async function heldMessageForToken(db: Pool | PoolClient, id: string, hubId: string | null): Promise<MessageRow | undefined> {
  const { rows } = await db.query<MessageRow>(
    `SELECT m.* FROM messages m LEFT JOIN administrations a ON a.id = m.administration_id
      WHERE m.id = $1 AND m.delivery_state = 'held' AND ($2::uuid IS NULL OR a.hub_id = $2)`,
    [id, hubId],
  );
  return rows[0];
}

/** H12's automatic resolution: the (live) hubs that have an organisation with the held filing's identifier. */
export async function hubsServingIdentifier(db: Pool | PoolClient, message: Pick<MessageRow, 'kind' | 'identity_number'>): Promise<string[]> {
  const { rows } = await db.query<{ hub_id: string }>(
    `SELECT DISTINCT o.hub_id FROM organisations o JOIN hubs h ON h.id = o.hub_id
      WHERE h.deleted_at IS NULL AND o.${identifierColumn(message.kind)} = $1`,
    [message.identity_number],
  );
  return rows.map((r) => r.hub_id);
}

/** The kinds whose organisation is found by its KvK number (the others by the OB number). */
const KVK_IDENTIFIED_KINDS = Object.entries(FILING_KINDS).filter(([, spec]) => spec.identifier.column === 'kvk_number').map(([kind]) => kind);

export interface HeldItem {
  row: MessageRow;
  /** The hub that is gone (its name, for people). */
  goneHubName: string | null;
  administrationName: string | null;
  /** The organisation of this hub that has the filing's identifier, when there is one (routing here would work). */
  organisationHere: string | null;
}

/**
 * Held messages (H12) shown in a hub's console inbox: those of the administrations of a hub the account was a member
 * of (now gone), and those whose identifier belongs to an organisation of this hub (it could go here). Others stay
 * invisible: a held message of another firm is not shown, and its id answers 404.
 */
export async function heldMessagesForConsole(db: Pool | PoolClient, hubId: string, accountId: string, id?: string): Promise<HeldItem[]> {
  const { rows } = await db.query<MessageRow & { gone_hub_name: string | null; administration_name: string | null; organisation_here: string | null }>(
    `SELECT m.*, gh.name AS gone_hub_name, a.name AS administration_name,
            (SELECT o.name FROM organisations o
              WHERE o.hub_id = $1 AND CASE WHEN m.kind = ANY($4) THEN o.kvk_number ELSE o.ob_number END = m.identity_number
              LIMIT 1) AS organisation_here
       FROM messages m
       LEFT JOIN administrations a ON a.id = m.administration_id
       LEFT JOIN hubs gh ON gh.id = a.hub_id
      WHERE m.delivery_state = 'held' AND ($3::uuid IS NULL OR m.id = $3)
        AND (EXISTS (SELECT 1 FROM staff_account_hubs s WHERE s.account_id = $2 AND s.hub_id = a.hub_id)
             OR EXISTS (SELECT 1 FROM organisations o WHERE o.hub_id = $1
                         AND CASE WHEN m.kind = ANY($4) THEN o.kvk_number ELSE o.ob_number END = m.identity_number))
      ORDER BY m.created_at, m.id`,
    [hubId, accountId, id ?? null, KVK_IDENTIFIED_KINDS],
  );
  return rows.map(({ gone_hub_name, administration_name, organisation_here, ...row }) => ({
    row: row as MessageRow,
    goneHubName: gone_hub_name,
    administrationName: administration_name,
    organisationHere: organisation_here,
  }));
}

/** Filings of the hub whose send failed (70, delivery failed), latest version only: a reset sends them again (H10). */
export async function failedFilings(db: Pool | PoolClient, hubId: string): Promise<MessageRow[]> {
  const { rows } = await db.query<MessageRow>(
    `SELECT m.* FROM messages m
      WHERE m.hub_id = $1 AND m.direction = 'outgoing' AND m.delivery_state = 'failed'
        AND NOT EXISTS (SELECT 1 FROM messages n WHERE n.filing_key = m.filing_key AND n.version > m.version)
      ORDER BY m.last_status_change_at, m.number`,
    [hubId],
  );
  return rows;
}

export interface FinalOutcomeItem {
  row: MessageRow;
  /** The client's reason (40) or the authority's refusal text (90), as the administration is told (H3). */
  reason: string | null;
}

/**
 * Final outcomes a person follows up: rejected by the client (40) or by the authority (90), latest version only, not
 * yet marked handled. A newer version of the filing (prepared again by the administration) takes it out by itself.
 */
export async function finalOutcomesToFollowUp(db: Pool | PoolClient, hubId: string): Promise<FinalOutcomeItem[]> {
  const { rows } = await db.query<MessageRow>(
    `SELECT m.* FROM messages m
      WHERE m.hub_id = $1 AND m.direction = 'outgoing' AND m.lifecycle IN (40, 90)
        AND NOT EXISTS (SELECT 1 FROM messages n WHERE n.filing_key = m.filing_key AND n.version > m.version)
        AND NOT EXISTS (SELECT 1 FROM needs_action_handled h WHERE h.message_id = m.id)
      ORDER BY m.last_status_change_at, m.number`,
    [hubId],
  );
  return Promise.all(rows.map(async (row) => {
    const reasons = await filingReasons(db, row, row.lifecycle);
    return { row, reason: row.lifecycle === 40 ? reasons.clientRejectionReason : reasons.authorityRefusalReason };
  }));
}

export interface HandledMark {
  lifecycle: 40 | 90;
  handledBy: string;
  note: string;
  handledAt: string;
}

export async function handledMarkOf(db: Pool | PoolClient, messageId: string): Promise<HandledMark | undefined> {
  const { rows } = await db.query<{ lifecycle: 40 | 90; handled_by: string; note: string; handled_at: Date }>(
    'SELECT lifecycle, handled_by, note, handled_at FROM needs_action_handled WHERE message_id = $1',
    [messageId],
  );
  return rows[0] ? { lifecycle: rows[0].lifecycle, handledBy: rows[0].handled_by, note: rows[0].note, handledAt: rows[0].handled_at.toISOString() } : undefined;
}

/**
 * Records a person's "handled" mark on a final outcome (40 or 90) with a note, and logs it (H13). The caller checks
 * the rules first (see `markFilingHandled`); this one stores, once (a second mark changes nothing and answers false).
 */
export async function recordHandledMark(
  db: PoolClient,
  hub: { id: string; environmentCode: string },
  row: MessageRow,
  by: string,
  note: string,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO needs_action_handled (message_id, hub_id, lifecycle, handled_by, note) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (message_id) DO NOTHING`,
    [row.id, hub.id, row.lifecycle, by, note],
  );
  if (!rowCount) return false;
  await writeLog(db, {
    hubId: hub.id,
    environment: hub.environmentCode,
    messageId: row.id,
    messageNumber: Number(row.number),
    step: 'process message',
    level: 'I',
    text: `lifecycle ${row.lifecycle} marked as handled by ${by}: ${note}`,
  });
  return true;
}
