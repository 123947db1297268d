import { connect } from 'node:net';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Client } from '@temporalio/client';
import type { Pool } from '../../db/pool';
import { liveWorkers } from '../../db/repositories/worker-presence';

const PartStatus = Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]);
const HealthResponse = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  temporal: PartStatus,
  db: PartStatus,
  worker: Type.Optional(PartStatus),
  digipoort: Type.Optional(PartStatus),
  missing: Type.Array(Type.String(), { description: 'The parts that do not answer, by name.' }),
});

const CHECK_TIMEOUT_MS = 3000;
/** Digipoort is looked at (a TCP connect) at most this often; the answer is reused in between. */
const DIGIPOORT_CHECK_EVERY_MS = 5000;

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

/** Whether something accepts TCP connections at the endpoint's host and port (no TLS, no request). */
function reachable(endpoint: string, timeoutMs: number): Promise<boolean> {
  const url = new URL(endpoint);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface HealthOptions {
  pool: Pool;
  temporal: Client;
  /** The task queue whose workers must be present. */
  taskQueue: string;
  /** Digipoort's WUS base URL; checked when given. */
  digipoortEndpoint?: string;
}

/**
 * 200 `ok` when every part answers. 503 `degraded` when this API cannot work (PostgreSQL or Temporal missing). 200
 * `degraded` when it can but a part of the system is missing (no worker alive, Digipoort unreachable): requests are
 * accepted and wait in Temporal for that part to come back. `missing` names them.
 */
const health: FastifyPluginAsyncTypebox<HealthOptions> = async (app, { pool, temporal, taskQueue, digipoortEndpoint }) => {
  let digipoortSeen: { at: number; ok: boolean } | undefined;
  const digipoortOk = async (): Promise<boolean> => {
    if (!digipoortSeen || Date.now() - digipoortSeen.at > DIGIPOORT_CHECK_EVERY_MS) {
      digipoortSeen = { at: Date.now(), ok: await reachable(digipoortEndpoint!, 1000) };
    }
    return digipoortSeen.ok;
  };

  app.get(
    '/health',
    {
      schema: {
        tags: ['platform'],
        summary: 'Liveness of the API and the parts of the system',
        description:
          '200 `ok` when everything answers; 200 `degraded` when the API works but a worker or Digipoort is missing; 503 ' +
          '`degraded` when PostgreSQL or Temporal does not answer. `missing` names what is missing.',
        response: { 200: HealthResponse, 503: HealthResponse },
      },
    },
    async (request, reply) => {
      const warn = (part: string) => (err: unknown) => {
        request.log.warn({ err }, `health: ${part} unavailable`);
        return false;
      };
      const [temporalOk, dbOk, workers, digipoort] = await Promise.all([
        temporal.connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () => temporal.connection.workflowService.getSystemInfo({})).then(() => true, warn('temporal')),
        within(pool.query('SELECT 1'), CHECK_TIMEOUT_MS).then(() => true, warn('database')),
        within(liveWorkers(pool, taskQueue), CHECK_TIMEOUT_MS).catch(() => undefined),
        digipoortEndpoint ? digipoortOk() : Promise.resolve(undefined),
      ]);
      // The worker is unknown when the database does not answer (then only `db` is named); Digipoort when unconfigured.
      const worker = workers === undefined ? undefined : workers > 0;
      const parts: [string, boolean | undefined][] = [['temporal', temporalOk], ['db', dbOk], ['worker', worker], ['digipoort', digipoort]];
      const missing = parts.filter(([, ok]) => ok === false).map(([name]) => name);
      const word = (ok: boolean) => (ok ? ('ok' as const) : ('unavailable' as const));
      const body = {
        status: missing.length === 0 ? ('ok' as const) : ('degraded' as const),
        temporal: word(temporalOk),
        db: word(dbOk),
        ...(worker === undefined ? {} : { worker: word(worker) }),
        ...(digipoort === undefined ? {} : { digipoort: word(digipoort) }),
        missing,
      };
      return reply.status(temporalOk && dbOk ? 200 : 503).send(body);
    },
  );
};

export default health;
