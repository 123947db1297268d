import type { Pool } from '../pool';

/** The per-hub rate of status follow-ups: `perSecond` refilled, at most `burst` at once. */
export interface FollowUpRate {
  perSecond: number;
  burst: number;
}

/** A token taken, or not: then how long until the bucket holds one again (undefined: the follow-up is off). */
export type FollowUpToken = { taken: true } | { taken: false; retryInMs?: number };

/**
 * Takes one token of the hub's follow-up bucket (migration 0019), atomically across workers: taken when the hub is
 * within its rate, else the poll is skipped, with the time until a token is back plus a random spread (up to the time
 * the burst takes to refill), so that the polls skipped in one busy second do not all come back in the same one.
 * Either way it is counted (migration 0021).
 */
export async function takeFollowUpToken(pool: Pool, hubId: string, rate: FollowUpRate): Promise<FollowUpToken> {
  if (rate.perSecond <= 0) return { taken: false };
  const burst = Math.max(1, rate.burst);
  const { rows } = await pool.query<{ tokens: number }>(
    `INSERT INTO status_follow_up_buckets AS b (hub_id, tokens, refilled_at, taken) VALUES ($1, $2::float8 - 1, clock_timestamp(), 1)
     ON CONFLICT (hub_id) DO UPDATE
        SET tokens = LEAST($2::float8, b.tokens + extract(epoch FROM clock_timestamp() - b.refilled_at) * $3::float8) - 1,
            refilled_at = clock_timestamp(),
            taken = b.taken + 1
      WHERE LEAST($2::float8, b.tokens + extract(epoch FROM clock_timestamp() - b.refilled_at) * $3::float8) >= 1
     RETURNING tokens`,
    [hubId, burst, rate.perSecond],
  );
  if (rows.length > 0) return { taken: true };
  const { rows: skipped } = await pool.query<{ available: number }>(
    `UPDATE status_follow_up_buckets SET skipped = skipped + 1 WHERE hub_id = $1
     RETURNING LEAST($2::float8, tokens + extract(epoch FROM clock_timestamp() - refilled_at) * $3::float8) AS available`,
    [hubId, burst, rate.perSecond],
  );
  const deficit = Math.max(0, 1 - Number(skipped[0]?.available ?? 0));
  return { taken: false, retryInMs: Math.ceil(((deficit + Math.random() * burst) / rate.perSecond) * 1000) };
}

/** A hub's follow-up polls so far: taken within its rate, and skipped over it. */
export async function followUpCounts(pool: Pool, hubId: string): Promise<{ taken: number; skipped: number }> {
  const { rows } = await pool.query<{ taken: string; skipped: string }>('SELECT taken, skipped FROM status_follow_up_buckets WHERE hub_id = $1', [hubId]);
  return { taken: Number(rows[0]?.taken ?? 0), skipped: Number(rows[0]?.skipped ?? 0) };
}
