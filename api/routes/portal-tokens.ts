import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Pool } from '../../db/pool';
import { inTransaction } from '../../db/pool';
import { writeLog } from '../../db/repositories/communication-log';
import { issuePortalToken, portalLoginLink, revokePortalAccess } from '../../db/repositories/portal-tokens';
import { HttpError } from '../plugins/errors';
import { ErrorResponse } from '../schemas/common';

/**
 * Portal login links for contact persons: 256-bit tokens, shown once, stored only as a hash, single use, expiring,
 * revocable per client (which also ends that client's portal sessions).
 */
const portalTokens: FastifyPluginAsyncTypebox<{ pool: Pool; publicUrl: string }> = async (app, { pool, publicUrl }) => {
  const guard = { onRequest: app.requireStaff, preHandler: app.requireHub };
  const security = [{ staffToken: [] }];

  app.post(
    '/api/hubs/:participant/contact-persons/:contactPersonId/portal-tokens',
    {
      ...guard,
      schema: {
        tags: ['portal access'],
        summary: 'Issue a portal login link for a contact person',
        description: 'The token is shown once. Hand the link to the contact person; it works once and expires.',
        security,
        params: Type.Object({ participant: Type.String(), contactPersonId: Type.String({ format: 'uuid' }) }),
        body: Type.Object({ validHours: Type.Integer({ minimum: 1, maximum: 720, default: 72 }) }, { additionalProperties: false }),
        response: {
          201: Type.Object({ id: Type.String(), token: Type.String(), link: Type.String(), expiresAt: Type.String({ format: 'date-time' }) }),
          404: ErrorResponse,
          409: ErrorResponse,
        },
      },
    },
    async (request, reply) => {
      const { rows: contacts } = await pool.query<{ organisation_id: string }>(
        'SELECT c.organisation_id FROM contact_persons c JOIN organisations o ON o.id = c.organisation_id WHERE c.id = $1 AND o.hub_id = $2',
        [request.params.contactPersonId, request.hub!.id],
      );
      if (!contacts[0]) throw new HttpError(404, 'no such contact person');
      // In a transaction: a departure (C6) that starts meanwhile waits for this link and then ends it.
      const issued = await inTransaction(pool, (db) =>
        issuePortalToken(db, {
          contactPersonId: request.params.contactPersonId,
          organisationId: contacts[0].organisation_id,
          validHours: request.body.validHours,
          createdBy: request.staff?.name ?? 'staff',
        }),
      );
      return reply.status(201).send({ id: issued.id, token: issued.token, link: portalLoginLink(publicUrl, issued.token), expiresAt: issued.expiresAt.toISOString() });
    },
  );

  app.delete(
    '/api/hubs/:participant/organisations/:organisationId/portal-access',
    {
      ...guard,
      schema: {
        tags: ['portal access'],
        summary: "Revoke a client's portal access: every unused link and every session of its contact persons (answers how many still worked)",
        security,
        params: Type.Object({ participant: Type.String(), organisationId: Type.String({ format: 'uuid' }) }),
        response: { 200: Type.Object({ tokens: Type.Integer(), sessions: Type.Integer() }), 404: ErrorResponse },
      },
    },
    async (request) => {
      const hub = request.hub!;
      const { rowCount } = await pool.query('SELECT 1 FROM organisations WHERE id = $1 AND hub_id = $2', [request.params.organisationId, hub.id]);
      if (!rowCount) throw new HttpError(404, 'no such organisation');
      return inTransaction(pool, async (db) => {
        const revoked = await revokePortalAccess(db, request.params.organisationId);
        await writeLog(db, { hubId: hub.id, environment: hub.environmentCode, step: 'process message', level: 'I', text: `portal access of organisation ${request.params.organisationId} revoked by ${request.staff?.name}` });
        return revoked;
      });
    },
  );
};

export default portalTokens;
