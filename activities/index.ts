import type { Pool } from '../db/pool';
import { createPlatformActivities } from './platform';

/** Everything an activity may touch, injected by the worker (and by tests). */
export interface ActivityDeps {
  pool: Pool;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createPlatformActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
