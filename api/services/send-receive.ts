import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, WorkflowUpdateStage, type Client } from '@temporalio/client';
import { RuleViolation } from '../../domain/errors';
import type { Pool } from '../../db/pool';
import type { Hub } from '../../db/repositories/hubs';
import { acquireSendReceiveLock, releaseSendReceiveLock } from '../../db/repositories/send-receive-locks';
import { runSendReceiveUpdate, sendReceiveHub, sendReceiveHubWorkflowId, type SendReceiveHubInput } from '../../workflows/send-receive';
import { HubAttribute } from '../../workflows/search-attributes';

/** How the hub's long-lived send/receive workflow is started when it does not run (the first request, a new hub). */
export function sendReceiveHubStart(taskQueue: string, hub: Hub) {
  const input: SendReceiveHubInput = { hubId: hub.id, participant: hub.participantNumber, intervalSeconds: hub.sendReceiveIntervalSeconds };
  return {
    workflowId: sendReceiveHubWorkflowId(hub.participantNumber),
    taskQueue,
    args: [input] as [SendReceiveHubInput],
    staticSummary: `Send/receive for hub ${hub.participantNumber}`,
    typedSearchAttributes: [{ key: HubAttribute, value: hub.participantNumber }],
  };
}

/**
 * H8: asks the hub's send/receive workflow for a run now, unless one is going on (RuleViolation H8, conflict). Used
 * by the staff API and the console's "run now" button alike. The lock is taken here, so a second request is refused
 * at once; the workflow's run holds the same lock (its run id) until it ends. Answers once the workflow accepted the
 * request: `runId` is the update's id, with which `workflowId`'s handle gives the run's result.
 */
export async function startSendReceive(
  deps: { pool: Pool; temporal: Client; taskQueue: string },
  hub: Hub,
  requestedBy: string,
  options: { full?: boolean } = {},
): Promise<{ runId: string; workflowId: string }> {
  const runId = randomUUID();
  if (!(await acquireSendReceiveLock(deps.pool, hub.id, runId))) {
    throw new RuleViolation('H8', `send/receive is already running for hub ${hub.participantNumber}`, 'conflict');
  }
  const workflowId = sendReceiveHubWorkflowId(hub.participantNumber);
  try {
    await deps.temporal.workflow.startUpdateWithStart(runSendReceiveUpdate, {
      // A person asked: everything now, the full scan included (H7), unless they ask for the new statuses only.
      args: [{ runId, requestedBy, full: options.full ?? true }],
      updateId: runId,
      waitForStage: WorkflowUpdateStage.ACCEPTED,
      startWorkflowOperation: new WithStartWorkflowOperation(sendReceiveHub, {
        ...sendReceiveHubStart(deps.taskQueue, hub),
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    });
  } catch (err) {
    await releaseSendReceiveLock(deps.pool, hub.id, runId);
    throw err;
  }
  return { runId, workflowId };
}
