import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ownCertificateForClient, workCertificateOf, type CertificateSituation, type MasterDataYear } from '../../domain/certificates';
import { RuleViolation, ValidationError } from '../../domain/errors';
import { isValidBeconNumber } from '../../domain/identifiers';
import { inTransaction, type Pool, type PoolClient } from '../../db/pool';
import { loadCertificateSituation, lockCertificateSetup, masterDataOf } from '../../db/repositories/certificates';
import { writeLog } from '../../db/repositories/communication-log';
import { assertBeconNotInRunbook, assertClientNotInRunbook, assertGroupNotInRunbook } from '../../db/repositories/certificate-guards';
import { assertNotLockedByRunbook } from '../../db/repositories/runbooks';
import { HttpError } from '../plugins/errors';
import { ErrorResponse } from '../schemas/common';
import { assertChangeKeepsKvk } from '../services/certificate-guards';

/**
 * The firm's Becon numbers (each points at a certificate group, C1) and the clients' master data per year: the Becon a
 * client is filed under that year (C4: the most recent year decides which certificate requests its mandates).
 */
const BeconSchema = Type.Object({
  number: Type.String(),
  name: Type.String(),
  groupName: Type.Union([Type.String(), Type.Null()]),
  clients: Type.Integer({ description: 'Clients whose latest master-data year is filed under this Becon.' }),
});

const MasterDataSchema = Type.Object({ year: Type.Integer(), beconNumber: Type.String() });

async function becons(db: Pool | PoolClient, hubId: string, number?: string) {
  const { rows } = await db.query<{ number: string; name: string; group_name: string | null; clients: number }>(
    `SELECT b.number, b.name, g.name AS group_name,
            (SELECT count(*)::int FROM client_master_data m
              WHERE m.becon_id = b.id AND m.year = (SELECT max(year) FROM client_master_data l WHERE l.organisation_id = m.organisation_id)) AS clients
       FROM becons b LEFT JOIN certificate_groups g ON g.id = b.group_id
      WHERE b.hub_id = $1 AND ($2::text IS NULL OR b.number = $2) ORDER BY b.number`,
    [hubId, number ?? null],
  );
  return rows.map((r) => ({ number: r.number, name: r.name, groupName: r.group_name, clients: r.clients }));
}

function beconNumber(value: string): string {
  if (!isValidBeconNumber(value)) throw new ValidationError('number', 'a Becon number is five or six digits');
  return value;
}

/** C1: a Becon points at a group only when several certificates is on. */
async function groupIdFor(db: Pool | PoolClient, hubId: string, groupName: string | null | undefined): Promise<string | null> {
  if (groupName === null || groupName === undefined) return null;
  const { rows } = await db.query<{ id: string; multi_certificate: boolean }>(
    'SELECT g.id, h.multi_certificate FROM certificate_groups g JOIN hubs h ON h.id = g.hub_id WHERE g.hub_id = $1 AND g.name = $2',
    [hubId, groupName],
  );
  if (!rows[0]) throw new ValidationError('groupName', `no certificate group "${groupName}" in this hub`);
  if (!rows[0].multi_certificate) throw new RuleViolation('C1', 'several certificates is not switched on: the group field is used only then', 'conflict');
  return rows[0].id;
}

/** The certificate a group gives its Becons' clients: its own, or the work certificate when it has none (or no group). */
function certificateOfGroup(situation: CertificateSituation, groupId: string | null): string | undefined {
  const group = groupId ? situation.groups.find((g) => g.id === groupId) : undefined;
  return (situation.multiCertificate ? group?.certificateId : undefined) ?? workCertificateOf(situation)?.id;
}

/** The certificate a client's master data gives it (C4), or undefined when none would (no work certificate). */
function certificateOfClient(situation: CertificateSituation, masterData: readonly MasterDataYear[]): string | undefined {
  try {
    return ownCertificateForClient(situation, masterData).certificateId;
  } catch {
    return undefined;
  }
}

const beconRoutes: FastifyPluginAsyncTypebox<{ pool: Pool }> = async (app, { pool }) => {
  const guard = { onRequest: app.requireStaff, preHandler: app.requireHub };
  const security = [{ staffToken: [] }];
  const Params = Type.Object({ participant: Type.String() });
  const NumberParams = Type.Object({ participant: Type.String(), number: Type.String() });
  const ClientParams = Type.Object({ participant: Type.String(), organisationId: Type.String({ format: 'uuid' }) });

  app.get(
    '/api/hubs/:participant/becons',
    { ...guard, schema: { tags: ['becons'], summary: 'List Becons with their certificate group (C1)', security, params: Params, response: { 200: Type.Array(BeconSchema) } } },
    async (request) => becons(pool, request.hub!.id),
  );

  app.post(
    '/api/hubs/:participant/becons',
    {
      ...guard,
      schema: {
        tags: ['becons'],
        summary: 'Register a Becon number',
        description: "409 (RB) when its group's certificate is held by a runbook, or the runbook's plan changes that group; nothing is stored then.",
        security,
        params: Params,
        body: Type.Object(
          { number: Type.String({ maxLength: 6 }), name: Type.String({ minLength: 1, maxLength: 200 }), groupName: Type.Optional(Type.Union([Type.Null(), Type.String({ minLength: 1 })], { description: 'null: no group (the work certificate).' })) },
          { additionalProperties: false },
        ),
        response: { 201: BeconSchema, 409: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request, reply) => {
      const hub = request.hub!;
      const number = beconNumber(request.body.number);
      await inTransaction(pool, async (db) => {
        await lockCertificateSetup(db, hub.id);
        const groupId = await groupIdFor(db, hub.id, request.body.groupName);
        if (groupId) {
          // RB: not onto a group whose certificate a runbook holds, or that its plan changes. A new Becon has no
          // clients yet, so it cannot move a mandate to another KvK number (RB1): that is guarded where clients get it.
          await assertNotLockedByRunbook(db, [certificateOfGroup(await loadCertificateSituation(db, hub.id), groupId)]);
          await assertGroupNotInRunbook(db, hub.id, request.body.groupName!);
        }
        await db.query('INSERT INTO becons (hub_id, number, name, group_id) VALUES ($1, $2, $3, $4)', [hub.id, number, request.body.name, groupId]).catch((err: { code?: string }) => {
          if (err.code === '23505') throw new HttpError(409, `Becon ${number} is already registered in this hub`);
          throw err;
        });
      });
      return reply.status(201).send((await becons(pool, hub.id, number))[0]);
    },
  );

  app.put(
    '/api/hubs/:participant/becons/:number',
    {
      ...guard,
      schema: {
        tags: ['becons'],
        summary: 'Select the certificate group (or none: the work certificate) and name of a Becon (C1)',
        description:
          "409 (RB) when the group changes while a runbook holds the certificate of the Becon's group before or after, or its plan changes this Becon; 409 (RB1) when it would move a client with an open mandate to a certificate of another KvK number (revoke and request again: runbook RB1 or RB5). Nothing changes then.",
        security,
        params: NumberParams,
        body: Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), groupName: Type.Optional(Type.Union([Type.Null(), Type.String({ minLength: 1 })], { description: 'null: no group (the work certificate).' })) }, { additionalProperties: false }),
        response: { 200: BeconSchema, 404: ErrorResponse, 409: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request) => {
      const hub = request.hub!;
      await inTransaction(pool, async (db) => {
        await lockCertificateSetup(db, hub.id);
        const setGroup = request.body.groupName !== undefined;
        const groupId = setGroup ? await groupIdFor(db, hub.id, request.body.groupName) : null;
        if (setGroup) {
          const { rows: current } = await db.query<{ group_id: string | null }>('SELECT group_id FROM becons WHERE hub_id = $1 AND number = $2', [hub.id, request.params.number]);
          if (current[0] && current[0].group_id !== groupId) {
            // Its clients move from the certificate of the old group to that of the new one.
            const situation = await loadCertificateSituation(db, hub.id);
            await assertNotLockedByRunbook(db, [certificateOfGroup(situation, current[0].group_id), certificateOfGroup(situation, groupId)]);
            await assertBeconNotInRunbook(db, hub.id, request.params.number);
            // RB1: not when that moves a client with an open mandate to another KvK number.
            await assertChangeKeepsKvk(db, hub.id, (draft) => {
              draft.becons = draft.becons.map((b) => (b.number === request.params.number ? { ...b, groupId } : b));
            });
          }
        }
        const { rowCount } = await db.query(
          `UPDATE becons SET name = coalesce($3, name), group_id = CASE WHEN $4 THEN $5::uuid ELSE group_id END WHERE hub_id = $1 AND number = $2`,
          [hub.id, request.params.number, request.body.name ?? null, setGroup, groupId],
        );
        if (!rowCount) throw new HttpError(404, `no Becon ${request.params.number}`);
        if (setGroup) {
          await writeLog(db, { hubId: hub.id, environment: hub.environmentCode, step: 'certificate', level: 'I', text: `Becon ${request.params.number}: certificate group ${request.body.groupName ?? 'none'} (by ${request.staff?.name})` });
        }
      });
      return (await becons(pool, hub.id, request.params.number))[0];
    },
  );

  app.get(
    '/api/hubs/:participant/clients/:organisationId/master-data',
    {
      ...guard,
      schema: { tags: ['becons'], summary: "A client's master data per year: its Becon (C4)", security, params: ClientParams, response: { 200: Type.Array(MasterDataSchema) } },
    },
    async (request) => {
      const { rows } = await pool.query<{ year: number; number: string }>(
        `SELECT m.year, b.number FROM client_master_data m JOIN becons b ON b.id = m.becon_id JOIN organisations o ON o.id = m.organisation_id
          WHERE m.organisation_id = $1 AND o.hub_id = $2 ORDER BY m.year`,
        [request.params.organisationId, request.hub!.id],
      );
      return rows.map((r) => ({ year: r.year, beconNumber: r.number }));
    },
  );

  app.put(
    '/api/hubs/:participant/clients/:organisationId/master-data/:year',
    {
      ...guard,
      schema: {
        tags: ['becons'],
        summary: "Set the Becon of a client's year (C4: its latest year decides its certificate)",
        security,
        params: Type.Object({ participant: Type.String(), organisationId: Type.String({ format: 'uuid' }), year: Type.Integer({ minimum: 2000, maximum: 2100 }) }),
        body: Type.Object({ beconNumber: Type.String() }, { additionalProperties: false }),
        description:
          "409 (RB) while a runbook's plan touches the client, or a runbook holds the certificate the client has before or after the change; 409 (RB1) when the client has an open mandate and would get a certificate of another KvK number (revoke and request again: runbook RB1 or RB5). Nothing changes then.",
        response: { 200: MasterDataSchema, 404: ErrorResponse, 409: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request) => {
      const hub = request.hub!;
      const number = beconNumber(request.body.beconNumber);
      const { organisationId, year } = request.params;
      await inTransaction(pool, async (db) => {
        await lockCertificateSetup(db, hub.id);
        const { rows: org } = await db.query('SELECT 1 FROM organisations WHERE id = $1 AND hub_id = $2', [organisationId, hub.id]);
        if (!org[0]) throw new HttpError(404, `no client ${organisationId}`);
        const { rows: becon } = await db.query<{ id: string }>('SELECT id FROM becons WHERE hub_id = $1 AND number = $2', [hub.id, number]);
        if (!becon[0]) throw new ValidationError('beconNumber', `Becon ${number} is not registered in this hub`);
        await assertClientNotInRunbook(db, hub.id, organisationId);
        const situation = await loadCertificateSituation(db, hub.id);
        const before = await masterDataOf(db, organisationId);
        const after = [...before.filter((y) => y.year !== year), { year, beconId: becon[0].id }];
        const [from, to] = [certificateOfClient(situation, before), certificateOfClient(situation, after)];
        if (from !== to) await assertNotLockedByRunbook(db, [from, to]);
        // RB1: a client with an open mandate does not move to a certificate of another KvK number this way.
        if (from !== to) await assertChangeKeepsKvk(db, hub.id, (draft) => draft.masterData.set(organisationId, after));
        await db.query(
          `INSERT INTO client_master_data (organisation_id, year, becon_id) VALUES ($1, $2, $3)
           ON CONFLICT (organisation_id, year) DO UPDATE SET becon_id = EXCLUDED.becon_id, updated_at = now()`,
          [organisationId, year, becon[0].id],
        );
      });
      return { year, beconNumber: number };
    },
  );
};

export default beconRoutes;
