import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { normalizeKvkNumber, normalizeObNumber } from '../../domain/identifiers';
import { ValidationError } from '../../domain/errors';
import type { Pool } from '../../db/pool';
import { HttpError } from '../plugins/errors';
import { ErrorResponse } from '../schemas/common';
import { HubParams, OrganisationSchema } from '../schemas/hubs';

/** Client organisations of a hub with their identifiers: the OB number routes VAT filings, the KvK number KvK filings (A5). */
interface OrganisationRow {
  id: string;
  name: string;
  ob_number: string | null;
  kvk_number: string | null;
  created_at: Date;
}
const organisationView = (r: OrganisationRow) => ({ id: r.id, name: r.name, obNumber: r.ob_number, kvkNumber: r.kvk_number, createdAt: r.created_at.toISOString() });


function uniqueViolation(err: unknown, message: string): never {
  if ((err as { code?: string }).code === '23505') throw new HttpError(409, message);
  throw err;
}

const organisations: FastifyPluginAsyncTypebox<{ pool: Pool }> = async (app, { pool }) => {
  const guard = { onRequest: app.requireStaff, preHandler: app.requireHub };
  const security = [{ staffToken: [] }];

  // Organisations
  app.post(
    '/api/hubs/:participant/organisations',
    {
      ...guard,
      schema: {
        tags: ['organisations'],
        summary: 'Add a client organisation',
        description: 'With its OB number (VAT routing; the NL prefix is optional) and/or KvK number (KvK routing). A5.',
        security,
        params: HubParams,
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 200 }), obNumber: Type.Optional(Type.String({ maxLength: 20 })), kvkNumber: Type.Optional(Type.String({ maxLength: 12 })) },
          { additionalProperties: false },
        ),
        response: { 201: OrganisationSchema, 409: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request, reply) => {
      const obNumber = request.body.obNumber ? normalizeObNumber(request.body.obNumber) : null;
      const kvkNumber = request.body.kvkNumber ? normalizeKvkNumber(request.body.kvkNumber) : null;
      if (!obNumber && !kvkNumber) throw new ValidationError('obNumber', 'an organisation needs an OB number or a KvK number (A5)');
      const { rows } = await pool
        .query<OrganisationRow>('INSERT INTO organisations (hub_id, name, ob_number, kvk_number) VALUES ($1, $2, $3, $4) RETURNING *', [
          request.hub!.id,
          request.body.name,
          obNumber,
          kvkNumber,
        ])
        .catch((err: unknown) => uniqueViolation(err, 'another organisation of this hub has that OB or KvK number'));
      return reply.status(201).send(organisationView(rows[0]));
    },
  );

  app.get(
    '/api/hubs/:participant/organisations',
    { ...guard, schema: { tags: ['organisations'], summary: 'List organisations', security, params: HubParams, response: { 200: Type.Array(OrganisationSchema) } } },
    async (request) => (await pool.query<OrganisationRow>('SELECT * FROM organisations WHERE hub_id = $1 ORDER BY name', [request.hub!.id])).rows.map(organisationView),
  );
};

export default organisations;
