import pg from 'pg';

// Identifiers stay strings; only these types are parsed. NUMERIC (money) stays a string on purpose.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export function createPool(databaseUrl: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max, application_name: 'filing-hub', connectionTimeoutMillis: 10_000 });
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', () => undefined);
  return pool;
}

/** PostgreSQL's answers that mean "try the same transaction again": serialization failure, deadlock. */
export const TRANSIENT_SQLSTATES: ReadonlySet<string> = new Set(['40001', '40P01']);

export function isTransientDatabaseError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && TRANSIENT_SQLSTATES.has(String((err as { code?: unknown }).code));
}

/**
 * Runs `work` in one transaction; rolls back on any error. With `retries`, a serialization failure or deadlock
 * rolls back and runs `work` again from the start (at most that many more times, with a short random pause); `work`
 * must then touch nothing but the database. The last transient error is thrown as it is (the API answers 503).
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>, options: { retries?: number } = {}): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (!isTransientDatabaseError(err) || attempt >= (options.retries ?? 0)) throw err;
    } finally {
      client.release();
    }
    await new Promise((resolve) => setTimeout(resolve, 20 * (attempt + 1) + Math.floor(Math.random() * 30)));
  }
}
