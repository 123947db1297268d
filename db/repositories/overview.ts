import type { Pool, PoolClient } from '../pool';

export interface HubOverview {
  byLifecycle: { lifecycle: number | null; count: number }[];
  dueThisWeek: number;
  overdue: number;
  /** Held messages (H12), ambiguous submissions and unresolved ONB messages (H7). */
  needsAction: number;
  certificateWarnings: { label: string; validTo: string; thresholdDays: number; proposal: 'RB4' | 'RB5' | null; text: string; warnedAt: string }[];
  lastSendReceive: { level: 'I' | 'F'; text: string; at: string } | null;
}

/**
 * The day's picture of one hub for the console's overview. `today` is the first day of the week that counts as
 * "this week" (the due dates are calendar dates). Final filings (40, 80, 90) and versions not to be sent never count
 * as due or overdue.
 */
export async function hubOverview(db: Pool | PoolClient, hubId: string, today: string): Promise<HubOverview> {
  const open = `hub_id = $1 AND direction = 'outgoing' AND NOT do_not_send AND coalesce(lifecycle, 0) NOT IN (40, 80, 90)`;
  const [lifecycles, deadlines, needs, warnings, last] = await Promise.all([
    db.query<{ lifecycle: number | null; count: number }>(
      `SELECT lifecycle, count(*)::int AS count FROM messages WHERE hub_id = $1 AND direction = 'outgoing' AND NOT do_not_send
        GROUP BY lifecycle ORDER BY lifecycle NULLS FIRST`,
      [hubId],
    ),
    db.query<{ due: number; overdue: number }>(
      `SELECT count(*) FILTER (WHERE due_date >= $2::date AND due_date < $2::date + 7)::int AS due,
              count(*) FILTER (WHERE due_date < $2::date)::int AS overdue
         FROM messages WHERE ${open}`,
      [hubId, today],
    ),
    db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM messages m LEFT JOIN administrations a ON a.id = m.administration_id
        WHERE (m.hub_id = $1 OR a.hub_id = $1)
          AND (m.delivery_state IN ('held', 'needs_human') OR (m.subtype = 'ONB' AND m.resolved_at IS NULL)
               -- The inbox's failed sends (H10) and final outcomes to follow up (40/90): latest version, not marked handled.
               OR (m.hub_id = $1 AND m.direction = 'outgoing' AND (m.delivery_state = 'failed' OR m.lifecycle IN (40, 90))
                   AND NOT EXISTS (SELECT 1 FROM messages n WHERE n.filing_key = m.filing_key AND n.version > m.version)
                   AND NOT EXISTS (SELECT 1 FROM needs_action_handled h WHERE h.message_id = m.id)))`,
      [hubId],
    ),
    db.query<{ label: string; valid_to: Date; threshold_days: number; proposal: 'RB4' | 'RB5' | null; text: string; warned_at: Date }>(
      `SELECT c.label, c.valid_to, w.threshold_days, w.proposal, w.text, w.warned_at
         FROM certificate_expiry_warnings w JOIN certificates c ON c.id = w.certificate_id
        WHERE c.hub_id = $1 AND c.deleted_at IS NULL
          AND w.threshold_days = (SELECT min(threshold_days) FROM certificate_expiry_warnings x WHERE x.certificate_id = c.id)
        ORDER BY c.valid_to`,
      [hubId],
    ),
    db.query<{ level: 'I' | 'F'; text: string; created_at: Date }>(
      `SELECT level, text, created_at FROM communication_log WHERE hub_id = $1 AND procedure_step = 'send-receive' ORDER BY id DESC LIMIT 1`,
      [hubId],
    ),
  ]);
  return {
    byLifecycle: lifecycles.rows,
    dueThisWeek: deadlines.rows[0].due,
    overdue: deadlines.rows[0].overdue,
    needsAction: needs.rows[0].n,
    certificateWarnings: warnings.rows.map((w) => ({
      label: w.label,
      validTo: w.valid_to.toISOString(),
      thresholdDays: w.threshold_days,
      proposal: w.proposal,
      text: w.text,
      warnedAt: w.warned_at.toISOString(),
    })),
    lastSendReceive: last.rows[0] ? { level: last.rows[0].level, text: last.rows[0].text, at: last.rows[0].created_at.toISOString() } : null,
  };
}
