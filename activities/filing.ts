import { createHash, createHmac } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { CertificateChoice } from '../domain/certificates';
import { RuleViolation } from '../domain/errors';
import { FILING_KINDS, aanleverkenmerkFor, isFilingKind } from '../domain/filings';
import { LIFECYCLE, lifecycleLabel, type LifecycleCode } from '../domain/lifecycle';
import { inTransaction, type Pool, type PoolClient } from '../db/pool';
import { chooseCertificateFor } from '../db/repositories/certificates';
import { writeLog } from '../db/repositories/communication-log';
import { findHubById } from '../db/repositories/hubs';
import { messageById, statusHistory, type MessageRow } from '../db/repositories/messages';
import { CertificateNotUsable, type WusClientPool } from '../integrations/wus/client-pool';
import { WusFault, WusRequestError, WusSecurityError, WusTransportError } from '../integrations/wus/errors';
import type { AanleverResponse } from '../integrations/wus/types';

export interface FilingActivityDeps {
  pool: Pool;
  wus: WusClientPool;
  clock?: () => Date;
  /** HTTP client for administration callbacks (H3). */
  fetch?: typeof fetch;
}

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

/** Heartbeats while `work` runs, so a worker that dies mid-call is noticed within the heartbeat timeout. */
export async function withHeartbeat<T>(work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), 3000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** Tolerance between our clock and Digipoort's when matching a process to an attempt. */
const RECONCILE_CLOCK_TOLERANCE_MS = 120_000;

export function createFilingActivities(deps: FilingActivityDeps) {
  const now = () => (deps.clock ?? (() => new Date()))();
  const httpFetch = deps.fetch ?? fetch;

  async function environmentOf(db: Pool | PoolClient, row: MessageRow): Promise<string> {
    const hub = row.hub_id ? await findHubById(db, row.hub_id) : undefined;
    return hub?.environmentCode ?? 'no hub';
  }

  async function log(db: Pool | PoolClient, row: MessageRow, step: Parameters<typeof writeLog>[1]['step'], level: 'I' | 'F', text: string) {
    await writeLog(db, {
      hubId: row.hub_id,
      environment: await environmentOf(db, row),
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
  async function recordSubmitted(client: PoolClient, row: MessageRow, kenmerk: string, receivedAt: string, how: string) {
    // A return message already kept as unknown (ONB) for this kenmerk belongs to this filing after all.
    const adopted = await client.query<{ id: string }>(
      `UPDATE messages SET resolution = $1, resolved_at = now(), kenmerk = NULL
        WHERE kenmerk = $2 AND subtype = 'ONB' RETURNING id`,
      [`correlated with message ${row.number}`, kenmerk],
    );
    for (const onb of adopted.rows) {
      await client.query('UPDATE digipoort_statuses SET message_id = $1 WHERE message_id = $2', [row.id, onb.id]);
    }
    await client.query(
      `UPDATE messages SET delivery_state = 'submitted', kenmerk = $2, submitted_at = $3, lifecycle = 60,
              last_status_change_at = now() WHERE id = $1`,
      [row.id, kenmerk, receivedAt],
    );
    await log(client, row, 'send message', 'I', `${how}: kenmerk ${kenmerk}, received by Digipoort at ${receivedAt}`);
  }

  async function recordFailed(row: MessageRow, text: string): Promise<void> {
    await inTransaction(deps.pool, async (client) => {
      await client.query(
        `UPDATE messages SET delivery_state = 'failed', lifecycle = 70, last_status_change_at = now() WHERE id = $1`,
        [row.id],
      );
      await log(client, row, 'send message', 'F', text);
    });
  }

  /** Sends one attempt that is already durably on record as "submitting". */
  async function sendAttempt(row: MessageRow): Promise<SubmitOutcome> {
    const { client } = await wusClientFor(row);
    let response: AanleverResponse;
    try {
      ({ result: response } = await client.aanleveren(
        {
          berichtsoort: row.berichtsoort,
          aanleverkenmerk: row.aanleverkenmerk ?? undefined,
          identiteitBelanghebbende: { nummer: row.identity_number, type: row.identity_type },
          rolBelanghebbende: row.role,
          berichtInhoud: {
            mimeType: 'application/xml',
            bestandsnaam: `${row.berichtsoort}-${row.number}-v${row.version}.xbrl`.slice(0, 80),
            inhoud: Buffer.from(row.content_xml ?? '', 'utf8'),
          },
        },
        Context.current().cancellationSignal,
      ));
    } catch (err) {
      if (err instanceof WusFault || err instanceof WusRequestError) {
        const what = err instanceof WusFault ? `Digipoort refused the message: ${err.foutcode} ${err.foutbeschrijving}` : `not sent: ${err.message}`;
        await recordFailed(row, what);
        throw ApplicationFailure.create({ message: what, type: FILING_FAILURES.digipoortFault, nonRetryable: true });
      }
      if (err instanceof WusTransportError && !err.ambiguous) {
        // Provably not sent (no connection, TLS refused before the request): the attempt can simply be made again.
        await deps.pool.query(`UPDATE messages SET delivery_state = 'ready', attempt_started_at = NULL WHERE id = $1`, [row.id]);
        await log(deps.pool, row, 'send message', 'F', `not sent (${err.failure}): ${err.message}; retrying`);
        throw ApplicationFailure.create({ message: err.message, type: 'DigipoortUnavailable' });
      }
      if (err instanceof WusTransportError || err instanceof WusSecurityError) {
        await log(deps.pool, row, 'send message', 'F', `ambiguous outcome, reconciling before any resend: ${err.message}`);
        throw ApplicationFailure.create({ message: err.message, type: FILING_FAILURES.ambiguous });
      }
      throw err;
    }
    await inTransaction(deps.pool, async (client) => {
      const current = await loadOrFail(client, row.id, true);
      await recordSubmitted(client, current, response.kenmerk, response.tijdstempelAangeleverd, 'sent to Digipoort');
    });
    return { kenmerk: response.kenmerk, how: 'sent' };
  }

  async function wusClientFor(row: MessageRow) {
    if (!row.certificate_id) throw ApplicationFailure.nonRetryable('no certificate was chosen for this message', FILING_FAILURES.certificate);
    try {
      return await deps.wus.clientFor(row.certificate_id);
    } catch (err) {
      if (err instanceof CertificateNotUsable) {
        await log(deps.pool, row, 'send message', 'F', err.message);
        throw ApplicationFailure.nonRetryable(err.message, FILING_FAILURES.certificate);
      }
      throw err;
    }
  }

  /**
   * After an ambiguous attempt: look the process up instead of resending. One unknown process since the attempt →
   * adopt it; none after the grace period → provably absent, resend; more than one → a person decides.
   */
  async function reconcile(row: MessageRow): Promise<SubmitOutcome | 'absent'> {
    const { client } = await wusClientFor(row);
    const processes = await client.getProcessen({
      berichtsoort: row.berichtsoort,
      identiteitBelanghebbende: { nummer: row.identity_number, type: row.identity_type },
    });
    const { rows: known } = await deps.pool.query<{ kenmerk: string }>(
      `SELECT kenmerk FROM messages WHERE kenmerk = ANY($1) AND direction = 'outgoing'`,
      [processes.map((p) => p.kenmerk)],
    );
    const knownSet = new Set(known.map((k) => k.kenmerk));
    const since = (row.attempt_started_at?.getTime() ?? 0) - RECONCILE_CLOCK_TOLERANCE_MS;
    const candidates: { kenmerk: string; deliveredAt: string }[] = [];
    for (const process of processes.filter((p) => !knownSet.has(p.kenmerk))) {
      const statuses = await client.getStatussenProces({ kenmerk: process.kenmerk });
      const first = statuses.map((s) => Date.parse(s.tijdstempelStatus)).sort((a, b) => a - b)[0];
      if (first !== undefined && first >= since) candidates.push({ kenmerk: process.kenmerk, deliveredAt: new Date(first).toISOString() });
    }
    if (candidates.length === 1) {
      const [found] = candidates;
      await inTransaction(deps.pool, async (db) => {
        const current = await loadOrFail(db, row.id, true);
        await recordSubmitted(db, current, found.kenmerk, found.deliveredAt, 'reconciled after an ambiguous attempt, process adopted');
      });
      return { kenmerk: found.kenmerk, how: 'adopted' };
    }
    if (candidates.length > 1) {
      const list = candidates.map((c) => c.kenmerk).join(', ');
      await inTransaction(deps.pool, async (db) => {
        await db.query(`UPDATE messages SET delivery_state = 'needs_human', last_status_change_at = now() WHERE id = $1`, [row.id]);
        await log(db, row, 'reconcile', 'F', `ambiguous: ${candidates.length} unknown Digipoort processes since the attempt (${list}); a person must choose`);
      });
      throw ApplicationFailure.create({ message: `ambiguous submission: candidates ${list}`, type: FILING_FAILURES.needsHuman, nonRetryable: true, details: [candidates] });
    }
    return 'absent';
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
      const row = await loadOrFail(deps.pool, messageId);
      if (row.certificate_id && row.delivery_state !== 'ready') return { certificateId: row.certificate_id, role: row.role };
      let choice: CertificateChoice;
      try {
        choice = await chooseCertificateFor(deps.pool, { hubId: row.hub_id!, organisationId: row.organisation_id, administrationId: row.administration_id, now: now() });
      } catch (err) {
        if (!(err instanceof RuleViolation)) throw err;
        // Not sent: a technical failure (70) that can be reset (H10) once the certificates are in order.
        await recordFailed(row, err.message);
        throw ApplicationFailure.create({ message: err.message, type: FILING_FAILURES.certificate, nonRetryable: true });
      }
      await deps.pool.query(`UPDATE messages SET certificate_id = $2, role = $3 WHERE id = $1 AND delivery_state = 'ready'`, [messageId, choice.certificateId, choice.role]);
      await log(deps.pool, row, 'send message', 'I', `signed with certificate ${choice.certificateId} (${choice.via}${choice.groupName ? ` group "${choice.groupName}"` : ''}${choice.beconNumber ? `, Becon ${choice.beconNumber}` : ''}) as ${choice.role}`);
      return { certificateId: choice.certificateId, role: choice.role };
    },

    /** The content is what was built and checked at preparation, unchanged (its hash). */
    async checkContent({ messageId }: { messageId: string }): Promise<{ bytes: number; sha256: string }> {
      const row = await loadOrFail(deps.pool, messageId);
      const content = row.content_xml ?? '';
      const sha256 = createHash('sha256').update(content, 'utf8').digest('hex');
      if (!content || sha256 !== row.content_sha256) {
        const text = 'the stored content does not match its hash: not sent';
        await log(deps.pool, row, 'send message', 'F', text);
        throw ApplicationFailure.nonRetryable(text, 'ContentChanged');
      }
      return { bytes: Buffer.byteLength(content), sha256 };
    },

    /**
     * Exactly once in effect: a durable "submitting" record before every aanleveren; an ambiguous outcome is
     * reconciled (getProcessen), never blindly resent; a fault is definite (lifecycle 70).
     */
    async submitToDigipoort({ messageId }: { messageId: string }): Promise<SubmitOutcome> {
      return withHeartbeat(() => submit(messageId));
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

  async function submit(messageId: string): Promise<SubmitOutcome> {
      const grace = Math.max(2 * deps.wus.timeoutMs, 10_000);
      // 1. The intent, committed before any network call. `fresh`: this execution made the record.
      const { row, fresh } = await inTransaction(deps.pool, async (client) => {
        const current = await loadOrFail(client, messageId, true);
        assertOwned(current);
        if (current.do_not_send) throw ApplicationFailure.nonRetryable('H11: superseded by a newer version: not sent', FILING_FAILURES.superseded);
        if (current.delivery_state === 'needs_human') {
          throw ApplicationFailure.nonRetryable('a person must resolve the ambiguous submission first', FILING_FAILURES.needsHuman);
        }
        if (current.delivery_state === 'ready') {
          const hub = await findHubById(client, current.hub_id!);
          const attempt = current.attempt + 1;
          const aanleverkenmerk = aanleverkenmerkFor(hub!.participantNumber, Number(current.number), current.version, attempt);
          const { rows } = await client.query<MessageRow>(
            `UPDATE messages SET delivery_state = 'submitting', attempt = $2, attempt_started_at = now(), aanleverkenmerk = $3
              WHERE id = $1 RETURNING *`,
            [messageId, attempt, aanleverkenmerk],
          );
          return { row: rows[0], fresh: true };
        }
        return { row: current, fresh: false };
      });
      if (row.delivery_state === 'submitted' || row.delivery_state === 'final' || row.delivery_state === 'failed') {
        if (!row.kenmerk) throw ApplicationFailure.nonRetryable(`message is ${row.delivery_state} without a kenmerk`, FILING_FAILURES.digipoortFault);
        return { kenmerk: row.kenmerk, how: 'already-sent' };
      }
      if (row.delivery_state !== 'submitting') {
        throw ApplicationFailure.nonRetryable(`message in state ${row.delivery_state} cannot be sent`, 'NotSendable');
      }
      // 2. A record made just now: send. A record found (the worker died, or the outcome was ambiguous): reconcile.
      if (fresh) return sendAttempt(row);
      const reconciled = await reconcile(row);
      if (reconciled !== 'absent') return reconciled;
      const waited = now().getTime() - (row.attempt_started_at?.getTime() ?? 0);
      if (waited < grace) {
        throw ApplicationFailure.create({
          message: `no Digipoort process found yet; checking again before concluding it is absent`,
          type: FILING_FAILURES.reconcilePending,
          nextRetryDelay: Math.max(1000, grace - waited),
        });
      }
      // Provably absent: a new attempt, again on record before it is sent.
      const next = await inTransaction(deps.pool, async (client) => {
        const current = await loadOrFail(client, messageId, true);
        if (current.delivery_state !== 'submitting') return current;
        const hub = await findHubById(client, current.hub_id!);
        const attempt = current.attempt + 1;
        const { rows } = await client.query<MessageRow>(
          `UPDATE messages SET attempt = $2, attempt_started_at = now(), aanleverkenmerk = $3 WHERE id = $1 RETURNING *`,
          [messageId, attempt, aanleverkenmerkFor(hub!.participantNumber, Number(current.number), current.version, attempt)],
        );
        await log(client, current, 'reconcile', 'I', `no Digipoort process for attempt ${current.attempt} after ${Math.round(waited / 1000)} s: sending again (attempt ${attempt})`);
        return rows[0];
      });
      if (next.delivery_state !== 'submitting') return { kenmerk: next.kenmerk ?? '', how: 'already-sent' };
      return sendAttempt(next);
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
        lifecycleLabel: LIFECYCLE[lifecycle] ? lifecycleLabel(lifecycle, authority(row)) : null,
        digipoortStatus: row.digipoort_status,
        lastStatusChange: row.last_status_change_at.toISOString(),
        statusHistory: (await statusHistory(deps.pool, row.id)).map((s) => ({ code: s.statuscode, at: s.tijdstempelStatus, description: s.statusomschrijving })),
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
