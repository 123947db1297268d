import { getExternalWorkflowHandle, proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { SendReceiveActivities } from '../activities/send-receive';
import type { PortalActivities } from '../activities/portal';
import { digipoortStatusChangedSignal } from './filing';

/**
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
