import { randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ValidationError } from '../../domain/errors';
import type { Pool } from '../../db/pool';
import { HttpError } from '../plugins/errors';
import { ErrorResponse } from '../schemas/common';
import { HubParams } from '../schemas/hubs';
import { CONNECTOR_TOKEN_PREFIX } from '../plugins/connector-auth';
import { hashToken } from '../plugins/auth';

/** Connector tokens of administrations, per licence or per client, revocable one by one; only a hash is stored (A7). */
const Uuid = Type.String({ format: 'uuid' });

const connectorTokens: FastifyPluginAsyncTypebox<{ pool: Pool }> = async (app, { pool }) => {
  const guard = { onRequest: app.requireStaff, preHandler: app.requireHub };
  const security = [{ staffToken: [] }];

  // Connector tokens (A7)
  const TokenSchema = Type.Object({
    id: Type.String(),
    scope: Type.Union([Type.Literal('licence'), Type.Literal('administration')]),
    administrationId: Type.Union([Type.String(), Type.Null()]),
    description: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String(),
    revokedAt: Type.Union([Type.String(), Type.Null()]),
  });
  type TokenRow = { id: string; scope: 'licence' | 'administration'; administration_id: string | null; description: string | null; created_at: Date; revoked_at: Date | null };
  const tokenView = (r: TokenRow) => ({
    id: r.id,
    scope: r.scope,
    administrationId: r.administration_id,
    description: r.description,
    createdAt: r.created_at.toISOString(),
    revokedAt: r.revoked_at?.toISOString() ?? null,
  });
  app.post(
    '/api/hubs/:participant/connector-tokens',
    {
      ...guard,
      schema: {
        tags: ['connector tokens'],
        summary: 'Issue a connector token (A7)',
        description: 'Per licence (any administration of the hub; requests name the administration) or per client. The token is shown once; only its hash is stored.',
        security,
        params: HubParams,
        body: Type.Object(
          {
            scope: Type.Union([Type.Literal('licence'), Type.Literal('administration')]),
            administrationId: Type.Optional(Uuid),
            description: Type.Optional(Type.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Composite([TokenSchema, Type.Object({ token: Type.String() })]), 422: ErrorResponse },
      },
    },
    async (request, reply) => {
      const { scope, administrationId } = request.body;
      if (scope === 'administration') {
        if (!administrationId) throw new ValidationError('administrationId', 'a per-client token names its administration');
        const found = await pool.query('SELECT 1 FROM administrations WHERE id = $1 AND hub_id = $2', [administrationId, request.hub!.id]);
        if (!found.rowCount) throw new ValidationError('administrationId', 'no such administration in this hub');
      } else if (administrationId) {
        throw new ValidationError('administrationId', 'a licence token is not bound to one administration');
      }
      const token = CONNECTOR_TOKEN_PREFIX + randomBytes(32).toString('base64url');
      const { rows } = await pool.query<TokenRow>(
        'INSERT INTO connector_tokens (hub_id, scope, administration_id, token_hash, description) VALUES ($1, $2, $3, $4, $5) RETURNING *',
        [request.hub!.id, scope, administrationId ?? null, hashToken(token), request.body.description ?? null],
      );
      return reply.status(201).send({ ...tokenView(rows[0]), token });
    },
  );
  app.get(
    '/api/hubs/:participant/connector-tokens',
    { ...guard, schema: { tags: ['connector tokens'], summary: 'List connector tokens (never the tokens themselves)', security, params: HubParams, response: { 200: Type.Array(TokenSchema) } } },
    async (request) => (await pool.query<TokenRow>('SELECT * FROM connector_tokens WHERE hub_id = $1 ORDER BY created_at', [request.hub!.id])).rows.map(tokenView),
  );
  app.delete(
    '/api/hubs/:participant/connector-tokens/:id',
    {
      ...guard,
      schema: {
        tags: ['connector tokens'],
        summary: 'Revoke a connector token (other clients keep theirs)',
        security,
        params: Type.Object({ participant: Type.String(), id: Uuid }),
        response: { 200: TokenSchema, 404: ErrorResponse },
      },
    },
    async (request) => {
      const { rows } = await pool.query<TokenRow>(
        'UPDATE connector_tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 AND hub_id = $2 RETURNING *',
        [request.params.id, request.hub!.id],
      );
      if (!rows[0]) throw new HttpError(404, 'no such connector token');
      return tokenView(rows[0]);
    },
  );
};

export default connectorTokens;
