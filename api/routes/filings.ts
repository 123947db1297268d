import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ValidationError } from '../../domain/errors';
import { approvalDecisions, attachments, filingVersions, listFilings, messageByNumber, statusHistory, toMessage, type MessageRow } from '../../db/repositories/messages';
import { attemptsOf, attemptView } from '../../db/repositories/submission-attempts';
import { HttpError } from '../plugins/errors';
import { ErrorResponse, MessageNumber } from '../schemas/common';
import { FilingDetailSchema, FilingRequestSchema, MessageSchema } from '../schemas/hubs';
import { prepareFiling, resetFiling, type FilingServiceDeps } from '../services/filings';
import { resolveAmbiguousSubmission } from '../services/needs-action';
import { messageView } from '../services/views';

const NumberParams = Type.Object({ participant: Type.String(), number: MessageNumber });

/** Filings of a hub: prepare on behalf of an administration, list, read with lifecycle and raw statuses, reset (H10). */
const filings: FastifyPluginAsyncTypebox<{ deps: FilingServiceDeps }> = async (app, { deps }) => {
  const { pool } = deps;
  const guard = { onRequest: app.requireStaff, preHandler: app.requireHub };
  const security = [{ staffToken: [] }];

  async function load(hubId: string, number: number): Promise<MessageRow> {
    const row = await messageByNumber(pool, hubId, number);
    if (!row || row.direction !== 'outgoing') throw new HttpError(404, `no filing ${number}`);
    return row;
  }

  app.post(
    '/api/hubs/:participant/filings',
    {
      ...guard,
      bodyLimit: 25 * 1024 * 1024,
      schema: {
        tags: ['filings'],
        summary: 'Prepare a filing on behalf of an administration',
        description: 'As the connector does (same checks); the filing workflow starts at once. 202 with the message.',
        security,
        params: Type.Object({ participant: Type.String() }),
        body: Type.Composite([FilingRequestSchema, Type.Object({ administrationId: Type.String({ format: 'uuid' }) })], { additionalProperties: false }),
        response: { 202: MessageSchema, 403: ErrorResponse, 409: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request, reply) => {
      const hub = request.hub!;
      const { administrationId, ...filingRequest } = request.body;
      const { rows } = await pool.query<{ id: string; organisation_id: string | null }>(
        'SELECT id, organisation_id FROM administrations WHERE id = $1 AND hub_id = $2',
        [administrationId, hub.id],
      );
      if (!rows[0]) throw new ValidationError('administrationId', 'no such administration in this hub');
      const prepared = await prepareFiling(deps, hub, { id: rows[0].id, organisationId: rows[0].organisation_id }, filingRequest, {
        actor: `staff ${request.staff?.name}`,
      });
      return reply.status(202).header('Location', `/api/hubs/${hub.participantNumber}/filings/${prepared.message.number}`).send(messageView(prepared.message));
    },
  );

  app.get(
    '/api/hubs/:participant/filings',
    {
      ...guard,
      schema: {
        tags: ['filings'],
        summary: 'List filings',
        security,
        params: Type.Object({ participant: Type.String() }),
        querystring: Type.Object({
          kind: Type.Optional(Type.String()),
          period: Type.Optional(Type.String()),
          lifecycle: Type.Optional(Type.Integer()),
          deliveryState: Type.Optional(Type.String()),
          organisationId: Type.Optional(Type.String({ format: 'uuid' })),
          administrationId: Type.Optional(Type.String({ format: 'uuid' })),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
          offset: Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0 }),
        }),
        response: { 200: Type.Array(MessageSchema) },
      },
    },
    async (request) => {
      const { limit, offset, ...filter } = request.query;
      const rows = await listFilings(pool, request.hub!.id, filter, { limit, offset });
      return rows.map((r) => messageView(toMessage(r)));
    },
  );

  app.get(
    '/api/hubs/:participant/filings/:number',
    {
      ...guard,
      schema: {
        tags: ['filings'],
        summary: 'Read a filing: lifecycle, raw Digipoort statuses, versions and attachments',
        security,
        params: NumberParams,
        response: { 200: FilingDetailSchema, 404: ErrorResponse },
      },
    },
    async (request) => {
      const row = await load(request.hub!.id, request.params.number);
      return {
        ...messageView(toMessage(row)),
        statuses: await statusHistory(pool, row.id),
        attempts: (await attemptsOf(pool, { messageId: row.id })).map(attemptView),
        attachments: await attachments(pool, row.id),
        versions: await filingVersions(pool, row.filing_key),
        decisions: await approvalDecisions(pool, row.id),
      };
    },
  );

  app.get(
    '/api/hubs/:participant/filings/:number/content',
    {
      ...guard,
      schema: {
        tags: ['filings'],
        summary: 'Download the message content (XBRL) (H14)',
        security,
        params: NumberParams,
        response: { 200: Type.String({ description: 'The XBRL instance as sent.' }), 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      const row = await load(request.hub!.id, request.params.number);
      return reply
        .type('application/xml; charset=utf-8')
        .header('Content-Disposition', `attachment; filename="${row.berichtsoort}-${row.number}-v${row.version}.xbrl"`)
        .send(row.content_xml ?? '');
    },
  );

  app.get(
    '/api/hubs/:participant/filings/:number/attachments/:id',
    {
      ...guard,
      schema: {
        tags: ['filings'],
        summary: 'Download an attachment of a message (H14)',
        security,
        params: Type.Object({ participant: Type.String(), number: MessageNumber, id: Type.String({ format: 'uuid' }) }),
        response: { 200: Type.Unknown({ description: 'The attachment bytes, with their media type.' }), 404: ErrorResponse },
      },
    },
    async (request, reply) => {
      const row = await messageByNumber(pool, request.hub!.id, request.params.number);
      if (!row) throw new HttpError(404, 'no such message');
      const { rows } = await pool.query<{ filename: string; mime_type: string; content: Buffer }>(
        'SELECT filename, mime_type, content FROM message_attachments WHERE id = $1 AND message_id = $2',
        [request.params.id, row.id],
      );
      if (!rows[0]) throw new HttpError(404, 'no such attachment');
      return reply.type(rows[0].mime_type).header('Content-Disposition', `attachment; filename="${rows[0].filename}"`).send(rows[0].content);
    },
  );

  app.post(
    '/api/hubs/:participant/filings/:number/reset',
    {
      ...guard,
      schema: {
        tags: ['filings'],
        summary: 'Reset a failed message and send it again (H10, H11)',
        description: 'Only a failed message, and only the latest version of a filing; the resend is a new Digipoort process.',
        security,
        params: NumberParams,
        response: { 202: MessageSchema, 404: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (request, reply) => {
      const row = await resetFiling(deps, request.hub!, request.params.number, request.staff?.name ?? 'staff');
      return reply.status(202).send(messageView(toMessage(row)));
    },
  );

  app.post(
    '/api/hubs/:participant/filings/:number/resolve',
    {
      ...guard,
      schema: {
        tags: ['filings'],
        summary: 'Resolve an ambiguous submission',
        description: 'After an ambiguous aanleveren that reconcile could not settle: adopt one Digipoort process (kenmerk), or allow a resend.',
        security,
        params: NumberParams,
        body: Type.Union([
          Type.Object({ adoptKenmerk: Type.String({ maxLength: 40 }) }, { additionalProperties: false }),
          Type.Object({ resend: Type.Literal(true) }, { additionalProperties: false }),
        ]),
        response: { 202: MessageSchema, 404: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (request, reply) => {
      const body = request.body as { adoptKenmerk?: string; resend?: true };
      const kenmerk = body.adoptKenmerk?.trim();
      const row = await resolveAmbiguousSubmission(deps, request.hub!, request.params.number, kenmerk ? { how: 'adopted', kenmerk } : { how: 'resend' }, `staff ${request.staff?.name}`);
      return reply.status(202).send(messageView(toMessage(row)));
    },
  );
};

export default filings;
