import type { Client } from '@temporalio/client';
import type { Pool } from '../db/pool';
import type { WusClientPool } from '../integrations/wus/client-pool';
import { createFilingActivities } from './filing';
import { createPlatformActivities } from './platform';
import { createSendReceiveActivities } from './send-receive';

/** Everything an activity may touch, injected by the worker (and by tests). */
export interface ActivityDeps {
  pool: Pool;
  wus: WusClientPool;
  /** To start workflows from activities (send/receive starts filings that never started). */
  temporal?: Client;
  taskQueue: string;
  clock?: () => Date;
  fetch?: typeof fetch;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createPlatformActivities(deps),
    ...createFilingActivities(deps),
    ...createSendReceiveActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
