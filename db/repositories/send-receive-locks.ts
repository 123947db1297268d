import type { Pool, PoolClient } from '../pool';

/** H8: a dead run holds the hub's send/receive lock at most 30 minutes. */
export const SEND_RECEIVE_LOCK_MINUTES = 30;

/** Takes the hub's send/receive lock unless a live run holds it; false when another run is going on (H8). */
export async function acquireSendReceiveLock(db: Pool | PoolClient, hubId: string, runId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO send_receive_locks (hub_id, run_id, locked_at) VALUES ($1, $2, now())
     ON CONFLICT (hub_id) DO UPDATE SET run_id = EXCLUDED.run_id, locked_at = EXCLUDED.locked_at
       WHERE send_receive_locks.run_id = EXCLUDED.run_id
          OR send_receive_locks.locked_at < now() - make_interval(mins => ${SEND_RECEIVE_LOCK_MINUTES})`,
    [hubId, runId],
  );
  return (rowCount ?? 0) > 0;
}

export async function releaseSendReceiveLock(db: Pool | PoolClient, hubId: string, runId: string): Promise<void> {
  await db.query('DELETE FROM send_receive_locks WHERE hub_id = $1 AND run_id = $2', [hubId, runId]);
}
