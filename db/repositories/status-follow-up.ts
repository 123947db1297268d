import type { Pool } from '../pool';

/** The per-hub rate of status follow-ups: `perSecond` refilled, at most `burst` at once. */
export interface FollowUpRate {
  perSecond: number;
  burst: number;
}

/**
 * Takes one token of the hub's follow-up bucket (migration 0019), atomically across workers: true when the hub is
 * within its rate, false when this poll must be skipped. Either way it is counted (migration 0021).
 */
export async function takeFollowUpToken(pool: Pool, hubId: string, rate: FollowUpRate): Promise<boolean> {
  if (rate.perSecond <= 0) return false;
  const { rows } = await pool.query<{ tokens: number }>(
    `INSERT INTO status_follow_up_buckets AS b (hub_id, tokens, refilled_at, taken) VALUES ($1, $2::float8 - 1, clock_timestamp(), 1)
     ON CONFLICT (hub_id) DO UPDATE
        SET tokens = LEAST($2::float8, b.tokens + extract(epoch FROM clock_timestamp() - b.refilled_at) * $3::float8) - 1,
            refilled_at = clock_timestamp(),
            taken = b.taken + 1
      WHERE LEAST($2::float8, b.tokens + extract(epoch FROM clock_timestamp() - b.refilled_at) * $3::float8) >= 1
     RETURNING tokens`,
    [hubId, Math.max(1, rate.burst), rate.perSecond],
  );
  if (rows.length > 0) return true;
  await pool.query('UPDATE status_follow_up_buckets SET skipped = skipped + 1 WHERE hub_id = $1', [hubId]);
  return false;
}

/** A hub's follow-up polls so far: taken within its rate, and skipped over it. */
export async function followUpCounts(pool: Pool, hubId: string): Promise<{ taken: number; skipped: number }> {
  const { rows } = await pool.query<{ taken: string; skipped: string }>('SELECT taken, skipped FROM status_follow_up_buckets WHERE hub_id = $1', [hubId]);
  return { taken: Number(rows[0]?.taken ?? 0), skipped: Number(rows[0]?.skipped ?? 0) };
}
