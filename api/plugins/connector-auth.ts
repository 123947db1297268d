import { BlockList, isIP } from 'node:net';
import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RuleViolation } from '../../domain/errors';
import type { Pool } from '../../db/pool';
import { findHubById, type Hub } from '../../db/repositories/hubs';
import { bearerToken, hashToken } from './auth';
import { HttpError } from './errors';

export const CONNECTOR_TOKEN_PREFIX = 'fhc_';

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest for `/connector/:participant/...`: a connector token (A7) and the hub's sender allowlist. */
    requireConnector: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
  interface FastifyRequest {
    connector?: {
      tokenId: string;
      scope: 'licence' | 'administration';
      administrationId: string | null;
      /** The hub the token belongs to (possibly deleted: then messages are held, H12). */
      hub: Hub;
    };
  }
}

/** A7: when the hub keeps an allowlist, the sender's address must be on it. */
export function allowed(allowlist: string[], address: string): boolean {
  if (allowlist.length === 0) return true;
  const list = new BlockList();
  for (const entry of allowlist) {
    const [ip, prefix] = entry.split('/');
    const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    if (prefix) list.addSubnet(ip, Number(prefix), family);
    else list.addAddress(ip, family);
  }
  const plain = address.replace(/^::ffff:/, '');
  return list.check(plain, isIP(plain) === 6 ? 'ipv6' : 'ipv4');
}

export default fp(
  async (app, opts: { pool: Pool }) => {
    app.decorateRequest('connector', undefined);
    app.decorate('requireConnector', async (request: FastifyRequest, reply: FastifyReply) => {
      const token = bearerToken(request);
      const { rows } = token
        ? await opts.pool.query<{ id: string; hub_id: string; scope: 'licence' | 'administration'; administration_id: string | null }>(
            'SELECT id, hub_id, scope, administration_id FROM connector_tokens WHERE token_hash = $1 AND revoked_at IS NULL',
            [hashToken(token)],
          )
        : { rows: [] };
      if (rows.length !== 1) {
        reply.header('WWW-Authenticate', 'Bearer realm="filing-hub connector"');
        throw new HttpError(401, 'A7: a valid connector token is required');
      }
      const hub = (await findHubById(opts.pool, rows[0].hub_id))!;
      const participant = (request.params as { participant?: string }).participant;
      if (participant !== hub.participantNumber) throw new HttpError(404, `no hub ${participant} for this token`);
      if (!allowed(hub.connectorAllowlist, request.ip)) {
        throw new RuleViolation('A7', `sender address ${request.ip} is not on the hub's connector allowlist`, 'forbidden');
      }
      request.connector = { tokenId: rows[0].id, scope: rows[0].scope, administrationId: rows[0].administration_id, hub };
    });
  },
  { name: 'connector-auth' },
);
