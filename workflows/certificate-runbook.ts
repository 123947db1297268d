import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  ContinueAsNew,
  continueAsNew,
  defineQuery,
  defineUpdate,
  isCancellation,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { MandateTarget, RunbookActivities } from '../activities/runbooks';
import { RuleViolation } from '../domain/errors';
import {
  initialSteps,
  progressMarkdown,
  progressPercent,
  type RunbookKind,
  type RunbookProgressView,
  type RunbookStepKey,
  type RunbookStepProgress,
} from '../domain/runbooks';
import { mandateWaitOptions, reasonOf } from './activity-options';
import { askMandateToRevoke, startMandateWorkflow } from './mandate-revocation';
import { CertificatesAttribute, HubAttribute, RunbookKindAttribute, RunbookProgressAttribute, RunbookStepAttribute } from './search-attributes';

/**
 * A certificate-change runbook (RB1–RB5, seed 000): an activity computes the plan → the workflow waits for a person to
 * confirm or cancel it → the steps run in the seed's order, revoking and re-requesting mandates through their `mandate`
 * workflows, a few at a time. A failed step pauses the runbook with its reason until it is retried or cancelled;
 * every step is idempotent. Its id derives from the certificate it changes (`certificate-runbook-<participant>-<id>`),
 * so one runs per certificate at a time. Progress: the `runbookProgress` query, the read model the API serves, the Web
 * UI's current details (a checklist) and the search attributes RunbookKind, RunbookStep, RunbookProgress, Certificates.
 * Its history does not grow with the number of mandates: between steps and between batches of mandates it continues
 * as new (same workflow id) when the server suggests it or the history passes `historyLimit` events, carrying where
 * it stands; the steps are idempotent, so the new run simply goes on.
 */
export interface CertificateRunbookInput {
  runbookId: string;
  hubId: string;
  participant: string;
  kind: RunbookKind;
  /** Continue as new once the history has this many events (default 10 000; the server may suggest it earlier). */
  historyLimit?: number;
  /** Set by continue-as-new: the runbook was confirmed and runs from here. */
  resume?: RunbookResume;
}

export interface RunbookResume {
  steps: RunbookStepProgress[];
  /** The step to run (the ones before it are done). */
  stepIndex: number;
  /** Mandates of that step already settled, of how many. */
  done: number;
  stepTotal: number;
  confirmedBy?: string;
  cancelRequested: boolean;
  certificateIds: string[];
}

const DEFAULT_HISTORY_LIMIT = 10_000;

export interface RunbookDecision {
  by: string;
}

export const confirmRunbookUpdate = defineUpdate<RunbookProgressView, [RunbookDecision]>('confirmRunbook');
export const cancelRunbookUpdate = defineUpdate<RunbookProgressView, [RunbookDecision]>('cancelRunbook');
export const retryRunbookUpdate = defineUpdate<RunbookProgressView, [RunbookDecision]>('retryRunbook');
export const runbookProgressQuery = defineQuery<RunbookProgressView>('runbookProgress');

export const certificateRunbookWorkflowId = (participant: string, certificateId: string): string => `certificate-runbook-${participant}-${certificateId}`;

/** Mandates revoked or requested at the same time. */
export const MANDATE_CONCURRENCY = 4;

const quick = proxyActivities<RunbookActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', backoffCoefficient: 2, nonRetryableErrorTypes: ['RunbookRefused', 'RunbookStepFailed'] },
});

/** Steps: a transient fault is retried a few times before the runbook pauses on it. */
const stepActivities = proxyActivities<RunbookActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', backoffCoefficient: 2, maximumAttempts: 5, nonRetryableErrorTypes: ['RunbookRefused', 'RunbookStepFailed'] },
});

/** Waiting for mandates is a poll: retried with backoff until they arrive, for at most a week. */
const waiting = proxyActivities<RunbookActivities>(mandateWaitOptions);

function inBatches<T>(items: readonly T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
  return batches;
}

/** The cancel update of a waiting or paused runbook answers only after the cancellation is stored (v2 histories). */
export const CANCEL_ANSWERS_AFTER_RECORD_PATCH = 'runbook-cancel-answers-after-record';

export async function certificateRunbook(input: CertificateRunbookInput): Promise<RunbookProgressView> {
  const resume = input.resume;
  const view: RunbookProgressView = {
    runbookId: input.runbookId,
    kind: input.kind,
    phase: resume ? 'running' : 'planning',
    steps: resume?.steps ?? initialSteps(input.kind),
    currentStep: resume ? (resume.steps[resume.stepIndex]?.key ?? null) : null,
    progress: resume ? progressPercent(resume.steps) : 0,
    reason: null,
  };
  let decision = (resume ? 'confirm' : undefined) as 'confirm' | 'cancel' | undefined;
  let confirmedBy: string | undefined = resume?.confirmedBy;
  let retryRequested = false;
  let cancelRequested = resume?.cancelRequested ?? false;
  let certificateIds: string[] = resume?.certificateIds ?? [];
  /** The phase the read model holds (publish): a cancel is answered once it holds `cancelled` (locks released). */
  let recordedPhase: RunbookProgressView['phase'] | undefined;
  /** The step being run, and how many of its mandates are settled (carried across continue-as-new). */
  let index = resume?.stepIndex ?? 0;
  let done = resume?.done ?? 0;
  let stepTotal = resume?.stepTotal ?? 0;
  const historyLimit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;

  const publish = async () => {
    view.progress = progressPercent(view.steps);
    setCurrentDetails(progressMarkdown(view));
    upsertSearchAttributes([
      { key: RunbookStepAttribute, value: view.currentStep ?? view.phase },
      { key: RunbookProgressAttribute, value: view.progress },
    ]);
    const phase = view.phase;
    await quick.recordRunbook({ view, confirmedBy });
    recordedPhase = phase;
  };

  /** Ends the run with every handler done (an update's answer is never cut off). */
  const finish = async () => {
    await condition(allHandlersFinished);
    return view;
  };

  /** Between steps and batches: a long history continues as new with where the runbook stands. */
  const continueIfLong = async () => {
    if (!workflowInfo().continueAsNewSuggested && workflowInfo().historyLength <= historyLimit) return;
    await condition(allHandlersFinished);
    await continueAsNew<typeof certificateRunbook>({
      ...input,
      resume: { steps: view.steps, stepIndex: index, done, stepTotal, confirmedBy, cancelRequested, certificateIds },
    });
  };

  setHandler(runbookProgressQuery, () => view);
  setHandler(
    confirmRunbookUpdate,
    ({ by }) => {
      decision = 'confirm';
      confirmedBy = by;
      // The answer already says what happens next; the read model follows at the next publish.
      view.phase = 'running';
      return view;
    },
    {
      validator: (_decision: RunbookDecision) => {
        if (view.phase !== 'awaiting-confirmation') throw new RuleViolation(input.kind, `the runbook is ${view.phase}: only a plan that waits for confirmation can be confirmed`, 'conflict');
      },
    },
  );
  setHandler(
    cancelRunbookUpdate,
    async (_decision: RunbookDecision) => {
      const stopsNow = view.phase === 'awaiting-confirmation' || view.phase === 'paused';
      if (stopsNow) {
        decision = decision ?? 'cancel';
        view.phase = 'cancelled';
      }
      // While a step runs, the runbook stops before the next one.
      cancelRequested = true;
      // Whoever is told "cancelled" may act on the certificates at once: answer when the record and lock release are done.
      if (stopsNow && patched(CANCEL_ANSWERS_AFTER_RECORD_PATCH)) await condition(() => recordedPhase === 'cancelled');
      return view;
    },
    {
      validator: (_decision: RunbookDecision) => {
        if (!['awaiting-confirmation', 'paused', 'running'].includes(view.phase)) throw new RuleViolation(input.kind, `the runbook is ${view.phase} and cannot be cancelled`, 'conflict');
      },
    },
  );
  setHandler(
    retryRunbookUpdate,
    (_decision: RunbookDecision) => {
      retryRequested = true;
      view.phase = 'running';
      return view;
    },
    {
      validator: (_decision: RunbookDecision) => {
        if (view.phase !== 'paused') throw new RuleViolation(input.kind, `the runbook is ${view.phase}: only a paused runbook is retried`, 'conflict');
      },
    },
  );

  upsertSearchAttributes([
    { key: HubAttribute, value: input.participant },
    { key: RunbookKindAttribute, value: input.kind },
    ...(resume ? [{ key: CertificatesAttribute, value: certificateIds }] : []),
  ]);

  if (!resume) {
    await publish();
    try {
      const plan = await quick.planRunbook({ runbookId: input.runbookId });
      certificateIds = plan.certificateIds;
      upsertSearchAttributes([{ key: CertificatesAttribute, value: plan.certificateIds }]);
    } catch (err) {
      if (isCancellation(err)) throw err;
      view.phase = 'failed';
      view.reason = reasonOf(err);
      await publish();
      return finish();
    }

    view.phase = 'awaiting-confirmation';
    await publish();
    await condition(() => decision !== undefined);
    if (decision === 'cancel') {
      view.phase = 'cancelled';
      view.reason = 'cancelled before anything changed';
      await publish();
      return finish();
    }
  }

  view.phase = 'running';
  while (index < view.steps.length) {
    const step = view.steps[index];
    if (cancelRequested) {
      view.phase = 'cancelled';
      view.currentStep = null;
      view.reason = `cancelled before step ${index + 1}; the steps before it are done`;
      await publish();
      return finish();
    }
    await continueIfLong();
    step.state = 'running';
    step.reason = undefined;
    view.currentStep = step.key;
    await publish();
    try {
      step.detail = await runStep(step.key);
      step.state = 'done';
      index++;
      done = 0;
    } catch (err) {
      if (isCancellation(err) || err instanceof ContinueAsNew) throw err;
      step.state = 'failed';
      step.reason = reasonOf(err);
      done = 0;
      view.phase = 'paused';
      view.reason = `step ${index + 1} (${step.title}) failed: ${step.reason}`;
      await publish();
      retryRequested = false;
      await condition(() => retryRequested || cancelRequested);
      if (cancelRequested) continue;
      view.phase = 'running';
      view.reason = null;
    }
  }
  view.phase = 'completed';
  view.currentStep = null;
  await publish();
  return finish();

  async function runStep(key: RunbookStepKey): Promise<string> {
    if (key === 'revoke-mandates') return revokeMandates();
    if (key === 'request-mandates') return requestMandates();
    return stepActivities.runRunbookStep({ runbookId: input.runbookId, step: key });
  }

  /**
   * Asks each mandate's workflow to revoke (starting it again if it is gone), a few at a time, and waits. The list
   * holds only mandates still open, so after continue-as-new it starts with those not revoked yet.
   */
  async function revokeMandates(): Promise<string> {
    const targets = await stepActivities.markRevocations({ runbookId: input.runbookId });
    // A continued run counts on from where it was (a mandate may have revoked itself from its record meanwhile).
    const total = done > 0 ? Math.max(stepTotal, done + targets.length) : targets.length;
    stepTotal = total;
    // Query state only (no command): the counts show from the start of the step.
    view.steps[index].counts = { done, total, what: 'revoked' };
    for (const batch of inBatches(targets, MANDATE_CONCURRENCY)) {
      await Promise.all(batch.map(askToRevoke));
      await settle(batch, 'closed', 'revocation');
      await batchSettled(batch.length, total, 'revoked');
    }
    // Settled, also those that revoked themselves before a continued run asked them (query state only).
    view.steps[index].counts = { done: total, total, what: 'revoked' };
    return `${total} mandate(s) revoked`;
  }

  /** Progress within a mandate step; a long history continues as new here. */
  async function batchSettled(count: number, total: number, what: string): Promise<void> {
    done += count;
    view.steps[index].detail = `${done} of ${total} mandate(s) ${what}`;
    view.steps[index].counts = { done, total, what: what === 'revoked' ? 'revoked' : 'requested' };
    await publish();
    await continueIfLong();
  }

  async function askToRevoke(target: MandateTarget): Promise<void> {
    await askMandateToRevoke(target, input.runbookId, input.participant);
  }

  async function startMandate(target: MandateTarget): Promise<void> {
    await startMandateWorkflow(target, input.participant);
  }

  /** Requests the plan's mandates anew as child workflows, a few at a time, until the register received each. */
  async function requestMandates(): Promise<string> {
    // The same list every time (an existing request is reused), so a continued run skips the settled ones.
    const targets = await stepActivities.prepareMandateRequests({ runbookId: input.runbookId, participant: input.participant });
    stepTotal = targets.length;
    view.steps[index].counts = { done, total: targets.length, what: 'requested' };
    for (const batch of inBatches(targets.slice(done), MANDATE_CONCURRENCY)) {
      await Promise.all(batch.map(startMandate));
      await settle(batch, 'requested', 'request');
      await batchSettled(batch.length, targets.length, 'requested');
    }
    view.steps[index].counts = { done: targets.length, total: targets.length, what: 'requested' };
    return `${targets.length} mandate(s) requested`;
  }

  async function settle(batch: readonly MandateTarget[], goal: 'closed' | 'requested', what: string): Promise<void> {
    const { failed } = await waiting.awaitMandates({ mandateIds: batch.map((t) => t.mandateId), goal });
    if (failed.length > 0) {
      throw ApplicationFailure.nonRetryable(`${failed.length} ${what}(s) failed: ${failed.map((f) => `mandate ${f.mandateId}: ${f.reason}`).join('; ')}`, 'RunbookStepFailed');
    }
  }
}
