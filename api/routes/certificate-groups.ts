import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Pool } from '../../db/pool';
import { ErrorResponse } from '../schemas/common';
import { addCertificateGroup, certificateGroups, removeCertificateGroup, setGroupCertificate } from '../services/certificate-setup';

/**
 * C1, C2: certificate groups. A group holds one certificate; a Becon points at a group. The work certificate is never
 * in a group ("Invalid certificate specified", C2). Groups need the multi-certificate feature switched on.
 */
const GroupSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  certificateId: Type.Union([Type.String(), Type.Null()]),
  certificateLabel: Type.Union([Type.String(), Type.Null()]),
  becons: Type.Array(Type.String(), { description: 'Becon numbers that point at this group.' }),
});

const certificateGroupRoutes: FastifyPluginAsyncTypebox<{ pool: Pool }> = async (app, { pool }) => {
  const guard = { onRequest: app.requireStaff, preHandler: app.requireHub };
  const security = [{ staffToken: [] }];
  const Params = Type.Object({ participant: Type.String() });
  const IdParams = Type.Object({ participant: Type.String(), id: Type.String({ format: 'uuid' }) });

  app.get(
    '/api/hubs/:participant/certificate-groups',
    { ...guard, schema: { tags: ['certificates'], summary: 'List certificate groups (C1)', security, params: Params, response: { 200: Type.Array(GroupSchema) } } },
    async (request) => certificateGroups(pool, request.hub!.id),
  );

  app.post(
    '/api/hubs/:participant/certificate-groups',
    {
      ...guard,
      schema: {
        tags: ['certificates'],
        summary: 'Add a certificate group (C1), optionally with its certificate',
        description:
          'Refused with C2 ("Invalid certificate specified") for the work certificate, with C1 while several certificates is off, with C7 for an expired certificate, and (409, RB) while a runbook holds the certificate.',
        security,
        params: Params,
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }), certificateId: Type.Optional(Type.String({ format: 'uuid' })) }, { additionalProperties: false }),
        response: { 201: GroupSchema, 409: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request, reply) => reply.status(201).send(await addCertificateGroup(pool, request.hub!, request.body, request.staff?.name)),
  );

  app.put(
    '/api/hubs/:participant/certificate-groups/:id/certificate',
    {
      ...guard,
      schema: {
        tags: ['certificates'],
        summary: "Set (or empty) a group's certificate (C1, C2)",
        description:
          'Putting the work certificate in a group is refused with C2 "Invalid certificate specified", an expired certificate with C7, (409, RB) a change while a runbook holds the group\'s certificate or the new one or its plan uses the group, and (409, RB1) a change that would move a client with an open mandate to a certificate of another KvK number (revoke and request again: runbook RB1 or RB5); nothing changes.',
        security,
        params: IdParams,
        body: Type.Object({ certificateId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]) }, { additionalProperties: false }),
        response: { 200: GroupSchema, 404: ErrorResponse, 409: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request) => setGroupCertificate(pool, request.hub!, request.params.id, request.body.certificateId, request.staff?.name),
  );

  app.delete(
    '/api/hubs/:participant/certificate-groups/:id',
    {
      ...guard,
      schema: {
        tags: ['certificates'],
        summary: 'Remove a certificate group no Becon points at (C1)',
        description: '409 (RB) while a runbook holds its certificate or its plan uses the group; nothing changes then.',
        security,
        params: IdParams,
        response: { 204: Type.Null(), 404: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (request, reply) => {
      await removeCertificateGroup(pool, request.hub!, request.params.id, request.staff?.name);
      return reply.status(204).send(null);
    },
  );
};

export default certificateGroupRoutes;
