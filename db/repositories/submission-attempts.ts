import type { Pool, PoolClient } from '../pool';

/**
 * Submission attempts and their lanes (migration 0005). An attempt is opened in the same transaction as its
 * message's durable "submitting" intent; the partial unique index on the lane refuses a second open attempt for the
 * same berichtsoort and belanghebbende, so that caller waits its turn.
 */
type Db = Pool | PoolClient;

export interface SubmissionLane {
  berichtsoort: string;
  identityType: string;
  identityNumber: string;
}

export type AttemptOutcome = 'sent' | 'adopted' | 'refused' | 'not-sent' | 'absent' | 'abandoned';

/** Whose attempt it is: a filing message or a mandate message. */
export type AttemptOwner = { messageId: string } | { mandateMessageId: string };

export interface AttemptRow {
  id: string;
  message_id: string | null;
  mandate_message_id: string | null;
  attempt: number;
  hub_id: string | null;
  berichtsoort: string;
  identity_type: string;
  identity_number: string;
  certificate_id: string | null;
  sender_identity: string;
  aanleverkenmerk: string;
  started_at: Date;
  finished_at: Date | null;
  outcome: AttemptOutcome | null;
  kenmerk: string | null;
  delivered_at: Date | null;
  detail: string | null;
  in_doubt_reason: string | null;
}

/** The attempt that holds a lane, described for the log and the API. */
export interface LaneHolder {
  attemptId: string;
  aanleverkenmerk: string;
  startedAt: Date;
  inDoubtReason: string | null;
  messageId: string | null;
  mandateMessageId: string | null;
  /** The holding filing's number in its hub, when it is a filing. */
  messageNumber: number | null;
  /** Whether its owner is still in doubt about it (submitting or waiting for a person). */
  ownerInDoubt: boolean;
}

export interface OpenAttempt {
  owner: AttemptOwner;
  attempt: number;
  hubId: string | null;
  lane: SubmissionLane;
  certificateId: string;
  aanleverkenmerk: string;
  /** For an intent recorded before attempts existed: when it started. */
  startedAt?: Date;
}

function ownerColumns(owner: AttemptOwner): [string | null, string | null] {
  return 'messageId' in owner ? [owner.messageId, null] : [null, owner.mandateMessageId];
}

/** Describes a lane's holder in words (the log and the waiting note say who holds it). */
export function describeHolder(holder: LaneHolder): string {
  const who = holder.messageNumber !== null ? `message ${holder.messageNumber}` : holder.mandateMessageId ? 'a mandate message' : 'another message';
  return `${who} (attempt ${holder.aanleverkenmerk}, since ${holder.startedAt.toISOString()})` + (holder.inDoubtReason ? ' waits for a person to resolve its ambiguous submission' : ' is between its intent and its outcome');
}

export async function laneHolder(db: Db, lane: SubmissionLane): Promise<LaneHolder | undefined> {
  const { rows } = await db.query<{
    id: string; aanleverkenmerk: string; started_at: Date; in_doubt_reason: string | null; message_id: string | null; mandate_message_id: string | null;
    number: string | null; owner_in_doubt: boolean;
  }>(
    `SELECT a.id, a.aanleverkenmerk, a.started_at, a.in_doubt_reason, a.message_id, a.mandate_message_id, m.number,
            coalesce(m.delivery_state, x.delivery_state) IN ('submitting', 'needs_human') AS owner_in_doubt
       FROM submission_attempts a
       LEFT JOIN messages m ON m.id = a.message_id
       LEFT JOIN mandate_messages x ON x.id = a.mandate_message_id
      WHERE a.berichtsoort = $1 AND a.identity_type = $2 AND a.identity_number = $3 AND a.finished_at IS NULL`,
    [lane.berichtsoort, lane.identityType, lane.identityNumber],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    attemptId: r.id,
    aanleverkenmerk: r.aanleverkenmerk,
    startedAt: r.started_at,
    inDoubtReason: r.in_doubt_reason,
    messageId: r.message_id,
    mandateMessageId: r.mandate_message_id,
    messageNumber: r.number === null ? null : Number(r.number),
    ownerInDoubt: Boolean(r.owner_in_doubt),
  };
}

/**
 * Opens an attempt (the caller commits it together with its message's "submitting" intent), or answers who holds
 * the lane. A holder whose owner is no longer in doubt about it (its message was stopped some other way) cannot hold
 * the lane: it is closed as abandoned and the lane taken.
 */
export async function openAttempt(db: PoolClient, a: OpenAttempt): Promise<{ opened: AttemptRow; busy?: undefined } | { busy: LaneHolder; opened?: undefined }> {
  for (let round = 0; round < 3; round++) {
    const [messageId, mandateMessageId] = ownerColumns(a.owner);
    const { rows } = await db.query<AttemptRow>(
      `INSERT INTO submission_attempts (message_id, mandate_message_id, attempt, hub_id, berichtsoort, identity_type, identity_number,
         certificate_id, sender_identity, aanleverkenmerk, started_at)
       SELECT $1, $2, $3, $4, $5, $6, $7, $8, coalesce((SELECT subject_serial_number FROM certificates WHERE id = $8), 'unknown'), $9, coalesce($10, now())
       ON CONFLICT DO NOTHING RETURNING *`,
      [messageId, mandateMessageId, a.attempt, a.hubId, a.lane.berichtsoort, a.lane.identityType, a.lane.identityNumber, a.certificateId, a.aanleverkenmerk, a.startedAt ?? null],
    );
    if (rows[0]) return { opened: rows[0] };
    const holder = await laneHolder(db, a.lane);
    if (!holder) {
      // Not the lane: this exact attempt exists already (a retried intent); it is the open one when unfinished.
      const existing = await attemptByAanleverkenmerk(db, a.aanleverkenmerk);
      if (existing && !existing.finished_at) return { opened: existing };
      if (existing) throw new Error(`attempt ${a.aanleverkenmerk} cannot be opened again: it is finished (${existing.outcome})`);
      continue; // the holder finished meanwhile: try again
    }
    const own = 'messageId' in a.owner ? holder.messageId === a.owner.messageId : holder.mandateMessageId === a.owner.mandateMessageId;
    if (own) return { opened: (await attemptById(db, holder.attemptId))! };
    if (holder.ownerInDoubt) return { busy: holder };
    await closeAttempt(db, holder.attemptId, 'abandoned', { detail: 'its message is no longer being sent; the lane was taken by the next attempt' });
  }
  throw new Error('the submission lane could not be taken');
}

export async function attemptById(db: Db, id: string): Promise<AttemptRow | undefined> {
  const { rows } = await db.query<AttemptRow>('SELECT * FROM submission_attempts WHERE id = $1', [id]);
  return rows[0];
}

export async function attemptByAanleverkenmerk(db: Db, aanleverkenmerk: string): Promise<AttemptRow | undefined> {
  const { rows } = await db.query<AttemptRow>('SELECT * FROM submission_attempts WHERE aanleverkenmerk = $1', [aanleverkenmerk]);
  return rows[0];
}

/** The owner's attempt that is still open (at most one: the lane). */
export async function openAttemptOf(db: Db, owner: AttemptOwner): Promise<AttemptRow | undefined> {
  const [messageId, mandateMessageId] = ownerColumns(owner);
  const { rows } = await db.query<AttemptRow>(
    `SELECT * FROM submission_attempts WHERE finished_at IS NULL AND (message_id = $1 OR mandate_message_id = $2)`,
    [messageId, mandateMessageId],
  );
  return rows[0];
}

export async function attemptsOf(db: Db, owner: AttemptOwner): Promise<AttemptRow[]> {
  const [messageId, mandateMessageId] = ownerColumns(owner);
  const { rows } = await db.query<AttemptRow>(
    'SELECT * FROM submission_attempts WHERE message_id = $1 OR mandate_message_id = $2 ORDER BY attempt',
    [messageId, mandateMessageId],
  );
  return rows;
}

/** Records the outcome; the lane is free once the transaction commits. Closing a closed attempt changes nothing. */
export async function closeAttempt(
  db: Db,
  attemptId: string,
  outcome: AttemptOutcome,
  what: { kenmerk?: string; deliveredAt?: string | Date; detail?: string } = {},
): Promise<void> {
  await db.query(
    `UPDATE submission_attempts SET finished_at = now(), outcome = $2, kenmerk = coalesce($3, kenmerk), delivered_at = coalesce($4, delivered_at),
            detail = coalesce($5, detail), in_doubt_reason = NULL
      WHERE id = $1 AND finished_at IS NULL`,
    [attemptId, outcome, what.kenmerk ?? null, what.deliveredAt ?? null, what.detail ?? null],
  );
}

/** A person must decide: the attempt stays open (and holds its lane), with exactly why. */
export async function markInDoubt(db: Db, attemptId: string, reason: string): Promise<void> {
  await db.query('UPDATE submission_attempts SET in_doubt_reason = $2 WHERE id = $1 AND finished_at IS NULL', [attemptId, reason]);
}

/**
 * Which of these kenmerken already belong to someone: any attempt, any outgoing message (of any hub) or any mandate
 * message. Such a process is never a reconcile candidate and never an unknown (ONB) return message.
 */
export async function claimedKenmerken(db: Db, kenmerken: readonly string[]): Promise<Set<string>> {
  if (kenmerken.length === 0) return new Set();
  const { rows } = await db.query<{ kenmerk: string }>(
    `SELECT kenmerk FROM submission_attempts WHERE kenmerk = ANY($1)
     UNION SELECT kenmerk FROM messages WHERE kenmerk = ANY($1) AND direction = 'outgoing'
     UNION SELECT kenmerk FROM mandate_messages WHERE kenmerk = ANY($1)`,
    [kenmerken],
  );
  return new Set(rows.map((r) => r.kenmerk));
}

/** Whether an attempt of the lane is between its intent and its outcome (its process may not be claimed yet). */
export async function laneInFlight(db: Db, lane: SubmissionLane): Promise<boolean> {
  const { rowCount } = await db.query(
    `SELECT 1 FROM submission_attempts WHERE berichtsoort = $1 AND identity_type = $2 AND identity_number = $3 AND finished_at IS NULL`,
    [lane.berichtsoort, lane.identityType, lane.identityNumber],
  );
  return (rowCount ?? 0) > 0;
}

/**
 * A person settles an attempt reconcile could not: `adopted` records the process they chose as the attempt's (it must
 * not belong to anything else), `resend` records the attempt as absent so a new one may be made. Returns the attempt
 * settled, or undefined when none was open. Throws `KenmerkClaimed` when the kenmerk is someone else's.
 */
export class KenmerkClaimed extends Error {
  override readonly name = 'KenmerkClaimed';
}

export async function settleByPerson(
  db: PoolClient,
  owner: AttemptOwner,
  resolution: { how: 'adopted'; kenmerk: string } | { how: 'resend' },
  by: string,
): Promise<AttemptRow | undefined> {
  const open = await openAttemptOf(db, owner);
  if (resolution.how === 'adopted') {
    const claimed = await claimedKenmerken(db, [resolution.kenmerk]);
    const own = open?.kenmerk === resolution.kenmerk;
    if (claimed.has(resolution.kenmerk) && !own) {
      throw new KenmerkClaimed(`Digipoort process ${resolution.kenmerk} already belongs to another message or attempt: adopt this message's own process`);
    }
    if (open) await closeAttempt(db, open.id, 'adopted', { kenmerk: resolution.kenmerk, detail: `adopted by ${by}` });
  } else if (open) {
    await closeAttempt(db, open.id, 'absent', { detail: `${by} allowed a resend` });
  }
  return open;
}

/** The API's view of an attempt. */
export function attemptView(a: AttemptRow) {
  return {
    attempt: a.attempt,
    aanleverkenmerk: a.aanleverkenmerk,
    kenmerk: a.kenmerk,
    startedAt: a.started_at.toISOString(),
    finishedAt: a.finished_at ? a.finished_at.toISOString() : null,
    outcome: a.outcome,
    deliveredAt: a.delivered_at ? a.delivered_at.toISOString() : null,
    certificateId: a.certificate_id,
    senderIdentity: a.sender_identity,
    detail: a.detail,
    inDoubtReason: a.in_doubt_reason,
  };
}

/**
 * Which of these kenmerken the hub had already recorded as unknown return messages (ONB, H7) before `before`: a
 * process seen before an attempt began cannot be that attempt's.
 */
export async function unknownBefore(db: Db, kenmerken: readonly string[], before: Date): Promise<Set<string>> {
  if (kenmerken.length === 0) return new Set();
  const { rows } = await db.query<{ kenmerk: string }>(
    `SELECT kenmerk FROM messages WHERE subtype = 'ONB' AND kenmerk = ANY($1) AND created_at < $2`,
    [kenmerken, before],
  );
  return new Set(rows.map((r) => r.kenmerk));
}
