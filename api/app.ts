import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import underPressure from '@fastify/under-pressure';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Client } from '@temporalio/client';
import type { RateLimits } from '../config';
import { requestForLog, type Logger } from '../lib/logger';
import type { Pool } from '../db/pool';
import { EncryptionCodec } from '../temporal/codec';
import { parseKeyring } from '../lib/sealing';
import type { TrustRoots } from '../integrations/pki/trust';
import { OffThread } from './services/off-thread';
import { parseSearchAttributeKey } from '../lib/search-keys';
import searchKeyRoutes from './routes/search-keys';
import operatorRoutes from './routes/operator';
import authPlugin from './plugins/auth';
import connectorAuthPlugin from './plugins/connector-auth';
import errorsPlugin from './plugins/errors';
import rateLimitsPlugin from './plugins/rate-limits';
import hubScopePlugin from './plugins/hub-scope';
import healthRoutes from './routes/health';
import platformCheckRoutes from './routes/platform-checks';
import codecRoutes from './routes/codec';
import hubRoutes from './routes/hubs';
import organisationRoutes from './routes/organisations';
import administrationRoutes from './routes/administrations';
import messageTypeRoutes from './routes/message-types';
import reminderMomentRoutes from './routes/reminder-moments';
import connectorTokenRoutes from './routes/connector-tokens';
import certificateRoutes from './routes/certificates';
import certificateGroupRoutes from './routes/certificate-groups';
import certificateSettingRoutes from './routes/certificate-settings';
import beconRoutes from './routes/becons';
import mandateRoutes from './routes/mandates';
import viaRoutes from './routes/via';
import mandateAuthorisationRoutes from './routes/mandate-authorisation';
import clientDepartureRoutes from './routes/client-departures';
import mandateLetterNameRoutes from './routes/mandate-letter-names';
import runbookRoutes from './routes/runbooks';
import filingRoutes from './routes/filings';
import messageRoutes from './routes/messages';
import communicationLogRoutes from './routes/communication-log';
import sendReceiveRoutes from './routes/send-receive';
import cleanupRoutes from './routes/cleanup';
import needsActionRoutes from './routes/needs-action';
import connectorRoutes from './routes/connector';
import contactPersonRoutes from './routes/contact-persons';
import portalTokenRoutes from './routes/portal-tokens';
import portalRoutes from './routes/portal';
import emailOutboxRoutes from './routes/email-outbox';
import staffAccountRoutes from './routes/staff-accounts';
import consolePlugin, { CONSOLE_PREFIX } from './console';

export interface AppDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
  payloadEncryptionKeys: string;
  certificateMasterKeys: string;
  /** Key of the TaxIdentifier search attribute's keyed hash (base64, SEARCH_ATTRIBUTE_KEY). */
  searchAttributeKey: string;
  temporalUiUrl: string;
  codecAuthRequired: boolean;
  /** Base URL of this API as clients reach it: portal links are built on it, and https means secure cookies. */
  publicUrl: string;
  /** Requests per minute per client address and per connector token (API_RATE_LIMIT_PER_MINUTE, CONNECTOR_RATE_LIMIT_PER_MINUTE; default 600 each). */
  rateLimits?: RateLimits;
  /** Portal login attempts per client address and minute (default 20). */
  portalLoginAttemptsPerMinute?: number;
  logger: Logger;
  clock?: () => Date;
  /** The Temporal Web UI the API serves at /temporal/ to signed-in operators (its public path must be /temporal). */
  temporalUiUpstream?: string;
  /** Digipoort's WUS base URL: /health says whether it is reachable. */
  digipoortEndpoint?: string;
  /** Load shedding (@fastify/under-pressure): above this event-loop delay the API answers 503 with Retry-After (0: off). */
  maxEventLoopDelayMs?: number;
  /** Worker threads for CPU-heavy content work (default: the cores less one, at least one). */
  offThreadMaxThreads?: number;
  /** Staff console: hours a session lasts (default 8) and sign-in attempts per client address and minute (default 10). */
  staffSessionHours?: number;
  staffSignInAttemptsPerMinute?: number;
  /** The PKIoverheid roots an uploaded certificate must chain to (PKIOVERHEID_ROOTS_FILE); without them no upload is accepted. */
  pkiOverheidRoots?: TrustRoots;
}

/** The Fastify app without a listening socket: `api/main.ts` listens, tests use `app.inject()`. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // Request logs carry the path only: a query string may hold a token.
    loggerInstance: deps.logger.child({}, { serializers: { req: requestForLog } }) as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    connectionTimeout: 30_000,
    requestTimeout: 60_000,
    keepAliveTimeout: 5_000,
    routerOptions: { maxParamLength: 200 },
    trustProxy: false,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: 'all', useDefaults: true, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // JSON where the API takes a body (the portal's forms parse their own): any other content type is 415.
  app.removeContentTypeParser('text/plain');
  await app.register(errorsPlugin);
  await app.register(helmet, {
    // The API docs page needs its own scripts and styles; the portal sets a strict policy of its own.
    contentSecurityPolicy: false,
    referrerPolicy: { policy: 'no-referrer' },
  });
  // Per client address; per connector token (by its id) when a request carries one (RateLimits in config).
  await app.register(rateLimitsPlugin, {
    pool: deps.pool,
    perAddressPerMinute: deps.rateLimits?.perAddressPerMinute ?? 600,
    perConnectorTokenPerMinute: deps.rateLimits?.perConnectorTokenPerMinute ?? 600,
  });
  // Shed load instead of queueing it when the event loop falls behind; /health answers the same way.
  await app.register(underPressure, {
    maxEventLoopDelay: deps.maxEventLoopDelayMs ?? 1000,
    retryAfter: 5,
    message: 'the API is under pressure; send the request again shortly',
  });
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
          connectorToken: { type: 'http', scheme: 'bearer', description: 'Connector token of an administration (`fhc_...`, A7).' },
        },
      },
      tags: [
        { name: 'platform', description: 'Health, connectivity checks and the Temporal Web UI codec' },
        { name: 'hubs', description: 'Hubs (the firm\'s environments that talk to the authorities)' },
        { name: 'organisations', description: 'Client organisations and their identifiers (A5)' },
        { name: 'administrations', description: 'Client administrations and their callbacks (H3)' },
        { name: 'message types', description: 'Blocked or unblocked message types (A4)' },
        { name: 'connector tokens', description: 'Tokens of administrations (A7)' },
        { name: 'certificates', description: 'PKIoverheid certificates, sealed at rest; groups, work certificate, choice (C1–C5, C7)' },
        { name: 'becons', description: 'Becon numbers and clients\' master data per year (C1, C4)' },
        { name: 'mandates', description: 'SBA and VIA mandates (C3, C6): four-eyes authorisation, collective revoke, departing clients, deleting settled ones' },
        { name: 'via', description: 'VIA retrieval: clients\' pre-filled income-tax data under a VIA mandate (C4, C6; provisional format)' },
        { name: 'runbooks', description: 'Certificate-change runbooks RB1–RB5' },
        { name: 'filings', description: 'Filings: prepare, read, reset (H10), resolve' },
        { name: 'messages', description: 'All messages, unknown return messages (ONB, H7) included' },
        { name: 'log', description: 'The communication log (H13)' },
        { name: 'send-receive', description: 'Send and receive on demand (H8)' },
        { name: 'cleanup', description: 'Cleanup of old messages (H15)' },
        { name: 'needs action', description: 'Messages without a hub (H12)' },
        { name: 'connector', description: 'The API of client administrations' },
        { name: 'contact persons', description: 'Contact persons of client organisations who approve in the portal' },
        { name: 'portal access', description: 'Single-use portal links for contact persons (A3) and the e-mail outbox' },
        { name: 'portal', description: 'The client portal: HTML pages where clients approve, reject or adopt (A1, K3)' },
        { name: 'staff console', description: 'The staff console at /staff: accounts, sign-in and the pages of the accountant (HTML)' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(cookie);
  await app.register(authPlugin, { pool: deps.pool });
  await app.register(hubScopePlugin, { pool: deps.pool });
  await app.register(connectorAuthPlugin, { pool: deps.pool });

  const { pool, temporal, taskQueue } = deps;
  // Parsing and checking a ready instance (up to 20 MiB) runs on worker threads, never on the event loop.
  const offThread = new OffThread({ maxThreads: deps.offThreadMaxThreads });
  app.addHook('onClose', () => offThread.close());
  const searchKey = parseSearchAttributeKey(deps.searchAttributeKey);
  const filingDeps = { pool, temporal, taskQueue, clock: deps.clock, offThread, searchKey };
  await app.register(healthRoutes, { pool, temporal, taskQueue, digipoortEndpoint: deps.digipoortEndpoint });
  await app.register(platformCheckRoutes, { pool, temporal, taskQueue });
  await app.register(hubRoutes, { pool, temporal, taskQueue });
  await app.register(organisationRoutes, { pool });
  await app.register(administrationRoutes, { pool });
  await app.register(messageTypeRoutes, { pool });
  await app.register(reminderMomentRoutes, { pool });
  await app.register(connectorTokenRoutes, { pool });
  const keyring = parseKeyring(deps.certificateMasterKeys, 'CERTIFICATE_MASTER_KEYS');
  await app.register(certificateRoutes, { pool, keyring, temporal, taskQueue, trustRoots: deps.pkiOverheidRoots });
  await app.register(certificateGroupRoutes, { pool });
  await app.register(certificateSettingRoutes, { pool, clock: deps.clock });
  await app.register(beconRoutes, { pool });
  await app.register(mandateRoutes, { deps: filingDeps });
  await app.register(viaRoutes, { deps: filingDeps });
  await app.register(mandateAuthorisationRoutes, { deps: filingDeps });
  await app.register(clientDepartureRoutes, { deps: filingDeps });
  await app.register(mandateLetterNameRoutes, { pool });
  await app.register(runbookRoutes, { deps: filingDeps });
  await app.register(filingRoutes, { deps: filingDeps });
  await app.register(messageRoutes, { pool });
  await app.register(communicationLogRoutes, { pool });
  await app.register(sendReceiveRoutes, { pool, temporal, taskQueue });
  await app.register(cleanupRoutes, { pool });
  await app.register(needsActionRoutes, { deps: filingDeps });
  await app.register(connectorRoutes, { deps: filingDeps });
  await app.register(contactPersonRoutes, { pool });
  await app.register(portalTokenRoutes, { pool, publicUrl: deps.publicUrl });
  await app.register(emailOutboxRoutes, { pool });
  await app.register(searchKeyRoutes, { searchKey });
  await app.register(portalRoutes, {
    pool,
    temporal,
    offThread,
    secureCookies: deps.publicUrl.startsWith('https:'),
    loginAttemptsPerMinute: deps.portalLoginAttemptsPerMinute,
  });
  await app.register(staffAccountRoutes, { pool });
  await app.register(consolePlugin, {
    prefix: CONSOLE_PREFIX,
    deps: filingDeps,
    secureCookies: deps.publicUrl.startsWith('https:'),
    keyMaterial: deps.certificateMasterKeys,
    keyring,
    trustRoots: deps.pkiOverheidRoots,
    sessionHours: deps.staffSessionHours,
    signInAttemptsPerMinute: deps.staffSignInAttemptsPerMinute,
  });
  await app.register(operatorRoutes, { pool, secureCookies: deps.publicUrl.startsWith('https:'), webUiUpstream: deps.temporalUiUpstream });
  await app.register(codecRoutes, {
    codec: EncryptionCodec.fromSpec(deps.payloadEncryptionKeys),
    uiOrigin: deps.temporalUiUrl,
    authRequired: deps.codecAuthRequired,
  });
  return app;
}
