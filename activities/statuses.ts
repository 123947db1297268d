import { statusLogHint, mergeStatus, type StatusEvent } from '../domain/digipoort-status';
import { FILING_KINDS, isFilingKind } from '../domain/filings';
import { lifecycleFromDigipoortStatus, type LifecycleCode } from '../domain/lifecycle';
import { refusalReasonOf } from '../domain/refusal-reason';
import { inTransaction, type Pool, type PoolClient } from '../db/pool';
import { writeLogs, type LogLine } from '../db/repositories/communication-log';
import type { Hub } from '../db/repositories/hubs';
import type { StatusResultaat } from '../integrations/wus/types';

/** A status change of a sent message, as the filing workflow follows it (H5, H6). */
export interface StatusChange {
  workflowId: string;
  number: number;
  code: string;
  lifecycle: LifecycleCode;
  final: boolean;
  /** False when the filing's workflow has finished: its status is stored, nobody is signalled. */
  workflowOpen?: boolean;
}

export interface OpenMessage {
  id: string;
  number: string;
  kind: string;
  kenmerk: string;
  certificate_id: string | null;
  workflow_id: string | null;
  workflow_closed_at?: Date | null;
  lifecycle: LifecycleCode;
  digipoort_status: string | null;
  organisation_id: string | null;
  period: string | null;
}

/** What the receiving party said when it refused: its Responsemessage description, else the Digipoort fault text. */
function refusalReason(statuses: StatusResultaat[]): string | undefined {
  return refusalReasonOf(statuses.map((s) => ({ details: s.statusdetails, foutbeschrijving: s.statusFoutcode?.foutbeschrijving })));
}

/**
 * Stores raw statuses once each (one statement), each with the attempt whose process it reports, and returns the
 * positions in `returned` of those that were new. A status given twice counts once, at its first position.
 */
export async function storeStatuses(client: PoolClient, hubId: string, returned: { messageId: string; status: StatusResultaat }[]): Promise<number[]> {
  if (returned.length === 0) return [];
  const { rows } = await client.query<{ i: number }>(
    `WITH input AS (
       SELECT * FROM jsonb_to_recordset($2::jsonb) AS s(i int, message_id uuid, kenmerk text, statuscode text, tijdstempel_status timestamptz,
         statusomschrijving text, foutcode text, foutbeschrijving text, statusdetails text)
     ), stored AS (
       INSERT INTO digipoort_statuses (message_id, hub_id, kenmerk, statuscode, tijdstempel_status, statusomschrijving, foutcode, foutbeschrijving, statusdetails, attempt_id)
       SELECT message_id, $1, kenmerk, statuscode, tijdstempel_status, statusomschrijving, foutcode, foutbeschrijving, statusdetails,
              (SELECT a.id FROM submission_attempts a WHERE a.kenmerk = input.kenmerk)
         FROM input ORDER BY i
       ON CONFLICT (kenmerk, statuscode, tijdstempel_status) DO NOTHING
       RETURNING kenmerk, statuscode, tijdstempel_status
     )
     SELECT min(input.i) AS i FROM stored JOIN input USING (kenmerk, statuscode, tijdstempel_status)
      GROUP BY stored.kenmerk, stored.statuscode, stored.tijdstempel_status ORDER BY 1`,
    [hubId, JSON.stringify(returned.map(({ messageId, status: s }, i) => ({
      i, message_id: messageId, kenmerk: s.kenmerk, statuscode: s.statuscode, tijdstempel_status: s.tijdstempelStatus,
      statusomschrijving: s.statusomschrijving, foutcode: s.statusFoutcode?.foutcode ?? null, foutbeschrijving: s.statusFoutcode?.foutbeschrijving ?? null,
      statusdetails: s.statusdetails ?? null,
    })))],
  );
  return rows.map((r) => r.i);
}

/**
 * Stores new raw statuses of one process (once each) and applies only the highest to the message (H5, H6). Shared by
 * the hub's send/receive and a filing's own status follow-up, so both store statuses the same way; concurrent calls
 * for one process are safe (the raw statuses are unique, the second finds nothing new).
 */
export async function applyProcessStatuses(pool: Pool, hub: Hub, message: OpenMessage, results: StatusResultaat[]): Promise<StatusChange | undefined> {
  return inTransaction(pool, async (client) => {
    const fresh = await storeStatuses(client, hub.id, results.map((status) => ({ messageId: message.id, status })));
    return applyFreshStatuses(client, hub, message, fresh.map((i) => results[i]));
  });
}

/**
 * The statuses a process gained (already inserted, in the caller's transaction): logged, attachments kept (H14), and
 * only the highest of all its statuses applied to the message (H5, H6). Cost follows the new statuses.
 */
export async function applyFreshStatuses(client: PoolClient, hub: Hub, message: OpenMessage, fresh: StatusResultaat[]): Promise<StatusChange | undefined> {
  if (fresh.length === 0) return undefined;
  // The log lines are written together at the end, in this order (one round trip).
  const lines: LogLine[] = [];
  const log = (level: 'I' | 'F', text: string) =>
    lines.push({ hubId: hub.id, environment: hub.environmentCode, messageId: message.id, messageNumber: Number(message.number), step: 'receive', level, text });
  for (const s of fresh) {
    const failed = Boolean(s.statusFoutcode);
    const hint = statusLogHint(s.statuscode);
    log(
      failed || s.statuscode === '210' ? 'F' : 'I',
      `Digipoort ${s.statuscode} ${s.statusomschrijving}${s.statusFoutcode ? ` (${s.statusFoutcode.foutcode}: ${s.statusFoutcode.foutbeschrijving})` : ''}${hint ? ` — ${hint}` : ''}`,
    );
    if (s.statusdetails) {
      // H14: a return message may carry attachments; the details (e.g. the receiver's Responsemessage) are one.
      await client.query(
        `INSERT INTO message_attachments (message_id, direction, filename, mime_type, content) VALUES ($1, 'incoming', $2, $3, $4)`,
        [message.id, `status-${s.statuscode}-${s.tijdstempelStatus.replace(/[^0-9]/g, '')}.xml`, 'application/xml', Buffer.from(s.statusdetails, 'utf8')],
      );
    }
  }
  // H6: of all statuses of this process, only the highest applies; an accepted filing never goes back.
  const { rows: all } = await client.query<{ statuscode: string; tijdstempel_status: Date; foutcode: string | null }>(
    // Only the current process counts: after a reset (H10) the resend is a new process with its own statuses.
    'SELECT statuscode, tijdstempel_status, foutcode FROM digipoort_statuses WHERE message_id = $1 AND kenmerk = $2 ORDER BY tijdstempel_status, id',
    [message.id, message.kenmerk],
  );
  let best: StatusEvent | undefined;
  for (const s of all) best = mergeStatus(best, { code: s.statuscode, foutcode: s.foutcode ?? undefined, timestamp: s.tijdstempel_status.toISOString() });
  if (!best || best.code === message.digipoort_status) {
    await writeLogs(client, lines);
    return undefined;
  }
  const receiver = isFilingKind(message.kind) ? FILING_KINDS[message.kind].receiver : 'belastingdienst';
  const lifecycle = lifecycleFromDigipoortStatus({ code: best.code, foutcode: best.foutcode, receiver });
  const final = lifecycle === 80 || lifecycle === 90 || lifecycle === 70;
  await client.query(
    `UPDATE messages SET digipoort_status = $2, digipoort_status_at = $3, lifecycle = $4, last_status_change_at = now(),
            delivery_state = CASE WHEN $4 IN (80, 90) THEN 'final' WHEN $4 = 70 THEN 'failed' ELSE delivery_state END
      WHERE id = $1`,
    [message.id, best.code, best.timestamp, lifecycle],
  );
  if (lifecycle !== message.lifecycle) {
    const reason = lifecycle === 90 ? refusalReason(fresh) : undefined;
    log(
      lifecycle === 80 ? 'I' : final ? 'F' : 'I',
      `lifecycle ${message.lifecycle} → ${lifecycle} (Digipoort ${best.code})` +
        (lifecycle === 90 ? `: rejected by ${receiver === 'kvk' ? 'KvK' : 'the tax authority'}${reason ? ` (${reason})` : ''}; final, a new filing must be created and submitted` : ''),
    );
    if (lifecycle === 90 && message.organisation_id) {
      // The client sees it in the portal too: this filing is over, a new one is needed.
      await client.query(
        `INSERT INTO portal_notices (organisation_id, message_id, kind, text)
         SELECT $1, $2, 'rejected-by-authority', $3 FROM messages WHERE id = $2 AND approval_required ON CONFLICT DO NOTHING`,
        [message.organisation_id, message.id,
          `${receiver === 'kvk' ? 'KvK' : 'The tax authority'} rejected ${(isFilingKind(message.kind) ? FILING_KINDS[message.kind].label : message.kind)} ${message.period ?? ''}`.trim() +
            `${reason ? `: ${reason}` : ''}. A new filing is needed; your accountant will prepare it.`],
      );
    }
  }
  await writeLogs(client, lines);
  return { workflowId: message.workflow_id ?? '', number: Number(message.number), code: best.code, lifecycle, final, workflowOpen: !message.workflow_closed_at };
}
