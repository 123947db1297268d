import { createHash, createHmac } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { withHeartbeat } from './heartbeat';
import { ApplicationFailureCategory } from '@temporalio/common';
import type { CertificateChoice } from '../domain/certificates';
import { attachmentsGoWith } from '../domain/attachments';
import { RuleViolation } from '../domain/errors';
import { FILING_KINDS, aanleverkenmerkFor, isFilingKind } from '../domain/filings';
import { LIFECYCLE, lifecycleLabel, type LifecycleCode } from '../domain/lifecycle';
import { inTransaction, type Pool, type PoolClient } from '../db/pool';
import { chooseCertificateFor } from '../db/repositories/certificates';
import { writeLog } from '../db/repositories/communication-log';
import { findHubById } from '../db/repositories/hubs';
import { markAttachmentsSent, outgoingAttachments } from '../db/repositories/attachments';
import { filingReasons } from '../db/repositories/filing-reasons';
import { messageById, recordSubmission, statusHistory, type MessageRow } from '../db/repositories/messages';
import {
  closeAttempt,
  describeHolder,
  markInDoubt,
  openAttempt,
  openAttemptOf,
  type AttemptRow,
  type LaneHolder,
} from '../db/repositories/submission-attempts';
import { CertificateError } from '../integrations/pki/pkcs12';
import { CertificateNotUsable, type WusClientPool } from '../integrations/wus/client-pool';
import type { AanleverResponse } from '../integrations/wus/types';
import { takeFollowUpToken, type FollowUpRate } from '../db/repositories/status-follow-up';
import { WusFault, WusTransportError } from '../integrations/wus/errors';
import { applyProcessStatuses } from './statuses';
import { classifySendFailure, laneBusyFailure, reconcileOnDigipoort, retryFailure } from './submission';
import { DEFAULT_FOLLOW_UP_AT_MS, followUpWindowMs } from '../domain/status-follow-up';

export interface FilingActivityDeps {
  pool: Pool;
  wus: WusClientPool;
  clock?: () => Date;
  /** HTTP client for administration callbacks (H3). */
  fetch?: typeof fetch;
  /** A filing's own status follow-up after aanleveren: when it polls, and the per-hub rate (issue 10). */
  statusFollowUp?: Partial<StatusFollowUpSettings>;
}

export interface StatusFollowUpSettings {
  /** Moments after sending at which the filing polls its own process; then the hub's send/receive takes over. */
  atMs: number[];
  rate: FollowUpRate;
}

/** 2 s, 5 s, 15 s and 1 min after sending; at most 20 polls a second per hub, 40 at once. */
export const DEFAULT_STATUS_FOLLOW_UP: StatusFollowUpSettings = { atMs: [...DEFAULT_FOLLOW_UP_AT_MS], rate: { perSecond: 20, burst: 40 } };

/** Failure types the filing workflow tells apart. */
export const FILING_FAILURES = {
  digipoortFault: 'DigipoortFault',
  superseded: 'Superseded',
  needsHuman: 'NeedsHuman',
  certificate: 'CertificateNotUsable',
  ambiguous: 'AmbiguousSubmission',
  reconcilePending: 'ReconcilePending',
  /** The message was held (H12) or routed to another hub: this workflow no longer owns it. */
  notOwned: 'NotOwned',
} as const;

export type PrepareOutcome = { outcome: 'ready' | 'superseded' | 'awaiting-approval'; lifecycle: LifecycleCode };
export type SubmitOutcome = { kenmerk: string; how: 'sent' | 'already-sent' | 'adopted' };
/** Sent in one step: the certificate chosen, the content checked, aanleveren; `notified`: the 60 reached the administration. */
export type SendOutcome = SubmitOutcome & {
  certificateId: string;
  notified: boolean;
  /** When the filing polls its own process after this send (STATUS_FOLLOW_UP_AT), recorded so the workflow's timers replay. */
  followUpAtMs?: number[];
  /** When aanleveren was answered (epoch ms): the workflow counts the follow-up's moments from it. */
  sentAtMs?: number;
};
/** What the filing's own follow-up found: the message's status now; `notified`: its final lifecycle was told (H3). */
export type FollowUpOutcome = { code: string | null; lifecycle: LifecycleCode; final: boolean; notified: boolean };
/**
 * One poll of the follow-up: `stop` ends the follow-up; `waitMs`: its moment has not come yet by the activity's clock,
 * or the hub's rate has no token for it now (nothing was asked, the status fields are empty): the workflow waits that
 * long and asks again. `askedAtMs`: when
 * it asked (epoch ms), so a moment it already covers is not polled again.
 */
export type PollOutcome =
  | (FollowUpOutcome & { stop: boolean; waitMs?: undefined; askedAtMs?: number })
  | { code: null; lifecycle: null; final: false; notified: false; stop: false; waitMs: number; askedAtMs?: undefined };

export function createFilingActivities(deps: FilingActivityDeps) {
  const now = () => (deps.clock ?? (() => new Date()))();
  const httpFetch = deps.fetch ?? fetch;
  const followUp: StatusFollowUpSettings = { ...DEFAULT_STATUS_FOLLOW_UP, ...deps.statusFollowUp };

  async function log(db: Pool | PoolClient, row: MessageRow, step: Parameters<typeof writeLog>[1]['step'], level: 'I' | 'F', text: string) {
    await writeLog(db, {
      hubId: row.hub_id,
      messageId: row.id,
      messageNumber: row.number === null ? null : Number(row.number),
      step,
      level,
      text,
    });
  }

  function authority(row: MessageRow) {
    return isFilingKind(row.kind) ? FILING_KINDS[row.kind].receiver : 'belastingdienst';
  }

  async function loadOrFail(db: Pool | PoolClient, messageId: string, forUpdate = false): Promise<MessageRow> {
    const row = await messageById(db, messageId, forUpdate);
    if (!row) throw ApplicationFailure.nonRetryable(`message ${messageId} does not exist`, 'MessageMissing');
    return row;
  }

  /** Only the message's own workflow acts on it: a held (H12) or re-routed message has another owner, or none yet. */
  function assertOwned(row: MessageRow): void {
    const workflowId = Context.current().info.workflowExecution?.workflowId;
    if (row.delivery_state === 'held' || (row.workflow_id && row.workflow_id !== workflowId)) {
      throw ApplicationFailure.nonRetryable(
        row.delivery_state === 'held' ? 'H12: the message is held as needs action; not sent' : 'the message was routed elsewhere; this run stops',
        FILING_FAILURES.notOwned,
      );
    }
  }

  /** The submission is on record: kenmerk, legal receipt time, lifecycle 60. */
  async function recordSubmitted(db: PoolClient, row: MessageRow, attempt: AttemptRow, kenmerk: string, receivedAt: string, how: string) {
    await recordSubmission(db, row, kenmerk, receivedAt, attempt.id, followUpWindowMs(followUp.atMs));
    await log(db, row, 'send message', 'I', `${how}: kenmerk ${kenmerk}, received by Digipoort at ${receivedAt}`);
  }

  async function recordFailed(db: Pool | PoolClient, row: MessageRow, text: string): Promise<void> {
    await db.query(
      `UPDATE messages SET delivery_state = 'failed', lifecycle = 70, last_status_change_at = now() WHERE id = $1`,
      [row.id],
    );
    await log(db, row, 'send message', 'F', text);
  }

  /** Sends one attempt that is already durably on record as "submitting" (its attempt open in its lane). */
  async function sendAttempt(row: MessageRow, attempt: AttemptRow): Promise<SubmitOutcome> {
    const { client } = await clientForSend(row, attempt);
    // H14: the outgoing attachments go with the filing where the receiving process takes them; else they stay in the hub.
    const bijlagen = isFilingKind(row.kind) && attachmentsGoWith(FILING_KINDS[row.kind]) ? await outgoingAttachments(deps.pool, row.id) : [];
    let response: AanleverResponse;
    try {
      ({ result: response } = await client.aanleveren(
        {
          berichtsoort: row.berichtsoort,
          aanleverkenmerk: attempt.aanleverkenmerk,
          identiteitBelanghebbende: { nummer: row.identity_number, type: row.identity_type },
          rolBelanghebbende: row.role,
          berichtInhoud: {
            mimeType: 'application/xml',
            bestandsnaam: `${row.berichtsoort}-${row.number}-v${row.version}.xbrl`.slice(0, 80),
            inhoud: Buffer.from(row.content_xml ?? '', 'utf8'),
          },
          ...(bijlagen.length ? { berichtBijlagen: bijlagen.map((b) => ({ mimeType: b.mimeType, bestandsnaam: b.filename, inhoud: b.content })) } : {}),
        },
        Context.current().cancellationSignal,
      ));
    } catch (err) {
      const failure = classifySendFailure(err);
      if (!failure) throw err;
      if (failure.kind === 'refused') {
        await inTransaction(deps.pool, async (db) => {
          await closeAttempt(db, attempt.id, 'refused', { detail: failure.reason });
          await recordFailed(db, row, failure.reason);
        });
        throw ApplicationFailure.create({ message: failure.reason, type: FILING_FAILURES.digipoortFault, nonRetryable: true });
      }
      if (failure.kind === 'not-sent') {
        // Provably not sent: the attempt is over (its lane free) and a new one may simply be made.
        await inTransaction(deps.pool, async (db) => {
          await closeAttempt(db, attempt.id, 'not-sent', { detail: failure.reason });
          await db.query(`UPDATE messages SET delivery_state = 'ready', attempt_started_at = NULL WHERE id = $1 AND delivery_state = 'submitting'`, [row.id]);
          await log(db, row, 'send message', 'F', `attempt ${attempt.aanleverkenmerk} ${failure.reason}; retrying`);
        });
        throw retryFailure(failure);
      }
      await log(deps.pool, row, 'send message', 'F', `attempt ${attempt.aanleverkenmerk}: ambiguous outcome, reconciling before any resend: ${failure.reason}`);
      throw retryFailure(failure);
    }
    await inTransaction(deps.pool, async (db) => {
      const current = await loadOrFail(db, row.id, true);
      await closeAttempt(db, attempt.id, 'sent', { kenmerk: response.kenmerk, deliveredAt: response.tijdstempelAangeleverd });
      await markAttachmentsSent(db, bijlagen.map((b) => b.id));
      const carried = bijlagen.length ? ` with ${bijlagen.length} attachment${bijlagen.length === 1 ? '' : 's'} (berichtBijlagen)` : '';
      await recordSubmitted(db, current, attempt, response.kenmerk, response.tijdstempelAangeleverd, `attempt ${attempt.aanleverkenmerk} sent to Digipoort${carried}`);
    });
    return { kenmerk: response.kenmerk, how: 'sent' };
  }

  /**
   * The WUS client of the attempt's certificate. A certificate that cannot be used (C7: expired since the intent)
   * means nothing was sent: the attempt ends as not sent, its lane is free, and the message fails (70, can be reset).
   */
  async function clientForSend(row: MessageRow, attempt: AttemptRow) {
    try {
      if (!row.certificate_id) throw new CertificateNotUsable('', 'no certificate was chosen for this message');
      return await deps.wus.clientFor(row.certificate_id);
    } catch (err) {
      if (!(err instanceof CertificateNotUsable || err instanceof CertificateError)) throw err;
      await inTransaction(deps.pool, async (db) => {
        await closeAttempt(db, attempt.id, 'not-sent', { detail: err.message });
        await recordFailed(db, row, `attempt ${attempt.aanleverkenmerk} not sent: ${err.message}`);
      });
      throw ApplicationFailure.nonRetryable(err.message, FILING_FAILURES.certificate);
    }
  }

  /** A person must decide: the attempt stays open (its lane held), and the message says exactly why (H13, needs action). */
  async function handToPerson(row: MessageRow, attempt: AttemptRow, reason: string): Promise<never> {
    const text = `attempt ${attempt.aanleverkenmerk} cannot be settled without a person: ${reason}; adopt its Digipoort process or allow a resend (POST .../filings/${row.number}/resolve)`;
    await inTransaction(deps.pool, async (db) => {
      await markInDoubt(db, attempt.id, reason);
      await db.query(
        `UPDATE messages SET delivery_state = 'needs_human', needs_action_reason = $2, last_status_change_at = now() WHERE id = $1`,
        [row.id, `ambiguous submission: ${reason}`],
      );
      await log(db, row, 'reconcile', 'F', text);
    });
    throw ApplicationFailure.create({ message: `ambiguous submission: ${reason}`, type: FILING_FAILURES.needsHuman, nonRetryable: true });
  }

  /**
   * After an ambiguous attempt (or a worker that died mid-call): look its process up instead of resending. The lane
   * guarantees that only this attempt was in flight, so one unclaimed process in its window is its own; none after
   * the grace period proves it never arrived, and a new attempt is sent; a person decides only when Digipoort's
   * answers cannot (domain/reconcile.ts).
   */
  async function reconcile(row: MessageRow, attempt: AttemptRow): Promise<SubmitOutcome> {
    let client;
    try {
      ({ client } = await deps.wus.clientFor(attempt.certificate_id ?? row.certificate_id ?? ''));
    } catch (err) {
      if (err instanceof CertificateNotUsable) return handToPerson(row, attempt, `Digipoort cannot be asked about it: ${err.message}`);
      throw err;
    }
    const decision = await reconcileOnDigipoort(client, deps.pool, attempt, { callTimeoutMs: deps.wus.timeoutMs, now: now(), signal: Context.current().cancellationSignal });
    if (decision.outcome === 'adopt') {
      await inTransaction(deps.pool, async (db) => {
        const current = await loadOrFail(db, row.id, true);
        await closeAttempt(db, attempt.id, 'adopted', { kenmerk: decision.kenmerk, deliveredAt: decision.deliveredAt, detail: 'the one unclaimed process in its window' });
        await recordSubmitted(db, current, attempt, decision.kenmerk, decision.deliveredAt, `attempt ${attempt.aanleverkenmerk} reconciled after an ambiguous outcome, process adopted`);
      });
      return { kenmerk: decision.kenmerk, how: 'adopted' };
    }
    if (decision.outcome === 'wait') {
      throw ApplicationFailure.create({ message: decision.reason, type: FILING_FAILURES.reconcilePending, nextRetryDelay: decision.retryInMs, category: ApplicationFailureCategory.BENIGN });
    }
    if (decision.outcome === 'undecidable') return handToPerson(row, attempt, decision.reason);
    // Provably absent: the attempt is closed and the next one opened in the same transaction, so the lane stays ours.
    const next = await inTransaction(deps.pool, async (db) => {
      const current = await loadOrFail(db, row.id, true);
      if (current.delivery_state !== 'submitting') return { row: current };
      await closeAttempt(db, attempt.id, 'absent', { detail: `no Digipoort process after ${Math.round(decision.waitedMs / 1000)} s` });
      const opened = await openNextAttempt(db, current);
      if (!opened.attempt) return { row: current, busy: opened.busy };
      await log(db, current, 'reconcile', 'I', `no Digipoort process for attempt ${attempt.aanleverkenmerk} after ${Math.round(decision.waitedMs / 1000)} s: sending again as ${opened.attempt.aanleverkenmerk}`);
      return { row: opened.row, attempt: opened.attempt };
    });
    if (next.busy) throw laneBusyFailure(next.busy);
    if (!next.attempt) return alreadyDone(next.row);
    return sendAttempt(next.row, next.attempt);
  }

  /** The message's next attempt, opened in its lane together with the "submitting" intent (or who holds the lane). */
  async function openNextAttempt(db: PoolClient, current: MessageRow): Promise<{ row: MessageRow; attempt: AttemptRow; busy?: undefined } | { busy: LaneHolder; attempt?: undefined }> {
    const hub = await findHubById(db, current.hub_id!);
    const number = current.attempt + 1;
    const aanleverkenmerk = aanleverkenmerkFor(hub!.participantNumber, Number(current.number), current.version, number);
    const lane = { berichtsoort: current.berichtsoort, identityType: current.identity_type, identityNumber: current.identity_number };
    const taken = await openAttempt(db, { owner: { messageId: current.id }, attempt: number, hubId: current.hub_id, lane, certificateId: current.certificate_id!, aanleverkenmerk });
    if (taken.busy) return { busy: taken.busy };
    const { rows } = await db.query<MessageRow>(
      `UPDATE messages SET delivery_state = 'submitting', attempt = $2, attempt_started_at = $3, aanleverkenmerk = $4 WHERE id = $1 RETURNING *`,
      [current.id, number, taken.opened.started_at, aanleverkenmerk],
    );
    return { row: rows[0], attempt: taken.opened };
  }

  function alreadyDone(row: MessageRow): SubmitOutcome {
    if (!row.kenmerk) throw ApplicationFailure.nonRetryable(`message is ${row.delivery_state} without a kenmerk`, FILING_FAILURES.digipoortFault);
    return { kenmerk: row.kenmerk, how: 'already-sent' };
  }

  /** Logs once that the message waits its turn in its lane (not at every retry). */
  async function noteWaiting(row: MessageRow, holder: LaneHolder): Promise<void> {
    const text = `waiting its turn: ${describeHolder(holder)}`;
    const { rows } = await deps.pool.query<{ text: string }>('SELECT text FROM communication_log WHERE message_id = $1 ORDER BY id DESC LIMIT 1', [row.id]);
    if (rows[0]?.text !== text) await log(deps.pool, row, 'send message', 'I', text);
  }

  async function chooseCertificate(row: MessageRow): Promise<{ certificateId: string; role: string }> {
    if (row.certificate_id && row.delivery_state !== 'ready') return { certificateId: row.certificate_id, role: row.role };
    let choice: CertificateChoice;
    try {
      choice = await chooseCertificateFor(deps.pool, { hubId: row.hub_id!, organisationId: row.organisation_id, administrationId: row.administration_id, now: now() });
    } catch (err) {
      if (!(err instanceof RuleViolation)) throw err;
      // Not sent: a technical failure (70) that can be reset (H10) once the certificates are in order.
      await inTransaction(deps.pool, (db) => recordFailed(db, row, err.message));
      throw ApplicationFailure.create({ message: err.message, type: FILING_FAILURES.certificate, nonRetryable: true });
    }
    await deps.pool.query(`UPDATE messages SET certificate_id = $2, role = $3 WHERE id = $1 AND delivery_state = 'ready'`, [row.id, choice.certificateId, choice.role]);
    await log(deps.pool, row, 'send message', 'I', `signed with certificate ${choice.certificateId} (${choice.via}${choice.groupName ? ` group "${choice.groupName}"` : ''}${choice.beconNumber ? `, Becon ${choice.beconNumber}` : ''}) as ${choice.role}`);
    return { certificateId: choice.certificateId, role: choice.role };
  }

  /** The content is what was built and checked at preparation, unchanged (its hash). */
  async function checkContent(row: MessageRow): Promise<{ bytes: number; sha256: string }> {
    const content = row.content_xml ?? '';
    const sha256 = createHash('sha256').update(content, 'utf8').digest('hex');
    if (!content || sha256 !== row.content_sha256) {
      const text = 'the stored content does not match its hash: not sent';
      await log(deps.pool, row, 'send message', 'F', text);
      throw ApplicationFailure.nonRetryable(text, 'ContentChanged');
    }
    return { bytes: Buffer.byteLength(content), sha256 };
  }

  /** H3 once, for the fast path: false when it was not delivered (logged by notify), so the workflow tells it durably. */
  async function notifyOnce(messageId: string, lifecycle: LifecycleCode): Promise<boolean> {
    try {
      await notify(messageId, lifecycle);
      return true;
    } catch {
      return false;
    }
  }

  /** One poll of the message's process; 'stop' when Digipoort cannot be asked now (the hub's send/receive will). */
  async function followUpOnce(messageId: string): Promise<(Omit<FollowUpOutcome, 'notified'> & { retryInMs?: number }) | 'stop'> {
    const current = async () => {
      const row = await loadOrFail(deps.pool, messageId);
      return { row, seen: { code: row.digipoort_status, lifecycle: row.lifecycle as LifecycleCode, final: row.delivery_state === 'final' || row.delivery_state === 'failed' } };
    };
    const { row, seen } = await current();
    if (seen.final || row.delivery_state !== 'submitted' || !row.kenmerk || !row.hub_id) return seen;
    const token = await takeFollowUpToken(deps.pool, row.hub_id, followUp.rate);
    if (!token.taken) return { ...seen, retryInMs: token.retryInMs };
    const hub = await findHubById(deps.pool, row.hub_id);
    if (!hub || !row.certificate_id) return stopFollowing(row.id);
    try {
      const { client } = await deps.wus.clientFor(row.certificate_id);
      const results = await client.getStatussenProces({ kenmerk: row.kenmerk }, Context.current().cancellationSignal);
      const change = await applyProcessStatuses(deps.pool, hub, { ...row, number: String(row.number), kenmerk: row.kenmerk, lifecycle: row.lifecycle as LifecycleCode }, results);
      // What this poll applied is what the message now holds; with nothing new, read it (send/receive may have moved it).
      if (change) return { code: change.code, lifecycle: change.lifecycle, final: change.final };
    } catch (err) {
      if (!(err instanceof WusFault || err instanceof WusTransportError || err instanceof CertificateNotUsable || err instanceof CertificateError)) throw err;
      await log(deps.pool, row, 'receive', 'I', `status follow-up stopped (${err instanceof WusFault ? err.foutcode : err.message}): the hub's send/receive receives the statuses`);
      return stopFollowing(row.id);
    }
    return (await current()).seen;
  }

  /** The follow-up ends early: the hub's next scheduled send/receive asks about the process again at once. */
  async function stopFollowing(messageId: string): Promise<'stop'> {
    await deps.pool.query('UPDATE messages SET followed_until = NULL WHERE id = $1', [messageId]);
    return 'stop';
  }

  return {
    /** Prepared (H4): 0 → 50 when no approval is required. A superseded message (H11) is never sent. */
    async prepareForSending({ messageId }: { messageId: string }): Promise<PrepareOutcome> {
      return inTransaction(deps.pool, async (client) => {
        const row = await loadOrFail(client, messageId, true);
        assertOwned(row);
        if (row.do_not_send) return { outcome: 'superseded', lifecycle: row.lifecycle as LifecycleCode };
        if (row.approval_required && (row.lifecycle ?? 0) < 50) return { outcome: 'awaiting-approval', lifecycle: row.lifecycle as LifecycleCode };
        if (row.lifecycle === 0) {
          await client.query('UPDATE messages SET lifecycle = 50, last_status_change_at = now() WHERE id = $1', [messageId]);
          await log(client, row, 'prepare message', 'I', `prepared for sending to ${authority(row) === 'kvk' ? 'KvK' : 'the tax authority'} (approval not required)`);
          return { outcome: 'ready', lifecycle: 50 };
        }
        return { outcome: 'ready', lifecycle: row.lifecycle as LifecycleCode };
      });
    },

    /**
     * The certificate that signs the message (C1, C4, C5): the service provider's when the administration (or the
     * hub) files with it (role Bedrijf); otherwise the firm's own, i.e. the certificate of the group of the client's
     * Becon in its latest year, else the work certificate (role Intermediair). C7: never an expired one.
     */
    async chooseCertificate({ messageId }: { messageId: string }): Promise<{ certificateId: string; role: string }> {
      return chooseCertificate(await loadOrFail(deps.pool, messageId));
    },

    /** The content is what was built and checked at preparation, unchanged (its hash). */
    async checkContent({ messageId }: { messageId: string }): Promise<{ bytes: number; sha256: string }> {
      return checkContent(await loadOrFail(deps.pool, messageId));
    },

    /**
     * Exactly once in effect: a durable "submitting" record before every aanleveren; an ambiguous outcome is
     * reconciled (getProcessen), never blindly resent; a fault is definite (lifecycle 70).
     */
    async submitToDigipoort({ messageId }: { messageId: string }): Promise<SubmitOutcome> {
      return withHeartbeat(() => submit(messageId));
    },

    /**
     * The sending of a filing in one step (issue 10: one activity where there were three): the certificate chosen
     * (C1–C5, C7), the content checked (its hash), then aanleveren exactly once in effect, as submitToDigipoort does.
     * The certificate is chosen on the first attempt only, as when it was a step of its own; a retry sends with it.
     * Then the administration is told of 60 once (H3); when that fails, the workflow tells it durably.
     */
    async sendFiling({ messageId }: { messageId: string }): Promise<SendOutcome> {
      return withHeartbeat(async () => {
        const row = await loadOrFail(deps.pool, messageId);
        // One read of the message serves both checks (neither changes what the other reads).
        const certificateId = Context.current().info.attempt === 1 || !row.certificate_id ? (await chooseCertificate(row)).certificateId : row.certificate_id;
        await checkContent(row);
        const submitted = await submit(messageId);
        const sentAtMs = Date.now();
        return { ...submitted, certificateId, notified: await notifyOnce(messageId, 60), followUpAtMs: followUp.atMs, sentAtMs };
      });
    },

    /**
     * A filing's own status follow-up after aanleveren (issue 10, H5, H6): polls its process at the configured moments
     * (2 s, 5 s, 15 s, 1 min after sending), within the hub's rate (a poll without a token is skipped), and stores what
     * it finds through the same code as the hub's send/receive. Returns at the first final status (told to the
     * administration once when `notifyFinal`), else the status after the last poll: from then on the hub's send/receive
     * and its signals carry the filing.
     */
    async followUpStatuses({ messageId, notifyFinal }: { messageId: string; notifyFinal: boolean }): Promise<FollowUpOutcome> {
      return withHeartbeat(async () => {
        const context = Context.current();
        let waited = 0;
        for (const at of followUp.atMs) {
          await context.sleep(Math.max(0, at - waited));
          waited = at;
          const seen = await followUpOnce(messageId);
          if (seen === 'stop') break;
          if (seen.final) return { ...seen, notified: notifyFinal ? await notifyOnce(messageId, seen.lifecycle) : false };
        }
        const row = await loadOrFail(deps.pool, messageId);
        return { code: row.digipoort_status, lifecycle: row.lifecycle as LifecycleCode, final: false, notified: false };
      });
    },

    /**
     * One poll of the filing's own process (issue 10, H5, H6), a local activity between the workflow's timers: no
     * activity slot is held while the filing waits for its next moment. A poll over the hub's rate is skipped (the
     * status as stored is answered). `stop`: Digipoort cannot be asked now, or the follow-up is switched off
     * (STATUS_FOLLOW_UP_AT none): the hub's send/receive carries the filing. A final status is told to the
     * administration once when `notifyFinal`.
     */
    async pollOwnProcess({ messageId, notifyFinal, notBeforeMs }: { messageId: string; notifyFinal: boolean; notBeforeMs?: number }): Promise<PollOutcome> {
      // The workflow's clock is that of the event that woke it, seconds behind on a busy worker: this clock decides.
      const askedAtMs = Date.now();
      if (notBeforeMs !== undefined && notBeforeMs > askedAtMs) return { code: null, lifecycle: null, final: false, notified: false, stop: false, waitMs: notBeforeMs - askedAtMs };
      const seen = followUp.atMs.length === 0 ? 'stop' : await followUpOnce(messageId);
      if (seen === 'stop') {
        const row = await loadOrFail(deps.pool, messageId);
        return { code: row.digipoort_status, lifecycle: row.lifecycle as LifecycleCode, final: false, notified: false, stop: true, askedAtMs };
      }
      // Over the hub's rate: nothing was asked; the workflow asks again once a token is back, not at the next moment.
      const { retryInMs, ...status } = seen;
      if (retryInMs !== undefined) return { code: null, lifecycle: null, final: false, notified: false, stop: false, waitMs: retryInMs };
      return { ...status, notified: status.final && notifyFinal ? await notifyOnce(messageId, status.lifecycle) : false, stop: false, askedAtMs };
    },

    /**
     * H3: pushes a lifecycle change of the filing to the administration's callback URL, in order; retried durably by
     * Temporal. The event carries the lifecycle it announces; the history is the current one.
     */
    async notifyAdministration({ messageId, lifecycle }: { messageId: string; lifecycle: LifecycleCode }): Promise<'sent' | 'no-callback'> {
      return notify(messageId, lifecycle);
    },

    async recordFilingNote({ messageId, level, text }: { messageId: string; level: 'I' | 'F'; text: string }): Promise<void> {
      const row = await loadOrFail(deps.pool, messageId);
      await log(deps.pool, row, 'process message', level, text);
    },

    async markWorkflowClosed({ messageId }: { messageId: string }): Promise<void> {
      await deps.pool.query('UPDATE messages SET workflow_closed_at = now() WHERE id = $1', [messageId]);
    },
  };

  /**
   * Exactly once in effect: the intent ("submitting", with its attempt opened in the submission lane) is committed
   * before aanleveren; an attempt found open (an ambiguous outcome, or a worker that died) is reconciled, never
   * blindly resent; while another attempt holds the lane the message waits its turn.
   */
  async function submit(messageId: string): Promise<SubmitOutcome> {
    const intent = await inTransaction(deps.pool, async (db) => {
      const current = await loadOrFail(db, messageId, true);
      assertOwned(current);
      if (current.do_not_send) throw ApplicationFailure.nonRetryable('H11: superseded by a newer version: not sent', FILING_FAILURES.superseded);
      if (current.delivery_state === 'needs_human') {
        throw ApplicationFailure.nonRetryable('a person must resolve the ambiguous submission first', FILING_FAILURES.needsHuman);
      }
      if (['submitted', 'final', 'failed'].includes(current.delivery_state)) return { done: current };
      if (current.delivery_state === 'ready') {
        const opened = await openNextAttempt(db, current);
        return opened.busy ? { row: current, busy: opened.busy } : { row: opened.row, attempt: opened.attempt, fresh: true };
      }
      if (current.delivery_state !== 'submitting') {
        throw ApplicationFailure.nonRetryable(`message in state ${current.delivery_state} cannot be sent`, 'NotSendable');
      }
      const open = await openAttemptOf(db, { messageId });
      if (open) return { row: current, attempt: open, fresh: false };
      // In doubt from before attempts were records: its attempt opens (and is reconciled) once the lane is free.
      const lane = { berichtsoort: current.berichtsoort, identityType: current.identity_type, identityNumber: current.identity_number };
      const taken = await openAttempt(db, {
        owner: { messageId },
        attempt: Math.max(1, current.attempt),
        hubId: current.hub_id,
        lane,
        certificateId: current.certificate_id!,
        aanleverkenmerk: current.aanleverkenmerk!,
        startedAt: current.attempt_started_at ?? undefined,
      });
      return taken.busy ? { row: current, busy: taken.busy } : { row: current, attempt: taken.opened, fresh: false };
    });
    if ('done' in intent && intent.done) return alreadyDone(intent.done);
    if (intent.busy) {
      await noteWaiting(intent.row, intent.busy);
      throw laneBusyFailure(intent.busy);
    }
    // A record made just now: send. A record found (the worker died, or the outcome was ambiguous): reconcile.
    return intent.fresh ? sendAttempt(intent.row, intent.attempt!) : reconcile(intent.row, intent.attempt!);
  }

  async function notify(messageId: string, lifecycle: LifecycleCode): Promise<'sent' | 'no-callback'> {
      const row = await loadOrFail(deps.pool, messageId);
      const { rows } = await deps.pool.query<{ callback_url: string | null; callback_secret: string | null }>(
        'SELECT callback_url, callback_secret FROM administrations WHERE id = $1',
        [row.administration_id],
      );
      const target = rows[0];
      if (!target?.callback_url) return 'no-callback';
      const hub = row.hub_id ? await findHubById(deps.pool, row.hub_id) : undefined;
      const body = JSON.stringify({
        event: 'filing.status',
        participant: hub?.participantNumber,
        number: Number(row.number),
        version: row.version,
        kind: row.kind,
        period: row.period,
        lifecycle,
        lifecycleLabel: LIFECYCLE[lifecycle] ? lifecycleLabel(lifecycle, authority(row), 'en', row.approval_required) : null,
        digipoortStatus: row.digipoort_status,
        lastStatusChange: row.last_status_change_at.toISOString(),
        statusHistory: (await statusHistory(deps.pool, row.id)).map((s) => ({ code: s.statuscode, at: s.tijdstempelStatus, description: s.statusomschrijving })),
        // Why it ended here (H3): the client's rejection reason (40), the authority's refusal message (90).
        ...(await filingReasons(deps.pool, { id: row.id, kenmerk: row.kenmerk }, lifecycle)),
      });
      const signature = createHmac('sha256', target.callback_secret ?? '').update(body).digest('hex');
      let response: Response;
      try {
        response = await httpFetch(target.callback_url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-filing-hub-signature': `sha256=${signature}`, 'x-filing-hub-event': `${row.id}:${lifecycle}` },
          body,
          signal: AbortSignal.timeout(10_000),
        });
      } catch (err) {
        await log(deps.pool, row, 'callback', 'F', `status ${lifecycle} not delivered to the administration: ${(err as Error).message}; retrying`);
        throw err;
      }
      if (!response.ok) {
        await log(deps.pool, row, 'callback', 'F', `status ${lifecycle} not accepted by the administration (HTTP ${response.status}); retrying`);
        throw new Error(`callback answered HTTP ${response.status}`);
      }
      await log(deps.pool, row, 'callback', 'I', `status ${lifecycle} delivered to the administration`);
      return 'sent';
  }
}

export type FilingActivities = ReturnType<typeof createFilingActivities>;
