import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { RuleViolation } from '../../domain/errors';
import { findKind } from '../../domain/kinds';
import { findHub, findHubById } from '../../db/repositories/hubs';
import { needsActionMessages, toMessage, type MessageRow } from '../../db/repositories/messages';
import { HttpError } from '../plugins/errors';
import { ErrorResponse } from '../schemas/common';
import { MessageSchema } from '../schemas/hubs';
import { routeHeldMessage, type FilingServiceDeps } from '../services/filings';
import { messageView } from '../services/views';

/**
 * H12: messages of administrations whose hub cannot be found wait here as "needs action". A person routes one to a
 * hub, or lets the system resolve it (the one hub that has an organisation with the filing's identifier). Messages
 * that were handled correctly cannot be re-routed.
 */
const needsAction: FastifyPluginAsyncTypebox<{ deps: FilingServiceDeps }> = async (app, { deps }) => {
  const { pool } = deps;
  const security = [{ staffToken: [] }];

  /** A held message the token may see: every one for an unlimited token, else those of its hub's administrations. */
  async function held(id: string, hubId: string | null): Promise<MessageRow> {
    const { rows } = await pool.query<MessageRow>(
      `SELECT m.* FROM messages m LEFT JOIN administrations a ON a.id = m.administration_id
        WHERE m.id = $1 AND m.delivery_state = 'held' AND ($2::uuid IS NULL OR a.hub_id = $2)`,
      [id, hubId],
    );
    if (!rows[0]) throw new HttpError(404, 'no held message with that id');
    return rows[0];
  }

  app.get(
    '/api/needs-action',
    {
      onRequest: app.requireStaff,
      schema: {
        tags: ['needs action'],
        summary: 'Messages that wait for a person',
        description:
          'Held messages (H12: their hub is gone; route them) and filings whose submission reconcile could not settle ' +
          '(deliveryState needs_human: adopt a process or allow a resend with POST .../filings/{number}/resolve). ' +
          '`needsActionReason` says why.',
        security,
        response: { 200: Type.Array(MessageSchema) },
      },
    },
    async (request) => {
      const rows = await needsActionMessages(pool, request.staff?.hubId ?? null);
      return rows.map((r) => messageView(toMessage(r)));
    },
  );

  app.post(
    '/api/needs-action/:id/route',
    {
      onRequest: app.requireStaff,
      schema: {
        tags: ['needs action'],
        summary: 'Route a held message to a hub (H12)',
        security,
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        body: Type.Object({ participant: Type.String({ pattern: '^[0-9]{5}$' }) }, { additionalProperties: false }),
        response: { 202: MessageSchema, 404: ErrorResponse, 409: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request, reply) => {
      const staffHub = request.staff?.hubId ?? null;
      await held(request.params.id, staffHub);
      const target = await findHub(pool, request.body.participant);
      if (!target || (staffHub && staffHub !== target.id)) throw new HttpError(404, `no hub ${request.body.participant}`);
      const routed = await routeHeldMessage(deps, request.params.id, target, `staff ${request.staff?.name}`);
      return reply.status(202).send(messageView(routed));
    },
  );

  app.post(
    '/api/needs-action/:id/resolve-automatically',
    {
      onRequest: app.requireStaff,
      schema: {
        tags: ['needs action'],
        summary: 'Let the system route a held message (H12)',
        description: 'Routes it to the one hub that has an organisation with the filing\'s OB or KvK number; refuses when there is none or more than one.',
        security,
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 202: MessageSchema, 404: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (request, reply) => {
      const message = await held(request.params.id, request.staff?.hubId ?? null);
      const identifier = findKind(message.kind)?.identifier.column ?? 'ob_number';
      const { rows } = await pool.query<{ hub_id: string }>(
        `SELECT DISTINCT o.hub_id FROM organisations o JOIN hubs h ON h.id = o.hub_id WHERE h.deleted_at IS NULL AND o.${identifier} = $1`,
        [message.identity_number],
      );
      if (rows.length !== 1) {
        throw new RuleViolation('H12', `${rows.length === 0 ? 'no hub has' : `${rows.length} hubs have`} an organisation with ${message.identity_number}; route it by hand`, 'conflict');
      }
      const target = (await findHubById(pool, rows[0].hub_id))!;
      const routed = await routeHeldMessage(deps, message.id, target, `automatic resolution requested by ${request.staff?.name}`);
      return reply.status(202).send(messageView(routed));
    },
  );
};

export default needsAction;
