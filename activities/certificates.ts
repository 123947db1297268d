import { daysUntil, expiryWarningDue, expiryWarningText, type ExpiryThreshold } from '../domain/certificates';
import type { Pool } from '../db/pool';
import { proposalFor, refreshExpiryProposals, watchedCertificates, type CurrentProposal } from '../db/repositories/certificate-expiry';
import { writeLog } from '../db/repositories/communication-log';
import { findHubById } from '../db/repositories/hubs';

export interface CertificateActivityDeps {
  pool: Pool;
  clock?: () => Date;
}

export interface ExpiryWarning {
  certificateId: string;
  thresholdDays: ExpiryThreshold;
  daysLeft: number;
  proposal: 'RB4' | 'RB5' | null;
  /** Written by this run (false: recorded by an earlier one). */
  fresh: boolean;
}

export interface ExpiryCheck {
  /** Every warning on record for the certificates in use (this run's and earlier ones). */
  warnings: ExpiryWarning[];
  /** The earliest expiry among the certificates in use. */
  earliestExpiry: string | null;
  checked: number;
  /**
   * The runbook proposed now for each certificate in use with a warning on record, naming both certificates by name
   * and KvK number (absent in runs recorded before it existed).
   */
  proposals?: CurrentProposal[];
}

/** C7: the expiry watch's activity, run by the `certificateExpiryWatch` workflow (a Schedule per hub, or on demand). */
export function createCertificateActivities(deps: CertificateActivityDeps) {
  const now = () => (deps.clock ?? (() => new Date()))();

  return {
    /**
     * Warns 60, 30 and 7 days before a certificate in use expires (and once when it has expired): communication log
     * (I, the last week and after F), a record the API shows, and a proposal: RB4 when a replacement with the same KvK
     * number is installed, RB5 when the same firm's replacement has another KvK number, never an unrelated office's
     * certificate. Each threshold is warned once (its primary key); the current proposals are recomputed.
     */
    async checkCertificateExpiry({ hubId, asOf }: { hubId: string; asOf?: string }): Promise<ExpiryCheck> {
      const at = asOf ? new Date(asOf) : now();
      const hub = await findHubById(deps.pool, hubId);
      if (!hub) return { warnings: [], earliestExpiry: null, checked: 0, proposals: [] };
      const certificates = await watchedCertificates(deps.pool, hubId);
      const inUse = certificates.filter((c) => c.inUse);
      const fresh = new Set<string>();
      for (const certificate of inUse) {
        const daysLeft = daysUntil(certificate.validTo, at);
        const { rows: warned } = await deps.pool.query<{ threshold_days: number }>('SELECT threshold_days FROM certificate_expiry_warnings WHERE certificate_id = $1', [certificate.id]);
        const threshold = expiryWarningDue(daysLeft, warned.map((w) => w.threshold_days));
        if (threshold === undefined) continue;
        const proposal = proposalFor(certificate, certificates);
        const text = expiryWarningText(certificate, daysLeft, proposal);
        const { rowCount } = await deps.pool.query(
          `INSERT INTO certificate_expiry_warnings (certificate_id, threshold_days, days_left, proposal, replacement_certificate_id, text, warned_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (certificate_id, threshold_days) DO NOTHING`,
          [certificate.id, threshold, daysLeft, proposal?.kind ?? null, proposal?.certificateId ?? null, text, at],
        );
        if (rowCount) {
          fresh.add(`${certificate.id}:${threshold}`);
          await writeLog(deps.pool, { hubId, environment: hub.environmentCode, step: 'certificate', level: threshold <= 7 ? 'F' : 'I', text });
        }
      }
      const proposals = await refreshExpiryProposals(deps.pool, hub, at);
      const { rows: all } = await deps.pool.query<{ certificate_id: string; threshold_days: ExpiryThreshold; days_left: number; proposal: 'RB4' | 'RB5' | null; warned_at: Date }>(
        `SELECT certificate_id, threshold_days, days_left, proposal, warned_at FROM certificate_expiry_warnings WHERE certificate_id = ANY($1) ORDER BY warned_at, threshold_days DESC`,
        [inUse.map((c) => c.id)],
      );
      return {
        warnings: all.map((w) => ({
          certificateId: w.certificate_id,
          thresholdDays: w.threshold_days,
          daysLeft: w.days_left,
          proposal: w.proposal,
          fresh: fresh.has(`${w.certificate_id}:${w.threshold_days}`),
        })),
        earliestExpiry: inUse[0]?.validTo ?? null,
        checked: inUse.length,
        proposals,
      };
    },
  };
}

export type CertificateActivities = ReturnType<typeof createCertificateActivities>;
