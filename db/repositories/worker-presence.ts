import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Pool } from '../pool';

/** How often a worker says it is alive, and after how long without a word it counts as gone. */
export const PRESENCE_INTERVAL_MS = 2_000;
export const PRESENCE_TIMEOUT_MS = 6_000;

/**
 * A worker process's presence (migration 0006): written every 2 s while it runs, removed when it stops. A
 * write that fails (database briefly away) is tried again at the next tick; rows of workers gone for a day are
 * cleared by any live one.
 */
export function announcePresence(pool: Pool, taskQueue: string): { id: string; stop(): Promise<void> } {
  const id = randomUUID();
  const beat = () =>
    pool
      .query(
        `INSERT INTO worker_presence (id, task_queue, host, pid) VALUES ($1, $2, $3, $4)
           ON CONFLICT (id) DO UPDATE SET seen_at = now()`,
        [id, taskQueue, os.hostname(), process.pid],
      )
      .then(() => pool.query(`DELETE FROM worker_presence WHERE seen_at < now() - interval '1 day'`))
      .catch(() => undefined);
  void beat();
  const timer = setInterval(() => void beat(), PRESENCE_INTERVAL_MS);
  return {
    id,
    async stop() {
      clearInterval(timer);
      await pool.query('DELETE FROM worker_presence WHERE id = $1', [id]).catch(() => undefined);
    },
  };
}

/** How many workers of the task queue said they were alive within the timeout. */
export async function liveWorkers(pool: Pool, taskQueue: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM worker_presence WHERE task_queue = $1 AND seen_at > now() - make_interval(secs => $2)`,
    [taskQueue, PRESENCE_TIMEOUT_MS / 1000],
  );
  return rows[0].n;
}

/** A worker known to be dead (its supervisor saw it die): it is missing at once, not after the timeout. */
export async function forgetWorker(pool: Pool, pid: number, host = os.hostname()): Promise<void> {
  await pool.query('DELETE FROM worker_presence WHERE pid = $1 AND host = $2', [pid, host]);
}
