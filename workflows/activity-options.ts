import type { ActivityOptions } from '@temporalio/workflow';

/**
 * Options of activities that call Digipoort (filings, mandates): bounded per attempt, heartbeating so a worker that
 * dies mid-call is noticed within the heartbeat timeout, retried (through reconcile) until a definite outcome, except
 * for the given failure types, which are final.
 */
export function digipoortCallOptions(nonRetryableErrorTypes: string[]): ActivityOptions {
  return {
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '20 seconds',
    retry: { initialInterval: '2 seconds', maximumInterval: '2 minutes', backoffCoefficient: 2, nonRetryableErrorTypes },
  };
}
