import type { Pool, PoolClient } from '../pool';

/** H13: procedure steps of the communication log. */
export type ProcedureStep =
  | 'prepare message'
  | 'send message'
  | 'process message'
  | 'receive'
  | 'send-receive'
  | 'reconcile'
  | 'callback'
  | 'reset'
  | 'cleanup'
  | 'route message'
  | 'certificate';

export interface LogLine {
  hubId: string | null;
  /** The hub's environment code; when left out, the hub's own (or "no hub"), read in the same statement. */
  environment?: string;
  messageId?: string | null;
  messageNumber?: number | null;
  step: ProcedureStep;
  level: 'I' | 'F';
  text: string;
}

/** H13: every step writes environment, procedure step, level I (info) or F (error) and the full text. */
export async function writeLog(db: Pool | PoolClient, line: LogLine): Promise<void> {
  await writeLogs(db, [line]);
}

/** Several lines in one statement (one round trip), in the order given. */
export async function writeLogs(db: Pool | PoolClient, lines: LogLine[]): Promise<void> {
  if (lines.length === 0) return;
  await db.query(
    `INSERT INTO communication_log (hub_id, environment, message_id, message_number, procedure_step, level, text)
     SELECT l.hub_id, coalesce(l.environment, (SELECT h.environment_code FROM hubs h WHERE h.id = l.hub_id), 'no hub'),
            l.message_id, l.message_number, l.procedure_step, l.level, l.text
       FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::bigint[], $5::text[], $6::text[], $7::text[])
            WITH ORDINALITY AS l(hub_id, environment, message_id, message_number, procedure_step, level, text, i)
      ORDER BY l.i`,
    [
      lines.map((l) => l.hubId),
      lines.map((l) => l.environment ?? null),
      lines.map((l) => l.messageId ?? null),
      lines.map((l) => l.messageNumber ?? null),
      lines.map((l) => l.step),
      lines.map((l) => l.level),
      lines.map((l) => l.text),
    ],
  );
}

export interface LogEntry {
  id: number;
  environment: string;
  messageNumber: number | null;
  procedureStep: string;
  level: 'I' | 'F';
  text: string;
  createdAt: string;
}

export async function readLog(
  db: Pool,
  hubId: string,
  filter: { messageNumber?: number; level?: 'I' | 'F'; limit: number; beforeId?: number },
): Promise<LogEntry[]> {
  const { rows } = await db.query<{
    id: number;
    environment: string;
    message_number: number | null;
    procedure_step: string;
    level: 'I' | 'F';
    text: string;
    created_at: Date;
  }>(
    `SELECT id, environment, message_number, procedure_step, level, text, created_at FROM communication_log
      WHERE hub_id = $1 AND ($2::bigint IS NULL OR message_number = $2) AND ($3::char IS NULL OR level = $3)
        AND ($4::bigint IS NULL OR id < $4)
      ORDER BY id DESC LIMIT $5`,
    [hubId, filter.messageNumber ?? null, filter.level ?? null, filter.beforeId ?? null, filter.limit],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    environment: r.environment,
    messageNumber: r.message_number === null ? null : Number(r.message_number),
    procedureStep: r.procedure_step,
    level: r.level,
    text: r.text,
    createdAt: r.created_at.toISOString(),
  }));
}
