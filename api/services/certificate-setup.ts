import {
  assertGroupAssignment,
  assertWorkCertificateChoice,
  ownCertificateForClient,
  workCertificateOf,
  type CertificateSituation,
  type MasterDataYear,
} from '../../domain/certificates';
import { RuleViolation, ValidationError } from '../../domain/errors';
import { isValidBeconNumber } from '../../domain/identifiers';
import { inTransaction, type Pool, type PoolClient } from '../../db/pool';
import { loadCertificateSituation, lockCertificateSetup, masterDataOf } from '../../db/repositories/certificates';
import { writeLog } from '../../db/repositories/communication-log';
import type { Hub } from '../../db/repositories/hubs';
import { assertBeconNotInRunbook, assertClientNotInRunbook, assertGroupNotInRunbook } from '../../db/repositories/certificate-guards';
import { assertNotLockedByRunbook } from '../../db/repositories/runbooks';
import { HttpError } from '../plugins/errors';
import { assertChangeKeepsKvk, certificatesInUse } from './certificate-guards';

/**
 * Which certificate signs for whom, for the JSON API and the staff console alike: several certificates on or off (C1),
 * certificate groups (C1, C2: never the work certificate), the work certificate (C2), Becons pointing at a group
 * (C1) and the clients' Becon per year (C4). Every change is refused (nothing changed) while a runbook holds what it
 * touches (RB), or when it would move a client with an open mandate to a certificate of another KvK number (RB1).
 * `by` is the person, as the log names them.
 */
type Db = Pool | PoolClient;

const log = (db: PoolClient, hub: Hub, text: string) => writeLog(db, { hubId: hub.id, environment: hub.environmentCode, step: 'certificate', level: 'I', text });

/** The C2 trigger is the last line: its refusal is the same rule. */
function databaseRefusal(err: unknown): never {
  const pg = err as { code?: string; message?: string };
  if (pg.code === '23514' && pg.message?.startsWith('C2')) throw new RuleViolation('C2', pg.message.replace(/^C2: /, ''), 'invalid');
  if (pg.code === '23505') throw new RuleViolation('C1', 'a group with that name exists, or the certificate is in another group already', 'conflict');
  throw err;
}

// --- Settings (C1, C2, C5) ---

export interface CertificateSettings {
  multiCertificate: boolean;
  certificateMode: 'own' | 'service-provider';
  workCertificateId: string | null;
  serviceProviderCertificateId: string | null;
}

export async function certificateSettings(db: Db, hubId: string): Promise<CertificateSettings> {
  const situation = await loadCertificateSituation(db, hubId);
  return {
    multiCertificate: situation.multiCertificate,
    certificateMode: situation.certificateMode,
    workCertificateId: workCertificateOf(situation)?.id ?? null,
    serviceProviderCertificateId: situation.certificates.find((c) => c.isServiceProvider)?.id ?? null,
  };
}

/** C1: switching off is refused while Becons use a group's certificate (RB3 moves them); on is guarded by RB1. */
export async function setMultiCertificate(pool: Pool, hub: Hub, enabled: boolean, by: string | undefined): Promise<CertificateSettings> {
  await inTransaction(pool, async (db) => {
    await lockCertificateSetup(db, hub.id);
    // RB: the switch changes the certificate of every client on a Becon with a group; not while a runbook holds one.
    await assertNotLockedByRunbook(db, certificatesInUse(await loadCertificateSituation(db, hub.id)));
    if (!enabled) {
      const { rows } = await db.query<{ number: string }>(
        `SELECT b.number FROM becons b JOIN certificate_groups g ON g.id = b.group_id WHERE b.hub_id = $1 AND g.certificate_id IS NOT NULL ORDER BY b.number`,
        [hub.id],
      );
      if (rows.length) throw new RuleViolation('C1', `Becon ${rows.map((r) => r.number).join(', ')} use(s) a group's certificate: move them with runbook RB3 before switching off`, 'conflict');
    }
    // RB1: switching on moves the clients of Becons with a group to that group's certificate.
    await assertChangeKeepsKvk(db, hub.id, (draft) => (draft.multiCertificate = enabled));
    await db.query('UPDATE hubs SET multi_certificate = $2 WHERE id = $1', [hub.id, enabled]);
    await log(db, hub, `several certificates switched ${enabled ? 'on' : 'off'} by ${by}`);
  });
  return certificateSettings(pool, hub.id);
}

/** C2: the work certificate; a certificate in a group is refused ("Invalid certificate specified"), an expired one (C7). */
export async function setWorkCertificate(pool: Pool, hub: Hub, certificateId: string, by: string | undefined, now: Date): Promise<CertificateSettings> {
  await inTransaction(pool, async (db) => {
    await lockCertificateSetup(db, hub.id);
    const situation = await loadCertificateSituation(db, hub.id);
    await assertNotLockedByRunbook(db, [workCertificateOf(situation)?.id, certificateId]);
    assertWorkCertificateChoice(situation, certificateId, now);
    // RB1: every client on the work certificate gets the new one.
    await assertChangeKeepsKvk(db, hub.id, (draft) => {
      draft.certificates = draft.certificates.map((c) => ({ ...c, isWorkCertificate: c.id === certificateId }));
    });
    try {
      await db.query('UPDATE certificates SET is_work_certificate = false WHERE hub_id = $1 AND is_work_certificate AND id <> $2', [hub.id, certificateId]);
      await db.query('UPDATE certificates SET is_work_certificate = true WHERE id = $1 AND hub_id = $2 AND deleted_at IS NULL', [certificateId, hub.id]);
    } catch (err) {
      // The C2 trigger is the last line (a change the check above could not see): the same rule, not a 500.
      const pg = err as { code?: string; message?: string };
      if (pg.code === '23514' && pg.message?.startsWith('C2')) throw new RuleViolation('C2', pg.message.replace(/^C2: /, ''), 'invalid');
      throw err;
    }
    await log(db, hub, `work certificate ${certificateId} decided by ${by}`);
  });
  return certificateSettings(pool, hub.id);
}

// --- Groups (C1, C2) ---

export interface CertificateGroup {
  id: string;
  name: string;
  certificateId: string | null;
  certificateLabel: string | null;
  becons: string[];
}

export async function certificateGroups(db: Db, hubId: string, id?: string): Promise<CertificateGroup[]> {
  const { rows } = await db.query<{ id: string; name: string; certificate_id: string | null; label: string | null; becons: string[] | null }>(
    `SELECT g.id, g.name, g.certificate_id, c.label, array_agg(b.number ORDER BY b.number) FILTER (WHERE b.number IS NOT NULL) AS becons
       FROM certificate_groups g LEFT JOIN certificates c ON c.id = g.certificate_id LEFT JOIN becons b ON b.group_id = g.id
      WHERE g.hub_id = $1 AND ($2::uuid IS NULL OR g.id = $2) GROUP BY g.id, c.label ORDER BY g.name`,
    [hubId, id ?? null],
  );
  return rows.map((r) => ({ id: r.id, name: r.name, certificateId: r.certificate_id, certificateLabel: r.label, becons: r.becons ?? [] }));
}

/** C1: a new group, optionally with its certificate (C2: never the work certificate; C7: not an expired one). */
export async function addCertificateGroup(pool: Pool, hub: Hub, input: { name: string; certificateId?: string | null }, by: string | undefined): Promise<CertificateGroup> {
  const certificateId = input.certificateId ?? null;
  const created = await inTransaction(pool, async (db) => {
    await lockCertificateSetup(db, hub.id);
    await assertNotLockedByRunbook(db, [certificateId]);
    assertGroupAssignment(await loadCertificateSituation(db, hub.id), null, certificateId, new Date());
    const { rows } = await db
      .query<{ id: string }>('INSERT INTO certificate_groups (hub_id, name, certificate_id) VALUES ($1, $2, $3) RETURNING id', [hub.id, input.name, certificateId])
      .catch(databaseRefusal);
    await log(db, hub, `certificate group "${input.name}" added by ${by}`);
    return rows[0].id;
  });
  return (await certificateGroups(pool, hub.id, created))[0];
}

/** C1, C2: a group's certificate (null: empty). The work certificate is refused with C2 "Invalid certificate specified". */
export async function setGroupCertificate(pool: Pool, hub: Hub, groupId: string, certificateId: string | null, by: string | undefined): Promise<CertificateGroup> {
  await inTransaction(pool, async (db) => {
    await lockCertificateSetup(db, hub.id);
    const { rows } = await db.query<{ name: string; certificate_id: string | null }>('SELECT name, certificate_id FROM certificate_groups WHERE id = $1 AND hub_id = $2 FOR UPDATE', [groupId, hub.id]);
    if (!rows[0]) throw new HttpError(404, `no certificate group ${groupId}`);
    await assertNotLockedByRunbook(db, [rows[0].certificate_id, certificateId]);
    await assertGroupNotInRunbook(db, hub.id, rows[0].name);
    assertGroupAssignment(await loadCertificateSituation(db, hub.id), groupId, certificateId, new Date());
    // RB1: the clients of the group's Becons get the new certificate (the work certificate for an empty group).
    await assertChangeKeepsKvk(db, hub.id, (draft) => {
      draft.groups = draft.groups.map((g) => (g.id === groupId ? { ...g, certificateId } : g));
    });
    await db.query('UPDATE certificate_groups SET certificate_id = $2 WHERE id = $1', [groupId, certificateId]).catch(databaseRefusal);
    await log(db, hub, `certificate group "${rows[0].name}": certificate ${certificateId ?? 'none'} (by ${by})`);
  });
  return (await certificateGroups(pool, hub.id, groupId))[0];
}

/** C1: only a group no Becon points at is removed. */
export async function removeCertificateGroup(pool: Pool, hub: Hub, groupId: string, by: string | undefined): Promise<void> {
  await inTransaction(pool, async (db) => {
    await lockCertificateSetup(db, hub.id);
    const [group] = await certificateGroups(db, hub.id, groupId);
    if (!group) throw new HttpError(404, `no certificate group ${groupId}`);
    // RB: not while a runbook holds its certificate or its plan uses the group. (Only a group no Becon points at
    // is removed, so no client changes certificate: nothing for RB1 to guard.)
    await assertNotLockedByRunbook(db, [group.certificateId]);
    await assertGroupNotInRunbook(db, hub.id, group.name);
    if (group.becons.length) throw new RuleViolation('C1', `Becon ${group.becons.join(', ')} point(s) at group "${group.name}": select another group on them first`, 'conflict');
    await db.query('DELETE FROM certificate_groups WHERE id = $1', [group.id]);
    await log(db, hub, `certificate group "${group.name}" removed by ${by}`);
  });
}

// --- Becons (C1) and master data per year (C4) ---

export interface Becon {
  number: string;
  name: string;
  groupName: string | null;
  clients: number;
}

export async function listBecons(db: Db, hubId: string, number?: string): Promise<Becon[]> {
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
async function groupIdFor(db: Db, hubId: string, groupName: string | null | undefined): Promise<string | null> {
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

export async function addBecon(pool: Pool, hub: Hub, input: { number: string; name: string; groupName?: string | null }): Promise<Becon> {
  const number = beconNumber(input.number);
  await inTransaction(pool, async (db) => {
    await lockCertificateSetup(db, hub.id);
    const groupId = await groupIdFor(db, hub.id, input.groupName);
    if (groupId) {
      // RB: not onto a group whose certificate a runbook holds, or that its plan changes. A new Becon has no
      // clients yet, so it cannot move a mandate to another KvK number (RB1): that is guarded where clients get it.
      await assertNotLockedByRunbook(db, [certificateOfGroup(await loadCertificateSituation(db, hub.id), groupId)]);
      await assertGroupNotInRunbook(db, hub.id, input.groupName!);
    }
    await db.query('INSERT INTO becons (hub_id, number, name, group_id) VALUES ($1, $2, $3, $4)', [hub.id, number, input.name, groupId]).catch((err: { code?: string }) => {
      if (err.code === '23505') throw new HttpError(409, `Becon ${number} is already registered in this hub`);
      throw err;
    });
  });
  return (await listBecons(pool, hub.id, number))[0];
}

/** C1: a Becon's name and group (null: none, the work certificate); RB/RB1 guard its clients' certificate. */
export async function updateBecon(pool: Pool, hub: Hub, number: string, change: { name?: string; groupName?: string | null }, by: string | undefined): Promise<Becon> {
  await inTransaction(pool, async (db) => {
    await lockCertificateSetup(db, hub.id);
    const setGroup = change.groupName !== undefined;
    const groupId = setGroup ? await groupIdFor(db, hub.id, change.groupName) : null;
    if (setGroup) {
      const { rows: current } = await db.query<{ group_id: string | null }>('SELECT group_id FROM becons WHERE hub_id = $1 AND number = $2', [hub.id, number]);
      if (current[0] && current[0].group_id !== groupId) {
        // Its clients move from the certificate of the old group to that of the new one.
        const situation = await loadCertificateSituation(db, hub.id);
        await assertNotLockedByRunbook(db, [certificateOfGroup(situation, current[0].group_id), certificateOfGroup(situation, groupId)]);
        await assertBeconNotInRunbook(db, hub.id, number);
        // RB1: not when that moves a client with an open mandate to another KvK number.
        await assertChangeKeepsKvk(db, hub.id, (draft) => {
          draft.becons = draft.becons.map((b) => (b.number === number ? { ...b, groupId } : b));
        });
      }
    }
    const { rowCount } = await db.query(
      `UPDATE becons SET name = coalesce($3, name), group_id = CASE WHEN $4 THEN $5::uuid ELSE group_id END WHERE hub_id = $1 AND number = $2`,
      [hub.id, number, change.name ?? null, setGroup, groupId],
    );
    if (!rowCount) throw new HttpError(404, `no Becon ${number}`);
    if (setGroup) await log(db, hub, `Becon ${number}: certificate group ${change.groupName ?? 'none'} (by ${by})`);
  });
  return (await listBecons(pool, hub.id, number))[0];
}

/** A client's Becon per year (C4). */
export async function clientMasterData(db: Db, hub: Hub, organisationId: string): Promise<{ year: number; beconNumber: string }[]> {
  const { rows } = await db.query<{ year: number; number: string }>(
    `SELECT m.year, b.number FROM client_master_data m JOIN becons b ON b.id = m.becon_id JOIN organisations o ON o.id = m.organisation_id
      WHERE m.organisation_id = $1 AND o.hub_id = $2 ORDER BY m.year`,
    [organisationId, hub.id],
  );
  return rows.map((r) => ({ year: r.year, beconNumber: r.number }));
}

/** Every client's Becon per year (C4), for the console's table: client name, year, Becon. */
export async function hubMasterData(db: Db, hub: Hub): Promise<{ organisationId: string; clientName: string; year: number; beconNumber: string; beconName: string }[]> {
  const { rows } = await db.query<{ organisation_id: string; client_name: string; year: number; number: string; becon_name: string }>(
    `SELECT m.organisation_id, o.name AS client_name, m.year, b.number, b.name AS becon_name
       FROM client_master_data m JOIN becons b ON b.id = m.becon_id JOIN organisations o ON o.id = m.organisation_id
      WHERE o.hub_id = $1 ORDER BY o.name, o.id, m.year`,
    [hub.id],
  );
  return rows.map((r) => ({ organisationId: r.organisation_id, clientName: r.client_name, year: r.year, beconNumber: r.number, beconName: r.becon_name }));
}

/** C4: the Becon of a client's year; its latest year decides its certificate (RB, RB1 guard a change of certificate). */
export async function setClientMasterData(pool: Pool, hub: Hub, organisationId: string, year: number, beconNumberValue: string): Promise<{ year: number; beconNumber: string }> {
  const number = beconNumber(beconNumberValue);
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
}
