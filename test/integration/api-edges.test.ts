import { buildTestApp } from '../helpers/api';
import { call, createTestHub, messageCount, postViaConnector, vatReturnRequest, type Api, type TestHub } from '../helpers/hub';
import { startTestContext, type TestContext } from '../helpers/temporal';
import { parsePeriod } from '../../domain/periods';
import { roundVatReturn } from '../../domain/vat';
import { XBRL_MAX_CHARS } from '../../integrations/xbrl/parse';
import { buildVatReturnInstance } from '../../integrations/xbrl/vat-return';

/**
 * Edges that must answer a clear 4xx naming the field (or a 503 to retry), never a 500, and change nothing stored.
 */
describe('API edges', () => {
  let ctx: TestContext;
  let api: Api;
  let hub: TestHub;
  beforeAll(async () => {
    ctx = await startTestContext('edges', { worker: false });
    api = await buildTestApp(ctx);
    hub = await createTestHub(api);
  });
  afterAll(async () => {
    await api?.app.close();
    await ctx?.close();
  });

  it('a message number beyond bigint is a 400 naming the field', async () => {
    for (const url of [
      `/api/hubs/${hub.participant}/filings/99999999999999999999999`,
      `/api/hubs/${hub.participant}/filings/99999999999999999999999/content`,
      `/api/hubs/${hub.participant}/log?messageNumber=99999999999999999999999`,
      `/api/hubs/${hub.participant}/filings?offset=99999999999999999999999`,
    ]) {
      const res = await call(api, 'GET', url);
      expect({ url, status: res.statusCode }).toEqual({ url, status: 400 });
      expect(res.json().field).toMatch(/number|messageNumber|offset/);
    }
    const reset = await call(api, 'POST', `/api/hubs/${hub.participant}/filings/99999999999999999999999/reset`);
    expect(reset.statusCode).toBe(400);
    expect(reset.json()).toMatchObject({ field: 'number' });
  });

  it('junk sent to /codec/decode is refused naming the payload, not a 500', async () => {
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    const junk = [
      { metadata: { encoding: b64('binary/encrypted'), 'encryption-key-id': b64('no-such-key') }, data: b64('whatever') },
      { metadata: { encoding: b64('binary/encrypted'), 'encryption-key-id': b64(ctx.config.payloadEncryptionKeys.split(':')[0]) }, data: b64('not ciphertext at all, just text') },
    ];
    for (const payload of junk) {
      const res = await call(api, 'POST', '/codec/decode', { payloads: [{ metadata: {}, data: '' }, payload] });
      expect(res.statusCode).toBe(422);
      expect(res.json()).toMatchObject({ field: 'payloads[1]' });
    }
  });

  describe('a connector post that meets a serialization failure or deadlock', () => {
    // A trigger on this test's hub only (other test files share the database) makes PostgreSQL refuse the next
    // `times` inserts of a message with `code`. A sequence counts the calls: it survives the rollbacks.
    async function failInserts(code: '40001' | '40P01', times: number) {
      const { rows } = await ctx.pool.query<{ v: string }>(`SELECT nextval('test_forced_failure_calls') AS v`);
      await ctx.pool.query(
        `INSERT INTO test_forced_failures (hub_id, code, fail_until) VALUES ($1, $2, $3)
           ON CONFLICT (hub_id) DO UPDATE SET code = EXCLUDED.code, fail_until = EXCLUDED.fail_until`,
        [hub.hubId, code, Number(rows[0].v) + times],
      );
    }

    beforeAll(async () => {
      await ctx.pool.query('CREATE SEQUENCE IF NOT EXISTS test_forced_failure_calls');
      await ctx.pool.query('CREATE TABLE IF NOT EXISTS test_forced_failures (hub_id uuid PRIMARY KEY, code text NOT NULL, fail_until bigint NOT NULL)');
      await ctx.pool.query(`
        CREATE OR REPLACE FUNCTION test_force_failure() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE rule record;
        BEGIN
          SELECT code, fail_until INTO rule FROM test_forced_failures WHERE hub_id = NEW.hub_id;
          IF FOUND THEN
            IF nextval('test_forced_failure_calls') <= rule.fail_until THEN
              RAISE EXCEPTION 'forced by the test' USING ERRCODE = rule.code;
            END IF;
          END IF;
          RETURN NEW;
        END $$`);
      await ctx.pool.query('DROP TRIGGER IF EXISTS test_force_failure ON messages');
      await ctx.pool.query('CREATE TRIGGER test_force_failure BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION test_force_failure()');
    });
    afterAll(async () => {
      await ctx.pool.query('DROP TRIGGER IF EXISTS test_force_failure ON messages');
    });

    it('is retried in its transaction and stored once when a retry succeeds', async () => {
      await failInserts('40P01', 2);
      const before = await messageCount(ctx.pool, hub.hubId);
      const res = await postViaConnector(api, hub, vatReturnRequest(hub, '2026-01'));
      expect(res.statusCode).toBe(202);
      expect(await messageCount(ctx.pool, hub.hubId)).toBe(before + 1);
    });

    it('answers 503 with Retry-After when it keeps failing, and stores nothing', async () => {
      await failInserts('40001', 1000);
      const before = await messageCount(ctx.pool, hub.hubId);
      const { rows: numberBefore } = await ctx.pool.query('SELECT next_message_number FROM hubs WHERE id = $1', [hub.hubId]);
      const res = await postViaConnector(api, hub, vatReturnRequest(hub, '2026-02'));
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBeDefined();
      expect(res.json().message).toContain('send the same request again');
      expect(await messageCount(ctx.pool, hub.hubId)).toBe(before);
      const { rows: numberAfter } = await ctx.pool.query('SELECT next_message_number FROM hubs WHERE id = $1', [hub.hubId]);
      expect(numberAfter[0]).toEqual(numberBefore[0]);
      await failInserts('40001', 0);
    });
  });

  it('a body that is not JSON where JSON is expected is 415, and nothing is stored', async () => {
    const before = await messageCount(ctx.pool, hub.hubId);
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'application/json\ta']) {
      const res = await api.app.inject({
        method: 'POST',
        url: `/connector/${hub.participant}/messages`,
        payload: contentType.startsWith('application/x-www') ? 'kind=vat-return&period=2026-Q1' : JSON.stringify(vatReturnRequest(hub, '2026-03')),
        headers: { authorization: `Bearer ${hub.connectorToken}`, 'content-type': contentType },
      });
      expect({ contentType, status: res.statusCode }).toEqual({ contentType, status: 415 });
    }
    const staff = await api.app.inject({
      method: 'POST',
      url: `/api/hubs/${hub.participant}/organisations`,
      payload: 'name=x',
      headers: { authorization: `Bearer ${api.staffToken}`, 'content-type': 'text/plain' },
    });
    expect(staff.statusCode).toBe(415);
    expect(await messageCount(ctx.pool, hub.hubId)).toBe(before);
  });

  it('sheds load when its event loop falls behind: 503 with Retry-After, then answers again', async () => {
    // Its own app with a low threshold: the shared test app sheds no load (see buildTestApp).
    const shedding = await buildTestApp(ctx, { maxEventLoopDelayMs: 200 });
    try {
      const get = () => shedding.app.inject({ method: 'GET', url: `/api/hubs/${hub.participant}`, headers: { authorization: `Bearer ${shedding.staffToken}` } });
      expect((await get()).statusCode).toBe(200);
      const until = Date.now() + 2_500;
      while (Date.now() < until) {
        // Block the event loop as a runaway request would.
      }
      // Its next sample (overdue now) measures the stall.
      await new Promise((r) => setTimeout(r, 50));
      const shed = await get();
      expect(shed.statusCode).toBe(503);
      expect(shed.headers['retry-after']).toBe('5');
      expect(shed.json().message).toContain('under pressure');
      let answered = 0;
      for (let i = 0; i < 30 && answered !== 200; i++) {
        await new Promise((r) => setTimeout(r, 300));
        answered = (await get()).statusCode;
      }
      expect(answered).toBe(200);
    } finally {
      await shedding.app.close();
    }
  });

  it('a ready instance over 20 MiB is refused naming the field, nothing stored', async () => {
    const before = await messageCount(ctx.pool, hub.hubId);
    const instance = `<xbrli:xbrl>${' '.repeat(XBRL_MAX_CHARS)}</xbrli:xbrl>`;
    const res = await postViaConnector(api, hub, { kind: 'vat-return', period: '2026-Q1', obNumber: `NL${hub.obNumber}`, instance });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ field: 'instance', message: expect.stringContaining('at most 20971520 characters') });
    expect(await messageCount(ctx.pool, hub.hubId)).toBe(before);
  });

  it('one request never stalls the API: /health answers within a second while the largest allowed instance is checked', async () => {
    // A VAT return padded with contexts up to the 20 MiB limit: seconds of parsing and checking.
    const period = parsePeriod('2026-Q1');
    const base = buildVatReturnInstance({
      obNumber: hub.obNumber,
      period,
      amounts: roundVatReturn({ turnover: { '1a': 100_000 }, vat: { '1a': 21_000 }, '5b': 0 }),
      header: {
        contactType: 'BPL', contactInitials: 'J', contactSurname: 'Jansen', contactTelephoneNumber: '0201234567', messageReference: 'FH-big',
        softwarePackageName: 'Test', softwarePackageVersion: '1', softwareVendorAccountNumber: 'SWO00000', dateTimeCreation: '202604010000',
      },
    });
    const context = (i: number) =>
      `<xbrli:context id="c${i}"><xbrli:entity><xbrli:identifier scheme="www.belastingdienst.nl/omzetbelastingnummer">${hub.obNumber}</xbrli:identifier></xbrli:entity>` +
      '<xbrli:period><xbrli:startDate>2026-01-01</xbrli:startDate><xbrli:endDate>2026-03-31</xbrli:endDate></xbrli:period></xbrli:context>';
    const one = context(0).length;
    const count = Math.floor((XBRL_MAX_CHARS - base.length - 100) / (one + 8));
    const instance = base.replace('</xbrli:xbrl>', Array.from({ length: count }, (_, i) => context(i + 1)).join('') + '</xbrli:xbrl>');
    expect(instance.length).toBeLessThanOrEqual(XBRL_MAX_CHARS);
    expect(instance.length).toBeGreaterThan(XBRL_MAX_CHARS * 0.95);

    const before = await messageCount(ctx.pool, hub.hubId);
    let done = false;
    const upload = postViaConnector(api, hub, { kind: 'vat-return', period: '2026-Q1', obNumber: `NL${hub.obNumber}`, instance }).finally(() => (done = true));
    const latencies: number[] = [];
    while (!done) {
      const started = Date.now();
      const health = await api.app.inject({ method: 'GET', url: '/health' });
      latencies.push(Date.now() - started);
      expect([200, 503]).toContain(health.statusCode);
      await new Promise((r) => setTimeout(r, 50));
    }
    const res = await upload;
    // Refused (one context per filing), naming the field, after seconds of work that ran off the event loop.
    expect(res.statusCode).toBe(422);
    expect(res.json().field).toBe('context');
    expect(latencies.length).toBeGreaterThan(3);
    expect(Math.max(...latencies)).toBeLessThan(1000);
    expect(await messageCount(ctx.pool, hub.hubId)).toBe(before);
  }, 120_000);

  it('the rate limit counts per connector token: one over its limit gets 429 with Retry-After, another token is unaffected', async () => {
    const limited = await buildTestApp(ctx, { rateLimits: { perAddressPerMinute: 1000, perConnectorTokenPerMinute: 3 } });
    try {
      const second = await call(limited, 'POST', `/api/hubs/${hub.participant}/connector-tokens`, { scope: 'administration', administrationId: hub.administrationId });
      expect(second.statusCode).toBe(201);
      const read = (token: string) =>
        limited.app.inject({ method: 'GET', url: `/connector/${hub.participant}/messages/999999`, headers: { authorization: `Bearer ${token}` } });
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await read(hub.connectorToken)).statusCode);
      expect(statuses.every((s) => s !== 429)).toBe(true);
      const over = await read(hub.connectorToken);
      expect(over.statusCode).toBe(429);
      expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
      // The same address, another token: its own budget.
      const other = await read(second.json().token as string);
      expect(other.statusCode).not.toBe(429);
      // Requests without a connector token count against the address, not against either token.
      expect((await call(limited, 'GET', `/api/hubs/${hub.participant}`)).statusCode).toBe(200);
    } finally {
      await limited.app.close();
    }
  });
});
