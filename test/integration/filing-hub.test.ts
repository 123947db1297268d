import { createHmac } from 'node:crypto';
import { DIGIPOORT_HAPPY_FLOW } from '../../domain/digipoort-status';
import { buildTestApp } from '../helpers/api';
import { call, callbackReceiver, createTestHub, postViaConnector, sendReceiveUntil, vatReturnRequest, type Api } from '../helpers/hub';
import { startTestContext, type TestContext } from '../helpers/temporal';
import { simulatorAdmin } from '../helpers/wus';
import {
  DigipoortStatusAttribute,
  HubAttribute,
  LifecycleStatusAttribute,
  MessageTypeAttribute,
  PeriodAttribute,
  TaxIdentifierAttribute,
} from '../../workflows/search-attributes';

/**
 * The filing hub end to end on real parts: the API, a real Temporal server and worker, PostgreSQL, and the simulator
 * as Digipoort over mutual TLS. A filing posted by an administration reaches 500 at Digipoort and lifecycle 80.
 */
describe('filing hub: VAT, ICP and supplement filings from administration to Digipoort and back', () => {
  let ctx: TestContext;
  let api: Api;
  beforeAll(async () => {
    ctx = await startTestContext('filing');
    api = await buildTestApp(ctx);
  });
  afterAll(async () => {
    await api?.app.close();
    await ctx?.close();
  });

  it('a VAT return posted through the connector reaches 500 at Digipoort and lifecycle 80, seen by the administration', async () => {
    const callbacks = await callbackReceiver();
    try {
      const hub = await createTestHub(api, { callbackUrl: callbacks.url });
      const posted = await postViaConnector(api, hub, vatReturnRequest(hub));
      expect(posted.json()).toMatchObject({ number: 1 });
      expect(posted.statusCode).toBe(202);
      const { number, version, lifecycle } = posted.json();
      expect(number).toBe(1);
      expect(version).toBe(1);
      expect(lifecycle).toBe(0);
      expect(posted.headers.location).toBe(`/connector/${hub.participant}/messages/1`);

      const final = await sendReceiveUntil(api, hub, number, (f) => f.lifecycle === 80);
      expect(final.digipoortStatus).toBe('500');
      expect(final.statuses.map((s) => s.statuscode)).toEqual(DIGIPOORT_HAPPY_FLOW.map((s) => s.code));

      // The administration's view: lifecycle 80 with its label and the raw history, no return messages.
      const seen = await api.app.inject({ method: 'GET', url: `/connector/${hub.participant}/messages/1`, headers: { authorization: `Bearer ${hub.connectorToken}` } });
      expect(seen.statusCode).toBe(200);
      expect(seen.json()).toMatchObject({ number: 1, lifecycle: 80, lifecycleLabel: 'Accepted by the tax authority', digipoortStatus: '500' });
      expect(seen.json().statusHistory.map((s: { code: string }) => s.code)).toEqual(DIGIPOORT_HAPPY_FLOW.map((s) => s.code));

      // Exactly one accepted aanleveren at Digipoort, signed by the work certificate.
      const filing = (await call(api, 'GET', `/api/hubs/${hub.participant}/filings/1`)).json();
      expect(filing.aanleverkenmerk).toBe(`FH${hub.participant}-1-v1-a1`);
      expect(await simulatorAdmin.acceptedCount(filing.aanleverkenmerk)).toBe(1);
      const process = await simulatorAdmin.get<{ senderOrganisation: string; belanghebbende: { nummer: string } }>(`/admin/processes/${filing.kenmerk}`);
      expect(process.senderOrganisation).toBe('AA Accountants Holding B.V.');
      expect(process.belanghebbende.nummer).toBe(hub.obNumber);

      // H14: the content and the incoming attachment (the 500's Responsemessage) are downloadable.
      const content = await call(api, 'GET', `/api/hubs/${hub.participant}/filings/1/content`);
      expect(content.statusCode).toBe(200);
      expect(content.body).toContain('bd-rpt-ob-aangifte-2026.xsd');
      expect(content.body).toContain(`>${hub.obNumber}</xbrli:identifier>`);
      // Rounded in the filer's favour: 10000.40 → 10000, VAT 2100.08 → 2100; input tax 400.10 → 401; 5g = 2190 − 401.
      expect(content.body).toMatch(/ValueAddedTaxOwedToBePaidBack[^>]*>1789</);
      const incoming = filing.attachments.filter((a: { direction: string }) => a.direction === 'incoming');
      expect(incoming.length).toBeGreaterThanOrEqual(1);
      const details = await call(api, 'GET', `/api/hubs/${hub.participant}/filings/1/attachments/${incoming[incoming.length - 1].id}`);
      expect(details.body).toContain('Responsemessage');

      // H3: the status was pushed to the administration (60, then 80), signed with its callback secret.
      for (let i = 0; i < 50 && callbacks.received.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
      expect(callbacks.received.map((c) => c.body.lifecycle)).toEqual([60, 80]);
      for (const c of callbacks.received) {
        expect(c.signature).toBe(`sha256=${createHmac('sha256', hub.callbackSecret).update(c.raw).digest('hex')}`);
      }

      // Operators: the workflow carries typed search attributes and a readable id.
      // The last callback is sent just before the workflow closes: wait for it to end, then look.
      const handle = ctx.client.workflow.getHandle(`filing-${hub.participant}-1`);
      await handle.result();
      const description = await handle.describe();
      expect(description.status.name).toBe('COMPLETED');
      const attributes = description.typedSearchAttributes;
      expect(attributes.get(HubAttribute)).toBe(hub.participant);
      // The OB number (a sole trader's contains the BSN) never enters Temporal: a keyed hash the API computes for a search.
      const searchKey = (await call(api, 'GET', `/api/search-attributes/tax-identifier?identifier=NL${hub.obNumber}`)).json();
      expect(attributes.get(TaxIdentifierAttribute)).toBe(searchKey.value);
      const found = [];
      for await (const w of ctx.client.workflow.list({ query: searchKey.query })) found.push(w.workflowId);
      expect(found).toContain(`filing-${hub.participant}-1`);
      const digits = hub.obNumber.slice(0, 9);
      expect(JSON.stringify(attributes.getAll())).not.toContain(digits);
      expect(description.workflowId).not.toContain(digits);
      expect(attributes.get(PeriodAttribute)).toBe('2026-Q1');
      expect(attributes.get(MessageTypeAttribute)).toBe('Omzetbelasting');
      expect(attributes.get(LifecycleStatusAttribute)).toBe(80);
      expect(attributes.get(DigipoortStatusAttribute)).toBe('500');

      // H13: the communication log tells the story.
      const log = (await call(api, 'GET', `/api/hubs/${hub.participant}/log?messageNumber=1`)).json() as { procedureStep: string; level: string; text: string }[];
      expect(log.map((l) => l.procedureStep)).toEqual(expect.arrayContaining(['prepare message', 'send message', 'receive', 'callback']));
      expect(log.every((l) => l.level === 'I')).toBe(true);
    } finally {
      await callbacks.close();
    }
  });

  it('an ICP return and a VAT supplement reach lifecycle 80 too', async () => {
    const hub = await createTestHub(api);
    const icp = await postViaConnector(api, hub, {
      kind: 'icp',
      period: '2026-Q1',
      obNumber: hub.obNumber,
      contact: { initials: 'J', surname: 'Jansen', telephone: '0201234567' },
      icpLines: [
        { countryCode: 'DE', vatNumber: 'DE123456789', category: 'goods', amount: '1500.75' },
        { countryCode: 'BE', vatNumber: '0123456749', category: 'services', amount: '300' },
      ],
    });
    expect(icp.statusCode).toBe(202);
    const supplement = await postViaConnector(api, hub, {
      kind: 'vat-supplement',
      period: '2025-04',
      obNumber: hub.obNumber,
      contact: { initials: 'J', surname: 'Jansen', telephone: '0201234567' },
      figures: { turnover: { '1a': '1250' }, vat: { '1a': '262.50' } },
      alreadyDeclared: '210',
    });
    expect(supplement.statusCode).toBe(202);
    for (const posted of [icp, supplement]) {
      const final = await sendReceiveUntil(api, hub, posted.json().number, (f) => f.lifecycle === 80);
      expect(final.digipoortStatus).toBe('500');
    }
    const supplementContent = await call(api, 'GET', `/api/hubs/${hub.participant}/filings/${supplement.json().number}/content`);
    expect(supplementContent.body).toContain('bd-rpt-ob-suppletie-2025.xsd');
    expect(supplementContent.body).toMatch(/ValueAddedTaxToBePaidAdditionalToBePaidBack[^>]*>52</);
    const filings = (await call(api, 'GET', `/api/hubs/${hub.participant}/filings`)).json() as { berichtsoort: string; lifecycle: number }[];
    expect(filings.map((f) => f.berichtsoort).sort()).toEqual(['ICP', 'OBSUP']);
  });

  it("C4: with the client's Becon for the year the firm files as intermediary (ContactType INT, TaxConsultantNumber)", async () => {
    const hub = await createTestHub(api);
    const without = await postViaConnector(api, hub, vatReturnRequest(hub, '2025-Q4'));
    expect(without.statusCode).toBe(202);
    const plain = await call(api, 'GET', `/api/hubs/${hub.participant}/filings/${without.json().number}/content`);
    expect(plain.body).toMatch(/ContactType[^>]*>BPL</);
    expect(plain.body).not.toContain('TaxConsultantNumber');

    expect((await call(api, 'POST', `/api/hubs/${hub.participant}/becons`, { number: '123456', name: 'Kantoor Noord' })).statusCode).toBe(201);
    const masterData = await call(api, 'PUT', `/api/hubs/${hub.participant}/clients/${hub.organisationId}/master-data/2025`, { beconNumber: '123456' });
    expect(masterData.statusCode).toBe(200);
    const withBecon = await postViaConnector(api, hub, vatReturnRequest(hub, '2026-Q1'));
    expect(withBecon.statusCode).toBe(202);
    const content = await call(api, 'GET', `/api/hubs/${hub.participant}/filings/${withBecon.json().number}/content`);
    expect(content.body).toMatch(/ContactType[^>]*>INT</);
    expect(content.body).toMatch(/TaxConsultantNumber[^>]*>123456</);
    const final = await sendReceiveUntil(api, hub, withBecon.json().number, (f) => f.lifecycle === 80);
    expect(final.digipoortStatus).toBe('500');
  });
});
