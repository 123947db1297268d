import { ApplicationFailure, Context } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import { applyReportedState, isOpen, mandateAanleverkenmerk, WIPED_ACTIVATION_CODE, type MandateService, type MandateState } from '../domain/mandates';
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
import { CertificateError } from '../integrations/pki/pkcs12';
import { CertificateNotUsable, type WusClientPool } from '../integrations/wus/client-pool';
import type { WusClient } from '../integrations/wus/client';
import { WusFault, WusRequestError, WusSecurityError, WusTransportError } from '../integrations/wus/errors';
import type { StatusResultaat } from '../integrations/wus/types';
import { withHeartbeat } from './filing';

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

const RECONCILE_CLOCK_TOLERANCE_MS = 120_000;

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
    const hub = await findHubById(db, m.hub_id);
    await writeLog(db, { hubId: m.hub_id, environment: hub?.environmentCode ?? 'no hub', step, level, text: `mandate ${m.service} ${m.year}${m.continuing ? ' (continuing)' : ''} of client ${m.organisation_id}: ${text}` });
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

  async function setState(db: PoolClient, m: MandateRow, to: MandateState, reason: string | null, extra: { letterName?: string; objectionDeadline?: string } = {}) {
    const next = applyReportedState(m.state, to);
    if (next === m.state) return;
    await db.query(
      `UPDATE mandates SET state = $2, reason = coalesce($3, reason), state_changed_at = now(), letter_name = coalesce($4, letter_name),
              objection_deadline = coalesce($5, objection_deadline)
        WHERE id = $1`,
      [m.id, next, reason, extra.letterName ?? null, extra.objectionDeadline ?? null],
    );
    await log(db, m, 'receive', next === 'REJECTED' ? 'F' : 'I', `${m.state} → ${next}${reason ? ` (${reason})` : ''}`);
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

  /**
   * The WUS client of a certificate, or why it cannot be used: expired or not yet valid (C7), deleted, or its sealed
   * file does not open. Retrying cannot help with any of those, so they are answers, not retried errors.
   */
  async function openClient(certificateId: string): Promise<{ client: WusClient; problem?: undefined } | { client?: undefined; problem: string }> {
    try {
      return { client: (await deps.wus.clientFor(certificateId)).client };
    } catch (err) {
      if (err instanceof CertificateNotUsable) return { problem: err.message };
      if (err instanceof CertificateError) return { problem: `C7: certificate ${certificateId} cannot be used: ${err.message}` };
      throw err;
    }
  }

  /** A send that cannot start: nothing went out, so the failure is definite and on the record. */
  async function clientForSend(message: MandateMessageRow): Promise<WusClient> {
    const opened = await openClient(message.certificate_id);
    if (opened.client) return opened.client;
    await inTransaction(deps.pool, async (db) => {
      const m = await load(db, message.mandate_id, true);
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

  /** One attempt that is durably on record as "submitting". */
  async function sendAttempt(message: MandateMessageRow, m: MandateRow): Promise<string> {
    const client = await clientForSend(message);
    try {
      const { result } = await client.aanleveren(
        {
          berichtsoort: message.berichtsoort,
          aanleverkenmerk: message.aanleverkenmerk ?? undefined,
          identiteitBelanghebbende: { nummer: m.fiscal_number, type: MANDATE_IDENTITY_TYPE },
          rolBelanghebbende: MANDATE_ROLE,
          berichtInhoud: { mimeType: 'application/xml', bestandsnaam: mandateFileName(message.purpose, message.seq), inhoud: Buffer.from(message.content_xml, 'utf8') },
        },
        Context.current().cancellationSignal,
      );
      await inTransaction(deps.pool, async (db) => recordSubmitted(db, m, message, result.kenmerk, result.tijdstempelAangeleverd, 'sent to Digipoort'));
      return result.kenmerk;
    } catch (err) {
      if (err instanceof WusFault || err instanceof WusRequestError) {
        const reason = err instanceof WusFault ? `Digipoort refused the message: ${err.foutcode} ${err.foutbeschrijving}` : `not sent: ${err.message}`;
        await inTransaction(deps.pool, async (db) => recordFailure(db, await load(db, m.id, true), message, reason));
        throw ApplicationFailure.nonRetryable(reason, MANDATE_FAILURES.refused);
      }
      if (err instanceof WusTransportError && !err.ambiguous) {
        // Provably not sent: the attempt may simply be made again.
        await deps.pool.query(`UPDATE mandate_messages SET delivery_state = 'ready', attempt_started_at = NULL WHERE id = $1`, [message.id]);
        throw ApplicationFailure.create({ message: err.message, type: 'DigipoortUnavailable' });
      }
      if (err instanceof WusTransportError || err instanceof WusSecurityError) {
        await log(deps.pool, m, 'send message', 'F', `ambiguous outcome of ${message.aanleverkenmerk}, reconciling before any resend: ${err.message}`);
        throw ApplicationFailure.create({ message: err.message, type: MANDATE_FAILURES.ambiguous });
      }
      throw err;
    }
  }

  /** A message in doubt goes to a person: it may have been sent, so it is neither failed nor sent again by itself. */
  async function needsHuman(message: MandateMessageRow, m: MandateRow, why: string): Promise<never> {
    await deps.pool.query(`UPDATE mandate_messages SET delivery_state = 'needs_human' WHERE id = $1 AND delivery_state = 'submitting'`, [message.id]);
    await log(deps.pool, m, 'reconcile', 'F', `${why}; a person must adopt a Digipoort process or allow a resend (POST .../mandates/${m.id}/resolve)`);
    throw ApplicationFailure.create({ message: `ambiguous submission: ${why}`, type: MANDATE_FAILURES.needsHuman, nonRetryable: true });
  }

  /** After an ambiguous attempt: adopt the one unknown process since the attempt, or conclude it is absent. */
  async function reconcile(message: MandateMessageRow, m: MandateRow): Promise<string | 'absent'> {
    const opened = await openClient(message.certificate_id);
    // The attempt may have reached Digipoort: without a usable certificate nobody can tell, so a person decides.
    if (!opened.client) return needsHuman(message, m, `attempt ${message.aanleverkenmerk} cannot be reconciled: ${opened.problem}`);
    const client = opened.client;
    const processes = await client.getProcessen({ berichtsoort: message.berichtsoort, identiteitBelanghebbende: { nummer: m.fiscal_number, type: MANDATE_IDENTITY_TYPE } });
    const { rows: known } = await deps.pool.query<{ kenmerk: string }>('SELECT kenmerk FROM mandate_messages WHERE kenmerk = ANY($1)', [processes.map((p) => p.kenmerk)]);
    const knownSet = new Set(known.map((k) => k.kenmerk));
    const since = (message.attempt_started_at?.getTime() ?? 0) - RECONCILE_CLOCK_TOLERANCE_MS;
    const candidates: { kenmerk: string; at: string }[] = [];
    for (const process of processes.filter((p) => !knownSet.has(p.kenmerk))) {
      const statuses = await client.getStatussenProces({ kenmerk: process.kenmerk });
      const first = statuses.map((s) => Date.parse(s.tijdstempelStatus)).sort((a, b) => a - b)[0];
      if (first !== undefined && first >= since) candidates.push({ kenmerk: process.kenmerk, at: new Date(first).toISOString() });
    }
    if (candidates.length === 1) {
      await inTransaction(deps.pool, async (db) => recordSubmitted(db, m, message, candidates[0].kenmerk, candidates[0].at, 'reconciled after an ambiguous attempt, process adopted'));
      return candidates[0].kenmerk;
    }
    if (candidates.length > 1) {
      return needsHuman(message, m, `${candidates.length} unknown Digipoort processes since the attempt (candidates ${candidates.map((c) => c.kenmerk).join(', ')})`);
    }
    return 'absent';
  }

  /** Why a message that is ready must not go out for the mandate as it is now (it moved on), or undefined. */
  function notSendable(m: MandateRow, purpose: MandatePurpose): string | undefined {
    if (purpose === 'request' && m.state !== 'REQUESTED') return `the mandate is ${m.state}${m.reason ? ` (${m.reason})` : ''}`;
    if (purpose === 'revoke' && (!isOpen(m.state) || !m.revoke_requested_at)) return isOpen(m.state) ? 'no revocation is asked for' : `the mandate is ${m.state}`;
    if (purpose === 'activate' && m.state !== 'ONTVANGEN') return `the mandate is ${m.state}`;
    return undefined;
  }

  /**
   * Exactly once in effect, as the filing's submission: the attempt is committed as "submitting" before aanleveren;
   * a record found in that state (the worker died, or the outcome was ambiguous) is reconciled with getProcessen,
   * never blindly resent.
   */
  async function submit(mandateId: string, purpose: MandatePurpose): Promise<{ waiting: string | null }> {
    const grace = Math.max(2 * deps.wus.timeoutMs, 10_000);
    const intent = await inTransaction(deps.pool, async (db) => {
      const m = await load(db, mandateId, true);
      let message = currentMessage(await messagesOf(db, mandateId), purpose);
      if (!message && purpose === 'revoke') {
        if (!m.revoke_requested_at || !isOpen(m.state)) return { m, message: undefined, fresh: false };
        message = await addMandateMessage(db, m, 'revoke');
      }
      if (!message) return { m, message: undefined, fresh: false };
      if (message.delivery_state !== 'ready') return { m, message, fresh: false };
      // Nothing goes out for a mandate that moved on (e.g. marked REJECTED because its workflow seemed not to start).
      const stale = notSendable(m, purpose);
      if (stale) {
        await db.query(`UPDATE mandate_messages SET delivery_state = 'failed', outcome_reason = $2, ${WIPE_ACTIVATION_CODE} WHERE id = $1`, [message.id, `not sent: ${stale}`]);
        await log(db, m, 'send message', 'I', `${message.berichtsoort} not sent: ${stale}`);
        return { m, message: undefined, fresh: false };
      }
      // A reconcile must only ever find this message's process: one message of a client in doubt at a time. The
      // others wait their turn in their workflows (a timer, not a retried activity), however long a person takes.
      await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`mandate-message-${m.fiscal_number}`]);
      const { rows: inDoubt } = await db.query<{ mandate_id: string; delivery_state: string }>(
        `SELECT x.mandate_id, x.delivery_state FROM mandate_messages x JOIN mandates y ON y.id = x.mandate_id
          WHERE y.fiscal_number = $1 AND x.berichtsoort = $2 AND x.delivery_state IN ('submitting', 'needs_human') AND x.id <> $3
          ORDER BY x.seq LIMIT 1`,
        [m.fiscal_number, message.berichtsoort, message.id],
      );
      if (inDoubt[0]) {
        const waiting =
          `another ${message.berichtsoort} message of this client (mandate ${inDoubt[0].mandate_id}) is ` +
          (inDoubt[0].delivery_state === 'needs_human' ? 'waiting for a person to resolve its ambiguous submission' : 'being sent or reconciled');
        return { m, message: undefined, fresh: false, waiting };
      }
      const hub = await findHubById(db, m.hub_id);
      const attempt = message.attempt + 1;
      const { rows } = await db.query<MandateMessageRow>(
        `UPDATE mandate_messages SET delivery_state = 'submitting', attempt = $2, attempt_started_at = now(), aanleverkenmerk = $3 WHERE id = $1 RETURNING *`,
        [message.id, attempt, mandateAanleverkenmerk(hub!.participantNumber, Number(message.seq), attempt)],
      );
      return { m, message: rows[0], fresh: true };
    });
    const { m, message, fresh } = intent;
    if ('waiting' in intent && intent.waiting) return { waiting: intent.waiting };
    const sent = { waiting: null };
    if (!message) return sent;
    if (message.delivery_state === 'submitted') return sent;
    if (message.delivery_state === 'needs_human') {
      throw ApplicationFailure.nonRetryable('a person must resolve the ambiguous submission first', MANDATE_FAILURES.needsHuman);
    }
    if (fresh) {
      await sendAttempt(message, m);
      return sent;
    }
    const reconciled = await reconcile(message, m);
    if (reconciled !== 'absent') return sent;
    const waited = now().getTime() - (message.attempt_started_at?.getTime() ?? 0);
    if (waited < grace) {
      throw ApplicationFailure.create({ message: 'no Digipoort process found yet; checking again before concluding it is absent', type: MANDATE_FAILURES.reconcilePending, nextRetryDelay: Math.max(1000, grace - waited), category: ApplicationFailureCategory.BENIGN });
    }
    const next = await inTransaction(deps.pool, async (db) => {
      const hub = await findHubById(db, m.hub_id);
      const attempt = message.attempt + 1;
      const { rows } = await db.query<MandateMessageRow>(
        `UPDATE mandate_messages SET attempt = $2, attempt_started_at = now(), aanleverkenmerk = $3 WHERE id = $1 AND delivery_state = 'submitting' RETURNING *`,
        [message.id, attempt, mandateAanleverkenmerk(hub!.participantNumber, Number(message.seq), attempt)],
      );
      if (rows[0]) await log(db, m, 'reconcile', 'I', `no Digipoort process for attempt ${message.attempt} after ${Math.round(waited / 1000)} s: sending again (attempt ${attempt})`);
      return rows[0];
    });
    if (next) await sendAttempt(next, m);
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
    const opened = await openClient(mandate.certificate_id);
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
          await setState(db, m, answer.state, answer.state === 'REJECTED' ? (answer.reason ?? 'rejected by the register') : null, {
            letterName: answer.letterName,
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
