import path from 'node:path';
import pg from 'pg';
import { readEnv } from '../config/env';
import { createLogger } from '../lib/logger';

export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

/** Creates the database named in `databaseUrl` when it does not exist yet. */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) throw new Error('DATABASE_URL must name a database');
  const maintenance = new URL(databaseUrl);
  maintenance.pathname = '/postgres';
  const client = new pg.Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    } catch (err) {
      // Another process created it between the check and the create.
      if ((err as { code?: string }).code !== '42P04') throw err;
      return false;
    }
    return true;
  } finally {
    await client.end();
  }
}

export async function dropDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/**
 * Applies the numbered plain-SQL migrations in db/migrations with node-pg-migrate, which holds a PostgreSQL advisory
 * lock while it runs, so concurrent starts (several workers, API) do not race.
 */
export async function migrate(
  databaseUrl: string,
  log: (msg: string) => void = () => undefined,
  { dir = MIGRATIONS_DIR, migrationsTable = 'schema_migrations' }: { dir?: string; migrationsTable?: string } = {},
): Promise<string[]> {
  // node-pg-migrate 9 is an ES module; a dynamic import keeps this file CommonJS.
  const { runner } = await import('node-pg-migrate');
  const applied = await runner({
    databaseUrl,
    dir,
    direction: 'up',
    migrationsTable,
    checkOrder: true,
    singleTransaction: true,
    log,
    logger: { debug: () => undefined, info: log, warn: log, error: log },
  });
  return applied.map((m) => m.name);
}

async function main(): Promise<void> {
  const logger = createLogger('migrate', readEnv('LOG_LEVEL'));
  const databaseUrl = readEnv('DATABASE_URL');
  if (!databaseUrl) throw new Error('DATABASE_URL must be set');
  if (await ensureDatabase(databaseUrl)) logger.info('database created');
  const applied = await migrate(databaseUrl);
  logger.info({ applied }, applied.length ? 'migrations applied' : 'database is up to date');
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
