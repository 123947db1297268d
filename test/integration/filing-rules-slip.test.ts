import { parsePeriod } from '../../domain/periods';
import { roundVatReturn } from '../../domain/vat';
import { buildVatReturnInstance } from '../../integrations/xbrl/vat-return';
import { buildTestApp } from '../helpers/api';
import { call, createTestHub, messageCount, postViaConnector, vatReturnRequest, type Api, type TestHub } from '../helpers/hub';
import { startTestContext, type TestContext } from '../helpers/temporal';

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
});
