import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { FilingActivities, FollowUpOutcome, PollOutcome, PrepareOutcome } from '../activities/filing';
import type { PortalActivities } from '../activities/portal';
import { decisionProblem, reminderLabel, reminderPlan, type ClientDecision } from '../domain/approval';
import type { ReminderMoment } from '../domain/deadlines';
import { LIFECYCLE, lifecycleLabel, type LifecycleCode } from '../domain/lifecycle';
import { findKind } from '../domain/kinds';
import { DEFAULT_FOLLOW_UP_AT_MS } from '../domain/status-follow-up';
import {
  DigipoortStatusAttribute,
  DueDateAttribute,
  LifecycleStatusAttribute,
  ReminderStateAttribute,
} from './search-attributes';
import { digipoortCallOptions } from './activity-options';

/**
 * One filing message from prepared to final (H1–H6, A1, K3, K4): prepared (H4) → offered to the client on the portal
 * and decided there, with reminders before the deadline (when the message type needs approval) → certificate chosen →
 * content checked → aanleveren exactly once in effect → statuses (signalled by the hub's send/receive) → final
 * lifecycle → the administration told (H3). Its id is `filing-<participant>-<number>`.
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
  | 'rejected-by-client'
  | 'superseded'
  | 'failed';

export interface FilingState {
  phase: FilingPhase;
  lifecycle: LifecycleCode | null;
  digipoortStatus: string | null;
  kenmerk: string | null;
  certificateId: string | null;
  contentSha256: string | null;
  adopted: boolean;
  dueDate: string | null;
  reminderState: string | null;
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

/** What a client's decision led to (the update's answer to the portal page). */
export interface DecisionOutcome {
  lifecycle: LifecycleCode;
  contentSha256: string;
  adopted: boolean;
}

export const digipoortStatusChangedSignal = defineSignal<[DigipoortStatusChanged]>('digipoortStatusChanged');
export const submissionResolvedSignal = defineSignal<[SubmissionResolved]>('submissionResolved');
/** The client's decision from the portal: validated before it is accepted, answered synchronously. */
export const decideFilingUpdate = defineUpdate<DecisionOutcome, [ClientDecision]>('decideFiling');
/** The same decision sent by an operator from the Temporal Web UI (checked when it is taken up). */
export const clientDecisionSignal = defineSignal<[ClientDecision]>('clientDecision');
/** A newer version of the filing was prepared (H11): this one is never sent. */
export const supersededSignal = defineSignal('superseded');
export const filingStateQuery = defineQuery<FilingState>('filingState');

export const filingWorkflowId = (participant: string, number: number): string => `filing-${participant}-${number}`;

const quick = proxyActivities<FilingActivities & PortalActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', backoffCoefficient: 2, nonRetryableErrorTypes: ['StaleDecision', 'DecisionRefused', 'NotOwned'] },
});

/**
 * Digipoort calls: bounded per attempt, retried (through reconcile) until a definite outcome. The activities heartbeat
 * every few seconds, so a worker that dies mid-call is noticed within the heartbeat timeout.
 */
const digipoort = proxyActivities<FilingActivities>(
  digipoortCallOptions(['DigipoortFault', 'Superseded', 'NeedsHuman', 'CertificateNotUsable', 'MessageMissing', 'ContentChanged', 'NotOwned']),
);

/**
 * The short database steps (prepare, publish, the decision, notes, closing) as local activities (issue 10): they run in
 * the workflow task that needs them, recorded as markers, instead of three state transitions and a workflow task each.
 * Same retries; a worker that dies mid-step runs it again in the next workflow task, as an activity would be retried.
 */
const local = proxyLocalActivities<FilingActivities & PortalActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', backoffCoefficient: 2, nonRetryableErrorTypes: ['StaleDecision', 'DecisionRefused', 'NotOwned'] },
});

/**
 * A filing's own status follow-up after aanleveren: a minute and a bit of polls, best effort (the hub's send/receive
 * receives every status anyway, H9), so one retry at most.
 */
const followUp = proxyActivities<FilingActivities>({
  startToCloseTimeout: '3 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', maximumAttempts: 2 },
});

/**
 * One poll of the filing's own process between the follow-up's timers: a short Digipoort call and a store, best effort
 * (the hub's send/receive receives every status anyway, H9), so one retry at most.
 */
const poll = proxyLocalActivities<FilingActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', maximumAttempts: 2 },
});

/** The engine-lean shape of the filing (issue 10): local activities, one sending step, fewer upserts, the follow-up. */
export const LEAN_FILING_PATCH = 'filing-lean-v2';

/**
 * The follow-up waits on workflow timers, polling in a local activity at each moment (issue 10): before, one activity
 * slept through the minute, so a thousand filings in follow-up held the worker's activity slots and sending waited.
 */
export const FOLLOW_UP_TIMERS_PATCH = 'filing-follow-up-timers';

/**
 * The follow-up's moments count from the moment aanleveren was answered, by the poll's own clock: the workflow's clock
 * is that of the event that woke it, seconds behind on a busy worker. The poll runs at once and, when its moment has
 * not come yet, answers how long to wait; a moment already past is polled in the same task, without a timer and the
 * wait for another task. v4 histories.
 */
export const FOLLOW_UP_FROM_SENDING_PATCH = 'filing-follow-up-from-sending';

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

/**
 * The lifecycle of one filing, step by step: prepared (H4) → the client's approval on the portal, when its message
 * type needs it (A1) → certificate and content → aanleveren exactly once in effect → the final Digipoort status →
 * the administration told (H3). Each step is a function below; `run` holds the state the handlers share.
 */
export async function filing(input: FilingInput): Promise<FilingState> {
  const run = openFiling(input, patched(LEAN_FILING_PATCH));
  try {
    const prepared = await prepare(run);
    if (prepared === 'superseded') return await run.finish('superseded', 'H11: superseded by a newer version; not sent');
    if (prepared === 'awaiting-approval') {
      const decided = await awaitClientApproval(run);
      if (decided !== 'approved') return decided;
    }
    if (!run.lean) await chooseCertificateAndCheckContent(run);
    await submitExactlyOnce(run);
  } catch (err) {
    return await failed(run, err);
  }
  return awaitFinalStatus(run);
}

/** One filing's run: its state (shown in the Web UI and answered to queries), the handlers' inboxes, and how it ends. */
interface FilingRun {
  input: FilingInput;
  /** The lean shape (LEAN_FILING_PATCH); false when an older run replays its recorded steps. */
  lean: boolean;
  /** The short database steps: local activities in the lean shape, activities before it. */
  db: typeof quick;
  /** Whether sending already told the administration of 60 (lean shape). */
  told60: boolean;
  /** When the filing polls its own process after sending (as the sending step recorded it). */
  followUpAtMs?: number[];
  /** When aanleveren was answered (epoch ms, the sending step's clock): the follow-up's moments count from it. */
  sentAtMs?: number;
  state: FilingState;
  /** Client decisions waiting to be taken up, one at a time; updates wait for their outcome by ticket. */
  decisions: { ticket?: number; decision: ClientDecision }[];
  outcomes: Map<number, DecisionOutcome | Error>;
  signals: { resolved?: SubmissionResolved; finalStatusSeen: boolean; superseded: boolean };
  approvalState(): { awaiting: boolean; kind: string; contentSha256: string | null; adopted: boolean };
  /** Shows the state in the Web UI; `upsert` false: the details only, the search attributes at the next phase. */
  show(upsert?: boolean): void;
  finish(phase: FilingPhase, note: string | null, closed?: boolean): Promise<FilingState>;
}

function openFiling(input: FilingInput, lean: boolean): FilingRun {
  const state: FilingState = {
    phase: 'preparing',
    lifecycle: 0,
    digipoortStatus: null,
    kenmerk: null,
    certificateId: null,
    contentSha256: null,
    adopted: false,
    dueDate: null,
    reminderState: null,
    note: null,
  };
  const authority = findKind(input.kind)?.receiver ?? 'belastingdienst';
  const decisions: FilingRun['decisions'] = [];
  const outcomes = new Map<number, DecisionOutcome | Error>();
  const signals: FilingRun['signals'] = { finalStatusSeen: false, superseded: false };
  let tickets = 0;
  /** The search attributes last upserted (lean shape: only a changed set is upserted again). */
  let upserted = '';

  const show = (upsert = true) => {
    const lifecycle = state.lifecycle;
    setCurrentDetails(
      [
        `**Filing ${input.number}** (${input.kind}) — ${state.phase}`,
        '',
        `- Lifecycle: ${lifecycle ?? '–'}${lifecycle !== null && LIFECYCLE[lifecycle] ? ` (${lifecycleLabel(lifecycle, authority, 'en', input.approvalRequired)})` : ''}`,
        `- Digipoort status: ${state.digipoortStatus ?? '–'}`,
        `- Kenmerk: ${state.kenmerk ?? '–'}`,
        state.dueDate ? `- Due: ${state.dueDate}${state.reminderState ? ` (${state.reminderState})` : ''}` : '',
        state.note ? `- Note: ${state.note}` : '',
      ]
        .filter(Boolean)
        .join('\n'),
    );
    const attributes = [
      { key: LifecycleStatusAttribute, value: lifecycle ?? 0 },
      ...(state.digipoortStatus ? [{ key: DigipoortStatusAttribute, value: state.digipoortStatus }] : []),
      ...(state.dueDate ? [{ key: DueDateAttribute, value: new Date(`${state.dueDate}T00:00:00Z`) }] : []),
      ...(state.reminderState ? [{ key: ReminderStateAttribute, value: state.reminderState }] : []),
    ];
    if (lean) {
      if (!upsert) return;
      const values = JSON.stringify(attributes.map((a) => [a.key.name, a.value]));
      if (values === upserted) return;
      upserted = values;
    }
    upsertSearchAttributes(attributes);
  };

  const approvalState = () => ({
    awaiting: state.phase === 'awaiting-approval' && decisions.length === 0,
    kind: input.kind,
    contentSha256: state.contentSha256,
    adopted: state.adopted,
  });

  setHandler(filingStateQuery, () => state);
  setHandler(digipoortStatusChangedSignal, (change) => {
    state.digipoortStatus = change.code;
    state.lifecycle = change.lifecycle;
    if (change.final) signals.finalStatusSeen = true;
    // Lean shape: an intermediate status is shown in the details; the search attributes follow at the final one.
    show(!lean || change.final);
  });
  setHandler(submissionResolvedSignal, (resolution) => {
    signals.resolved = resolution;
  });
  setHandler(supersededSignal, () => {
    signals.superseded = true;
  });
  setHandler(clientDecisionSignal, (decision) => {
    decisions.push({ decision: { ...decision, via: 'operator' } });
  });
  setHandler(
    decideFilingUpdate,
    async (decision) => {
      const ticket = ++tickets;
      decisions.push({ ticket, decision });
      await condition(() => outcomes.has(ticket));
      const outcome = outcomes.get(ticket)!;
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
    {
      validator: (decision) => {
        // The portal may show the filing (stored at 30) a moment before this workflow has taken up the publication:
        // such a decision waits in the queue and is checked in full when the approval loop takes it.
        const publishing = input.approvalRequired && state.phase === 'preparing' && decisions.length === 0;
        const problem = publishing
          ? decisionProblem({ ...approvalState(), awaiting: true, contentSha256: decision.contentSha256 }, decision)
          : decisionProblem(approvalState(), decision);
        if (problem) throw new Error(problem);
      },
    },
  );
  // The lean shape upserts once the first step has said where the filing stands (one upsert fewer).
  if (!lean) show();

  const finish = async (phase: FilingPhase, note: string | null, closed = true): Promise<FilingState> => {
    state.phase = phase;
    if (note) state.note = note;
    show();
    for (const pending of decisions.splice(0)) {
      if (pending.ticket) outcomes.set(pending.ticket, ApplicationFailure.create({ message: 'the filing is no longer waiting for a decision', nonRetryable: true }));
    }
    if (closed) await db.markWorkflowClosed({ messageId: input.messageId });
    await condition(allHandlersFinished);
    return state;
  };

  const db = lean ? local : quick;
  return { input, lean, db, told60: false, state, decisions, outcomes, signals, approvalState, show, finish };
}

/** Prepared (H4): irreversible. A superseded version (H11) is never sent. */
async function prepare(run: FilingRun): Promise<PrepareOutcome['outcome']> {
  const prepared = await run.db.prepareForSending({ messageId: run.input.messageId });
  run.state.lifecycle = prepared.lifecycle;
  if (run.lean && prepared.outcome !== 'awaiting-approval') run.show();
  return prepared.outcome;
}

/**
 * A1: offered to the client on the portal; nothing is sent before the client approves. Reminders and the escalation
 * fire on durable timers while the client has not decided (the latest missed one of each kind at once). Decisions are
 * taken up one at a time; a rejection, or a newer version (H11), ends the filing here.
 */
async function awaitClientApproval(run: FilingRun): Promise<'approved' | FilingState> {
  const { input, state } = run;
  const published = await run.db.publishToPortal({ messageId: input.messageId });
  Object.assign(state, { lifecycle: published.lifecycle, contentSha256: published.contentSha256, adopted: published.adopted, dueDate: published.dueDate });
  state.phase = 'awaiting-approval';
  run.show();
  const plan = reminderPlan(published.dueDate, new Date().toISOString(), published.reminderOffsets);
  const remind = async (moment: ReminderMoment) => {
    await quick.sendReminder({ messageId: input.messageId, kind: moment.kind, daysBefore: moment.daysBefore });
    state.reminderState = reminderLabel(moment);
    run.show();
  };
  for (const moment of plan.now) await remind(moment);
  const later = [...plan.later];
  for (;;) {
    const next = later[0];
    const woke = await condition(
      () => run.decisions.length > 0 || run.signals.superseded,
      next ? Math.max(1, Date.parse(next.at) - Date.now()) : undefined,
    );
    if (run.signals.superseded) return run.finish('superseded', 'H11: superseded by a newer version before the client decided; not sent');
    if (!woke && next) {
      later.shift();
      await remind(next);
      continue;
    }
    const { ticket, decision } = run.decisions.shift()!;
    const taken = await takeDecision(run, ticket, decision);
    if (taken === 'ignored') continue;
    if (!run.lean || decision.decision !== 'approve') run.show();
    if (decision.decision === 'reject') {
      await callbacks.notifyAdministration({ messageId: input.messageId, lifecycle: 40 });
      return run.finish('rejected-by-client', `rejected by the client: ${decision.reason}`);
    }
    if (decision.decision === 'approve') return 'approved';
  }
}

/** One decision, checked against the content shown (A1) and recorded; a stale or refused one is logged and ignored. */
async function takeDecision(run: FilingRun, ticket: number | undefined, decision: ClientDecision): Promise<'taken' | 'ignored'> {
  const { input, state } = run;
  const problem = decisionProblem({ ...run.approvalState(), awaiting: true }, decision);
  if (problem) {
    // Only an operator's signal can get here unvalidated: it is logged and ignored.
    if (ticket) run.outcomes.set(ticket, ApplicationFailure.create({ message: problem, nonRetryable: true }));
    await run.db.recordFilingNote({ messageId: input.messageId, level: 'F', text: `decision ignored: ${problem}` });
    return 'ignored';
  }
  try {
    const outcome = await run.db.recordDecision({ messageId: input.messageId, decision });
    Object.assign(state, { lifecycle: outcome.lifecycle, contentSha256: outcome.contentSha256, adopted: outcome.adopted });
    if (ticket) run.outcomes.set(ticket, outcome);
    return 'taken';
  } catch (err) {
    const message = err instanceof ActivityFailure && err.cause ? err.cause.message : String(err);
    if (ticket) run.outcomes.set(ticket, ApplicationFailure.create({ message, type: failureType(err), nonRetryable: true }));
    if (failureType(err) === 'StaleDecision' || failureType(err) === 'DecisionRefused') {
      await run.db.recordFilingNote({ messageId: input.messageId, level: 'F', text: `decision not taken: ${message}` });
      return 'ignored';
    }
    throw err;
  }
}

/** C1–C5, C7: the certificate that signs; the content is what was checked at preparation (its hash). */
async function chooseCertificateAndCheckContent(run: FilingRun): Promise<void> {
  run.state.phase = 'choosing-certificate';
  run.show();
  const chosen = await digipoort.chooseCertificate({ messageId: run.input.messageId });
  run.state.certificateId = chosen.certificateId;
  await quick.checkContent({ messageId: run.input.messageId });
}

/**
 * aanleveren exactly once in effect (activities/filing.ts): retried through reconcile until a definite outcome. Only
 * when Digipoort's answers cannot decide does it wait here for a person (POST .../filings/{number}/resolve).
 */
async function submitExactlyOnce(run: FilingRun): Promise<void> {
  const { input, state } = run;
  state.phase = 'sending';
  run.show();
  // Lean shape: certificate, content and aanleveren in one step (which also tells the administration of 60 once).
  let first = run.lean;
  for (;;) {
    try {
      if (first) {
        first = false;
        const sent = await digipoort.sendFiling({ messageId: input.messageId });
        Object.assign(state, { kenmerk: sent.kenmerk, certificateId: sent.certificateId });
        run.told60 = sent.notified;
        run.followUpAtMs = sent.followUpAtMs;
        run.sentAtMs = sent.sentAtMs;
        return;
      }
      const submitted = await digipoort.submitToDigipoort({ messageId: input.messageId });
      state.kenmerk = submitted.kenmerk;
      return;
    } catch (err) {
      if (failureType(err) !== 'NeedsHuman') throw err;
      state.phase = 'needs-human';
      state.note = 'ambiguous submission: a person must adopt a Digipoort process or allow a resend';
      run.show();
      run.signals.resolved = undefined;
      await condition(() => run.signals.resolved !== undefined);
      state.note = `resolved by a person (${run.signals.resolved!.how})`;
      state.phase = 'sending';
      run.show();
    }
  }
}

/** Statuses come from the hub's send/receive (H8), which signals each change; the final one sets the lifecycle. */
async function awaitFinalStatus(run: FilingRun): Promise<FilingState> {
  const { input, state } = run;
  if (!run.signals.finalStatusSeen && (state.lifecycle === null || state.lifecycle < 60)) state.lifecycle = 60;
  state.phase = 'awaiting-statuses';
  run.show();
  if (run.lean) return awaitFinalStatusLean(run);
  await callbacks.notifyAdministration({ messageId: input.messageId, lifecycle: 60 });
  const final = await condition(() => run.signals.finalStatusSeen, STATUS_WAIT);
  state.phase = 'notifying';
  if (!final) {
    state.note = 'no final Digipoort status within 35 days';
    await quick.recordFilingNote({ messageId: input.messageId, level: 'F', text: state.note });
  } else if (state.lifecycle !== null) {
    await callbacks.notifyAdministration({ messageId: input.messageId, lifecycle: state.lifecycle });
  }
  return run.finish('done', null);
}

/**
 * Lean shape: the filing follows its own process for a minute (2 s, 5 s, 15 s, 1 min after sending, within the hub's
 * rate), so that a final status is seen in seconds; the hub's send/receive and its signals carry it from then on. The
 * administration hears 60 before the final lifecycle (H3): told by the sending step, else durably here, in parallel
 * with the follow-up; the follow-up tells the final one itself only when 60 was told before it started.
 */
async function awaitFinalStatusLean(run: FilingRun): Promise<FilingState> {
  const { input, state } = run;
  const told60 = run.told60;
  const durable60 = told60 ? undefined : callbacks.notifyAdministration({ messageId: input.messageId, lifecycle: 60 });
  let finalTold = false;
  if (!run.signals.finalStatusSeen) {
    const seen = patched(FOLLOW_UP_TIMERS_PATCH) ? await followOwnProcess(run) : await followOwnProcessInOneActivity(run);
    if (seen?.final) {
      finalTold = seen.notified;
      if (!run.signals.finalStatusSeen) {
        Object.assign(state, { digipoortStatus: seen.code, lifecycle: seen.lifecycle });
        run.signals.finalStatusSeen = true;
      }
    }
  }
  if (durable60) await durable60;
  const final = run.signals.finalStatusSeen || (await condition(() => run.signals.finalStatusSeen, STATUS_WAIT));
  state.phase = 'notifying';
  if (!final) {
    state.note = 'no final Digipoort status within 35 days';
    await run.db.recordFilingNote({ messageId: input.messageId, level: 'F', text: state.note });
  } else if (state.lifecycle !== null && !finalTold) {
    await callbacks.notifyAdministration({ messageId: input.messageId, lifecycle: state.lifecycle });
  }
  return run.finish('done', null);
}

/**
 * The follow-up: at each moment after sending, unless a signal brought the final status first, one poll; it ends at a
 * final status, when Digipoort cannot be asked now, or after the last moment. Best effort: a failed poll ends it, and
 * the hub's send/receive receives every status and signals it (H9).
 */
async function followOwnProcess(run: FilingRun): Promise<FollowUpOutcome | undefined> {
  const sentAtMs = run.sentAtMs !== undefined && patched(FOLLOW_UP_FROM_SENDING_PATCH) ? run.sentAtMs : undefined;
  const ask = (notBeforeMs?: number) => poll.pollOwnProcess({ messageId: run.input.messageId, notifyFinal: run.told60, notBeforeMs });
  let waited = 0;
  // Without recorded moments (a resend after a person resolved it): the defaults.
  for (const at of run.followUpAtMs ?? DEFAULT_FOLLOW_UP_AT_MS) {
    try {
      let seen: PollOutcome;
      if (sentAtMs === undefined) {
        if (await condition(() => run.signals.finalStatusSeen, Math.max(1, at - waited))) return undefined;
        seen = await ask();
      } else {
        if (run.signals.finalStatusSeen) return undefined;
        // A poll that ran after this moment already answers for it.
        if (waited >= at) continue;
        seen = await ask(sentAtMs + at);
        if (seen.waitMs !== undefined) {
          if (await condition(() => run.signals.finalStatusSeen, seen.waitMs)) return undefined;
          seen = await ask();
        }
      }
      waited = sentAtMs === undefined || seen.askedAtMs === undefined ? at : Math.max(at, seen.askedAtMs - sentAtMs);
      if (seen.stop) return undefined;
      if (seen.final) return seen;
    } catch (err) {
      if (isCancellation(err)) throw err;
      return undefined;
    }
  }
  return undefined;
}

/** The follow-up as runs before FOLLOW_UP_TIMERS_PATCH recorded it: one activity that sleeps between its polls. */
async function followOwnProcessInOneActivity(run: FilingRun): Promise<FollowUpOutcome | undefined> {
  try {
    return await followUp.followUpStatuses({ messageId: run.input.messageId, notifyFinal: run.told60 });
  } catch (err) {
    if (isCancellation(err)) throw err;
    return undefined;
  }
}

/** Not sent: a technical failure (70, can be reset) the administration is told of; superseded or re-routed stops quietly. */
async function failed(run: FilingRun, err: unknown): Promise<FilingState> {
  if (isCancellation(err)) throw err;
  const type = failureType(err);
  const stopped = type === 'Superseded' || type === 'NotOwned';
  if (!stopped) {
    run.state.lifecycle = 70;
    await callbacks.notifyAdministration({ messageId: run.input.messageId, lifecycle: 70 });
  }
  return run.finish(stopped ? 'superseded' : 'failed', err instanceof ActivityFailure && err.cause ? err.cause.message : String(err), type !== 'NotOwned');
}
