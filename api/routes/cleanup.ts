import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { assertCleanupAge, isCleanable, CLEANUP_MINIMUM_AGE_DAYS } from '../../domain/filings';
import type { LifecycleCode } from '../../domain/lifecycle';
import { inTransaction, type Pool } from '../../db/pool';
import { writeLog } from '../../db/repositories/communication-log';
import { ErrorResponse } from '../schemas/common';

/**
 * H15: cleanup deletes messages and their attachments, irreversibly, only when at least 30 days old and only in the
 * allowed statuses; fiscal messages may be cleaned without those checks (the override). A dry run shows what would go.
 * Every cleanup, dry runs included, is recorded: who, when, how many, which.
 */
const cleanup: FastifyPluginAsyncTypebox<{ pool: Pool }> = async (app, { pool }) => {
  app.post(
    '/api/hubs/:participant/cleanup',
    {
      onRequest: app.requireStaff,
      preHandler: app.requireHub,
      schema: {
        tags: ['cleanup'],
        summary: 'Clean up old messages (H15)',
        security: [{ staffToken: [] }],
        params: Type.Object({ participant: Type.String() }),
        body: Type.Object(
          {
            dryRun: Type.Boolean({ default: true }),
            olderThanDays: Type.Integer({ default: CLEANUP_MINIMUM_AGE_DAYS, maximum: 36_500, description: 'At least 30.' }),
            fiscalOverride: Type.Boolean({ default: false, description: 'Clean fiscal messages without the age and status checks.' }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            recordId: Type.String(),
            dryRun: Type.Boolean(),
            messageCount: Type.Integer(),
            attachmentCount: Type.Integer(),
            messageNumbers: Type.Array(Type.Integer()),
          }),
          422: ErrorResponse,
        },
      },
    },
    async (request) => {
      const hub = request.hub!;
      const { dryRun, olderThanDays, fiscalOverride } = request.body;
      assertCleanupAge(olderThanDays);
      return inTransaction(pool, async (client) => {
        const { rows } = await client.query<{
          id: string;
          number: string;
          kind: string;
          direction: 'outgoing' | 'incoming';
          lifecycle: LifecycleCode | null;
          age_days: number;
          running: boolean;
          attachments: number;
        }>(
          `SELECT m.id, m.number, m.kind, m.direction, m.lifecycle,
                  EXTRACT(EPOCH FROM (now() - m.created_at)) / 86400 AS age_days,
                  (m.direction = 'outgoing' AND m.workflow_closed_at IS NULL) AS running,
                  (SELECT count(*)::int FROM message_attachments a WHERE a.message_id = m.id) AS attachments
             FROM messages m WHERE m.hub_id = $1 FOR UPDATE`,
          [hub.id],
        );
        const chosen = rows.filter((r) =>
          isCleanable(
            { kind: r.kind, direction: r.direction, lifecycle: r.lifecycle, ageDays: Number(r.age_days), processRunning: r.running },
            { fiscalOverride, olderThanDays },
          ),
        );
        const numbers = chosen.map((r) => Number(r.number)).sort((a, b) => a - b);
        const attachmentCount = chosen.reduce((n, r) => n + r.attachments, 0);
        if (!dryRun && chosen.length) {
          await client.query('DELETE FROM messages WHERE id = ANY($1)', [chosen.map((r) => r.id)]);
        }
        const { rows: record } = await client.query<{ id: string }>(
          `INSERT INTO cleanup_records (hub_id, requested_by, dry_run, fiscal_override, older_than_days, message_count, attachment_count, message_numbers)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
          [hub.id, request.staff?.name ?? 'unknown', dryRun, fiscalOverride, olderThanDays, chosen.length, attachmentCount, numbers],
        );
        await writeLog(client, {
          hubId: hub.id,
          environment: hub.environmentCode,
          step: 'cleanup',
          level: 'I',
          text: `${dryRun ? 'dry run: would clean' : 'cleaned'} ${chosen.length} messages and ${attachmentCount} attachments older than ${olderThanDays} days${fiscalOverride ? ' (fiscal override)' : ''} by ${request.staff?.name}: ${numbers.join(', ') || 'none'}`,
        });
        return { recordId: record[0].id, dryRun, messageCount: chosen.length, attachmentCount, messageNumbers: numbers };
      });
    },
  );
};

export default cleanup;
