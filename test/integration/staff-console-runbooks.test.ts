import { filingStateQuery, filingWorkflowId } from '../../workflows/filing';
import { buildTestApp } from '../helpers/api';
import { addBecon, addClient, mandateInState, requestCollective, setMandateDay, until, uploadCertificate, type MandateJson } from '../helpers/certificates';
import { consoleGet, consolePost, createConsoleAccount, csrfOf, signIn, type CookieJar } from '../helpers/console';
import { call, createTestHub, postViaConnector, vatReturnRequest, type Api, type TestHub } from '../helpers/hub';
import { enablePortal, waitForLifecycle } from '../helpers/portal';
import { startTestContext, type TestContext } from '../helpers/temporal';

/**
 * The console's Runbooks and Settings pages through a signed-in session on real parts: a runbook planned from a form
 * of names, its plan as a page, cancel and confirm, progress; the hub's settings (admins change them, accountants
 * read them), reminder moments checked by the domain's rule, also through the JSON API, and used by the filing
 * workflow when a filing waits for the client.
 */
jest.setTimeout(240_000);

const DAY = 24 * 3600 * 1000;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

describe('staff console: runbooks and settings', () => {
  let ctx: TestContext;
  let api: Api;
  let hub: TestHub;
  let otherHub: TestHub;
  let admin: CookieJar;
  let accountant: CookieJar;
  let holding: string;
  let renewal: string;

  beforeAll(async () => {
    ctx = await startTestContext('consolerb');
    api = await buildTestApp(ctx);
    await setMandateDay(50);
    hub = await createTestHub(api);
    otherHub = await createTestHub(api);
    holding = (await call(api, 'GET', `/api/hubs/${hub.participant}/certificate-settings`)).json().workCertificateId;
    // The holding's certificate runs out soon; its renewal (same KvK number, later expiry) is uploaded: RB4.
    await ctx.pool.query('UPDATE certificates SET valid_to = $2 WHERE id = $1', [holding, new Date(Date.now() + 50 * DAY)]);
    renewal = (await uploadCertificate(api, hub.participant, 'holding-new')).id;
    const adminAccount = await createConsoleAccount(api, [hub], 'admin', 'Bea Beheerder');
    admin = (await signIn(api, adminAccount.email, adminAccount.password)).jar;
    const accountantAccount = await createConsoleAccount(api, [hub], 'accountant');
    accountant = (await signIn(api, accountantAccount.email, accountantAccount.password)).jar;
  });
  afterAll(async () => {
    await api?.app.close();
    await ctx?.close();
  });

  const rbBase = () => `/staff/hubs/${hub.participant}/runbooks`;
  const runbookCount = async () => (await ctx.pool.query('SELECT count(*)::int AS n FROM runbooks WHERE hub_id = $1', [hub.hubId])).rows[0].n as number;
  const phaseOf = (id: string, phase: string) =>
    until(`runbook ${id} ${phase}`, async () => {
      const page = await consoleGet(api, admin, `${rbBase()}/${id}`);
      return page.body.includes(`data-phase="${phase}"`) ? page : undefined;
    }, 120_000, 300);
  /** A form post with repeated fields (several rows of the same names), as a browser sends it. */
  async function postForm(jar: CookieJar, url: string, form: Record<string, string | readonly string[]>) {
    const body = new URLSearchParams();
    for (const [name, value] of Object.entries(form)) for (const v of typeof value === 'string' ? [value] : value) body.append(name, v);
    const res = await api.app.inject({ method: 'POST', url, headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' }, payload: body.toString() });
    jar.take(res);
    return res;
  }
  /** The page without the link to the other language (that link is marked as English on a Dutch page, rightly). */
  const withoutLanguageSwitch = (html: string) => html.replace(/<a href="\/staff\/language\/[^>]*>[^<]*<\/a>/g, '');
  /** Text a person reads (tags and attribute values removed). */
  const visible = (html: string) => html.replace(/<[^>]*>/g, ' ');

  async function planRb4(jar: CookieJar): Promise<string> {
    // As the Certificates page links from a C7 proposal: the form comes pre-filled.
    const form = await consoleGet(api, jar, `${rbBase()}/new?kind=RB4&certificateId=${holding}&newCertificateId=${renewal}&groupName=ignored`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain(`<option value="${holding}" selected>AA Accountants Holding B.V. (KvK 51234560)`);
    expect(form.body).toContain(`<option value="${renewal}" selected>AA Accountants Holding B.V. (new) (KvK 51234560)`);
    expect(visible(form.body)).not.toMatch(UUID);
    const posted = await consolePost(api, jar, rbBase(), { _csrf: csrfOf(form.body), kind: 'RB4', certificateId: holding, newCertificateId: renewal });
    expect(posted.statusCode).toBe(303);
    const id = /\/runbooks\/([0-9a-f-]{36})$/.exec(posted.headers.location as string)![1];
    return id;
  }

  it('plans RB4 from a form of names, shows the plan as a page, and cancels it: nothing changed', async () => {
    const id = await planRb4(admin);
    const page = await phaseOf(id, 'awaiting-confirmation');
    expect(page.body).toContain('<html lang="nl">');
    expect(page.body).toContain('RB4 — Aflopend certificaat vervangen (zelfde KvK-nummer)');
    expect(page.body).toContain('Vervangen: <strong>AA Accountants Holding B.V. (KvK 51234560)</strong> → <strong>AA Accountants Holding B.V. (new) (KvK 51234560)</strong>');
    expect(page.body).toContain('Certificaten installeren');
    expect(page.body).toContain('Plan bevestigen en uitvoeren');
    expect(visible(page.body)).not.toMatch(UUID);

    const list = await consoleGet(api, admin, rbBase());
    expect(list.body).toContain(`data-runbook="${id}" data-phase="awaiting-confirmation"`);
    expect(list.body).toContain('wacht op bevestiging');

    const cancelled = await consolePost(api, admin, `${rbBase()}/${id}/cancel`, { _csrf: csrfOf(page.body) });
    expect(cancelled.statusCode).toBe(303);
    expect(cancelled.headers.location).toBe(`${rbBase()}/${id}?done=cancel`);
    const after = await phaseOf(id, 'cancelled');
    expect(after.body).toContain('geannuleerd');
    const { rows } = await ctx.pool.query('SELECT is_work_certificate FROM certificates WHERE id = $1', [holding]);
    expect(rows[0].is_work_certificate).toBe(true);
    expect((await ctx.pool.query('SELECT count(*)::int AS n FROM runbook_locks WHERE runbook_id = $1', [id])).rows[0].n).toBe(0);
  });

  it('shows why a runbook cannot run on the form again (nothing stored), refuses a post without CSRF and other firms\' hubs', async () => {
    const form = await consoleGet(api, admin, `${rbBase()}/new?kind=RB4`);
    const before = await runbookCount();
    const same = await consolePost(api, admin, rbBase(), { _csrf: csrfOf(form.body), kind: 'RB4', certificateId: holding, newCertificateId: holding });
    expect(same.statusCode).toBe(422);
    // A Dutch page says the rule in Dutch only; the service's English text is for English pages.
    expect(same.body).toContain('Geweigerd door regel RB4.');
    expect(same.body).toContain('Vervangen met hetzelfde KvK-nummer');
    expect(same.body).not.toContain('the new certificate must differ from the one it replaces');
    const missing = await consolePost(api, admin, rbBase(), { _csrf: csrfOf(form.body), kind: 'RB4', certificateId: holding });
    expect(missing.statusCode).toBe(422);
    expect(missing.body).toContain('Kies het nieuwe certificaat.');
    const noToken = await consolePost(api, admin, rbBase(), { kind: 'RB4', certificateId: holding, newCertificateId: renewal });
    expect(noToken.statusCode).toBe(403);
    const foreign = await consolePost(api, admin, `/staff/hubs/${otherHub.participant}/runbooks`, { _csrf: csrfOf(form.body), kind: 'RB4', certificateId: holding, newCertificateId: renewal });
    expect(foreign.statusCode).toBe(404);
    expect(await runbookCount()).toBe(before);
    for (const url of [`/staff/hubs/${otherHub.participant}/runbooks`, `/staff/hubs/${otherHub.participant}/runbooks/new?kind=RB4`, `/staff/hubs/${otherHub.participant}/settings`, `${rbBase()}/00000000-0000-4000-8000-000000000000`]) {
      expect({ url, status: (await consoleGet(api, admin, url)).statusCode }).toEqual({ url, status: 404 });
    }
  });

  it('confirms RB4 and follows its progress in the polled partial until it is completed', async () => {
    const id = await planRb4(admin);
    const page = await phaseOf(id, 'awaiting-confirmation');
    expect((await consolePost(api, admin, `${rbBase()}/${id}/confirm`, { _csrf: csrfOf(page.body) })).statusCode).toBe(303);
    const done = await until('the progress partial to say completed', async () => {
      const partial = await api.app.inject({ method: 'GET', url: `${rbBase()}/${id}/progress?phase=running`, headers: { cookie: admin.header(), 'hx-request': 'true' } });
      expect(partial.statusCode).toBe(200);
      return partial.body.includes('data-phase="completed"') ? partial : undefined;
    }, 120_000, 500);
    // The phase moved on: htmx reloads the page; a finished runbook is polled no more.
    expect(done.headers['hx-refresh']).toBe('true');
    expect(done.body).not.toContain('hx-trigger');
    expect(done.body).toContain('data-step="install-certificates" data-state="done"');
    expect(done.body).toContain('data-step="assign-group" data-state="done"');
    const { rows } = await ctx.pool.query('SELECT is_work_certificate FROM certificates WHERE id = $1', [renewal]);
    expect(rows[0].is_work_certificate).toBe(true);
    // The finished runbook's page in Dutch: step details from the dictionary, certificates by name, no English.
    const finished = await consoleGet(api, admin, `${rbBase()}/${id}`);
    expect(finished.body).toContain('AA Accountants Holding B.V. (new)&quot; geïnstalleerd');
    expect(finished.body).toMatch(/nieuw werkcertificaat ingesteld; \d+ open machtiging\(en\) lopen door onder het nieuwe certificaat/);
    expect(withoutLanguageSwitch(finished.body)).not.toContain('lang="en"');
    expect(visible(finished.body)).not.toMatch(UUID);
  });

  it('RB1 from the form by names (group, certificate, Becon): the mandate steps show their counts', async () => {
    const h = await createTestHub(api);
    const p = h.participant;
    const willemsen = await uploadCertificate(api, p, 'willemsen');
    await addBecon(api, p, '200001', 'Willemsen');
    const clients = [];
    for (let i = 1; i <= 3; i++) clients.push(await addClient(api, p, `Klant W${i}`, { 2026: '200001' }));
    const collective = await requestCollective(api, p, { organisationIds: clients.map((c) => c.organisationId), service: 'SBA', year: 2026 });
    for (const m of collective.json().requested as MandateJson[]) await mandateInState(api, p, m.id, 'ACTIVE');
    const account = await createConsoleAccount(api, [h], 'admin', 'Bea Beheerder');
    const { jar } = await signIn(api, account.email, account.password);
    const base = `/staff/hubs/${p}/runbooks`;

    const form = await consoleGet(api, jar, `${base}/new?kind=RB1`);
    expect(form.body).toContain(`<option value="${willemsen.id}">Accountantskantoor Willemsen B.V. (KvK 52345671)</option>`);
    expect(form.body).toContain('<option value="200001">200001</option>');
    expect(visible(form.body)).not.toMatch(UUID);
    const posted = await postForm(jar, base, { _csrf: csrfOf(form.body), kind: 'RB1', group0Name: 'Willemsen', group0Certificate: willemsen.id, group0Becons: ['200001'], group1Name: '', group1Certificate: '' });
    expect(posted.statusCode).toBe(303);
    const id = /\/runbooks\/([0-9a-f-]{36})$/.exec(posted.headers.location as string)![1];
    const plan = await until('the RB1 plan', async () => {
      const page = await consoleGet(api, jar, `${base}/${id}`);
      return page.body.includes('data-phase="awaiting-confirmation"') ? page : undefined;
    }, 120_000, 300);
    expect(plan.body).toContain('Machtigingen die worden ingetrokken (3)');
    expect(plan.body).toContain('<td>Klant W1</td><td>SBA</td><td>2026</td>');
    expect((await consolePost(api, jar, `${base}/${id}/confirm`, { _csrf: csrfOf(plan.body) })).statusCode).toBe(303);
    const waits: string[] = [];
    const done = await until('RB1 completed', async () => {
      const partial = await api.app.inject({ method: 'GET', url: `${base}/${id}/progress`, headers: { cookie: jar.header(), 'hx-request': 'true' } });
      const waiting = /<div class="notice step-waits">(.*?)<\/div>/s.exec(partial.body);
      if (waiting) waits.push(visible(waiting[1]));
      return partial.body.includes('data-phase="completed"') ? partial : undefined;
    }, 180_000, 500);
    // While the register works on the mandates, the step says why it waits: the poll's own (decoded) words.
    expect(waits.filter((w) => !/^Wacht: +\d machtiging\(en\) nog onderweg *\(poging \d+\)$/.test(w))).toEqual([]);
    expect(done.body).toContain('machtigingen ingetrokken 3 / 3');
    expect(done.body).toContain('machtigingen aangevraagd 3 / 3');
  });

  it('stores settings an admin changes; a bad reminder moment is refused with 422 naming the field and nothing changes', async () => {
    const settings = `/staff/hubs/${hub.participant}/settings`;
    const page = await consoleGet(api, admin, settings);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Herinneringsmomenten (A1)');
    expect(page.body).toContain('Deze hub gebruikt de standaardmomenten');
    const csrf = csrfOf(page.body);

    const saved = await postForm(admin, `${settings}/reminders`, { _csrf: csrf, daysBefore: ['21', '2', ''], kind: ['client-reminder', 'accountant-escalation', 'client-reminder'] });
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toBe(`${settings}?saved=1`);
    const stored = async () => (await call(api, 'GET', `/api/hubs/${hub.participant}/reminder-moments`)).json();
    expect(await stored()).toMatchObject({ custom: true, updatedBy: 'Bea Beheerder (staff console)', moments: [{ daysBefore: 21, kind: 'client-reminder' }, { daysBefore: 2, kind: 'accountant-escalation' }] });

    for (const [days, field] of [[['10', '2.5'], 'moments[1].daysBefore'], [['10', '-1'], 'moments[1].daysBefore'], [['x'], 'moments[0].daysBefore']] as const) {
      const bad = await postForm(admin, `${settings}/reminders`, { _csrf: csrf, daysBefore: days, kind: days.map(() => 'client-reminder') });
      expect({ days, status: bad.statusCode }).toEqual({ days, status: 422 });
      expect(bad.body).toContain(`data-field="${field}"`);
      expect(bad.body).toContain(`(veld ${field})`);
    }
    const badKind = await consolePost(api, admin, `${settings}/reminders`, { _csrf: csrf, daysBefore: '5', kind: 'sms' });
    expect(badKind.statusCode).toBe(422);
    expect(badKind.body).toContain('data-field="moments[0].kind"');
    expect((await stored()).moments).toEqual([{ daysBefore: 21, kind: 'client-reminder' }, { daysBefore: 2, kind: 'accountant-escalation' }]);

    const types = await consolePost(api, admin, `${settings}/message-types`, { _csrf: csrf, blocked: 'icp' });
    expect(types.statusCode).toBe(303);
    const listed = (await call(api, 'GET', `/api/hubs/${hub.participant}/message-types`)).json() as { kind: string; blocked: boolean }[];
    expect(listed.filter((t) => t.blocked).map((t) => t.kind)).toEqual(['icp']);
    const interval = await consolePost(api, admin, `${settings}/send-receive`, { _csrf: csrf, sendReceiveIntervalSeconds: '600' });
    expect(interval.statusCode).toBe(303);
    expect((await call(api, 'GET', `/api/hubs/${hub.participant}`)).json()).toMatchObject({ sendReceiveIntervalSeconds: 600, portalEnabled: false });
    const badInterval = await consolePost(api, admin, `${settings}/send-receive`, { _csrf: csrf, sendReceiveIntervalSeconds: '2' });
    expect(badInterval.statusCode).toBe(422);
    expect(badInterval.body).toContain('data-field="sendReceiveIntervalSeconds"');
    expect((await call(api, 'GET', `/api/hubs/${hub.participant}`)).json().sendReceiveIntervalSeconds).toBe(600);

    const noToken = await consolePost(api, admin, `${settings}/reminders`, { daysBefore: '9', kind: 'client-reminder' });
    expect(noToken.statusCode).toBe(403);
    const foreign = await consolePost(api, admin, `/staff/hubs/${otherHub.participant}/settings/reminders`, { _csrf: csrf, daysBefore: '9', kind: 'client-reminder' });
    expect(foreign.statusCode).toBe(404);
    expect((await call(api, 'GET', `/api/hubs/${otherHub.participant}/reminder-moments`)).json().custom).toBe(false);
    expect((await stored()).moments).toHaveLength(2);
  });

  it('shows an accountant the settings read-only and refuses their changes', async () => {
    const settings = `/staff/hubs/${hub.participant}/settings`;
    const page = await consoleGet(api, accountant, settings);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('alleen een beheerder kan ze wijzigen');
    expect(page.body).not.toContain(`action="${settings}/reminders"`);
    expect(page.body).toContain('data-days="21" data-kind="client-reminder"');
    const before = (await call(api, 'GET', `/api/hubs/${hub.participant}/reminder-moments`)).json();
    for (const [path, form] of [['reminders', { daysBefore: '9', kind: 'client-reminder' }], ['message-types', {}], ['send-receive', { sendReceiveIntervalSeconds: '60' }]] as const) {
      const res = await consolePost(api, accountant, `${settings}/${path}`, { _csrf: csrfOf(page.body), ...form });
      expect({ path, status: res.statusCode }).toEqual({ path, status: 403 });
      expect(res.body).toContain('Alleen een beheerder van deze hub kan de instellingen wijzigen.');
    }
    expect((await call(api, 'GET', `/api/hubs/${hub.participant}/reminder-moments`)).json()).toEqual(before);
    expect((await call(api, 'GET', `/api/hubs/${hub.participant}/message-types`)).json().filter((t: { blocked: boolean }) => t.blocked)).toHaveLength(1);
    expect((await call(api, 'GET', `/api/hubs/${hub.participant}`)).json().sendReceiveIntervalSeconds).toBe(600);
  });

  it('JSON API: reads the defaults, sets the reminder moments, refuses a bad one with 422 naming the field', async () => {
    const h = await createTestHub(api);
    const url = `/api/hubs/${h.participant}/reminder-moments`;
    expect((await call(api, 'GET', url)).json()).toEqual({
      custom: false,
      updatedBy: null,
      updatedAt: null,
      moments: [{ daysBefore: 14, kind: 'client-reminder' }, { daysBefore: 3, kind: 'client-reminder' }, { daysBefore: 1, kind: 'accountant-escalation' }],
    });
    const set = await call(api, 'PUT', url, { moments: [{ daysBefore: 0, kind: 'accountant-escalation' }, { daysBefore: 7, kind: 'client-reminder' }] });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toMatchObject({ custom: true, moments: [{ daysBefore: 7, kind: 'client-reminder' }, { daysBefore: 0, kind: 'accountant-escalation' }] });
    for (const [moments, field] of [
      [[{ daysBefore: 7, kind: 'client-reminder' }, { daysBefore: 1.5, kind: 'client-reminder' }], 'moments[1].daysBefore'],
      [[{ daysBefore: -3, kind: 'client-reminder' }], 'moments[0].daysBefore'],
      [[{ daysBefore: 3, kind: 'text-message' }], 'moments[0].kind'],
      [[{ daysBefore: 3, kind: 'client-reminder' }, { daysBefore: 3, kind: 'client-reminder' }], 'moments[1]'],
    ] as const) {
      const bad = await call(api, 'PUT', url, { moments });
      expect({ field, status: bad.statusCode }).toEqual({ field, status: 422 });
      expect(bad.json()).toMatchObject({ field });
      expect(bad.json().message).toContain(field);
    }
    expect((await call(api, 'GET', url)).json().moments).toEqual([{ daysBefore: 7, kind: 'client-reminder' }, { daysBefore: 0, kind: 'accountant-escalation' }]);
    // An empty list: no reminders at all for this hub.
    expect((await call(api, 'PUT', url, { moments: [] })).json()).toMatchObject({ custom: true, moments: [] });
  });

  it("a filing awaiting the client's approval reminds and escalates at the hub's moments", async () => {
    const h = await createTestHub(api);
    await enablePortal(api, h, ['vat-return']);
    expect((await call(api, 'PUT', `/api/hubs/${h.participant}/reminder-moments`, { moments: [{ daysBefore: 20, kind: 'client-reminder' }, { daysBefore: 2, kind: 'accountant-escalation' }] })).statusCode).toBe(200);
    // Due long ago: the latest moment of each kind is due at once.
    const year = new Date().getUTCFullYear() - 1;
    const posted = await postViaConnector(api, h, vatReturnRequest(h, `${year}-Q1`));
    expect(posted.statusCode).toBe(202);
    const filing = await waitForLifecycle(api, h, posted.json().number, [30]);
    const handle = ctx.client.workflow.getHandle(filingWorkflowId(h.participant, filing.number));
    const state = await until('the escalation at the hub\'s moment', async () => {
      const s = await handle.query(filingStateQuery);
      return s.reminderState?.startsWith('escalated') ? s : undefined;
    }, 30_000);
    expect(state).toMatchObject({ phase: 'awaiting-approval', reminderState: 'escalated to the accountant (2 days before)' });
    const { rows } = await ctx.pool.query<{ text: string }>("SELECT text FROM communication_log WHERE message_id = $1 AND text ILIKE '%remind%' ORDER BY created_at", [filing.id]);
    expect(rows.map((r) => r.text).join('\n')).toContain('client reminded 20 days before the due date');
  });
});
