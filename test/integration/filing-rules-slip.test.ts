import { parsePeriod } from '../../domain/periods';
import { roundVatReturn } from '../../domain/vat';
import { buildKvkAnnualReportInstance } from '../../integrations/xbrl/kvk';
import { buildVatReturnInstance } from '../../integrations/xbrl/vat-return';
import { filingWorkflowId } from '../../workflows/filing';
import { createStaffToken } from '../../api/plugins/auth';
import { buildTestApp } from '../helpers/api';
import {
  call,
  callbackReceiver,
  createTestHub,
  messageCount,
  postViaConnector,
  sendReceiveOnce,
  sendReceiveRunResult,
  sendReceiveUntil,
  vatReturnRequest,
  type Api,
  type TestHub,
} from '../helpers/hub';
import { addContactPerson, decideInPortal, enablePortal, kvkRequest, portalGet, portalLogin, waitForLifecycle } from '../helpers/portal';
import { startTestContext, type TestContext } from '../helpers/temporal';
import { fileOutsideTheHub, simulatorAdmin, wusClientFor } from '../helpers/wus';

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
      // The first deposit's workflow logs its last steps a moment after 80 is stored, and the last send/receive run
      // asked for above logs its summary when it ends (CI saw one more log line of each).
      await ctx.client.workflow.getHandle(filingWorkflowId(hub.participant, first.number)).result();
      await sendReceiveOnce(api, ctx.client, hub);

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
      } finally {
        await callbacks.close();
      }
    });
  });

  describe('H15: cleanup says what it deletes and why, and its records can be read back', () => {
    it('a fiscal-override dry run names exactly what it would delete; a filing accepted minutes ago is never in it; the real run agrees', async () => {
      const hub = await createTestHub(api);
      const numbers: number[] = [];
      for (const period of ['2026-01', '2026-02', '2026-03']) {
        const posted = await postViaConnector(api, hub, vatReturnRequest(hub, period));
        expect(posted.statusCode).toBe(202);
        numbers.push(posted.json().number);
        await sendReceiveUntil(api, hub, posted.json().number, (f) => f.lifecycle === 80);
      }
      for (let i = 0; i < 60; i++) {
        const { rows } = await ctx.pool.query('SELECT count(*)::int AS n FROM messages WHERE hub_id = $1 AND workflow_closed_at IS NOT NULL', [hub.hubId]);
        if (rows[0].n === 3) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const [acceptedMinutesAgo, rejectedLongAgo, acceptedLongAgo] = numbers;
      // Made 40 days ago but accepted only now: not 30 days in its status.
      await ctx.pool.query(`UPDATE messages SET created_at = now() - interval '40 days' WHERE hub_id = $1 AND number = $2`, [hub.hubId, acceptedMinutesAgo]);
      // Rejected (90) 40 days ago: only the fiscal override cleans it. Accepted 40 days ago: any cleanup may.
      await ctx.pool.query(
        `UPDATE messages SET lifecycle = 90, created_at = now() - interval '41 days', last_status_change_at = now() - interval '40 days' WHERE hub_id = $1 AND number = $2`,
        [hub.hubId, rejectedLongAgo],
      );
      await ctx.pool.query(
        `UPDATE messages SET created_at = now() - interval '41 days', last_status_change_at = now() - interval '40 days' WHERE hub_id = $1 AND number = $2`,
        [hub.hubId, acceptedLongAgo],
      );
      const { rows: ids } = await ctx.pool.query<{ id: string; number: string }>('SELECT id, number FROM messages WHERE hub_id = $1', [hub.hubId]);
      const idOf = (n: number) => ids.find((r) => Number(r.number) === n)!.id;
      const url = `/api/hubs/${hub.participant}/cleanup`;

      const dry = (await call(api, 'POST', url, { dryRun: true, fiscalOverride: true })).json();
      expect(dry).toMatchObject({ dryRun: true, messageCount: 2, messageNumbers: [rejectedLongAgo, acceptedLongAgo] });
      const fortyDaysAgo = Date.now() - 40 * 86_400_000;
      expect(dry.messages).toEqual([
        {
          id: idOf(rejectedLongAgo), number: rejectedLongAgo, kind: 'vat-return', period: '2026-02', direction: 'outgoing', lifecycle: 90,
          lifecycleLabel: 'Rejected by the tax authority', finalisedAt: expect.any(String), attachments: expect.any(Number),
          reason: 'in status 90 (Rejected by the tax authority) for 40 days (at least 30): outside the statuses a cleanup may remove (60, 70, 80), cleaned as a fiscal message (fiscal override)',
        },
        {
          id: idOf(acceptedLongAgo), number: acceptedLongAgo, kind: 'vat-return', period: '2026-03', direction: 'outgoing', lifecycle: 80,
          lifecycleLabel: 'Accepted by the tax authority', finalisedAt: expect.any(String), attachments: expect.any(Number),
          reason: 'in status 80 (Accepted by the tax authority) for 40 days (at least 30): a status cleanup may remove (60, 70, 80)',
        },
      ]);
      for (const m of dry.messages as { finalisedAt: string }[]) expect(Math.abs(Date.parse(m.finalisedAt) - fortyDaysAgo)).toBeLessThan(3_600_000);
      const logText = async () => ((await call(api, 'GET', `/api/hubs/${hub.participant}/log?limit=5`)).json() as { text: string; procedureStep?: string }[]).map((e) => e.text);
      const dryLog = (await logText()).find((t) => t.startsWith('dry run:'))!;
      expect(dryLog).toMatch(
        new RegExp(`^dry run: would clean 2 messages and \\d+ attachments in their status for at least 30 days, fiscal messages in any status \\(fiscal override\\), others in status 60, 70, 80, by test \\(record ${dry.recordId}\\): ${rejectedLongAgo}, ${acceptedLongAgo}$`),
      );
      expect((await call(api, 'GET', `/api/hubs/${hub.participant}/filings/${acceptedMinutesAgo}`)).statusCode).toBe(200);

      // The real run deletes exactly what the dry run named.
      const real = (await call(api, 'POST', url, { dryRun: false, fiscalOverride: true })).json();
      expect(real).toMatchObject({ dryRun: false, messageNumbers: dry.messageNumbers });
      expect(real.messages.map((m: { id: string; reason: string }) => [m.id, m.reason])).toEqual(dry.messages.map((m: { id: string; reason: string }) => [m.id, m.reason]));
      expect((await call(api, 'GET', `/api/hubs/${hub.participant}/filings/${rejectedLongAgo}`)).statusCode).toBe(404);
      expect((await call(api, 'GET', `/api/hubs/${hub.participant}/filings/${acceptedLongAgo}`)).statusCode).toBe(404);
      expect((await call(api, 'GET', `/api/hubs/${hub.participant}/filings/${acceptedMinutesAgo}`)).statusCode).toBe(200);
      expect((await logText()).find((t) => t.startsWith('cleaned'))).toMatch(new RegExp(`^cleaned 2 messages .* in their status for at least 30 days, .*: ${rejectedLongAgo}, ${acceptedLongAgo}$`));

      // The records, newest first, with who, when, how many, which and why; only through the hub's own scope.
      const records = (await call(api, 'GET', `/api/hubs/${hub.participant}/cleanup-records`)).json();
      expect(records.map((r: { id: string; dryRun: boolean }) => [r.id, r.dryRun])).toEqual([[real.recordId, false], [dry.recordId, true]]);
      expect(records[1]).toMatchObject({ requestedBy: 'test', fiscalOverride: true, olderThanDays: 30, messageCount: 2, messageNumbers: dry.messageNumbers, messages: dry.messages });
      const one = await call(api, 'GET', `/api/hubs/${hub.participant}/cleanup-records/${real.recordId}`);
      expect(one.statusCode).toBe(200);
      expect(one.json()).toMatchObject({ id: real.recordId, dryRun: false, messages: real.messages, createdAt: expect.any(String) });
      const other = await createTestHub(api);
      expect((await call(api, 'GET', `/api/hubs/${other.participant}/cleanup-records/${real.recordId}`)).statusCode).toBe(404);
      expect((await call(api, 'GET', `/api/hubs/${other.participant}/cleanup-records`)).json()).toEqual([]);
      const { token: otherStaff } = await createStaffToken(ctx.pool, 'other firm', other.hubId);
      const foreign = await api.app.inject({ method: 'GET', url: `/api/hubs/${hub.participant}/cleanup-records`, headers: { authorization: `Bearer ${otherStaff}` } });
      expect(foreign.statusCode).toBe(404);
    });
  });

  describe('H14: outgoing attachments', () => {
    const pdf = Buffer.from('%PDF-1.4\n% accountantsverklaring\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n', 'latin1');
    const attachment = { filename: 'accountantsverklaring.pdf', mimeType: 'application/pdf', content: pdf.toString('base64') };
    type Attachment = { id: string; direction: string; filename: string; mimeType: string; size: number; sentAt: string | null };
    const detail = async (hub: TestHub, number: number) => (await call(api, 'GET', `/api/hubs/${hub.participant}/filings/${number}`)).json();

    it('are stored with the filing, listed in its views, downloadable, and go to KvK as berichtBijlagen', async () => {
      const { hub, cookie } = await portalHub(['kvk-annual-report']);
      const filing = await offered(hub, { ...kvkRequest(hub, thisYear - 1), attachments: [attachment] });
      const before = (await detail(hub, filing.number)).attachments as Attachment[];
      expect(before).toEqual([{ id: expect.any(String), direction: 'outgoing', filename: 'accountantsverklaring.pdf', mimeType: 'application/pdf', size: pdf.length, createdAt: expect.any(String), sentAt: null }]);
      const download = await call(api, 'GET', `/api/hubs/${hub.participant}/filings/${filing.number}/attachments/${before[0].id}`);
      expect(download.statusCode).toBe(200);
      expect(download.headers['content-type']).toBe('application/pdf');
      expect(download.rawPayload.equals(pdf)).toBe(true);
      // The stored input keeps the names only; the file itself is in the attachment.
      const { rows } = await ctx.pool.query<{ input: { attachments: unknown[] } }>('SELECT input FROM messages WHERE id = $1', [filing.id]);
      expect(rows[0].input.attachments).toEqual([{ filename: 'accountantsverklaring.pdf', mimeType: 'application/pdf' }]);

      expect(await adoptAndApprove(hub, cookie, filing)).toMatchObject({ lifecycle: 80 });
      const after = await detail(hub, filing.number);
      const sent = (after.attachments as Attachment[]).find((a) => a.direction === 'outgoing')!;
      expect(sent.sentAt).not.toBeNull();
      const process = await simulatorAdmin.get<{ attachmentCount: number; berichtsoort: string }>(`/admin/processes/${after.kenmerk}`);
      expect(process).toMatchObject({ berichtsoort: 'jaarverantwoording_kvk', attachmentCount: 1 });
      const log = (await call(api, 'GET', `/api/hubs/${hub.participant}/log?messageNumber=${filing.number}`)).json() as { text: string }[];
      expect(log.map((e) => e.text)).toContain(`attempt ${after.aanleverkenmerk} sent to Digipoort with 1 attachment (berichtBijlagen): kenmerk ${after.kenmerk}, received by Digipoort at ${after.submittedAt}`);
      expect(log.some((e) => e.text.includes('1 attachment kept with it (H14), sent with it as berichtBijlagen'))).toBe(true);
      expect((await connectorView(hub, filing.number)).attachments).toEqual([{ filename: 'accountantsverklaring.pdf', mimeType: 'application/pdf', size: pdf.length, sentAt: sent.sentAt }]);
    });

    it('stay in the hub where the receiving process takes none (VAT); bad ones are refused naming H14, nothing stored', async () => {
      const hub = await createTestHub(api);
      const before = await stored(hub);
      const bad = async (a: Record<string, unknown>, field: string) => {
        const res = await postViaConnector(api, hub, { ...vatReturnRequest(hub), attachments: [{ ...attachment, ...a }] });
        expect({ status: res.statusCode, ...res.json() }).toMatchObject({ status: 422, rule: 'H14', field });
      };
      await bad({ filename: '../../etc/passwd' }, 'attachments[0].filename');
      await bad({ mimeType: 'pdf' }, 'attachments[0].mimeType');
      await bad({ content: 'not base64!' }, 'attachments[0].content');
      await bad({ content: '' }, 'attachments[0].content');
      expect(await stored(hub)).toEqual(before);

      const posted = await postViaConnector(api, hub, { ...vatReturnRequest(hub), attachments: [attachment] });
      expect(posted.statusCode).toBe(202);
      const final = await sendReceiveUntil(api, hub, posted.json().number, (f) => f.lifecycle === 80);
      const kept = (final as unknown as { attachments: Attachment[] }).attachments.filter((a) => a.direction === 'outgoing');
      expect(kept).toEqual([expect.objectContaining({ filename: 'accountantsverklaring.pdf', size: pdf.length, sentAt: null })]);
      const filing = await detail(hub, posted.json().number);
      expect(await simulatorAdmin.get<{ attachmentCount: number }>(`/admin/processes/${filing.kenmerk}`)).toMatchObject({ attachmentCount: 0 });
      const log = (await call(api, 'GET', `/api/hubs/${hub.participant}/log?messageNumber=${posted.json().number}`)).json() as { text: string }[];
      expect(log.some((e) => e.text.includes('1 attachment kept with it (H14), not sent: the receiving process takes none with this message type'))).toBe(true);
    });
  });

  describe('H6 and H9 across send/receive runs (the simulator reports statuses as planned)', () => {
    type Planned = { code: string; step: number; foutcode?: string; foutbeschrijving?: string; details?: string };
    const setPlan = (aanleverkenmerk: string, plan: Planned[]) => simulatorAdmin.send('PUT', `/admin/plans/${encodeURIComponent(aanleverkenmerk)}`, plan);
    /** Runs send/receive once and waits for the run to end. */
    async function oneRun(hub: TestHub): Promise<void> {
      const started = await call(api, 'POST', `/api/hubs/${hub.participant}/send-receive`);
      expect(started.statusCode).toBe(202);
      await sendReceiveRunResult(ctx.client, started.json());
    }
    const filingOf = async (hub: TestHub, number: number) =>
      (await call(api, 'GET', `/api/hubs/${hub.participant}/filings/${number}`)).json() as { lifecycle: number; digipoortStatus: string | null; kenmerk: string | null; statuses: { statuscode: string; tijdstempelStatus: string }[] };
    async function submitted(hub: TestHub, number: number) {
      for (let i = 0; i < 100; i++) {
        const f = await filingOf(hub, number);
        if (f.kenmerk) return f;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`filing ${number} was not submitted`);
    }

    it('H6: statuses that arrive out of order over several runs never set the lifecycle back; the final status wins', async () => {
      const hub = await createTestHub(api);
      // The hub's first message goes out as FH<participant>-1-v1-a1: its process reports what is planned for it.
      const aanleverkenmerk = `FH${hub.participant}-1-v1-a1`;
      const start: Planned[] = [{ code: '105', step: 0 }, { code: '100', step: 1 }, { code: '110', step: 2 }, { code: '200', step: 3 }];
      await setPlan(aanleverkenmerk, [...start, { code: '400', step: 6 }]);
      const posted = await postViaConnector(api, hub, vatReturnRequest(hub, '2026-Q1'));
      expect(posted.json().number).toBe(1);
      await submitted(hub, 1);
      await new Promise((r) => setTimeout(r, 500));
      await oneRun(hub);
      expect(await filingOf(hub, 1)).toMatchObject({ lifecycle: 60, digipoortStatus: '400' });

      // Run 2: lower codes arrive late, timestamped before the 400 (301, 405) and after it (301 again).
      await setPlan(aanleverkenmerk, [...start, { code: '301', step: 4 }, { code: '405', step: 5 }, { code: '400', step: 6 }, { code: '301', step: 7 }]);
      await oneRun(hub);
      const second = await filingOf(hub, 1);
      expect(second).toMatchObject({ lifecycle: 60, digipoortStatus: '400' });
      expect(second.statuses.map((s) => s.statuscode)).toEqual(['105', '100', '110', '200', '301', '405', '400', '301']);

      // Run 3: the final 500 arrives together with a lower status timestamped after it: the final one wins.
      const ack = '<Responsemessage version="2006.1"><Specification><Class>A</Class><Code>0001</Code><Description>Status: Verwerkbaar</Description></Specification></Responsemessage>';
      const withFinal: Planned[] = [...start, { code: '301', step: 4 }, { code: '405', step: 5 }, { code: '400', step: 6 }, { code: '301', step: 7 }, { code: '500', step: 8, details: ack }, { code: '405', step: 9 }];
      await setPlan(aanleverkenmerk, withFinal);
      await oneRun(hub);
      expect(await filingOf(hub, 1)).toMatchObject({ lifecycle: 80, digipoortStatus: '500' });
      const state = await ctx.client.workflow.getHandle(filingWorkflowId(hub.participant, 1)).result();
      expect(state).toMatchObject({ phase: 'done', lifecycle: 80, digipoortStatus: '500' });

      // Run 4: more lower statuses (and even a refusal) after the final one change nothing.
      await setPlan(aanleverkenmerk, [...withFinal, { code: '301', step: 10 }, { code: '311', step: 11, foutcode: 'VAS500', foutbeschrijving: 'Validatie niet gelukt.' }]);
      await oneRun(hub);
      expect(await filingOf(hub, 1)).toMatchObject({ lifecycle: 80, digipoortStatus: '500' });
      const log = (await call(api, 'GET', `/api/hubs/${hub.participant}/log?messageNumber=1`)).json() as { text: string }[];
      expect(log.filter((e) => e.text.startsWith('lifecycle ')).map((e) => e.text)).toEqual(['lifecycle 60 → 80 (Digipoort 500)']);
    });

    it('H9: receiving looks back 30 days: an older process is not asked for its statuses, nor kept as unknown (ONB)', async () => {
      const hub = await createTestHub(api);
      const posted = await postViaConnector(api, hub, vatReturnRequest(hub, '2026-Q1'));
      const number = posted.json().number as number;
      await submitted(hub, number);
      await new Promise((r) => setTimeout(r, 600));
      // Sent 31 days ago (as far as the hub knows): outside the look-back, its statuses are not fetched.
      await ctx.pool.query(`UPDATE messages SET submitted_at = now() - interval '31 days' WHERE hub_id = $1 AND number = $2`, [hub.hubId, number]);
      await oneRun(hub);
      const old = await filingOf(hub, number);
      expect(old).toMatchObject({ lifecycle: 60, digipoortStatus: null, statuses: [] });
      // 29 days ago: inside the look-back, fetched and applied.
      await ctx.pool.query(`UPDATE messages SET submitted_at = now() - interval '29 days' WHERE hub_id = $1 AND number = $2`, [hub.hubId, number]);
      await oneRun(hub);
      expect(await filingOf(hub, number)).toMatchObject({ lifecycle: 80, digipoortStatus: '500' });

      // Processes filed outside the hub: one whose statuses are 31 days old is left alone, a recent one is kept as ONB.
      const stepsPerDay = 86_400_000 / 50; // the simulator's status step in tests is 50 ms
      const oldSteps = -31 * stepsPerDay;
      await setPlan(`old-${hub.participant}`, [{ code: '105', step: oldSteps }, { code: '100', step: oldSteps + 1 }, { code: '500', step: oldSteps + 8 }]);
      const oldKenmerk = await fileOutsideTheHub(hub.obNumber, `old-${hub.participant}`);
      const recentKenmerk = await fileOutsideTheHub(hub.obNumber, `recent-${hub.participant}`);
      const oldProcess = await simulatorAdmin.get<{ visible: { step: number }[]; deliveredAt: string }>(`/admin/processes/${oldKenmerk}`);
      expect(oldProcess.visible).toHaveLength(3);
      await new Promise((r) => setTimeout(r, 600));
      await oneRun(hub);
      const { rows } = await ctx.pool.query<{ kenmerk: string }>(`SELECT kenmerk FROM messages WHERE hub_id = $1 AND subtype = 'ONB'`, [hub.hubId]);
      expect(rows.map((r) => r.kenmerk)).toEqual([recentKenmerk]);
    });
  });
});
