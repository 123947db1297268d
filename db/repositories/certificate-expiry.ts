import {
  daysUntil,
  expiryWarningText,
  nameAndKvk,
  proposalText,
  replacementProposal,
  type CertificateFacts,
  type ReplacementProposal,
} from '../../domain/certificates';
import type { Pool, PoolClient } from '../pool';
import { CERTIFICATE_FACTS_COLUMNS, toCertificateFacts } from './certificates';
import { writeLog } from './communication-log';

/**
 * C7: the hub's certificates as the expiry watch sees them (in use or spare), and the runbook proposed now for each
 * certificate in use the watch warned about. The proposal is recomputed by the watch and whenever a certificate is
 * uploaded, so a replacement installed after the warning is proposed at once.
 */
type Db = Pool | PoolClient;

export interface WatchedCertificate extends CertificateFacts {
  /** The work certificate, the service provider's, or in a group. */
  inUse: boolean;
}

export interface CurrentProposal {
  certificateId: string;
  label: string;
  kvkNumber: string | null;
  validTo: string;
  daysLeft: number;
  /** RB4 (same KvK number) or RB5 (the same firm under a new KvK number); null while no replacement is installed. */
  proposal: 'RB4' | 'RB5' | null;
  replacement: { id: string; label: string; kvkNumber: string | null; validTo: string } | null;
  text: string;
}

export async function watchedCertificates(db: Db, hubId: string): Promise<WatchedCertificate[]> {
  const { rows } = await db.query(
    `SELECT ${CERTIFICATE_FACTS_COLUMNS.split(', ').map((c) => `c.${c}`).join(', ')},
            (c.is_work_certificate OR c.is_service_provider OR EXISTS (SELECT 1 FROM certificate_groups g WHERE g.certificate_id = c.id)) AS in_use
       FROM certificates c WHERE c.hub_id = $1 AND c.deleted_at IS NULL ORDER BY c.valid_to, c.id`,
    [hubId],
  );
  return rows.map((r) => ({ ...toCertificateFacts(r), inUse: r.in_use as boolean }));
}

/** The proposal for one certificate in use, among the installed certificates nothing uses yet. */
export function proposalFor(certificate: WatchedCertificate, all: readonly WatchedCertificate[]): ReplacementProposal | undefined {
  return replacementProposal(certificate, all.filter((c) => !c.inUse));
}

/**
 * Recomputes the current proposal of every certificate in use that has an expiry warning on record, stores it, and
 * logs a proposal that changed since the last computation (naming both certificates by name and KvK number).
 */
export async function refreshExpiryProposals(db: Db, hub: { id: string; environmentCode: string }, at: Date): Promise<CurrentProposal[]> {
  const certificates = await watchedCertificates(db, hub.id);
  const inUse = certificates.filter((c) => c.inUse);
  const { rows: warned } = await db.query<{ certificate_id: string }>('SELECT DISTINCT certificate_id FROM certificate_expiry_warnings WHERE certificate_id = ANY($1)', [inUse.map((c) => c.id)]);
  const watched = inUse.filter((c) => warned.some((w) => w.certificate_id === c.id));
  const { rows: previous } = await db.query<{ certificate_id: string; proposal: string | null; replacement_certificate_id: string | null }>(
    'SELECT certificate_id, proposal, replacement_certificate_id FROM certificate_expiry_proposals WHERE certificate_id = ANY($1)',
    [certificates.map((c) => c.id)],
  );
  const proposals: CurrentProposal[] = [];
  for (const certificate of watched) {
    const proposal = proposalFor(certificate, certificates);
    const daysLeft = daysUntil(certificate.validTo, at);
    const text = expiryWarningText(certificate, daysLeft, proposal);
    await db.query(
      `INSERT INTO certificate_expiry_proposals (certificate_id, proposal, replacement_certificate_id, text, computed_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (certificate_id) DO UPDATE SET proposal = EXCLUDED.proposal, replacement_certificate_id = EXCLUDED.replacement_certificate_id,
              text = EXCLUDED.text, computed_at = EXCLUDED.computed_at`,
      [certificate.id, proposal?.kind ?? null, proposal?.certificateId ?? null, text, at],
    );
    const before = previous.find((p) => p.certificate_id === certificate.id);
    if (before && (before.proposal !== (proposal?.kind ?? null) || before.replacement_certificate_id !== (proposal?.certificateId ?? null))) {
      await writeLog(db, { hubId: hub.id, environment: hub.environmentCode, step: 'certificate', level: 'I', text: `C7: for certificate ${nameAndKvk(certificate)} now ${proposalText(proposal)}` });
    }
    proposals.push({
      certificateId: certificate.id,
      label: certificate.label,
      kvkNumber: certificate.kvkNumber,
      validTo: certificate.validTo,
      daysLeft,
      proposal: proposal?.kind ?? null,
      replacement: proposal ? { id: proposal.certificateId, label: proposal.label, kvkNumber: proposal.kvkNumber, validTo: proposal.validTo } : null,
      text,
    });
  }
  // A certificate no longer in use (replaced, removed) has nothing to propose any more.
  await db.query('DELETE FROM certificate_expiry_proposals WHERE certificate_id IN (SELECT id FROM certificates WHERE hub_id = $1) AND NOT (certificate_id = ANY($2))', [
    hub.id,
    watched.map((c) => c.id),
  ]);
  return proposals;
}
