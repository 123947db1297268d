import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ValidationError } from '../../domain/errors';
import type { Pool } from '../../db/pool';
import { filingReasons } from '../../db/repositories/filing-reasons';
import { attachments, statusHistory, toMessage, type MessageRow } from '../../db/repositories/messages';
import { HttpError } from '../plugins/errors';
import { ErrorResponse } from '../schemas/common';
import { FilingRequestSchema } from '../schemas/hubs';
import { holdFiling, prepareFiling, type FilingServiceDeps } from '../services/filings';
import { labelOf } from '../services/views';

/**
 * The connector of client administrations (A7): they post prepared filings to the hub they address by its
 * participant number (A8) and read where their filings stand (H3) — the lifecycle and the Digipoort codes, never the
 * return messages themselves, but why it ended where it did: the client's rejection reason (40) and the authority's refusal
 * message (90).
 */
const AdministrationStatus = Type.Object({
  id: Type.String(),
  number: Type.Union([Type.Integer(), Type.Null()]),
  version: Type.Integer(),
  kind: Type.String(),
  period: Type.Union([Type.String(), Type.Null()]),
  lifecycle: Type.Union([Type.Integer(), Type.Null()]),
  lifecycleLabel: Type.Union([Type.String(), Type.Null()]),
  needsAction: Type.Boolean(),
  digipoortStatus: Type.Union([Type.String(), Type.Null()]),
  lastStatusChange: Type.String({ format: 'date-time' }),
  statusHistory: Type.Array(Type.Object({ code: Type.String(), description: Type.String(), at: Type.String({ format: 'date-time' }) })),
  clientRejectionReason: Type.Union([Type.String(), Type.Null()], { description: "H3: the client's reason for rejecting the filing (40)." }),
  authorityRefusalReason: Type.Union([Type.String(), Type.Null()], { description: "H3: the authority's refusal message (90), e.g. KvK's." }),
  attachments: Type.Array(
    Type.Object({ filename: Type.String(), mimeType: Type.String(), size: Type.Integer(), sentAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]) }),
    { description: 'H14: the attachments the administration sent with the filing, and when they went to the authority with it.' },
  ),
});

const connector: FastifyPluginAsyncTypebox<{ deps: FilingServiceDeps }> = async (app, { deps }) => {
  const pool: Pool = deps.pool;

  async function statusView(row: MessageRow) {
    const message = toMessage(row);
    return {
      id: message.id,
      number: message.number,
      version: message.version,
      kind: message.kind,
      period: message.period,
      lifecycle: message.lifecycle,
      lifecycleLabel: labelOf(message),
      needsAction: message.deliveryState === 'held',
      digipoortStatus: message.digipoortStatus,
      lastStatusChange: message.lastStatusChangeAt,
      statusHistory: (await statusHistory(pool, message.id)).map((s) => ({ code: s.statuscode, description: s.statusomschrijving, at: s.tijdstempelStatus })),
      ...(await filingReasons(pool, { id: message.id, kenmerk: message.kenmerk }, message.lifecycle)),
      // Its own files only: incoming attachments belong to return messages, which stay in the hub (H3).
      attachments: (await attachments(pool, message.id))
        .filter((a) => a.direction === 'outgoing')
        .map((a) => ({ filename: a.filename, mimeType: a.mimeType, size: a.size, sentAt: a.sentAt })),
    };
  }

  app.post(
    '/connector/:participant/messages',
    {
      onRequest: app.requireConnector,
      bodyLimit: 25 * 1024 * 1024,
      schema: {
        tags: ['connector'],
        summary: 'Post a prepared filing (administration)',
        description:
          'Figures (the hub builds the XBRL) or a ready instance (checked the same way). Refusals name their rule: H16 e-invoices, A4 blocked type, A5 identifier mismatch, K4 a year already deposited, OB1–OB3 implausible VAT amounts. A per-licence token names the administration.',
        security: [{ connectorToken: [] }],
        params: Type.Object({ participant: Type.String() }),
        body: Type.Composite([FilingRequestSchema, Type.Object({ administrationId: Type.Optional(Type.String({ format: 'uuid' })) })], { additionalProperties: false }),
        response: { 202: AdministrationStatus, 401: ErrorResponse, 403: ErrorResponse, 409: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request, reply) => {
      const token = request.connector!;
      const administrationId = token.scope === 'administration' ? token.administrationId! : request.body.administrationId;
      if (!administrationId) throw new ValidationError('administrationId', 'a licence token must name the administration');
      const { rows } = await pool.query<{ id: string; organisation_id: string | null }>(
        'SELECT id, organisation_id FROM administrations WHERE id = $1 AND hub_id = $2',
        [administrationId, token.hub.id],
      );
      if (!rows[0]) throw new ValidationError('administrationId', 'no such administration for this token');
      const administration = { id: rows[0].id, organisationId: rows[0].organisation_id };
      const actor = `connector token ${token.tokenId}`;
      const { administrationId: _ignored, ...filingRequest } = request.body;
      if (token.hub.deletedAt) {
        const held = await holdFiling(deps, token.hub, administration, filingRequest, { actor });
        const { rows: heldRows } = await pool.query<MessageRow>('SELECT * FROM messages WHERE id = $1', [held.id]);
        return reply.status(202).send(await statusView(heldRows[0]));
      }
      const prepared = await prepareFiling(deps, token.hub, administration, filingRequest, { actor });
      // The row as stored (lifecycle 0, ready): what the administration posted, whatever its workflow does next.
      return reply
        .status(202)
        .header('Location', `/connector/${token.hub.participantNumber}/messages/${prepared.message.number}`)
        .send(await statusView(prepared.row));
    },
  );

  app.get(
    '/connector/:participant/messages/:reference',
    {
      onRequest: app.requireConnector,
      schema: {
        tags: ['connector'],
        summary: "Where a filing stands, as the administration sees it (H3)",
        security: [{ connectorToken: [] }],
        params: Type.Object({ participant: Type.String(), reference: Type.String({ maxLength: 40, description: 'The message number, or the id of a held message.' }) }),
        response: { 200: AdministrationStatus, 404: ErrorResponse },
      },
    },
    async (request) => {
      const token = request.connector!;
      const { reference } = request.params;
      const byNumber = /^\d{1,15}$/.test(reference);
      const byId = /^[0-9a-f-]{36}$/i.test(reference);
      if (!byNumber && !byId) throw new HttpError(404, 'no such message');
      // Only this administration's filings (or, for a licence token, those of the hub's administrations).
      const { rows } = await pool.query<MessageRow>(
        `SELECT m.* FROM messages m JOIN administrations a ON a.id = m.administration_id
          WHERE a.hub_id = $1 AND m.direction = 'outgoing' AND ($2::uuid IS NULL OR m.administration_id = $2)
            AND (${byNumber ? 'm.hub_id = $1 AND m.number = $3::bigint' : 'm.id = $3::uuid'})`,
        [token.hub.id, token.scope === 'administration' ? token.administrationId : null, reference],
      );
      if (!rows[0]) throw new HttpError(404, 'no such message');
      return statusView(rows[0]);
    },
  );
};

export default connector;
