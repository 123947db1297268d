import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';

/** The no-op filing's activities: nothing, and the acknowledgement, after which its statuses are signalled. */
export interface NoopActivities {
  noop(): Promise<void>;
  /** Returns when it finished (ms); the no-op filing's status signals follow at once, as send/receive would send them. */
  noopAck(signals: number): Promise<number>;
}

export function createNoopActivities(client: Client): NoopActivities {
  return {
    async noop() {
      return undefined;
    },
    async noopAck(count) {
      const workflowId = Context.current().info.workflowExecution!.workflowId;
      // After this activity has completed: the statuses arrive once Digipoort has the filing.
      setImmediate(() => {
        void (async () => {
          const handle = client.workflow.getHandle(workflowId);
          for (let i = 0; i < count; i++) await handle.signal('noopStatus').catch(() => undefined);
        })();
      });
      return Date.now();
    },
  };
}
