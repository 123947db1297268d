import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Client } from '@temporalio/client';
import type { Logger } from '../lib/logger';
import type { Pool } from '../db/pool';
import { EncryptionCodec } from '../temporal/codec';
import authPlugin from './plugins/auth';
import errorsPlugin from './plugins/errors';
import healthRoutes from './routes/health';
import platformCheckRoutes from './routes/platform-checks';
import codecRoutes from './routes/codec';

export interface AppDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
  payloadEncryptionKeys: string;
  temporalUiUrl: string;
  codecAuthRequired: boolean;
  logger: Logger;
}

/** The Fastify app without a listening socket: `api/main.ts` listens, tests use `app.inject()`. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    connectionTimeout: 30_000,
    requestTimeout: 60_000,
    keepAliveTimeout: 5_000,
    routerOptions: { maxParamLength: 200 },
    trustProxy: false,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: 'all', useDefaults: true, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(errorsPlugin);
  await app.register(helmet, {
    // The API docs page needs its own scripts and styles; the portal sets a strict policy of its own.
    contentSecurityPolicy: false,
    referrerPolicy: { policy: 'no-referrer' },
  });
  await app.register(rateLimit, { max: 600, timeWindow: '1 minute' });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Filing hub API',
        description:
          'Staff API, connector API for client administrations, client portal and platform endpoints of the filing hub.',
        version: '0.1.0',
      },
      components: {
        securitySchemes: {
          staffToken: { type: 'http', scheme: 'bearer', description: 'Staff bearer token (`fhs_...`).' },
        },
      },
      tags: [{ name: 'platform', description: 'Health, connectivity checks and the Temporal Web UI codec' }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(authPlugin, { pool: deps.pool });

  await app.register(healthRoutes, { pool: deps.pool, temporal: deps.temporal });
  await app.register(platformCheckRoutes, { pool: deps.pool, temporal: deps.temporal, taskQueue: deps.taskQueue });
  await app.register(codecRoutes, {
    codec: EncryptionCodec.fromSpec(deps.payloadEncryptionKeys),
    uiOrigin: deps.temporalUiUrl,
    authRequired: deps.codecAuthRequired,
  });
  return app;
}
