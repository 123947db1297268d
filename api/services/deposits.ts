import { assertNotDepositedAlready, acceptsOncePerPeriod } from '../../domain/deposits';
import { FILING_KINDS, filingKey, type FilingKind } from '../../domain/filings';
import type { Pool, PoolClient } from '../../db/pool';

/**
 * K4 at preparation (and when a held message is routed to a hub): a KvK deposit of a company and year that this hub
 * already deposited successfully (80) is refused before anything is stored, unless it declares itself a resubmission.
 */
export async function assertFirstDepositOrResubmission(
  db: Pool | PoolClient,
  filing: { kind: FilingKind; organisationId: string; period: string; resubmission: boolean },
): Promise<void> {
  const spec = FILING_KINDS[filing.kind];
  if (!acceptsOncePerPeriod(spec) || filing.resubmission) return;
  const { rows } = await db.query<{ number: string; version: number; last_status_change_at: Date }>(
    'SELECT number, version, last_status_change_at FROM messages WHERE filing_key = $1 AND lifecycle = 80 ORDER BY version',
    [filingKey(filing.organisationId, filing.kind, filing.period)],
  );
  assertNotDepositedAlready(
    spec,
    filing.period,
    rows.map((r) => ({ number: Number(r.number), version: r.version, acceptedAt: r.last_status_change_at.toISOString() })),
    filing.resubmission,
  );
}
