import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  setCurrentDetails,
  isCancellation,
} from '@temporalio/workflow';
import type { FilingActivities } from '../activities/filing';
import { LIFECYCLE, lifecycleLabel, type LifecycleCode } from '../domain/lifecycle';
import { DigipoortStatusAttribute, LifecycleStatusAttribute } from './search-attributes';

/**
 * One filing message from prepared to final (H1–H6, K4): prepared (H4) → [approval: the portal seam] → certificate
 * chosen → content checked → aanleveren exactly once in effect → statuses (signalled by the hub's send/receive) →
 * final lifecycle → the administration told (H3). Its id is `filing-<participant>-<number>`.
 */
export interface FilingInput {
  messageId: string;
  participant: string;
  number: number;
  kind: string;
  approvalRequired: boolean;
}

export type FilingPhase =
  | 'preparing'
  | 'awaiting-approval'
  | 'choosing-certificate'
  | 'sending'
  | 'awaiting-statuses'
  | 'needs-human'
  | 'notifying'
  | 'done'
  | 'superseded'
  | 'failed';

export interface FilingState {
  phase: FilingPhase;
  lifecycle: LifecycleCode | null;
  digipoortStatus: string | null;
  kenmerk: string | null;
  certificateId: string | null;
  note: string | null;
}

/** A status change found by send/receive (already stored; the workflow follows it). */
export interface DigipoortStatusChanged {
  code: string;
  lifecycle: LifecycleCode;
  final: boolean;
}

/** A person resolved an ambiguous submission: the process was adopted, or a resend was allowed (API). */
export interface SubmissionResolved {
  how: 'adopted' | 'resend';
}

export const digipoortStatusChangedSignal = defineSignal<[DigipoortStatusChanged]>('digipoortStatusChanged');
export const submissionResolvedSignal = defineSignal<[SubmissionResolved]>('submissionResolved');
export const filingStateQuery = defineQuery<FilingState>('filingState');

export const filingWorkflowId = (participant: string, number: number): string => `filing-${participant}-${number}`;

const quick = proxyActivities<FilingActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', backoffCoefficient: 2 },
});

/**
 * Digipoort calls: bounded per attempt, retried (through reconcile) until a definite outcome. The activities heartbeat
 * every few seconds, so a worker that dies mid-call is noticed within the heartbeat timeout.
 */
const digipoort = proxyActivities<FilingActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '20 seconds',
  retry: {
    initialInterval: '2 seconds',
    maximumInterval: '2 minutes',
    backoffCoefficient: 2,
    nonRetryableErrorTypes: ['DigipoortFault', 'Superseded', 'NeedsHuman', 'CertificateNotUsable', 'MessageMissing', 'ContentChanged', 'NotOwned'],
  },
});

/** H3: the administration's callback, retried durably for up to three days. */
const callbacks = proxyActivities<FilingActivities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '3 days',
  retry: { initialInterval: '5 seconds', maximumInterval: '1 hour', backoffCoefficient: 2 },
});

/** How long a sent filing waits for a final status (H9 looks back 30 days). */
const STATUS_WAIT = '35 days';

function failureType(err: unknown): string | undefined {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return err.cause.type ?? undefined;
  return undefined;
}

export async function filing(input: FilingInput): Promise<FilingState> {
  const state: FilingState = { phase: 'preparing', lifecycle: 0, digipoortStatus: null, kenmerk: null, certificateId: null, note: null };
  let resolved: SubmissionResolved | undefined;
  // Set by the signal whenever it comes, even while the submission activity is still finishing.
  let finalStatusSeen = false;

  const show = () => {
    const lifecycle = state.lifecycle;
    setCurrentDetails(
      [
        `**Filing ${input.number}** (${input.kind}) — ${state.phase}`,
        '',
        `- Lifecycle: ${lifecycle ?? '–'}${lifecycle !== null && LIFECYCLE[lifecycle] ? ` (${lifecycleLabel(lifecycle, input.kind === 'kvk-annual-report' ? 'kvk' : 'belastingdienst')})` : ''}`,
        `- Digipoort status: ${state.digipoortStatus ?? '–'}`,
        `- Kenmerk: ${state.kenmerk ?? '–'}`,
        state.note ? `- Note: ${state.note}` : '',
      ].join('\n'),
    );
    upsertSearchAttributes([
      { key: LifecycleStatusAttribute, value: lifecycle ?? 0 },
      ...(state.digipoortStatus ? [{ key: DigipoortStatusAttribute, value: state.digipoortStatus }] : []),
    ]);
  };

  setHandler(filingStateQuery, () => state);
  setHandler(digipoortStatusChangedSignal, (change) => {
    state.digipoortStatus = change.code;
    state.lifecycle = change.lifecycle;
    if (change.final) finalStatusSeen = true;
    show();
  });
  setHandler(submissionResolvedSignal, (resolution) => {
    resolved = resolution;
  });
  show();

  try {
    // Prepared (H4): irreversible. A superseded version (H11) ends here.
    const prepared = await quick.prepareForSending({ messageId: input.messageId });
    state.lifecycle = prepared.lifecycle;
    if (prepared.outcome === 'superseded') {
      state.phase = 'superseded';
      state.note = 'H11: superseded by a newer version; not sent';
      show();
      await quick.markWorkflowClosed({ messageId: input.messageId });
      return state;
    }
    // The approval seam: the client portal decides here before anything is sent.

    state.phase = 'choosing-certificate';
    show();
    const chosen = await digipoort.chooseCertificate({ messageId: input.messageId });
    state.certificateId = chosen.certificateId;
    await quick.checkContent({ messageId: input.messageId });

    state.phase = 'sending';
    show();
    for (;;) {
      try {
        const submitted = await digipoort.submitToDigipoort({ messageId: input.messageId });
        state.kenmerk = submitted.kenmerk;
        break;
      } catch (err) {
        if (failureType(err) !== 'NeedsHuman') throw err;
        state.phase = 'needs-human';
        state.note = 'ambiguous submission: a person must adopt a Digipoort process or allow a resend';
        show();
        resolved = undefined;
        await condition(() => resolved !== undefined);
        state.note = `resolved by a person (${resolved!.how})`;
        state.phase = 'sending';
        show();
      }
    }
  } catch (err) {
    if (isCancellation(err)) throw err;
    const type = failureType(err);
    const stopped = type === 'Superseded' || type === 'NotOwned';
    state.phase = stopped ? 'superseded' : 'failed';
    state.lifecycle = stopped ? state.lifecycle : 70;
    state.note = err instanceof ActivityFailure && err.cause ? err.cause.message : String(err);
    show();
    if (state.phase === 'failed') await callbacks.notifyAdministration({ messageId: input.messageId, lifecycle: 70 });
    if (type !== 'NotOwned') await quick.markWorkflowClosed({ messageId: input.messageId });
    return state;
  }

  if (!finalStatusSeen && (state.lifecycle === null || state.lifecycle < 60)) state.lifecycle = 60;
  state.phase = 'awaiting-statuses';
  show();
  await callbacks.notifyAdministration({ messageId: input.messageId, lifecycle: 60 });

  // Statuses come from the hub's send/receive (H8), which signals each change.
  const final = await condition(() => finalStatusSeen, STATUS_WAIT);
  state.phase = 'notifying';
  if (!final) {
    state.note = 'no final Digipoort status within 35 days';
    await quick.recordFilingNote({ messageId: input.messageId, level: 'F', text: state.note });
  } else if (state.lifecycle !== null) {
    await callbacks.notifyAdministration({ messageId: input.messageId, lifecycle: state.lifecycle });
  }
  state.phase = 'done';
  show();
  await quick.markWorkflowClosed({ messageId: input.messageId });
  return state;
}
