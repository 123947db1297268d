import { activityInfo } from '@temporalio/activity';
import type { Pool } from '../db/pool';

export interface PlatformActivityDeps {
  pool: Pool;
}

export function createPlatformActivities({ pool }: PlatformActivityDeps) {
  return {
    /** Marks the check as completed; idempotent, so a retried attempt changes nothing twice. */
    async recordPlatformCheck(input: { checkId: string; runId: string }): Promise<string> {
      const { attempt } = activityInfo();
      const result = await pool.query<{ completed_at: Date }>(
        `UPDATE platform_checks
            SET run_id = $2, activity_attempt = $3, completed_at = COALESCE(completed_at, now())
          WHERE id = $1
          RETURNING completed_at`,
        [input.checkId, input.runId, attempt],
      );
      if (result.rowCount === 0) throw new Error(`platform check ${input.checkId} is not recorded`);
      return result.rows[0].completed_at.toISOString();
    },
  };
}

export type PlatformActivities = ReturnType<typeof createPlatformActivities>;
