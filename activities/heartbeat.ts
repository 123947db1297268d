import { Context } from '@temporalio/activity';

/** Heartbeats while `work` runs, so a worker that dies mid-call is noticed within the heartbeat timeout. */
export async function withHeartbeat<T>(work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), 3000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
