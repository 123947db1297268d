import { Client, Connection } from '@temporalio/client';
import { buildApp } from '../../api/app';
import { createPool } from '../../db/pool';
import { announcePresence } from '../../db/repositories/worker-presence';
import { createLogger } from '../../lib/logger';
import { TEST_CERTIFICATE_MASTER_KEYS, TEST_PAYLOAD_ENCRYPTION_KEYS, TEST_SEARCH_ATTRIBUTE_KEY } from '../setup/constants';
import { testConfig, uniqueTaskQueue } from '../helpers/temporal';
import { connectClient } from '../../temporal/connection';

/** What the app logged at warn and above during one check: shown when the check fails (a 500's cause is only there). */
const logged: string[] = [];
const log = { write: (line: string) => void logged.push(line) };

async function appWith(pool: ReturnType<typeof createPool>, temporal: Client, taskQueue: string, digipoortEndpoint = process.env.DIGIPOORT_ENDPOINT_BASE) {
  return buildApp({
    pool,
    temporal,
    taskQueue,
    payloadEncryptionKeys: TEST_PAYLOAD_ENCRYPTION_KEYS,
    certificateMasterKeys: TEST_CERTIFICATE_MASTER_KEYS,
    searchAttributeKey: TEST_SEARCH_ATTRIBUTE_KEY,
    temporalUiUrl: 'http://localhost:8233',
    codecAuthRequired: true,
    publicUrl: 'http://localhost:3000',
    digipoortEndpoint,
    logger: createLogger('health-test', 'warn', log),
  });
}

describe('GET /health', () => {
  const config = testConfig();

  async function withApp(
    parts: { pool?: ReturnType<typeof createPool>; temporal?: Client; digipoortEndpoint?: string; worker?: boolean },
    check: (res: { statusCode: number; json: () => unknown }) => void,
  ) {
    const taskQueue = uniqueTaskQueue('health');
    const pool = parts.pool ?? createPool(config.databaseUrl, 2);
    const temporal = parts.temporal ?? (await connectClient(config.temporal, config.payloadEncryptionKeys));
    const presencePool = createPool(config.databaseUrl, 1);
    const presence = parts.worker === false ? undefined : announcePresence(presencePool, taskQueue);
    const app = await appWith(pool, temporal, taskQueue, parts.digipoortEndpoint);
    try {
      // The presence row is written as the worker starts; the first look may come before it.
      let res = await app.inject({ method: 'GET', url: '/health' });
      for (let i = 0; i < 20 && presence && (res.json() as { worker?: string }).worker === 'unavailable'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        res = await app.inject({ method: 'GET', url: '/health' });
      }
      try {
        check(res);
      } catch (failure) {
        (failure as Error).message += `\nbody: ${JSON.stringify(res.json())}\nlogged:\n${logged.join('')}`;
        throw failure;
      }
    } finally {
      logged.length = 0;
      await presence?.stop();
      await presencePool.end();
      await app.close();
      if (!parts.temporal) await temporal.connection.close();
      await pool.end();
    }
  }

  it('answers 200 with every part ok when Temporal, PostgreSQL, a worker and Digipoort answer', async () => {
    await withApp({}, (res) => {
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ok', temporal: 'ok', db: 'ok', worker: 'ok', digipoort: 'ok', missing: [] });
    });
  });

  it('answers 200 degraded naming the worker when no worker is alive (the API still takes requests)', async () => {
    await withApp({ worker: false }, (res) => {
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'degraded', temporal: 'ok', db: 'ok', worker: 'unavailable', digipoort: 'ok', missing: ['worker'] });
    });
  });

  it('answers 200 degraded naming Digipoort when it cannot be reached', async () => {
    await withApp({ digipoortEndpoint: 'https://127.0.0.1:1' }, (res) => {
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ status: 'degraded', digipoort: 'unavailable', missing: ['digipoort'] });
    });
  });

  it('answers 503 naming the database when PostgreSQL does not answer', async () => {
    await withApp({ pool: createPool('postgres://postgres@127.0.0.1:1/nowhere', 1) }, (res) => {
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'degraded', temporal: 'ok', db: 'unavailable', digipoort: 'ok', missing: ['db'] });
    });
  });

  it('answers 503 naming Temporal when the Temporal server does not answer', async () => {
    const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 });
    try {
      await withApp({ temporal: new Client({ connection }) }, (res) => {
        expect(res.statusCode).toBe(503);
        expect(res.json()).toMatchObject({ status: 'degraded', temporal: 'unavailable', db: 'ok', missing: ['temporal'] });
      });
    } finally {
      await connection.close().catch(() => undefined);
    }
  });
});
