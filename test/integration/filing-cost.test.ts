import { MockActivityEnvironment } from '@temporalio/testing';
import { createFilingActivities, type PollOutcome } from '../../activities/filing';
import { followUpCounts, takeFollowUpToken } from '../../db/repositories/status-follow-up';
import { filingWorkflowId } from '../../workflows/filing';
import { lastSendReceiveQuery, sendReceiveHubWorkflowId } from '../../workflows/send-receive';
import { buildTestApp } from '../helpers/api';
import { until } from '../helpers/certificates';
import { describeCost, workflowCost } from '../helpers/filing-cost';
import { call, callbackReceiver, createTestHub, postViaConnector, sendReceiveOnce, vatReturnRequest, type Api } from '../helpers/hub';
import { simulatorAdmin } from '../helpers/wus';
import { addContactPerson, decideInPortal, enablePortal, formFields, portalGet, portalLogin, postDecision, waitForLifecycle } from '../helpers/portal';
import { startTestContext, startTestWorker, type TestContext } from '../helpers/temporal';

/**
 * What one filing costs the engine (issue 10, item 5): a VAT return with portal approval, happy flow, to 80, with the
 * administration's callback. Send/receive runs every 5 s (the shortest interval a hub may have), as on a deadline day.
 * The figures are printed so that before and after can be compared; the bar is half of the ~53 state transitions
 * the filing cost before (issue 10).
 */
const now = new Date();
const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
const ENDED_MONTH = `${lastMonth.getUTCFullYear()}-${String(lastMonth.getUTCMonth() + 1).padStart(2, '0')}`;
const SEND_RECEIVE_EVERY_MS = 5000;

describe('the cost of one filing for the engine', () => {
  let ctx: TestContext;
  let api: Api;
  let callbacks: Awaited<ReturnType<typeof callbackReceiver>>;

  beforeAll(async () => {
    callbacks = await callbackReceiver();
    ctx = await startTestContext('cost', { deps: { publicUrl: 'http://localhost:3000' } });
    api = await buildTestApp(ctx);
  });
  afterAll(async () => {
    await api?.app.close();
    await ctx?.close();
    await callbacks?.close();
  });

  it('a VAT return approved in the portal reaches 80 in at most half of the ~53 state transitions', async () => {
    const hub = await createTestHub(api, { callbackUrl: callbacks.url });
    await enablePortal(api, hub, ['vat-return']);
    const contactId = await addContactPerson(api, hub, hub.organisationId, 'Kosten Klant', `cost.${hub.participant}@client.test`);
    const cookie = await portalLogin(api, hub, contactId);
    const posted = await postViaConnector(api, hub, vatReturnRequest(hub, ENDED_MONTH));
    expect(posted.statusCode).toBe(202);
    const number = posted.json().number as number;
    const { id } = await waitForLifecycle(api, hub, number, [30]);
    const workflowId = filingWorkflowId(hub.participant, number);

    const approvedAt = Date.now();
    expect((await decideInPortal(api, cookie, id, 'approve')).statusCode).toBe(303);
    const handle = ctx.client.workflow.getHandle(workflowId);
    let finished = false;
    const result = handle.result().finally(() => (finished = true));
    let nextRun = Date.now() + SEND_RECEIVE_EVERY_MS;
    while (!finished && Date.now() - approvedAt < 120_000) {
      if (Date.now() >= nextRun) {
        await call(api, 'POST', `/api/hubs/${hub.participant}/send-receive`);
        nextRun = Date.now() + SEND_RECEIVE_EVERY_MS;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const state = await result;
    const finalAfterMs = Date.now() - approvedAt;
    expect(state).toMatchObject({ phase: 'done', lifecycle: 80 });
    // H3: 60, then the final one, in order.
    expect(callbacks.received.map((c) => c.body.lifecycle)).toEqual([60, 80]);

    const cost = await workflowCost(ctx.client, workflowId);
    console.log(`${describeCost('VAT return, portal approval, to 80', cost)}; approval → final ${finalAfterMs} ms`);
    expect(cost.stateTransitions).toBeGreaterThan(0);
    expect(cost.stateTransitions).toBeLessThanOrEqual(26);
  }, 180_000);

  it('the follow-ups of one hub stay within its rate: a poll beyond the bucket is skipped, another hub has its own', async () => {
    const [a, b] = [await createTestHub(api), await createTestHub(api)];
    const rate = { perSecond: 0.5, burst: 2 };
    const taken = [];
    for (let i = 0; i < 3; i++) taken.push(await takeFollowUpToken(ctx.pool, a.hubId, rate));
    expect(taken.map((t) => t.taken)).toEqual([true, true, false]);
    // Skipped: asked again once a token is back (2 s at 0.5/s), spread over up to the burst's refill (4 s) more.
    const retryInMs = (taken[2] as { retryInMs: number }).retryInMs;
    expect(retryInMs).toBeGreaterThan(1900);
    expect(retryInMs).toBeLessThanOrEqual(6000);
    expect(await takeFollowUpToken(ctx.pool, b.hubId, rate)).toEqual({ taken: true });
    await new Promise((r) => setTimeout(r, 2100));
    expect(await takeFollowUpToken(ctx.pool, a.hubId, rate)).toEqual({ taken: true });
    expect((await takeFollowUpToken(ctx.pool, a.hubId, rate)).taken).toBe(false);
    expect(await takeFollowUpToken(ctx.pool, a.hubId, { perSecond: 0, burst: 2 })).toEqual({ taken: false });
    // Counted per hub (the bench reports them); a follow-up switched off (rate 0) asks nothing and is not a skip.
    expect(await followUpCounts(ctx.pool, a.hubId)).toEqual({ taken: 3, skipped: 2 });
    expect(await followUpCounts(ctx.pool, b.hubId)).toEqual({ taken: 1, skipped: 0 });
  });

  it("a scheduled send/receive leaves a process to its filing's own follow-up, asks it again once the follow-up stops early; run-now asks it always", async () => {
    const hub = await createTestHub(api);
    // The process stays open (301 is not final), so the follow-up polls at every moment.
    await simulatorAdmin.send('PUT', `/admin/plans/${encodeURIComponent(`FH${hub.participant}-1-v1-a1`)}`, [{ code: '100', step: 0 }, { code: '301', step: 1 }]);
    expect((await postViaConnector(api, hub, vatReturnRequest(hub, ENDED_MONTH))).statusCode).toBe(202);
    const followed = () =>
      ctx.pool.query<{ kenmerk: string | null; left_ms: number | null }>(
        `SELECT kenmerk, extract(epoch FROM followed_until - now()) * 1000 AS left_ms FROM messages WHERE hub_id = $1 AND number = 1`, [hub.hubId],
      ).then((r) => r.rows[0]);
    let row = await followed();
    for (let i = 0; i < 100 && !row.kenmerk; i++) row = (await new Promise((r) => setTimeout(r, 100)), await followed());
    expect(row.kenmerk).toBeTruthy();
    // The follow-up's last moment (60 s) plus 15 s of slack from the recorded submission.
    expect(Number(row.left_ms)).toBeGreaterThan(60_000);
    expect(Number(row.left_ms)).toBeLessThanOrEqual(75_000);

    const onDemand = () => sendReceiveOnce(api, ctx.client, hub, false);
    const handle = ctx.client.workflow.getHandle(sendReceiveHubWorkflowId(hub.participant));
    const nextScheduledRun = async (after: number) => {
      for (let i = 0; i < 80; i++) {
        const last = await handle.query(lastSendReceiveQuery);
        if (last?.trigger === 'schedule' && Date.parse(last.finishedAt) > after) return last;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error('no scheduled send/receive run');
    };
    // The first run is the hub's first full scan; after it, run-now without ?full asks the open process.
    await onDemand();
    expect(await onDemand()).toMatchObject({ fullScan: false, calls: 1 });
    expect((await call(api, 'PATCH', `/api/hubs/${hub.participant}`, { sendReceiveIntervalSeconds: 5 })).statusCode).toBe(200);
    try {
      expect(await nextScheduledRun(Date.now())).toMatchObject({ fullScan: false, calls: 0 });

      // Digipoort refuses the follow-up's next poll: it stops, hands the process back, and the schedule asks it.
      await simulatorAdmin.addFault({ kind: 'http503', operation: 'getStatussenProces', bodyContains: row.kenmerk, count: 1 });
      for (let i = 0; i < 650 && (await followed()).left_ms !== null; i++) await new Promise((r) => setTimeout(r, 100));
      expect((await followed()).left_ms).toBeNull();
      const { rows: log } = await ctx.pool.query<{ text: string }>(`SELECT text FROM communication_log WHERE message_id = (SELECT id FROM messages WHERE hub_id = $1 AND number = 1) AND text LIKE 'status follow-up stopped%'`, [hub.hubId]);
      expect(log).toHaveLength(1);
      expect(await nextScheduledRun(Date.now())).toMatchObject({ fullScan: false, calls: 1 });
    } finally {
      await call(api, 'PATCH', `/api/hubs/${hub.participant}`, { sendReceiveIntervalSeconds: 86400 });
    }
  }, 120_000);

  it("the follow-up's moment is judged by the poll's clock: before it nothing is asked and the wait is answered; after it the process is asked at once", async () => {
    const hub = await createTestHub(api);
    // 100 and 301 at once; 405 three seconds after sending (steps of 50 ms): after the filing's own 2 s poll, before its 5 s one.
    await simulatorAdmin.send('PUT', `/admin/plans/${encodeURIComponent(`FH${hub.participant}-1-v1-a1`)}`, [{ code: '100', step: 0 }, { code: '301', step: 1 }, { code: '405', step: 60 }]);
    expect((await postViaConnector(api, hub, vatReturnRequest(hub, ENDED_MONTH))).statusCode).toBe(202);
    const message = () =>
      ctx.pool.query<{ id: string; kenmerk: string | null; submitted_at: Date | null }>('SELECT id, kenmerk, submitted_at FROM messages WHERE hub_id = $1 AND number = 1', [hub.hubId]).then((r) => r.rows[0]);
    const row = await until('the kenmerk stored', async () => {
      const stored = await message();
      return stored?.kenmerk ? stored : undefined;
    }, 10_000, 100);
    expect(row.kenmerk).toBeTruthy();
    const codes = async () => (await ctx.pool.query<{ statuscode: string }>('SELECT statuscode FROM digipoort_statuses WHERE message_id = $1 ORDER BY tijdstempel_status', [row.id])).rows.map((r) => r.statuscode);
    // The filing's own 2 s poll stores the first two.
    await until('the 2 s poll stored', async () => ((await codes()).length >= 2 ? true : undefined), 5000, 50);
    const activities = createFilingActivities({ pool: ctx.pool, wus: ctx.wus });
    const poll = (notBeforeMs?: number) => new MockActivityEnvironment().run(activities.pollOwnProcess, { messageId: row.id, notifyFinal: false, notBeforeMs }) as Promise<PollOutcome>;

    const early = await poll(Date.now() + 30_000);
    expect(early).toMatchObject({ code: null, lifecycle: null, final: false, stop: false });
    expect(early.waitMs).toBeGreaterThan(29_000);
    expect(early.waitMs).toBeLessThanOrEqual(30_000);
    expect(early.askedAtMs).toBeUndefined();

    const sentAt = row.submitted_at!.getTime();
    await new Promise((r) => setTimeout(r, Math.max(0, sentAt + 3100 - Date.now())));
    expect(await codes()).toEqual(['100', '301']);
    const late = await poll(sentAt + 2000);
    expect(late.waitMs).toBeUndefined();
    expect(late).toMatchObject({ code: '405', final: false, stop: false });
    expect(await codes()).toEqual(['100', '301', '405']);
    expect(late.askedAtMs).toBeGreaterThanOrEqual(sentAt + 3000);
  }, 60_000);

  // Last in this file: it stops the context's worker.
  it('a decision the engine cannot answer in time is sent again under one update id, answered 202, and taken once when the engine is back', async () => {
    const hub = await createTestHub(api);
    await enablePortal(api, hub, ['vat-return']);
    const contactId = await addContactPerson(api, hub, hub.organisationId, 'Wacht Klant', `backlog.${hub.participant}@client.test`);
    const cookie = await portalLogin(api, hub, contactId);
    const posted = await postViaConnector(api, hub, vatReturnRequest(hub, ENDED_MONTH));
    const number = posted.json().number as number;
    const { id } = await waitForLifecycle(api, hub, number, [30]);
    const fields = formFields((await portalGet(api, cookie, `/portal/filings/${id}`)).body);

    // No worker: the workflow cannot take the update up, as under a backlog of workflow tasks.
    await ctx.worker.stop();
    const decided = await postDecision(api, cookie, id, { ...fields, decision: 'approve' });
    expect(decided.statusCode).toBe(202);
    expect(decided.body).toContain('ontvangen en wordt verwerkt');
    expect((await call(api, 'GET', `/api/hubs/${hub.participant}/filings/${number}`)).json().lifecycle).toBe(30);

    const worker = await startTestWorker(ctx.config, { pool: ctx.pool, wus: ctx.wus, temporal: ctx.client, taskQueue: ctx.config.temporal.taskQueue, publicUrl: 'http://localhost:3000' });
    try {
      const state = await ctx.client.workflow.getHandle(filingWorkflowId(hub.participant, number)).result();
      expect(state).toMatchObject({ phase: 'done', lifecycle: 80 });
      // Sent three times under one update id: one decision.
      const { rows } = await ctx.pool.query('SELECT decision, decided_via FROM approval_decisions WHERE message_id = $1', [id]);
      expect(rows).toEqual([{ decision: 'approved', decided_via: 'portal' }]);
    } finally {
      await worker.stop();
    }
  }, 180_000);
});
