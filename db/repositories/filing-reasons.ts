import type { LifecycleCode } from '../../domain/lifecycle';
import { refusalReasonOf } from '../../domain/refusal-reason';
import type { Pool, PoolClient } from '../pool';

/**
 * H3: why a filing ended where it did, as the administration is told (never the return messages themselves): the
 * client's reason for rejecting it (40), and the authority's refusal message (90, e.g. KvK's refusal text).
 */
export interface FilingReasons {
  clientRejectionReason: string | null;
  authorityRefusalReason: string | null;
}

/** The reasons that go with `lifecycle` (the filing's current one, or the one a callback announces). */
export async function filingReasons(
  db: Pool | PoolClient,
  message: { id: string; kenmerk: string | null },
  lifecycle: LifecycleCode | null,
): Promise<FilingReasons> {
  let clientRejectionReason: string | null = null;
  let authorityRefusalReason: string | null = null;
  if (lifecycle === 40) {
    const { rows } = await db.query<{ reason: string | null }>(
      "SELECT reason FROM approval_decisions WHERE message_id = $1 AND decision = 'rejected' ORDER BY decided_at DESC, id DESC LIMIT 1",
      [message.id],
    );
    clientRejectionReason = rows[0]?.reason ?? null;
  }
  if (lifecycle === 90) {
    // The current process only: after a reset (H10) an earlier process's statuses are history.
    const { rows } = await db.query<{ statusdetails: string | null; foutbeschrijving: string | null }>(
      `SELECT statusdetails, foutbeschrijving FROM digipoort_statuses
        WHERE message_id = $1 AND ($2::text IS NULL OR kenmerk = $2) ORDER BY tijdstempel_status, id`,
      [message.id, message.kenmerk],
    );
    authorityRefusalReason = refusalReasonOf(rows.map((r) => ({ details: r.statusdetails, foutbeschrijving: r.foutbeschrijving }))) ?? null;
  }
  return { clientRejectionReason, authorityRefusalReason };
}
