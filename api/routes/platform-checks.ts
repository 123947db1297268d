import { randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Client } from '@temporalio/client';
import type { Pool } from '../../db/pool';
import { platformCheck, platformCheckWorkflowId } from '../../workflows/platform-check';
import { HttpError } from '../plugins/errors';
import { ErrorResponse } from '../schemas/common';

const PlatformCheck = Type.Object({
  id: Type.String(),
  label: Type.String(),
  workflowId: Type.String(),
  status: Type.Union([Type.Literal('running'), Type.Literal('completed')]),
  requestedAt: Type.String({ format: 'date-time' }),
  completedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  runId: Type.Union([Type.String(), Type.Null()]),
});

interface CheckRow {
  id: string;
  label: string;
  workflow_id: string;
  requested_at: Date;
  completed_at: Date | null;
  run_id: string | null;
}

function toCheck(row: CheckRow) {
  return {
    id: row.id,
    label: row.label,
    workflowId: row.workflow_id,
    status: row.completed_at ? ('completed' as const) : ('running' as const),
    requestedAt: row.requested_at.toISOString(),
    completedAt: row.completed_at?.toISOString() ?? null,
    runId: row.run_id,
  };
}

/** A readable, sortable, unique id: `20261121T130501Z-3fa9c1`. */
function newCheckId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

const platformChecks: FastifyPluginAsyncTypebox<{ pool: Pool; temporal: Client; taskQueue: string }> = async (
  app,
  { pool, temporal, taskQueue },
) => {
  app.post(
    '/api/platform/checks',
    {
      onRequest: app.requireStaff,
      // The body is optional: `curl -X POST` without one starts a check with the default label.
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        tags: ['platform'],
        summary: 'Start a connectivity check workflow',
        description:
          'Starts the `platformCheck` workflow (id `platform-check-<id>`), whose activity writes to PostgreSQL. ' +
          'Answers 202 with a Location to poll.',
        security: [{ staffToken: [] }],
        body: Type.Object({ label: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })) }, { additionalProperties: false }),
        response: { 202: PlatformCheck, 401: ErrorResponse },
      },
    },
    async (request, reply) => {
      const id = newCheckId();
      const workflowId = platformCheckWorkflowId(id);
      const label = request.body?.label ?? 'connectivity check';
      const { rows } = await pool.query<CheckRow>(
        'INSERT INTO platform_checks (id, label, workflow_id) VALUES ($1, $2, $3) RETURNING *',
        [id, label, workflowId],
      );
      await temporal.workflow.start(platformCheck, {
        workflowId,
        taskQueue,
        args: [{ checkId: id }],
        staticSummary: `Connectivity check: ${label}`,
      });
      return reply.status(202).header('Location', `/api/platform/checks/${id}`).send(toCheck(rows[0]));
    },
  );

  app.get(
    '/api/platform/checks/:id',
    {
      onRequest: app.requireStaff,
      schema: {
        tags: ['platform'],
        summary: 'Read a connectivity check',
        security: [{ staffToken: [] }],
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        response: { 200: PlatformCheck, 401: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (request) => {
      const { rows } = await pool.query<CheckRow>('SELECT * FROM platform_checks WHERE id = $1', [request.params.id]);
      if (rows.length === 0) throw new HttpError(404, 'no such check');
      return toCheck(rows[0]);
    },
  );
};

export default platformChecks;
