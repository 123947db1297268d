import { assertUsable, letterNameOf, ownCertificateForClient } from '../../domain/certificates';
import {
  assertNoRunningRetrieval,
  assertSameIntermediary,
  assertViaYear,
  defaultViaYear,
  viaMandateFor,
  viaRetrievalWorkflowId,
  type MandateFacts,
  type ViaRetrievalState,
} from '../../domain/via';
import type { ViaData } from '../../integrations/via/format';
import type { Pool, PoolClient } from '../pool';
import { loadCertificateSituation, masterDataOf } from './certificates';

/** VIA retrievals and the data they stored, per client and year. */
type Db = Pool | PoolClient;

export interface ViaRetrievalRow {
  id: string;
  seq: string;
  hub_id: string;
  organisation_id: string;
  year: number;
  sequence: number;
  mandate_id: string | null;
  certificate_id: string;
  becon_number: string | null;
  fiscal_number: string;
  state: ViaRetrievalState;
  workflow_id: string;
  requested_by: string;
  attempt: number;
  aanleverkenmerk: string | null;
  kenmerk: string | null;
  refusal_code: string | null;
  reason: string | null;
  check_problem: string | null;
  created_at: Date;
  submitted_at: Date | null;
  finished_at: Date | null;
}

export interface ViaDataRow {
  organisation_id: string;
  year: number;
  version: number;
  hub_id: string;
  retrieval_id: string;
  data: ViaData;
  content_xml: string;
  answered_at: Date;
  fetched_at: Date;
}

export interface ViaRetrievalRequest {
  hubId: string;
  participant: string;
  organisationId: string;
  /** Undefined: the client's most recent master-data year (C4). */
  year?: number;
  requestedBy: string;
  now: Date;
}

export interface ResolvedViaRetrieval {
  year: number;
  mandate: MandateFacts;
  fiscalNumber: string;
  certificateId: string;
  certificateLabel: string;
  letterName: string;
  beconNumber: string | null;
}

/**
 * Everything a retrieval needs, checked before anything is stored or sent: the client, the year (default its most
 * recent master-data year, C4), an ACTIVE VIA mandate covering it (C6), and the certificate of the client's Becon in
 * its latest year (C4, C1) that is usable (C7) and of the KvK number the register knows the mandate under (RB1).
 * Throws RuleViolation / ValidationError; changes nothing. Undefined: the client is not in this hub.
 */
export async function resolveViaRetrieval(db: Db, request: ViaRetrievalRequest): Promise<ResolvedViaRetrieval | undefined> {
  const { rows: organisation } = await db.query('SELECT 1 FROM organisations WHERE id = $1 AND hub_id = $2', [request.organisationId, request.hubId]);
  if (!organisation[0]) return undefined;
  const masterData = await masterDataOf(db, request.organisationId);
  const year = request.year ?? defaultViaYear(masterData);
  assertViaYear(year);
  const { rows: mandates } = await db.query<{ id: string; service: 'SBA' | 'VIA'; year: number; continuing: boolean; state: MandateFacts['state']; intermediary_kvk: string | null; fiscal_number: string }>(
    `SELECT id, service, year, continuing, state, intermediary_kvk, fiscal_number FROM mandates
      WHERE organisation_id = $1 AND hub_id = $2 AND service = 'VIA' ORDER BY created_at DESC`,
    [request.organisationId, request.hubId],
  );
  const mandate = viaMandateFor(
    mandates.map((m) => ({ id: m.id, service: m.service, year: m.year, continuing: m.continuing, state: m.state, intermediaryKvk: m.intermediary_kvk })),
    year,
  );
  const situation = await loadCertificateSituation(db, request.hubId);
  const choice = ownCertificateForClient(situation, masterData);
  const certificate = situation.certificates.find((c) => c.id === choice.certificateId)!;
  assertUsable(certificate, request.now);
  assertSameIntermediary(mandate, certificate);
  return {
    year,
    mandate,
    fiscalNumber: mandates.find((m) => m.id === mandate.id)!.fiscal_number,
    certificateId: certificate.id,
    certificateLabel: certificate.label,
    letterName: letterNameOf(certificate),
    beconNumber: choice.beconNumber ?? null,
  };
}

/** Stores a new retrieval (requested), ready to be sent by its workflow. One running per client and year. */
export async function createViaRetrieval(client: PoolClient, request: ViaRetrievalRequest): Promise<ViaRetrievalRow | undefined> {
  // One retrieval of a client at a time gets past the checks and the insert (mandate changes take the same lock).
  await client.query('SELECT id FROM organisations WHERE id = $1 FOR UPDATE', [request.organisationId]);
  const resolved = await resolveViaRetrieval(client, request);
  if (!resolved) return undefined;
  const { rows: running } = await client.query<{ id: string }>(
    `SELECT id FROM via_retrievals WHERE organisation_id = $1 AND year = $2 AND state IN ('requested', 'submitted')`,
    [request.organisationId, resolved.year],
  );
  assertNoRunningRetrieval(resolved.year, running[0]);
  const { rows: seq } = await client.query<{ next: number }>(
    'SELECT coalesce(max(sequence), 0) + 1 AS next FROM via_retrievals WHERE organisation_id = $1 AND year = $2',
    [request.organisationId, resolved.year],
  );
  const sequence = seq[0].next;
  const { rows } = await client.query<ViaRetrievalRow>(
    `INSERT INTO via_retrievals (hub_id, organisation_id, year, sequence, mandate_id, certificate_id, becon_number, fiscal_number, state,
       workflow_id, requested_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'requested', $9, $10) RETURNING *`,
    [
      request.hubId, request.organisationId, resolved.year, sequence, resolved.mandate.id, resolved.certificateId, resolved.beconNumber,
      resolved.fiscalNumber, viaRetrievalWorkflowId(request.participant, request.organisationId, resolved.year, sequence), request.requestedBy,
    ],
  );
  return rows[0];
}

export async function viaRetrievalById(db: Db, id: string, forUpdate = false): Promise<ViaRetrievalRow | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const { rows } = await db.query<ViaRetrievalRow>(`SELECT * FROM via_retrievals WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0];
}

export async function viaRetrievalsOf(db: Db, hubId: string, organisationId: string, year?: number): Promise<ViaRetrievalRow[]> {
  const { rows } = await db.query<ViaRetrievalRow>(
    `SELECT * FROM via_retrievals WHERE hub_id = $1 AND organisation_id = $2 AND ($3::int IS NULL OR year = $3) ORDER BY created_at DESC, seq DESC LIMIT 200`,
    [hubId, organisationId, year ?? null],
  );
  return rows;
}

/** Stores the data of a retrieval as the next version of its client and year; once per retrieval. */
export async function storeViaData(db: PoolClient, r: ViaRetrievalRow, answer: { data: ViaData; contentXml: string; answeredAt: string }): Promise<number> {
  const { rows: existing } = await db.query<{ version: number }>('SELECT version FROM via_data WHERE retrieval_id = $1', [r.id]);
  if (existing[0]) return existing[0].version;
  // Versions of one client and year are numbered under the organisation's row lock the caller holds.
  const { rows } = await db.query<{ version: number }>(
    `INSERT INTO via_data (organisation_id, year, version, hub_id, retrieval_id, data, content_xml, answered_at)
     SELECT $1, $2, coalesce(max(version), 0) + 1, $3, $4, $5, $6, $7 FROM via_data WHERE organisation_id = $1 AND year = $2
     RETURNING version`,
    [r.organisation_id, r.year, r.hub_id, r.id, JSON.stringify(answer.data), answer.contentXml, answer.answeredAt],
  );
  return rows[0].version;
}

/** The stored data of a client and year: the given version, else the latest. */
export async function viaDataOf(db: Db, hubId: string, organisationId: string, year: number, version?: number): Promise<ViaDataRow | undefined> {
  const { rows } = await db.query<ViaDataRow>(
    `SELECT * FROM via_data WHERE hub_id = $1 AND organisation_id = $2 AND year = $3 AND ($4::int IS NULL OR version = $4)
      ORDER BY version DESC LIMIT 1`,
    [hubId, organisationId, year, version ?? null],
  );
  return rows[0];
}

export async function viaDataVersions(db: Db, organisationId: string, year: number): Promise<{ version: number; retrieval_id: string; fetched_at: Date; answered_at: Date }[]> {
  const { rows } = await db.query<{ version: number; retrieval_id: string; fetched_at: Date; answered_at: Date }>(
    'SELECT version, retrieval_id, fetched_at, answered_at FROM via_data WHERE organisation_id = $1 AND year = $2 ORDER BY version DESC',
    [organisationId, year],
  );
  return rows;
}

export function viaRetrievalView(r: ViaRetrievalRow, dataVersion: number | null = null) {
  return {
    id: r.id,
    organisationId: r.organisation_id,
    year: r.year,
    sequence: r.sequence,
    state: r.state,
    mandateId: r.mandate_id,
    certificateId: r.certificate_id,
    beconNumber: r.becon_number,
    workflowId: r.workflow_id,
    requestedBy: r.requested_by,
    attempts: r.attempt,
    aanleverkenmerk: r.aanleverkenmerk,
    kenmerk: r.kenmerk,
    refusalCode: r.refusal_code,
    reason: r.reason,
    checkProblem: r.check_problem,
    dataVersion,
    createdAt: r.created_at.toISOString(),
    submittedAt: r.submitted_at?.toISOString() ?? null,
    finishedAt: r.finished_at?.toISOString() ?? null,
  };
}

export type ViaRetrievalApiView = ReturnType<typeof viaRetrievalView>;

export async function viaDataVersionOfRetrieval(db: Db, retrievalId: string): Promise<number | null> {
  const { rows } = await db.query<{ version: number }>('SELECT version FROM via_data WHERE retrieval_id = $1', [retrievalId]);
  return rows[0]?.version ?? null;
}
