import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { RuleViolation } from '../../domain/errors';
import { ValidationError } from '../../domain/errors';
import {
  assertActivatable,
  assertMandateDeletable,
  assertRevocable,
  isOpen,
  normalizeActivationCode,
  WIPED_ACTIVATION_CODE,
  type MandateResolution,
} from '../../domain/mandates';
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
  deleteMandateRecord,
  deletionBlockers,
  mandateById,
  mandateView,
  markMandatesForRevocation,
  messagesOf,
  resolveMandateRequest,
  selectMandates,
  type MandateApiView,
  type MandateRow,
  type MandateSelection,
} from '../../db/repositories/mandates';
import { mandateSettingsOf } from '../../db/repositories/mandate-authorisation';
import { organisationNames } from '../../db/repositories/organisations';
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
 * confirmed; refused while a runbook holds the certificate (its plan must not go stale). C6: when the hub requires
 * four eyes, the request is held until another staff token than `requestedByToken` authorises it.
 */
export async function requestMandate(
  deps: MandateServiceDeps,
  hub: Hub,
  input: MandateRequestInput,
  requestedBy: string,
  requestedByToken?: string,
  requestedByAccount?: string,
): Promise<MandateApiView> {
  const row = await inTransaction(deps.pool, async (client) => {
    await lockCertificateSetup(client, hub.id);
    const { authorisationRequired } = await mandateSettingsOf(client, hub.id);
    const created = await createMandateRequest(client, {
      ...requestOf(deps, hub, input, requestedBy),
      confirmLetterName: input.confirmLetterName ?? null,
      requestedByToken,
      requestedByAccount,
      holdForAuthorisation: authorisationRequired,
    });
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

/** What a collective request answers: per client its mandate (or, dry run, its preview), and each refusal's rule. */
export interface CollectiveRequestOutcome {
  requested: (MandateApiView | MandatePreview)[];
  refused: { organisationId: string; rule: string | null; message: string }[];
  /** Dry run: per certificate id, the letter name to confirm (C3). */
  confirmLetterNames: Record<string, string>;
}

/**
 * Mandates for many clients at once (the listed ones, or `all` clients of the hub). Each refusal names its rule; the
 * others go ahead. A dry run previews each (certificate, letter name, C3) and answers the names to confirm per
 * certificate; the request itself needs, per certificate, the name confirmed (C3 refuses a client without it).
 */
export async function requestMandates(
  deps: MandateServiceDeps,
  hub: Hub,
  input: { organisationIds?: string[]; all?: boolean; dryRun?: boolean; confirmLetterNames?: Record<string, string>; key: Omit<MandateRequestInput, 'organisationId' | 'confirmLetterName'> },
  requestedBy: string,
  requestedByToken?: string,
  requestedByAccount?: string,
): Promise<CollectiveRequestOutcome> {
  if (!input.all && !input.organisationIds?.length) throw new ValidationError('organisationIds', 'name the clients, or set all');
  const ids = input.all ? (await organisationNames(deps.pool, hub.id)).map((o) => o.id) : input.organisationIds!;
  const outcome: CollectiveRequestOutcome = { requested: [], refused: [], confirmLetterNames: {} };
  for (const organisationId of ids) {
    try {
      const preview = await previewMandateRequest(deps, hub, { organisationId, ...input.key });
      if (input.dryRun) {
        outcome.confirmLetterNames[preview.certificateId] = preview.letterName;
        outcome.requested.push(preview);
      } else {
        // C3: the name confirmed for the certificate this client's request would be signed with.
        outcome.requested.push(
          await requestMandate(deps, hub, { organisationId, ...input.key, confirmLetterName: input.confirmLetterNames?.[preview.certificateId] }, requestedBy, requestedByToken, requestedByAccount),
        );
      }
    } catch (err) {
      if (err instanceof RuleViolation) outcome.refused.push({ organisationId, rule: err.rule, message: err.message });
      else if (err instanceof ValidationError) outcome.refused.push({ organisationId, rule: null, message: err.message });
      else throw err;
    }
  }
  return outcome;
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

/** What a collective action did: the mandates it acted on, and each one it refused with its rule. */
export interface CollectiveOutcome {
  done: MandateApiView[];
  refused: { mandateId: string; rule: string | null; message: string }[];
}

/**
 * Collective revoke (C6): every open mandate of the hub the selection names (a list, a client, a certificate, the
 * intermediary's KvK number, a service or year; `all` for the whole hub). The intents are recorded in one
 * transaction; then each mandate's own workflow revokes it, durably (started again if it is gone). A listed mandate
 * that is not open is refused with C6, the others go ahead.
 */
export async function revokeMandates(deps: MandateServiceDeps, hub: Hub, selection: MandateSelection & { all?: boolean }, by: string): Promise<CollectiveOutcome> {
  const { all, ...criteria } = selection;
  const named = Object.values(criteria).some((v) => v !== undefined && (!Array.isArray(v) || v.length > 0));
  if (!all && !named) throw new ValidationError('mandateIds', 'name the mandates (mandateIds, organisationId, certificateId, kvkNumber, service, year), or set all');
  const refused: CollectiveOutcome['refused'] = [];
  const targets = await inTransaction(deps.pool, async (db) => {
    const selected = await selectMandates(db, hub.id, criteria, true);
    for (const id of criteria.mandateIds ?? []) {
      if (!selected.some((m) => m.id === id)) refused.push({ mandateId: id, rule: null, message: `no mandate ${id} in this hub` });
    }
    const open: string[] = [];
    for (const m of selected) {
      try {
        assertRevocable({ state: m.state });
        open.push(m.id);
      } catch (err) {
        // A criterion selects open mandates only; a mandate named in the list that is settled is told.
        if (err instanceof RuleViolation && criteria.mandateIds?.includes(m.id)) refused.push({ mandateId: m.id, rule: err.rule, message: err.message });
        else if (!(err instanceof RuleViolation)) throw err;
      }
    }
    const marked = await markMandatesForRevocation(db, open, by);
    if (marked.length) {
      await writeLog(db, { hubId: hub.id, environment: hub.environmentCode, step: 'send message', level: 'I', text: `collective revocation of ${marked.length} mandate(s) by ${by}` });
    }
    return marked;
  });
  const done: MandateApiView[] = [];
  for (const target of targets) {
    const input: MandateInput = { mandateId: target.mandateId, participant: hub.participantNumber };
    try {
      await deps.temporal.workflow.signalWithStart(mandate, { workflowId: target.workflowId, taskQueue: deps.taskQueue, args: [input], signal: revokeMandateSignal, signalArgs: [{ by }] });
    } catch (err) {
      // The intent is on the record: the workflow revokes at its next check (POST .../check starts it now).
      refused.push({ mandateId: target.mandateId, rule: null, message: `the revocation is recorded, but its workflow could not be told (${(err as Error).message}): POST .../mandates/${target.mandateId}/check` });
      continue;
    }
    const row = (await mandateById(deps.pool, target.mandateId))!;
    done.push(mandateView(row, await messagesOf(deps.pool, row.id)));
  }
  return { done, refused };
}

/**
 * "Machtigingen verwijderen" (C6): deletes a settled mandate's record, its messages and their attempts; the log
 * keeps a line. Refused (C6, nothing changed) while the mandate is open, a message of it is in flight, its workflow
 * still runs, or an unfinished runbook works with it.
 */
export async function deleteMandate(deps: MandateServiceDeps, hub: Hub, id: string, by: string): Promise<void> {
  const found = await loadMandate(deps, hub, id);
  let workflowRunning = false;
  try {
    workflowRunning = (await deps.temporal.workflow.getHandle(found.workflow_id).describe()).status.name === 'RUNNING';
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  await inTransaction(deps.pool, async (db) => {
    const row = await mandateById(db, id, true);
    if (!row || row.hub_id !== hub.id) throw new HttpError(404, `no mandate ${id}`);
    const blockers = await deletionBlockers(db, row);
    assertMandateDeletable({
      state: row.state,
      inFlight: blockers.inFlight ?? (workflowRunning && !isOpen(row.state) ? 'its workflow is still finishing; try again shortly' : null),
      runbook: blockers.runbook,
    });
    await deleteMandateRecord(db, id);
    await writeLog(db, {
      hubId: hub.id,
      environment: hub.environmentCode,
      step: 'process message',
      level: 'I',
      text: `mandate ${row.service} ${row.year}${row.continuing ? ' (continuing)' : ''} of client ${row.organisation_id} (${row.state}) deleted by ${by}`,
    });
  });
}
