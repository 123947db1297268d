import {
  chooseSigningCertificate,
  masterDataForYear,
  type CertificateChoice,
  type CertificateFacts,
  type CertificateMode,
  type CertificateSituation,
  type CertificateUsers,
  type MasterDataYear,
} from '../../domain/certificates';
import type { Pool, PoolClient } from '../pool';

/**
 * The hub's certificate set-up as the pure rules of domain/certificates.ts need it (C1–C5), the clients' master data
 * (C4), and who uses a certificate. Shared by the API, the filing's certificate choice and the runbook activities.
 */
type Db = Pool | PoolClient;

interface CertificateFactsRow {
  id: string;
  label: string;
  is_work_certificate: boolean;
  is_service_provider: boolean;
  kvk_number: string | null;
  organisation_name: string | null;
  letter_name: string | null;
  valid_from: Date;
  valid_to: Date;
}

/** The columns toCertificateFacts reads (never `sealed`). */
export const CERTIFICATE_FACTS_COLUMNS = 'id, label, is_work_certificate, is_service_provider, kvk_number, organisation_name, letter_name, valid_from, valid_to';

/**
 * Serialises changes to a hub's certificate set-up (groups, work certificate, Becons, master data, runbook locks) for
 * the rest of the transaction; the C2 triggers take the same lock.
 */
export async function lockCertificateSetup(db: PoolClient, hubId: string): Promise<void> {
  await db.query('SELECT certificate_setup_lock($1)', [hubId]);
}

export const toCertificateFacts = (r: CertificateFactsRow): CertificateFacts => ({
  id: r.id,
  label: r.label,
  isWorkCertificate: r.is_work_certificate,
  isServiceProvider: r.is_service_provider,
  kvkNumber: r.kvk_number,
  organisationName: r.organisation_name,
  letterName: r.letter_name,
  validFrom: r.valid_from.toISOString(),
  validTo: r.valid_to.toISOString(),
});

/** The installed (not deleted) certificates, groups and Becons of a hub, and its C1/C5 settings. */
export async function loadCertificateSituation(db: Db, hubId: string): Promise<CertificateSituation> {
  // One after the other: `db` may be a transaction's client, which runs one query at a time.
  const hub = await db.query<{ multi_certificate: boolean; certificate_mode: CertificateMode }>('SELECT multi_certificate, certificate_mode FROM hubs WHERE id = $1', [hubId]);
  // Only the metadata: never the sealed PKCS#12.
  const certificates = await db.query<CertificateFactsRow>(`SELECT ${CERTIFICATE_FACTS_COLUMNS} FROM certificates WHERE hub_id = $1 AND deleted_at IS NULL ORDER BY created_at`, [hubId]);
  const groups = await db.query<{ id: string; name: string; certificate_id: string | null }>('SELECT id, name, certificate_id FROM certificate_groups WHERE hub_id = $1 ORDER BY name', [hubId]);
  const becons = await db.query<{ id: string; number: string; group_id: string | null }>('SELECT id, number, group_id FROM becons WHERE hub_id = $1 ORDER BY number', [hubId]);
  if (!hub.rows[0]) throw new Error(`hub ${hubId} does not exist`);
  return {
    multiCertificate: hub.rows[0].multi_certificate,
    certificateMode: hub.rows[0].certificate_mode,
    certificates: certificates.rows.map(toCertificateFacts),
    groups: groups.rows.map((g) => ({ id: g.id, name: g.name, certificateId: g.certificate_id })),
    becons: becons.rows.map((b) => ({ id: b.id, number: b.number, groupId: b.group_id })),
  };
}

export async function masterDataOf(db: Db, organisationId: string): Promise<MasterDataYear[]> {
  const { rows } = await db.query<{ year: number; becon_id: string }>(
    'SELECT year, becon_id FROM client_master_data WHERE organisation_id = $1 ORDER BY year',
    [organisationId],
  );
  return rows.map((r) => ({ year: r.year, beconId: r.becon_id }));
}

/** Master data of every client of a hub, by organisation id. */
export async function masterDataOfHub(db: Db, hubId: string): Promise<Map<string, MasterDataYear[]>> {
  const { rows } = await db.query<{ organisation_id: string; year: number; becon_id: string }>(
    `SELECT m.organisation_id, m.year, m.becon_id FROM client_master_data m JOIN organisations o ON o.id = m.organisation_id
      WHERE o.hub_id = $1 ORDER BY m.year`,
    [hubId],
  );
  const byClient = new Map<string, MasterDataYear[]>();
  for (const r of rows) byClient.set(r.organisation_id, [...(byClient.get(r.organisation_id) ?? []), { year: r.year, beconId: r.becon_id }]);
  return byClient;
}

/**
 * The Becon a client's filing for `year` is filed under: the latest master-data year up to `year` decides (C4).
 * Undefined when the client has no master data up to that year. For the XBRL header (ContactType INT with
 * TaxConsultantNumber).
 */
export async function beconNumberFor(db: Db, organisationId: string, year: number): Promise<string | undefined> {
  const md = masterDataForYear(await masterDataOf(db, organisationId), year);
  if (!md) return undefined;
  const { rows } = await db.query<{ number: string }>('SELECT number FROM becons WHERE id = $1', [md.beconId]);
  return rows[0]?.number;
}

/**
 * C1, C4, C5, C7: the certificate (and role) that signs for a client, given the administration's choice. Throws
 * RuleViolation (C2 no work certificate, C5 no service provider's certificate, C7 expired).
 */
export async function chooseCertificateFor(
  db: Db,
  input: { hubId: string; organisationId: string | null; administrationId: string | null; now: Date },
): Promise<CertificateChoice> {
  const situation = await loadCertificateSituation(db, input.hubId);
  const masterData = input.organisationId ? await masterDataOf(db, input.organisationId) : [];
  let administrationMode: CertificateMode | null = null;
  if (input.administrationId) {
    const { rows } = await db.query<{ certificate_mode: CertificateMode | null }>('SELECT certificate_mode FROM administrations WHERE id = $1', [input.administrationId]);
    administrationMode = rows[0]?.certificate_mode ?? null;
  }
  return chooseSigningCertificate(situation, { administrationMode, masterData, now: input.now });
}

/** Everything that still uses a certificate (a deletion is refused while the list is not empty). */
export async function certificateUsers(db: Db, certificateId: string): Promise<CertificateUsers> {
  const { rows: cert } = await db.query<{ is_work_certificate: boolean; is_service_provider: boolean; hub_id: string }>(
    'SELECT is_work_certificate, is_service_provider, hub_id FROM certificates WHERE id = $1',
    [certificateId],
  );
  const { rows: groups } = await db.query<{ name: string; becons: string[] | null; clients: number }>(
    `SELECT g.name, array_agg(DISTINCT b.number) FILTER (WHERE b.number IS NOT NULL) AS becons,
            count(DISTINCT m.organisation_id)::int AS clients
       FROM certificate_groups g
       LEFT JOIN becons b ON b.group_id = g.id
       LEFT JOIN client_master_data m ON m.becon_id = b.id
      WHERE g.certificate_id = $1
      GROUP BY g.name`,
    [certificateId],
  );
  // Messages that still need the certificate: to be sent, in doubt (reconcile, a person's decision), or waiting for
  // statuses read with it (filings; mandate messages whose mandate is still open).
  const { rows: counts } = await db.query<{ mandates: number; messages: number }>(
    `SELECT (SELECT count(*)::int FROM mandates WHERE certificate_id = $1 AND state IN ('REQUESTED', 'ONTVANGEN', 'ACTIVE')) AS mandates,
            (SELECT count(*)::int FROM messages WHERE certificate_id = $1 AND delivery_state IN ('ready', 'submitting', 'submitted', 'needs_human'))
          + (SELECT count(*)::int FROM mandate_messages x JOIN mandates m ON m.id = x.mandate_id
              WHERE x.certificate_id = $1 AND (x.delivery_state IN ('ready', 'submitting', 'needs_human')
                 OR (x.delivery_state = 'submitted' AND m.state IN ('REQUESTED', 'ONTVANGEN', 'ACTIVE')))) AS messages`,
    [certificateId],
  );
  const { rows: runbooks } = await db.query<{ runbook_id: string }>('SELECT runbook_id FROM runbook_locks WHERE certificate_id = $1', [certificateId]);
  return {
    workCertificate: cert[0]?.is_work_certificate ?? false,
    serviceProvider: cert[0]?.is_service_provider ?? false,
    groups: groups.map((g) => ({ name: g.name, becons: g.becons ?? [], clients: g.clients })),
    openMandates: counts[0].mandates,
    openMessages: counts[0].messages,
    runbooks: runbooks.map((r) => r.runbook_id),
  };
}

/**
 * The hub's certificates (or one) with their group, letter name, expiry warnings and current C7 proposal, for lists:
 * the metadata only, never the sealed PKCS#12.
 */
export async function certificateDetailRows(db: Db, hubId: string, id?: string): Promise<Record<string, unknown>[]> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT c.id, c.hub_id, c.label, c.is_work_certificate, c.subject, c.subject_serial_number, c.kvk_number, c.organisation_name, c.issuer,
            c.serial_number, c.fingerprint256, c.valid_from, c.valid_to, c.letter_name, c.is_service_provider, c.installed_at, g.name AS group_name,
            coalesce((SELECT json_agg(json_build_object('thresholdDays', w.threshold_days, 'warnedAt', w.warned_at, 'proposal', w.proposal, 'text', w.text)
                        ORDER BY w.threshold_days DESC) FROM certificate_expiry_warnings w WHERE w.certificate_id = c.id), '[]') AS warnings,
            p.proposal AS current_proposal, p.text AS current_text, p.computed_at AS current_computed_at,
            r.id AS replacement_id, r.label AS replacement_label, r.kvk_number AS replacement_kvk, r.valid_to AS replacement_valid_to
       FROM certificates c LEFT JOIN certificate_groups g ON g.certificate_id = c.id
       LEFT JOIN certificate_expiry_proposals p ON p.certificate_id = c.id LEFT JOIN certificates r ON r.id = p.replacement_certificate_id
      WHERE c.hub_id = $1 AND c.deleted_at IS NULL AND ($2::uuid IS NULL OR c.id = $2) ORDER BY c.created_at`,
    [hubId, id ?? null],
  );
  return rows;
}
