import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CLEANABLE_LIFECYCLES, CLEANUP_MINIMUM_AGE_DAYS } from '../../domain/filings';
import type { Pool } from '../../db/pool';
import { cleanupRecord, cleanupRecords } from '../../db/repositories/cleanup-records';
import { HttpError } from '../plugins/errors';
import { ErrorResponse } from '../schemas/common';
import { runCleanup } from '../services/cleanup';

/** One message a cleanup removed (or a dry run would remove), and why. */
const CleanedMessage = Type.Object({
  id: Type.String(),
  number: Type.Integer(),
  kind: Type.String(),
  period: Type.Union([Type.String(), Type.Null()]),
  direction: Type.String(),
  lifecycle: Type.Union([Type.Integer(), Type.Null()], { description: 'The status it is in (K4 lifecycle).' }),
  lifecycleLabel: Type.Union([Type.String(), Type.Null()]),
  finalisedAt: Type.String({ format: 'date-time', description: 'When it reached that status (its last status change).' }),
  attachments: Type.Integer(),
  reason: Type.String({ description: 'Why the cleanup may remove it (H15).' }),
});

const CleanupRecord = Type.Object({
  id: Type.String(),
  requestedBy: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  dryRun: Type.Boolean(),
  fiscalOverride: Type.Boolean(),
  olderThanDays: Type.Integer(),
  messageCount: Type.Integer(),
  attachmentCount: Type.Integer(),
  messageNumbers: Type.Array(Type.Integer()),
  messages: Type.Array(CleanedMessage),
});

/**
 * H15: cleanup deletes messages and their attachments, irreversibly, only when they have been in their status for at
 * least 30 days and only in the allowed statuses; the fiscal override lifts the status check for fiscal messages,
 * never the age. A dry run names exactly what the real run would delete and why; both choose by the same rule.
 * Every cleanup, dry runs included, is recorded (who, when, how many, which, why) and can be read back.
 */
const cleanup: FastifyPluginAsyncTypebox<{ pool: Pool }> = async (app, { pool }) => {
  const guard = { onRequest: app.requireStaff, preHandler: app.requireHub };
  const security = [{ staffToken: [] }];

  app.post(
    '/api/hubs/:participant/cleanup',
    {
      ...guard,
      schema: {
        tags: ['cleanup'],
        summary: 'Clean up old messages (H15)',
        security,
        params: Type.Object({ participant: Type.String() }),
        body: Type.Object(
          {
            dryRun: Type.Boolean({ default: true }),
            olderThanDays: Type.Integer({
              default: CLEANUP_MINIMUM_AGE_DAYS,
              maximum: 36_500,
              description: 'At least 30: how long a message must have been in its status (since its last status change).',
            }),
            fiscalOverride: Type.Boolean({
              default: false,
              description: `Clean fiscal messages in any status, not only ${CLEANABLE_LIFECYCLES.join(', ')}; the age still applies.`,
            }),
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
            messages: Type.Array(CleanedMessage, { description: 'What is (or would be) deleted, and why.' }),
          }),
          422: ErrorResponse,
        },
      },
    },
    async (request) => runCleanup(pool, request.hub!, request.body, request.staff?.name ?? 'unknown'),
  );

  app.get(
    '/api/hubs/:participant/cleanup-records',
    {
      ...guard,
      schema: {
        tags: ['cleanup'],
        summary: "The hub's cleanup records, newest first (H15)",
        security,
        params: Type.Object({ participant: Type.String() }),
        querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }) }),
        response: { 200: Type.Array(CleanupRecord) },
      },
    },
    async (request) => cleanupRecords(pool, request.hub!.id, request.query.limit),
  );

  app.get(
    '/api/hubs/:participant/cleanup-records/:id',
    {
      ...guard,
      schema: {
        tags: ['cleanup'],
        summary: 'One cleanup record: who, when, how many, which and why (H15)',
        security,
        params: Type.Object({ participant: Type.String(), id: Type.String({ format: 'uuid' }) }),
        response: { 200: CleanupRecord, 404: ErrorResponse },
      },
    },
    async (request) => {
      const record = await cleanupRecord(pool, request.hub!.id, request.params.id);
      if (!record) throw new HttpError(404, 'no such cleanup record');
      return record;
    },
  );
};

export default cleanup;
