import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Pool } from '../../db/pool';
import { HttpError } from '../plugins/errors';
import { ErrorResponse } from '../schemas/common';

/** A6: each client organisation's contact persons, who get portal access. */
const ContactPersonSchema = Type.Object({
  id: Type.String(),
  organisationId: Type.String(),
  name: Type.String(),
  email: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});
type Row = { id: string; organisation_id: string; name: string; email: string; created_at: Date };
const view = (r: Row) => ({ id: r.id, organisationId: r.organisation_id, name: r.name, email: r.email, createdAt: r.created_at.toISOString() });

const contactPersons: FastifyPluginAsyncTypebox<{ pool: Pool }> = async (app, { pool }) => {
  const guard = { onRequest: app.requireStaff, preHandler: app.requireHub };
  const security = [{ staffToken: [] }];
  const Params = Type.Object({ participant: Type.String(), organisationId: Type.String({ format: 'uuid' }) });

  async function organisationOf(hubId: string, organisationId: string): Promise<void> {
    const { rowCount } = await pool.query('SELECT 1 FROM organisations WHERE id = $1 AND hub_id = $2', [organisationId, hubId]);
    if (!rowCount) throw new HttpError(404, 'no such organisation');
  }

  app.post(
    '/api/hubs/:participant/organisations/:organisationId/contact-persons',
    {
      ...guard,
      schema: {
        tags: ['contact persons'],
        summary: 'Add a contact person of a client (A6)',
        security,
        params: Params,
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 200 }), email: Type.String({ format: 'email', maxLength: 320 }) },
          { additionalProperties: false },
        ),
        response: { 201: ContactPersonSchema, 404: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (request, reply) => {
      await organisationOf(request.hub!.id, request.params.organisationId);
      const { rows } = await pool
        .query<Row>('INSERT INTO contact_persons (organisation_id, name, email) VALUES ($1, $2, $3) RETURNING *', [
          request.params.organisationId,
          request.body.name,
          request.body.email.toLowerCase(),
        ])
        .catch((err: { code?: string }) => {
          if (err.code === '23505') throw new HttpError(409, 'this client already has a contact person with that e-mail');
          throw err;
        });
      return reply.status(201).send(view(rows[0]));
    },
  );

  app.get(
    '/api/hubs/:participant/organisations/:organisationId/contact-persons',
    { ...guard, schema: { tags: ['contact persons'], summary: 'List the contact persons of a client', security, params: Params, response: { 200: Type.Array(ContactPersonSchema), 404: ErrorResponse } } },
    async (request) => {
      await organisationOf(request.hub!.id, request.params.organisationId);
      return (await pool.query<Row>('SELECT * FROM contact_persons WHERE organisation_id = $1 ORDER BY name', [request.params.organisationId])).rows.map(view);
    },
  );
};

export default contactPersons;
