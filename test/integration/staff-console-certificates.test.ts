import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildTestApp } from '../helpers/api';
import { call, createTestHub, type Api, type TestHub } from '../helpers/hub';
import { consoleGet, consolePost, createConsoleAccount, csrfOf, signIn, type CookieJar } from '../helpers/console';
import { addBecon, addClient } from '../helpers/certificates';
import { organisation, pkiDir } from '../helpers/wus';
import { startTestContext, type TestContext } from '../helpers/temporal';

/**
 * The staff console's Certificates and Mandates pages through the real API on real PostgreSQL (and Temporal): a
 * PKCS#12 uploaded as a multipart file (a wrong passphrase stores nothing and says why), the C2 refusal on the group
 * form, the mandate dry run with its letter name confirmed on the page (C3), other firms' hubs 404, CSRF on every form.
 */
const pfxOf = (slug: string) => {
  const cert = organisation(slug);
  return { cert, pfx: readFileSync(path.join(pkiDir(), cert.pkcs12File)), passphrase: readFileSync(path.join(pkiDir(), cert.passphraseFile), 'utf8').trim() };
};

/** A multipart form post as a browser sends it: text fields and one file. */
async function postMultipart(api: Api, jar: CookieJar, url: string, fields: Record<string, string>, file?: { name: string; filename: string; content: Buffer }) {
  const boundary = `----console${Date.now().toString(16)}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  if (file) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="${file.filename}"\r\nContent-Type: application/x-pkcs12\r\n\r\n`), file.content, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  const res = await api.app.inject({ method: 'POST', url, headers: { cookie: jar.header(), 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: Buffer.concat(parts) });
  jar.take(res);
  return res;
}

describe('staff console: certificates and mandates', () => {
  let ctx: TestContext;
  let api: Api;
  let hub: TestHub;
  let otherHub: TestHub;
  let jar: CookieJar;

  beforeAll(async () => {
    ctx = await startTestContext('console-certificates', { worker: false });
    api = await buildTestApp(ctx);
    hub = await createTestHub(api);
    otherHub = await createTestHub(api);
    const account = await createConsoleAccount(api, [hub], 'admin', 'Carla Certificaat');
    jar = (await signIn(api, account.email, account.password)).jar;
  });
  afterAll(async () => {
    await api?.app.close();
    await ctx?.close();
  });

  const certificatesPage = (h = hub) => consoleGet(api, jar, `/staff/hubs/${h.participant}/certificates`);
  const stored = async () => (await ctx.pool.query('SELECT count(*)::int AS n FROM certificates WHERE hub_id = $1', [hub.hubId])).rows[0].n as number;

  it('uploads a PKCS#12 file with its passphrase; a wrong passphrase or no CSRF token stores nothing', async () => {
    const { cert, pfx, passphrase } = pfxOf('willemsen');
    const page = await certificatesPage();
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('enctype="multipart/form-data"');
    const csrf = csrfOf(page.body);
    const before = await stored();

    const wrong = await postMultipart(api, jar, `/staff/hubs/${hub.participant}/certificates`, { _csrf: csrf, label: 'Willemsen', passphrase: `${passphrase}x` }, { name: 'pkcs12', filename: 'willemsen.p12', content: pfx });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.body).toContain('id="refusal-upload"');
    expect(wrong.body).toContain('Het bestand opent niet met dit wachtwoord, of het certificaat leidt niet naar een PKIoverheid-root.');
    expect(wrong.body).toContain('Er is niets gewijzigd.');
    // The name comes back in the form; the passphrase never appears on the page.
    expect(wrong.body).toContain('value="Willemsen"');
    expect(wrong.body).not.toContain(passphrase);
    expect(await stored()).toBe(before);

    const noToken = await postMultipart(api, jar, `/staff/hubs/${hub.participant}/certificates`, { label: 'Willemsen', passphrase }, { name: 'pkcs12', filename: 'willemsen.p12', content: pfx });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.body).toContain('Dit formulier is verlopen.');
    expect(await stored()).toBe(before);

    // Two files are more than the form takes.
    const twoFiles = await api.app.inject({
      method: 'POST',
      url: `/staff/hubs/${hub.participant}/certificates`,
      headers: { cookie: jar.header(), 'content-type': 'multipart/form-data; boundary=xx' },
      payload: Buffer.concat([
        Buffer.from(`--xx\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n`),
        Buffer.from('--xx\r\nContent-Disposition: form-data; name="pkcs12"; filename="a.p12"\r\n\r\n'), pfx, Buffer.from('\r\n'),
        Buffer.from('--xx\r\nContent-Disposition: form-data; name="pkcs12"; filename="b.p12"\r\n\r\n'), pfx, Buffer.from('\r\n--xx--\r\n'),
      ]),
    });
    expect(twoFiles.statusCode).toBe(413);
    expect(await stored()).toBe(before);

    const good = await postMultipart(api, jar, `/staff/hubs/${hub.participant}/certificates`, { _csrf: csrf, label: 'Willemsen Accountants', passphrase }, { name: 'pkcs12', filename: 'willemsen.p12', content: pfx });
    expect(good.statusCode).toBe(303);
    expect(good.headers.location).toBe(`/staff/hubs/${hub.participant}/certificates?done=uploaded`);
    expect(await stored()).toBe(before + 1);
    const listed = (await consoleGet(api, jar, good.headers.location as string)).body;
    expect(listed).toContain('Het certificaat is geïnstalleerd.');
    const installed = (await call(api, 'GET', `/api/hubs/${hub.participant}/certificates`)).json() as { label: string; kvkNumber: string; validTo: string }[];
    const willemsen = installed.find((c) => c.label === 'Willemsen Accountants')!;
    expect(willemsen.kvkNumber).toBe(cert.kvkNumber);
    const validTo = new Intl.DateTimeFormat('nl-NL', { dateStyle: 'medium', timeZone: 'Europe/Amsterdam' }).format(new Date(willemsen.validTo));
    expect(listed).toMatch(new RegExp(`<th scope="row">Willemsen Accountants</th>\\s*<td>${willemsen.kvkNumber}</td>\\s*<td class="valid-to">${validTo} \\(nog \\d+ dagen\\)</td>`));
    // The passphrase went nowhere: not into the hub's log.
    const { rows: log } = await ctx.pool.query('SELECT text FROM communication_log WHERE hub_id = $1', [hub.hubId]);
    expect(log.some((l: { text: string }) => l.text.includes(passphrase))).toBe(false);
  });

  it('shows the C2 refusal on the group form when the work certificate is put in a group, and changes nothing', async () => {
    expect((await call(api, 'PUT', `/api/hubs/${hub.participant}/certificate-settings/multi-certificate`, { enabled: true })).statusCode).toBe(200);
    const group = await call(api, 'POST', `/api/hubs/${hub.participant}/certificate-groups`, { name: 'Noord' });
    expect(group.statusCode).toBe(201);
    const workId = (await call(api, 'GET', `/api/hubs/${hub.participant}/certificate-settings`)).json().workCertificateId as string;
    const page = await certificatesPage();
    expect(page.body).toContain('<tr data-group="Noord">');
    const refused = await consolePost(api, jar, `/staff/hubs/${hub.participant}/certificate-groups/${group.json().id}/certificate`, { _csrf: csrfOf(page.body), certificateId: workId });
    expect(refused.statusCode).toBe(422);
    const refusal = /<div class="error" role="alert" id="refusal-group-[^"]+">([\s\S]*?)<\/div>/.exec(refused.body);
    expect(refusal?.[0]).toContain(`id="refusal-group-${group.json().id}"`);
    expect(refusal?.[1]).toContain('Geweigerd door regel C2.');
    expect(refusal?.[1]).toContain('Invalid certificate specified');
    const after = (await call(api, 'GET', `/api/hubs/${hub.participant}/certificate-groups`)).json() as { name: string; certificateId: string | null }[];
    expect(after.find((g) => g.name === 'Noord')?.certificateId).toBeNull();
    expect((await call(api, 'GET', `/api/hubs/${hub.participant}/certificate-settings`)).json().workCertificateId).toBe(workId);
  });

  it('requests a mandate after a dry run that shows the letter name, confirmed on the page (C3)', async () => {
    await addBecon(api, hub.participant, '100001', 'Kantoor 1');
    const client = await addClient(api, hub.participant, 'Bakkerij De Korst', { 2026: '100001' });
    const page = await consoleGet(api, jar, `/staff/hubs/${hub.participant}/mandates`);
    expect(page.statusCode).toBe(200);
    const csrf = csrfOf(page.body);
    const count = async () => (await ctx.pool.query('SELECT count(*)::int AS n FROM mandates WHERE hub_id = $1', [hub.hubId])).rows[0].n as number;

    const preview = await consolePost(api, jar, `/staff/hubs/${hub.participant}/mandates/preview`, { _csrf: csrf, organisationId: client.organisationId, service: 'SBA', year: '2026' });
    expect(preview.statusCode).toBe(200);
    expect(preview.body).toContain('Bakkerij De Korst — SBA 2026');
    expect(preview.body).toContain('<strong>AA Accountants Holding B.V.</strong>');
    expect(preview.body).not.toContain(client.organisationId + '</');
    expect(await count()).toBe(0);

    // Without the confirmed name nothing is requested; with another name C3 refuses.
    const unconfirmed = await consolePost(api, jar, `/staff/hubs/${hub.participant}/mandates`, { _csrf: csrf, organisationId: client.organisationId, service: 'SBA', year: '2026' });
    expect(unconfirmed.statusCode).toBe(422);
    expect(unconfirmed.body).toContain('Bevestig eerst de naam op de brief uit de proefaanvraag.');
    const otherName = await consolePost(api, jar, `/staff/hubs/${hub.participant}/mandates`, { _csrf: csrf, organisationId: client.organisationId, service: 'SBA', year: '2026', confirmLetterName: 'Kantoor Noord B.V.' });
    expect(otherName.body).toContain('Geweigerd door regel C3.');
    expect(await count()).toBe(0);

    const confirmed = await consolePost(api, jar, `/staff/hubs/${hub.participant}/mandates`, { _csrf: csrfOf(preview.body), organisationId: client.organisationId, service: 'SBA', year: '2026', confirmLetterName: 'AA Accountants Holding B.V.' });
    expect(confirmed.statusCode).toBe(303);
    expect(confirmed.headers.location).toBe(`/staff/hubs/${hub.participant}/mandates?done=requested`);
    expect(await count()).toBe(1);
    const listed = await consoleGet(api, jar, confirmed.headers.location as string);
    expect(listed.body).toContain('De machtiging is aangevraagd.');
    expect(listed.body).toMatch(/<tr data-mandate="[^"]+" data-state="REQUESTED">\s*<td>Bakkerij De Korst<\/td>/);
    expect(listed.body).toContain('AA Accountants Holding B.V. (KvK ');
    const { rows } = await ctx.pool.query('SELECT requested_by, letter_name FROM mandates WHERE hub_id = $1', [hub.hubId]);
    expect(rows[0]).toEqual({ requested_by: 'Carla Certificaat (staff console)', letter_name: 'AA Accountants Holding B.V.' });

    // Collectively: the dry run lists the names per certificate to confirm; the same client is refused (C6) now.
    const collective = await consolePost(api, jar, `/staff/hubs/${hub.participant}/mandates/collective/preview`, { _csrf: csrf, scope: 'all', service: 'SBA', year: '2026' });
    expect(collective.statusCode).toBe(200);
    expect(collective.body).toContain('Deze cliënten zouden worden geweigerd');
    expect(collective.body).toMatch(/<strong>Bakkerij De Korst<\/strong>: Geweigerd door regel C6\./);
    expect(await count()).toBe(1);
  });

  it("shows an expiring certificate's C7 proposal as a button that opens the runbook form filled in", async () => {
    const expiring = await createTestHub(api);
    const account = await createConsoleAccount(api, [expiring], 'accountant', 'Ruud Runbook');
    const own = (await signIn(api, account.email, account.password)).jar;
    const [holding] = (await call(api, 'GET', `/api/hubs/${expiring.participant}/certificates`)).json() as { id: string; label: string; kvkNumber: string }[];
    // It expires in 50 days, and the expiry watch warned at 60 (what its activity records), before any replacement.
    await ctx.pool.query("UPDATE certificates SET valid_to = now() + interval '50 days' WHERE id = $1", [holding.id]);
    await ctx.pool.query(`INSERT INTO certificate_expiry_warnings (certificate_id, threshold_days, days_left, text) VALUES ($1, 60, 50, 'expires in 50 days')`, [holding.id]);
    const before = await consoleGet(api, own, `/staff/hubs/${expiring.participant}/certificates`);
    expect(before.body).toContain('gewaarschuwd: nog 60 dagen');

    // The renewal (same KvK number) uploaded from the page: the proposal becomes RB4 with it.
    const { pfx, passphrase } = pfxOf('holding-new');
    const uploaded = await postMultipart(api, own, `/staff/hubs/${expiring.participant}/certificates`, { _csrf: csrfOf(before.body), label: 'Holding (nieuw)', passphrase }, { name: 'pkcs12', filename: 'holding-new.p12', content: pfx });
    expect(uploaded.statusCode).toBe(303);
    const renewal = ((await call(api, 'GET', `/api/hubs/${expiring.participant}/certificates`)).json() as { id: string; label: string }[]).find((c) => c.label === 'Holding (nieuw)')!;
    const page = (await consoleGet(api, own, `/staff/hubs/${expiring.participant}/certificates`)).body;
    expect(page).toContain(`Voorstel: draaiboek RB4, vervangen door Holding (nieuw) (KvK ${holding.kvkNumber})`);
    const form = /<form method="get" action="([^"]+)" class="inline">([\s\S]*?)<\/form>/.exec(page);
    expect(form?.[1]).toBe(`/staff/hubs/${expiring.participant}/runbooks/new`);
    const fields = Object.fromEntries([...(form?.[2] ?? '').matchAll(/<input type="hidden" name="(\w+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]]));
    expect(fields).toEqual({ kind: 'RB4', certificateId: holding.id, newCertificateId: renewal.id });
    expect(form?.[2]).toContain('<button type="submit">Draaiboek RB4 openen</button>');
  });

  it('four eyes (C6): a request held for a second person is authorised by another account, never by its requester', async () => {
    const held = await createTestHub(api);
    expect((await call(api, 'PUT', `/api/hubs/${held.participant}/mandate-settings`, { authorisationRequired: true })).statusCode).toBe(200);
    await addBecon(api, held.participant, '100001', 'Kantoor 1');
    const client = await addClient(api, held.participant, 'Garage Vooruit', { 2026: '100001' });
    const requester = await createConsoleAccount(api, [held], 'accountant', 'Piet Aanvrager');
    const second = await createConsoleAccount(api, [held], 'admin', 'Sara Tweede');
    const a = (await signIn(api, requester.email, requester.password)).jar;
    const b = (await signIn(api, second.email, second.password)).jar;
    const base = `/staff/hubs/${held.participant}/mandates`;
    const preview = await consolePost(api, a, `${base}/preview`, { _csrf: csrfOf((await consoleGet(api, a, base)).body), organisationId: client.organisationId, service: 'SBA', year: '2026' });
    const requested = await consolePost(api, a, base, { _csrf: csrfOf(preview.body), organisationId: client.organisationId, service: 'SBA', year: '2026', confirmLetterName: 'AA Accountants Holding B.V.' });
    expect(requested.statusCode).toBe(303);
    const row = async () => (await ctx.pool.query('SELECT id, authorisation, requested_by_account, authorisation_decided_by_account FROM mandates WHERE hub_id = $1', [held.hubId])).rows[0];
    const mandate = await row();
    expect(mandate).toMatchObject({ authorisation: 'awaiting', requested_by_account: requester.id, authorisation_decided_by_account: null });

    const own = await consoleGet(api, a, base);
    expect(own.body).toContain(`<li data-awaiting="${mandate.id}">Garage Vooruit — SBA 2026, aangevraagd door Piet Aanvrager (staff console)`);
    const self = await consolePost(api, a, `${base}/${mandate.id}/authorise`, { _csrf: csrfOf(own.body) });
    expect(self.statusCode).toBe(403);
    expect(self.body).toContain(`id="refusal-awaiting-${mandate.id}"`);
    expect(self.body).toContain('Geweigerd door regel C6.');
    expect((await row()).authorisation).toBe('awaiting');

    const other = await consolePost(api, b, `${base}/${mandate.id}/authorise`, { _csrf: csrfOf((await consoleGet(api, b, base)).body) });
    expect(other.statusCode).toBe(303);
    expect(other.headers.location).toBe(`${base}?done=authorised`);
    expect(await row()).toMatchObject({ authorisation: 'authorised', authorisation_decided_by_account: second.id });
  });

  it("answers 404 for another firm's certificates and mandates pages and forms", async () => {
    const page = await certificatesPage();
    const csrf = csrfOf(page.body);
    const foreignGroups = (await call(api, 'GET', `/api/hubs/${otherHub.participant}/certificate-groups`)).json() as unknown[];
    for (const url of [`/staff/hubs/${otherHub.participant}/certificates`, `/staff/hubs/${otherHub.participant}/mandates`]) {
      const res = await consoleGet(api, jar, url);
      expect({ url, status: res.statusCode }).toEqual({ url, status: 404 });
      expect(res.body).toContain('Deze pagina bestaat niet, of u hebt er geen toegang toe.');
    }
    const group = await consolePost(api, jar, `/staff/hubs/${otherHub.participant}/certificate-groups`, { _csrf: csrf, name: 'Inbraak' });
    expect(group.statusCode).toBe(404);
    const { pfx, passphrase } = pfxOf('jansen');
    const upload = await postMultipart(api, jar, `/staff/hubs/${otherHub.participant}/certificates`, { _csrf: csrf, label: 'Jansen', passphrase }, { name: 'pkcs12', filename: 'jansen.p12', content: pfx });
    expect(upload.statusCode).toBe(404);
    expect((await call(api, 'GET', `/api/hubs/${otherHub.participant}/certificate-groups`)).json()).toEqual(foreignGroups);
    expect((await call(api, 'GET', `/api/hubs/${otherHub.participant}/certificates`)).json()).toHaveLength(1);
    // A mandate of this hub is not reached through the other hub's address either.
    const { rows } = await ctx.pool.query('SELECT id FROM mandates WHERE hub_id = $1 LIMIT 1', [hub.hubId]);
    if (rows[0]) expect((await consolePost(api, jar, `/staff/hubs/${otherHub.participant}/mandates/${rows[0].id}/revoke`, { _csrf: csrf })).statusCode).toBe(404);
  });

  it('needs the CSRF token on the certificate and mandate forms', async () => {
    const before = (await call(api, 'GET', `/api/hubs/${hub.participant}/certificate-groups`)).json();
    const group = await consolePost(api, jar, `/staff/hubs/${hub.participant}/certificate-groups`, { name: 'Zonder token' });
    expect(group.statusCode).toBe(403);
    expect(group.body).toContain('Dit formulier is verlopen.');
    expect((await call(api, 'GET', `/api/hubs/${hub.participant}/certificate-groups`)).json()).toEqual(before);
    const becon = await consolePost(api, jar, `/staff/hubs/${hub.participant}/becons`, { number: '100002', name: 'Zonder token' });
    expect(becon.statusCode).toBe(403);
    const mandates = await consolePost(api, jar, `/staff/hubs/${hub.participant}/mandates/preview`, { organisationId: hub.organisationId, service: 'SBA', year: '2026' });
    expect(mandates.statusCode).toBe(403);
    expect((await call(api, 'GET', `/api/hubs/${hub.participant}/becons`)).json().map((b: { number: string }) => b.number)).not.toContain('100002');
  });

  it('speaks English when chosen, without Dutch words of its own', async () => {
    const en = await consoleGet(api, jar, `/staff/language/en?next=/staff/hubs/${hub.participant}/certificates`);
    expect(en.statusCode).toBe(303);
    const page = await certificatesPage();
    expect(page.body).toContain('<html lang="en">');
    expect(page.body).toContain('Upload a certificate');
    expect(page.body).not.toContain('Certificaat uploaden');
    const mandates = await consoleGet(api, jar, `/staff/hubs/${hub.participant}/mandates`);
    expect(mandates.body).toContain('Request a mandate for one client');
    expect(mandates.body).not.toContain('Machtiging aanvragen');
    await consoleGet(api, jar, `/staff/language/nl?next=/staff`);
  });
});
