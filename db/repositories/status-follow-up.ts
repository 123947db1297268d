import type { Pool } from '../pool';

/** The per-hub rate of status follow-ups: `perSecond` refilled, at most `burst` at once. */
export interface FollowUpRate {
  perSecond: number;
  burst: number;
}

/**
 * Takes one token of the hub's follow-up bucket (migration 0019), atomically across workers: true when the hub is
 * within its rate, false when this poll must be skipped.
 */
export async function takeFollowUpToken(pool: Pool, hubId: string, rate: FollowUpRate): Promise<boolean> {
  if (rate.perSecond <= 0) return false;
  const { rows } = await pool.query<{ tokens: number }>(
    `INSERT INTO status_follow_up_buckets AS b (hub_id, tokens, refilled_at) VALUES ($1, $2::float8 - 1, clock_timestamp())
     ON CONFLICT (hub_id) DO UPDATE
        SET tokens = LEAST($2::float8, b.tokens + extract(epoch FROM clock_timestamp() - b.refilled_at) * $3::float8) - 1,
            refilled_at = clock_timestamp()
      WHERE LEAST($2::float8, b.tokens + extract(epoch FROM clock_timestamp() - b.refilled_at) * $3::float8) >= 1
     RETURNING tokens`,
    [hubId, Math.max(1, rate.burst), rate.perSecond],
  );
  return rows.length > 0;
}
