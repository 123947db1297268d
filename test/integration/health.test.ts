import { Client, Connection } from '@temporalio/client';
import { buildApp } from '../../api/app';
import { createPool } from '../../db/pool';
import { createLogger } from '../../lib/logger';
import { TEST_CERTIFICATE_MASTER_KEYS, TEST_PAYLOAD_ENCRYPTION_KEYS } from '../setup/constants';
import { testConfig } from '../helpers/temporal';
import { connectClient } from '../../temporal/connection';

async function appWith(pool: ReturnType<typeof createPool>, temporal: Client) {
  return buildApp({
    pool,
    temporal,
    taskQueue: 'health',
    payloadEncryptionKeys: TEST_PAYLOAD_ENCRYPTION_KEYS,
    certificateMasterKeys: TEST_CERTIFICATE_MASTER_KEYS,
    temporalUiUrl: 'http://localhost:8233',
    codecAuthRequired: true,
    publicUrl: 'http://localhost:3000',
    logger: createLogger('health-test', 'silent'),
  });
}

describe('GET /health', () => {
  const config = testConfig();

  it('answers 200 with every part ok when Temporal and PostgreSQL answer', async () => {
    const pool = createPool(config.databaseUrl, 1);
    const temporal = await connectClient(config.temporal, config.payloadEncryptionKeys);
    const app = await appWith(pool, temporal);
    try {
      const res = await app.inject({ method: 'GET', url: '/health' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ok', temporal: 'ok', db: 'ok' });
    } finally {
      await app.close();
      await temporal.connection.close();
      await pool.end();
    }
  });

  it('answers 503 naming the database when PostgreSQL does not answer', async () => {
    const pool = createPool('postgres://postgres@127.0.0.1:1/nowhere', 1);
    const temporal = await connectClient(config.temporal, config.payloadEncryptionKeys);
    const app = await appWith(pool, temporal);
    try {
      const res = await app.inject({ method: 'GET', url: '/health' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'degraded', temporal: 'ok', db: 'unavailable' });
    } finally {
      await app.close();
      await temporal.connection.close();
      await pool.end();
    }
  });

  it('answers 503 naming Temporal when the Temporal server does not answer', async () => {
    const pool = createPool(config.databaseUrl, 1);
    const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 });
    const temporal = new Client({ connection });
    const app = await appWith(pool, temporal);
    try {
      const res = await app.inject({ method: 'GET', url: '/health' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'degraded', temporal: 'unavailable', db: 'ok' });
    } finally {
      await app.close();
      await connection.close().catch(() => undefined);
      await pool.end();
    }
  });
});
