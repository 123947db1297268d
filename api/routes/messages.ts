import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Pool } from '../../db/pool';
import { listMessages, resolveOnbMessage, statusHistory, toMessage } from '../../db/repositories/messages';
import { HttpError } from '../plugins/errors';
import { ErrorResponse, MessageNumber } from '../schemas/common';
import { MessageSchema, StatusEventSchema } from '../schemas/hubs';
import { messageView } from '../services/views';

/**
 * All messages of the hub, incoming included: return messages that matched no sent message are kept as subtype ONB
 * for a person to resolve (H7). Correlated return messages are not separate rows: they update their message (H5).
 */
const messages: FastifyPluginAsyncTypebox<{ pool: Pool }> = async (app, { pool }) => {
  const guard = { onRequest: app.requireStaff, preHandler: app.requireHub };
  const security = [{ staffToken: [] }];

  app.get(
    '/api/hubs/:participant/messages',
    {
      ...guard,
      schema: {
        tags: ['messages'],
        summary: 'List messages (outgoing and incoming, ONB included)',
        security,
        params: Type.Object({ participant: Type.String() }),
        querystring: Type.Object({
          direction: Type.Optional(Type.Union([Type.Literal('outgoing'), Type.Literal('incoming')])),
          subtype: Type.Optional(Type.Literal('ONB')),
          unresolved: Type.Optional(Type.Boolean()),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
        }),
        response: { 200: Type.Array(Type.Composite([MessageSchema, Type.Object({ statuses: Type.Array(StatusEventSchema) })])) },
      },
    },
    async (request) => {
      const rows = await listMessages(pool, request.hub!.id, request.query);
      return Promise.all(rows.map(async (r) => ({ ...messageView(toMessage(r)), statuses: await statusHistory(pool, r.id) })));
    },
  );

  app.post(
    '/api/hubs/:participant/messages/:number/resolve',
    {
      ...guard,
      schema: {
        tags: ['messages'],
        summary: 'Mark an unknown return message (ONB) as resolved by a person (H7)',
        security,
        params: Type.Object({ participant: Type.String(), number: MessageNumber }),
        body: Type.Object({ note: Type.String({ minLength: 1, maxLength: 1000 }) }, { additionalProperties: false }),
        response: { 200: MessageSchema, 404: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (request) => {
      const resolved = await resolveOnbMessage(pool, request.hub!, request.params.number, request.staff?.name ?? 'staff', request.body.note);
      if (!resolved) throw new HttpError(404, 'no unresolved ONB message with that number');
      return messageView(toMessage(resolved));
    },
  );
};

export default messages;
