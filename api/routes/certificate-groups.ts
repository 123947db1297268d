import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { assertGroupAssignment } from '../../domain/certificates';
import { RuleViolation } from '../../domain/errors';
import { inTransaction, type Pool, type PoolClient } from '../../db/pool';
import { loadCertificateSituation, lockCertificateSetup } from '../../db/repositories/certificates';
import { writeLog } from '../../db/repositories/communication-log';
import type { Hub } from '../../db/repositories/hubs';
import { assertGroupNotInRunbook } from '../../db/repositories/certificate-guards';
import { assertNotLockedByRunbook } from '../../db/repositories/runbooks';
import { HttpError } from '../plugins/errors';
import { ErrorResponse } from '../schemas/common';
import { assertChangeKeepsKvk } from '../services/certificate-guards';

/**
 * C1, C2: certificate groups. A group holds one certificate; a Becon points at a group. The work certificate is never
 * in a group ("Invalid certificate specified", C2). Groups need the multi-certificate feature switched on.
 */
const GroupSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  certificateId: Type.Union([Type.String(), Type.Null()]),
  certificateLabel: Type.Union([Type.String(), Type.Null()]),
  becons: Type.Array(Type.String(), { description: 'Becon numbers that point at this group.' }),
});

async function groups(db: Pool | PoolClient, hubId: string, id?: string) {
  const { rows } = await db.query<{ id: string; name: string; certificate_id: string | null; label: string | null; becons: string[] | null }>(
    `SELECT g.id, g.name, g.certificate_id, c.label, array_agg(b.number ORDER BY b.number) FILTER (WHERE b.number IS NOT NULL) AS becons
       FROM certificate_groups g LEFT JOIN certificates c ON c.id = g.certificate_id LEFT JOIN becons b ON b.group_id = g.id
      WHERE g.hub_id = $1 AND ($2::uuid IS NULL OR g.id = $2) GROUP BY g.id, c.label ORDER BY g.name`,
    [hubId, id ?? null],
  );
  return rows.map((r) => ({ id: r.id, name: r.name, certificateId: r.certificate_id, certificateLabel: r.label, becons: r.becons ?? [] }));
}

/** The C2 trigger is the last line: its refusal is the same rule. */
function databaseRefusal(err: unknown): never {
  const pg = err as { code?: string; message?: string };
  if (pg.code === '23514' && pg.message?.startsWith('C2')) throw new RuleViolation('C2', pg.message.replace(/^C2: /, ''), 'invalid');
  if (pg.code === '23505') throw new RuleViolation('C1', 'a group with that name exists, or the certificate is in another group already', 'conflict');
  throw err;
}

const certificateGroups: FastifyPluginAsyncTypebox<{ pool: Pool }> = async (app, { pool }) => {
  const guard = { onRequest: app.requireStaff, preHandler: app.requireHub };
  const security = [{ staffToken: [] }];
  const Params = Type.Object({ participant: Type.String() });
  const IdParams = Type.Object({ participant: Type.String(), id: Type.String({ format: 'uuid' }) });

  const log = (db: PoolClient, hub: Hub, text: string) => writeLog(db, { hubId: hub.id, environment: hub.environmentCode, step: 'certificate', level: 'I', text });

  app.get(
    '/api/hubs/:participant/certificate-groups',
    { ...guard, schema: { tags: ['certificates'], summary: 'List certificate groups (C1)', security, params: Params, response: { 200: Type.Array(GroupSchema) } } },
    async (request) => groups(pool, request.hub!.id),
  );

  app.post(
    '/api/hubs/:participant/certificate-groups',
    {
      ...guard,
      schema: {
        tags: ['certificates'],
        summary: 'Add a certificate group (C1), optionally with its certificate',
        description:
          'Refused with C2 ("Invalid certificate specified") for the work certificate, with C1 while several certificates is off, with C7 for an expired certificate, and (409, RB) while a runbook holds the certificate.',
        security,
        params: Params,
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }), certificateId: Type.Optional(Type.String({ format: 'uuid' })) }, { additionalProperties: false }),
        response: { 201: GroupSchema, 409: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request, reply) => {
      const hub = request.hub!;
      const created = await inTransaction(pool, async (db) => {
        await lockCertificateSetup(db, hub.id);
        await assertNotLockedByRunbook(db, [request.body.certificateId]);
        assertGroupAssignment(await loadCertificateSituation(db, hub.id), null, request.body.certificateId ?? null, new Date());
        const { rows } = await db
          .query<{ id: string }>('INSERT INTO certificate_groups (hub_id, name, certificate_id) VALUES ($1, $2, $3) RETURNING id', [hub.id, request.body.name, request.body.certificateId ?? null])
          .catch(databaseRefusal);
        await log(db, hub, `certificate group "${request.body.name}" added by ${request.staff?.name}`);
        return rows[0].id;
      });
      return reply.status(201).send((await groups(pool, hub.id, created))[0]);
    },
  );

  app.put(
    '/api/hubs/:participant/certificate-groups/:id/certificate',
    {
      ...guard,
      schema: {
        tags: ['certificates'],
        summary: "Set (or empty) a group's certificate (C1, C2)",
        description:
          'Putting the work certificate in a group is refused with C2 "Invalid certificate specified", an expired certificate with C7, (409, RB) a change while a runbook holds the group\'s certificate or the new one or its plan uses the group, and (409, RB1) a change that would move a client with an open mandate to a certificate of another KvK number (revoke and request again: runbook RB1 or RB5); nothing changes.',
        security,
        params: IdParams,
        body: Type.Object({ certificateId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]) }, { additionalProperties: false }),
        response: { 200: GroupSchema, 404: ErrorResponse, 409: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request) => {
      const hub = request.hub!;
      await inTransaction(pool, async (db) => {
        await lockCertificateSetup(db, hub.id);
        const { rows } = await db.query<{ name: string; certificate_id: string | null }>(
          'SELECT name, certificate_id FROM certificate_groups WHERE id = $1 AND hub_id = $2 FOR UPDATE',
          [request.params.id, hub.id],
        );
        if (!rows[0]) throw new HttpError(404, `no certificate group ${request.params.id}`);
        await assertNotLockedByRunbook(db, [rows[0].certificate_id, request.body.certificateId]);
        await assertGroupNotInRunbook(db, hub.id, rows[0].name);
        assertGroupAssignment(await loadCertificateSituation(db, hub.id), request.params.id, request.body.certificateId, new Date());
        // RB1: the clients of the group's Becons get the new certificate (the work certificate for an empty group).
        await assertChangeKeepsKvk(db, hub.id, (draft) => {
          draft.groups = draft.groups.map((g) => (g.id === request.params.id ? { ...g, certificateId: request.body.certificateId } : g));
        });
        await db.query('UPDATE certificate_groups SET certificate_id = $2 WHERE id = $1', [request.params.id, request.body.certificateId]).catch(databaseRefusal);
        await log(db, hub, `certificate group "${rows[0].name}": certificate ${request.body.certificateId ?? 'none'} (by ${request.staff?.name})`);
      });
      return (await groups(pool, hub.id, request.params.id))[0];
    },
  );

  app.delete(
    '/api/hubs/:participant/certificate-groups/:id',
    {
      ...guard,
      schema: {
        tags: ['certificates'],
        summary: 'Remove a certificate group no Becon points at (C1)',
        description: '409 (RB) while a runbook holds its certificate or its plan uses the group; nothing changes then.',
        security,
        params: IdParams,
        response: { 204: Type.Null(), 404: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (request, reply) => {
      const hub = request.hub!;
      await inTransaction(pool, async (db) => {
        await lockCertificateSetup(db, hub.id);
        const [group] = await groups(db, hub.id, request.params.id);
        if (!group) throw new HttpError(404, `no certificate group ${request.params.id}`);
        // RB: not while a runbook holds its certificate or its plan uses the group. (Only a group no Becon points at
        // is removed, so no client changes certificate: nothing for RB1 to guard.)
        await assertNotLockedByRunbook(db, [group.certificateId]);
        await assertGroupNotInRunbook(db, hub.id, group.name);
        if (group.becons.length) throw new RuleViolation('C1', `Becon ${group.becons.join(', ')} point(s) at group "${group.name}": select another group on them first`, 'conflict');
        await db.query('DELETE FROM certificate_groups WHERE id = $1', [group.id]);
        await log(db, hub, `certificate group "${group.name}" removed by ${request.staff?.name}`);
      });
      return reply.status(204).send(null);
    },
  );
};

export default certificateGroups;
