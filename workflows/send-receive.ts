import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  getExternalWorkflowHandle,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { SendReceiveActivities, SendReceiveRoundResult } from '../activities/send-receive';
import type { PortalActivities } from '../activities/portal';
import { digipoortStatusChangedSignal } from './filing';

/**
 * Version 1, one workflow per run (kept registered so that runs started by the old per-run Schedules, and their
 * recorded histories, keep replaying). New runs go through `sendReceiveHub` below.
 *
 * A hub's send and receive (H8, H9): start what was prepared and not yet sent, fetch the statuses of every open
 * process of the last 30 days and apply only the highest (H5, H6), keep unknown return messages as ONB (H7), and
 * signal the filing workflows that changed. One run per hub at a time: a lock in PostgreSQL, which a dead run holds
 * at most 30 minutes. Started by the hub's Schedule (`send-receive-<participant>`) or on demand through the API.
 */
export interface SendReceiveInput {
  hubId: string;
  participant: string;
  trigger: 'schedule' | 'api';
  /** The lock the API already took for an on-demand run; a scheduled run takes its own. */
  lockRunId?: string;
}

export interface SendReceiveResult {
  skipped?: 'already running';
  started: number;
  changed: number;
  unknown: number;
}

const activities = proxyActivities<SendReceiveActivities & PortalActivities>({
  startToCloseTimeout: '20 minutes',
  retry: { initialInterval: '2 seconds', maximumInterval: '30 seconds', maximumAttempts: 5 },
});

/**
 * The Digipoort rounds heartbeat every few seconds: a worker that dies mid-round is noticed within 20 s, so the hub's
 * lock (H8) is not held by a dead round and the next statuses are not minutes late.
 */
const rounds = proxyActivities<SendReceiveActivities>({
  startToCloseTimeout: '20 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '2 seconds', maximumInterval: '30 seconds', maximumAttempts: 5 },
});

/** The old per-run Schedule's id (removed when the hub's long-lived workflow is made sure of). */
export const sendReceiveScheduleId = (participant: string): string => `send-receive-${participant}`;
export const sendReceiveWorkflowId = (participant: string, runId: string): string => `send-receive-${participant}-${runId}`;

export async function sendReceive(input: SendReceiveInput): Promise<SendReceiveResult> {
  const runId = input.lockRunId ?? workflowInfo().workflowId;
  if (!input.lockRunId) {
    const acquired = await activities.acquireSendReceiveLock({ hubId: input.hubId, runId });
    if (!acquired) {
      setCurrentDetails(`Hub ${input.participant}: skipped, another send/receive is running (H8)`);
      return { skipped: 'already running', started: 0, changed: 0, unknown: 0 };
    }
  }
  try {
    setCurrentDetails(`Hub ${input.participant}: sending`);
    const started = await rounds.startPendingFilings({ hubId: input.hubId });
    setCurrentDetails(`Hub ${input.participant}: receiving statuses (last 30 days)`);
    const changes = await rounds.receiveStatuses({ hubId: input.hubId });
    for (const change of changes) {
      if (!change.workflowId) continue;
      try {
        await getExternalWorkflowHandle(change.workflowId).signal(digipoortStatusChangedSignal, {
          code: change.code,
          lifecycle: change.lifecycle,
          final: change.final,
        });
      } catch {
        // The filing's workflow has finished (e.g. a late status after a reset): the status is on record anyway.
      }
    }
    const unknown = await rounds.detectUnknownProcesses({ hubId: input.hubId });
    // E-mails that could not be sent earlier (SMTP down) get another try on every run.
    await activities.flushEmailOutbox({ hubId: input.hubId });
    const summary = `send/receive (${input.trigger}): ${started} started, ${changes.length} status changes, ${unknown} unknown return messages`;
    setCurrentDetails(`Hub ${input.participant}: ${summary}`);
    await activities.logSendReceive({ hubId: input.hubId, level: unknown > 0 ? 'F' : 'I', text: summary });
    return { started, changed: changes.length, unknown };
  } finally {
    await activities.releaseSendReceiveLock({ hubId: input.hubId, runId });
  }
}

// --- version 2: one long-lived workflow per hub -------------------------------------------------------------------

/**
 * A hub's send and receive (H8, H9) as one long-lived workflow, `send-receive-<participant>`: a timer loop at the hub's
 * interval, and a run on demand through the `runSendReceive` update (the API, the staff console). Each run is one
 * activity (`sendReceiveRound`): the hub's lock in PostgreSQL (H8: one run per hub at a time, whichever worker or API
 * path asks; a dead run's lock lapses after 30 minutes), send, receive the new statuses, signal what changed, and the
 * daily full scan (H7). The details show the last run; after RUNS_PER_HISTORY runs, or when Temporal suggests it, the
 * workflow continues as new with its state.
 */
export interface SendReceiveHubInput {
  hubId: string;
  participant: string;
  intervalSeconds: number;
  last?: LastSendReceiveRun;
  /** On-demand runs asked for and not yet made when the workflow continued as new. */
  pending?: SendReceiveRunRequest[];
}

export interface SendReceiveRunRequest {
  /** The lock's run id (the API takes the lock before it asks). */
  runId: string;
  requestedBy?: string;
  full?: boolean;
}

export interface LastSendReceiveRun extends SendReceiveRoundResult {
  runId: string;
  trigger: 'schedule' | 'api';
}

/** Runs send/receive now; completes with the run's result. The API waits only until it is accepted. */
export const runSendReceiveUpdate = defineUpdate<SendReceiveRoundResult, [SendReceiveRunRequest]>('runSendReceive');
/** The hub's interval changed: the wait starts again with the new one. */
export const sendReceiveIntervalSignal = defineSignal<[{ intervalSeconds: number }]>('sendReceiveInterval');
export const lastSendReceiveQuery = defineQuery<LastSendReceiveRun | undefined>('lastSendReceive');

export const sendReceiveHubWorkflowId = (participant: string): string => `send-receive-${participant}`;

/** Runs per workflow history before it continues as new (each run adds about a dozen events). */
export const RUNS_PER_HISTORY = 200;

const round = proxyActivities<SendReceiveActivities & PortalActivities>({
  startToCloseTimeout: '20 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '2 seconds', maximumInterval: '30 seconds', maximumAttempts: 5 },
});

export async function sendReceiveHub(input: SendReceiveHubInput): Promise<void> {
  const queue: SendReceiveRunRequest[] = [...(input.pending ?? [])];
  const done = new Map<string, SendReceiveRoundResult>();
  let intervalSeconds = input.intervalSeconds;
  let intervalChanged = false;
  let last = input.last;

  const describe = () =>
    setCurrentDetails(
      last
        ? `Hub ${input.participant}, every ${intervalSeconds} s. Last run (${last.trigger}) ended ${last.finishedAt}: ${last.summary}`
        : `Hub ${input.participant}, every ${intervalSeconds} s. No run yet.`,
    );

  setHandler(
    runSendReceiveUpdate,
    async (request) => {
      if (!done.has(request.runId) && !queue.some((q) => q.runId === request.runId)) queue.push(request);
      await condition(() => done.has(request.runId));
      const result = done.get(request.runId)!;
      done.delete(request.runId);
      return result;
    },
    {
      validator: (request) => {
        if (typeof request?.runId !== 'string' || request.runId.length === 0) throw new Error('runSendReceive needs a runId');
      },
    },
  );
  setHandler(sendReceiveIntervalSignal, (change) => {
    if (change.intervalSeconds > 0 && change.intervalSeconds !== intervalSeconds) {
      intervalSeconds = change.intervalSeconds;
      intervalChanged = true;
    }
  });
  setHandler(lastSendReceiveQuery, () => last);
  describe();

  let runs = 0;
  for (;;) {
    while (queue.length > 0 || (runs < RUNS_PER_HISTORY && !workflowInfo().continueAsNewSuggested)) {
      const asked = queue.length > 0 || (await condition(() => queue.length > 0 || intervalChanged, `${intervalSeconds} seconds`));
      if (queue.length === 0 && intervalChanged) {
        intervalChanged = false;
        describe();
        continue;
      }
      const request = asked ? queue.shift() : undefined;
      const trigger = request ? 'api' : 'schedule';
      const runId = request?.runId ?? `${workflowInfo().runId}-${runs}`;
      intervalChanged = false;
      const result = await round.sendReceiveRound({ hubId: input.hubId, runId, trigger, full: request?.full });
      runs++;
      if (request) done.set(request.runId, result);
      if (!result.skipped) {
        last = { ...result, runId, trigger };
        // E-mails that could not be sent earlier (SMTP down) get another try after every run.
        await round.flushEmailOutbox({ hubId: input.hubId });
      }
      // The setting as the run read it, unless a change was signalled meanwhile (that one is at least as new).
      if (!intervalChanged) intervalSeconds = result.intervalSeconds;
      intervalChanged = false;
      describe();
    }
    // Every on-demand caller has its answer before the history is closed; one that asks meanwhile is served first.
    await condition(() => allHandlersFinished() || queue.length > 0);
    if (queue.length === 0) break;
  }
  await continueAsNew<typeof sendReceiveHub>({ hubId: input.hubId, participant: input.participant, intervalSeconds, last, pending: [] });
}
