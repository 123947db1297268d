import { createHash, randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { ClientDecision, DecisionKind } from '../../domain/approval';
import type { LifecycleCode } from '../../domain/lifecycle';
import type { Pool } from '../../db/pool';
import { sendClientDecision } from '../services/decisions';
import { hashToken } from '../plugins/auth';
import { decisionForms, escapeHtml, filingRow, kindLabel, page, statusLabel, type PortalFiling } from '../services/portal-pages';
import type { OffThread } from '../services/off-thread';

/**
 * The client portal (A1, A6, K3): a contact person opens a login link (single-use, expiring, revocable token in the
 * URL fragment), gets a short-lived session cookie, sees only the filings of their own organisation (anything else
 * answers 404, exactly like an unknown id), reads what they approve, and approves, rejects with a reason, or (annual
 * reports) sets "adopted" first. Each decision reaches the filing workflow as a Temporal update, so the page gets the
 * workflow's answer at once.
 */
const SESSION_COOKIE = 'fh_portal';
const SESSION_HOURS = 8;
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

interface Session {
  id: string;
  contactPersonId: string;
  contactName: string;
  organisationId: string;
  organisationName: string;
  csrf: string;
}

const CSS = `body{font-family:system-ui,sans-serif;margin:0;color:#1d2733;background:#f6f7f9}
header{display:flex;gap:1rem;align-items:center;padding:.8rem 1.5rem;background:#153e6b;color:#fff}
header a{color:#fff;text-decoration:none;font-weight:600}.who{margin-left:auto}.logout button{background:none;border:1px solid #fff;color:#fff;border-radius:4px;padding:.2rem .6rem}
main{max-width:60rem;margin:1.5rem auto;padding:0 1.5rem}table{border-collapse:collapse;width:100%;background:#fff;margin:1rem 0}
th,td{border-bottom:1px solid #e1e4e8;padding:.45rem .6rem;text-align:left;vertical-align:top}td.num{text-align:right;white-space:nowrap}.en{color:#66707a;font-size:.85em}
.notice{background:#fff8d6;border:1px solid #e6d36b;padding:.6rem .8rem;margin:.4rem 0;border-radius:4px}.done{background:#e3f4e6;border:1px solid #8cc79a;padding:.6rem .8rem;border-radius:4px}
.error{background:#fde8e8;border:1px solid #e08c8c;padding:.6rem .8rem;border-radius:4px}.decide{display:flex;gap:1rem;flex-wrap:wrap;align-items:flex-start}
.decision{background:#fff;padding:.8rem;border:1px solid #e1e4e8;border-radius:4px}.decision button{padding:.5rem 1rem;font-size:1rem}
.reject textarea{display:block;width:20rem;height:4rem;margin:.3rem 0}.status{font-size:1.1rem}`;

const FAVICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#153e6b"/><path d="M4 8.5l2.5 2.5L12 5" stroke="#fff" stroke-width="2" fill="none"/></svg>';

/** Fills the login form from the link's fragment (never sent to a server) and submits it. */
const JS = `document.addEventListener('DOMContentLoaded',function(){var f=document.getElementById('login');if(!f)return;
var m=/[#&]t=([A-Za-z0-9_-]+)/.exec(location.hash);if(m){f.token.value=m[1];history.replaceState(null,'',location.pathname);f.submit();}});`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The session cookie's value from a Cookie header (only our one cookie matters; its value is base64url). */
function sessionCookieOf(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === SESSION_COOKIE) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** HttpOnly, SameSite=Strict, limited to /portal; Secure when the portal is served over https. Max-Age 0 clears it. */
function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/portal; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

const sha = (value: string) => createHash('sha256').update(value).digest('base64url');

const portal: FastifyPluginAsyncTypebox<{ pool: Pool; temporal: Client; offThread: OffThread; secureCookies: boolean; loginAttemptsPerMinute?: number }> = async (
  app,
  { pool, temporal, offThread, secureCookies, loginAttemptsPerMinute = 20 },
) => {
  await app.register(formbody, { bodyLimit: 64 * 1024 });
  app.addHook('onSend', async (request, reply) => {
    if (request.url.startsWith('/portal')) {
      reply.header('Content-Security-Policy', CSP);
      // Pages carry a client's figures: never cached. The static assets may be.
      if (!request.url.startsWith('/portal/assets/')) reply.header('Cache-Control', 'no-store');
    }
  });

  const html = (reply: FastifyReply, status: number, body: string) => reply.status(status).type('text/html; charset=utf-8').send(body);

  async function session(request: FastifyRequest): Promise<Session | undefined> {
    const value = sessionCookieOf(request.headers.cookie);
    if (!value || !/^[A-Za-z0-9_-]{20,100}$/.test(value)) return undefined;
    const { rows } = await pool.query<{ id: string; contact_person_id: string; contact_name: string; organisation_id: string; organisation_name: string }>(
      `SELECT s.id, s.contact_person_id, c.name AS contact_name, s.organisation_id, o.name AS organisation_name
         FROM portal_sessions s JOIN contact_persons c ON c.id = s.contact_person_id JOIN organisations o ON o.id = s.organisation_id
        WHERE s.session_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now()`,
      [hashToken(value)],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      id: row.id,
      contactPersonId: row.contact_person_id,
      contactName: row.contact_name,
      organisationId: row.organisation_id,
      organisationName: row.organisation_name,
      csrf: sha(`csrf:${value}`),
    };
  }

  async function filingsOf(organisationId: string, id?: string): Promise<PortalFiling[]> {
    const { rows } = await pool.query<{
      id: string; number: string; kind: string; period: string | null; lifecycle: LifecycleCode | null; digipoort_status: string | null;
      identity_number: string; content_xml: string | null; content_sha256: string | null; due_date: Date | null;
      last_status_change_at: Date; input: PortalFiling['input']; adopted: boolean; workflow_id: string | null;
    }>(
      `SELECT m.id, m.number, m.kind, m.period, m.lifecycle, m.digipoort_status, m.identity_number, m.content_xml, m.content_sha256,
              m.due_date, m.last_status_change_at, m.input, m.workflow_id,
              EXISTS (SELECT 1 FROM approval_decisions d WHERE d.message_id = m.id AND d.decision = 'adopted') AS adopted
         FROM messages m
        WHERE m.organisation_id = $1 AND m.direction = 'outgoing' AND m.approval_required AND NOT m.do_not_send
          AND ($2::uuid IS NULL OR m.id = $2)
        ORDER BY m.created_at DESC LIMIT 100`,
      [organisationId, id ?? null],
    );
    return rows.map((r) => ({
      id: r.id,
      number: Number(r.number),
      kind: r.kind,
      period: r.period,
      lifecycle: r.lifecycle,
      digipoortStatus: r.digipoort_status,
      identityNumber: r.identity_number,
      contentXml: r.content_xml,
      contentSha256: r.content_sha256,
      dueDate: r.due_date ? r.due_date.toISOString().slice(0, 10) : null,
      lastStatusChangeAt: r.last_status_change_at.toISOString(),
      input: r.input,
      adopted: r.adopted,
      workflowId: r.workflow_id,
    }));
  }

  /** 409: the decision cannot be taken; says why (escaped) and links back to the filing. */
  const notPossible = (reply: FastifyReply, s: Session, filing: PortalFiling, why: string) =>
    html(
      reply,
      409,
      page('Not possible', `<p class="error">${escapeHtml(why)}</p><p><a href="/portal/filings/${escapeHtml(filing.id)}">Back to the filing</a></p>`, {
        organisation: s.organisationName,
        csrf: s.csrf,
      }),
    );

  /** The decision went to the engine but its answer is late (a backlog): 202, and the page shows it once taken up. */
  const received = (reply: FastifyReply, s: Session, filing: PortalFiling) =>
    html(reply, 202, page('Received', `<p>Your decision was received and is being processed. Open the filing again in a moment to see it.</p><p><a href="/portal/filings/${escapeHtml(filing.id)}">Back to the filing</a></p>`, { organisation: s.organisationName, csrf: s.csrf }));

  const notFound = (reply: FastifyReply, s?: Session) =>
    html(reply, 404, page('Not found', '<p>There is no such filing for you.</p><p><a href="/portal">Back to your filings</a></p>', { organisation: s?.organisationName, csrf: s?.csrf }));

  app.get('/portal/assets/portal.css', { schema: { hide: true } }, async (_request, reply) => reply.type('text/css').send(CSS));
  app.get('/portal/assets/favicon.svg', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(FAVICON),
  );
  app.get('/portal/assets/portal.js', { schema: { hide: true } }, async (_request, reply) => reply.type('text/javascript').send(JS));

  app.get('/portal/login', { schema: { tags: ['portal'], summary: 'Portal login page (the link token comes in the URL fragment)' } }, async (_request, reply) =>
    html(
      reply,
      200,
      page(
        'Log in',
        '<form id="login" method="post" action="/portal/session"><label>Your login code <input name="token" autocomplete="off" required></label> <button type="submit">Log in</button></form>' +
          '<p>Use the link your accountant sent you; it works once.</p>',
      ),
    ),
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
      const refused = () =>
        html(reply, 401, page('Log in', '<p class="error">This login link is not valid: it was used already, it expired, or it was revoked. Ask your accountant for a new one.</p>'));
      const token = request.body.token.trim();
      if (!/^fhp_[A-Za-z0-9_-]{40,60}$/.test(token)) return refused();
      // Single use: the link is spent in the same statement that checks it.
      const { rows } = await pool.query<{ id: string; contact_person_id: string; organisation_id: string }>(
        `UPDATE portal_tokens SET used_at = now()
          WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
          RETURNING id, contact_person_id, organisation_id`,
        [hashToken(token)],
      );
      if (!rows[0]) return refused();
      const value = randomBytes(32).toString('base64url');
      await pool.query(
        `INSERT INTO portal_sessions (session_hash, portal_token_id, contact_person_id, organisation_id, expires_at)
         VALUES ($1, $2, $3, $4, now() + make_interval(hours => ${SESSION_HOURS}))`,
        [hashToken(value), rows[0].id, rows[0].contact_person_id, rows[0].organisation_id],
      );
      reply.header('set-cookie', sessionCookie(value, SESSION_HOURS * 3600, secureCookies));
      return reply.redirect('/portal', 303);
    },
  );

  app.post('/portal/logout', { schema: { tags: ['portal'], summary: 'End the portal session' } }, async (request, reply) => {
    const s = await session(request);
    if (s && (request.body as { csrf?: string } | undefined)?.csrf === s.csrf) {
      await pool.query('UPDATE portal_sessions SET revoked_at = now() WHERE id = $1', [s.id]);
    }
    reply.header('set-cookie', sessionCookie('', 0, secureCookies));
    return reply.redirect('/portal/login', 303);
  });

  app.get('/portal', { schema: { tags: ['portal'], summary: "The client's filings and notices" } }, async (request, reply) => {
    const s = await session(request);
    if (!s) return reply.redirect('/portal/login', 303);
    const filings = await filingsOf(s.organisationId);
    const { rows: notices } = await pool.query<{ text: string; created_at: Date }>(
      'SELECT text, created_at FROM portal_notices WHERE organisation_id = $1 ORDER BY created_at DESC LIMIT 20',
      [s.organisationId],
    );
    const pending = filings.filter((f) => f.lifecycle === 30);
    const others = filings.filter((f) => f.lifecycle !== 30);
    const table = (list: PortalFiling[]) =>
      list.length ? `<table class="filings"><thead><tr><th>Filing</th><th>Status</th><th>Due</th></tr></thead><tbody>${list.map(filingRow).join('')}</tbody></table>` : '<p>None.</p>';
    return html(
      reply,
      200,
      page(
        `Welcome, ${s.contactName}`,
        notices.map((n) => `<div class="notice">${escapeHtml(n.text)}</div>`).join('') +
          `<h2>Waiting for your decision</h2>${table(pending)}<h2>Earlier filings</h2>${table(others)}`,
        { organisation: s.organisationName, csrf: s.csrf },
      ),
    );
  });

  app.get(
    '/portal/filings/:id',
    { schema: { tags: ['portal'], summary: 'One filing: what the client approves', params: Type.Object({ id: Type.String({ maxLength: 64 }) }), querystring: Type.Object({ done: Type.Optional(Type.String({ maxLength: 20 })) }) } },
    async (request, reply) => {
      const s = await session(request);
      if (!s) return reply.redirect('/portal/login', 303);
      const id = request.params.id;
      const [filing] = UUID.test(id) ? await filingsOf(s.organisationId, id) : [];
      if (!filing) return notFound(reply, s);
      const { rows: notices } = await pool.query<{ kind: string; text: string }>(
        'SELECT kind, text FROM portal_notices WHERE message_id = $1 ORDER BY created_at DESC LIMIT 10',
        [filing.id],
      );
      const refusal = notices.find((n) => n.kind === 'rejected-by-authority');
      const done = { approve: 'You approved this filing; it is being sent.', reject: 'You rejected this filing; your accountant is informed.', adopt: 'The annual accounts are recorded as adopted. Now give your final approval.' }[request.query.done ?? ''];
      return html(
        reply,
        200,
        page(
          `${kindLabel(filing.kind)} ${filing.period ?? ''}`,
          (done ? `<p class="done">${escapeHtml(done)}</p>` : '') +
            `<p class="status">Status: <strong data-lifecycle="${escapeHtml(filing.lifecycle)}">${escapeHtml(filing.lifecycle)} — ${escapeHtml(statusLabel(filing))}</strong></p>` +
            (refusal ? `<p class="error refusal">${escapeHtml(refusal.text)}</p>` : '') +
            (filing.dueDate ? `<p>Due: ${escapeHtml(filing.dueDate)}</p>` : '') +
            (await offThread.renderPortalContent(filing)) +
            decisionForms(filing, s.csrf) +
            '<p><a href="/portal">Back to your filings</a></p>',
          { organisation: s.organisationName, csrf: s.csrf },
        ),
      );
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
      if (body.csrf !== s.csrf) return html(reply, 403, page('Not allowed', '<p class="error">This form has expired; open the filing again.</p>', { organisation: s.organisationName, csrf: s.csrf }));
      const id = request.params.id;
      const [filing] = UUID.test(id) ? await filingsOf(s.organisationId, id) : [];
      if (!filing) return notFound(reply, s);
      if (filing.lifecycle !== 30) {
        return notPossible(reply, s, filing, `This filing is not waiting for your decision (status: ${filing.lifecycle} — ${statusLabel(filing)}).`);
      }
      // No workflow behind it: nothing can take a decision, as when the workflow is gone.
      if (!filing.workflowId) return notFound(reply, s);
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
        if (sent.outcome === 'received') return received(reply, s, filing);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return notFound(reply, s);
        if (err instanceof WorkflowUpdateFailedError) {
          const reason = err.cause?.message ?? err.message;
          return notPossible(reply, s, filing, reason);
        }
        throw err;
      }
      return reply.redirect(`/portal/filings/${filing.id}?done=${body.decision}`, 303);
    },
  );
};

export default portal;
