import { WorkflowNotFoundError } from '@temporalio/client';
import { RuleViolation, ValidationError } from '../../domain/errors';
import { inTransaction } from '../../db/pool';
import { writeLog } from '../../db/repositories/communication-log';
import type { Hub } from '../../db/repositories/hubs';
import { awaitingAuthorisation, decideAuthorisation, mandateSettingsOf, setMandateSettings, type MandateSettings } from '../../db/repositories/mandate-authorisation';
import { mandateView, messagesOf, type MandateApiView, type MandateRow } from '../../db/repositories/mandates';
import { mandate, mandateAuthorisationSignal, type MandateInput } from '../../workflows/mandate';
import { HttpError } from '../plugins/errors';
import type { CollectiveOutcome, MandateServiceDeps } from './mandates';

/**
 * C6 four eyes on mandate requests (seed 000 "autoriseren" and "vrijgeven"): the hub's setting, and the second
 * person's decision on a held request. The decision is written on the mandate's record first; then its workflow is
 * told (an authorised request whose workflow is gone gets it started, which sends it).
 */
export interface StaffIdentity {
  name: string;
  /** The staff token (API); a console account has none. */
  tokenId?: string;
  /** The staff console account. */
  accountId?: string;
}

export async function readMandateSettings(deps: MandateServiceDeps, hub: Hub): Promise<MandateSettings> {
  return mandateSettingsOf(deps.pool, hub.id);
}

/** Switching it off releases nothing by itself: requests held meanwhile still wait for their second person. */
export async function changeMandateSettings(deps: MandateServiceDeps, hub: Hub, settings: MandateSettings, by: string): Promise<MandateSettings> {
  return inTransaction(deps.pool, async (db) => {
    const before = await mandateSettingsOf(db, hub.id);
    const after = await setMandateSettings(db, hub.id, settings);
    if (before.authorisationRequired !== after.authorisationRequired) {
      await writeLog(db, {
        hubId: hub.id,
        environment: hub.environmentCode,
        step: 'send message',
        level: 'I',
        text: `authorisation of mandate requests by a second person switched ${after.authorisationRequired ? 'on' : 'off'} by ${by}`,
      });
    }
    return after;
  });
}

async function view(deps: MandateServiceDeps, row: MandateRow): Promise<MandateApiView> {
  return mandateView(row, await messagesOf(deps.pool, row.id));
}

/** Authorises a held request (another staff token than the requester's) and releases it: its workflow sends it. */
export async function authoriseMandate(deps: MandateServiceDeps, hub: Hub, id: string, staff: StaffIdentity): Promise<MandateApiView> {
  const by = `staff ${staff.name}`;
  const row = await inTransaction(deps.pool, (db) => decideAuthorisation(db, hub.id, id, { decision: 'authorise', by, byToken: staff.tokenId, byAccount: staff.accountId }));
  if (!row) throw new HttpError(404, `no mandate ${id}`);
  const input: MandateInput = { mandateId: row.id, participant: hub.participantNumber };
  await deps.temporal.workflow.signalWithStart(mandate, {
    workflowId: row.workflow_id,
    taskQueue: deps.taskQueue,
    args: [input],
    signal: mandateAuthorisationSignal,
    signalArgs: [{ decision: 'authorised', by }],
  });
  return view(deps, row);
}

/** Refuses a held request: REJECTED, nothing sent; its workflow (if it runs) ends. */
export async function refuseMandateAuthorisation(deps: MandateServiceDeps, hub: Hub, id: string, staff: StaffIdentity, reason?: string): Promise<MandateApiView> {
  const by = `staff ${staff.name}`;
  const row = await inTransaction(deps.pool, (db) => decideAuthorisation(db, hub.id, id, { decision: 'refuse', by, byToken: staff.tokenId, byAccount: staff.accountId, reason }));
  if (!row) throw new HttpError(404, `no mandate ${id}`);
  try {
    await deps.temporal.workflow.getHandle(row.workflow_id).signal(mandateAuthorisationSignal, { decision: 'refused', by });
  } catch (err) {
    // No workflow to tell: the record is final, nothing is sent for a REJECTED mandate.
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  return view(deps, row);
}

export async function listAwaitingAuthorisation(deps: MandateServiceDeps, hub: Hub): Promise<MandateApiView[]> {
  return Promise.all((await awaitingAuthorisation(deps.pool, hub.id)).map((row) => view(deps, row)));
}

/**
 * Authorises many held requests at once (the listed ones, or `all` of the hub): each refusal names its rule (a
 * request of the caller's own token is one), the others are released.
 */
export async function authoriseMandates(deps: MandateServiceDeps, hub: Hub, selection: { mandateIds?: string[]; all?: boolean }, staff: StaffIdentity): Promise<CollectiveOutcome> {
  if (!selection.all && !selection.mandateIds?.length) throw new ValidationError('mandateIds', 'name the mandates, or set all');
  const ids = selection.all ? (await awaitingAuthorisation(deps.pool, hub.id)).map((m) => m.id) : selection.mandateIds!;
  const outcome: CollectiveOutcome = { done: [], refused: [] };
  for (const id of ids) {
    try {
      outcome.done.push(await authoriseMandate(deps, hub, id, staff));
    } catch (err) {
      if (err instanceof RuleViolation) outcome.refused.push({ mandateId: id, rule: err.rule, message: err.message });
      else if (err instanceof HttpError && err.statusCode === 404) outcome.refused.push({ mandateId: id, rule: null, message: err.message });
      else throw err;
    }
  }
  return outcome;
}
