import { createHash, randomBytes } from 'node:crypto';
import '@fastify/cookie';
import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Pool } from '../../db/pool';
import { HttpError } from './errors';

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler for staff routes: a bearer token from `staff_tokens` (stored as a SHA-256 hash). */
    requireStaff: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
    /** A staff bearer token, or an operator's session cookie (signed in at /operator/sign-in). */
    requireStaffOrOperator: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
  interface FastifyRequest {
    /** The staff token's identity; `hubId` limits it to one hub (null: every hub). */
    staff?: { tokenId: string; name: string; hubId: string | null };
  }
}

export const STAFF_TOKEN_PREFIX = 'fhs_';

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Creates a staff token; the plain token is returned once and only its hash is stored. */
export async function createStaffToken(pool: Pool, name: string, hubId: string | null = null): Promise<{ id: string; token: string }> {
  const token = STAFF_TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const { rows } = await pool.query<{ id: string }>(
    'INSERT INTO staff_tokens (name, token_hash, hub_id) VALUES ($1, $2, $3) RETURNING id',
    [name, hashToken(token), hubId],
  );
  return { id: rows[0].id, token };
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]{16,200})$/.exec(header);
  return match?.[1];
}

/** The cookie of an operator's session (Temporal Web UI and codec): HttpOnly, SameSite=Strict, for the whole API. */
export const OPERATOR_COOKIE = 'fh_operator';

/** The staff token behind a valid bearer token, or undefined. */
export async function staffByToken(pool: Pool, token: string): Promise<{ tokenId: string; name: string; hubId: string | null } | undefined> {
  const { rows } = await pool.query<{ id: string; name: string; hub_id: string | null }>(
    'SELECT id, name, hub_id FROM staff_tokens WHERE token_hash = $1 AND revoked_at IS NULL',
    [hashToken(token)],
  );
  return rows[0] ? { tokenId: rows[0].id, name: rows[0].name, hubId: rows[0].hub_id } : undefined;
}

/** The staff token behind an operator session cookie that is open, unexpired, and whose token is not revoked. */
export async function staffBySession(pool: Pool, session: string): Promise<{ tokenId: string; name: string; hubId: string | null } | undefined> {
  const { rows } = await pool.query<{ id: string; name: string; hub_id: string | null }>(
    `SELECT t.id, t.name, t.hub_id FROM operator_sessions s JOIN staff_tokens t ON t.id = s.staff_token_id
      WHERE s.token_hash = $1 AND s.ended_at IS NULL AND s.expires_at > now() AND t.revoked_at IS NULL`,
    [hashToken(session)],
  );
  return rows[0] ? { tokenId: rows[0].id, name: rows[0].name, hubId: rows[0].hub_id } : undefined;
}

export function operatorSessionOf(request: FastifyRequest): string | undefined {
  const value = request.cookies?.[OPERATOR_COOKIE];
  return value && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
}

export default fp(
  async (app, opts: { pool: Pool }) => {
    app.decorateRequest('staff', undefined);
    const refuse = (reply: FastifyReply): never => {
      reply.header('WWW-Authenticate', 'Bearer realm="filing-hub"');
      throw new HttpError(401, 'a valid staff bearer token is required');
    };
    app.decorate('requireStaff', async (request: FastifyRequest, reply: FastifyReply) => {
      const token = bearerToken(request);
      const staff = token ? await staffByToken(opts.pool, token) : undefined;
      if (!staff) return refuse(reply);
      request.staff = staff;
    });
    app.decorate('requireStaffOrOperator', async (request: FastifyRequest, reply: FastifyReply) => {
      const token = bearerToken(request);
      const session = operatorSessionOf(request);
      const staff = token ? await staffByToken(opts.pool, token) : session ? await staffBySession(opts.pool, session) : undefined;
      if (!staff) return refuse(reply);
      request.staff = staff;
    });
  },
  { name: 'auth', dependencies: ['@fastify/cookie'] },
);
