import { RuleViolation } from '../../domain/errors';
import type { CertificateSetup, OpenMandateUnderKvk } from '../../domain/certificates';
import type { Pool, PoolClient } from '../pool';
import { loadCertificateSituation, masterDataOfHub } from './certificates';
import { LOCKING_PHASES } from './runbooks';

/**
 * What the guards of the staff API's write paths on certificates, groups, Becons and settings read: the whole set-up
 * with the clients' master data and the open mandates (RB1), and the plans of runbooks that may still act (RB).
 */
type Db = Pool | PoolClient;

export async function loadCertificateSetup(db: Db, hubId: string): Promise<CertificateSetup> {
  const situation = await loadCertificateSituation(db, hubId);
  return { ...situation, masterData: await masterDataOfHub(db, hubId) };
}

/** Open mandates of the hub with the KvK number the register knows each under (behind its certificate). */
export async function openMandatesUnderKvk(db: Db, hubId: string): Promise<OpenMandateUnderKvk[]> {
  const { rows } = await db.query<{
    id: string;
    organisation_id: string;
    name: string;
    service: string;
    year: number;
    continuing: boolean;
    state: string;
    certificate_id: string;
    kvk_number: string | null;
  }>(
    `SELECT m.id, m.organisation_id, o.name, m.service, m.year, m.continuing, m.state, m.certificate_id,
            coalesce(m.intermediary_kvk, c.kvk_number) AS kvk_number
       FROM mandates m JOIN organisations o ON o.id = m.organisation_id JOIN certificates c ON c.id = m.certificate_id
      WHERE m.hub_id = $1 AND m.state IN ('REQUESTED', 'ONTVANGEN', 'ACTIVE') ORDER BY o.name, m.service, m.year, m.id`,
    [hubId],
  );
  return rows.map((r) => ({
    id: r.id,
    organisationId: r.organisation_id,
    clientName: r.name,
    service: r.service,
    year: r.year,
    continuing: r.continuing,
    state: r.state,
    certificateId: r.certificate_id,
    kvkNumber: r.kvk_number,
  }));
}

async function refuseWhenPlanned(db: Db, what: string, hubId: string, condition: string, value: string): Promise<void> {
  const { rows } = await db.query<{ id: string; kind: string; phase: string }>(
    `SELECT id, kind, phase FROM runbooks WHERE hub_id = $1 AND phase = ANY($2) AND plan IS NOT NULL AND (${condition}) ORDER BY created_at LIMIT 1`,
    [hubId, LOCKING_PHASES, value],
  );
  if (rows[0]) {
    throw new RuleViolation('RB', `${what} is in the plan of runbook ${rows[0].id} (${rows[0].kind}, ${rows[0].phase}): wait until it ends, or cancel it; nothing changed`, 'conflict');
  }
}

/** A client that a runbook's plan touches (its certificate, Becon or mandates change) is not changed under it. */
export async function assertClientNotInRunbook(db: Db, hubId: string, organisationId: string): Promise<void> {
  const member = (list: string) => `plan->'${list}' @> jsonb_build_array(jsonb_build_object('organisationId', $3::text))`;
  await refuseWhenPlanned(db, `client ${organisationId}`, hubId, [member('clients'), member('clientBecons'), member('mandatesToRevoke')].join(' OR '), organisationId);
}

/** A certificate group a runbook's plan fills, empties or points Becons at is not changed under it. */
export async function assertGroupNotInRunbook(db: Db, hubId: string, groupName: string): Promise<void> {
  await refuseWhenPlanned(
    db,
    `certificate group "${groupName}"`,
    hubId,
    `plan->'groups' @> jsonb_build_array(jsonb_build_object('name', $3::text))
       OR plan->'becons' @> jsonb_build_array(jsonb_build_object('groupBefore', $3::text))
       OR plan->'becons' @> jsonb_build_array(jsonb_build_object('groupAfter', $3::text))
       OR plan->'replace' @> jsonb_build_object('groupName', $3::text)`,
    groupName,
  );
}

/** A Becon whose group a runbook's plan changes is not changed under it. */
export async function assertBeconNotInRunbook(db: Db, hubId: string, number: string): Promise<void> {
  await refuseWhenPlanned(db, `Becon ${number}`, hubId, `plan->'becons' @> jsonb_build_array(jsonb_build_object('number', $3::text))`, number);
}
