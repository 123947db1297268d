import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { ErrorResponse } from '../schemas/common';
import type { MandateServiceDeps } from '../services/mandates';
import {
  authoriseMandate,
  authoriseMandates,
  changeMandateSettings,
  listAwaitingAuthorisation,
  readMandateSettings,
  refuseMandateAuthorisation,
  type StaffIdentity,
} from '../services/mandate-authorisation';
import { MandateSchema } from './mandates';

/**
 * C6 four eyes on mandate requests (seed 000 "SBA-machtigingen autoriseren", "SBA-machtiging vrijgeven"): the hub's
 * setting, the requests held for a second person, and that person's decision: authorise (the request is released
 * and its workflow sends it) or refuse (REJECTED, nothing sent). The second person is another staff token than the
 * one that requested the mandate.
 */
const SettingsSchema = Type.Object({
  authorisationRequired: Type.Boolean({ description: 'Every mandate request made through the API is held until another staff token authorises it.' }),
});

const RefusedSchema = Type.Array(Type.Object({ mandateId: Type.String(), rule: Type.Union([Type.String(), Type.Null()]), message: Type.String() }));

const mandateAuthorisation: FastifyPluginAsyncTypebox<{ deps: MandateServiceDeps }> = async (app, { deps }) => {
  const guard = { onRequest: app.requireStaff, preHandler: app.requireHub };
  const security = [{ staffToken: [] }];
  const Params = Type.Object({ participant: Type.String() });
  const IdParams = Type.Object({ participant: Type.String(), id: Type.String({ format: 'uuid' }) });
  const staffOf = (request: FastifyRequest): StaffIdentity => ({ name: request.staff!.name, tokenId: request.staff!.tokenId });

  app.get(
    '/api/hubs/:participant/mandate-settings',
    { ...guard, schema: { tags: ['mandates'], summary: 'Mandate settings of the hub (C6 four eyes)', security, params: Params, response: { 200: SettingsSchema } } },
    async (request) => readMandateSettings(deps, request.hub!),
  );

  app.put(
    '/api/hubs/:participant/mandate-settings',
    {
      ...guard,
      schema: {
        tags: ['mandates'],
        summary: 'Require a second person to authorise mandate requests (C6), or not',
        description: 'Off by default. Switching it off releases nothing: requests held meanwhile still wait for their second person (or are refused or withdrawn).',
        security,
        params: Params,
        body: SettingsSchema,
        response: { 200: SettingsSchema },
      },
    },
    async (request) => changeMandateSettings(deps, request.hub!, { authorisationRequired: request.body.authorisationRequired }, `staff ${request.staff!.name}`),
  );

  app.get(
    '/api/hubs/:participant/mandates/awaiting-authorisation',
    { ...guard, schema: { tags: ['mandates'], summary: 'Mandate requests held for a second person (C6)', security, params: Params, response: { 200: Type.Array(MandateSchema) } } },
    async (request) => listAwaitingAuthorisation(deps, request.hub!),
  );

  app.post(
    '/api/hubs/:participant/mandates/:id/authorise',
    {
      ...guard,
      schema: {
        tags: ['mandates'],
        summary: 'Authorise a held mandate request and release it (C6 four eyes)',
        description:
          '202: authorised by this staff token, released; the mandate\'s workflow sends it. 403 C6 when this token requested the mandate itself (nothing changes); 409 C6 when it is not waiting for authorisation.',
        security,
        params: IdParams,
        response: { 202: MandateSchema, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (request, reply) => reply.status(202).send(await authoriseMandate(deps, request.hub!, request.params.id, staffOf(request))),
  );

  app.post(
    '/api/hubs/:participant/mandates/:id/refuse-authorisation',
    {
      ...guard,
      schema: {
        tags: ['mandates'],
        summary: 'Refuse a held mandate request (C6)',
        description: '202: the mandate is REJECTED and its request is never sent. 409 C6 when it is not waiting for authorisation. (The requester can also withdraw it with `/revoke`.)',
        security,
        params: IdParams,
        body: Type.Optional(Type.Object({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) }, { additionalProperties: false })),
        response: { 202: MandateSchema, 404: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (request, reply) => reply.status(202).send(await refuseMandateAuthorisation(deps, request.hub!, request.params.id, staffOf(request), request.body?.reason)),
  );

  app.post(
    '/api/hubs/:participant/mandates/collective/authorise',
    {
      ...guard,
      schema: {
        tags: ['mandates'],
        summary: 'Authorise many held mandate requests at once (C6)',
        description: 'The listed requests, or `all` held ones of the hub. Each refusal names its rule (403-like C6 for a request of this same token); the others are released.',
        security,
        params: Params,
        body: Type.Object(
          { mandateIds: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { maxItems: 5000 })), all: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
        response: { 202: Type.Object({ authorised: Type.Array(MandateSchema), refused: RefusedSchema }), 422: ErrorResponse },
      },
    },
    async (request, reply) => {
      const { done, refused } = await authoriseMandates(deps, request.hub!, request.body, staffOf(request));
      return reply.status(202).send({ authorised: done, refused });
    },
  );
};

export default mandateAuthorisation;
