import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { createStaffToken } from '../../api/plugins/auth';
import { readEnv, type RateLimits } from '../../config';
import { TrustRoots } from '../../integrations/pki/trust';
import { createLogger, type Logger } from '../../lib/logger';
import type { TestContext } from './temporal';
import { TEST_SEARCH_ATTRIBUTE_KEY } from '../setup/constants';

/** The real API app (inject, no socket) on the test context's pool and Temporal client, plus a staff token. */
export async function buildTestApp(ctx: TestContext, overrides: { portalLoginAttemptsPerMinute?: number; staffSignInAttemptsPerMinute?: number; temporalUiUpstream?: string; logger?: Logger; maxEventLoopDelayMs?: number; rateLimits?: RateLimits } = {}): Promise<{ app: FastifyInstance; staffToken: string }> {
  const app = await buildApp({
    pool: ctx.pool,
    temporal: ctx.client,
    taskQueue: ctx.config.temporal.taskQueue,
    payloadEncryptionKeys: ctx.config.payloadEncryptionKeys,
    certificateMasterKeys: ctx.config.certificateMasterKeys,
    searchAttributeKey: TEST_SEARCH_ATTRIBUTE_KEY,
    temporalUiUrl: ctx.config.temporalUiUrl,
    codecAuthRequired: true,
    publicUrl: ctx.config.publicUrl,
    temporalUiUpstream: overrides.temporalUiUpstream,
    rateLimits: overrides.rateLimits,
    // Test files log in far more often than a person; the limit itself has its own test.
    portalLoginAttemptsPerMinute: overrides.portalLoginAttemptsPerMinute ?? 1000,
    staffSignInAttemptsPerMinute: overrides.staffSignInAttemptsPerMinute ?? 1000,
    logger: overrides.logger ?? createLogger('api-test', 'silent'),
    // A test process also runs Temporal workers and Jest: on a loaded machine its loop stalls for seconds (and
    // under-pressure counts an interval without a sample as an infinite delay), so shedding there would refuse
    // requests no real API would refuse. Off (0) unless a test asks for it; shedding has its own test.
    maxEventLoopDelayMs: overrides.maxEventLoopDelayMs ?? 0,
    // The run's test PKI root, as the API's PKIOVERHEID_ROOTS_FILE.
    pkiOverheidRoots: TrustRoots.fromPem(readFileSync(readEnv('PKIOVERHEID_ROOTS_FILE') as string, 'utf8')),
  });
  const { token } = await createStaffToken(ctx.pool, 'test');
  return { app, staffToken: token };
}
