import http from 'node:http';
import { buildTestApp } from '../helpers/api';
import { createStaffToken } from '../../api/plugins/auth';
import { createTestHub, type Api } from '../helpers/hub';
import { startTestContext, type TestContext } from '../helpers/temporal';

/**
 * The codec decodes only for staff (a bearer token, or an operator signed in at the API), and the Temporal Web UI is
 * served at /temporal/ only to signed-in operators. Sessions end at sign-out, at expiry, and with their staff token.
 */
describe('operator sessions: the Web UI and its codec behind sign-in', () => {
  let ctx: TestContext;
  let api: Api;
  let upstream: http.Server;
  const seen: { url: string; cookie?: string; authorization?: string }[] = [];

  beforeAll(async () => {
    ctx = await startTestContext('operator', { worker: false });
    // Stands in for the Temporal Web UI: answers every path and remembers what reached it.
    upstream = http.createServer((req, res) => {
      seen.push({ url: req.url ?? '', cookie: req.headers.cookie, authorization: req.headers.authorization });
      res.writeHead(200, { 'content-type': 'text/html', 'set-cookie': '_csrf=abc; Path=/temporal' }).end(`<html>ui ${req.url}</html>`);
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', () => resolve()));
    api = await buildTestApp(ctx, { temporalUiUpstream: `http://127.0.0.1:${(upstream.address() as { port: number }).port}` });
  });
  afterAll(async () => {
    await api?.app.close();
    await new Promise((resolve) => upstream?.close(resolve));
    await ctx?.close();
  });

  const signIn = (token: string, next = '/temporal/namespaces/default/workflows') =>
    api.app.inject({
      method: 'POST',
      url: '/operator/sign-in',
      payload: new URLSearchParams({ token, next }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  const sessionCookie = (res: { headers: Record<string, unknown> }) => String(res.headers['set-cookie']).split(';')[0];
  const decode = (headers: Record<string, string> = {}) =>
    api.app.inject({ method: 'POST', url: '/codec/decode', payload: { payloads: [] }, headers });

  it('the codec refuses a decode without a valid token or session (401)', async () => {
    expect((await decode()).statusCode).toBe(401);
    expect((await decode({ authorization: 'Bearer fhs_not-a-real-token-at-all' })).statusCode).toBe(401);
    expect((await decode({ cookie: 'fh_operator=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })).statusCode).toBe(401);
    expect((await decode({ authorization: `Bearer ${api.staffToken}` })).statusCode).toBe(200);
  });

  it('signs in with an unlimited staff token; the UI and the codec work with the session, until sign-out', async () => {
    const page = await api.app.inject({ method: 'GET', url: '/operator/sign-in?next=/temporal/x' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.body).toContain('name="token"');

    const bad = await signIn('fhs_wrong-token-wrong-token-wrong');
    expect(bad.statusCode).toBe(401);
    expect(bad.headers['set-cookie']).toBeUndefined();
    const hub = await createTestHub(api);
    const limited = await createStaffToken(ctx.pool, 'one hub only', hub.hubId);
    expect((await signIn(limited.token)).statusCode).toBe(403);

    const ok = await signIn(api.staffToken);
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/temporal/namespaces/default/workflows');
    expect(String(ok.headers['set-cookie'])).toMatch(/^fh_operator=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=28800; HttpOnly; SameSite=Strict$/);
    const cookie = sessionCookie(ok);
    expect((await decode({ cookie })).statusCode).toBe(200);

    // The UI is proxied; the operator's session cookie and no authorization travel on to it.
    const ui = await api.app.inject({ method: 'GET', url: '/temporal/namespaces/default/workflows', headers: { cookie: `${cookie}; _csrf=abc` } });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('ui /temporal/namespaces/default/workflows');
    expect(seen.at(-1)).toEqual({ url: '/temporal/namespaces/default/workflows', cookie: '_csrf=abc', authorization: undefined });

    const out = await api.app.inject({ method: 'POST', url: '/operator/sign-out', headers: { cookie } });
    expect(out.statusCode).toBe(303);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    expect((await decode({ cookie })).statusCode).toBe(401);
    expect((await api.app.inject({ method: 'GET', url: '/temporal/', headers: { cookie } })).statusCode).toBe(303);
  });

  it('without a session the UI sends pages to the sign-in and refuses its API calls; nothing reaches the UI', async () => {
    const before = seen.length;
    const pageRes = await api.app.inject({ method: 'GET', url: '/temporal/namespaces/default/workflows?query=x' });
    expect(pageRes.statusCode).toBe(303);
    expect(pageRes.headers.location).toBe(`/operator/sign-in?next=${encodeURIComponent('/temporal/namespaces/default/workflows?query=x')}`);
    expect((await api.app.inject({ method: 'GET', url: '/temporal/api/v1/namespaces' })).statusCode).toBe(401);
    expect((await api.app.inject({ method: 'POST', url: '/temporal/api/v1/namespaces/default/workflows/x/signal', payload: {} })).statusCode).toBe(401);
    expect(seen.length).toBe(before);
  });

  it('a session ends with its staff token, and at expiry; sign-in never redirects off the UI', async () => {
    const token = await createStaffToken(ctx.pool, 'operator to revoke');
    const cookie = sessionCookie(await signIn(token.token));
    expect((await decode({ cookie })).statusCode).toBe(200);
    await ctx.pool.query('UPDATE staff_tokens SET revoked_at = now() WHERE id = $1', [token.id]);
    expect((await decode({ cookie })).statusCode).toBe(401);

    const other = sessionCookie(await signIn(api.staffToken));
    await ctx.pool.query(`UPDATE operator_sessions SET expires_at = now() - interval '1 second' WHERE staff_token_id = (SELECT id FROM staff_tokens WHERE token_hash = sha256($1::bytea))`, [Buffer.from(api.staffToken)]);
    expect((await decode({ cookie: other })).statusCode).toBe(401);

    for (const next of ['//evil.example/x', 'https://evil.example/', '/portal', '/temporal/\r\nSet-Cookie: x=1']) {
      const res = await signIn(api.staffToken, next);
      expect({ next, location: res.headers.location }).toEqual({ next, location: '/temporal/' });
    }
  });

  it('the codec answers preflights only for the Web UI origin, as localhost and as 127.0.0.1', async () => {
    const preflight = (origin: string) =>
      api.app.inject({ method: 'OPTIONS', url: '/codec/decode', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' } });
    const ui = new URL(ctx.config.temporalUiUrl);
    const twin = ui.hostname === 'localhost' ? `${ui.protocol}//127.0.0.1:${ui.port}` : `${ui.protocol}//localhost:${ui.port}`;
    for (const origin of [ui.origin, twin]) expect((await preflight(origin)).headers['access-control-allow-origin']).toBe(origin);
    expect((await preflight('http://evil.example')).headers['access-control-allow-origin']).toBeUndefined();
  });
});
