import { buildTestApp } from '../helpers/api';
import { call, createTestHub, type Api, type TestHub } from '../helpers/hub';
import { consoleGet, consolePost, CookieJar, createConsoleAccount, csrfOf, signIn } from '../helpers/console';
import { createStaffToken } from '../../api/plugins/auth';
import { startTestContext, type TestContext } from '../helpers/temporal';

/**
 * The staff console's sign-in through the real API on real PostgreSQL: passwords, sessions that expire and end,
 * rate-limited sign-in, CSRF tokens on every form post, and hubs of other firms answering 404 (BOLA).
 */
describe('staff console sign-in', () => {
  let ctx: TestContext;
  let api: Api;
  let hub: TestHub;
  let otherHub: TestHub;

  beforeAll(async () => {
    ctx = await startTestContext('console', { worker: false });
    api = await buildTestApp(ctx);
    hub = await createTestHub(api);
    otherHub = await createTestHub(api);
  });
  afterAll(async () => {
    await api?.app.close();
    await ctx?.close();
  });

  it('refuses a wrong password and an unknown address alike, then signs in and shows the overview in Dutch', async () => {
    const account = await createConsoleAccount(api, [hub]);
    const wrong = await signIn(api, account.email, `${account.password}x`);
    expect(wrong.res.statusCode).toBe(401);
    expect(wrong.res.body).toContain('Dit e-mailadres en wachtwoord horen niet bij een actief account.');
    const unknown = await signIn(api, 'nobody@firm.test', account.password);
    expect(unknown.res.statusCode).toBe(401);
    // Refused: the session is still anonymous, so no page opens.
    expect((await consoleGet(api, wrong.jar, `/staff/hubs/${hub.participant}`)).headers.location).toBe('/staff/sign-in');

    const { res, jar } = await signIn(api, account.email, account.password);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/staff');
    const home = await consoleGet(api, jar, '/staff');
    expect(home.headers.location).toBe(`/staff/hubs/${hub.participant}`);
    const overview = await consoleGet(api, jar, `/staff/hubs/${hub.participant}`);
    expect(overview.statusCode).toBe(200);
    expect(overview.headers['content-security-policy']).toContain("script-src 'self'");
    expect(overview.body).toContain('<html lang="nl">');
    expect(overview.body).toContain(`Overzicht — Test hub ${hub.participant}`);
    expect(overview.body).toContain('Ingelogd als <strong>Anna Accountant</strong>');

    // English on request, and then nothing Dutch of the console's own words.
    const chosen = await consoleGet(api, jar, `/staff/language/en?next=/staff/hubs/${hub.participant}`);
    expect(chosen.headers.location).toBe(`/staff/hubs/${hub.participant}`);
    const english = await consoleGet(api, jar, `/staff/hubs/${hub.participant}`);
    expect(english.body).toContain('<html lang="en">');
    expect(english.body).toContain(`Overview — Test hub ${hub.participant}`);
    expect(english.body).not.toContain('Overzicht');
  });

  it('answers 404 for a hub of which the account is no member, for pages and form posts alike', async () => {
    const account = await createConsoleAccount(api, [hub]);
    const { jar } = await signIn(api, account.email, account.password);
    const own = await consoleGet(api, jar, `/staff/hubs/${hub.participant}/filings`);
    const csrf = csrfOf(own.body);
    for (const url of [`/staff/hubs/${otherHub.participant}`, `/staff/hubs/${otherHub.participant}/filings`, `/staff/hubs/${otherHub.participant}/filings/1`, `/staff/hubs/${otherHub.participant}/needs-action`, '/staff/hubs/99999']) {
      const res = await consoleGet(api, jar, url);
      expect({ url, status: res.statusCode }).toEqual({ url, status: 404 });
      expect(res.body).toContain('Deze pagina bestaat niet, of u hebt er geen toegang toe.');
    }
    const locks = () => ctx.pool.query('SELECT run_id FROM send_receive_locks WHERE hub_id = $1', [otherHub.hubId]).then((r) => r.rows);
    const before = await locks();
    const foreignRun = await consolePost(api, jar, `/staff/hubs/${otherHub.participant}/send-receive`, { _csrf: csrf });
    expect(foreignRun.statusCode).toBe(404);
    // No run was started for the other firm's hub.
    expect(await locks()).toEqual(before);
  });

  it('needs the CSRF token on every form post', async () => {
    const account = await createConsoleAccount(api, [hub]);
    const { jar } = await signIn(api, account.email, account.password);
    const page = await consoleGet(api, jar, `/staff/hubs/${hub.participant}`);
    const csrf = csrfOf(page.body);
    const withoutToken = await consolePost(api, jar, '/staff/sign-out', {});
    expect(withoutToken.statusCode).toBe(403);
    expect(withoutToken.body).toContain('Dit formulier is verlopen.');
    const wrongToken = await consolePost(api, jar, `/staff/hubs/${hub.participant}/send-receive`, { _csrf: `${csrf.slice(0, -2)}xx` });
    expect(wrongToken.statusCode).toBe(403);
    // Still signed in: the refused posts changed nothing.
    expect((await consoleGet(api, jar, `/staff/hubs/${hub.participant}`)).statusCode).toBe(200);
    // A sign-in form without its token is refused too (no login CSRF).
    const bare = await consolePost(api, new CookieJar(), '/staff/sign-in', { email: account.email, password: account.password });
    expect(bare.statusCode).toBe(403);
  });

  it('ends the session on sign-out, and an expired session opens nothing', async () => {
    const account = await createConsoleAccount(api, [hub]);
    const { jar } = await signIn(api, account.email, account.password);
    const page = await consoleGet(api, jar, `/staff/hubs/${hub.participant}`);
    const cookie = jar.header();
    const out = await consolePost(api, jar, '/staff/sign-out', { _csrf: csrfOf(page.body) });
    expect(out.statusCode).toBe(303);
    expect(out.headers.location).toBe('/staff/sign-in');
    // The old cookie, replayed, is worth nothing: the session is gone on the server.
    const replayed = await api.app.inject({ method: 'GET', url: `/staff/hubs/${hub.participant}`, headers: { cookie } });
    expect(replayed.statusCode).toBe(303);
    expect(replayed.headers.location).toBe('/staff/sign-in');
    const { rows: left } = await ctx.pool.query('SELECT count(*)::int AS n FROM staff_sessions WHERE account_id = $1', [account.id]);
    expect(left[0].n).toBe(0);

    const again = await signIn(api, account.email, account.password);
    expect((await consoleGet(api, again.jar, `/staff/hubs/${hub.participant}`)).statusCode).toBe(200);
    // Time passes beyond the session's end (8 hours by default).
    await ctx.pool.query("UPDATE staff_sessions SET expires_at = now() - interval '1 second' WHERE account_id = $1", [account.id]);
    const expired = await consoleGet(api, again.jar, `/staff/hubs/${hub.participant}`);
    expect(expired.statusCode).toBe(303);
    expect(expired.headers.location).toBe('/staff/sign-in');
  });

  it('limits sign-in attempts per client address', async () => {
    const limited = await buildTestApp(ctx, { staffSignInAttemptsPerMinute: 3 });
    try {
      const account = await createConsoleAccount(api, [hub]);
      const jar = new CookieJar();
      const page = await consoleGet(limited, jar, '/staff/sign-in');
      const csrf = csrfOf(page.body);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await consolePost(limited, jar, '/staff/sign-in', { email: account.email, password: 'wrong password!', _csrf: csrf })).statusCode);
      expect(statuses).toEqual([401, 401, 401, 429]);
      // Even the right password waits for the window to pass.
      const right = await consolePost(limited, jar, '/staff/sign-in', { email: account.email, password: account.password, _csrf: csrf });
      expect(right.statusCode).toBe(429);
      expect(right.body).toContain('Te veel pogingen.');
    } finally {
      await limited.app.close();
    }
  });

  it('creates accounts only for hubs the staff token may see, with a password of at least 12 characters', async () => {
    const hubToken = (await createStaffToken(ctx.pool, 'hub clerk', hub.hubId)).token;
    const foreign = await call(api, 'POST', '/api/staff-accounts', { email: 'x@firm.test', name: 'X', hubs: [{ participant: otherHub.participant, role: 'admin' }] }, { authorization: `Bearer ${hubToken}` });
    expect(foreign.statusCode).toBe(404);
    const short = await call(api, 'POST', '/api/staff-accounts', { email: 'y@firm.test', name: 'Y', password: 'short', hubs: [{ participant: hub.participant, role: 'admin' }] });
    expect(short.statusCode).toBe(400);
    const { rows } = await ctx.pool.query("SELECT count(*)::int AS n FROM staff_accounts WHERE email IN ('x@firm.test', 'y@firm.test')");
    expect(rows[0].n).toBe(0);
    const own = await call(api, 'POST', '/api/staff-accounts', { email: 'z@firm.test', name: 'Z', hubs: [{ participant: hub.participant, role: 'admin' }] }, { authorization: `Bearer ${hubToken}` });
    expect(own.statusCode).toBe(201);
    expect(own.json().password).toHaveLength(24);
    const { rows: stored } = await ctx.pool.query("SELECT password_hash FROM staff_accounts WHERE email = 'z@firm.test'");
    expect(stored[0].password_hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(stored[0].password_hash).not.toContain(own.json().password);
    const twice = await call(api, 'POST', '/api/staff-accounts', { email: 'Z@firm.test', name: 'Z', hubs: [{ participant: hub.participant, role: 'admin' }] });
    expect(twice.statusCode).toBe(422);
  });
});
