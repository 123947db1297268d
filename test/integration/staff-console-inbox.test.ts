import { buildKvkAnnualReportInstance } from '../../integrations/xbrl/kvk';
import { filingWorkflowId } from '../../workflows/filing';
import { buildTestApp } from '../helpers/api';
import { call, createTestHub, postViaConnector, sendReceiveUntil, vatReturnRequest, type Api, type TestHub } from '../helpers/hub';
import { consoleGet, consolePost, createConsoleAccount, csrfOf, signIn, type CookieJar } from '../helpers/console';
import { addContactPerson, decideInPortal, enablePortal, kvkRequest, portalLogin, waitForLifecycle } from '../helpers/portal';
import { startTestContext, type TestContext } from '../helpers/temporal';
import { fileOutsideTheHub, organisation, simulatorAdmin, wusClientFor } from '../helpers/wus';

const today = new Date().toISOString().slice(0, 10);
const thisYear = new Date().getUTCFullYear();

/**
 * The staff console's "Needs action" inbox and the filing page's actions, through a console session on real parts
 * (API, Temporal, PostgreSQL, the simulated Digipoort): each kind of item is resolved from the page with the choices
 * its rule allows; a refused action names its rule in the page's language and changes nothing; another firm's hub
 * answers 404; a form without its CSRF token 403.
 */
describe('staff console: needs action', () => {
  let ctx: TestContext;
  let api: Api;

  beforeAll(async () => {
    ctx = await startTestContext('console-inbox');
    api = await buildTestApp(ctx);
  });
  afterAll(async () => {
    await api?.app.close();
    await ctx?.close();
  });

  async function session(hubs: TestHub[]): Promise<CookieJar> {
    const account = await createConsoleAccount(api, hubs);
    const { jar } = await signIn(api, account.email, account.password);
    return jar;
  }
  const inboxUrl = (hub: TestHub) => `/staff/hubs/${hub.participant}/needs-action`;
  async function inbox(jar: CookieJar, hub: TestHub) {
    const page = await consoleGet(api, jar, inboxUrl(hub));
    expect(page.statusCode).toBe(200);
    return { html: page.body, csrf: csrfOf(page.body) };
  }
  /** The overview's count of what needs action (it links to the inbox and agrees with it). */
  async function needsActionFigure(jar: CookieJar, hub: TestHub): Promise<number> {
    const page = await consoleGet(api, jar, `/staff/hubs/${hub.participant}`);
    return Number(/data-figure="needs-action"><a [^>]*>(\d+)</.exec(page.body)?.[1]);
  }
  /** The filing's workflow has finished its last steps (its log lines are written). */
  const settled = (hub: TestHub, number: number) => ctx.client.workflow.getHandle(filingWorkflowId(hub.participant, number)).result().catch(() => undefined);
  /** What a refusal must leave as it was: the hub's messages, log lines and queued e-mails. */
  async function stored(hub: TestHub) {
    const { rows } = await ctx.pool.query(
      `SELECT (SELECT json_agg(json_build_object('n', number, 'l', lifecycle, 'd', delivery_state, 'v', version) ORDER BY number) FROM messages WHERE hub_id = $1) AS messages,
              (SELECT count(*)::int FROM communication_log WHERE hub_id = $1) AS log,
              (SELECT count(*)::int FROM email_outbox WHERE hub_id = $1) AS mails,
              (SELECT count(*)::int FROM needs_action_handled WHERE hub_id = $1) AS handled`,
      [hub.hubId],
    );
    return rows[0];
  }

  it('H12: a held message is routed from the inbox to a hub of the account; another one is resolved automatically; other firms see neither', async () => {
    const gone = await createTestHub(api);
    expect((await call(api, 'DELETE', `/api/hubs/${gone.participant}`)).statusCode).toBe(200);
    const first = (await postViaConnector(api, gone, vatReturnRequest(gone, '2026-Q1'))).json();
    const second = (await postViaConnector(api, gone, vatReturnRequest(gone, '2026-Q2'))).json();
    expect(first).toMatchObject({ needsAction: true, number: null });
    const successor = await createTestHub(api, { obNumber: gone.obNumber });
    const other = await createTestHub(api);
    const jar = await session([successor]);
    const otherJar = await session([other]);

    const { html, csrf } = await inbox(jar, successor);
    expect(html).toContain(`data-held="${first.id}"`);
    expect(html).toContain(`data-held="${second.id}"`);
    expect(html).toContain(`Test hub ${gone.participant}`);
    expect(html).toContain('Vastgehouden berichten (H12)');
    // Another firm's console neither lists it nor may route it, not even to its own hub.
    const foreign = await inbox(otherJar, other);
    expect(foreign.html).not.toContain(first.id);
    const refused = await consolePost(api, otherJar, `/staff/hubs/${other.participant}/held/${first.id}/route`, { target: other.participant, _csrf: foreign.csrf });
    expect(refused.statusCode).toBe(404);
    // The account's form may only name one of its own hubs.
    const notMine = await consolePost(api, jar, `/staff/hubs/${successor.participant}/held/${first.id}/route`, { target: other.participant, _csrf: csrf });
    expect(notMine.statusCode).toBe(404);
    // Without the form's token nothing is routed.
    expect((await consolePost(api, jar, `/staff/hubs/${successor.participant}/held/${first.id}/route`, { target: successor.participant })).statusCode).toBe(403);
    expect((await ctx.pool.query('SELECT delivery_state FROM messages WHERE id = $1', [first.id])).rows[0].delivery_state).toBe('held');

    const routed = await consolePost(api, jar, `/staff/hubs/${successor.participant}/held/${first.id}/route`, { target: successor.participant, _csrf: csrf });
    expect(routed.statusCode).toBe(303);
    expect(routed.headers.location).toBe(`${inboxUrl(successor)}?done=routed&number=1`);
    const after = await consoleGet(api, jar, routed.headers.location as string);
    expect(after.body).toContain('Het vastgehouden bericht is doorgestuurd als bericht 1.');
    expect(after.body).not.toContain(`data-held="${first.id}"`);
    // Handled correctly now: it cannot be routed again.
    expect((await consolePost(api, jar, `/staff/hubs/${successor.participant}/held/${first.id}/route`, { target: successor.participant, _csrf: csrf })).statusCode).toBe(404);

    const automatic = await consolePost(api, jar, `/staff/hubs/${successor.participant}/held/${second.id}/resolve-automatically`, { _csrf: csrf });
    expect(automatic.statusCode).toBe(303);
    expect(automatic.headers.location).toBe(`${inboxUrl(successor)}?done=routed&number=2`);
    expect((await inbox(jar, successor)).html).not.toContain('data-held=');
    await sendReceiveUntil(api, successor, 1, (f) => f.lifecycle === 80);
    // The routed filing's page shows its log in Dutch, ids and names kept as values.
    const filing = await consoleGet(api, jar, `/staff/hubs/${successor.participant}/filings/1`);
    expect(filing.body).toContain('vastgehouden bericht hierheen doorgestuurd als bericht 1 (Anna Accountant (staff console))');
    expect(filing.body).toContain('<td>bericht doorsturen</td>');
    // Fully Dutch: no element marked English (but the link to the English pages), and no id where a name exists.
    expect(filing.body).toContain('ondertekend met certificaat');
    expect(filing.body.replace(/<a href="\/staff\/language\/[^>]*>[^<]*<\/a>/g, '')).not.toContain('lang="en"');
    const named = await ctx.pool.query<{ id: string }>('SELECT id::text FROM certificates UNION ALL SELECT id::text FROM organisations');
    const shown = filing.body.replace(/<[^>]*>/g, ' ');
    expect(named.rows.map((r) => r.id).filter((id) => shown.includes(id))).toEqual([]);
  }, 120_000);

  it('an ambiguous submission is resolved from the inbox by allowing a resend; adopting needs a kenmerk (H5)', async () => {
    const hub = await createTestHub(api);
    await fileOutsideTheHub(hub.obNumber, `outside-inbox-${hub.participant}`);
    await simulatorAdmin.addFault({ kind: 'reset-after', bodyContains: `FH${hub.participant}-1-v1-a1`, count: 1 });
    const posted = (await postViaConnector(api, hub, vatReturnRequest(hub))).json();
    for (let i = 0; i < 300; i++) {
      const { rows } = await ctx.pool.query('SELECT delivery_state FROM messages WHERE hub_id = $1 AND number = $2', [hub.hubId, posted.number]);
      if (rows[0].delivery_state === 'needs_human') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const jar = await session([hub]);
    const { html, csrf } = await inbox(jar, hub);
    expect(html).toContain(`data-ambiguous="${posted.number}"`);
    const url = `/staff/hubs/${hub.participant}/filings/${posted.number}/resolve`;
    const before = await stored(hub);
    const noKenmerk = await consolePost(api, jar, url, { choice: 'adopt', kenmerk: ' ', back: 'needs-action', _csrf: csrf });
    expect(noKenmerk.statusCode).toBe(422);
    expect(noKenmerk.body).toContain('H5: Vul het kenmerk in');
    expect(await stored(hub)).toEqual(before);

    const resend = await consolePost(api, jar, url, { choice: 'resend', back: 'needs-action', _csrf: csrf });
    expect(resend.statusCode).toBe(303);
    expect(resend.headers.location).toBe(`${inboxUrl(hub)}?done=resend&number=${posted.number}`);
    expect((await consoleGet(api, jar, resend.headers.location as string)).body).not.toContain('data-ambiguous=');
    // Nothing waits any more: a second resolution is refused with H10, in Dutch.
    const again = await consolePost(api, jar, url, { choice: 'resend', back: 'needs-action', _csrf: csrf });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('H10: alleen een onduidelijke verzending die op een medewerker wacht');
    const final = await sendReceiveUntil(api, hub, posted.number, (f) => f.lifecycle === 80, 60_000);
    expect(final.lifecycle).toBe(80);
    expect(await simulatorAdmin.acceptedCount(`FH${hub.participant}-${posted.number}-v1-a2`)).toBe(1);
  }, 120_000);

  it('H10: a failed send is reset and resent from the inbox; an accepted one is refused, nothing changed', async () => {
    const hub = await createTestHub(api, { certificate: 'willemsen' });
    const posted = (await postViaConnector(api, hub, vatReturnRequest(hub))).json();
    await sendReceiveUntil(api, hub, posted.number, (f) => f.lifecycle === 70);
    const jar = await session([hub]);
    const { html, csrf } = await inbox(jar, hub);
    expect(html).toContain(`data-failed="${posted.number}"`);
    await simulatorAdmin.register(organisation('willemsen').hrn, 'Omzetbelasting', hub.obNumber);
    const reset = await consolePost(api, jar, `/staff/hubs/${hub.participant}/filings/${posted.number}/reset`, { back: 'needs-action', _csrf: csrf });
    expect(reset.statusCode).toBe(303);
    expect(reset.headers.location).toBe(`${inboxUrl(hub)}?done=reset&number=${posted.number}`);
    expect((await consoleGet(api, jar, reset.headers.location as string)).body).not.toContain('data-failed=');
    await sendReceiveUntil(api, hub, posted.number, (f) => f.lifecycle === 80, 60_000);
    await settled(hub, posted.number);
    const before = await stored(hub);
    const refused = await consolePost(api, jar, `/staff/hubs/${hub.participant}/filings/${posted.number}/reset`, { _csrf: csrf });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('data-rule="H10"');
    expect(refused.body).toContain('H10: alleen een mislukte verzending (70)');
    expect(await stored(hub)).toEqual(before);
    const page = await consoleGet(api, jar, `/staff/hubs/${hub.participant}/filings/${posted.number}`);
    expect(page.body).toContain('status hersteld door Anna Accountant (staff console): wordt opnieuw verstuurd (H10)');
  }, 120_000);

  it("A1: the client is reminded from the filing page; after the client's rejection (40) the reminder and a reset are refused, and a handled mark empties the inbox", async () => {
    const hub = await createTestHub(api);
    await enablePortal(api, hub, ['vat-return']);
    const contact = await addContactPerson(api, hub, hub.organisationId, 'Karin Klant', `karin.${hub.participant}@client.test`);
    const cookie = await portalLogin(api, hub, contact);
    const posted = (await postViaConnector(api, hub, vatReturnRequest(hub))).json();
    const filing = await waitForLifecycle(api, hub, posted.number, [30]);
    const other = await createTestHub(api);
    const jar = await session([hub]);
    const filingUrl = `/staff/hubs/${hub.participant}/filings/${posted.number}`;
    const page = await consoleGet(api, jar, filingUrl);
    expect(page.body).toContain('Cliënt herinneren (A1)');
    const csrf = csrfOf(page.body);
    // Another firm's hub: 404; no token: 403; neither queues anything.
    // The ones a person asked for (the due date being past, the workflow reminded the client by itself already).
    const mails = async () => (await ctx.pool.query("SELECT subject, recipient FROM email_outbox WHERE message_id = $1 AND dedupe_key LIKE '%:staff-reminder-%'", [filing.id])).rows;
    expect((await consolePost(api, jar, `/staff/hubs/${other.participant}/filings/${posted.number}/remind`, { _csrf: csrf })).statusCode).toBe(404);
    expect((await consolePost(api, jar, `${filingUrl}/remind`, {})).statusCode).toBe(403);
    expect(await mails()).toEqual([]);

    const reminded = await consolePost(api, jar, `${filingUrl}/remind`, { back: 'filing', _csrf: csrf });
    expect(reminded.statusCode).toBe(303);
    expect(reminded.headers.location).toBe(`${filingUrl}?done=reminded`);
    expect(await mails()).toEqual([{ subject: expect.stringMatching(/^Reminder: VAT return 2026-Q1 waits for your approval \(due /), recipient: `karin.${hub.participant}@client.test` }]);
    const shown = await consoleGet(api, jar, reminded.headers.location as string);
    expect(shown.body).toContain('De herinnering aan de cliënt staat klaar');
    expect(shown.body).toContain('cliënt herinnerd door Anna Accountant (staff console): 1 e-mail(s) klaargezet');

    const reason = 'Rubriek 1b klopt niet: de omzet tegen het lage tarief is 900';
    expect((await decideInPortal(api, cookie, filing.id, 'reject', { reason })).statusCode).toBe(303);
    await waitForLifecycle(api, hub, posted.number, [40]);
    const { html } = await inbox(jar, hub);
    expect(html).toContain(`data-rejected="${posted.number}"`);
    expect(html).toContain(reason);
    expect(html).toContain('Afgekeurd door de cliënt (40)');

    await settled(hub, posted.number);
    expect(await needsActionFigure(jar, hub)).toBe(1);
    const before = await stored(hub);
    const remindLate = await consolePost(api, jar, `${filingUrl}/remind`, { _csrf: csrf });
    expect(remindLate.statusCode).toBe(409);
    expect(remindLate.body).toContain('A1: alleen een aangifte die op goedkeuring door de cliënt in het portaal wacht');
    const resetFinal = await consolePost(api, jar, `${filingUrl}/reset`, { back: 'needs-action', _csrf: csrf });
    expect(resetFinal.statusCode).toBe(409);
    expect(resetFinal.body).toContain('H10: alleen een mislukte verzending (70)');
    const noNote = await consolePost(api, jar, `${filingUrl}/handled`, { note: '  ', back: 'needs-action', _csrf: csrf });
    expect(noNote.statusCode).toBe(422);
    expect(await stored(hub)).toEqual(before);

    const handled = await consolePost(api, jar, `${filingUrl}/handled`, { note: 'Rubriek 1b gecorrigeerd in de administratie; nieuwe versie volgt', back: 'needs-action', _csrf: csrf });
    expect(handled.statusCode).toBe(303);
    expect(handled.headers.location).toBe(`${inboxUrl(hub)}?done=handled&number=${posted.number}`);
    const empty = await consoleGet(api, jar, handled.headers.location as string);
    expect(empty.body).not.toContain('data-rejected=');
    expect(empty.body).toContain('Er wacht niets op u.');
    expect(await needsActionFigure(jar, hub)).toBe(0);
    // Once: the JSON API refuses a second mark with the rule.
    const twice = await call(api, 'POST', `/api/hubs/${hub.participant}/filings/${posted.number}/handled`, { note: 'again' });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().rule).toBe('K4');
    const detail = await consoleGet(api, jar, filingUrl);
    expect(detail.body).toContain('Afgehandeld door Anna Accountant (staff console)');
    expect(detail.body).toContain('status 40 als afgehandeld gemarkeerd door Anna Accountant (staff console)');
    // In English the page speaks English only (its own words and the known log texts).
    await consoleGet(api, jar, `/staff/language/en?next=${encodeURIComponent(filingUrl)}`);
    const english = await consoleGet(api, jar, filingUrl);
    expect(english.body).toContain('lifecycle 40 marked as handled by Anna Accountant (staff console)');
    expect(english.body).not.toContain('afgehandeld');
  }, 120_000);

  it("KvK's refusal (90) appears with KvK's reason; the JSON API marks it handled and it leaves the inbox", async () => {
    const hub = await createTestHub(api);
    await enablePortal(api, hub, ['kvk-annual-report']);
    const contact = await addContactPerson(api, hub, hub.organisationId, 'Karin Klant', `karin.${hub.participant}@client.test`);
    const cookie = await portalLogin(api, hub, contact);
    const year = thisYear - 2;
    // The client deposited the year itself, outside the hub: KvK refuses the hub's deposit of it.
    const instance = buildKvkAnnualReportInstance(
      { kvkNumber: hub.kvkNumber, legalEntityName: 'Zelf Gedeponeerd B.V.', legalForm: 'Besloten vennootschap', registeredOffice: 'Utrecht',
        financialYear: { start: `${year}-01-01`, end: `${year}-12-31` }, sizeClass: 'micro', adopted: true, adoptionDate: `${year + 1}-05-20` },
      { filingDate: today },
    );
    const outsider = wusClientFor('holding');
    try {
      await outsider.aanleveren({
        berichtsoort: 'jaarverantwoording_kvk',
        aanleverkenmerk: `outside-${hub.kvkNumber}-${year}`,
        identiteitBelanghebbende: { nummer: hub.kvkNumber, type: 'KvK' },
        rolBelanghebbende: 'Bedrijf',
        berichtInhoud: { mimeType: 'application/xml', bestandsnaam: 'jaarstukken.xbrl', inhoud: Buffer.from(instance, 'utf8') },
      });
    } finally {
      outsider.close();
    }
    const posted = (await postViaConnector(api, hub, kvkRequest(hub, year))).json();
    const filing = await waitForLifecycle(api, hub, posted.number, [30]);
    expect((await decideInPortal(api, cookie, filing.id, 'adopt')).statusCode).toBe(303);
    expect((await decideInPortal(api, cookie, filing.id, 'approve')).statusCode).toBe(303);
    await sendReceiveUntil(api, hub, posted.number, (f) => f.lifecycle === 90, 60_000);
    await settled(hub, posted.number);

    const jar = await session([hub]);
    const { html, csrf } = await inbox(jar, hub);
    expect(html).toContain(`data-refused="${posted.number}"`);
    expect(html).toContain(`<q lang="nl">Het boekjaar ${year} is al gedeponeerd.</q>`);
    const page = await consoleGet(api, jar, `/staff/hubs/${hub.participant}/filings/${posted.number}`);
    expect(page.body).toContain(`afgekeurd door KvK (Het boekjaar ${year} is al gedeponeerd.); definitief`);
    const before = await stored(hub);
    const reset = await consolePost(api, jar, `/staff/hubs/${hub.participant}/filings/${posted.number}/reset`, { back: 'needs-action', _csrf: csrf });
    expect(reset.statusCode).toBe(409);
    expect(reset.body).toContain('H10:');
    expect(await stored(hub)).toEqual(before);

    const marked = await call(api, 'POST', `/api/hubs/${hub.participant}/filings/${posted.number}/handled`, { note: 'Client told: the year was deposited already' });
    expect(marked.statusCode).toBe(200);
    expect(marked.json()).toMatchObject({ number: posted.number, lifecycle: 90, handledBy: expect.stringContaining('staff'), note: 'Client told: the year was deposited already' });
    expect((await inbox(jar, hub)).html).not.toContain('data-refused=');
    // Not awaiting approval: the JSON reminder is refused with A1 too.
    const remind = await call(api, 'POST', `/api/hubs/${hub.participant}/filings/${posted.number}/remind`);
    expect(remind.statusCode).toBe(409);
    expect(remind.json().rule).toBe('A1');
  }, 150_000);
});
