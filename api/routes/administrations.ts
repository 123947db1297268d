import { randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ValidationError } from '../../domain/errors';
import type { Pool } from '../../db/pool';
import { HttpError } from '../plugins/errors';
import { ErrorResponse } from '../schemas/common';
import { AdministrationSchema, HubParams } from '../schemas/hubs';

/** Client administrations of a hub: they prepare filings and see their status; the hub pushes status changes to their callback (H3). */
interface AdministrationRow {
  id: string;
  name: string;
  organisation_id: string | null;
  callback_url: string | null;
  created_at: Date;
}
const administrationView = (r: AdministrationRow) => ({
  id: r.id,
  name: r.name,
  organisationId: r.organisation_id,
  callbackUrl: r.callback_url,
  createdAt: r.created_at.toISOString(),
});

const Uuid = Type.String({ format: 'uuid' });
const CallbackUrl = Type.String({ maxLength: 500, pattern: '^https?://', description: 'Where status changes are pushed (H3).' });

const administrations: FastifyPluginAsyncTypebox<{ pool: Pool }> = async (app, { pool }) => {
  const guard = { onRequest: app.requireStaff, preHandler: app.requireHub };
  const security = [{ staffToken: [] }];

  // Administrations
  app.post(
    '/api/hubs/:participant/administrations',
    {
      ...guard,
      schema: {
        tags: ['administrations'],
        summary: 'Add a client administration',
        description: 'Returns the callback secret once: callbacks carry `x-filing-hub-signature: sha256=<HMAC of the body>`.',
        security,
        params: HubParams,
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 200 }), organisationId: Type.Optional(Uuid), callbackUrl: Type.Optional(CallbackUrl) },
          { additionalProperties: false },
        ),
        response: { 201: Type.Composite([AdministrationSchema, Type.Object({ callbackSecret: Type.String() })]), 422: ErrorResponse },
      },
    },
    async (request, reply) => {
      if (request.body.organisationId) {
        const found = await pool.query('SELECT 1 FROM organisations WHERE id = $1 AND hub_id = $2', [request.body.organisationId, request.hub!.id]);
        if (!found.rowCount) throw new ValidationError('organisationId', 'no such organisation in this hub');
      }
      const secret = randomBytes(32).toString('base64url');
      const { rows } = await pool.query<AdministrationRow>(
        'INSERT INTO administrations (hub_id, name, organisation_id, callback_url, callback_secret) VALUES ($1, $2, $3, $4, $5) RETURNING *',
        [request.hub!.id, request.body.name, request.body.organisationId ?? null, request.body.callbackUrl ?? null, secret],
      );
      return reply.status(201).send({ ...administrationView(rows[0]), callbackSecret: secret });
    },
  );

  app.get(
    '/api/hubs/:participant/administrations',
    { ...guard, schema: { tags: ['administrations'], summary: 'List administrations', security, params: HubParams, response: { 200: Type.Array(AdministrationSchema) } } },
    async (request) => (await pool.query<AdministrationRow>('SELECT * FROM administrations WHERE hub_id = $1 ORDER BY name', [request.hub!.id])).rows.map(administrationView),
  );

  app.patch(
    '/api/hubs/:participant/administrations/:id',
    {
      ...guard,
      schema: {
        tags: ['administrations'],
        summary: 'Change an administration (callback URL, organisation)',
        security,
        params: Type.Object({ participant: Type.String(), id: Uuid }),
        body: Type.Object({ callbackUrl: Type.Optional(Type.Union([CallbackUrl, Type.Null()])), organisationId: Type.Optional(Uuid) }, { additionalProperties: false }),
        response: { 200: AdministrationSchema, 404: ErrorResponse },
      },
    },
    async (request) => {
      const { rows } = await pool.query<AdministrationRow>(
        `UPDATE administrations SET callback_url = CASE WHEN $3 THEN $4 ELSE callback_url END, organisation_id = COALESCE($5, organisation_id)
          WHERE id = $1 AND hub_id = $2 RETURNING *`,
        [request.params.id, request.hub!.id, request.body.callbackUrl !== undefined, request.body.callbackUrl ?? null, request.body.organisationId ?? null],
      );
      if (!rows[0]) throw new HttpError(404, 'no such administration');
      return administrationView(rows[0]);
    },
  );
};

export default administrations;
