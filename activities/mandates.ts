import { ApplicationFailure, Context } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import { applyReportedState, isOpen, mandateAanleverkenmerk, WIPED_ACTIVATION_CODE, type MandateService, type MandateState } from '../domain/mandates';
import { letterNameDiffers } from '../domain/certificates';
import { classifyStatus } from '../domain/digipoort-status';
import { inTransaction, type Pool, type PoolClient } from '../db/pool';
import { writeLog } from '../db/repositories/communication-log';
import { findHubById } from '../db/repositories/hubs';
import {
  addMandateMessage,
  currentMessage,
  mandateById,
  messagesOf,
  type MandateMessageRow,
  type MandateRow,
} from '../db/repositories/mandates';
import {
  latestRegisterAnswer,
  mandateFileName,
  MANDATE_IDENTITY_TYPE,
  MANDATE_ROLE,
  type MandatePurpose,
} from '../integrations/mandates/format';
import { usableClient, type WusClientPool } from '../integrations/wus/client-pool';
import type { WusClient } from '../integrations/wus/client';
import { WusFault, WusRequestError, WusSecurityError, WusTransportError } from '../integrations/wus/errors';
import type { StatusResultaat } from '../integrations/wus/types';
import {
  closeAttempt,
  describeHolder,
  markInDoubt,
  openAttempt,
  openAttemptOf,
  type AttemptRow,
  type SubmissionLane,
} from '../db/repositories/submission-attempts';
import { withHeartbeat } from './heartbeat';
import { classifySendFailure, reconcileOnDigipoort, retryFailure } from './submission';

export interface MandateActivityDeps {
  pool: Pool;
  wus: WusClientPool;
  clock?: () => Date;
}

/** Failure types the mandate workflow tells apart. */
export const MANDATE_FAILURES = {
  /** Definite: Digipoort refused the message, or the certificate cannot be used; the outcome is on record. */
  refused: 'MandateMessageRefused',
  needsHuman: 'NeedsHuman',
  ambiguous: 'AmbiguousSubmission',
  reconcilePending: 'ReconcilePending',
  missing: 'MandateMissing',
} as const;

/** What the mandate's workflow knows of its mandate (ids and states only). */
export interface MandateView {
  mandateId: string;
  organisationId: string;
  certificateId: string;
  service: MandateService;
  year: number;
  state: MandateState;
  /** C6: the request is held until a second person authorises it (nothing is sent meanwhile); absent in views of older runs. */
  awaitingAuthorisation?: boolean;
  requestSubmitted: boolean;
  revokeRequested: boolean;
  revokeSent: boolean;
  revokeFailedReason: string | null;
  /** An activation code waiting to be sent (id of its message). */
  pendingActivationId: string | null;
  /** Something was sent and the register has not answered it yet. */
  awaitingAnswer: boolean;
  /** A message's submission is ambiguous and waits for a person (POST .../mandates/{id}/resolve). */
  needsHuman: boolean;
  /** Why the last check of the register's answer could not be made (it changed nothing). */
  checkProblem: string | null;
  reason: string | null;
}

/** What a send attempt came to: the mandate now, and why nothing was sent yet when it must wait its turn. */
export interface SubmitOutcome {
  view: MandateView;
  /** Another message of the same client is in doubt: this one waits, so a reconcile only ever finds its own process. */
  waiting: string | null;
}

/** A mandate message's submission lane: its berichtsoort for the client's fiscal number. */
function laneOf(m: MandateRow, message: MandateMessageRow): SubmissionLane {
  return { berichtsoort: message.berichtsoort, identityType: MANDATE_IDENTITY_TYPE, identityNumber: m.fiscal_number };
}

/** Once an activation code went out (or definitely will not), the stored message keeps no trace of it. */
const WIPE_ACTIVATION_CODE = `content_xml = CASE WHEN purpose = 'activate'
  THEN regexp_replace(content_xml, '<Activeringscode>[^<]*</Activeringscode>', '<Activeringscode>${WIPED_ACTIVATION_CODE}</Activeringscode>') ELSE content_xml END`;

function viewOf(m: MandateRow, messages: readonly MandateMessageRow[]): MandateView {
  const request = currentMessage(messages, 'request');
  const revoke = currentMessage(messages, 'revoke');
  const activation = currentMessage(messages, 'activate');
  // Possibly sent: a message in doubt (submitting, or waiting for a person) is never sent again without reconcile.
  const sent = (x?: MandateMessageRow) => x !== undefined && ['submitted', 'submitting', 'needs_human'].includes(x.delivery_state);
  return {
    mandateId: m.id,
    organisationId: m.organisation_id,
    certificateId: m.certificate_id,
    service: m.service,
    year: m.year,
    state: m.state,
    awaitingAuthorisation: m.authorisation === 'awaiting' && m.state === 'REQUESTED',
    requestSubmitted: sent(request) || m.state !== 'REQUESTED',
    revokeRequested: m.revoke_requested_at !== null,
    revokeSent: m.revoke_requested_at !== null && sent(revoke),
    revokeFailedReason: m.revoke_failed_reason,
    pendingActivationId: activation && activation.delivery_state === 'ready' ? activation.id : null,
    awaitingAnswer: messages.some((x) => x.delivery_state === 'submitted' && x.outcome === null),
    needsHuman: messages.some((x) => x.delivery_state === 'needs_human'),
    checkProblem: m.check_problem,
    reason: m.reason,
  };
}

export function createMandateActivities(deps: MandateActivityDeps) {
  const now = () => (deps.clock ?? (() => new Date()))();

  async function log(db: Pool | PoolClient, m: MandateRow, step: 'send message' | 'receive' | 'reconcile', level: 'I' | 'F', text: string) {
    await writeLog(db, { hubId: m.hub_id, step, level, text: `mandate ${m.service} ${m.year}${m.continuing ? ' (continuing)' : ''} of client ${m.organisation_id}: ${text}` });
  }

  async function load(db: Pool | PoolClient, mandateId: string, forUpdate = false): Promise<MandateRow> {
    const m = await mandateById(db, mandateId, forUpdate);
    if (!m) throw ApplicationFailure.nonRetryable(`mandate ${mandateId} does not exist`, MANDATE_FAILURES.missing);
    return m;
  }

  async function view(mandateId: string): Promise<MandateView> {
    const m = await load(deps.pool, mandateId);
    return viewOf(m, await messagesOf(deps.pool, mandateId));
  }

  async function setState(db: PoolClient, m: MandateRow, to: MandateState, reason: string | null, extra: { objectionDeadline?: string } = {}) {
    const next = applyReportedState(m.state, to);
    if (next === m.state) return;
    await db.query(
      `UPDATE mandates SET state = $2, reason = coalesce($3, reason), state_changed_at = now(), objection_deadline = coalesce($4, objection_deadline)
        WHERE id = $1`,
      [m.id, next, reason, extra.objectionDeadline ?? null],
    );
    await log(db, m, 'receive', next === 'REJECTED' ? 'F' : 'I', `${m.state} → ${next}${reason ? ` (${reason})` : ''}`);
  }

  /**
   * C3: the firm name the register printed on the client's letter is kept beside the name the accountant confirmed,
   * never over it. When they differ, a person must look: the mandate is flagged with the reason and the log says so
   * (F) with both names; the certificate's letter name changes only when the accountant confirms the register's name
   * (POST .../mandates/{id}/letter-name).
   */
  async function recordRegisterLetterName(db: PoolClient, m: MandateRow, printed: string | undefined) {
    if (printed === undefined || printed === m.register_letter_name) return;
    const problem = letterNameDiffers(m.letter_name, printed)
      ? `C3: the register's letter to the client names "${printed}", not the confirmed "${m.letter_name}"; the hub keeps the confirmed name until a person confirms the register's (POST .../mandates/${m.id}/letter-name)`
      : null;
    await db.query('UPDATE mandates SET register_letter_name = $2, letter_name_problem = $3 WHERE id = $1', [m.id, printed, problem]);
    if (problem) await log(db, m, 'receive', 'F', problem);
  }

  /**
   * The consequence of a message that definitely failed: Digipoort refused it, its process failed, or it could not be
   * sent at all (its certificate is not usable). Only ever for a send, never for a failed look at the register.
   */
  async function recordFailure(db: PoolClient, m: MandateRow, message: MandateMessageRow, reason: string) {
    await db.query(`UPDATE mandate_messages SET delivery_state = 'failed', outcome = 'AFGEWEZEN', outcome_reason = $2, ${WIPE_ACTIVATION_CODE} WHERE id = $1`, [message.id, reason]);
    if (message.purpose === 'request') await setState(db, m, 'REJECTED', reason);
    if (message.purpose === 'revoke') {
      await db.query('UPDATE mandates SET revoke_requested_at = NULL, revoke_failed_reason = $2 WHERE id = $1', [m.id, reason]);
      await log(db, m, 'receive', 'F', `revocation failed: ${reason}`);
    }
    if (message.purpose === 'activate') await log(db, m, 'receive', 'F', `activation code not accepted: ${reason}`);
  }

  /** A send that cannot start: nothing went out, so the failure is definite and on the record. */
  async function clientForSend(message: MandateMessageRow, attempt: AttemptRow): Promise<WusClient> {
    const opened = await usableClient(deps.wus, message.certificate_id);
    if (opened.client) return opened.client;
    await inTransaction(deps.pool, async (db) => {
      const m = await load(db, message.mandate_id, true);
      await closeAttempt(db, attempt.id, 'not-sent', { detail: opened.problem });
      await recordFailure(db, m, message, `not sent: ${opened.problem}`);
    });
    throw ApplicationFailure.nonRetryable(opened.problem, MANDATE_FAILURES.refused);
  }

  async function recordSubmitted(db: PoolClient, m: MandateRow, message: MandateMessageRow, kenmerk: string, at: string, how: string) {
    await db.query(`UPDATE mandate_messages SET delivery_state = 'submitted', kenmerk = $2, submitted_at = $3, ${WIPE_ACTIVATION_CODE} WHERE id = $1`, [message.id, kenmerk, at]);
    await log(db, m, 'send message', 'I', `${message.berichtsoort} ${how}: kenmerk ${kenmerk} (${message.aanleverkenmerk})`);
  }

  /** A check of the register's answer that could not be made: on the mandate and in the log (once per problem), never applied to its state. */
  async function reportCheckProblem(m: MandateRow, problem: string) {
    const { rowCount } = await deps.pool.query('UPDATE mandates SET check_problem = $2 WHERE id = $1 AND check_problem IS DISTINCT FROM $2', [m.id, problem]);
    if (rowCount) await log(deps.pool, m, 'receive', 'F', `the state could not be checked (the mandate stays ${m.state}): ${problem}`);
  }

  /** One attempt that is durably on record as "submitting" (open in its lane). */
  async function sendAttempt(message: MandateMessageRow, m: MandateRow, attempt: AttemptRow): Promise<string> {
    const client = await clientForSend(message, attempt);
    try {
      const { result } = await client.aanleveren(
        {
          berichtsoort: message.berichtsoort,
          aanleverkenmerk: attempt.aanleverkenmerk,
          identiteitBelanghebbende: { nummer: m.fiscal_number, type: MANDATE_IDENTITY_TYPE },
          rolBelanghebbende: MANDATE_ROLE,
          berichtInhoud: { mimeType: 'application/xml', bestandsnaam: mandateFileName(message.purpose, message.seq), inhoud: Buffer.from(message.content_xml, 'utf8') },
        },
        Context.current().cancellationSignal,
      );
      await inTransaction(deps.pool, async (db) => {
        await closeAttempt(db, attempt.id, 'sent', { kenmerk: result.kenmerk, deliveredAt: result.tijdstempelAangeleverd });
        await recordSubmitted(db, m, message, result.kenmerk, result.tijdstempelAangeleverd, 'sent to Digipoort');
      });
      return result.kenmerk;
    } catch (err) {
      const failure = classifySendFailure(err);
      if (!failure) throw err;
      if (failure.kind === 'refused') {
        await inTransaction(deps.pool, async (db) => {
          await closeAttempt(db, attempt.id, 'refused', { detail: failure.reason });
          await recordFailure(db, await load(db, m.id, true), message, failure.reason);
        });
        throw ApplicationFailure.nonRetryable(failure.reason, MANDATE_FAILURES.refused);
      }
      if (failure.kind === 'not-sent') {
        // Provably not sent: the attempt is over (its lane free) and a new one may simply be made.
        await inTransaction(deps.pool, async (db) => {
          await closeAttempt(db, attempt.id, 'not-sent', { detail: failure.reason });
          await db.query(`UPDATE mandate_messages SET delivery_state = 'ready', attempt_started_at = NULL WHERE id = $1 AND delivery_state = 'submitting'`, [message.id]);
        });
        throw retryFailure(failure);
      }
      await log(deps.pool, m, 'send message', 'F', `ambiguous outcome of ${attempt.aanleverkenmerk}, reconciling before any resend: ${failure.reason}`);
      throw retryFailure(failure);
    }
  }

  /** A message in doubt goes to a person: it may have been sent, so it is neither failed nor sent again by itself. */
  async function needsHuman(message: MandateMessageRow, m: MandateRow, attempt: AttemptRow, why: string): Promise<never> {
    await inTransaction(deps.pool, async (db) => {
      await markInDoubt(db, attempt.id, why);
      await db.query(`UPDATE mandate_messages SET delivery_state = 'needs_human' WHERE id = $1 AND delivery_state = 'submitting'`, [message.id]);
      await log(db, m, 'reconcile', 'F', `attempt ${attempt.aanleverkenmerk} cannot be settled without a person: ${why}; a person must adopt a Digipoort process or allow a resend (POST .../mandates/${m.id}/resolve)`);
    });
    throw ApplicationFailure.create({ message: `ambiguous submission: ${why}`, type: MANDATE_FAILURES.needsHuman, nonRetryable: true });
  }

  /**
   * After an ambiguous attempt: the lane guarantees it was the only one in flight, so the one unclaimed process in its
   * window is its own; none after the grace period proves it never arrived (domain/reconcile.ts).
   */
  async function reconcile(message: MandateMessageRow, m: MandateRow, attempt: AttemptRow): Promise<string | 'absent'> {
    const opened = await usableClient(deps.wus, attempt.certificate_id ?? message.certificate_id);
    // The attempt may have reached Digipoort: without a usable certificate nobody can tell, so a person decides.
    if (!opened.client) return needsHuman(message, m, attempt, `Digipoort cannot be asked about it: ${opened.problem}`);
    const decision = await reconcileOnDigipoort(opened.client, deps.pool, attempt, { callTimeoutMs: deps.wus.timeoutMs, now: now(), signal: Context.current().cancellationSignal });
    if (decision.outcome === 'adopt') {
      await inTransaction(deps.pool, async (db) => {
        await closeAttempt(db, attempt.id, 'adopted', { kenmerk: decision.kenmerk, deliveredAt: decision.deliveredAt, detail: 'the one unclaimed process in its window' });
        await recordSubmitted(db, m, message, decision.kenmerk, decision.deliveredAt, 'reconciled after an ambiguous attempt, process adopted');
      });
      return decision.kenmerk;
    }
    if (decision.outcome === 'wait') {
      throw ApplicationFailure.create({ message: decision.reason, type: MANDATE_FAILURES.reconcilePending, nextRetryDelay: decision.retryInMs, category: ApplicationFailureCategory.BENIGN });
    }
    if (decision.outcome === 'undecidable') return needsHuman(message, m, attempt, decision.reason);
    return 'absent';
  }

  /** Opens the message's next attempt in its lane with the "submitting" intent, or says who holds the lane. */
  async function openNextAttempt(db: PoolClient, m: MandateRow, message: MandateMessageRow): Promise<{ message: MandateMessageRow; attempt: AttemptRow; waiting?: undefined } | { waiting: string; attempt?: undefined }> {
    const hub = await findHubById(db, m.hub_id);
    const number = message.attempt + 1;
    const aanleverkenmerk = mandateAanleverkenmerk(hub!.participantNumber, Number(message.seq), number);
    const taken = await openAttempt(db, {
      owner: { mandateMessageId: message.id },
      attempt: number,
      hubId: m.hub_id,
      lane: laneOf(m, message),
      certificateId: message.certificate_id,
      aanleverkenmerk,
    });
    if (taken.busy) return { waiting: describeHolder(taken.busy) };
    const { rows } = await db.query<MandateMessageRow>(
      `UPDATE mandate_messages SET delivery_state = 'submitting', attempt = $2, attempt_started_at = $3, aanleverkenmerk = $4 WHERE id = $1 RETURNING *`,
      [message.id, number, taken.opened.started_at, aanleverkenmerk],
    );
    return { message: rows[0], attempt: taken.opened };
  }

  /** Why a message that is ready must not go out for the mandate as it is now (it moved on), or undefined. */
  function notSendable(m: MandateRow, purpose: MandatePurpose): string | undefined {
    if (purpose === 'request' && m.state !== 'REQUESTED') return `the mandate is ${m.state}${m.reason ? ` (${m.reason})` : ''}`;
    if (purpose === 'revoke' && (!isOpen(m.state) || !m.revoke_requested_at)) return isOpen(m.state) ? 'no revocation is asked for' : `the mandate is ${m.state}`;
    if (purpose === 'activate' && m.state !== 'ONTVANGEN') return `the mandate is ${m.state}`;
    return undefined;
  }

  /**
   * Exactly once in effect, as the filing's submission: the attempt is committed as "submitting" (open in its lane)
   * before aanleveren; an attempt found open (the worker died, or the outcome was ambiguous) is reconciled with
   * getProcessen, never blindly resent. While another message of the client holds the lane, this one waits its turn
   * in its workflow (a timer, not a retried activity), however long a person takes.
   */
  async function submit(mandateId: string, purpose: MandatePurpose): Promise<{ waiting: string | null }> {
    const intent = await inTransaction(deps.pool, async (db): Promise<{ m: MandateRow; message?: MandateMessageRow; attempt?: AttemptRow; fresh?: boolean; waiting?: string }> => {
      const m = await load(db, mandateId, true);
      let message = currentMessage(await messagesOf(db, mandateId), purpose);
      if (!message && purpose === 'revoke') {
        if (!m.revoke_requested_at || !isOpen(m.state)) return { m };
        message = await addMandateMessage(db, m, 'revoke');
      }
      if (!message) return { m };
      if (message.delivery_state === 'submitting') {
        const open = await openAttemptOf(db, { mandateMessageId: message.id });
        if (open) return { m, message, attempt: open, fresh: false };
        // In doubt from before attempts were records: its attempt opens (and is reconciled) once the lane is free.
        const taken = await openAttempt(db, {
          owner: { mandateMessageId: message.id },
          attempt: Math.max(1, message.attempt),
          hubId: m.hub_id,
          lane: laneOf(m, message),
          certificateId: message.certificate_id,
          aanleverkenmerk: message.aanleverkenmerk!,
          startedAt: message.attempt_started_at ?? undefined,
        });
        return taken.busy ? { m, waiting: describeHolder(taken.busy) } : { m, message, attempt: taken.opened, fresh: false };
      }
      if (message.delivery_state !== 'ready') return { m, message };
      // Nothing goes out for a mandate that moved on (e.g. marked REJECTED because its workflow seemed not to start).
      const stale = notSendable(m, purpose);
      if (stale) {
        await db.query(`UPDATE mandate_messages SET delivery_state = 'failed', outcome_reason = $2, ${WIPE_ACTIVATION_CODE} WHERE id = $1`, [message.id, `not sent: ${stale}`]);
        await log(db, m, 'send message', 'I', `${message.berichtsoort} not sent: ${stale}`);
        return { m };
      }
      // C6: a held request goes out only once a second person authorised it (on the record, read under its lock).
      if (purpose === 'request' && m.authorisation === 'awaiting') return { m, waiting: 'the request waits for authorisation by a second person' };
      const opened = await openNextAttempt(db, m, message);
      if (!opened.attempt) return { m, waiting: opened.waiting };
      return { m, message: opened.message, attempt: opened.attempt, fresh: true };
    });
    const { m, message, attempt, fresh } = intent;
    if (intent.waiting) return { waiting: intent.waiting };
    const sent = { waiting: null };
    if (!message || !attempt) {
      if (message?.delivery_state === 'needs_human') {
        throw ApplicationFailure.nonRetryable('a person must resolve the ambiguous submission first', MANDATE_FAILURES.needsHuman);
      }
      return sent;
    }
    if (fresh) {
      await sendAttempt(message, m, attempt);
      return sent;
    }
    if ((await reconcile(message, m, attempt)) !== 'absent') return sent;
    // Provably absent: the attempt is closed and the next one opened in the same transaction (the lane stays ours).
    const next = await inTransaction(deps.pool, async (db) => {
      const current = (await messagesOf(db, mandateId)).find((x) => x.id === message.id);
      if (!current || current.delivery_state !== 'submitting') return undefined;
      await closeAttempt(db, attempt.id, 'absent', { detail: 'no Digipoort process after the grace period' });
      const opened = await openNextAttempt(db, m, current);
      if (opened.attempt) await log(db, m, 'reconcile', 'I', `no Digipoort process for attempt ${attempt.aanleverkenmerk}: sending again as ${opened.attempt.aanleverkenmerk}`);
      return opened;
    });
    if (next && !next.attempt) return { waiting: next.waiting };
    if (next?.attempt) await sendAttempt(next.message, m, next.attempt);
    return sent;
  }

  /**
   * Reads the register's answers (and Digipoort failures) from the processes of the mandate's messages, with the
   * mandate's current certificate (an RB4 replacement has the same KvK number, so the register knows the firm by it).
   * A look that cannot be made (the certificate is expired or deleted, Digipoort refuses or is unreachable) changes
   * nothing on the mandate: it is reported on it and in the log, and the workflow looks again later.
   */
  async function check(mandateId: string): Promise<void> {
    const mandate = await load(deps.pool, mandateId);
    // A revocation or rejection is final for its message: its process has nothing more to say.
    const messages = (await messagesOf(deps.pool, mandateId)).filter((x) => x.delivery_state === 'submitted' && x.kenmerk && !(x.outcome && x.purpose !== 'request'));
    if (messages.length === 0) return;
    const opened = await usableClient(deps.wus, mandate.certificate_id);
    if (!opened.client) return reportCheckProblem(mandate, opened.problem);
    const results: { message: MandateMessageRow; statuses: StatusResultaat[] }[] = [];
    for (const message of messages) {
      try {
        results.push({ message, statuses: await opened.client.getStatussenProces({ kenmerk: message.kenmerk! }) });
      } catch (err) {
        if (err instanceof WusFault) return reportCheckProblem(mandate, `Digipoort refused the status request: ${err.foutcode} ${err.foutbeschrijving}`);
        if (err instanceof WusTransportError || err instanceof WusSecurityError || err instanceof WusRequestError) {
          return reportCheckProblem(mandate, `the status request failed: ${err.message}`);
        }
        throw err;
      }
    }
    await inTransaction(deps.pool, async (db) => {
      const { rowCount } = await db.query('UPDATE mandates SET check_problem = NULL WHERE id = $1 AND check_problem IS NOT NULL', [mandateId]);
      if (rowCount) await log(db, mandate, 'receive', 'I', 'the state can be checked again');
      for (const { message, statuses } of results) {
        // Reloaded per message: the previous one may have changed the state.
        const m = await load(db, mandateId, true);
        const failed = statuses.find((s) => classifyStatus({ code: s.statuscode, foutcode: s.statusFoutcode?.foutcode, receiver: 'belastingdienst' }) === 'failure');
        const answer = latestRegisterAnswer(statuses);
        if (!answer && failed) {
          await recordFailure(db, m, message, `Digipoort ${failed.statuscode}${failed.statusFoutcode ? ` ${failed.statusFoutcode.foutcode}: ${failed.statusFoutcode.foutbeschrijving}` : ''}`);
          continue;
        }
        if (!answer) continue;
        const outcome = { ACTIVE: 'ACTIEF', ONTVANGEN: 'ONTVANGEN', REJECTED: 'AFGEWEZEN', REVOKED: 'INGETROKKEN', EXPIRED: 'VERLOPEN', REQUESTED: 'ONTVANGEN' }[answer.state];
        if (message.outcome !== outcome) {
          await db.query('UPDATE mandate_messages SET outcome = $2, outcome_reason = $3 WHERE id = $1', [message.id, outcome, answer.reason ?? null]);
        }
        if (message.purpose === 'request') {
          await recordRegisterLetterName(db, m, answer.letterName);
          // Our own revocation is answered on its own process: the request's process saying REVOKED first waits for
          // that answer, else the mandate would end with its revocation's record never told its outcome.
          const ownRevocationUnanswered = results.some((r) => r.message.purpose === 'revoke' && !r.message.outcome);
          if (answer.state === 'REVOKED' && ownRevocationUnanswered) continue;
          await setState(db, m, answer.state, answer.state === 'REJECTED' ? (answer.reason ?? 'rejected by the register') : null, {
            objectionDeadline: answer.objectionDeadline,
          });
        } else if (message.purpose === 'revoke') {
          if (answer.state === 'REVOKED') await setState(db, m, 'REVOKED', null);
          else if (answer.state === 'REJECTED') await recordFailure(db, m, message, answer.reason ?? 'the register refused the revocation');
        } else if (answer.state === 'ACTIVE') {
          await setState(db, m, 'ACTIVE', null);
        } else if (answer.state === 'REJECTED' && message.outcome !== 'AFGEWEZEN') {
          await recordFailure(db, m, message, answer.reason ?? 'the activation code was refused');
        }
      }
    });
  }

  return {
    async loadMandate({ mandateId }: { mandateId: string }): Promise<MandateView> {
      return view(mandateId);
    },

    /**
     * Sends the mandate's request, activation code or revocation, exactly once in effect; returns the new view, or
     * why it must wait its turn (another message of the client is in doubt).
     */
    async submitMandateMessage({ mandateId, purpose }: { mandateId: string; purpose: MandatePurpose }): Promise<SubmitOutcome> {
      const { waiting } = await withHeartbeat(() => submit(mandateId, purpose));
      return { view: await view(mandateId), waiting };
    },

    /** "Check the state": reads the register's answers from Digipoort and applies them to the mandate. */
    async checkMandateState({ mandateId }: { mandateId: string }): Promise<MandateView> {
      await check(mandateId);
      return view(mandateId);
    },

    /**
     * A revocation asked for before the request was sent: nothing went out, so the mandate is simply withdrawn.
     * `withdrawn` false: the request may have gone out meanwhile (it is in doubt or sent), so it is revoked once the
     * register has it.
     */
    async withdrawUnsentMandate({ mandateId }: { mandateId: string }): Promise<{ view: MandateView; withdrawn: boolean }> {
      const withdrawn = await inTransaction(deps.pool, async (db) => {
        const m = await load(db, mandateId, true);
        const request = currentMessage(await messagesOf(db, mandateId), 'request');
        if (m.state !== 'REQUESTED' || (request && request.delivery_state !== 'ready')) return false;
        if (request) await db.query(`UPDATE mandate_messages SET delivery_state = 'failed', outcome_reason = 'withdrawn before sending' WHERE id = $1`, [request.id]);
        await setState(db, m, 'REVOKED', 'withdrawn before it was sent');
        return true;
      });
      return { view: await view(mandateId), withdrawn };
    },
  };
}

export type MandateActivities = ReturnType<typeof createMandateActivities>;
