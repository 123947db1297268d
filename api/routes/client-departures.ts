import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorResponse } from '../schemas/common';
import { readClientDeparture, startClientDeparture } from '../services/client-departures';
import type { MandateServiceDeps } from '../services/mandates';

/**
 * Departing clients (C6, seed 000 "SBA-machtigingen van vertrekkende cliënten"): one durable workflow per client
 * ends its portal access and revokes every one of its mandates, waiting for each; its progress and outcome are read
 * here.
 */
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const DepartureSchema = Type.Object({
  id: Type.String(),
  organisationId: Type.String(),
  workflowId: Type.String(),
  requestedBy: Type.String(),
  phase: Type.String({ description: 'starting, ending-portal-access, revoking-mandates, completed or incomplete (a revocation failed: ask again to retry).' }),
  mandates: Type.Object({
    total: Type.Integer(),
    settled: Type.Integer(),
    ids: Type.Array(Type.String()),
  }),
  portalAccess: Nullable(Type.Object({ linksRevoked: Type.Integer(), sessionsRevoked: Type.Integer() })),
  outcome: Nullable(
    Type.Object({
      summary: Type.String(),
      mandates: Type.Array(
        Type.Object({ mandateId: Type.String(), service: Type.String(), year: Type.Integer(), state: Type.String(), reason: Nullable(Type.String()) }),
      ),
    }),
  ),
  reason: Nullable(Type.String()),
  runs: Type.Integer(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  finishedAt: Nullable(Type.String()),
});

const clientDepartures: FastifyPluginAsyncTypebox<{ deps: MandateServiceDeps }> = async (app, { deps }) => {
  const guard = { onRequest: app.requireStaff, preHandler: app.requireHub };
  const security = [{ staffToken: [] }];
  const Params = Type.Object({ participant: Type.String(), organisationId: Type.String({ format: 'uuid' }) });

  app.post(
    '/api/hubs/:participant/organisations/:organisationId/departure',
    {
      ...guard,
      schema: {
        tags: ['mandates'],
        summary: 'A client departs: end its portal access and revoke all its mandates (C6)',
        description:
          '202 with the departure whose workflow runs now; 200 with the one there is when the client is already departing or departed (one per client). An incomplete departure (a revocation failed) runs again. From now on the client gets no new mandate request and no new portal link (409 C6).',
        security,
        params: Params,
        response: { 200: DepartureSchema, 202: DepartureSchema, 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      const { departure, started } = await startClientDeparture(deps, request.hub!, request.params.organisationId, `staff ${request.staff!.name}`);
      return reply
        .status(started ? 202 : 200)
        .header('Location', `/api/hubs/${request.hub!.participantNumber}/organisations/${request.params.organisationId}/departure`)
        .send(departure);
    },
  );

  app.get(
    '/api/hubs/:participant/organisations/:organisationId/departure',
    {
      ...guard,
      schema: { tags: ['mandates'], summary: "A client's departure: progress and outcome (C6)", security, params: Params, response: { 200: DepartureSchema, 404: ErrorResponse } },
    },
    async (request) => readClientDeparture(deps, request.hub!, request.params.organisationId),
  );
};

export default clientDepartures;
