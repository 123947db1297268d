import { wordsFor } from '../../api/i18n';
import { vatDueDate } from '../../domain/deadlines';
import { buildKvkAnnualReportInstance } from '../../integrations/xbrl/kvk';
import { parsePeriod } from '../../domain/periods';
import { createPortalActivities } from '../../activities/portal';
import { createSmtpMailer } from '../../integrations/email/mailer';
import { clientDecisionSignal, filingStateQuery, filingWorkflowId } from '../../workflows/filing';
import { DueDateAttribute, ReminderStateAttribute } from '../../workflows/search-attributes';
import { buildTestApp } from '../helpers/api';
import { call, createTestHub, messageCount, postViaConnector, randomKvkNumber, randomObNumber, sendReceiveUntil, vatReturnRequest, type Api, type TestHub } from '../helpers/hub';
import {
  addContactPerson,
  decideInPortal,
  enablePortal,
  formFields,
  kvkRequest,
  portalGet,
  portalLink,
  portalLogin,
  postDecision,
  redeem,
  smtpSink,
  waitForLifecycle,
} from '../helpers/portal';
import { startTestContext, type TestContext } from '../helpers/temporal';
import { simulatorAdmin } from '../helpers/wus';

/**
 * The client portal on real parts (A1–A3, A6, K1–K4, deadlines): filings wait at 30 for the client, who approves,
 * rejects or adopts in the portal (Temporal updates), the approved ones go to the simulated Digipoort, reminders and
 * escalations go out as real SMTP mail.
 */
const now = new Date();
const thisYear = now.getUTCFullYear();
/**
 * The latest month that has ended (a return is prepared once its period is over, OB3): due at the end of this month,
 * so its due date is not past.
 */
const lastMonth = new Date(Date.UTC(thisYear, now.getUTCMonth() - 1, 1));
const ENDED_MONTH = `${lastMonth.getUTCFullYear()}-${String(lastMonth.getUTCMonth() + 1).padStart(2, '0')}`;
const ENDED_MONTH_DUE = vatDueDate(parsePeriod(ENDED_MONTH));
/** Due long ago: the latest client reminder and the escalation are due at once. */
const PAST_QUARTER = `${thisYear - 1}-Q1`;
const nl = wordsFor('nl');

describe('client portal: approval, rejection, adoption, reminders', () => {
  let ctx: TestContext;
  let api: Api;
  let smtp: Awaited<ReturnType<typeof smtpSink>>;

  beforeAll(async () => {
    smtp = await smtpSink();
    ctx = await startTestContext('portal', {
      deps: { mailer: createSmtpMailer(smtp.url, 'Filing hub <hub@firm.test>'), publicUrl: 'http://localhost:3000' },
    });
    api = await buildTestApp(ctx);
  });
  afterAll(async () => {
    await api?.app.close();
    await ctx?.close();
    await smtp?.close();
  });

  /** A hub with the portal on for VAT, supplements and KvK, and one contact person of its organisation, logged in. */
  async function portalHub(): Promise<{ hub: TestHub; contactId: string; cookie: string }> {
    const hub = await createTestHub(api);
    await enablePortal(api, hub, ['vat-return', 'vat-supplement', 'icp', 'kvk-annual-report']);
    const contactId = await addContactPerson(api, hub, hub.organisationId, 'Anna de Klant', `anna.${hub.participant}@client.test`);
    const cookie = await portalLogin(api, hub, contactId);
    return { hub, contactId, cookie };
  }

  async function postAndWait(hub: TestHub, body: unknown): Promise<{ number: number; id: string }> {
    const posted = await postViaConnector(api, hub, body);
    if (posted.statusCode !== 202) throw new Error(`post: ${posted.statusCode} ${posted.body}`);
    const filing = await waitForLifecycle(api, hub, posted.json().number, [30]);
    return { number: filing.number, id: filing.id };
  }

  it('A1: a VAT return waits at 30 until the client approves it in the portal, then goes 50 → 60 → 80', async () => {
    const { hub, cookie, contactId } = await portalHub();
    const { number, id } = await postAndWait(hub, vatReturnRequest(hub, ENDED_MONTH));

    // Nothing is sent while the client has not decided.
    const waiting = (await call(api, 'GET', `/api/hubs/${hub.participant}/filings/${number}`)).json();
    expect(waiting).toMatchObject({ lifecycle: 30, approvalRequired: true, dueDate: ENDED_MONTH_DUE, kenmerk: null });

    // The list and the page show what the client approves: every box with its label, the amounts, the due date.
    const list = await portalGet(api, cookie, '/portal');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(`data-filing="${id}"`);
    expect(list.body).toContain('<html lang="nl">');
    expect(list.body).toContain(`Btw-aangifte ${ENDED_MONTH} staat klaar voor uw beoordeling (uiterlijk ${nl.date(ENDED_MONTH_DUE)}).`);
    const page = await portalGet(api, cookie, `/portal/filings/${id}`);
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toContain('data-box="1a"');
    expect(page.body).toContain('Leveringen/diensten belast met algemeen tarief (21 %)');
    expect(page.body).toContain('€ 10.000');
    expect(page.body).toContain(`Uiterlijk: <time datetime="${ENDED_MONTH_DUE}">${nl.date(ENDED_MONTH_DUE)}</time>`);
    // What approving authorises: the firm (the hub) signs and files exactly this content on the client's behalf.
    const { rows: sha } = await ctx.pool.query('SELECT content_sha256 FROM messages WHERE id = $1', [id]);
    expect(page.body).toContain(
      `Met uw goedkeuring geeft u Test hub ${hub.participant} opdracht deze aangifte namens u te ondertekenen en in te dienen bij de Belastingdienst, precies met de inhoud op deze pagina.`,
    );
    expect(page.body).toContain(`<code>${sha[0].content_sha256}</code>`);
    expect(page.body).not.toContain('data-overdue');

    const decided = await decideInPortal(api, cookie, id, 'approve');
    expect(decided.statusCode).toBe(303);
    expect(decided.headers.location).toBe(`/portal/filings/${id}?done=approve`);
    const after = await portalGet(api, cookie, decided.headers.location as string);
    expect(after.body).toContain('U hebt deze aangifte goedgekeurd; hij wordt verzonden.');
    // Decided: the "ready for your review" notice is gone from the list, the filing is listed as decided.
    const listAfter = await portalGet(api, cookie, '/portal');
    expect(listAfter.body).not.toContain('staat klaar voor uw beoordeling');
    expect(listAfter.body).not.toContain('data-notice=');
    expect(listAfter.body).toContain(`data-filing="${id}"`);

    const final = await sendReceiveUntil(api, hub, number, (f) => f.lifecycle === 80);
    expect(final.digipoortStatus).toBe('500');
    const { rows: decisions } = await ctx.pool.query(
      'SELECT decision, decided_via, contact_person_id, content_sha256 FROM approval_decisions WHERE message_id = $1',
      [id],
    );
    const { rows: message } = await ctx.pool.query('SELECT content_sha256 FROM messages WHERE id = $1', [id]);
    expect(decisions).toEqual([{ decision: 'approved', decided_via: 'portal', contact_person_id: contactId, content_sha256: message[0].content_sha256 }]);
    const log = (await call(api, 'GET', `/api/hubs/${hub.participant}/log?messageNumber=${number}`)).json() as { text: string }[];
    const texts = log.map((e) => e.text).reverse();
    expect(texts.findIndex((t) => t.startsWith('30:'))).toBeLessThan(texts.findIndex((t) => t.includes('approved by the client')));
    const filing = (await call(api, 'GET', `/api/hubs/${hub.participant}/filings/${number}`)).json();
    expect(await simulatorAdmin.acceptedCount(filing.aanleverkenmerk)).toBe(1);
  });

  it('A1: a rejection needs a reason, ends at 40 and nothing is sent; the administration is told', async () => {
    const { hub, cookie } = await portalHub();
    const { number, id } = await postAndWait(hub, vatReturnRequest(hub, ENDED_MONTH));

    const noReason = await decideInPortal(api, cookie, id, 'reject', { reason: '  ' });
    expect(noReason.statusCode).toBe(409);
    expect(noReason.body).toContain('a rejection needs a reason');
    expect((await call(api, 'GET', `/api/hubs/${hub.participant}/filings/${number}`)).json().lifecycle).toBe(30);

    const fields = formFields((await portalGet(api, cookie, `/portal/filings/${id}`)).body);
    const rejected = await decideInPortal(api, cookie, id, 'reject', { reason: 'Box 1b is wrong: the low rate turnover is 900' });
    expect(rejected.statusCode).toBe(303);
    // The page promises the accountant is told: the hub's accountant gets the reason by e-mail, once, through the outbox.
    const done = await portalGet(api, cookie, rejected.headers.location as string);
    expect(done.body).toContain('U hebt deze aangifte afgekeurd; uw accountant heeft hierover een e-mail gekregen.');
    const filing = await waitForLifecycle(api, hub, number, [40]);
    expect(filing.kenmerk).toBeNull();
    const state = await ctx.client.workflow.getHandle(filingWorkflowId(hub.participant, number)).result();
    expect(state).toMatchObject({ phase: 'rejected-by-client', lifecycle: 40, note: 'rejected by the client: Box 1b is wrong: the low rate turnover is 900' });
    expect(await simulatorAdmin.acceptedCount(`FH${hub.participant}-${number}-v1-a1`)).toBe(0);
    const seen = await api.app.inject({ method: 'GET', url: `/connector/${hub.participant}/messages/${number}`, headers: { authorization: `Bearer ${hub.connectorToken}` } });
    expect(seen.json()).toMatchObject({ lifecycle: 40, lifecycleLabel: 'Rejected by the client' });
    // Decided once: the page no longer offers a decision, and a replayed form is refused.
    const page = await portalGet(api, cookie, `/portal/filings/${id}`);
    expect(page.body).not.toContain('name="decision"');
    const again = await postDecision(api, cookie, id, { ...fields, decision: 'approve' });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('Deze aangifte wacht niet op uw beslissing (status: 40 — Afgekeurd door cliënt)');
    expect((await call(api, 'GET', `/api/hubs/${hub.participant}/filings/${number}`)).json().lifecycle).toBe(40);
    const { rows: mails } = await ctx.pool.query('SELECT recipient, subject, body, sent_at FROM email_outbox WHERE message_id = $1 AND dedupe_key = $2', [id, `${id}:rejected`]);
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ recipient: 'accountant@firm.test', subject: `Rejected: message ${number} (VAT return ${ENDED_MONTH}) was rejected by the client` });
    expect(mails[0].body).toContain('Box 1b is wrong: the low rate turnover is 900');
    const until = Date.now() + 10_000;
    const received = () => smtp.mails.filter((m) => m.to[0] === 'accountant@firm.test' && m.text.includes(`Rejected: message ${number} `) && m.text.includes(`hub ${hub.participant}`));
    while (received().length < 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(received()).toHaveLength(1);
    expect(received()[0].text).toContain('Box 1b is wrong: the low rate turnover is 900');
    const log = (await call(api, 'GET', `/api/hubs/${hub.participant}/log?messageNumber=${number}`)).json() as { text: string }[];
    expect(log.map((e) => e.text)).toContain('rejection: e-mail to the accountant (accountant@firm.test) queued');
  });

  it('A1: an approval is bound to the content the client saw; a stale hash is refused and nothing changes', async () => {
    const { hub, cookie } = await portalHub();
    const { number, id } = await postAndWait(hub, vatReturnRequest(hub, ENDED_MONTH));
    const fields = formFields((await portalGet(api, cookie, `/portal/filings/${id}`)).body);
    const stale = await postDecision(api, cookie, id, { ...fields, decision: 'approve', contentSha256: 'f'.repeat(64) });
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('A1: the filing changed since it was shown');
    const forged = await postDecision(api, cookie, id, { ...fields, csrf: 'not-the-session-csrf', decision: 'approve' });
    expect(forged.statusCode).toBe(403);
    expect((await call(api, 'GET', `/api/hubs/${hub.participant}/filings/${number}`)).json().lifecycle).toBe(30);
    const { rows } = await ctx.pool.query('SELECT count(*)::int AS n FROM approval_decisions WHERE message_id = $1', [id]);
    expect(rows[0].n).toBe(0);
    // The refused update never entered the workflow's history (validator), and the workflow still waits.
    const state = await ctx.client.workflow.getHandle(filingWorkflowId(hub.participant, number)).query(filingStateQuery);
    expect(state.phase).toBe('awaiting-approval');
  });

  it('H11: a new version while the client reviews supersedes the old one; only the new one can be decided', async () => {
    const { hub, cookie } = await portalHub();
    const first = await postAndWait(hub, vatReturnRequest(hub, ENDED_MONTH));
    const oldFields = formFields((await portalGet(api, cookie, `/portal/filings/${first.id}`)).body);
    const second = await postAndWait(hub, vatReturnRequest(hub, ENDED_MONTH, { figures: { turnover: { '1a': '20000' }, vat: { '1a': '4200' }, inputTax: '0' } }));
    const oldState = await ctx.client.workflow.getHandle(filingWorkflowId(hub.participant, first.number)).result();
    expect(oldState.phase).toBe('superseded');
    expect((await portalGet(api, cookie, `/portal/filings/${first.id}`)).statusCode).toBe(404);
    const stale = await postDecision(api, cookie, first.id, { ...oldFields, decision: 'approve' });
    expect(stale.statusCode).toBe(404);
    const page = await portalGet(api, cookie, `/portal/filings/${second.id}`);
    expect(page.body).toContain('€ 20.000');
  });

  it('A6: a client sees and decides only its own filings; another client gets 404 as for an unknown id', async () => {
    const { hub, cookie } = await portalHub();
    const otherOb = randomObNumber();
    const otherOrg = await call(api, 'POST', `/api/hubs/${hub.participant}/organisations`, { name: 'Andere Klant B.V.', obNumber: `NL${otherOb}`, kvkNumber: randomKvkNumber() });
    expect(otherOrg.statusCode).toBe(201);
    const otherContact = await addContactPerson(api, hub, otherOrg.json().id, 'Bram Anders', `bram.${hub.participant}@other.test`);
    const otherCookie = await portalLogin(api, hub, otherContact);

    const { number, id } = await postAndWait(hub, vatReturnRequest(hub, ENDED_MONTH));
    const fields = formFields((await portalGet(api, cookie, `/portal/filings/${id}`)).body);
    const otherList = await portalGet(api, otherCookie, '/portal');
    expect(otherList.body).not.toContain(id);
    const peek = await portalGet(api, otherCookie, `/portal/filings/${id}`);
    const unknown = await portalGet(api, otherCookie, `/portal/filings/00000000-0000-4000-8000-000000000000`);
    expect(peek.statusCode).toBe(404);
    expect(unknown.statusCode).toBe(404);
    expect(peek.body).toBe(unknown.body);
    const otherCsrf = /name="csrf" value="([^"]+)"/.exec((await portalGet(api, otherCookie, '/portal')).body)![1];
    const sneaky = await postDecision(api, otherCookie, id, { csrf: otherCsrf, contentSha256: fields.contentSha256, decision: 'approve' });
    expect(sneaky.statusCode).toBe(404);
    expect((await call(api, 'GET', `/api/hubs/${hub.participant}/filings/${number}`)).json().lifecycle).toBe(30);
    // Without a session: the login page, never a filing.
    const anonymous = await api.app.inject({ method: 'GET', url: `/portal/filings/${id}` });
    expect(anonymous.statusCode).toBe(303);
    expect(anonymous.headers.location).toBe('/portal/login');
  });

  it('portal links are single use, expire, and are revoked per client together with its sessions', async () => {
    const hub = await createTestHub(api);
    await enablePortal(api, hub, ['vat-return']);
    const contactId = await addContactPerson(api, hub, hub.organisationId, 'Carla Klant', `carla.${hub.participant}@client.test`);
    const link = await portalLink(api, hub, contactId);
    expect(link.link).toMatch(/\/portal\/login#t=fhp_[A-Za-z0-9_-]+$/);
    const { rows: stored } = await ctx.pool.query('SELECT token_hash FROM portal_tokens WHERE contact_person_id = $1', [contactId]);
    expect(stored[0].token_hash.toString('utf8')).not.toContain(link.token);

    const first = await redeem(api, link.token);
    expect(first.status).toBe(303);
    expect(first.cookie).toBeDefined();
    const second = await redeem(api, link.token);
    expect(second.status).toBe(401);
    expect(second.body).toContain('Deze inloglink is niet geldig: hij is al gebruikt, verlopen of ingetrokken.');
    expect((await redeem(api, 'fhp_' + 'A'.repeat(43))).status).toBe(401);
    expect((await redeem(api, 'not a token')).status).toBe(401);

    const expiring = await portalLink(api, hub, contactId);
    await ctx.pool.query("UPDATE portal_tokens SET expires_at = now() - interval '1 second' WHERE contact_person_id = $1 AND used_at IS NULL", [contactId]);
    expect((await redeem(api, expiring.token)).status).toBe(401);

    const unused = await portalLink(api, hub, contactId);
    const revoked = await call(api, 'DELETE', `/api/hubs/${hub.participant}/organisations/${hub.organisationId}/portal-access`);
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json()).toEqual({ tokens: 1, sessions: 1 });
    expect((await redeem(api, unused.token)).status).toBe(401);
    const afterRevoke = await portalGet(api, first.cookie!, '/portal');
    expect(afterRevoke.statusCode).toBe(303);
    expect(afterRevoke.headers.location).toBe('/portal/login');
  });

  it('login attempts are rate limited per client address (429), whatever the token', async () => {
    const limited = await buildTestApp(ctx, { portalLoginAttemptsPerMinute: 3 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await redeem(limited, `fhp_${'B'.repeat(43)}`)).status);
      expect(statuses).toEqual([401, 401, 401, 429]);
    } finally {
      await limited.app.close();
    }
  });

  it('A2: no annual supplement while a VAT return waits for approval; refused with the rule, nothing stored', async () => {
    const { hub } = await portalHub();
    await postAndWait(hub, vatReturnRequest(hub, ENDED_MONTH));
    const before = await messageCount(ctx.pool, hub.hubId);
    const annual = await postViaConnector(api, hub, {
      kind: 'vat-supplement',
      period: String(thisYear - 1),
      obNumber: `NL${hub.obNumber}`,
      contact: { initials: 'J', surname: 'Jansen', telephone: '0201234567' },
      figures: { turnover: { '1a': '1000' }, vat: { '1a': '210' }, inputTax: '0' },
      alreadyDeclared: '100',
    });
    expect(annual.statusCode).toBe(409);
    expect(annual.json().message).toMatch(/^A2: no annual supplement can be created while 1 VAT\/ICP return of this client wait/);
    expect(await messageCount(ctx.pool, hub.hubId)).toBe(before);
  });

  it('A3: the portal needs the hub\'s own certificate; both ways round are refused and nothing changes', async () => {
    const { hub } = await portalHub();
    const toProvider = await call(api, 'PATCH', `/api/hubs/${hub.participant}`, { certificateMode: 'service-provider' });
    expect(toProvider.statusCode).toBe(409);
    expect(toProvider.json().message).toMatch(/^A3: portal approval needs the hub to file with its own certificate/);
    const other = await createTestHub(api);
    expect((await call(api, 'PATCH', `/api/hubs/${other.participant}`, { certificateMode: 'service-provider' })).statusCode).toBe(200);
    const enable = await call(api, 'PATCH', `/api/hubs/${other.participant}`, { portalEnabled: true });
    expect(enable.statusCode).toBe(409);
    expect(enable.json().message).toMatch(/^A3:/);
    expect((await call(api, 'GET', `/api/hubs/${hub.participant}`)).json()).toMatchObject({ certificateMode: 'own', portalEnabled: true });
    expect((await call(api, 'GET', `/api/hubs/${other.participant}`)).json()).toMatchObject({ certificateMode: 'service-provider', portalEnabled: false });
  });

  it('K1/K2: only micro and small companies, and the adoption and signature data must be set; nothing stored', async () => {
    const { hub } = await portalHub();
    const before = await messageCount(ctx.pool, hub.hubId);
    const medium = await postViaConnector(api, hub, kvkRequest(hub, thisYear - 1, { sizeClass: 'middelgroot' }));
    expect(medium.statusCode).toBe(422);
    expect(medium.json().message).toMatch(/^K1: the KvK deposit through the portal is only for micro and small companies/);
    const unsigned = await postViaConnector(api, hub, kvkRequest(hub, thisYear - 1, { adoptionDate: undefined, signedBy: { name: 'P. de Vries', role: 'shareholder' } }));
    expect(unsigned.statusCode).toBe(422);
    expect(unsigned.json().message).toBe(
      'K2: set the date of adoption (datum vaststelling), whether the signer is a director or a commissioner, the date of signing before preparing the annual report',
    );
    expect(await messageCount(ctx.pool, hub.hubId)).toBe(before);
    // Without the portal approval the KvK documents are not taken at all.
    const plain = await createTestHub(api);
    const refused = await postViaConnector(api, plain, kvkRequest(plain, thisYear - 1));
    expect(refused.statusCode).toBe(409);
    expect(refused.json().message).toMatch(/^K1: KvK documents go to KvK only after the client's review/);
  });

  it('K3/K4: the client adopts, then approves; the deposit reaches 80; a second deposit of the year is refused at preparation', async () => {
    const { hub, cookie } = await portalHub();
    const year = thisYear - 1;
    const { number, id } = await postAndWait(hub, kvkRequest(hub, year));
    const page = await portalGet(api, cookie, `/portal/filings/${id}`);
    expect(page.body).toContain('<th scope="row">Datum vaststelling</th>');
    expect(page.body).toContain('P. de Vries (bestuurder)');
    expect(page.body).toContain('Nog niet');
    expect(page.body).toContain('opdracht deze jaarverantwoording namens u te ondertekenen en te deponeren bij de KvK, precies met de inhoud op deze pagina.');
    expect(page.body).not.toContain('name="approve"');
    const before = formFields(page.body);

    // K3: the final approval before "adopted" is refused.
    const early = await postDecision(api, cookie, id, { ...before, decision: 'approve' });
    expect(early.statusCode).toBe(409);
    expect(early.body).toContain('K3: set &quot;annual accounts adopted&quot; before the final approval');

    const adopted = await postDecision(api, cookie, id, { ...before, decision: 'adopt' });
    expect(adopted.statusCode).toBe(303);
    const adoptedPage = await portalGet(api, cookie, `/portal/filings/${id}?done=adopt`);
    expect(adoptedPage.body).toContain('De jaarrekening is vastgesteld. Geef nu uw definitieve goedkeuring.');
    const after = formFields(adoptedPage.body);
    // The adoption changed the document: the approval is bound to the adopted content.
    expect(after.contentSha256).not.toBe(before.contentSha256);
    const { rows } = await ctx.pool.query('SELECT content_xml FROM messages WHERE id = $1', [id]);
    expect(rows[0].content_xml).toContain('DocumentAdoptionStatus');
    expect(rows[0].content_xml).toContain(`${year + 1}-05-20`);
    expect((await postDecision(api, cookie, id, { ...before, decision: 'approve' })).statusCode).toBe(409);

    expect((await postDecision(api, cookie, id, { ...after, decision: 'approve' })).statusCode).toBe(303);
    const final = await sendReceiveUntil(api, hub, number, (f) => f.lifecycle === 80);
    expect(final.digipoortStatus).toBe('500');
    expect((await call(api, 'GET', `/api/hubs/${hub.participant}/filings/${number}`)).json().lifecycleLabel).toBe('Deposited at KvK');

    // The same year once more: refused at preparation (K4), before the client sees it or KvK refuses it; nothing stored.
    const storedBefore = await messageCount(ctx.pool, hub.hubId);
    const again = await postViaConnector(api, hub, kvkRequest(hub, year));
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ rule: 'K4', field: 'document.resubmission' });
    expect(again.json().message).toMatch(new RegExp(`^K4: the KvK annual report ${year} was already deposited at KvK through this hub \\(message ${number}, version 1, status 80 on `));
    expect(await messageCount(ctx.pool, hub.hubId)).toBe(storedBefore);
  });

  it('deadlines: a filing offered late reminds the client and escalates to the accountant at once, by real mail', async () => {
    const { hub, contactId } = await portalHub();
    const { number, id } = await postAndWait(hub, vatReturnRequest(hub, PAST_QUARTER));
    const due = `${thisYear - 1}-04-30`;
    const handle = ctx.client.workflow.getHandle(filingWorkflowId(hub.participant, number));
    const deadline = Date.now() + 20_000;
    let state = await handle.query(filingStateQuery);
    while (state.reminderState !== 'escalated to the accountant (1 day before)' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      state = await handle.query(filingStateQuery);
    }
    expect(state).toMatchObject({ phase: 'awaiting-approval', dueDate: due, reminderState: 'escalated to the accountant (1 day before)' });
    const attributes = (await handle.describe()).typedSearchAttributes;
    expect(attributes.get(ReminderStateAttribute)).toBe('escalated to the accountant (1 day before)');
    expect(attributes.get(DueDateAttribute)?.toISOString()).toBe(`${due}T00:00:00.000Z`);

    const contact = `anna.${hub.participant}@client.test`;
    const until = Date.now() + 10_000;
    const mailsFor = () => smtp.mails.filter((m) => m.text.includes(`Message ${number} of hub ${hub.participant}`) || m.to.includes(contact));
    while (mailsFor().length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    const mails = mailsFor();
    expect(mails.map((m) => m.to[0]).sort()).toEqual(['accountant@firm.test', contact, contact].sort());
    expect(mails.some((m) => m.text.includes('please review and approve'))).toBe(true);
    expect(mails.some((m) => m.to[0] === contact && m.text.includes(`Reminder: VAT return ${PAST_QUARTER} waits for your approval (due ${due})`))).toBe(true);
    expect(mails.some((m) => m.to[0] === 'accountant@firm.test' && m.text.includes('Escalation: message'))).toBe(true);
    expect(mails.every((m) => m.from === 'hub@firm.test')).toBe(true);
    // The client's mails carry a personal login link that works (once); the outbox never stored a token.
    const links = mails.filter((m) => m.to[0] === contact).map((m) => /http:\/\/localhost:3000\/portal\/login#t=(fhp_[A-Za-z0-9_-]+)/.exec(m.text)?.[1]);
    expect(links.every(Boolean)).toBe(true);
    expect(new Set(links).size).toBe(2);
    const loggedIn = await redeem(api, links[0]!);
    expect(loggedIn.status).toBe(303);
    expect((await redeem(api, links[0]!)).status).toBe(401);
    expect(mails.find((m) => m.to[0] === 'accountant@firm.test')!.text).not.toContain('/portal/login');
    const { rows: stored } = await ctx.pool.query("SELECT count(*)::int AS n FROM email_outbox WHERE body LIKE '%fhp_%'");
    expect(stored[0].n).toBe(0);

    const outbox = (await call(api, 'GET', `/api/hubs/${hub.participant}/email-outbox`)).json() as { recipient: string; sentAt: string | null; messageNumber: number }[];
    expect(outbox.filter((m) => m.messageNumber === number)).toHaveLength(3);
    expect(outbox.every((m) => m.sentAt !== null)).toBe(true);
    expect((await call(api, 'GET', `/api/hubs/${hub.participant}/email-outbox?pending=true`)).json()).toEqual([]);
    const list = await portalGet(api, await portalLogin(api, hub, contactId), '/portal');
    expect(list.body).toContain(`Herinnering: Btw-aangifte ${PAST_QUARTER} wacht op uw goedkeuring; uiterlijk ${nl.date(due)}.`);
    const log = (await call(api, 'GET', `/api/hubs/${hub.participant}/log?messageNumber=${number}&level=F`)).json() as { text: string }[];
    expect(log.map((e) => e.text)).toContain(`escalated to the accountant (accountant@firm.test): not approved 1 day(s) before the due date ${due}`);
    void id;
  });

  it('the outbox tries each of a hub\'s mails once per run: a refused address neither burns its attempts nor blocks others', async () => {
    const hub = await createTestHub(api);
    const delivered: string[] = [];
    const outbox = createPortalActivities({
      pool: ctx.pool,
      publicUrl: 'http://localhost:3000',
      mailer: {
        async send(mail) {
          if (mail.to === 'refused@client.test') throw new Error('550 mailbox unavailable');
          delivered.push(mail.to);
        },
      },
    });
    // The refused mail is a contact person's, so a login link is minted for it at send time.
    const refusedContact = await addContactPerson(api, hub, hub.organisationId, 'Refused Address', 'refused@client.test');
    for (const [key, to, age, login] of [['refused', 'refused@client.test', '2 minutes', refusedContact], ['fine', 'fine@client.test', '1 minute', null]]) {
      await ctx.pool.query(
        `INSERT INTO email_outbox (dedupe_key, hub_id, recipient, subject, body, created_at, login_contact_person_id)
         VALUES ($1, $2, $3, 'Subject', 'Body', now() - $4::interval, $5)`,
        [`${hub.hubId}:${key}`, hub.hubId, to, age, login],
      );
    }
    expect(await outbox.flushEmailOutbox({ hubId: hub.hubId })).toEqual({ sent: 1, pending: 1 });
    expect(delivered).toEqual(['fine@client.test']);
    const attempts = async () =>
      (await ctx.pool.query('SELECT attempts, last_error FROM email_outbox WHERE dedupe_key = $1', [`${hub.hubId}:refused`])).rows[0];
    expect(await attempts()).toEqual({ attempts: 1, last_error: '550 mailbox unavailable' });
    expect(await outbox.flushEmailOutbox({ hubId: hub.hubId })).toEqual({ sent: 0, pending: 1 });
    expect((await attempts()).attempts).toBe(2);
    // The links minted for the failed sends went with them.
    const { rows: tokens } = await ctx.pool.query('SELECT count(*)::int AS n FROM portal_tokens WHERE contact_person_id = $1', [refusedContact]);
    expect(tokens[0].n).toBe(0);
  });

  it('an operator can decide for the client from the Web UI (signal); a stale one is logged and ignored', async () => {
    const { hub } = await portalHub();
    const { number, id } = await postAndWait(hub, vatReturnRequest(hub, ENDED_MONTH));
    const handle = ctx.client.workflow.getHandle(filingWorkflowId(hub.participant, number));
    await handle.signal(clientDecisionSignal, { decision: 'approve', contentSha256: 'stale', via: 'operator' });
    const deadline = Date.now() + 10_000;
    let notes: { text: string }[] = [];
    while (Date.now() < deadline) {
      notes = (await call(api, 'GET', `/api/hubs/${hub.participant}/log?messageNumber=${number}&level=F`)).json();
      if (notes.length) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(notes.map((n) => n.text)).toContain('decision ignored: A1: the filing changed since it was shown; the client must review the current content');
    expect((await handle.query(filingStateQuery)).phase).toBe('awaiting-approval');

    const { rows } = await ctx.pool.query('SELECT content_sha256 FROM messages WHERE id = $1', [id]);
    await handle.signal(clientDecisionSignal, { decision: 'approve', contentSha256: rows[0].content_sha256, via: 'portal' });
    await sendReceiveUntil(api, hub, number, (f) => f.lifecycle === 80);
    const { rows: decisions } = await ctx.pool.query('SELECT decision, decided_via, contact_person_id FROM approval_decisions WHERE message_id = $1', [id]);
    // A signal is always recorded as the operator's, whatever it claims.
    expect(decisions).toEqual([{ decision: 'approved', decided_via: 'operator', contact_person_id: null }]);
  });
  it('overdue: a filing past its due date that still waits is marked, and the accountant is told once by mail (outbox, log)', async () => {
    const { hub, cookie } = await portalHub();
    const { number, id } = await postAndWait(hub, vatReturnRequest(hub, PAST_QUARTER));
    const due = `${thisYear - 1}-04-30`;
    // The hub's send/receive queues the accountant's e-mail and sends it, whether or not the client looks.
    const overdueMails = () => smtp.mails.filter((m) => m.to[0] === 'accountant@firm.test' && m.text.includes(`Overdue: message ${number} `) && m.text.includes(`hub ${hub.participant}`));
    expect((await call(api, 'POST', `/api/hubs/${hub.participant}/send-receive`)).statusCode).toBeLessThan(300);
    const until = Date.now() + 20_000;
    while (overdueMails().length < 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    expect(overdueMails()).toHaveLength(1);
    const list = await portalGet(api, cookie, '/portal');
    expect(list.body).toMatch(new RegExp(`<tr data-filing="${id}" class="overdue" data-overdue="true">`));
    expect(list.body).toContain('<strong class="overdue-mark">Te laat</strong>');
    const page = await portalGet(api, cookie, `/portal/filings/${id}`);
    expect(page.body).toContain(`De uiterste datum (${nl.date(due)}) is voorbij en deze aangifte wacht nog op uw goedkeuring. Uw accountant is op de hoogte gebracht.`);
    // Seen twice (list and page) and once more: one e-mail to the hub's accountant, one log line.
    await portalGet(api, cookie, '/portal');
    const { rows: mails } = await ctx.pool.query('SELECT recipient, subject FROM email_outbox WHERE dedupe_key = $1', [`${id}:overdue`]);
    expect(mails).toEqual([{ recipient: 'accountant@firm.test', subject: `Overdue: message ${number} (VAT return ${PAST_QUARTER}) not approved, due ${due}` }]);
    const log = (await call(api, 'GET', `/api/hubs/${hub.participant}/log?messageNumber=${number}&level=F`)).json() as { text: string }[];
    expect(log.map((e) => e.text).filter((t) => t.startsWith('overdue:'))).toEqual([
      `overdue: not approved by the client by the due date ${due}; e-mail to the accountant (accountant@firm.test) queued`,
    ]);
    // The one mail, sent (viewing the list and the page queued nothing more).
    const outbox = (await call(api, 'GET', `/api/hubs/${hub.participant}/email-outbox`)).json() as { recipient: string; subject: string; sentAt: string | null }[];
    expect(outbox.filter((m) => m.subject.startsWith('Overdue:'))).toEqual([expect.objectContaining({ recipient: 'accountant@firm.test', sentAt: expect.any(String) })]);
    expect(overdueMails()).toHaveLength(1);
    // Not overdue once decided: the mark goes with the decision.
    expect((await decideInPortal(api, cookie, id, 'reject', { reason: 'Too late, we file ourselves' })).statusCode).toBe(303);
    await waitForLifecycle(api, hub, number, [40]);
    const decided = await portalGet(api, cookie, '/portal');
    expect(decided.body).not.toContain('data-overdue');
    expect(decided.body).not.toContain('wacht op uw goedkeuring');
  });

  it('the portal speaks Dutch by default and English on request, never both; the language link stays inside the portal', async () => {
    const { hub, cookie } = await portalHub();
    const { id } = await postAndWait(hub, vatReturnRequest(hub, ENDED_MONTH));
    const chosen = await portalGet(api, cookie, `/portal/language/en?next=${encodeURIComponent(`/portal/filings/${id}`)}`);
    expect(chosen.statusCode).toBe(303);
    expect(chosen.headers.location).toBe(`/portal/filings/${id}`);
    expect(String(chosen.headers['set-cookie'])).toMatch(/^fh_portal_lang=en; Path=\/portal; .*SameSite=Strict/);
    const english = `${cookie}; fh_portal_lang=en`;
    const list = await portalGet(api, english, '/portal');
    expect(list.body).toContain('<html lang="en">');
    expect(list.body).toContain(`VAT return ${ENDED_MONTH} is ready for your review (due ${wordsFor('en').date(ENDED_MONTH_DUE)}).`);
    const page = await portalGet(api, english, `/portal/filings/${id}`);
    expect(page.body).toContain('Supplies/services taxed at the standard rate (21 %)');
    expect(page.body).toContain('By approving, you instruct');
    for (const dutch of ['Uiterlijk', 'Goedkeuren', 'Afkeuren', 'Leveringen/diensten', 'Uitloggen']) expect(page.body).not.toContain(dutch);
    const dutchPage = await portalGet(api, cookie, `/portal/filings/${id}`);
    for (const english of ['Approve', 'Reject', 'Due:', 'Log out', 'Supplies/services']) expect(dutchPage.body).not.toContain(english);
    // Never out of the portal.
    const away = await portalGet(api, cookie, '/portal/language/nl?next=https://evil.test/');
    expect(away.headers.location).toBe('/portal');
    expect((await portalGet(api, cookie, '/portal/language/nl?next=//evil.test/portal')).headers.location).toBe('/portal');
  });

  it('a KvK deposit shows the annual accounts\' figures read from the instance: balance sheet and profit and loss', async () => {
    const { hub, cookie } = await portalHub();
    const year = thisYear - 1;
    const request = kvkRequest(hub, year);
    const { signedBy: _signed, adoptionDate, ...document } = request.document;
    const kvk = hub.kvkNumber;
    const instance = buildKvkAnnualReportInstance({ ...document, kvkNumber: kvk, adopted: true, adoptionDate } as Parameters<typeof buildKvkAnnualReportInstance>[0], { filingDate: now.toISOString().slice(0, 10) })
      .replace(
        /(<\/xbrli:context>)/,
        `$1\n  <xbrli:context id="FY_end"><xbrli:entity><xbrli:identifier scheme="http://www.kvk.nl/kvk-id">${kvk}</xbrli:identifier></xbrli:entity><xbrli:period><xbrli:instant>${year}-12-31</xbrli:instant></xbrli:period></xbrli:context>`,
      )
      .replace(
        '</xbrli:xbrl>',
        '  <jenv-bw2-i:Equity contextRef="FY_end" unitRef="EUR" decimals="0">12345</jenv-bw2-i:Equity>\n' +
          '  <jenv-bw2-i:NetResult contextRef="FY_current" unitRef="EUR" decimals="0">2345</jenv-bw2-i:NetResult>\n</xbrli:xbrl>',
      );
    const { id } = await postAndWait(hub, { ...request, instance });
    const page = await portalGet(api, cookie, `/portal/filings/${id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h3>Balans</h3>');
    expect(page.body).toMatch(/<tr data-concept="Equity"><th scope="row"><code>Equity<\/code><\/th><td class="num">€ 12\.345<\/td>/);
    expect(page.body).toContain('<h3>Winst-en-verliesrekening</h3>');
    expect(page.body).toMatch(/<tr data-concept="NetResult"><th scope="row"><code>NetResult<\/code><\/th><td class="num">€ 2\.345<\/td>/);
    // The particulars stay beside the figures.
    expect(page.body).toContain('<th scope="row">Datum vaststelling</th>');
  });
});
