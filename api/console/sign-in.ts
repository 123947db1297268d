import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { decoyHash, verifyPassword } from '../../lib/passwords';
import { credentialsOf } from '../../db/repositories/staff-accounts';
import { isLanguage, wordsFor } from '../i18n';
import type { FilingServiceDeps } from '../services/filings';
import { CONSOLE_PREFIX, LANGUAGE_COOKIE, type ConsoleContext } from './index';

/** Only a console path is a place to go back to (no open redirect). */
function safeReturn(next: string | undefined): string {
  return next && next.startsWith(`${CONSOLE_PREFIX}`) && !next.includes('//') && !next.includes('\\') && !/[\r\n]/.test(next) ? next : CONSOLE_PREFIX;
}

/** Sign-in, sign-out and the language choice of the console. */
const signIn: FastifyPluginAsyncTypebox<{ deps: FilingServiceDeps; context: ConsoleContext; secureCookies: boolean; signInAttemptsPerMinute?: number }> = async (
  app,
  { deps, context, secureCookies, signInAttemptsPerMinute = 10 },
) => {
  const { render, requireAccount } = context;

  app.get('/sign-in', { schema: { tags: ['staff console'], summary: 'Sign-in page of the staff console' } }, async (request, reply) => {
    if (request.session.accountId) return reply.redirect(CONSOLE_PREFIX, 303);
    return render(request, reply, 'sign-in', { title: wordsFor(context.language(request)).t.signInTitle, email: '' });
  });

  app.post(
    '/sign-in',
    {
      // Per client address: guessing passwords is slow, and so is scrypt; both limits keep the API answering.
      config: { rateLimit: { max: signInAttemptsPerMinute, timeWindow: '1 minute' } },
      preHandler: app.csrfProtection,
      schema: {
        tags: ['staff console'],
        summary: 'Sign in with e-mail address and password (form post)',
        body: Type.Object({ email: Type.String({ maxLength: 320 }), password: Type.String({ maxLength: 1000 }), _csrf: Type.Optional(Type.String({ maxLength: 200 })) }),
      },
    },
    async (request, reply) => {
      const { email, password } = request.body;
      const credentials = await credentialsOf(deps.pool, email);
      // Unknown addresses cost the same scrypt as known ones.
      const valid = await verifyPassword(password, credentials?.passwordHash ?? (await decoyHash()));
      if (!credentials || !valid) {
        request.log.info('staff console sign-in refused');
        const t = wordsFor(context.language(request)).t;
        return render(request, reply, 'sign-in', { title: t.signInTitle, email, problem: t.signInRefused }, 401);
      }
      // A new session id at sign-in: a session fixed before it is worth nothing.
      await request.session.regenerate();
      request.session.accountId = credentials.id;
      request.log.info({ staffAccount: credentials.id }, 'staff console signed in');
      return reply.redirect(CONSOLE_PREFIX, 303);
    },
  );

  app.post('/sign-out', { preHandler: [requireAccount, app.csrfProtection], schema: { tags: ['staff console'], summary: 'Sign out of the staff console' } }, async (request, reply) => {
    await request.session.destroy();
    return reply.redirect(`${CONSOLE_PREFIX}/sign-in`, 303);
  });

  app.get(
    '/language/:lang',
    {
      schema: {
        tags: ['staff console'],
        summary: 'Choose the console language (nl, the default, or en)',
        params: Type.Object({ lang: Type.String({ maxLength: 5 }) }),
        querystring: Type.Object({ next: Type.Optional(Type.String({ maxLength: 2000 })) }),
      },
    },
    async (request, reply) => {
      const lang = isLanguage(request.params.lang) ? request.params.lang : 'nl';
      reply.setCookie(LANGUAGE_COOKIE, lang, { path: CONSOLE_PREFIX, httpOnly: true, sameSite: 'strict', secure: secureCookies, maxAge: 365 * 24 * 3600 });
      return reply.redirect(safeReturn(request.query.next), 303);
    },
  );
};

export default signIn;
