import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { listMandates, mandateView, messagesOf, type MandateRow } from '../../db/repositories/mandates';
import { ErrorResponse } from '../schemas/common';
import {
  activateMandate,
  checkMandate,
  deleteMandate,
  loadMandate,
  previewMandateRequest,
  requestMandate,
  requestMandates,
  resolveMandate,
  revokeMandate,
  revokeMandates,
  type MandateServiceDeps,
} from '../services/mandates';

/**
 * SBA and VIA mandates (C6): request one or many (a dry run shows the certificate and the name on the client's letter
 * first, C3), check the state, activate a VIA mandate with the code from the letter, revoke. One `mandate` workflow
 * per mandate sends and follows it.
 */
const MessageSchema = Type.Object({
  purpose: Type.String(),
  berichtsoort: Type.String(),
  deliveryState: Type.String(),
  aanleverkenmerk: Type.Union([Type.String(), Type.Null()]),
  kenmerk: Type.Union([Type.String(), Type.Null()]),
  certificateId: Type.String(),
  outcome: Type.Union([Type.String(), Type.Null()]),
  outcomeReason: Type.Union([Type.String(), Type.Null()]),
  submittedAt: Type.Union([Type.String(), Type.Null()]),
  needsActionReason: Type.Union([Type.String(), Type.Null()], { description: 'Why a person must resolve its ambiguous submission (deliveryState needs_human).' }),
});

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const MandateSchema = Type.Object({
  id: Type.String(),
  organisationId: Type.String(),
  service: Type.String(),
  year: Type.Integer(),
  continuing: Type.Boolean(),
  sequence: Type.Integer(),
  state: Type.String({ description: 'REQUESTED, ONTVANGEN, ACTIVE, REJECTED, REVOKED or EXPIRED.' }),
  certificateId: Type.String(),
  intermediaryKvkNumber: Nullable(Type.String()),
  letterName: Nullable(Type.String({ description: 'C3: the firm name on the letter to the client, as confirmed (the register never overwrites it).' })),
  registerLetterName: Nullable(Type.String({ description: 'C3: the firm name the register printed on the letter.' })),
  letterNameProblem: Nullable(Type.String({ description: 'C3: why a person must look: the register printed another name than the confirmed one (confirm it: POST .../mandates/{id}/letter-name).' })),
  workflowId: Type.String(),
  requestedBy: Type.String(),
  authorisation: Nullable(Type.String({ description: 'C6 four eyes: awaiting (held, nothing sent), authorised (released) or refused; null when the hub did not require it.' })),
  authorisationDecidedBy: Nullable(Type.String()),
  authorisationDecidedAt: Nullable(Type.String()),
  authorisationReason: Nullable(Type.String()),
  runbookId: Nullable(Type.String()),
  replacesMandateId: Nullable(Type.String()),
  revokeRequestedAt: Nullable(Type.String()),
  revokeFailedReason: Nullable(Type.String()),
  checkProblem: Nullable(Type.String({ description: "Why the last check of the register's answer could not be made (the state is unchanged), e.g. an expired certificate." })),
  reason: Nullable(Type.String()),
  objectionDeadline: Nullable(Type.String()),
  stateChangedAt: Type.String(),
  createdAt: Type.String(),
  messages: Type.Array(MessageSchema),
});

const PreviewSchema = Type.Object({
  organisationId: Type.String(),
  service: Type.String(),
  year: Type.Integer(),
  continuing: Type.Boolean(),
  certificateId: Type.String(),
  certificateLabel: Type.String(),
  letterName: Type.String({ description: 'C3: the firm name the tax authority will print on the letter.' }),
  beconNumber: Nullable(Type.String()),
});

const RequestFields = {
  service: Type.Union([Type.Literal('SBA'), Type.Literal('VIA')]),
  year: Type.Integer({ minimum: 2000, maximum: 2100 }),
  continuing: Type.Optional(Type.Boolean({ description: 'Doorlopend: this year and every later one, until revoked.' })),
  dryRun: Type.Optional(Type.Boolean({ description: 'Show the certificate and letter name (C3) without requesting.' })),
};

const ConfirmLetterName = Type.String({
  minLength: 1,
  maxLength: 200,
  description: 'C3: the firm name the letter will show, exactly as the dry run answered it; required unless `dryRun`. A name that changed since is refused (409 C3).',
});
const ConfirmLetterNames = Type.Record(Type.String({ format: 'uuid' }), Type.String({ minLength: 1, maxLength: 200 }), {
  maxProperties: 1000,
  description: "C3: per certificate id, the letter name confirmed (the dry run's `confirmLetterNames`); a client whose certificate's name is missing or changed is refused with C3.",
});

const mandates: FastifyPluginAsyncTypebox<{ deps: MandateServiceDeps }> = async (app, { deps }) => {
  const { pool } = deps;
  const guard = { onRequest: app.requireStaff, preHandler: app.requireHub };
  const security = [{ staffToken: [] }];
  const Params = Type.Object({ participant: Type.String() });
  const IdParams = Type.Object({ participant: Type.String(), id: Type.String({ format: 'uuid' }) });
  const actor = (name?: string) => `staff ${name ?? 'unknown'}`;
  const full = async (row: MandateRow) => mandateView(row, await messagesOf(pool, row.id));

  app.get(
    '/api/hubs/:participant/mandates',
    {
      ...guard,
      schema: {
        tags: ['mandates'],
        summary: 'List mandates',
        security,
        params: Params,
        querystring: Type.Object({
          organisationId: Type.Optional(Type.String({ format: 'uuid' })),
          service: Type.Optional(Type.String()),
          year: Type.Optional(Type.Integer()),
          state: Type.Optional(Type.String()),
          certificateId: Type.Optional(Type.String({ format: 'uuid' })),
        }),
        response: { 200: Type.Array(MandateSchema) },
      },
    },
    async (request) => {
      const rows = await listMandates(pool, request.hub!.id, request.query);
      return Promise.all(rows.map(full));
    },
  );

  app.post(
    '/api/hubs/:participant/mandates',
    {
      ...guard,
      schema: {
        tags: ['mandates'],
        summary: 'Request a mandate for one client (C6)',
        description:
          'Signed with the certificate of the client\'s Becon in its latest year (C4). `dryRun` answers 200 with that certificate and the name on the letter (C3) and stores nothing; otherwise, with `confirmLetterName` exactly that name, 202 with the mandate, whose workflow sends it. When the hub requires four eyes (`PUT .../mandate-settings`), the request is held (`authorisation: awaiting`, nothing sent) until another staff token authorises it (`POST .../mandates/{id}/authorise`). C3: 422 without `confirmLetterName`, 409 when the name changed since. 409 C6 when the client already has an open mandate for the service and year, or is departing; 409 RB while a runbook holds the certificate.',
        security,
        params: Params,
        body: Type.Object({ organisationId: Type.String({ format: 'uuid' }), ...RequestFields, confirmLetterName: Type.Optional(ConfirmLetterName) }, { additionalProperties: false }),
        response: { 200: PreviewSchema, 202: MandateSchema, 409: ErrorResponse, 422: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request, reply) => {
      const { dryRun, confirmLetterName, ...input } = request.body;
      if (dryRun) return reply.status(200).send(await previewMandateRequest(deps, request.hub!, input));
      const created = await requestMandate(deps, request.hub!, { ...input, confirmLetterName }, actor(request.staff?.name), request.staff?.tokenId);
      return reply.status(202).header('Location', `/api/hubs/${request.hub!.participantNumber}/mandates/${created.id}`).send(created);
    },
  );

  app.post(
    '/api/hubs/:participant/mandates/collective',
    {
      ...guard,
      schema: {
        tags: ['mandates'],
        summary: 'Request mandates for many clients at once (C6)',
        description:
          'For the listed clients, or `all` clients of the hub. Each refusal names its rule; the others go ahead. `dryRun` shows each certificate and letter name (C3), and `confirmLetterNames` (per certificate id, its letter name) to send back with the request: a client whose certificate\'s name is not confirmed, or changed since, is refused with C3.',
        security,
        params: Params,
        body: Type.Object(
          {
            organisationIds: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { maxItems: 5000 })),
            all: Type.Optional(Type.Boolean()),
            ...RequestFields,
            confirmLetterNames: Type.Optional(ConfirmLetterNames),
          },
          { additionalProperties: false },
        ),
        response: {
          202: Type.Object({
            requested: Type.Array(Type.Union([MandateSchema, PreviewSchema])),
            refused: Type.Array(Type.Object({ organisationId: Type.String(), rule: Type.Union([Type.String(), Type.Null()]), message: Type.String() })),
            confirmLetterNames: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Dry run: per certificate id, the letter name to confirm (C3).' })),
          }),
          422: ErrorResponse,
        },
      },
    },
    async (request, reply) => {
      const { organisationIds, all, dryRun, confirmLetterNames, ...key } = request.body;
      const outcome = await requestMandates(deps, request.hub!, { organisationIds, all, dryRun, confirmLetterNames, key }, actor(request.staff?.name), request.staff?.tokenId);
      return reply.status(202).send({ requested: outcome.requested as never[], refused: outcome.refused, ...(dryRun ? { confirmLetterNames: outcome.confirmLetterNames } : {}) });
    },
  );

  app.get(
    '/api/hubs/:participant/mandates/:id',
    { ...guard, schema: { tags: ['mandates'], summary: 'Read a mandate with its messages', security, params: IdParams, response: { 200: MandateSchema, 404: ErrorResponse } } },
    async (request) => full(await loadMandate(deps, request.hub!, request.params.id)),
  );

  app.post(
    '/api/hubs/:participant/mandates/:id/check',
    {
      ...guard,
      schema: { tags: ['mandates'], summary: "Check the request's state at Digipoort now", description: '202: the mandate\'s workflow checks at once (an open mandate whose workflow is gone gets it started again, which sends what is still unsent); read the mandate again for the result.', security, params: IdParams, response: { 202: MandateSchema, 404: ErrorResponse } },
    },
    async (request, reply) => reply.status(202).send(await full(await checkMandate(deps, request.hub!, request.params.id))),
  );

  app.post(
    '/api/hubs/:participant/mandates/:id/resolve',
    {
      ...guard,
      schema: {
        tags: ['mandates'],
        summary: 'Resolve an ambiguous mandate submission',
        description:
          'After an ambiguous aanleveren that reconcile could not settle (the message waits for a person, `deliveryState` needs_human): `{ "how": "adopted", "kenmerk": ... }` takes that Digipoort process as the message\'s, `{ "how": "resend" }` allows it to be sent again. 409 C6 when no message of the mandate waits for a person.',
        security,
        params: IdParams,
        body: Type.Union([
          Type.Object({ how: Type.Literal('adopted'), kenmerk: Type.String({ minLength: 1, maxLength: 40 }) }, { additionalProperties: false }),
          Type.Object({ how: Type.Literal('resend') }, { additionalProperties: false }),
        ]),
        response: { 202: MandateSchema, 404: ErrorResponse, 409: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request, reply) => reply.status(202).send(await resolveMandate(deps, request.hub!, request.params.id, request.body, actor(request.staff?.name))),
  );

  app.post(
    '/api/hubs/:participant/mandates/:id/activate',
    {
      ...guard,
      schema: {
        tags: ['mandates'],
        summary: 'Activate a VIA mandate with the code from the client\'s letter (C6)',
        description: 'Only a VIA mandate in state ONTVANGEN; the code (XXX-XXX-XXXX) goes to Digipoort, and the mandate becomes ACTIVE when the register accepts it.',
        security,
        params: IdParams,
        body: Type.Object({ activationCode: Type.String({ maxLength: 20 }) }, { additionalProperties: false }),
        response: { 202: MandateSchema, 404: ErrorResponse, 409: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request, reply) => reply.status(202).send(await activateMandate(deps, request.hub!, request.params.id, request.body.activationCode)),
  );

  app.post(
    '/api/hubs/:participant/mandates/:id/revoke',
    {
      ...guard,
      schema: { tags: ['mandates'], summary: 'Revoke a mandate (C6)', security, params: IdParams, response: { 202: MandateSchema, 404: ErrorResponse, 409: ErrorResponse } },
    },
    async (request, reply) => reply.status(202).send(await revokeMandate(deps, request.hub!, request.params.id, actor(request.staff?.name))),
  );

  app.post(
    '/api/hubs/:participant/mandates/collective/revoke',
    {
      ...guard,
      schema: {
        tags: ['mandates'],
        summary: 'Revoke many mandates at once (C6)',
        description:
          'Every open mandate of the hub that matches all given criteria: a list (`mandateIds`), a client, the certificate it was requested with, the intermediary\'s KvK number (the certificate\'s), a service, a year; `all` for the whole hub. Each is revoked by its own mandate workflow (a held or unsent request is withdrawn). A listed mandate that is not open is refused with C6; the others go ahead.',
        security,
        params: Params,
        body: Type.Object(
          {
            mandateIds: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { maxItems: 5000 })),
            organisationId: Type.Optional(Type.String({ format: 'uuid' })),
            certificateId: Type.Optional(Type.String({ format: 'uuid' })),
            kvkNumber: Type.Optional(Type.String({ pattern: '^[0-9]{8}$' })),
            service: Type.Optional(Type.Union([Type.Literal('SBA'), Type.Literal('VIA')])),
            year: Type.Optional(Type.Integer({ minimum: 2000, maximum: 2100 })),
            all: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: {
          202: Type.Object({
            revoked: Type.Array(MandateSchema),
            refused: Type.Array(Type.Object({ mandateId: Type.String(), rule: Type.Union([Type.String(), Type.Null()]), message: Type.String() })),
          }),
          422: ErrorResponse,
        },
      },
    },
    async (request, reply) => {
      const { done, refused } = await revokeMandates(deps, request.hub!, request.body, actor(request.staff?.name));
      return reply.status(202).send({ revoked: done, refused });
    },
  );

  app.delete(
    '/api/hubs/:participant/mandates/:id',
    {
      ...guard,
      schema: {
        tags: ['mandates'],
        summary: 'Delete a settled mandate (C6, "Machtigingen verwijderen")',
        description:
          'Only a mandate that is REJECTED, REVOKED or EXPIRED, with nothing of it in flight: its record, messages and their attempts go; the log keeps a line. 409 C6 (nothing changed) while it is open, a message of it is in doubt, its workflow still runs, or an unfinished runbook works with it.',
        security,
        params: IdParams,
        response: { 204: Type.Null(), 404: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (request, reply) => {
      await deleteMandate(deps, request.hub!, request.params.id, actor(request.staff?.name));
      return reply.status(204).send(null);
    },
  );
};

export default mandates;
