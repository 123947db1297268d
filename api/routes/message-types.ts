import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isFilingKind } from '../../domain/filings';
import { messageTypesOf, setMessageType } from '../../db/repositories/hub-settings';
import type { Pool } from '../../db/pool';
import { HttpError } from '../plugins/errors';
import { ErrorResponse } from '../schemas/common';
import { HubParams } from '../schemas/hubs';

/** Message types per hub: blocked or unblocked, and linked to an approval workflow (A4). */

const messageTypes: FastifyPluginAsyncTypebox<{ pool: Pool }> = async (app, { pool }) => {
  const guard = { onRequest: app.requireStaff, preHandler: app.requireHub };
  const security = [{ staffToken: [] }];

  // Message types (A4)
  const MessageTypeSchema = Type.Object({
    kind: Type.String(),
    berichtsoort: Type.String(),
    label: Type.String(),
    blocked: Type.Boolean(),
    approvalWorkflow: Type.Union([Type.Literal('none'), Type.Literal('portal')]),
  });
  const messageTypes = (hubId: string) => messageTypesOf(pool, hubId);
  app.get(
    '/api/hubs/:participant/message-types',
    { ...guard, schema: { tags: ['message types'], summary: 'Message types and whether they are blocked (A4)', security, params: HubParams, response: { 200: Type.Array(MessageTypeSchema) } } },
    async (request) => messageTypes(request.hub!.id),
  );
  app.put(
    '/api/hubs/:participant/message-types/:kind',
    {
      ...guard,
      schema: {
        tags: ['message types'],
        summary: 'Block or unblock a message type, and link its approval workflow (A4)',
        security,
        params: Type.Object({ participant: Type.String(), kind: Type.String() }),
        body: Type.Object({ blocked: Type.Boolean(), approvalWorkflow: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('portal')])) }, { additionalProperties: false }),
        response: { 200: MessageTypeSchema, 404: ErrorResponse },
      },
    },
    async (request) => {
      const { kind } = request.params;
      if (!isFilingKind(kind)) throw new HttpError(404, `no message type ${kind}`);
      await setMessageType(pool, request.hub!.id, kind, request.body.blocked, request.body.approvalWorkflow);
      return (await messageTypes(request.hub!.id)).find((t) => t.kind === kind)!;
    },
  );
};

export default messageTypes;
