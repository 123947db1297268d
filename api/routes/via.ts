import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorResponse } from '../schemas/common';
import { checkViaRetrieval, listViaRetrievals, loadViaRetrieval, readViaData, startViaRetrieval, type ViaServiceDeps } from '../services/via';

/**
 * VIA retrieval (seed 000, C4, C6): fetch a client's pre-filled income-tax data of a year under its ACTIVE VIA
 * mandate, signed with the certificate of the client's Becon in its latest year; read what was stored. One
 * `viaRetrieval` workflow per retrieval sends the request and waits for the tax authority's answer. The message format
 * is provisional (integrations/via/format.ts).
 */
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

const RetrievalSchema = Type.Object({
  id: Type.String(),
  organisationId: Type.String(),
  year: Type.Integer(),
  sequence: Type.Integer(),
  state: Type.String({ description: 'requested, submitted, retrieved, refused or failed.' }),
  mandateId: Nullable(Type.String({ description: 'The VIA mandate it went under (null once that settled mandate was deleted).' })),
  certificateId: Type.String({ description: "C4: the certificate of the client's Becon in its latest year." }),
  beconNumber: Nullable(Type.String()),
  workflowId: Type.String(),
  requestedBy: Type.String(),
  attempts: Type.Integer({ description: 'Attempts to send the request (Digipoort unreachable or unclear: the next one follows).' }),
  aanleverkenmerk: Nullable(Type.String()),
  kenmerk: Nullable(Type.String()),
  refusalCode: Nullable(Type.String({ description: "refused: the tax authority's code, e.g. GEEN_MACHTIGING (no active mandate in its register)." })),
  reason: Nullable(Type.String()),
  checkProblem: Nullable(Type.String({ description: 'Why the last look for the answer could not be made (it is asked again).' })),
  dataVersion: Type.Union([Type.Integer(), Type.Null()], { description: 'retrieved: the version of the client\'s data of the year it stored.' }),
  createdAt: Type.String(),
  submittedAt: Nullable(Type.String()),
  finishedAt: Nullable(Type.String()),
});

const Amount = Type.Integer({ description: 'Whole euros.' });
const ViaDataSchema = Type.Object({
  employers: Type.Array(Type.Object({ name: Type.String(), payrollTaxNumber: Type.String(), taxableWages: Amount, payrollTaxWithheld: Amount })),
  bankAccounts: Type.Array(Type.Object({ iban: Type.String(), balanceJanuary1: Amount })),
  home: Type.Union([
    Type.Object({
      wozValue: Amount,
      wozReferenceDate: Type.String(),
      mortgages: Type.Array(Type.Object({ lender: Type.String(), interestPaid: Amount, debtDecember31: Amount })),
    }),
    Type.Null(),
  ]),
});

const VersionSchema = Type.Object({ version: Type.Integer(), retrievalId: Type.String(), fetchedAt: Type.String(), answeredAt: Type.String() });

const StoredSchema = Type.Object({
  organisationId: Type.String(),
  year: Type.Integer(),
  version: Type.Integer(),
  retrievalId: Type.String(),
  answeredAt: Type.String({ description: "The tax authority's time of the answer." }),
  fetchedAt: Type.String({ description: 'When the hub stored it.' }),
  data: ViaDataSchema,
  versions: Type.Array(VersionSchema, { description: 'Every stored version of this client and year, newest first.' }),
});

const via: FastifyPluginAsyncTypebox<{ deps: ViaServiceDeps }> = async (app, { deps }) => {
  const guard = { onRequest: app.requireStaff, preHandler: app.requireHub };
  const security = [{ staffToken: [] }];
  const ClientParams = Type.Object({ participant: Type.String(), organisationId: Type.String({ format: 'uuid' }) });
  const RetrievalParams = Type.Object({ participant: Type.String(), organisationId: Type.String({ format: 'uuid' }), id: Type.String({ format: 'uuid' }) });
  const YearParams = Type.Object({ participant: Type.String(), organisationId: Type.String({ format: 'uuid' }), year: Type.Integer({ minimum: 2000, maximum: 2100 }) });
  const Year = Type.Integer({ minimum: 2000, maximum: 2100 });

  app.post(
    '/api/hubs/:participant/clients/:organisationId/via-retrievals',
    {
      ...guard,
      schema: {
        tags: ['via'],
        summary: "Fetch a client's pre-filled income-tax data (VIA) of a year",
        description:
          "202 with the retrieval; its workflow sends the request signed with the certificate of the client's Becon in its latest year (C4) and stores the answer (GET .../via/{year}). `year` defaults to the client's most recent master-data year (C4). Refused before anything is stored or sent: 409 C6 without an ACTIVE VIA mandate covering the year (or while a retrieval of the client and year runs), 409 C4 when the mandate was registered for another KvK number than the certificate's (revoke and re-request, RB1), 409 C7 for an expired certificate, 422 C4 without a year and without master data.",
        security,
        params: ClientParams,
        body: Type.Object({ year: Type.Optional(Year) }, { additionalProperties: false }),
        response: { 202: RetrievalSchema, 404: ErrorResponse, 409: ErrorResponse, 422: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request, reply) => {
      const hub = request.hub!;
      const created = await startViaRetrieval(deps, hub, { organisationId: request.params.organisationId, year: request.body?.year }, `staff ${request.staff?.name ?? 'unknown'}`);
      return reply.status(202).header('Location', `/api/hubs/${hub.participantNumber}/clients/${created.organisationId}/via-retrievals/${created.id}`).send(created);
    },
  );

  app.get(
    '/api/hubs/:participant/clients/:organisationId/via-retrievals',
    {
      ...guard,
      schema: {
        tags: ['via'],
        summary: "List a client's VIA retrievals, newest first",
        security,
        params: ClientParams,
        querystring: Type.Object({ year: Type.Optional(Year) }),
        response: { 200: Type.Array(RetrievalSchema) },
      },
    },
    async (request) => listViaRetrievals(deps, request.hub!, request.params.organisationId, request.query.year),
  );

  app.get(
    '/api/hubs/:participant/clients/:organisationId/via-retrievals/:id',
    { ...guard, schema: { tags: ['via'], summary: 'Read a VIA retrieval', security, params: RetrievalParams, response: { 200: RetrievalSchema, 404: ErrorResponse } } },
    async (request) => loadViaRetrieval(deps, request.hub!, request.params.organisationId, request.params.id),
  );

  app.post(
    '/api/hubs/:participant/clients/:organisationId/via-retrievals/:id/check',
    {
      ...guard,
      schema: {
        tags: ['via'],
        summary: 'Make sure a running retrieval has its workflow',
        description: '202: a retrieval that is still requested or submitted gets its workflow started again when it is gone (e.g. after a crash between storing and starting).',
        security,
        params: RetrievalParams,
        response: { 202: RetrievalSchema, 404: ErrorResponse },
      },
    },
    async (request, reply) => reply.status(202).send(await checkViaRetrieval(deps, request.hub!, request.params.organisationId, request.params.id)),
  );

  app.get(
    '/api/hubs/:participant/clients/:organisationId/via/:year',
    {
      ...guard,
      schema: {
        tags: ['via'],
        summary: "Read a client's stored VIA data of a year",
        description: 'The latest version unless `version` names another; every retrieval that succeeded stored the next version (`versions`, with when each was fetched). 404 when none is stored.',
        security,
        params: YearParams,
        querystring: Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })) }),
        response: { 200: StoredSchema, 404: ErrorResponse },
      },
    },
    async (request) => readViaData(deps, request.hub!, request.params.organisationId, request.params.year, request.query.version),
  );
};

export default via;
