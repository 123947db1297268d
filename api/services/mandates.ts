import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { RuleViolation } from '../../domain/errors';
import { assertActivatable, assertRevocable, isOpen, normalizeActivationCode, WIPED_ACTIVATION_CODE, type MandateResolution } from '../../domain/mandates';
import { inTransaction, type Pool } from '../../db/pool';
import { lockCertificateSetup } from '../../db/repositories/certificates';
import { writeLog } from '../../db/repositories/communication-log';
import type { Hub } from '../../db/repositories/hubs';
import { assertNotLockedByRunbook } from '../../db/repositories/runbooks';
import { KenmerkClaimed, settleByPerson } from '../../db/repositories/submission-attempts';
import {
  addMandateMessage,
  createMandateRequest,
  currentMessage,
  mandateById,
  mandateView,
  messagesOf,
  resolveMandateRequest,
  type MandateApiView,
  type MandateRow,
} from '../../db/repositories/mandates';
import {
  activateMandateUpdate,
  checkMandateSignal,
  mandate,
  resolveMandateMessageSignal,
  revokeMandateSignal,
  type MandateInput,
} from '../../workflows/mandate';
import { HttpError } from '../plugins/errors';

/** Mandate requests, activation codes and revocations from the staff API (C3, C6). */
export interface MandateServiceDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
  clock?: () => Date;
}

export interface MandateRequestInput {
  organisationId: string;
  service: string;
  year: number;
  continuing?: boolean;
  /** C3: the firm name on the client's letter as the caller was shown it (dry run); required to request. */
  confirmLetterName?: string;
}

export interface MandatePreview {
  organisationId: string;
  service: string;
  year: number;
  continuing: boolean;
  certificateId: string;
  certificateLabel: string;
  /** C3: the firm name on the client's letter. */
  letterName: string;
  beconNumber: string | null;
}

const now = (deps: MandateServiceDeps) => (deps.clock ?? (() => new Date()))();

/** The repository's view of a request made through the API. */
const requestOf = (deps: MandateServiceDeps, hub: Hub, input: MandateRequestInput, requestedBy: string) => ({
  hubId: hub.id,
  participant: hub.participantNumber,
  organisationId: input.organisationId,
  service: input.service,
  year: input.year,
  continuing: input.continuing ?? false,
  requestedBy,
  now: now(deps),
});

/** C3: what a request would do, without storing or sending anything. */
export async function previewMandateRequest(deps: MandateServiceDeps, hub: Hub, input: MandateRequestInput): Promise<MandatePreview> {
  const resolved = await resolveMandateRequest(deps.pool, requestOf(deps, hub, input, 'preview'));
  return {
    organisationId: input.organisationId,
    service: resolved.service,
    year: input.year,
    continuing: input.continuing ?? false,
    certificateId: resolved.certificate.id,
    certificateLabel: resolved.certificate.label,
    letterName: resolved.letterName,
    beconNumber: resolved.beconNumber,
  };
}

export async function startMandateWorkflow(deps: MandateServiceDeps, hub: Hub, row: MandateRow): Promise<void> {
  const input: MandateInput = { mandateId: row.id, participant: hub.participantNumber };
  await deps.temporal.workflow.start(mandate, {
    workflowId: row.workflow_id,
    taskQueue: deps.taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: `${row.service} ${row.year} mandate of client ${row.organisation_id}`,
  });
}

/**
 * Stores the request (REQUESTED) and starts its workflow, which sends it. C3: only with the letter name the caller
 * confirmed; refused while a runbook holds the certificate (its plan must not go stale).
 */
export async function requestMandate(deps: MandateServiceDeps, hub: Hub, input: MandateRequestInput, requestedBy: string): Promise<MandateApiView> {
  const row = await inTransaction(deps.pool, async (client) => {
    await lockCertificateSetup(client, hub.id);
    const created = await createMandateRequest(client, { ...requestOf(deps, hub, input, requestedBy), confirmLetterName: input.confirmLetterName ?? null });
    await assertNotLockedByRunbook(client, [created.certificate_id]);
    return created;
  });
  try {
    await startMandateWorkflow(deps, hub, row);
  } catch (err) {
    await settleFailedStart(deps, row, err);
  }
  return mandateView(row, await messagesOf(deps.pool, row.id));
}

/**
 * After a failed start: an ambiguous failure may have started the workflow after all, and then it sends the request.
 * Only when it certainly does not run is the mandate closed (REJECTED, nothing sent), which frees the client, service
 * and year; when that cannot be told, it stays REQUESTED and `POST .../check` starts its workflow.
 */
async function settleFailedStart(deps: MandateServiceDeps, row: MandateRow, err: unknown): Promise<void> {
  let running: boolean | undefined;
  try {
    const description = await deps.temporal.workflow.getHandle(row.workflow_id).describe();
    running = description.status.name === 'RUNNING' || description.status.name === 'COMPLETED' || description.status.name === 'CONTINUED_AS_NEW';
  } catch (describeError) {
    running = describeError instanceof WorkflowNotFoundError ? false : undefined;
  }
  if (running) return;
  if (running === undefined) {
    throw new HttpError(503, `mandate ${row.id} is stored, but whether its workflow started is unknown: POST .../mandates/${row.id}/check starts it if needed`);
  }
  // Certainly not running: nothing was sent (its workflow never started), so the record gives the slot back.
  await inTransaction(deps.pool, async (db) => {
    const { rowCount } = await db.query(
      `UPDATE mandates SET state = 'REJECTED', reason = 'its workflow could not be started; nothing was sent', state_changed_at = now()
        WHERE id = $1 AND state = 'REQUESTED'
          AND NOT EXISTS (SELECT 1 FROM mandate_messages WHERE mandate_id = $1 AND delivery_state <> 'ready')`,
      [row.id],
    );
    if (rowCount) await db.query(`UPDATE mandate_messages SET delivery_state = 'failed', outcome_reason = 'not sent: its workflow could not be started' WHERE mandate_id = $1 AND delivery_state = 'ready'`, [row.id]);
  });
  throw err;
}

export async function loadMandate(deps: MandateServiceDeps, hub: Hub, id: string): Promise<MandateRow> {
  const row = await mandateById(deps.pool, id);
  if (!row || row.hub_id !== hub.id) throw new HttpError(404, `no mandate ${id}`);
  return row;
}

/** VIA: the activation code from the client's letter, stored as the message the mandate's workflow sends (C6). */
export async function activateMandate(deps: MandateServiceDeps, hub: Hub, id: string, code: string): Promise<MandateApiView> {
  const activationCode = normalizeActivationCode(code);
  const message = await inTransaction(deps.pool, async (db) => {
    const row = await mandateById(db, id, true);
    if (!row || row.hub_id !== hub.id) throw new HttpError(404, `no mandate ${id}`);
    const pending = currentMessage(await messagesOf(db, id), 'activate');
    assertActivatable({ service: row.service, state: row.state, activationPending: pending !== undefined && pending.delivery_state !== 'submitted' });
    return addMandateMessage(db, row, 'activate', undefined, activationCode);
  });
  try {
    await deps.temporal.workflow.getHandle((await loadMandate(deps, hub, id)).workflow_id).executeUpdate(activateMandateUpdate, { args: [{ messageId: message.id }] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError || err instanceof WorkflowNotFoundError) {
      // Refused by the workflow (its state moved on), or no workflow to send it: the code is never sent, so it is not kept.
      await deps.pool.query(`DELETE FROM mandate_messages WHERE id = $1 AND delivery_state = 'ready'`, [message.id]);
      if (err instanceof WorkflowNotFoundError) {
        throw new HttpError(409, `C6: the mandate's workflow is not running (POST .../mandates/${id}/check starts it); the activation code was not stored`, 'C6');
      }
      const cause = err.cause?.message ?? err.message;
      throw new RuleViolation('C6', cause.replace(/^C6: /, ''), 'conflict');
    }
    // Anything else may have reached the workflow (a timeout): the code stays until it is sent, then it is wiped.
    throw err;
  }
  const row = await loadMandate(deps, hub, id);
  return mandateView(row, await messagesOf(deps.pool, id));
}

/**
 * A person settles a mandate message whose submission is ambiguous (needs_human): `adopted` takes the Digipoort
 * process (kenmerk) as this message's; `resend` allows it to be sent again. The decision is written on the message,
 * then the mandate's workflow (started again if it is gone) goes on.
 */
export async function resolveMandate(deps: MandateServiceDeps, hub: Hub, id: string, resolution: MandateResolution, by: string): Promise<MandateApiView> {
  const { row, message } = await inTransaction(deps.pool, async (db) => {
    const current = await mandateById(db, id, true);
    if (!current || current.hub_id !== hub.id) throw new HttpError(404, `no mandate ${id}`);
    const waiting = (await messagesOf(db, id)).find((x) => x.delivery_state === 'needs_human');
    if (!waiting) throw new RuleViolation('C6', 'no message of this mandate waits for a person: only an ambiguous submission can be resolved', 'conflict');
    const kenmerk = resolution.how === 'adopted' ? resolution.kenmerk.trim() : undefined;
    try {
      await settleByPerson(db, { mandateMessageId: waiting.id }, kenmerk ? { how: 'adopted', kenmerk } : { how: 'resend' }, by);
    } catch (err) {
      if (err instanceof KenmerkClaimed) throw new RuleViolation('C6', err.message, 'conflict');
      throw err;
    }
    if (kenmerk) {
      await db.query(
        `UPDATE mandate_messages SET delivery_state = 'submitted', kenmerk = $2, submitted_at = coalesce(attempt_started_at, now()),
                content_xml = CASE WHEN purpose = 'activate'
                  THEN regexp_replace(content_xml, '<Activeringscode>[^<]*</Activeringscode>', '<Activeringscode>${WIPED_ACTIVATION_CODE}</Activeringscode>') ELSE content_xml END
          WHERE id = $1`,
        [waiting.id, kenmerk],
      );
    } else {
      await db.query(`UPDATE mandate_messages SET delivery_state = 'ready', attempt_started_at = NULL WHERE id = $1`, [waiting.id]);
    }
    await writeLog(db, {
      hubId: hub.id,
      environment: hub.environmentCode,
      step: 'reconcile',
      level: 'I',
      text:
        `mandate ${current.service} ${current.year} of client ${current.organisation_id}: ${waiting.berichtsoort} (${waiting.aanleverkenmerk}) resolved by ${by}: ` +
        (resolution.how === 'adopted' ? `Digipoort process ${resolution.kenmerk.trim()} adopted` : 'a resend allowed'),
    });
    return { row: current, message: waiting };
  });
  const input: MandateInput = { mandateId: row.id, participant: hub.participantNumber };
  await deps.temporal.workflow.signalWithStart(mandate, {
    workflowId: row.workflow_id,
    taskQueue: deps.taskQueue,
    args: [input],
    signal: resolveMandateMessageSignal,
    signalArgs: [{ how: resolution.how, purpose: message.purpose, messageId: message.id }],
  });
  return mandateView((await mandateById(deps.pool, id))!, await messagesOf(deps.pool, id));
}

/**
 * "Check the state" now. An open mandate whose workflow is gone (a crash between storing the request and starting
 * it) gets it started again, which sends what is still to be sent.
 */
export async function checkMandate(deps: MandateServiceDeps, hub: Hub, id: string): Promise<MandateRow> {
  const row = await loadMandate(deps, hub, id);
  if (!isOpen(row.state)) return row;
  const input: MandateInput = { mandateId: row.id, participant: hub.participantNumber };
  await deps.temporal.workflow.signalWithStart(mandate, { workflowId: row.workflow_id, taskQueue: deps.taskQueue, args: [input], signal: checkMandateSignal, signalArgs: [] });
  return row;
}

/** Revokes a mandate: the intent on its record, then its workflow (started again if it is gone) sends it. */
export async function revokeMandate(deps: MandateServiceDeps, hub: Hub, id: string, by: string): Promise<MandateApiView> {
  const row = await inTransaction(deps.pool, async (db) => {
    const current = await mandateById(db, id, true);
    if (!current || current.hub_id !== hub.id) throw new HttpError(404, `no mandate ${id}`);
    assertRevocable({ state: current.state });
    const { rows } = await db.query<MandateRow>(
      `UPDATE mandates SET revoke_requested_at = coalesce(revoke_requested_at, now()), revoke_requested_by = coalesce(revoke_requested_by, $2),
              revoke_failed_reason = NULL WHERE id = $1 RETURNING *`,
      [id, by],
    );
    return rows[0];
  });
  const input: MandateInput = { mandateId: row.id, participant: hub.participantNumber };
  await deps.temporal.workflow.signalWithStart(mandate, {
    workflowId: row.workflow_id,
    taskQueue: deps.taskQueue,
    args: [input],
    signal: revokeMandateSignal,
    signalArgs: [{ by }],
  });
  return mandateView(row, await messagesOf(deps.pool, id));
}
