import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { findHub } from '../../db/repositories/hubs';
import { needsActionMessages, toMessage, type MessageRow } from '../../db/repositories/messages';
import { handledMarkOf, heldMessageForToken } from '../../db/repositories/needs-action';
import { HttpError } from '../plugins/errors';
import { ErrorResponse, MessageNumber } from '../schemas/common';
import { MessageSchema } from '../schemas/hubs';
import { routeHeldMessage, type FilingServiceDeps } from '../services/filings';
import { markFilingHandled, remindClient, resolveHeldAutomatically } from '../services/needs-action';
import { messageView } from '../services/views';

const HandledMarkSchema = Type.Object({
  number: Type.Integer(),
  lifecycle: Type.Union([Type.Literal(40), Type.Literal(90)]),
  handledBy: Type.String(),
  note: Type.String(),
  handledAt: Type.String({ format: 'date-time' }),
});

/**
 * H12: messages of administrations whose hub cannot be found wait here as "needs action". A person routes one to a
 * hub, or lets the system resolve it (the one hub that has an organisation with the filing's identifier). Messages
 * that were handled correctly cannot be re-routed.
 */
const needsAction: FastifyPluginAsyncTypebox<{ deps: FilingServiceDeps }> = async (app, { deps }) => {
  const { pool } = deps;
  const security = [{ staffToken: [] }];

  /** A held message the token may see: every one for an unlimited token, else those of its hub's administrations. */
  async function held(id: string, hubId: string | null): Promise<MessageRow> {
    const row = await heldMessageForToken(pool, id, hubId);
    if (!row) throw new HttpError(404, 'no held message with that id');
    return row;
  }

  app.get(
    '/api/needs-action',
    {
      onRequest: app.requireStaff,
      schema: {
        tags: ['needs action'],
        summary: 'Messages that wait for a person',
        description:
          'Held messages (H12: their hub is gone; route them) and filings whose submission reconcile could not settle ' +
          '(deliveryState needs_human: adopt a process or allow a resend with POST .../filings/{number}/resolve). ' +
          '`needsActionReason` says why.',
        security,
        response: { 200: Type.Array(MessageSchema) },
      },
    },
    async (request) => {
      const rows = await needsActionMessages(pool, request.staff?.hubId ?? null);
      return rows.map((r) => messageView(toMessage(r)));
    },
  );

  app.post(
    '/api/needs-action/:id/route',
    {
      onRequest: app.requireStaff,
      schema: {
        tags: ['needs action'],
        summary: 'Route a held message to a hub (H12)',
        security,
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        body: Type.Object({ participant: Type.String({ pattern: '^[0-9]{5}$' }) }, { additionalProperties: false }),
        response: { 202: MessageSchema, 404: ErrorResponse, 409: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request, reply) => {
      const staffHub = request.staff?.hubId ?? null;
      await held(request.params.id, staffHub);
      const target = await findHub(pool, request.body.participant);
      if (!target || (staffHub && staffHub !== target.id)) throw new HttpError(404, `no hub ${request.body.participant}`);
      const routed = await routeHeldMessage(deps, request.params.id, target, `staff ${request.staff?.name}`);
      return reply.status(202).send(messageView(routed));
    },
  );

  app.post(
    '/api/needs-action/:id/resolve-automatically',
    {
      onRequest: app.requireStaff,
      schema: {
        tags: ['needs action'],
        summary: 'Let the system route a held message (H12)',
        description: 'Routes it to the one hub that has an organisation with the filing\'s OB or KvK number; refuses when there is none or more than one.',
        security,
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 202: MessageSchema, 404: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (request, reply) => {
      const staffHub = request.staff?.hubId ?? null;
      const message = await held(request.params.id, staffHub);
      // A token limited to one hub routes only to that hub, as POST .../route does (the console passes its hubs too).
      const routed = await resolveHeldAutomatically(deps, message, `automatic resolution requested by ${request.staff?.name}`, staffHub ? [staffHub] : undefined);
      return reply.status(202).send(messageView(routed));
    },
  );

  const hubGuard = { onRequest: app.requireStaff, preHandler: app.requireHub };
  const FilingParams = Type.Object({ participant: Type.String(), number: MessageNumber });

  app.post(
    '/api/hubs/:participant/filings/:number/handled',
    {
      ...hubGuard,
      schema: {
        tags: ['needs action'],
        summary: 'Mark a rejected filing (40) or a refusal by the authority (90) as handled',
        description:
          '40 and 90 are final (K4): the filing is never sent again; a new version comes from the administration. ' +
          'Until then, or when no new version follows, a person records what they did and the filing leaves the needs-action inbox. ' +
          'Only the latest version, once; refusals name their rule.',
        security,
        params: FilingParams,
        body: Type.Object({ note: Type.String({ minLength: 1, maxLength: 1000 }) }, { additionalProperties: false }),
        response: { 200: HandledMarkSchema, 404: ErrorResponse, 409: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request) => {
      const row = await markFilingHandled(deps, request.hub!, request.params.number, `staff ${request.staff?.name}`, request.body.note);
      return { number: Number(row.number), ...(await handledMarkOf(pool, row.id))! };
    },
  );

  app.post(
    '/api/hubs/:participant/filings/:number/remind',
    {
      ...hubGuard,
      schema: {
        tags: ['needs action'],
        summary: 'Remind the client of a filing that waits for its approval (A1)',
        description: "Queues the portal's reminder e-mail to each contact person (sent by the hub's next send/receive), logged. A1 when the filing does not wait for approval (lifecycle 30), A6 without a contact person.",
        security,
        params: FilingParams,
        response: { 202: Type.Object({ number: Type.Integer(), queued: Type.Integer() }), 404: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (request, reply) => {
      const { queued } = await remindClient(deps, request.hub!, request.params.number, `staff ${request.staff?.name}`);
      return reply.status(202).send({ number: request.params.number, queued });
    },
  );
};

export default needsAction;
