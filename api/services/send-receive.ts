import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { RuleViolation } from '../../domain/errors';
import type { Pool } from '../../db/pool';
import type { Hub } from '../../db/repositories/hubs';
import { acquireSendReceiveLock, releaseSendReceiveLock } from '../../db/repositories/send-receive-locks';
import { sendReceive, sendReceiveWorkflowId } from '../../workflows/send-receive';
import { HubAttribute } from '../../workflows/search-attributes';

/**
 * H8: starts a send/receive run of the hub now, unless one is going on (RuleViolation H8, conflict). Used by the
 * staff API and the console's "run now" button alike.
 */
export async function startSendReceive(
  deps: { pool: Pool; temporal: Client; taskQueue: string },
  hub: Hub,
  requestedBy: string,
): Promise<{ runId: string; workflowId: string }> {
  const runId = randomUUID();
  if (!(await acquireSendReceiveLock(deps.pool, hub.id, runId))) {
    throw new RuleViolation('H8', `send/receive is already running for hub ${hub.participantNumber}`, 'conflict');
  }
  const workflowId = sendReceiveWorkflowId(hub.participantNumber, runId);
  try {
    await deps.temporal.workflow.start(sendReceive, {
      workflowId,
      taskQueue: deps.taskQueue,
      args: [{ hubId: hub.id, participant: hub.participantNumber, trigger: 'api', lockRunId: runId }],
      staticSummary: `Send/receive for hub ${hub.participantNumber} (requested by ${requestedBy})`,
      typedSearchAttributes: [{ key: HubAttribute, value: hub.participantNumber }],
    });
  } catch (err) {
    await releaseSendReceiveLock(deps.pool, hub.id, runId);
    throw err;
  }
  return { runId, workflowId };
}
