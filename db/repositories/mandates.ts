import {
  assertUsable,
  latestYear,
  letterNameOf,
  ownCertificateForClient,
  type CertificateChoice,
  type CertificateFacts,
} from '../../domain/certificates';
import {
  assertLetterNameConfirmed,
  assertMandateRequest,
  assertNoOpenMandate,
  fiscalNumberOf,
  mandateWorkflowId,
  OPEN_MANDATE_STATES,
  type MandateService,
  type MandateState,
} from '../../domain/mandates';
import { RuleViolation } from '../../domain/errors';
import { assertNotDeparted } from '../../domain/client-departures';
import type { MandateAuthorisation } from '../../domain/mandate-authorisation';
import { buildMandateMessage, MANDATE_BERICHTSOORTEN, type MandatePurpose } from '../../integrations/mandates/format';
import type { Pool, PoolClient } from '../pool';
import { loadCertificateSituation, masterDataOf } from './certificates';
import { departureOf } from './client-departures';

/** Mandate records (C6) and their Digipoort messages. */
type Db = Pool | PoolClient;

export interface MandateRow {
  id: string;
  hub_id: string;
  organisation_id: string;
  service: MandateService;
  year: number;
  continuing: boolean;
  sequence: number;
  state: MandateState;
  certificate_id: string;
  intermediary_kvk: string | null;
  letter_name: string | null;
  /** C3: the name the register printed on the letter, when it said; `letter_name_problem` when it differs. */
  register_letter_name: string | null;
  letter_name_problem: string | null;
  becon_id: string | null;
  fiscal_number: string;
  workflow_id: string;
  requested_by: string;
  /** The staff token that requested it (four eyes, C6); null for a runbook's re-request. */
  requested_by_token: string | null;
  requested_by_account: string | null;
  /** null: no authorisation was required; awaiting: held, nothing sent (C6). */
  authorisation: MandateAuthorisation | null;
  authorisation_decided_by: string | null;
  authorisation_decided_by_token: string | null;
  authorisation_decided_at: Date | null;
  authorisation_reason: string | null;
  runbook_id: string | null;
  replaces_mandate_id: string | null;
  revoke_requested_at: Date | null;
  revoke_requested_by: string | null;
  revoke_failed_reason: string | null;
  check_problem: string | null;
  reason: string | null;
  objection_deadline: Date | null;
  state_changed_at: Date;
  created_at: Date;
}

export interface MandateMessageRow {
  id: string;
  seq: number;
  mandate_id: string;
  purpose: MandatePurpose;
  berichtsoort: string;
  certificate_id: string;
  content_xml: string;
  delivery_state: 'ready' | 'submitting' | 'submitted' | 'failed' | 'needs_human';
  aanleverkenmerk: string | null;
  kenmerk: string | null;
  attempt: number;
  attempt_started_at: Date | null;
  submitted_at: Date | null;
  outcome: string | null;
  outcome_reason: string | null;
  created_at: Date;
  /** Why a person must decide about its open attempt (reconcile could not), when it waits for one. */
  in_doubt_reason?: string | null;
}

export interface MandateRequest {
  hubId: string;
  participant: string;
  organisationId: string;
  service: string;
  year: number;
  continuing: boolean;
  requestedBy: string;
  /** The staff token that asks (its identity decides who may authorise, C6). */
  requestedByToken?: string;
  /** The staff console account that asks (C6, like the token). */
  requestedByAccount?: string;
  /** C6: the hub requires a second person: the request is held until authorised. */
  holdForAuthorisation?: boolean;
  runbookId?: string;
  replacesMandateId?: string;
  /**
   * C3: the letter name the requester was shown and confirms; null: none was confirmed (refused). Undefined only for
   * a runbook's requests, whose plan showed the letter names and was confirmed as a whole.
   */
  confirmLetterName?: string | null;
  now: Date;
}

export interface ResolvedMandateRequest {
  service: MandateService;
  fiscalNumber: string;
  choice: CertificateChoice;
  certificate: CertificateFacts;
  /** C3: the firm name the client's letter will show. */
  letterName: string;
  beconId: string | null;
  beconNumber: string | null;
}

/**
 * Everything a request needs, checked: the client and its fiscal number, no open mandate for the same service and
 * year (C6), and the certificate of the client's Becon in its latest year (C4, C1) that is not expired (C7).
 * Throws RuleViolation / ValidationError; changes nothing.
 */
export async function resolveMandateRequest(db: Db, request: MandateRequest): Promise<ResolvedMandateRequest> {
  const key = { service: request.service, year: request.year, continuing: request.continuing };
  assertMandateRequest(key);
  const { rows: organisation } = await db.query<{ ob_number: string | null }>('SELECT ob_number FROM organisations WHERE id = $1 AND hub_id = $2', [
    request.organisationId,
    request.hubId,
  ]);
  if (!organisation[0]) throw new RuleViolation('C6', `client ${request.organisationId} is not in this hub`, 'invalid');
  assertNotDeparted(await departureOf(db, request.organisationId), 'a new mandate request');
  const fiscalNumber = fiscalNumberOf(organisation[0].ob_number);
  const { rows: existing } = await db.query<{ id: string; service: MandateService; year: number; continuing: boolean; state: MandateState }>(
    'SELECT id, service, year, continuing, state FROM mandates WHERE organisation_id = $1 AND state = ANY($2)',
    [request.organisationId, OPEN_MANDATE_STATES],
  );
  assertNoOpenMandate(key, existing);
  const situation = await loadCertificateSituation(db, request.hubId);
  const masterData = await masterDataOf(db, request.organisationId);
  const choice = ownCertificateForClient(situation, masterData);
  const certificate = situation.certificates.find((c) => c.id === choice.certificateId)!;
  assertUsable(certificate, request.now);
  const latest = latestYear(masterData);
  return {
    service: key.service,
    fiscalNumber,
    choice,
    certificate,
    letterName: letterNameOf(certificate),
    beconId: latest?.beconId ?? null,
    beconNumber: choice.beconNumber ?? null,
  };
}

/** Stores a new mandate (REQUESTED) and its request message, ready to be sent by the mandate's workflow. */
export async function createMandateRequest(client: PoolClient, request: MandateRequest): Promise<MandateRow> {
  // One request per client at a time: the exclusivity check and the insert must not interleave.
  await client.query('SELECT id FROM organisations WHERE id = $1 FOR UPDATE', [request.organisationId]);
  const resolved = await resolveMandateRequest(client, request);
  if (request.confirmLetterName !== undefined) assertLetterNameConfirmed(resolved.letterName, request.confirmLetterName);
  const { rows: seq } = await client.query<{ next: number }>(
    'SELECT coalesce(max(sequence), 0) + 1 AS next FROM mandates WHERE organisation_id = $1 AND service = $2 AND year = $3',
    [request.organisationId, resolved.service, request.year],
  );
  const sequence = seq[0].next;
  const { rows } = await client.query<MandateRow>(
    `INSERT INTO mandates (hub_id, organisation_id, service, year, continuing, sequence, state, certificate_id, intermediary_kvk,
       letter_name, becon_id, fiscal_number, workflow_id, requested_by, runbook_id, replaces_mandate_id, requested_by_token, authorisation, requested_by_account)
     VALUES ($1,$2,$3,$4,$5,$6,'REQUESTED',$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18) RETURNING *`,
    [
      request.hubId, request.organisationId, resolved.service, request.year, request.continuing, sequence, resolved.certificate.id,
      resolved.certificate.kvkNumber, resolved.letterName, resolved.beconId, resolved.fiscalNumber,
      mandateWorkflowId(request.participant, request.organisationId, resolved.service, request.year, sequence),
      request.requestedBy, request.runbookId ?? null, request.replacesMandateId ?? null, request.requestedByToken ?? null,
      request.holdForAuthorisation ? 'awaiting' : null, request.requestedByAccount ?? null,
    ],
  );
  await addMandateMessage(client, rows[0], 'request', resolved.beconNumber ?? undefined);
  return rows[0];
}

/** A message of the mandate, ready to send with the certificate the mandate was requested with. */
export async function addMandateMessage(
  db: Db,
  mandate: MandateRow,
  purpose: MandatePurpose,
  beconNumber?: string,
  activationCode?: string,
): Promise<MandateMessageRow> {
  const content = buildMandateMessage({
    purpose,
    service: mandate.service,
    year: mandate.year,
    continuing: mandate.continuing,
    fiscalNumber: mandate.fiscal_number,
    beconNumber,
    activationCode,
  });
  const { rows } = await db.query<MandateMessageRow>(
    `INSERT INTO mandate_messages (mandate_id, purpose, berichtsoort, certificate_id, content_xml, delivery_state)
     VALUES ($1, $2, $3, $4, $5, 'ready') RETURNING *`,
    [mandate.id, purpose, MANDATE_BERICHTSOORTEN[purpose], mandate.certificate_id, content],
  );
  return rows[0];
}

export async function mandateById(db: Db, id: string, forUpdate = false): Promise<MandateRow | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const { rows } = await db.query<MandateRow>(`SELECT * FROM mandates WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0];
}

export async function messagesOf(db: Db, mandateId: string): Promise<MandateMessageRow[]> {
  const { rows } = await db.query<MandateMessageRow>(
    `SELECT x.*, (SELECT a.in_doubt_reason FROM submission_attempts a WHERE a.mandate_message_id = x.id AND a.finished_at IS NULL) AS in_doubt_reason
       FROM mandate_messages x WHERE x.mandate_id = $1 ORDER BY x.seq`,
    [mandateId],
  );
  return rows;
}

/** The message of this purpose the mandate is working on: the latest that did not fail. */
export function currentMessage(messages: readonly MandateMessageRow[], purpose: MandatePurpose): MandateMessageRow | undefined {
  return [...messages].reverse().find((m) => m.purpose === purpose && m.delivery_state !== 'failed');
}

export function mandateView(m: MandateRow, messages: readonly MandateMessageRow[] = []) {
  return {
    id: m.id,
    organisationId: m.organisation_id,
    service: m.service,
    year: m.year,
    continuing: m.continuing,
    sequence: m.sequence,
    state: m.state,
    certificateId: m.certificate_id,
    intermediaryKvkNumber: m.intermediary_kvk,
    letterName: m.letter_name,
    registerLetterName: m.register_letter_name,
    letterNameProblem: m.letter_name_problem,
    workflowId: m.workflow_id,
    requestedBy: m.requested_by,
    authorisation: m.authorisation,
    authorisationDecidedBy: m.authorisation_decided_by,
    authorisationDecidedAt: m.authorisation_decided_at?.toISOString() ?? null,
    authorisationReason: m.authorisation_reason,
    runbookId: m.runbook_id,
    replacesMandateId: m.replaces_mandate_id,
    revokeRequestedAt: m.revoke_requested_at?.toISOString() ?? null,
    revokeFailedReason: m.revoke_failed_reason,
    checkProblem: m.check_problem,
    reason: m.reason,
    objectionDeadline: m.objection_deadline?.toISOString() ?? null,
    stateChangedAt: m.state_changed_at.toISOString(),
    createdAt: m.created_at.toISOString(),
    messages: messages.map((x) => ({
      purpose: x.purpose,
      berichtsoort: x.berichtsoort,
      deliveryState: x.delivery_state,
      aanleverkenmerk: x.aanleverkenmerk,
      kenmerk: x.kenmerk,
      certificateId: x.certificate_id,
      outcome: x.outcome,
      outcomeReason: x.outcome_reason,
      submittedAt: x.submitted_at?.toISOString() ?? null,
      needsActionReason: x.in_doubt_reason ?? null,
    })),
  };
}

export type MandateApiView = ReturnType<typeof mandateView>;

/** Where a revocation stands for the workflows that carry it out: the mandate and its workflow. */
export interface MandateTarget {
  mandateId: string;
  workflowId: string;
}

/**
 * Writes the intent to revoke on each open mandate of the list (once: an earlier intent and its author stay) and
 * answers those still open, whose workflows must act. The record comes first, so a workflow that is not running picks
 * the revocation up when it runs again.
 */
export async function markMandatesForRevocation(db: PoolClient, mandateIds: readonly string[], by: string): Promise<MandateTarget[]> {
  await db.query(
    `UPDATE mandates SET revoke_requested_at = now(), revoke_requested_by = $2, revoke_failed_reason = NULL
      WHERE id = ANY($1) AND state = ANY($3) AND revoke_requested_at IS NULL`,
    [mandateIds, by, OPEN_MANDATE_STATES],
  );
  const { rows } = await db.query<{ id: string; workflow_id: string }>(
    'SELECT id, workflow_id FROM mandates WHERE id = ANY($1) AND state = ANY($2) ORDER BY created_at, id',
    [mandateIds, OPEN_MANDATE_STATES],
  );
  return rows.map((r) => ({ mandateId: r.id, workflowId: r.workflow_id }));
}

/** Which mandates of a hub a collective action selects: every criterion given must hold. */
export interface MandateSelection {
  mandateIds?: readonly string[];
  organisationId?: string;
  certificateId?: string;
  /** The intermediary's KvK number the register knows the mandate under (the certificate's KvK). */
  kvkNumber?: string;
  service?: string;
  year?: number;
  /** Only mandates in these states (default: any). */
  states?: readonly MandateState[];
}

export async function selectMandates(db: Db, hubId: string, selection: MandateSelection, forUpdate = false): Promise<MandateRow[]> {
  const { rows } = await db.query<MandateRow>(
    `SELECT * FROM mandates
      WHERE hub_id = $1 AND ($2::uuid[] IS NULL OR id = ANY($2)) AND ($3::uuid IS NULL OR organisation_id = $3)
        AND ($4::uuid IS NULL OR certificate_id = $4) AND ($5::text IS NULL OR intermediary_kvk = $5) AND ($6::text IS NULL OR service = $6)
        AND ($7::int IS NULL OR year = $7) AND ($8::text[] IS NULL OR state = ANY($8))
      ORDER BY created_at, id${forUpdate ? ' FOR UPDATE' : ''}`,
    [
      hubId, selection.mandateIds ?? null, selection.organisationId ?? null, selection.certificateId ?? null, selection.kvkNumber ?? null,
      selection.service ?? null, selection.year ?? null, selection.states ?? null,
    ],
  );
  return rows;
}

/**
 * Why a settled mandate's record cannot go yet, or null: a message whose submission is in doubt or open, or an
 * unfinished runbook that plans it (its re-request is tied to this record).
 */
export async function deletionBlockers(db: Db, m: MandateRow): Promise<{ inFlight: string | null; runbook: string | null }> {
  const { rows: busy } = await db.query<{ berichtsoort: string; delivery_state: string }>(
    `SELECT x.berichtsoort, x.delivery_state FROM mandate_messages x
      WHERE x.mandate_id = $1 AND (x.delivery_state IN ('submitting', 'needs_human')
         OR EXISTS (SELECT 1 FROM submission_attempts a WHERE a.mandate_message_id = x.id AND a.finished_at IS NULL))
      ORDER BY x.seq LIMIT 1`,
    [m.id],
  );
  const { rows: runbooks } = await db.query<{ id: string; kind: string }>(
    `SELECT id, kind FROM runbooks
      WHERE hub_id = $1 AND finished_at IS NULL
        AND (plan -> 'mandatesToRevoke' @> jsonb_build_array(jsonb_build_object('mandateId', $2::text))
          OR plan -> 'mandatesToRequest' @> jsonb_build_array(jsonb_build_object('replacesMandateId', $2::text))
          OR id = $3)
      ORDER BY created_at LIMIT 1`,
    [m.hub_id, m.id, m.runbook_id],
  );
  return {
    inFlight: busy[0] ? `its ${busy[0].berichtsoort} message is still in flight (${busy[0].delivery_state}): resolve it first` : null,
    runbook: runbooks[0] ? `runbook ${runbooks[0].kind} ${runbooks[0].id}` : null,
  };
}

/**
 * Deletes a settled mandate's record with its messages and their attempts. A mandate that replaced it keeps its own
 * record (only the link goes).
 */
export async function deleteMandateRecord(db: PoolClient, mandateId: string): Promise<void> {
  await db.query('UPDATE mandates SET replaces_mandate_id = NULL WHERE replaces_mandate_id = $1', [mandateId]);
  await db.query('DELETE FROM mandate_messages WHERE mandate_id = $1', [mandateId]);
  await db.query('DELETE FROM mandates WHERE id = $1', [mandateId]);
}

/** The hub's mandates, filtered, oldest first. */
export async function listMandates(
  db: Db,
  hubId: string,
  filter: { organisationId?: string; service?: string; year?: number; state?: string; certificateId?: string } = {},
): Promise<MandateRow[]> {
  const { rows } = await db.query<MandateRow>(
    `SELECT * FROM mandates WHERE hub_id = $1 AND ($2::uuid IS NULL OR organisation_id = $2) AND ($3::text IS NULL OR service = $3)
        AND ($4::int IS NULL OR year = $4) AND ($5::text IS NULL OR state = $5) AND ($6::uuid IS NULL OR certificate_id = $6)
      ORDER BY created_at, id`,
    [hubId, filter.organisationId ?? null, filter.service ?? null, filter.year ?? null, filter.state ?? null, filter.certificateId ?? null],
  );
  return rows;
}
