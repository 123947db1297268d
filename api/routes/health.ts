import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Client } from '@temporalio/client';
import type { Pool } from '../../db/pool';

const PartStatus = Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]);
const HealthResponse = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  temporal: PartStatus,
  db: PartStatus,
});

const CHECK_TIMEOUT_MS = 3000;

async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const health: FastifyPluginAsyncTypebox<{ pool: Pool; temporal: Client }> = async (app, { pool, temporal }) => {
  app.get(
    '/health',
    {
      schema: {
        tags: ['platform'],
        summary: 'Liveness of the API and its dependencies',
        description: '200 when Temporal and PostgreSQL answer; 503 naming the part that does not.',
        response: { 200: HealthResponse, 503: HealthResponse },
      },
    },
    async (request, reply) => {
      const [temporalOk, dbOk] = await Promise.all([
        temporal.connection
          .withDeadline(Date.now() + CHECK_TIMEOUT_MS, () => temporal.connection.workflowService.getSystemInfo({}))
          .then(
          () => true,
          (err: unknown) => {
            request.log.warn({ err }, 'health: temporal unavailable');
            return false;
          },
        ),
        within(pool.query('SELECT 1'), CHECK_TIMEOUT_MS).then(
          () => true,
          (err: unknown) => {
            request.log.warn({ err }, 'health: database unavailable');
            return false;
          },
        ),
      ]);
      const body = {
        status: temporalOk && dbOk ? ('ok' as const) : ('degraded' as const),
        temporal: temporalOk ? ('ok' as const) : ('unavailable' as const),
        db: dbOk ? ('ok' as const) : ('unavailable' as const),
      };
      return reply.status(body.status === 'ok' ? 200 : 503).send(body);
    },
  );
};

export default health;
