import { assertCleanupAge, cleanupVerdict, CLEANABLE_LIFECYCLES, CLEANUP_MINIMUM_AGE_DAYS } from '../../domain/filings';
import { inTransaction, type Pool } from '../../db/pool';
import { deleteMessages, insertCleanupRecord, lockCleanupCandidates, type CleanedMessage } from '../../db/repositories/cleanup-records';
import { writeLog } from '../../db/repositories/communication-log';
import type { Hub } from '../../db/repositories/hubs';
import { labelOf } from './views';

export interface CleanupOutcome {
  recordId: string;
  dryRun: boolean;
  messageCount: number;
  attachmentCount: number;
  messageNumbers: number[];
  messages: CleanedMessage[];
}

/**
 * H15: one cleanup, or its dry run. Both choose by the same rule (`cleanupVerdict`), in one transaction with the
 * messages locked, so a dry run names exactly what the real run would delete at that moment, and why. Every run is
 * recorded and logged; the log says what the rule applied.
 */
export async function runCleanup(
  pool: Pool,
  hub: Hub,
  options: { dryRun: boolean; olderThanDays: number; fiscalOverride: boolean },
  actor: string,
): Promise<CleanupOutcome> {
  const { dryRun, olderThanDays, fiscalOverride } = options;
  assertCleanupAge(olderThanDays);
  return inTransaction(pool, async (client) => {
    const chosen: CleanedMessage[] = [];
    for (const m of await lockCleanupCandidates(client, hub.id)) {
      const verdict = cleanupVerdict(
        { kind: m.kind, direction: m.direction, lifecycle: m.lifecycle, daysInStatus: m.daysInStatus, processRunning: m.processRunning },
        { fiscalOverride, olderThanDays },
      );
      if (!verdict.clean) continue;
      chosen.push({
        id: m.id,
        number: m.number,
        kind: m.kind,
        period: m.period,
        direction: m.direction,
        lifecycle: m.lifecycle,
        lifecycleLabel: labelOf({ lifecycle: m.lifecycle, kind: m.kind, approvalRequired: m.approvalRequired }),
        finalisedAt: m.finalisedAt.toISOString(),
        attachments: m.attachments,
        reason: verdict.reason,
      });
    }
    if (!dryRun) await deleteMessages(client, chosen.map((m) => m.id));
    const recordId = await insertCleanupRecord(client, { hubId: hub.id, requestedBy: actor, dryRun, fiscalOverride, olderThanDays, messages: chosen });
    const numbers = chosen.map((m) => m.number);
    const attachmentCount = chosen.reduce((n, m) => n + m.attachments, 0);
    const statuses = CLEANABLE_LIFECYCLES.join(', ');
    await writeLog(client, {
      hubId: hub.id,
      environment: hub.environmentCode,
      step: 'cleanup',
      level: 'I',
      text:
        `${dryRun ? 'dry run: would clean' : 'cleaned'} ${chosen.length} messages and ${attachmentCount} attachments in their status for at least ` +
        `${Math.max(olderThanDays, CLEANUP_MINIMUM_AGE_DAYS)} days, ` +
        (fiscalOverride ? `fiscal messages in any status (fiscal override), others in status ${statuses}` : `in status ${statuses}`) +
        `, by ${actor} (record ${recordId}): ${numbers.join(', ') || 'none'}`,
    });
    return { recordId, dryRun, messageCount: chosen.length, attachmentCount, messageNumbers: numbers, messages: chosen };
  });
}
