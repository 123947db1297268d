import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import type { Pool } from '../../db/pool';
import { bearerToken, hashToken } from './auth';
import { CONNECTOR_TOKEN_PREFIX } from './connector-auth';

export interface RateLimitOptions {
  pool: Pool;
  /** Requests per minute per client address (API_RATE_LIMIT_PER_MINUTE). */
  perAddressPerMinute: number;
  /** Requests per minute per connector token, whatever its address (CONNECTOR_RATE_LIMIT_PER_MINUTE). */
  perConnectorTokenPerMinute: number;
}

/** Token hashes seen, with the id of their token (null: no such token). Bounded: cleared when full. */
const MAX_REMEMBERED = 10_000;

/**
 * The API's rate limit: a request that carries a connector token counts against that token (keyed by the token's id,
 * never the token or its hash), any other against its client address. An unknown connector token counts against the
 * address. A route may set a stricter limit of its own (`config.rateLimit`, e.g. sign-in); over the limit: 429 with
 * Retry-After.
 */
export default fp(
  async (app, opts: RateLimitOptions) => {
    const ids = new Map<string, string | null>();
    const tokenIdOf = async (token: string): Promise<string | null> => {
      const hash = hashToken(token);
      const cacheKey = hash.toString('base64');
      const known = ids.get(cacheKey);
      if (known !== undefined) return known;
      const { rows } = await opts.pool.query<{ id: string }>('SELECT id FROM connector_tokens WHERE token_hash = $1', [hash]);
      if (ids.size >= MAX_REMEMBERED) ids.clear();
      const id = rows[0]?.id ?? null;
      ids.set(cacheKey, id);
      return id;
    };
    await app.register(rateLimit, {
      timeWindow: '1 minute',
      keyGenerator: async (request: FastifyRequest) => {
        const token = bearerToken(request);
        if (token?.startsWith(CONNECTOR_TOKEN_PREFIX)) {
          const id = await tokenIdOf(token).catch(() => null);
          if (id) return `connector-token:${id}`;
        }
        return `address:${request.ip}`;
      },
      max: (_request: FastifyRequest, key: string) =>
        key.startsWith('connector-token:') ? opts.perConnectorTokenPerMinute : opts.perAddressPerMinute,
    });
  },
  { name: 'rate-limits' },
);
