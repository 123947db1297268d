import path from 'node:path';
import { hkdfSync } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import session from '@fastify/session';
import csrf from '@fastify/csrf-protection';
import { RuleViolation, ValidationError } from '../../domain/errors';
import { staffAccount, type StaffAccount, type StaffAccountHub } from '../../db/repositories/staff-accounts';
import { findHub, type Hub } from '../../db/repositories/hubs';
import { HttpError } from '../plugins/errors';
import { registerViews } from '../plugins/views';
import { DEFAULT_LANGUAGE, isLanguage, wordsFor, type Language } from '../i18n';
import { shownText } from './log-texts';
import type { FilingServiceDeps } from '../services/filings';
import { PgSessionStore } from './session-store';
import signInRoutes from './sign-in';
import pageRoutes from './pages';
// Certificates and Mandates pages (issue 9)
import certificatePageRoutes from './certificates';
import mandatePageRoutes from './mandates';
import type { SealingKey } from '../../lib/sealing';
import type { TrustRoots } from '../../integrations/pki/trust';
import needsActionRoutes from './needs-action';
// Runbooks and settings (issue 9)
import runbookPageRoutes from './runbooks';
import settingsPageRoutes from './settings';

declare module 'fastify' {
  interface Session {
    accountId?: string;
    _csrf?: string;
  }
  interface FastifyRequest {
    /** The signed-in console account (set by `requireAccount`). */
    account?: StaffAccount;
    /** The console hub of the page, one of the account's (set by `requireAccountHub`). */
    accountHub?: { hub: Hub; role: StaffAccountHub['role'] };
  }
}

export const CONSOLE_PREFIX = '/staff';
export const LANGUAGE_COOKIE = 'fh_staff_lang';
/** The same strict policy as the client portal: our own scripts and styles only, no inline code, no framing. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const ASSETS = path.resolve(__dirname, '../assets');
const HTMX = path.dirname(require.resolve('htmx.org/dist/htmx.min.js'));
const SERVED_ASSETS = new Set(['/console.css', '/favicon.svg', '/htmx.min.js']);

export interface ConsoleOptions {
  deps: FilingServiceDeps;
  secureCookies: boolean;
  /** Key material the session cookie's signing key is derived from (HKDF, its own purpose label). */
  keyMaterial: string;
  sessionHours?: number;
  signInAttemptsPerMinute?: number;
  /** The certificate upload: the master keys it is sealed with, the PKIoverheid roots it is checked against. */
  keyring?: SealingKey[];
  trustRoots?: TrustRoots;
}

export interface ConsoleContext {
  language: (request: FastifyRequest) => Language;
  words: (request: FastifyRequest) => ReturnType<typeof wordsFor>;
  render: (request: FastifyRequest, reply: FastifyReply, template: string, data: Record<string, unknown>, status?: number) => Promise<FastifyReply>;
  requireAccount: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  requireAccountHub: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

/**
 * The staff console under /staff: server-rendered pages (eta templates, escaped by default) on the same services and
 * repositories as the JSON API. Accounts sign in with a password; the session lives in PostgreSQL; every form post
 * carries a CSRF token; a hub the account is not a member of answers 404 like an unknown one.
 */
export default async function consolePlugin(app: FastifyInstance, opts: ConsoleOptions): Promise<void> {
  const sessionHours = opts.sessionHours ?? 8;
  await app.register(formbody, { bodyLimit: 64 * 1024 });
  await registerViews(app);
  await app.register(fastifyStatic, {
    root: [ASSETS, HTMX],
    prefix: '/assets/',
    decorateReply: false,
    index: false,
    list: false,
    allowedPath: (pathName) => SERVED_ASSETS.has(pathName),
    maxAge: '1h',
  });
  await app.register(session, {
    secret: Buffer.from(hkdfSync('sha256', opts.keyMaterial, 'filing-hub', 'staff console session cookie', 32)).toString('base64url'),
    cookieName: 'fh_staff',
    cookie: { path: CONSOLE_PREFIX, httpOnly: true, sameSite: 'strict', secure: opts.secureCookies, maxAge: sessionHours * 3600 * 1000 },
    saveUninitialized: false,
    rolling: false,
    store: new PgSessionStore(opts.deps.pool, sessionHours * 3600 * 1000),
  });
  await app.register(csrf, { sessionPlugin: '@fastify/session' });

  app.addHook('onSend', async (request, reply) => {
    reply.header('Content-Security-Policy', CSP);
    if (!request.url.startsWith(`${CONSOLE_PREFIX}/assets/`)) reply.header('Cache-Control', 'no-store');
  });

  const language = (request: FastifyRequest): Language => {
    const chosen = request.cookies?.[LANGUAGE_COOKIE];
    return isLanguage(chosen) ? chosen : DEFAULT_LANGUAGE;
  };

  const render: ConsoleContext['render'] = async (request, reply, template, data, status = 200) => {
    const words = wordsFor(language(request));
    const html = await reply.viewAsync(template, {
      ...words,
      account: request.account,
      hub: request.accountHub?.hub,
      role: request.accountHub?.role,
      csrf: request.session ? reply.generateCsrf() : undefined,
      path: request.url.split('?')[0],
      here: request.url,
      // A stored English text (a log line, a reason) in the page's language; `lang` 'en' when no pattern knows it.
      say: (text: string) => shownText(text, words),
      ...data,
    });
    return reply.status(status).type('text/html; charset=utf-8').send(html);
  };

  const requireAccount: ConsoleContext['requireAccount'] = async (request, reply) => {
    const id = request.session.accountId;
    const account = id ? await staffAccount(opts.deps.pool, id) : undefined;
    if (!account) {
      if (id) await request.session.destroy();
      // A page goes to the sign-in; a form post (or htmx) is refused.
      if (request.method === 'GET') return reply.redirect(`${CONSOLE_PREFIX}/sign-in`, 303);
      throw new HttpError(401, 'sign in first');
    }
    request.account = account;
  };

  const requireAccountHub: ConsoleContext['requireAccountHub'] = async (request) => {
    const participant = (request.params as { participant?: string }).participant ?? '';
    const membership = request.account?.hubs.find((h) => h.participant === participant);
    const hub = membership ? await findHub(opts.deps.pool, participant) : undefined;
    // Not a member, unknown or deleted: the same 404 (no enumeration of other firms' hubs).
    if (!membership || !hub) throw new HttpError(404, `no hub ${participant}`);
    request.accountHub = { hub, role: membership.role };
  };

  // Errors become pages in the reader's language (the JSON API keeps its own JSON errors).
  app.setErrorHandler(async (err: Error & { statusCode?: number; code?: string }, request, reply) => {
    const t = wordsFor(language(request)).t;
    let status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    let title = t.notPossible;
    let message = err.message;
    if (err instanceof RuleViolation) status = err.kind === 'conflict' ? 409 : err.kind === 'forbidden' ? 403 : 422;
    else if (err instanceof ValidationError) status = 422;
    else if (err instanceof HttpError) status = err.statusCode;
    if (status === 404) [title, message] = [t.notFound, t.notFoundText];
    else if (err.code === 'FST_CSRF_INVALID_TOKEN' || err.code === 'FST_CSRF_MISSING_SECRET') [status, message] = [403, t.formExpired];
    else if (status === 429) message = t.tooManyAttempts;
    else if (status >= 500) {
      request.log.error({ err }, 'console page failed');
      [title, message] = [t.serverError, `${t.serverErrorText} ${request.id}`];
    }
    if (status === 401) return reply.redirect(`${CONSOLE_PREFIX}/sign-in`, 303);
    return render(request, reply, 'error', { title, message }, status);
  });
  app.setNotFoundHandler(async (request, reply) => {
    const t = wordsFor(language(request)).t;
    return render(request, reply, 'error', { title: t.notFound, message: t.notFoundText }, 404);
  });

  const context: ConsoleContext = { language, words: (request) => wordsFor(language(request)), render, requireAccount, requireAccountHub };
  await app.register(signInRoutes, { deps: opts.deps, context, secureCookies: opts.secureCookies, signInAttemptsPerMinute: opts.signInAttemptsPerMinute });
  await app.register(pageRoutes, { deps: opts.deps, context });
  // Certificates and Mandates pages (issue 9)
  await app.register(certificatePageRoutes, { deps: opts.deps, certificates: { keyring: opts.keyring ?? [], trustRoots: opts.trustRoots }, context });
  await app.register(mandatePageRoutes, { deps: opts.deps, context });
  await app.register(needsActionRoutes, { deps: opts.deps, context });
  // Runbooks and settings (issue 9)
  await app.register(runbookPageRoutes, { deps: opts.deps, context });
  await app.register(settingsPageRoutes, { deps: opts.deps, context });
}
