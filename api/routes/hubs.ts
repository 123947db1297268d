import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Client } from '@temporalio/client';
import { FILING_KIND_NAMES } from '../../domain/filings';
import { participantNumberFromEnvironmentCode } from '../../domain/identifiers';
import { inTransaction, type Pool } from '../../db/pool';
import { writeLog } from '../../db/repositories/communication-log';
import { listHubs, toHub, type Hub } from '../../db/repositories/hubs';
import { HttpError } from '../plugins/errors';
import { ErrorResponse } from '../schemas/common';
import { HubParams, HubSchema } from '../schemas/hubs';
import { changeHub } from '../services/hub-settings';
import { deleteHubSchedules, ensureSendReceiveWorkflow } from '../services/schedules';

const view = (hub: Hub) => ({
  id: hub.id,
  environmentCode: hub.environmentCode,
  participantNumber: hub.participantNumber,
  name: hub.name,
  sendReceiveIntervalSeconds: hub.sendReceiveIntervalSeconds,
  connectorAllowlist: hub.connectorAllowlist,
  certificateMode: hub.certificateMode,
  portalEnabled: hub.portalEnabled,
  accountantEmail: hub.accountantEmail,
  createdAt: hub.createdAt,
});

const AllowEntry = Type.String({ pattern: '^[0-9a-fA-F.:]+(/[0-9]{1,3})?$', description: 'An IP address or CIDR block (A7).' });

const hubs: FastifyPluginAsyncTypebox<{ pool: Pool; temporal: Client; taskQueue: string }> = async (app, { pool, temporal, taskQueue }) => {
  app.post(
    '/api/hubs',
    {
      onRequest: app.requireStaff,
      schema: {
        tags: ['hubs'],
        summary: 'Create a hub',
        description: 'The participant number comes from the environment code (A8: O12345AA → 12345). Starts its send/receive schedule.',
        security: [{ staffToken: [] }],
        body: Type.Object(
          {
            environmentCode: Type.String({ maxLength: 8 }),
            name: Type.String({ minLength: 1, maxLength: 200 }),
            sendReceiveIntervalSeconds: Type.Optional(Type.Integer({ minimum: 5, maximum: 86400 })),
            connectorAllowlist: Type.Optional(Type.Array(AllowEntry, { maxItems: 100 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: HubSchema, 401: ErrorResponse, 403: ErrorResponse, 409: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request, reply) => {
      if (request.staff?.hubId) throw new HttpError(403, 'a token limited to one hub cannot create hubs');
      const participant = participantNumberFromEnvironmentCode(request.body.environmentCode);
      const hub = await inTransaction(pool, async (client) => {
        const existing = await client.query('SELECT 1 FROM hubs WHERE participant_number = $1', [participant]);
        if (existing.rowCount) throw new HttpError(409, `a hub with participant number ${participant} exists`);
        const { rows } = await client.query(
          `INSERT INTO hubs (environment_code, participant_number, name, send_receive_interval_seconds, connector_allowlist)
           VALUES ($1, $2, $3, $4, $5) RETURNING *`,
          [request.body.environmentCode, participant, request.body.name, request.body.sendReceiveIntervalSeconds ?? 60, request.body.connectorAllowlist ?? []],
        );
        for (const kind of FILING_KIND_NAMES) {
          await client.query('INSERT INTO message_types (hub_id, kind) VALUES ($1, $2)', [rows[0].id, kind]);
        }
        const created = toHub(rows[0]);
        await writeLog(client, { hubId: created.id, environment: created.environmentCode, step: 'send-receive', level: 'I', text: `hub ${participant} created by ${request.staff?.name}` });
        return created;
      });
      await ensureSendReceiveWorkflow(temporal, taskQueue, hub);
      return reply.status(201).header('Location', `/api/hubs/${participant}`).send(view(hub));
    },
  );

  app.get(
    '/api/hubs',
    {
      onRequest: app.requireStaff,
      schema: { tags: ['hubs'], summary: 'List hubs', security: [{ staffToken: [] }], response: { 200: Type.Array(HubSchema) } },
    },
    async (request) => (await listHubs(pool)).filter((h) => !request.staff?.hubId || h.id === request.staff.hubId).map(view),
  );

  app.get(
    '/api/hubs/:participant',
    {
      onRequest: app.requireStaff,
      preHandler: app.requireHub,
      schema: { tags: ['hubs'], summary: 'Read a hub', security: [{ staffToken: [] }], params: HubParams, response: { 200: HubSchema, 404: ErrorResponse } },
    },
    async (request) => view(request.hub!),
  );

  app.patch(
    '/api/hubs/:participant',
    {
      onRequest: app.requireStaff,
      preHandler: app.requireHub,
      schema: {
        tags: ['hubs'],
        summary: 'Change a hub',
        description: 'Name, send/receive interval (the schedule follows) and the connector allowlist (A7).',
        security: [{ staffToken: [] }],
        params: HubParams,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            sendReceiveIntervalSeconds: Type.Optional(Type.Integer({ minimum: 5, maximum: 86400 })),
            connectorAllowlist: Type.Optional(Type.Array(AllowEntry, { maxItems: 100 })),
            certificateMode: Type.Optional(Type.Union([Type.Literal('own'), Type.Literal('service-provider')], { description: 'C5: own certificate(s) or a service provider\'s.' })),
            portalEnabled: Type.Optional(Type.Boolean({ description: 'A3: only with the hub\'s own certificate.' })),
            accountantEmail: Type.Optional(Type.Union([Type.String({ format: 'email', maxLength: 320 }), Type.Null()])),
          },
          { additionalProperties: false },
        ),
        response: { 200: HubSchema, 404: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (request) => view(await changeHub({ pool, temporal, taskQueue }, request.hub!, request.body)),
  );

  app.delete(
    '/api/hubs/:participant',
    {
      onRequest: app.requireStaff,
      preHandler: app.requireHub,
      schema: {
        tags: ['hubs'],
        summary: 'Remove a hub',
        description:
          'The hub is marked deleted and its schedule stops. Messages of its administrations that were not sent are held as "needs action" (H12): a person routes them to another hub, or lets the system resolve them.',
        security: [{ staffToken: [] }],
        params: HubParams,
        response: { 200: Type.Object({ held: Type.Integer() }), 404: ErrorResponse },
      },
    },
    async (request) => {
      const hub = request.hub!;
      const held = await inTransaction(pool, async (client) => {
        await client.query('UPDATE hubs SET deleted_at = now() WHERE id = $1', [hub.id]);
        const { rowCount } = await client.query(
          `UPDATE messages SET delivery_state = 'held', needs_action_reason = $2
            WHERE hub_id = $1 AND direction = 'outgoing' AND delivery_state = 'ready'`,
          [hub.id, `H12: hub ${hub.participantNumber} was removed before this message was sent`],
        );
        await writeLog(client, { hubId: hub.id, environment: hub.environmentCode, step: 'route message', level: 'I', text: `hub removed by ${request.staff?.name}; ${rowCount} unsent messages held as needs action (H12)` });
        return rowCount ?? 0;
      });
      await deleteHubSchedules(temporal, hub.participantNumber);
      return { held };
    },
  );
};

export default hubs;
