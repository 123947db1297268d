import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Pool } from '../../db/pool';

const OutboxEntry = Type.Object({
  id: Type.String(),
  messageNumber: Type.Union([Type.Integer(), Type.Null()]),
  recipient: Type.String(),
  subject: Type.String(),
  body: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  sentAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  attempts: Type.Integer(),
  lastError: Type.Union([Type.String(), Type.Null()]),
});

/** The e-mails the hub sent or still has to send (portal notices, reminders, escalations): what went out, what is stuck. */
const emailOutbox: FastifyPluginAsyncTypebox<{ pool: Pool }> = async (app, { pool }) => {
  app.get(
    '/api/hubs/:participant/email-outbox',
    {
      onRequest: app.requireStaff,
      preHandler: app.requireHub,
      schema: {
        tags: ['portal access'],
        summary: 'E-mails of the hub, newest first; `pending=true` lists only the unsent ones',
        security: [{ staffToken: [] }],
        params: Type.Object({ participant: Type.String() }),
        querystring: Type.Object({
          pending: Type.Optional(Type.Boolean()),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
        }),
        response: { 200: Type.Array(OutboxEntry) },
      },
    },
    async (request) => {
      const { rows } = await pool.query<{
        id: string; number: string | null; recipient: string; subject: string; body: string;
        created_at: Date; sent_at: Date | null; attempts: number; last_error: string | null;
      }>(
        `SELECT o.id, m.number, o.recipient, o.subject, o.body, o.created_at, o.sent_at, o.attempts, o.last_error
           FROM email_outbox o LEFT JOIN messages m ON m.id = o.message_id
          WHERE o.hub_id = $1 AND ($2::boolean IS NOT TRUE OR o.sent_at IS NULL)
          ORDER BY o.created_at DESC, o.id LIMIT $3`,
        [request.hub!.id, request.query.pending ?? null, request.query.limit],
      );
      return rows.map((row) => ({
        id: row.id,
        messageNumber: row.number === null ? null : Number(row.number),
        recipient: row.recipient,
        subject: row.subject,
        body: row.body,
        createdAt: row.created_at.toISOString(),
        sentAt: row.sent_at?.toISOString() ?? null,
        attempts: row.attempts,
        lastError: row.last_error,
      }));
    },
  );
};

export default emailOutbox;
