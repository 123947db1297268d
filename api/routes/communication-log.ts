import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Pool } from '../../db/pool';
import { readLog } from '../../db/repositories/communication-log';
import { MessageNumber } from '../schemas/common';

/** H13: the communication log of a hub: environment, procedure step, level I/F and the full text. */
const communicationLog: FastifyPluginAsyncTypebox<{ pool: Pool }> = async (app, { pool }) => {
  app.get(
    '/api/hubs/:participant/log',
    {
      onRequest: app.requireStaff,
      preHandler: app.requireHub,
      schema: {
        tags: ['log'],
        summary: 'Read the communication log (H13), newest first',
        security: [{ staffToken: [] }],
        params: Type.Object({ participant: Type.String() }),
        querystring: Type.Object({
          messageNumber: Type.Optional(MessageNumber),
          level: Type.Optional(Type.Union([Type.Literal('I'), Type.Literal('F')])),
          before: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Page: entries with a smaller id.' })),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 200 }),
        }),
        response: {
          200: Type.Array(
            Type.Object({
              id: Type.Integer(),
              environment: Type.String(),
              messageNumber: Type.Union([Type.Integer(), Type.Null()]),
              procedureStep: Type.String(),
              level: Type.Union([Type.Literal('I'), Type.Literal('F')]),
              text: Type.String(),
              createdAt: Type.String({ format: 'date-time' }),
            }),
          ),
        },
      },
    },
    async (request) =>
      readLog(pool, request.hub!.id, {
        messageNumber: request.query.messageNumber,
        level: request.query.level,
        beforeId: request.query.before,
        limit: request.query.limit,
      }),
  );
};

export default communicationLog;
