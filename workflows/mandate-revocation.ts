import { getExternalWorkflowHandle, ParentClosePolicy, startChild } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { MandateTarget } from '../activities/runbooks';
import { mandate, revokeMandateSignal } from './mandate';

/**
 * How a workflow (a runbook, a client's departure) has mandates act: each mandate's own `mandate` workflow does the
 * work, durably. The intent (a revocation) is on the mandate's record before any of this, so a mandate workflow that
 * is not running picks it up when it is started here.
 */

/** Starts the mandate's workflow as an abandoned child (a mandate outlives whoever asked); one already running is left as it is. */
export async function startMandateWorkflow(target: MandateTarget, participant: string): Promise<void> {
  try {
    await startChild(mandate, {
      workflowId: target.workflowId,
      args: [{ mandateId: target.mandateId, participant }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
  } catch (err) {
    // Started by an earlier attempt of this step: it is already working on the same mandate.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

/** Tells the mandate's workflow to revoke; a workflow that is not running is started and reads it from the record. */
export async function askMandateToRevoke(target: MandateTarget, by: string, participant: string): Promise<void> {
  try {
    await getExternalWorkflowHandle(target.workflowId).signal(revokeMandateSignal, { by });
  } catch {
    await startMandateWorkflow(target, participant);
  }
}
