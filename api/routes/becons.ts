import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Pool } from '../../db/pool';
import { ErrorResponse } from '../schemas/common';
import { addBecon, clientMasterData, listBecons, setClientMasterData, updateBecon } from '../services/certificate-setup';

/**
 * The firm's Becon numbers (each points at a certificate group, C1) and the clients' master data per year: the Becon a
 * client is filed under that year (C4: the most recent year decides which certificate requests its mandates).
 */
const BeconSchema = Type.Object({
  number: Type.String(),
  name: Type.String(),
  groupName: Type.Union([Type.String(), Type.Null()]),
  clients: Type.Integer({ description: 'Clients whose latest master-data year is filed under this Becon.' }),
});

const MasterDataSchema = Type.Object({ year: Type.Integer(), beconNumber: Type.String() });

const beconRoutes: FastifyPluginAsyncTypebox<{ pool: Pool }> = async (app, { pool }) => {
  const guard = { onRequest: app.requireStaff, preHandler: app.requireHub };
  const security = [{ staffToken: [] }];
  const Params = Type.Object({ participant: Type.String() });
  const NumberParams = Type.Object({ participant: Type.String(), number: Type.String() });
  const ClientParams = Type.Object({ participant: Type.String(), organisationId: Type.String({ format: 'uuid' }) });

  app.get(
    '/api/hubs/:participant/becons',
    { ...guard, schema: { tags: ['becons'], summary: 'List Becons with their certificate group (C1)', security, params: Params, response: { 200: Type.Array(BeconSchema) } } },
    async (request) => listBecons(pool, request.hub!.id),
  );

  app.post(
    '/api/hubs/:participant/becons',
    {
      ...guard,
      schema: {
        tags: ['becons'],
        summary: 'Register a Becon number',
        description: "409 (RB) when its group's certificate is held by a runbook, or the runbook's plan changes that group; nothing is stored then.",
        security,
        params: Params,
        body: Type.Object(
          { number: Type.String({ maxLength: 6 }), name: Type.String({ minLength: 1, maxLength: 200 }), groupName: Type.Optional(Type.Union([Type.Null(), Type.String({ minLength: 1 })], { description: 'null: no group (the work certificate).' })) },
          { additionalProperties: false },
        ),
        response: { 201: BeconSchema, 409: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request, reply) => reply.status(201).send(await addBecon(pool, request.hub!, request.body)),
  );

  app.put(
    '/api/hubs/:participant/becons/:number',
    {
      ...guard,
      schema: {
        tags: ['becons'],
        summary: 'Select the certificate group (or none: the work certificate) and name of a Becon (C1)',
        description:
          "409 (RB) when the group changes while a runbook holds the certificate of the Becon's group before or after, or its plan changes this Becon; 409 (RB1) when it would move a client with an open mandate to a certificate of another KvK number (revoke and request again: runbook RB1 or RB5). Nothing changes then.",
        security,
        params: NumberParams,
        body: Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), groupName: Type.Optional(Type.Union([Type.Null(), Type.String({ minLength: 1 })], { description: 'null: no group (the work certificate).' })) }, { additionalProperties: false }),
        response: { 200: BeconSchema, 404: ErrorResponse, 409: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request) => updateBecon(pool, request.hub!, request.params.number, request.body, request.staff?.name),
  );

  app.get(
    '/api/hubs/:participant/clients/:organisationId/master-data',
    {
      ...guard,
      schema: { tags: ['becons'], summary: "A client's master data per year: its Becon (C4)", security, params: ClientParams, response: { 200: Type.Array(MasterDataSchema) } },
    },
    async (request) => clientMasterData(pool, request.hub!, request.params.organisationId),
  );

  app.put(
    '/api/hubs/:participant/clients/:organisationId/master-data/:year',
    {
      ...guard,
      schema: {
        tags: ['becons'],
        summary: "Set the Becon of a client's year (C4: its latest year decides its certificate)",
        security,
        params: Type.Object({ participant: Type.String(), organisationId: Type.String({ format: 'uuid' }), year: Type.Integer({ minimum: 2000, maximum: 2100 }) }),
        body: Type.Object({ beconNumber: Type.String() }, { additionalProperties: false }),
        description:
          "409 (RB) while a runbook's plan touches the client, or a runbook holds the certificate the client has before or after the change; 409 (RB1) when the client has an open mandate and would get a certificate of another KvK number (revoke and request again: runbook RB1 or RB5). Nothing changes then.",
        response: { 200: MasterDataSchema, 404: ErrorResponse, 409: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request) => setClientMasterData(pool, request.hub!, request.params.organisationId, request.params.year, request.body.beconNumber),
  );
};

export default beconRoutes;
