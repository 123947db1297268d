import { ApplicationFailure, Context } from '@temporalio/activity';
import { classifyStatus } from '../domain/digipoort-status';
import { covers, type MandateState } from '../domain/mandates';
import { viaAanleverkenmerk, type ViaRetrievalState } from '../domain/via';
import { inTransaction, type Pool, type PoolClient } from '../db/pool';
import { writeLog } from '../db/repositories/communication-log';
import { findHubById } from '../db/repositories/hubs';
import { storeViaData, viaDataVersionOfRetrieval, viaRetrievalById, type ViaRetrievalRow } from '../db/repositories/via';
import { buildViaRequest, VIA_BERICHTSOORT, VIA_IDENTITY_TYPE, VIA_ROLE, viaAnswerOf, ViaAnswerError, viaFileName, type ViaAnswer } from '../integrations/via/format';
import { usableClient, type WusClientPool } from '../integrations/wus/client-pool';
import { WusFault, WusRequestError, WusSecurityError, WusTransportError } from '../integrations/wus/errors';
import type { StatusResultaat } from '../integrations/wus/types';
import { withHeartbeat } from './heartbeat';
import { classifySendFailure } from './submission';

/**
 * VIA retrieval (seed 000, C4, C6): sends a client's request for its pre-filled income-tax data through Digipoort and
 * reads the tax authority's answer from the request's process. The data goes from Digipoort into PostgreSQL inside
 * these activities; Temporal sees ids and states only, never the data or the fiscal number.
 */
export interface ViaActivityDeps {
  pool: Pool;
  wus: WusClientPool;
}

export const VIA_FAILURES = {
  missing: 'ViaRetrievalMissing',
  /** Digipoort did not (clearly) take the request: the next attempt follows after a delay. */
  unavailable: 'DigipoortUnavailable',
} as const;

/** What the retrieval's workflow knows of it (ids and states only). */
export interface ViaRetrievalView {
  retrievalId: string;
  organisationId: string;
  year: number;
  state: ViaRetrievalState;
  certificateId: string;
  /** The workflow of the mandate the retrieval goes under (told to check the register when the answer is a refusal). */
  mandateWorkflowId: string | null;
  attempts: number;
  submittedAt: string | null;
  checkProblem: string | null;
  reason: string | null;
  dataVersion: number | null;
}

const MAX_RETRY_DELAY_MS = 120_000;

export function createViaActivities(deps: ViaActivityDeps) {
  async function log(db: Pool | PoolClient, r: ViaRetrievalRow, step: 'send message' | 'receive', level: 'I' | 'F', text: string) {
    await writeLog(db, { hubId: r.hub_id, step, level, text: `VIA ${r.year} of client ${r.organisation_id} (retrieval ${r.id}): ${text}` });
  }

  async function load(db: Pool | PoolClient, retrievalId: string, forUpdate = false): Promise<ViaRetrievalRow> {
    const r = await viaRetrievalById(db, retrievalId, forUpdate);
    if (!r) throw ApplicationFailure.nonRetryable(`VIA retrieval ${retrievalId} does not exist`, VIA_FAILURES.missing);
    return r;
  }

  async function view(retrievalId: string): Promise<ViaRetrievalView> {
    const r = await load(deps.pool, retrievalId);
    const { rows } = r.mandate_id ? await deps.pool.query<{ workflow_id: string }>('SELECT workflow_id FROM mandates WHERE id = $1', [r.mandate_id]) : { rows: [] };
    return {
      retrievalId: r.id,
      organisationId: r.organisation_id,
      year: r.year,
      state: r.state,
      certificateId: r.certificate_id,
      mandateWorkflowId: rows[0]?.workflow_id ?? null,
      attempts: r.attempt,
      submittedAt: r.submitted_at?.toISOString() ?? null,
      checkProblem: r.check_problem,
      reason: r.reason,
      dataVersion: await viaDataVersionOfRetrieval(deps.pool, r.id),
    };
  }

  /** Ends a running retrieval (once: a retrieval that already ended is left as it is). */
  async function finish(db: PoolClient, r: ViaRetrievalRow, state: 'retrieved' | 'refused' | 'failed', reason: string | null, refusalCode: string | null = null): Promise<boolean> {
    const { rowCount } = await db.query(
      `UPDATE via_retrievals SET state = $2, reason = $3, refusal_code = $4, check_problem = NULL, finished_at = now()
        WHERE id = $1 AND state IN ('requested', 'submitted')`,
      [r.id, state, reason, refusalCode],
    );
    return rowCount === 1;
  }

  async function fail(r: ViaRetrievalRow, step: 'send message' | 'receive', reason: string): Promise<void> {
    await inTransaction(deps.pool, async (db) => {
      if (await finish(db, await load(db, r.id, true), 'failed', reason)) await log(db, r, step, 'F', `failed: ${reason}`);
    });
  }

  /**
   * Sends the request. A VIA request only asks: it changes nothing at the tax authority, so an attempt without a clear
   * answer (no connection, HTTP 503, a reset) is followed by the next attempt with its own aanleverkenmerk instead of
   * being reconciled; a process an unanswered attempt may have left at Digipoort is never read.
   */
  async function submit(retrievalId: string): Promise<void> {
    const intent = await inTransaction(deps.pool, async (db): Promise<ViaRetrievalRow | undefined> => {
      const r = await load(db, retrievalId, true);
      if (r.state !== 'requested') return undefined;
      // C6 once more right before sending: the mandate may have moved on since the retrieval was stored.
      const { rows } = r.mandate_id ? await db.query<{ state: MandateState; year: number; continuing: boolean }>('SELECT state, year, continuing FROM mandates WHERE id = $1', [r.mandate_id]) : { rows: [] };
      const mandate = rows[0];
      if (!mandate || mandate.state !== 'ACTIVE' || !covers(mandate, r.year)) {
        const reason = `not sent: C6: the client's VIA mandate is ${mandate?.state ?? 'gone'} now, not ACTIVE for ${r.year}`;
        if (await finish(db, r, 'failed', reason)) await log(db, r, 'send message', 'F', reason);
        return undefined;
      }
      const hub = await findHubById(db, r.hub_id);
      const attempt = r.attempt + 1;
      const { rows: updated } = await db.query<ViaRetrievalRow>('UPDATE via_retrievals SET attempt = $2, aanleverkenmerk = $3 WHERE id = $1 RETURNING *', [
        r.id,
        attempt,
        viaAanleverkenmerk(hub!.participantNumber, Number(r.seq), attempt),
      ]);
      return updated[0];
    });
    if (!intent) return;
    const r = intent;
    const opened = await usableClient(deps.wus, r.certificate_id);
    if (!opened.client) return fail(r, 'send message', `not sent: ${opened.problem}`);
    try {
      const { result } = await opened.client.aanleveren(
        {
          berichtsoort: VIA_BERICHTSOORT,
          aanleverkenmerk: r.aanleverkenmerk!,
          identiteitBelanghebbende: { nummer: r.fiscal_number, type: VIA_IDENTITY_TYPE },
          rolBelanghebbende: VIA_ROLE,
          berichtInhoud: {
            mimeType: 'application/xml',
            bestandsnaam: viaFileName(Number(r.seq), r.attempt),
            inhoud: Buffer.from(buildViaRequest({ fiscalNumber: r.fiscal_number, year: r.year, beconNumber: r.becon_number ?? undefined }), 'utf8'),
          },
        },
        Context.current().cancellationSignal,
      );
      await inTransaction(deps.pool, async (db) => {
        const { rowCount } = await db.query(
          `UPDATE via_retrievals SET state = 'submitted', kenmerk = $2, submitted_at = $3 WHERE id = $1 AND state = 'requested'`,
          [r.id, result.kenmerk, result.tijdstempelAangeleverd],
        );
        if (rowCount) await log(db, r, 'send message', 'I', `${VIA_BERICHTSOORT} sent to Digipoort: kenmerk ${result.kenmerk} (${r.aanleverkenmerk})`);
      });
    } catch (err) {
      const failure = classifySendFailure(err);
      if (!failure) throw err;
      if (failure.kind === 'refused') return fail(r, 'send message', failure.reason);
      await log(deps.pool, r, 'send message', 'F', `attempt ${r.aanleverkenmerk} got no clear answer (${failure.reason}): asking again`);
      throw ApplicationFailure.create({
        message: failure.reason,
        type: VIA_FAILURES.unavailable,
        nextRetryDelay: Math.min(2000 * 2 ** Math.min(r.attempt - 1, 10), MAX_RETRY_DELAY_MS),
      });
    }
  }

  /** A look for the answer that could not be made: on the retrieval and in the log (once per problem). */
  async function reportCheckProblem(r: ViaRetrievalRow, problem: string): Promise<void> {
    const { rowCount } = await deps.pool.query(`UPDATE via_retrievals SET check_problem = $2 WHERE id = $1 AND state = 'submitted' AND check_problem IS DISTINCT FROM $2`, [r.id, problem]);
    if (rowCount) await log(deps.pool, r, 'receive', 'F', `the answer could not be looked for (asked again later): ${problem}`);
  }

  /** Reads the request's process: the answer is stored (data or refusal), a Digipoort failure ends it, else it waits. */
  async function check(retrievalId: string): Promise<void> {
    const r = await load(deps.pool, retrievalId);
    if (r.state !== 'submitted' || !r.kenmerk) return;
    const opened = await usableClient(deps.wus, r.certificate_id);
    if (!opened.client) return reportCheckProblem(r, opened.problem);
    let statuses: StatusResultaat[];
    try {
      statuses = await opened.client.getStatussenProces({ kenmerk: r.kenmerk }, Context.current().cancellationSignal);
    } catch (err) {
      if (err instanceof WusFault) return reportCheckProblem(r, `Digipoort refused the status request: ${err.foutcode} ${err.foutbeschrijving}`);
      if (err instanceof WusTransportError || err instanceof WusSecurityError || err instanceof WusRequestError) return reportCheckProblem(r, `the status request failed: ${err.message}`);
      throw err;
    }
    let answer: ViaAnswer | undefined;
    try {
      answer = viaAnswerOf(statuses);
    } catch (err) {
      if (err instanceof ViaAnswerError) return fail(r, 'receive', `the tax authority's answer could not be read: ${err.message}`);
      throw err;
    }
    const failed = statuses.find((s) => classifyStatus({ code: s.statuscode, foutcode: s.statusFoutcode?.foutcode, receiver: 'belastingdienst' }) === 'failure');
    const details = answer ? statuses.find((s) => viaAnswerOf([s]) !== undefined)?.statusdetails : undefined;
    await inTransaction(deps.pool, async (db) => {
      // The organisation first (the lock its data versions are numbered under), then the retrieval.
      await db.query('SELECT id FROM organisations WHERE id = $1 FOR UPDATE', [r.organisation_id]);
      const current = await load(db, retrievalId, true);
      if (current.state !== 'submitted') return;
      if (current.check_problem) {
        await db.query('UPDATE via_retrievals SET check_problem = NULL WHERE id = $1', [r.id]);
        await log(db, r, 'receive', 'I', 'the answer can be looked for again');
      }
      if (answer && (answer.fiscalNumber !== current.fiscal_number || answer.year !== current.year)) {
        const reason = `the answer names another taxpayer or year (${answer.year}) than was asked for; nothing was stored`;
        if (await finish(db, current, 'failed', reason)) await log(db, r, 'receive', 'F', `failed: ${reason}`);
        return;
      }
      if (answer?.kind === 'data') {
        const version = await storeViaData(db, current, { data: answer.data, contentXml: details!, answeredAt: answer.at });
        if (await finish(db, current, 'retrieved', null)) {
          await log(db, r, 'receive', 'I', `pre-filled data retrieved and stored as version ${version} (${answer.data.employers.length} employer(s), ${answer.data.bankAccounts.length} bank account(s))`);
        }
        return;
      }
      if (answer?.kind === 'refused') {
        if (await finish(db, current, 'refused', answer.reason, answer.code)) await log(db, r, 'receive', 'F', `refused by the tax authority: ${answer.code}: ${answer.reason}`);
        return;
      }
      if (failed) {
        const reason = `Digipoort ${failed.statuscode}${failed.statusFoutcode ? ` ${failed.statusFoutcode.foutcode}: ${failed.statusFoutcode.foutbeschrijving}` : ` ${failed.statusomschrijving}`}`;
        if (await finish(db, current, 'failed', reason)) await log(db, r, 'receive', 'F', `failed: ${reason}`);
      }
    });
  }

  return {
    async loadViaRetrieval({ retrievalId }: { retrievalId: string }): Promise<ViaRetrievalView> {
      return view(retrievalId);
    },

    /** Sends the retrieval's request (heartbeating); retried by Temporal while Digipoort gives no clear answer. */
    async submitViaRequest({ retrievalId }: { retrievalId: string }): Promise<ViaRetrievalView> {
      await withHeartbeat(() => submit(retrievalId));
      return view(retrievalId);
    },

    /** Looks for the tax authority's answer and stores it. */
    async checkViaAnswer({ retrievalId }: { retrievalId: string }): Promise<ViaRetrievalView> {
      await check(retrievalId);
      return view(retrievalId);
    },

    /** No answer came in time: the retrieval ends as failed (a new one may be started). */
    async giveUpViaRetrieval({ retrievalId, reason }: { retrievalId: string; reason: string }): Promise<ViaRetrievalView> {
      const r = await load(deps.pool, retrievalId);
      if (r.state === 'submitted' || r.state === 'requested') await fail(r, 'receive', reason);
      return view(retrievalId);
    },
  };
}

export type ViaActivities = ReturnType<typeof createViaActivities>;
