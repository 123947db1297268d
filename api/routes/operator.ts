import { randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import formbody from '@fastify/formbody';
import httpProxy from '@fastify/http-proxy';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { WEB_UI_PATH } from '../../config';
import type { Pool } from '../../db/pool';
import { hashToken, OPERATOR_COOKIE, operatorSessionOf, staffBySession, staffByToken } from '../plugins/auth';
import { registerViews } from '../plugins/views';

/**
 * Operators use the Temporal Web UI through the API, at /temporal/: they sign in once with their staff token, get an
 * HttpOnly session cookie, and the UI (proxied from the dev server or the temporal-ui container) then decodes
 * payloads through the same-origin codec endpoint, which accepts that session. Nobody without a session sees the
 * UI or decoded data. Only an unlimited staff token (every hub) may sign in: the UI shows every hub's workflows.
 */
const SESSION_HOURS = 8;
const CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
/** Where the Web UI is served; the UI's own public path is the same, so links and assets resolve through the proxy. */
const WEB_UI_PREFIX = WEB_UI_PATH;

/** Only a path into the Web UI is a place to go back to after signing in. */
function safeNext(next: string | undefined): string {
  return next && next.startsWith(`${WEB_UI_PREFIX}/`) && !next.includes('//') && !/[\r\n]/.test(next) ? next : `${WEB_UI_PREFIX}/`;
}

function cookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return `${OPERATOR_COOKIE}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

const operator: FastifyPluginAsyncTypebox<{ pool: Pool; secureCookies: boolean; webUiUpstream?: string; signInAttemptsPerMinute?: number }> = async (
  app,
  { pool, secureCookies, webUiUpstream, signInAttemptsPerMinute = 10 },
) => {
  await app.register(formbody, { bodyLimit: 4 * 1024 });
  await registerViews(app);
  /** The sign-in page (api/views/operator/sign-in.eta; English, like the Web UI it opens). */
  const signInPage = async (reply: FastifyReply, status: number, next: string, problem?: string) =>
    reply
      .status(status)
      .header('Content-Security-Policy', CSP)
      .header('Cache-Control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(await reply.viewAsync('operator/sign-in', { next, problem }));

  app.get(
    '/operator/sign-in',
    {
      schema: {
        tags: ['platform'],
        summary: 'Sign-in page of the Temporal Web UI served at /temporal/',
        querystring: Type.Object({ next: Type.Optional(Type.String({ maxLength: 2000 })) }),
        produces: ['text/html'],
      },
    },
    async (request, reply) => signInPage(reply, 200, safeNext(request.query.next)),
  );

  app.post(
    '/operator/sign-in',
    {
      config: { rateLimit: { max: signInAttemptsPerMinute, timeWindow: '1 minute' } },
      schema: {
        tags: ['platform'],
        summary: 'Sign in with a staff token (form post); sets the operator session cookie',
        consumes: ['application/x-www-form-urlencoded'],
        body: Type.Object({ token: Type.String({ maxLength: 200 }), next: Type.Optional(Type.String({ maxLength: 2000 })) }),
      },
    },
    async (request, reply) => {
      const next = safeNext(request.body.next);
      const staff = await staffByToken(pool, request.body.token.trim());
      if (!staff) return signInPage(reply, 401, next, 'That is not a valid staff token.');
      if (staff.hubId) return signInPage(reply, 403, next, 'This staff token is limited to one hub; the Web UI shows every hub. Use an unlimited token.');
      const session = randomBytes(32).toString('base64url');
      await pool.query(
        `INSERT INTO operator_sessions (token_hash, staff_token_id, expires_at) VALUES ($1, $2, now() + make_interval(hours => $3))`,
        [hashToken(session), staff.tokenId, SESSION_HOURS],
      );
      request.log.info({ staffToken: staff.tokenId }, 'operator signed in');
      return reply.status(303).header('set-cookie', cookie(session, SESSION_HOURS * 3600, secureCookies)).header('Location', next).send();
    },
  );

  app.post(
    '/operator/sign-out',
    { schema: { tags: ['platform'], summary: 'End the operator session' } },
    async (request, reply) => {
      const session = operatorSessionOf(request);
      if (session) await pool.query('UPDATE operator_sessions SET ended_at = now() WHERE token_hash = $1 AND ended_at IS NULL', [hashToken(session)]);
      return reply.status(303).header('set-cookie', cookie('', 0, secureCookies)).header('Location', '/operator/sign-in').send();
    },
  );

  if (!webUiUpstream) return;
  /** Lets a signed-in operator through; anyone else is answered here (true: answered). */
  const answeredWithoutOperator = async (request: FastifyRequest, reply: FastifyReply): Promise<boolean> => {
    const session = operatorSessionOf(request);
    const staff = session ? await staffBySession(pool, session) : undefined;
    if (staff && !staff.hubId) {
      request.staff = staff;
      return false;
    }
    // A page is sent to the sign-in; the UI's own API calls get a plain 401.
    if (request.method === 'GET' && !request.url.startsWith(`${WEB_UI_PREFIX}/api/`)) {
      await reply.status(303).header('Location', `/operator/sign-in?next=${encodeURIComponent(request.url)}`).send();
    } else {
      await reply.status(401).send({ error: 'Unauthorized', message: 'sign in at /operator/sign-in to use the Web UI' });
    }
    return true;
  };
  await app.register(httpProxy, {
    upstream: webUiUpstream,
    prefix: WEB_UI_PREFIX,
    rewritePrefix: WEB_UI_PREFIX,
    // The UI loads many assets and polls: a wider limit than the API's, per operator address.
    config: { rateLimit: { max: 6000, timeWindow: '1 minute' } },
    preHandler: (request, reply, done) => {
      answeredWithoutOperator(request, reply).then((answered) => {
        if (!answered) done();
      }, done);
    },
    // The operator's cookies stay here: the UI has its own (CSRF), which pass through.
    replyOptions: {
      rewriteRequestHeaders: (_request, headers) => {
        const { authorization: _a, ...rest } = headers;
        const cookies = String(rest.cookie ?? '')
          .split(';')
          .map((c) => c.trim())
          .filter((c) => c && !c.startsWith(`${OPERATOR_COOKIE}=`))
          .join('; ');
        return cookies ? { ...rest, cookie: cookies } : (({ cookie: _c, ...withoutCookie }) => withoutCookie)(rest);
      },
    },
  });
};

export default operator;
