import { buildTestApp } from '../helpers/api';
import { call, callbackReceiver, createTestHub, postViaConnector, sendReceiveOnce, sendReceiveUntil, vatReturnRequest, type Api, type TestHub } from '../helpers/hub';
import { enablePortal, waitForLifecycle } from '../helpers/portal';
import { startTestContext, type TestContext } from '../helpers/temporal';
import { fileOutsideTheHub, organisation, simulatorAdmin } from '../helpers/wus';

interface SimulatorProcess {
  kenmerk: string;
  aanleverkenmerk: string | null;
}

interface Attempt {
  attempt: number;
  aanleverkenmerk: string;
  kenmerk: string | null;
  outcome: string | null;
  startedAt: string;
  finishedAt: string | null;
  inDoubtReason: string | null;
}

/**
 * Exactly once without a person (issue 12): every aanleveren attempt is a record, one attempt per message type and
 * belanghebbende is in flight at a time (the submission lane), so reconcile adopts only its own process; a person is
 * asked only when Digipoort's answers cannot decide, and is told exactly why. A reset never turns the message's own
 * earlier attempt into an unknown (ONB) return message. A held message routed to a hub follows its approval rules.
 */
describe('submission lanes and attempts', () => {
  let ctx: TestContext;
  let api: Api;
  beforeAll(async () => {
    ctx = await startTestContext('lanes');
    api = await buildTestApp(ctx);
  });
  afterAll(async () => {
    await api?.app.close();
    await ctx?.close();
  });

  const detail = async (hub: TestHub, number: number) => (await call(api, 'GET', `/api/hubs/${hub.participant}/filings/${number}`)).json();
  const processOf = (kenmerk: string) => simulatorAdmin.get<SimulatorProcess>(`/admin/processes/${kenmerk}`);
  const onbs = async (hub: TestHub) => (await call(api, 'GET', `/api/hubs/${hub.participant}/messages?subtype=ONB`)).json() as { kenmerk: string }[];
  async function filingUntil(hub: TestHub, number: number, done: (f: { deliveryState: string }) => boolean, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const filing = await detail(hub, number);
      if (done(filing)) return filing;
      if (Date.now() > deadline) throw new Error(`filing ${number} stayed ${filing.deliveryState}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('three returns of one client, each first attempt ambiguous: each adopts its own process, one at a time, nobody asked', async () => {
    const hub = await createTestHub(api);
    for (const number of [1, 2, 3]) {
      // Processed by Digipoort, then the connection drops: the hub cannot know it was accepted.
      await simulatorAdmin.addFault({ kind: 'reset-after', bodyContains: `FH${hub.participant}-${number}-v1-a1`, count: 1 });
    }
    const posted = await Promise.all(
      ['2026-01', '2026-02', '2026-03'].map((period) => postViaConnector(api, hub, vatReturnRequest(hub, period))),
    );
    expect(posted.map((p) => p.statusCode)).toEqual([202, 202, 202]);
    const numbers = posted.map((p) => p.json().number as number).sort();
    expect(numbers).toEqual([1, 2, 3]);

    const attempts: Attempt[] = [];
    for (const number of numbers) {
      await sendReceiveUntil(api, hub, number, (f) => f.lifecycle === 80, 60_000);
      const filing = await detail(hub, number);
      // Its own first attempt made the process it carries: adopted, not resent, not someone else's.
      expect((await processOf(filing.kenmerk)).aanleverkenmerk).toBe(`FH${hub.participant}-${number}-v1-a1`);
      expect(await simulatorAdmin.acceptedCount(`FH${hub.participant}-${number}-v1-a1`)).toBe(1);
      expect(await simulatorAdmin.acceptedCount(`FH${hub.participant}-${number}-v1-a2`)).toBe(0);
      expect(filing.attempts).toEqual([expect.objectContaining({ attempt: 1, outcome: 'adopted', kenmerk: filing.kenmerk, inDoubtReason: null })]);
      expect(filing.needsActionReason).toBeNull();
      attempts.push(...filing.attempts);
    }
    // The lane: no two attempts of this client's VAT returns were ever in flight at once.
    const spans = attempts.map((a) => [Date.parse(a.startedAt), Date.parse(a.finishedAt!)]).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i][0]).toBeGreaterThanOrEqual(spans[i - 1][1]);
    const log = (await call(api, 'GET', `/api/hubs/${hub.participant}/log`)).json() as { level: string; text: string }[];
    expect(log.filter((l) => l.text.includes('process adopted'))).toHaveLength(3);
    expect(log.some((l) => l.text.includes('waiting its turn'))).toBe(true);
    expect(log.some((l) => l.text.includes('cannot be settled without a person'))).toBe(false);
  }, 120_000);

  it('a process filed from outside the hub inside the window: a person decides, told exactly why; a claimed kenmerk is refused', async () => {
    const hub = await createTestHub(api);
    const other = await createTestHub(api);
    const otherFiling = (await postViaConnector(api, other, vatReturnRequest(other))).json();
    await sendReceiveUntil(api, other, otherFiling.number, (f) => f.lifecycle === 80);

    // Someone files this client's VAT return with the firm's certificate outside the hub, just before the hub does.
    const outside = { kenmerk: await fileOutsideTheHub(hub.obNumber, 'outside-the-hub') };
    await simulatorAdmin.addFault({ kind: 'reset-after', bodyContains: `FH${hub.participant}-1-v1-a1`, count: 1 });
    const posted = (await postViaConnector(api, hub, vatReturnRequest(hub))).json();
    // No send/receive meanwhile: the outside process stays unseen until the attempt is in doubt.
    const waiting = await filingUntil(hub, posted.number, (f) => f.deliveryState === 'needs_human');
    expect(waiting).toMatchObject({ deliveryState: 'needs_human', needsActionReason: expect.stringContaining('2 unclaimed Digipoort processes') });
    const filing = await detail(hub, posted.number);
    expect(filing.needsActionReason).toContain(outside.kenmerk);
    expect(filing.attempts).toEqual([expect.objectContaining({ attempt: 1, outcome: null, inDoubtReason: expect.stringContaining('outside the hub') })]);
    const log = (await call(api, 'GET', `/api/hubs/${hub.participant}/log?level=F`)).json() as { text: string }[];
    expect(log.some((l) => l.text.includes('cannot be settled without a person') && l.text.includes(outside.kenmerk))).toBe(true);
    const needsAction = (await call(api, 'GET', '/api/needs-action')).json() as { id: string; needsActionReason: string }[];
    expect(needsAction.find((m) => m.id === filing.id)?.needsActionReason).toContain('outside the hub');
    // While the attempt is in doubt its lane is held: the outside process is not declared unknown under its feet.
    await sendReceiveOnce(api, ctx.client, hub);
    expect(await onbs(hub)).toEqual([]);

    // A process that belongs to another message is refused, and nothing changes.
    const otherKenmerk = (await detail(other, otherFiling.number)).kenmerk as string;
    const claimed = await call(api, 'POST', `/api/hubs/${hub.participant}/filings/${posted.number}/resolve`, { adoptKenmerk: otherKenmerk });
    expect(claimed.statusCode).toBe(409);
    expect(claimed.json().rule).toBe('H5');
    expect((await detail(hub, posted.number)).deliveryState).toBe('needs_human');

    // The accountant adopts the hub's own process; the filing goes on to 80 and the outside one becomes ONB.
    const deliveries = await simulatorAdmin.get<{ processes: SimulatorProcess[] }>(`/admin/deliveries?aanleverkenmerk=FH${hub.participant}-1-v1-a1`);
    const own = deliveries.processes[0].kenmerk;
    const resolved = await call(api, 'POST', `/api/hubs/${hub.participant}/filings/${posted.number}/resolve`, { adoptKenmerk: own });
    expect(resolved.statusCode).toBe(202);
    const final = await sendReceiveUntil(api, hub, posted.number, (f) => f.lifecycle === 80, 60_000);
    expect(final).toMatchObject({ kenmerk: own, needsActionReason: null });
    expect((await detail(hub, posted.number)).attempts).toEqual([expect.objectContaining({ outcome: 'adopted', kenmerk: own, inDoubtReason: null })]);
    let unknown: { kenmerk: string }[] = [];
    for (let i = 0; i < 10 && unknown.length === 0; i++) {
      await sendReceiveOnce(api, ctx.client, hub);
      unknown = await onbs(hub);
    }
    expect(unknown.map((m) => m.kenmerk)).toEqual([outside.kenmerk]);
  }, 120_000);

  it('a process the hub had already seen as unknown (ONB) before the attempt is never its candidate: adopted without a person', async () => {
    const hub = await createTestHub(api);
    const outside = { kenmerk: await fileOutsideTheHub(hub.obNumber, 'outside-the-hub-2') };
    let unknown: { kenmerk: string }[] = [];
    for (let i = 0; i < 10 && unknown.length === 0; i++) {
      await sendReceiveOnce(api, ctx.client, hub);
      unknown = await onbs(hub);
    }
    expect(unknown.map((m) => m.kenmerk)).toEqual([outside.kenmerk]);
    await simulatorAdmin.addFault({ kind: 'reset-after', bodyContains: `FH${hub.participant}-2-v1-a1`, count: 1 });
    const posted = (await postViaConnector(api, hub, vatReturnRequest(hub))).json();
    expect(posted.number).toBe(2);
    const final = await sendReceiveUntil(api, hub, posted.number, (f) => f.lifecycle === 80, 60_000);
    expect((await processOf((final as unknown as { kenmerk: string }).kenmerk)).aanleverkenmerk).toBe(`FH${hub.participant}-2-v1-a1`);
    expect((await detail(hub, posted.number)).attempts).toEqual([expect.objectContaining({ outcome: 'adopted' })]);
  }, 120_000);

  it('H10: a 210, reset and resend keeps both attempts on record; the first never becomes an unknown (ONB) message', async () => {
    const hub = await createTestHub(api, { certificate: 'willemsen' });
    const posted = (await postViaConnector(api, hub, vatReturnRequest(hub))).json();
    const failed = await sendReceiveUntil(api, hub, posted.number, (f) => f.lifecycle === 70);
    expect(failed.digipoortStatus).toBe('210');
    const firstKenmerk = (await detail(hub, posted.number)).kenmerk as string;

    await simulatorAdmin.register(organisation('willemsen').hrn, 'Omzetbelasting', hub.obNumber);
    expect((await call(api, 'POST', `/api/hubs/${hub.participant}/filings/${posted.number}/reset`)).statusCode).toBe(202);
    await sendReceiveUntil(api, hub, posted.number, (f) => f.lifecycle === 80);
    // Several more runs: the first attempt's process stays the message's own.
    for (let i = 0; i < 3; i++) await sendReceiveOnce(api, ctx.client, hub);
    expect(await onbs(hub)).toEqual([]);

    const filing = await detail(hub, posted.number);
    expect(filing.kenmerk).not.toBe(firstKenmerk);
    expect(filing.attempts).toEqual([
      expect.objectContaining({ attempt: 1, aanleverkenmerk: `FH${hub.participant}-${posted.number}-v1-a1`, kenmerk: firstKenmerk, outcome: 'sent' }),
      expect.objectContaining({ attempt: 2, aanleverkenmerk: `FH${hub.participant}-${posted.number}-v1-a2`, kenmerk: filing.kenmerk, outcome: 'sent' }),
    ]);
    // Statuses correlate to the attempt that made their process.
    const byAttempt = (n: number) => (filing.statuses as { attempt: number; kenmerk: string; statuscode: string }[]).filter((s) => s.attempt === n);
    expect(byAttempt(1).map((s) => s.statuscode)).toContain('210');
    expect(byAttempt(1).every((s) => s.kenmerk === firstKenmerk)).toBe(true);
    expect(byAttempt(2).map((s) => s.statuscode)).toContain('500');
  }, 120_000);

  it('H12 + A1: a held VAT return routed to a hub with portal approval goes to the client, never straight to Digipoort', async () => {
    const gone = await createTestHub(api);
    expect((await call(api, 'DELETE', `/api/hubs/${gone.participant}`)).statusCode).toBe(200);
    const held = (await postViaConnector(api, gone, vatReturnRequest(gone))).json();
    const successor = await createTestHub(api, { obNumber: gone.obNumber });
    await enablePortal(api, successor, ['vat-return']);

    const routed = await call(api, 'POST', `/api/needs-action/${held.id}/resolve-automatically`);
    expect(routed.statusCode).toBe(202);
    expect(routed.json()).toMatchObject({ number: 1, approvalRequired: true });
    const offered = await waitForLifecycle(api, successor, 1, [30]);
    expect(offered.lifecycleLabel).toBe('Offered to the client for review');
    const state = await ctx.client.workflow.getHandle(`filing-${successor.participant}-1`).query('filingState');
    expect(state).toMatchObject({ phase: 'awaiting-approval' });
    // Nothing reached Digipoort.
    expect(await simulatorAdmin.acceptedCount(`FH${successor.participant}-1-v1-a1`)).toBe(0);
    const log = (await call(api, 'GET', `/api/hubs/${successor.participant}/log?messageNumber=1`)).json() as { text: string }[];
    expect(log.some((l) => l.text.includes('approval on the portal first (A1)'))).toBe(true);
  });

  it('a filing that needs no approval is never called "approved by the client"', async () => {
    const callbacks = await callbackReceiver();
    try {
      const hub = await createTestHub(api, { callbackUrl: callbacks.url });
      const posted = (await postViaConnector(api, hub, vatReturnRequest(hub))).json();
      await sendReceiveUntil(api, hub, posted.number, (f) => f.lifecycle === 80);
      const deadline = Date.now() + 30_000;
      while (callbacks.received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const sent = callbacks.received.find((c) => c.body.lifecycle === 60);
      expect(sent?.body.lifecycleLabel).toBe('Sent to the tax authority');
      for (const c of callbacks.received) expect(String(c.body.lifecycleLabel)).not.toContain('Approved by the client');
    } finally {
      await callbacks.close();
    }
  });
});
