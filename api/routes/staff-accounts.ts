import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Pool } from '../../db/pool';
import { findHub } from '../../db/repositories/hubs';
import { createStaffAccount, STAFF_ROLES, type StaffRole } from '../../db/repositories/staff-accounts';
import { generatePassword } from '../../lib/passwords';
import { HttpError } from '../plugins/errors';
import { ErrorResponse } from '../schemas/common';

/**
 * Accounts of the staff console (/staff), created with a staff token: an unlimited token for any hub, a hub's token
 * only for its own hub. Without a password one is generated and shown once in the answer; only its scrypt hash is kept.
 */
const staffAccounts: FastifyPluginAsyncTypebox<{ pool: Pool }> = async (app, { pool }) => {
  app.post(
    '/api/staff-accounts',
    {
      onRequest: app.requireStaff,
      schema: {
        tags: ['staff console'],
        summary: 'Create a staff console account for one or more hubs',
        security: [{ staffToken: [] }],
        body: Type.Object(
          {
            email: Type.String({ maxLength: 320 }),
            name: Type.String({ minLength: 1, maxLength: 200 }),
            password: Type.Optional(Type.String({ minLength: 12, maxLength: 1000 })),
            hubs: Type.Array(
              Type.Object({ participant: Type.String({ pattern: '^[0-9]{5}$' }), role: Type.Union(STAFF_ROLES.map((r) => Type.Literal(r))) }, { additionalProperties: false }),
              { minItems: 1, maxItems: 100 },
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ id: Type.String(), email: Type.String(), password: Type.Optional(Type.String({ description: 'Only when generated: shown this once.' })) }),
          404: ErrorResponse,
          422: ErrorResponse,
        },
      },
    },
    async (request, reply) => {
      const hubs: { hubId: string; role: StaffRole }[] = [];
      for (const { participant, role } of request.body.hubs) {
        const hub = await findHub(pool, participant);
        // A hub the token may not see answers exactly like an unknown one.
        if (!hub || (request.staff?.hubId && request.staff.hubId !== hub.id)) throw new HttpError(404, `no hub ${participant}`);
        hubs.push({ hubId: hub.id, role });
      }
      const generated = request.body.password ? undefined : generatePassword();
      const { id } = await createStaffAccount(pool, {
        email: request.body.email,
        name: request.body.name,
        password: request.body.password ?? generated!,
        hubs,
        createdBy: `staff ${request.staff?.name}`,
      });
      return reply.status(201).send({ id, email: request.body.email.trim(), ...(generated ? { password: generated } : {}) });
    },
  );
};

export default staffAccounts;
