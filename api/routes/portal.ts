import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { ClientDecision, DecisionKind } from '../../domain/approval';
import { isOverdueAwaitingApproval } from '../../domain/deadlines';
import { findKind } from '../../domain/kinds';
import type { Pool } from '../../db/pool';
import {
  openPortalNotices,
  portalFilings,
  portalSessionByHash,
  queueOverdueMail,
  redeemPortalToken,
  revokePortalSession,
  type PortalNotice,
} from '../../db/repositories/portal';
import { DEFAULT_LANGUAGE, isLanguage, wordsFor, type Language, type Words } from '../i18n';
import { sendClientDecision } from '../services/decisions';
import { hashToken } from '../plugins/auth';
import { registerViews } from '../plugins/views';
import type { PortalFiling } from '../services/portal-content';
import type { OffThread } from '../services/off-thread';

/**
 * The client portal (A1, A6, K3): a contact person opens a login link (single-use, expiring, revocable token in the
 * URL fragment), gets a short-lived session cookie, sees only the filings of their own organisation (anything else
 * answers 404, exactly like an unknown id), reads what they approve, and approves, rejects with a reason, or (annual
 * reports) sets "adopted" first. Each decision reaches the filing workflow as a Temporal update, so the page gets the
 * workflow's answer at once. Pages are eta templates (`api/views/portal/`, escaped by default), Dutch by default and
 * English on request, in the words of `api/i18n` (its portal section).
 */
const SESSION_COOKIE = 'fh_portal';
const LANGUAGE_COOKIE = 'fh_portal_lang';
const SESSION_HOURS = 8;
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const ASSETS = path.resolve(__dirname, '../assets/portal');
const SERVED_ASSETS = new Set(['/portal.css', '/portal.js', '/favicon.svg']);
const DONE = new Set(['approve', 'reject', 'adopt']);

interface Session {
  id: string;
  contactPersonId: string;
  contactName: string;
  organisationId: string;
  organisationName: string;
  csrf: string;
}

/** A filing as the portal's pages show it. */
interface ShownFiling extends PortalFiling {
  overdue: boolean;
  hubId: string | null;
  hubName: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A cookie's value from a Cookie header (the session cookie's value is base64url). */
function cookieOf(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** HttpOnly, SameSite=Strict, limited to /portal; Secure when the portal is served over https. Max-Age 0 clears it. */
function portalCookie(name: string, value: string, maxAgeSeconds: number, secure: boolean, httpOnly = true): string {
  return `${name}=${value}; Path=/portal; Max-Age=${maxAgeSeconds}; ${httpOnly ? 'HttpOnly; ' : ''}SameSite=Strict${secure ? '; Secure' : ''}`;
}

const sha = (value: string) => createHash('sha256').update(value).digest('base64url');
/** Today as the due dates are written (YYYY-MM-DD, UTC, as the staff console counts overdue filings). */
const today = () => new Date().toISOString().slice(0, 10);

const portal: FastifyPluginAsyncTypebox<{ pool: Pool; temporal: Client; offThread: OffThread; secureCookies: boolean; loginAttemptsPerMinute?: number }> = async (
  app,
  { pool, temporal, offThread, secureCookies, loginAttemptsPerMinute = 20 },
) => {
  await app.register(formbody, { bodyLimit: 64 * 1024 });
  await registerViews(app);
  await app.register(fastifyStatic, {
    root: ASSETS,
    prefix: '/portal/assets/',
    decorateReply: false,
    index: false,
    list: false,
    allowedPath: (pathName) => SERVED_ASSETS.has(pathName),
    maxAge: '1h',
  });
  app.addHook('onSend', async (request, reply) => {
    if (request.url.startsWith('/portal')) {
      reply.header('Content-Security-Policy', CSP);
      // Pages carry a client's figures: never cached. The static assets may be.
      if (!request.url.startsWith('/portal/assets/')) reply.header('Cache-Control', 'no-store');
    }
  });

  const language = (request: FastifyRequest): Language => {
    const chosen = cookieOf(request.headers.cookie, LANGUAGE_COOKIE);
    return isLanguage(chosen) ? chosen : DEFAULT_LANGUAGE;
  };

  /** Renders a portal template in the reader's language, with the session's organisation and CSRF token. */
  async function render(request: FastifyRequest, reply: FastifyReply, template: string, data: Record<string, unknown>, s?: Session, status = 200) {
    const html = await reply.viewAsync(`portal/${template}`, {
      ...wordsFor(language(request)),
      organisation: s?.organisationName,
      csrf: s?.csrf,
      here: request.url,
      ...data,
    });
    return reply.status(status).type('text/html; charset=utf-8').send(html);
  }

  async function session(request: FastifyRequest): Promise<Session | undefined> {
    const value = cookieOf(request.headers.cookie, SESSION_COOKIE);
    if (!value || !/^[A-Za-z0-9_-]{20,100}$/.test(value)) return undefined;
    const row = await portalSessionByHash(pool, hashToken(value));
    return row && { ...row, csrf: sha(`csrf:${value}`) };
  }

  async function filingsOf(organisationId: string, id?: string): Promise<ShownFiling[]> {
    const day = today();
    return (await portalFilings(pool, organisationId, id)).map((r) => {
      const dueDate = r.due_date ? r.due_date.toISOString().slice(0, 10) : null;
      return {
        id: r.id,
        number: Number(r.number),
        kind: r.kind,
        period: r.period,
        lifecycle: r.lifecycle,
        digipoortStatus: r.digipoort_status,
        identityNumber: r.identity_number,
        contentXml: r.content_xml,
        contentSha256: r.content_sha256,
        dueDate,
        lastStatusChangeAt: r.last_status_change_at.toISOString(),
        input: r.input as PortalFiling['input'],
        adopted: r.adopted,
        workflowId: r.workflow_id,
        overdue: isOverdueAwaitingApproval({ lifecycle: r.lifecycle, dueDate }, day),
        hubId: r.hub_id,
        hubName: r.hub_name,
      };
    });
  }

  /** The accountant hears of each overdue filing once (the outbox's dedupe key), when the client is shown it. */
  async function tellAccountantOfOverdue(filings: ShownFiling[]): Promise<void> {
    for (const f of filings.filter((x) => x.overdue)) {
      await queueOverdueMail(pool, { id: f.id, number: f.number, hubId: f.hubId, what: `${findKind(f.kind)?.label ?? f.kind} ${f.period ?? ''}`.trim(), dueDate: f.dueDate! });
    }
  }

  /** A notice in the reader's language, from what it is about (the stored English text only as the receiver's details). */
  function noticeText(words: Words, n: PortalNotice, filings: ShownFiling[]): { kind: string; text: string; details?: string } {
    const f = filings.find((x) => x.id === n.messageId);
    if (!f) return { kind: n.kind, text: n.text };
    const what = `${words.kindName(f.kind)} ${f.period ?? ''}`.trim();
    const due = words.date(f.dueDate);
    if (n.kind === 'published') return { kind: n.kind, text: words.f('portal_notice_published', { what, due }) };
    if (n.kind.startsWith('client-reminded')) return { kind: n.kind, text: words.f('portal_notice_reminder', { what, due }) };
    if (n.kind === 'rejected-by-authority') {
      const authority = words.t[`portal_authority_${findKind(f.kind)?.receiver ?? 'belastingdienst'}`];
      return { kind: n.kind, text: words.f('portal_notice_rejected', { authority, what }), details: n.text };
    }
    return { kind: n.kind, text: n.text };
  }

  /** The decision went to the engine but its answer is late (a backlog): 202, and the page shows it once taken up. */
  const received = (request: FastifyRequest, reply: FastifyReply, s: Session, filing: PortalFiling) => {
    const t = wordsFor(language(request)).t;
    return render(request, reply, 'message', { title: t.portal_received, message: t.portal_receivedText, tone: 'done', back: `/portal/filings/${filing.id}`, backText: t.portal_backToFiling }, s, 202);
  };

  const notFound = (request: FastifyRequest, reply: FastifyReply, s?: Session) => {
    const t = wordsFor(language(request)).t;
    // The same page for a foreign filing as for an unknown one (nothing of the asked URL in it).
    return render(request, reply, 'message', { title: t.portal_notFound, message: t.portal_notFoundText, tone: 'plain', here: '/portal' }, s, 404);
  };

  /** 409: the decision cannot be taken; says why and links back to the filing. */
  const notPossible = (request: FastifyRequest, reply: FastifyReply, s: Session, filing: PortalFiling, message: string, reason?: string) => {
    const t = wordsFor(language(request)).t;
    return render(request, reply, 'message', { title: t.portal_notPossible, message, reason, back: `/portal/filings/${filing.id}`, backText: t.portal_backToFiling }, s, 409);
  };

  app.get(
    '/portal/language/:lang',
    {
      schema: {
        tags: ['portal'],
        summary: 'Choose the portal language (Dutch by default)',
        params: Type.Object({ lang: Type.String({ maxLength: 5 }) }),
        querystring: Type.Object({ next: Type.Optional(Type.String({ maxLength: 500 })) }),
      },
    },
    async (request, reply) => {
      const lang = request.params.lang;
      if (isLanguage(lang)) reply.header('set-cookie', portalCookie(LANGUAGE_COOKIE, lang, 365 * 24 * 3600, secureCookies, false));
      // Only back into the portal (no open redirect).
      const next = request.query.next ?? '/portal';
      return reply.redirect(/^\/portal(?:[/?#]|$)/.test(next) ? next : '/portal', 303);
    },
  );

  app.get('/portal/login', { schema: { tags: ['portal'], summary: 'Portal login page (the link token comes in the URL fragment)' } }, async (request, reply) =>
    render(request, reply, 'login', {}),
  );

  app.post(
    '/portal/session',
    {
      // Guessing a 256-bit token is hopeless, but a flood of attempts is still refused early (per client address).
      config: { rateLimit: { max: loginAttemptsPerMinute, timeWindow: '1 minute' } },
      schema: {
        tags: ['portal'],
        summary: 'Redeem a portal login link for a session cookie',
        body: Type.Object({ token: Type.String({ maxLength: 200 }) }),
      },
    },
    async (request, reply) => {
      const refused = () => render(request, reply, 'login', { refused: true }, undefined, 401);
      const token = request.body.token.trim();
      if (!/^fhp_[A-Za-z0-9_-]{40,60}$/.test(token)) return refused();
      const value = randomBytes(32).toString('base64url');
      if (!(await redeemPortalToken(pool, hashToken(token), hashToken(value), SESSION_HOURS))) return refused();
      reply.header('set-cookie', portalCookie(SESSION_COOKIE, value, SESSION_HOURS * 3600, secureCookies));
      return reply.redirect('/portal', 303);
    },
  );

  app.post('/portal/logout', { schema: { tags: ['portal'], summary: 'End the portal session' } }, async (request, reply) => {
    const s = await session(request);
    if (s && (request.body as { csrf?: string } | undefined)?.csrf === s.csrf) await revokePortalSession(pool, s.id);
    reply.header('set-cookie', portalCookie(SESSION_COOKIE, '', 0, secureCookies));
    return reply.redirect('/portal/login', 303);
  });

  app.get('/portal', { schema: { tags: ['portal'], summary: "The client's filings and notices" } }, async (request, reply) => {
    const s = await session(request);
    if (!s) return reply.redirect('/portal/login', 303);
    const words = wordsFor(language(request));
    const filings = await filingsOf(s.organisationId);
    await tellAccountantOfOverdue(filings);
    const notices = (await openPortalNotices(pool, s.organisationId)).map((n) => noticeText(words, n, filings));
    return render(request, reply, 'filings', {
      contactName: s.contactName,
      notices,
      pending: filings.filter((f) => f.lifecycle === 30),
      others: filings.filter((f) => f.lifecycle !== 30),
    }, s);
  });

  app.get(
    '/portal/filings/:id',
    { schema: { tags: ['portal'], summary: 'One filing: what the client approves', params: Type.Object({ id: Type.String({ maxLength: 64 }) }), querystring: Type.Object({ done: Type.Optional(Type.String({ maxLength: 20 })) }) } },
    async (request, reply) => {
      const s = await session(request);
      if (!s) return reply.redirect('/portal/login', 303);
      const id = request.params.id;
      const [filing] = UUID.test(id) ? await filingsOf(s.organisationId, id) : [];
      if (!filing) return notFound(request, reply, s);
      await tellAccountantOfOverdue([filing]);
      const words = wordsFor(language(request));
      const refusals = (await openPortalNotices(pool, s.organisationId, filing.id))
        .filter((n) => n.kind === 'rejected-by-authority')
        .map((n) => noticeText(words, n, [filing]));
      const kind = findKind(filing.kind);
      return render(request, reply, 'filing', {
        filing,
        content: await offThread.portalContent(filing),
        refusals,
        done: DONE.has(request.query.done ?? '') ? request.query.done : undefined,
        authority: kind?.receiver ?? 'belastingdienst',
        firm: filing.hubName ?? '',
        // K3: a kind adopted before approval shows the adoption first, then the final approval.
        adoption: kind?.approval.adoptionBeforeApproval ?? false,
      }, s);
    },
  );

  app.post(
    '/portal/filings/:id/decision',
    {
      schema: {
        tags: ['portal'],
        summary: 'Approve, reject (with a reason) or set "adopted" (annual reports)',
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        body: Type.Object({
          csrf: Type.String({ maxLength: 100 }),
          decision: Type.Union([Type.Literal('approve'), Type.Literal('reject'), Type.Literal('adopt')]),
          contentSha256: Type.String({ maxLength: 64 }),
          reason: Type.Optional(Type.String({ maxLength: 2000 })),
        }),
      },
    },
    async (request, reply) => {
      const s = await session(request);
      if (!s) return reply.redirect('/portal/login', 303);
      const body = request.body;
      const words = wordsFor(language(request));
      if (body.csrf !== s.csrf) return render(request, reply, 'message', { title: words.t.portal_notAllowed, message: words.t.portal_formExpired }, s, 403);
      const id = request.params.id;
      const [filing] = UUID.test(id) ? await filingsOf(s.organisationId, id) : [];
      if (!filing) return notFound(request, reply, s);
      if (filing.lifecycle !== 30) {
        return notPossible(request, reply, s, filing, words.f('portal_notWaiting', { status: words.lifecycleName(filing.lifecycle, filing.kind, true) }));
      }
      // No workflow behind it: nothing can take a decision, as when the workflow is gone.
      if (!filing.workflowId) return notFound(request, reply, s);
      const decision: ClientDecision = {
        decision: body.decision as DecisionKind,
        contentSha256: body.contentSha256,
        reason: body.reason,
        contactPersonId: s.contactPersonId,
        via: 'portal',
      };
      try {
        // Retried under one update id when the engine is slow; then "received, being processed" (issue 10).
        const sent = await sendClientDecision(temporal, filing.workflowId, decision);
        if (sent.outcome === 'received') return received(request, reply, s, filing);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return notFound(request, reply, s);
        if (err instanceof WorkflowUpdateFailedError) {
          // The workflow's rule, as it says it (the rules speak English): marked as such on the page.
          return notPossible(request, reply, s, filing, words.t.portal_refusedBecause, err.cause?.message ?? err.message);
        }
        throw err;
      }
      return reply.redirect(`/portal/filings/${filing.id}?done=${body.decision}`, 303);
    },
  );
};

export default portal;
