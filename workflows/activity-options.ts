import { ActivityFailure, ApplicationFailure, type ActivityOptions } from '@temporalio/workflow';

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

/** Waiting for mandates to settle is a poll: retried with backoff until they have, for at most a week. */
export const mandateWaitOptions: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '7 days',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', backoffCoefficient: 1.5 },
};

/** What a failed activity or step says, for a person: the activity's own message rather than the wrapper's. */
export function reasonOf(err: unknown): string {
  if (err instanceof ActivityFailure) return err.cause?.message ?? err.message;
  if (err instanceof ApplicationFailure) return err.message;
  return String(err);
}
