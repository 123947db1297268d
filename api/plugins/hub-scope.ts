import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Pool } from '../../db/pool';
import { findHub, type Hub } from '../../db/repositories/hubs';
import { HttpError } from './errors';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * preHandler for `/api/hubs/:participant/...`: the hub exists, is not deleted, and the staff token may see it.
     * A hub the token may not see answers 404, exactly like an unknown one (no enumeration).
     */
    requireHub: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
  interface FastifyRequest {
    hub?: Hub;
  }
}

export default fp(
  async (app, opts: { pool: Pool }) => {
    app.decorateRequest('hub', undefined);
    app.decorate('requireHub', async (request: FastifyRequest) => {
      const participant = (request.params as { participant?: string }).participant ?? '';
      const hub = /^\d{5}$/.test(participant) ? await findHub(opts.pool, participant) : undefined;
      if (!hub || (request.staff?.hubId && request.staff.hubId !== hub.id)) throw new HttpError(404, `no hub ${participant}`);
      request.hub = hub;
    });
  },
  { name: 'hub-scope', dependencies: ['auth'] },
);
