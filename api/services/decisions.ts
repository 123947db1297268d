import { randomUUID } from 'node:crypto';
import { WorkflowUpdateRPCTimeoutOrCancelledError, type Client } from '@temporalio/client';
import type { ClientDecision } from '../../domain/approval';
import { decideFilingUpdate, type DecisionOutcome } from '../../workflows/filing';

/** What became of a client's decision sent to its filing workflow. */
export type DecisionSent =
  | { outcome: 'decided'; result: DecisionOutcome }
  /** The engine did not answer in time (a backlog): sent under one update id, so it counts at most once; not known yet. */
  | { outcome: 'received'; updateId: string };

/** How often an update that timed out is sent again (with the same update id) before the answer is "received". */
export const DECISION_UPDATE_ATTEMPTS = 3;
/** How long one attempt waits for the workflow's answer (a portal page should not hang on a backlog). */
export const DECISION_UPDATE_ATTEMPT_MS = 8000;

/**
 * Sends the client's decision as the filing's update (A1). Under a backlog the update's RPC may time out before the
 * workflow has taken it up (issue 10): it is sent again with the same update id, which Temporal deduplicates, so a
 * retry never makes a second decision; after `attempts` timeouts the caller answers "received, being processed"
 * (the filing page shows the outcome once the workflow has taken it). Other errors (validation, not found) are thrown.
 */
export async function sendClientDecision(
  temporal: Client,
  workflowId: string,
  decision: ClientDecision,
  options: { attempts?: number; attemptMs?: number; updateId?: string } = {},
): Promise<DecisionSent> {
  const updateId = options.updateId ?? `decision-${randomUUID()}`;
  const attempts = Math.max(1, options.attempts ?? DECISION_UPDATE_ATTEMPTS);
  const attemptMs = options.attemptMs ?? DECISION_UPDATE_ATTEMPT_MS;
  const handle = temporal.workflow.getHandle(workflowId);
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await temporal.withDeadline(Date.now() + attemptMs, () => handle.executeUpdate(decideFilingUpdate, { args: [decision], updateId }));
      return { outcome: 'decided', result };
    } catch (err) {
      if (!(err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) || attempt >= attempts) {
        if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return { outcome: 'received', updateId };
        throw err;
      }
    }
  }
}
