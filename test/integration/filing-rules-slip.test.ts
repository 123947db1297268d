import { parsePeriod } from '../../domain/periods';
import { roundVatReturn } from '../../domain/vat';
import { buildKvkAnnualReportInstance } from '../../integrations/xbrl/kvk';
import { buildVatReturnInstance } from '../../integrations/xbrl/vat-return';
import { filingWorkflowId } from '../../workflows/filing';
import { buildTestApp } from '../helpers/api';
import {
  call,
  callbackReceiver,
  createTestHub,
  messageCount,
  postViaConnector,
  sendReceiveUntil,
  vatReturnRequest,
  type Api,
  type TestHub,
} from '../helpers/hub';
import { addContactPerson, decideInPortal, enablePortal, kvkRequest, portalGet, portalLogin, waitForLifecycle } from '../helpers/portal';
import { startTestContext, type TestContext } from '../helpers/temporal';
import { simulatorAdmin, wusClientFor } from '../helpers/wus';

const thisYear = new Date().getUTCFullYear();
const today = new Date().toISOString().slice(0, 10);

/** Someone deposits the company's annual accounts of `year` at KvK outside the hub (the client itself, say). */
async function depositOutsideTheHub(kvkNumber: string, year: number): Promise<string> {
  const instance = buildKvkAnnualReportInstance(
    {
      kvkNumber,
      legalEntityName: 'Zelf Gedeponeerd B.V.',
      legalForm: 'Besloten vennootschap',
      registeredOffice: 'Utrecht',
      financialYear: { start: `${year}-01-01`, end: `${year}-12-31` },
      sizeClass: 'micro',
      adopted: true,
      adoptionDate: `${year + 1}-05-20`,
    },
    { filingDate: today },
  );
  const outsider = wusClientFor('holding');
  try {
    const { result } = await outsider.aanleveren({
      berichtsoort: 'jaarverantwoording_kvk',
      aanleverkenmerk: `outside-${kvkNumber}-${year}`,
      identiteitBelanghebbende: { nummer: kvkNumber, type: 'KvK' },
      rolBelanghebbende: 'Bedrijf',
      berichtInhoud: { mimeType: 'application/xml', bestandsnaam: 'jaarstukken.xbrl', inhoud: Buffer.from(instance, 'utf8') },
    });
    return result.kenmerk;
  } finally {
    outsider.close();
  }
}

/**
 * Filing rules that could be bypassed without anyone being told (issue 11, item 4), on real parts: the API, Temporal,
 * PostgreSQL and the simulated Digipoort. Every refusal names its rule and leaves stored data as it was.
 */
describe('filing rules that slip', () => {
  let ctx: TestContext;
  let api: Api;
  beforeAll(async () => {
    ctx = await startTestContext('slip');
    api = await buildTestApp(ctx);
  });
  afterAll(async () => {
    await api?.app.close();
    await ctx?.close();
  });

  /** Messages and log lines of a hub: a refusal leaves both as they were. */
  async function stored(hub: TestHub): Promise<{ messages: number; log: number }> {
    const { rows } = await ctx.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM communication_log WHERE hub_id = $1', [hub.hubId]);
    return { messages: await messageCount(ctx.pool, hub.hubId), log: rows[0].n };
  }

  describe('VAT plausibility before anything is stored (OB1–OB3)', () => {
    const now = new Date();
    const CURRENT_QUARTER = `${now.getUTCFullYear()}-Q${Math.floor(now.getUTCMonth() / 3) + 1}`;

    it('refuses a rate box whose VAT does not agree with its turnover, a negative amount and an open period, naming rule and box', async () => {
      const hub = await createTestHub(api);
      const before = await stored(hub);
      const refusal = async (body: unknown) => {
        const res = await postViaConnector(api, hub, body);
        return { status: res.statusCode, ...(res.json() as { rule?: string; field?: string; message: string }) };
      };

      // 100 turnover at 21 % with 50 VAT: 21 expected; the form's whole-euro rounding allows one euro, not 29.
      expect(await refusal(vatReturnRequest(hub, '2026-Q1', { figures: { turnover: { '1a': '100' }, vat: { '1a': '50' } } }))).toMatchObject({
        status: 422,
        rule: 'OB1',
        field: 'vat.1a',
        message: expect.stringMatching(/^OB1: box 1a: the VAT 50 does not agree with 21 % of the turnover 100/),
      });
      expect(await refusal(vatReturnRequest(hub, '2026-Q1', { figures: { turnover: { '1b': '1000' }, vat: { '1b': '210' } } }))).toMatchObject({
        status: 422,
        rule: 'OB1',
        field: 'vat.1b',
      });
      // Negative turnover (and its negative VAT): both boxes named.
      const negative = await refusal(vatReturnRequest(hub, '2026-Q1', { figures: { turnover: { '1a': '-1000' }, vat: { '1a': '-210' } } }));
      expect(negative).toMatchObject({ status: 422, rule: 'OB2', field: 'turnover.1a' });
      expect(negative.message).toContain('box 1a: the turnover is -1000; it cannot be negative');
      expect(negative.message).toContain('OB2: box 1a: the VAT is -210');
      expect(await refusal(vatReturnRequest(hub, '2026-Q1', { figures: { turnover: { '1a': '1000' }, vat: { '1a': '210' }, inputTax: '-20' } }))).toMatchObject({
        status: 422,
        rule: 'OB2',
        field: '5b',
      });
      // A quarter that has not ended.
      expect(await refusal(vatReturnRequest(hub, CURRENT_QUARTER))).toMatchObject({
        status: 422,
        rule: 'OB3',
        field: 'period',
        message: expect.stringMatching(/^OB3: the period ends on \d{4}-\d{2}-\d{2}: a return can be prepared from the day after/),
      });
      // A ready instance is held to the same rules as figures.
      const instance = buildVatReturnInstance({
        obNumber: hub.obNumber,
        period: parsePeriod('2026-Q1'),
        amounts: roundVatReturn({ turnover: { '1a': 10_000 }, vat: { '1a': 5_000 } }),
        header: {
          contactType: 'BPL', contactInitials: 'J', contactSurname: 'Jansen', contactTelephoneNumber: '0201234567', messageReference: 'OB-READY-1',
          softwarePackageName: 'Elsewhere', softwarePackageVersion: '1', softwareVendorAccountNumber: 'SWO12345', dateTimeCreation: '202604011200',
        },
      });
      expect(await refusal({ ...vatReturnRequest(hub), figures: undefined, instance })).toMatchObject({ status: 422, rule: 'OB1', field: 'vat.1a' });
      // A supplement carries the complete corrected return: the same rules.
      expect(
        await refusal({
          ...vatReturnRequest(hub, '2025'),
          kind: 'vat-supplement',
          figures: { turnover: { '1a': '1250' }, vat: { '1a': '26.25' } },
          alreadyDeclared: '210',
        }),
      ).toMatchObject({ status: 422, rule: 'OB1', field: 'vat.1a' });
      expect(await stored(hub)).toEqual(before);

      // What agrees within the rounding is prepared: 1 250 × 21 % = 262.50, declared as 262.
      const fine = await postViaConnector(api, hub, vatReturnRequest(hub, '2026-Q1', { figures: { turnover: { '1a': '1250' }, vat: { '1a': '262' } } }));
      expect(fine.statusCode).toBe(202);
      expect((await stored(hub)).messages).toBe(before.messages + 1);
      // Staff preparing on behalf of the administration meet the same rule.
      const staff = await call(api, 'POST', `/api/hubs/${hub.participant}/filings`, {
        ...vatReturnRequest(hub, '2026-Q2', { figures: { turnover: { '1a': '100' }, vat: { '1a': '50' } } }),
        administrationId: hub.administrationId,
      });
      expect(staff.statusCode).toBe(422);
      expect(staff.json()).toMatchObject({ rule: 'OB1', field: 'vat.1a' });
    });
  });

  /** A hub with the portal on for the given kinds, one contact person logged in, and the administration's callback. */
  async function portalHub(kinds: ('vat-return' | 'kvk-annual-report')[], callbackUrl?: string) {
    const hub = await createTestHub(api, callbackUrl ? { callbackUrl } : {});
    await enablePortal(api, hub, kinds);
    const contactId = await addContactPerson(api, hub, hub.organisationId, 'Karin Klant', `karin.${hub.participant}@client.test`);
    return { hub, cookie: await portalLogin(api, hub, contactId) };
  }

  /** Posts a filing and waits until it is offered to the client (30). */
  async function offered(hub: TestHub, body: unknown): Promise<{ number: number; id: string }> {
    const posted = await postViaConnector(api, hub, body);
    if (posted.statusCode !== 202) throw new Error(`post: ${posted.statusCode} ${posted.body}`);
    const filing = await waitForLifecycle(api, hub, posted.json().number, [30]);
    return { number: filing.number, id: filing.id };
  }

  /** The client adopts and approves an annual report in the portal; send/receive runs until it is final. */
  async function adoptAndApprove(hub: TestHub, cookie: string, filing: { number: number; id: string }) {
    expect((await decideInPortal(api, cookie, filing.id, 'adopt')).statusCode).toBe(303);
    expect((await decideInPortal(api, cookie, filing.id, 'approve')).statusCode).toBe(303);
    return sendReceiveUntil(api, hub, filing.number, (f) => f.lifecycle === 80 || f.lifecycle === 90, 60_000);
  }

  const connectorView = async (hub: TestHub, number: number) =>
    (await api.app.inject({ method: 'GET', url: `/connector/${hub.participant}/messages/${number}`, headers: { authorization: `Bearer ${hub.connectorToken}` } })).json();

  describe('K4: a year this hub deposited is not deposited again', () => {
    it('refuses a second deposit of a year at 80 at preparation, naming K4, nothing stored; a declared resubmission goes through', async () => {
      const { hub, cookie } = await portalHub(['kvk-annual-report']);
      const year = thisYear - 1;
      const first = await offered(hub, kvkRequest(hub, year));
      expect(await adoptAndApprove(hub, cookie, first)).toMatchObject({ lifecycle: 80, digipoortStatus: '500' });

      const before = await stored(hub);
      const again = await postViaConnector(api, hub, kvkRequest(hub, year));
      expect(again.statusCode).toBe(409);
      expect(again.json()).toMatchObject({ rule: 'K4', field: 'document.resubmission' });
      expect(again.json().message).toContain(`K4: the KvK annual report ${year} was already deposited at KvK through this hub (message ${first.number}, version 1, status 80 on ${today}`);
      const byStaff = await call(api, 'POST', `/api/hubs/${hub.participant}/filings`, { ...kvkRequest(hub, year), administrationId: hub.administrationId });
      expect(byStaff.statusCode).toBe(409);
      expect(byStaff.json().rule).toBe('K4');
      // A ready instance and its document must agree on whether it is a resubmission (here: another year).
      const ready = buildKvkAnnualReportInstance(
        { kvkNumber: hub.kvkNumber, legalEntityName: `Klant ${hub.kvkNumber} B.V.`, legalForm: 'Besloten vennootschap', registeredOffice: 'Utrecht',
          financialYear: { start: `${year - 1}-01-01`, end: `${year - 1}-12-31` }, sizeClass: 'micro', adopted: true, adoptionDate: `${year}-05-20`, resubmission: true },
        { filingDate: today },
      );
      const disagreeing = await postViaConnector(api, hub, { ...kvkRequest(hub, year - 1), instance: ready });
      expect(disagreeing.statusCode).toBe(422);
      expect(disagreeing.json()).toMatchObject({ rule: 'K4', field: 'document.resubmission' });
      expect(await stored(hub)).toEqual(before);

      // Declared as a resubmission (insurmountable inaccuracies in the first): prepared, reviewed, and KvK takes it.
      const resubmission = await offered(hub, kvkRequest(hub, year, { resubmission: true }));
      expect((await decideInPortal(api, cookie, resubmission.id, 'adopt')).statusCode).toBe(303);
      const { rows } = await ctx.pool.query<{ content_xml: string; version: number }>('SELECT content_xml, version FROM messages WHERE id = $1', [resubmission.id]);
      expect(rows[0].version).toBe(2);
      expect(rows[0].content_xml).toMatch(/<kvk-i:DocumentResubmissionDueToUnsurmountableInaccuracies contextRef="[^"]+">Ja<\/kvk-i:DocumentResubmissionDueToUnsurmountableInaccuracies>/);
      expect((await decideInPortal(api, cookie, resubmission.id, 'approve')).statusCode).toBe(303);
      expect(await sendReceiveUntil(api, hub, resubmission.number, (f) => f.lifecycle === 80 || f.lifecycle === 90, 60_000)).toMatchObject({ lifecycle: 80 });
    });
  });

  describe('H3: the administration is told why a filing ended where it did', () => {
    it("the view and the callback carry the client's rejection reason (40)", async () => {
      const callbacks = await callbackReceiver();
      try {
        const { hub, cookie } = await portalHub(['vat-return'], callbacks.url);
        const filing = await offered(hub, vatReturnRequest(hub, '2026-Q1'));
        const reason = 'Box 1b is wrong: the turnover at the reduced rate is 900';
        expect((await decideInPortal(api, cookie, filing.id, 'reject', { reason })).statusCode).toBe(303);
        await waitForLifecycle(api, hub, filing.number, [40]);
        expect(await connectorView(hub, filing.number)).toMatchObject({ lifecycle: 40, clientRejectionReason: reason, authorityRefusalReason: null });
        for (let i = 0; i < 100 && !callbacks.received.some((c) => c.body.lifecycle === 40); i++) await new Promise((r) => setTimeout(r, 100));
        expect(callbacks.received.find((c) => c.body.lifecycle === 40)?.body).toMatchObject({ number: filing.number, clientRejectionReason: reason, authorityRefusalReason: null });
      } finally {
        await callbacks.close();
      }
    });

    it("the view and the callback carry KvK's refusal message (90), the log and the portal name it", async () => {
      const callbacks = await callbackReceiver();
      try {
        const { hub, cookie } = await portalHub(['kvk-annual-report'], callbacks.url);
        const year = thisYear - 2;
        // The client deposited the year itself, outside the hub: KvK refuses the hub's deposit of it.
        await depositOutsideTheHub(hub.kvkNumber, year);
        const filing = await offered(hub, kvkRequest(hub, year));
        expect(await adoptAndApprove(hub, cookie, filing)).toMatchObject({ lifecycle: 90, digipoortStatus: '510' });
        const refusal = `Het boekjaar ${year} is al gedeponeerd.`;
        expect(await connectorView(hub, filing.number)).toMatchObject({ lifecycle: 90, lifecycleLabel: 'Rejected by KvK', authorityRefusalReason: refusal, clientRejectionReason: null });
        const state = await ctx.client.workflow.getHandle(filingWorkflowId(hub.participant, filing.number)).result();
        expect(state).toMatchObject({ phase: 'done', lifecycle: 90 });
        for (let i = 0; i < 100 && !callbacks.received.some((c) => c.body.lifecycle === 90); i++) await new Promise((r) => setTimeout(r, 100));
        expect(callbacks.received.find((c) => c.body.lifecycle === 90)?.body).toMatchObject({ number: filing.number, authorityRefusalReason: refusal, clientRejectionReason: null });
        expect(callbacks.received.find((c) => c.body.lifecycle === 60)?.body).toMatchObject({ authorityRefusalReason: null });
        const log = (await call(api, 'GET', `/api/hubs/${hub.participant}/log?messageNumber=${filing.number}&level=F`)).json() as { text: string }[];
        expect(log.map((e) => e.text)).toContain(`lifecycle 60 → 90 (Digipoort 510): rejected by KvK (${refusal}); final, a new filing must be created and submitted`);
        const page = await portalGet(api, cookie, `/portal/filings/${filing.id}`);
        expect(page.body).toContain(`KvK rejected KvK annual report ${year}: ${refusal}. A new filing is needed`);
        expect(page.body).toContain('data-lifecycle="90"');
        void simulatorAdmin;
      } finally {
        await callbacks.close();
      }
    });
  });
});
