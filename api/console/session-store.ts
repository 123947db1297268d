import { createHash } from 'node:crypto';
import type * as Fastify from 'fastify';
import type { Pool } from '../../db/pool';
import { deleteStaffSession, loadStaffSession, saveStaffSession } from '../../db/repositories/staff-accounts';

const sidHash = (sessionId: string) => createHash('sha256').update(sessionId, 'utf8').digest();

/**
 * @fastify/session's store, in PostgreSQL: sessions survive an API restart, work across API instances, and signing
 * out or a password change ends them on the server (a stolen cookie stops working). Only the id's hash is stored.
 */
export class PgSessionStore {
  constructor(
    private readonly pool: Pool,
    private readonly maxAgeMs: number,
  ) {}

  set(sessionId: string, session: Fastify.Session, callback: (err?: unknown) => void): void {
    const expires = session.cookie?.expires ? new Date(session.cookie.expires) : new Date(Date.now() + this.maxAgeMs);
    saveStaffSession(this.pool, sidHash(sessionId), (session as { accountId?: string }).accountId ?? null, session, expires).then(() => callback(), callback);
  }

  get(sessionId: string, callback: (err: unknown, result?: Fastify.Session | null) => void): void {
    loadStaffSession(this.pool, sidHash(sessionId)).then((data) => callback(null, (data as Fastify.Session | undefined) ?? null), (err) => callback(err));
  }

  destroy(sessionId: string, callback: (err?: unknown) => void): void {
    deleteStaffSession(this.pool, sidHash(sessionId)).then(() => callback(), callback);
  }
}
