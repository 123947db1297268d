import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { MandateActivities, MandateView, SubmitOutcome } from '../activities/mandates';
import { assertActivatable, isOpen, nextCheckDelayMs, type MandatePurpose } from '../domain/mandates';
import { CertificatesAttribute, HubAttribute, MessageTypeAttribute, OrganisationAttribute, PeriodAttribute } from './search-attributes';
import { digipoortCallOptions } from './activity-options';

/**
 * One mandate (C6) from its request to its end: the request is sent (exactly once in effect; when the hub requires four
 * eyes, only once a second person authorised it, which a signal tells) → the register's answer
 * is checked with backoff → ONTVANGEN (letter sent) → ACTIVE (SBA after 26 days without objection; VIA once the
 * activation code is sent) → REVOKED / EXPIRED, or REJECTED. A revocation (signal) and an activation code (update
 * with a validator) can come at any time. Its id is `mandate-<participant>-<client>-<service>-<year>-<n>`; the
 * mandate's record in PostgreSQL holds the business state, so a run that continues as new loses nothing.
 */
export interface MandateInput {
  mandateId: string;
  participant: string;
}

/** Revoke the mandate; the requester wrote its intent on the mandate's record first. */
export const revokeMandateSignal = defineSignal<[{ by: string }]>('revokeMandate');
/** "Check the state" now instead of at the next planned check. */
export const checkMandateSignal = defineSignal('checkMandate');
/**
 * A person resolved a message whose submission was ambiguous (API `POST .../mandates/{id}/resolve`, which wrote the
 * decision on the message first): its Digipoort process was adopted, or a resend was allowed.
 */
export const resolveMandateMessageSignal = defineSignal<[MandateMessageResolved]>('resolveMandateMessage');

export interface MandateMessageResolved {
  how: 'adopted' | 'resend';
  purpose: MandatePurpose;
  messageId: string;
}
/**
 * C6 four eyes: a second person decided about the held request (API `POST .../mandates/{id}/authorise` or
 * `.../refuse-authorisation`, which wrote the decision on the mandate's record first): authorised releases it to be
 * sent, refused closed it. The workflow reads the record again.
 */
export const mandateAuthorisationSignal = defineSignal<[{ decision: 'authorised' | 'refused'; by: string }]>('mandateAuthorisation');
/** The activation code from the client's letter was stored as the message `messageId`; send it (VIA). */
export const activateMandateUpdate = defineUpdate<MandateView, [{ messageId: string }]>('activateMandate');
export const mandateStateQuery = defineQuery<MandateView>('mandateState');

const quick = proxyActivities<MandateActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', backoffCoefficient: 2, nonRetryableErrorTypes: ['MandateMissing'] },
});

/** Digipoort sends: heartbeating, retried through reconcile until a definite outcome. */
const digipoort = proxyActivities<MandateActivities>(digipoortCallOptions(['MandateMessageRefused', 'NeedsHuman', 'MandateMissing']));

/** A message waiting its turn (another message of the client is in doubt) looks again after this, doubling. */
const WAIT_TURN_MIN_MS = 2_000;
const WAIT_TURN_MAX_MS = 10 * 60_000;
const HISTORY_LIMIT = 5_000;
/** A held request reads its record again this often, should the decision's signal not have come. */
const AUTHORISATION_RECHECK_MS = 60 * 60_000;

function failureType(err: unknown): string | undefined {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? (err.cause.type ?? undefined) : undefined;
}

export async function mandate(input: MandateInput): Promise<MandateView> {
  let view = await quick.loadMandate({ mandateId: input.mandateId });
  let revokeRequested = view.revokeRequested;
  /** Revocation signals this run received: one that arrives while the record is read is never lost. */
  let revokeSignals = 0;
  let activation: string | undefined = view.pendingActivationId ?? undefined;
  let checkNow = false;
  let resolved = false;
  let authorisationDecided = false;
  let checks = 0;
  let turnWaits = 0;
  let note: string | null = null;

  const show = () =>
    setCurrentDetails(
      [
        `**Mandate ${view.service} ${view.year}** — ${view.state}`,
        '',
        `- Client: ${view.organisationId}`,
        `- Certificate: ${view.certificateId}`,
        view.awaitingAuthorisation ? '- **Awaiting authorisation** by a second person (`POST .../mandates/{id}/authorise`); nothing is sent until then' : '',
        `- Revocation: ${view.revokeSent ? 'sent' : revokeRequested ? 'requested' : view.revokeFailedReason ? `failed (${view.revokeFailedReason})` : '–'}`,
        view.needsHuman ? '- **Needs a person**: a submission is ambiguous; adopt its Digipoort process or allow a resend (`POST .../mandates/{id}/resolve`)' : '',
        view.checkProblem ? `- Check failed (state unchanged): ${view.checkProblem}` : '',
        view.reason ? `- Reason: ${view.reason}` : '',
        note ? `- Note: ${note}` : '',
      ]
        .filter((line, i) => i < 2 || line !== '')
        .join('\n'),
    );

  /** The record is the source of truth for a revocation, except for a signal that came in while it was read. */
  const adopt = (next: MandateView, signalsBefore: number) => {
    view = next;
    revokeRequested = next.revokeRequested || revokeSignals !== signalsBefore;
  };
  const reload = async (read: () => Promise<MandateView>) => {
    const before = revokeSignals;
    adopt(await read(), before);
  };

  setHandler(mandateStateQuery, () => view);
  setHandler(revokeMandateSignal, () => {
    revokeRequested = true;
    revokeSignals++;
  });
  setHandler(checkMandateSignal, () => {
    checkNow = true;
  });
  setHandler(mandateAuthorisationSignal, () => {
    authorisationDecided = true;
  });
  setHandler(resolveMandateMessageSignal, ({ how, purpose, messageId }) => {
    resolved = true;
    // An activation code allowed to go out again is sent like a new one (the other purposes follow the record).
    if (how === 'resend' && purpose === 'activate') activation = messageId;
  });
  setHandler(
    activateMandateUpdate,
    ({ messageId }) => {
      activation = messageId;
      return view;
    },
    { validator: (_request: { messageId: string }) => assertActivatable({ service: view.service, state: view.state, activationPending: activation !== undefined }) },
  );
  upsertSearchAttributes([
    { key: HubAttribute, value: input.participant },
    { key: OrganisationAttribute, value: view.organisationId },
    { key: CertificatesAttribute, value: [view.certificateId] },
    { key: MessageTypeAttribute, value: `mandate-${view.service}` },
    { key: PeriodAttribute, value: String(view.year) },
  ]);
  show();

  /** Waits (bounded) until something asks for attention: a check, a person's resolution, or the time is up. */
  const pause = async (ms: number, alsoWhen: () => boolean = () => false) => {
    await condition(() => checkNow || resolved || alsoWhen(), ms);
    checkNow = false;
    resolved = false;
  };

  /**
   * Sends one message. A definite refusal is on the record already, as is an ambiguous submission that waits for a
   * person (NeedsHuman): the view tells what follows. A message that must wait its turn waits here, on a timer.
   */
  const send = async (purpose: MandatePurpose): Promise<void> => {
    const before = revokeSignals;
    let outcome: SubmitOutcome;
    try {
      outcome = await digipoort.submitMandateMessage({ mandateId: input.mandateId, purpose });
    } catch (err) {
      const type = failureType(err);
      if (type !== 'MandateMessageRefused' && type !== 'NeedsHuman') throw err;
      await reload(() => quick.loadMandate({ mandateId: input.mandateId }));
      note = null;
      checks = 0;
      return;
    }
    adopt(outcome.view, before);
    if (outcome.waiting) {
      const wait = Math.min(WAIT_TURN_MIN_MS * 2 ** Math.min(turnWaits, 20), WAIT_TURN_MAX_MS);
      turnWaits++;
      note = `waiting its turn: ${outcome.waiting}`;
      show();
      await pause(wait);
      return;
    }
    turnWaits = 0;
    note = null;
    checks = 0;
  };

  while (isOpen(view.state)) {
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > HISTORY_LIMIT) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof mandate>(input);
    }
    if (view.state === 'REQUESTED' && !view.requestSubmitted) {
      if (revokeRequested) {
        const before = revokeSignals;
        const result = await quick.withdrawUnsentMandate({ mandateId: input.mandateId });
        adopt(result.view, before);
        if (!result.withdrawn && view.state === 'REQUESTED' && !view.requestSubmitted) {
          // Not withdrawn, yet not sent either: never spin; look again later.
          note = 'revocation asked for; the request could not be withdrawn yet';
          show();
          await pause(nextCheckDelayMs('REQUESTED', checks++));
        }
      } else if (view.awaitingAuthorisation) {
        // C6: held until a second person decides; the decision is on the record, the signal only wakes us.
        await pause(AUTHORISATION_RECHECK_MS, () => authorisationDecided || revokeRequested);
        authorisationDecided = false;
        await reload(() => quick.loadMandate({ mandateId: input.mandateId }));
      } else {
        await send('request');
      }
      show();
      continue;
    }
    // The register can only revoke what it received: a request still on its way is answered first.
    if (revokeRequested && !view.revokeSent && view.state !== 'REQUESTED') {
      await send('revoke');
      show();
      continue;
    }
    if (activation !== undefined) {
      const sending = activation;
      await send('activate');
      // Sent or refused: done. Still waiting its turn, or a newer code arrived meanwhile: it stays.
      if (activation === sending && view.pendingActivationId !== sending) activation = undefined;
      show();
      continue;
    }
    // Waiting for the register, or for a person to resolve an ambiguous submission (bounded: the record is read again).
    const wait = nextCheckDelayMs(view.awaitingAnswer || view.needsHuman ? 'REQUESTED' : view.state, checks);
    await pause(wait, () => activation !== undefined || (revokeRequested && !view.revokeSent && view.state !== 'REQUESTED'));
    const before = view.state;
    await reload(() => quick.checkMandateState({ mandateId: input.mandateId }));
    checks = view.state === before ? checks + 1 : 0;
    if (!view.needsHuman && note?.startsWith('waiting') !== true) note = null;
    show();
  }
  show();
  await condition(allHandlersFinished);
  return view;
}
