import { buildTestApp } from '../helpers/api';
import { call, createTestHub, postViaConnector, randomKvkNumber, randomObNumber, sendReceiveRunResult, vatReturnRequest, type Api, type TestHub } from '../helpers/hub';
import { startTestContext, type TestContext } from '../helpers/temporal';
import { X509Certificate } from 'node:crypto';
import { organisation, openCertificate, simulatorAdmin, wusClientFor } from '../helpers/wus';
import { lastSendReceiveQuery, sendReceiveHubWorkflowId } from '../../workflows/send-receive';

/**
 * Send/receive that follows the new statuses, not the backlog (issue 10): one long-lived workflow per hub, the
 * per-caller cursor of getNieuweStatussenProces, its record cleared only after storing, and a run's Digipoort calls
 * independent of the number of client organisations. The hubs sign with a certificate no other test file uses, so the
 * simulator's counts for that caller are this file's alone while the other suites run beside it.
 */
const CALLER = 'meetkantoor';
describe('send/receive per hub', () => {
  let ctx: TestContext;
  let api: Api;
  beforeAll(async () => {
    // The filings' own status follow-up (issue 10, item 3) would ask Digipoort too: off, so the counts are send/receive's.
    ctx = await startTestContext('send-receive', { deps: { statusFollowUp: { atMs: [] } } });
    api = await buildTestApp(ctx);
    await simulatorAdmin.register(organisation(CALLER).hrn);
  });
  afterAll(async () => {
    await api?.app.close();
    await ctx?.close();
  });

  type Planned = { code: string; step: number };
  const setPlan = (aanleverkenmerk: string, plan: Planned[]) => simulatorAdmin.send('PUT', `/admin/plans/${encodeURIComponent(aanleverkenmerk)}`, plan);
  type Calls = Record<string, { total: number; byCertificate: Record<string, number> }>;
  const fingerprint = new X509Certificate(openCertificate(CALLER).certificatePem).fingerprint256;
  const calls = () => simulatorAdmin.get<Calls>('/admin/calls');
  /** Calls this file's caller made between two readings, per operation. */
  const delta = (before: Calls, after: Calls) =>
    Object.fromEntries(
      Object.keys(after)
        .map((op) => [op, (after[op].byCertificate[fingerprint] ?? 0) - (before[op]?.byCertificate[fingerprint] ?? 0)] as const)
        .filter(([, n]) => n > 0),
    );
  const filingOf = async (hub: TestHub, number: number) =>
    (await call(api, 'GET', `/api/hubs/${hub.participant}/filings/${number}`)).json() as { kenmerk: string | null; digipoortStatus: string | null; deliveryState: string; statuses: { statuscode: string }[] };

  /** A run now; `?full=false` is what the hub's timer runs: the new statuses only. */
  async function run(hub: TestHub, full = false) {
    for (let i = 0; i < 100; i++) {
      const started = await call(api, 'POST', `/api/hubs/${hub.participant}/send-receive?full=${full}`);
      if (started.statusCode === 202) {
        expect(started.json().workflowId).toBe(sendReceiveHubWorkflowId(hub.participant));
        return sendReceiveRunResult(ctx.client, started.json());
      }
      expect(started.statusCode).toBe(409);
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('send/receive stayed busy');
  }

  /** A hub with `organisations` client organisations and one open process (planned to stay at 301), its statuses stored. */
  async function hubWithOpenProcess(organisations: number, plan: Planned[] = [{ code: '100', step: 0 }, { code: '301', step: 1 }]) {
    const hub = await createTestHub(api, { certificate: CALLER });
    for (let i = 1; i < organisations; i++) {
      const ob = randomObNumber();
      const res = await call(api, 'POST', `/api/hubs/${hub.participant}/organisations`, { name: `Klant ${ob}`, obNumber: `NL${ob}`, kvkNumber: randomKvkNumber() });
      expect(res.statusCode).toBe(201);
    }
    await setPlan(`FH${hub.participant}-1-v1-a1`, plan);
    expect((await postViaConnector(api, hub, vatReturnRequest(hub, '2026-Q1'))).statusCode).toBe(202);
    for (let i = 0; i < 100 && !(await filingOf(hub, 1)).kenmerk; i++) await new Promise((r) => setTimeout(r, 100));
    const { kenmerk } = await filingOf(hub, 1);
    expect(kenmerk).toBeTruthy();
    await new Promise((r) => setTimeout(r, 300));
    // The first run reads the full history (no cursor record yet) and makes the first full scan.
    const first = await run(hub);
    expect(first.fullScan).toBe(true);
    return { hub, kenmerk: kenmerk! };
  }

  it('a run with nothing new makes one getNieuweStatussenProces per open process and nothing per organisation, at 3 and at 40 organisations', async () => {
    const costs: Record<string, number>[] = [];
    for (const organisations of [3, 40]) {
      const { hub } = await hubWithOpenProcess(organisations);
      expect(await filingOf(hub, 1)).toMatchObject({ digipoortStatus: '301', deliveryState: 'submitted' });
      const before = await calls();
      const result = await run(hub);
      const after = await calls();
      expect(result).toMatchObject({ changed: 0, unknown: 0, calls: 1, fullScan: false });
      costs.push(delta(before, after));
    }
    expect(costs[0]).toEqual({ getNieuweStatussenProces: 1 });
    expect(costs[1]).toEqual(costs[0]);
  });

  it('the cursor record is cleared only after storing: statuses a dead run fetched are read again in full, and reach the filing', async () => {
    const { hub, kenmerk } = await hubWithOpenProcess(1, [{ code: '100', step: 0 }]);
    expect((await filingOf(hub, 1)).digipoortStatus).toBe('100');
    await run(hub);
    const record = () => ctx.pool.query('SELECT fetching_since, stored_at FROM status_cursors WHERE hub_id = $1 AND kenmerk = $2', [hub.hubId, kenmerk]).then((r) => r.rows);
    expect(await record()).toEqual([{ fetching_since: null, stored_at: expect.any(Date) }]);

    // A new status; a run fetches it through the cursor and dies before storing: Digipoort's cursor moved, ours is marked.
    await setPlan(`FH${hub.participant}-1-v1-a1`, [{ code: '100', step: 0 }, { code: '301', step: 1 }]);
    await new Promise((r) => setTimeout(r, 200));
    await ctx.pool.query('UPDATE status_cursors SET fetching_since = now() WHERE hub_id = $1 AND kenmerk = $2', [hub.hubId, kenmerk]);
    const sameCertificate = wusClientFor(CALLER);
    try {
      expect((await sameCertificate.getNieuweStatussenProces({ kenmerk })).map((s) => s.statuscode)).toEqual(['301']);
    } finally {
      sameCertificate.close();
    }

    const before = await calls();
    const result = await run(hub);
    expect(delta(before, await calls())).toEqual({ getStatussenProces: 1 });
    expect(result).toMatchObject({ changed: 1, fullScan: false });
    const filing = await filingOf(hub, 1);
    expect(filing.digipoortStatus).toBe('301');
    expect(filing.statuses.map((s) => s.statuscode)).toEqual(['100', '301']);
    expect(await record()).toEqual([{ fetching_since: null, stored_at: expect.any(Date) }]);
    // Back on the cursor, with nothing new.
    const next = await calls();
    expect(await run(hub)).toMatchObject({ changed: 0, calls: 1 });
    expect(delta(next, await calls())).toEqual({ getNieuweStatussenProces: 1 });
  });

  it('one workflow per hub: runs on demand and by its timer, the last run in its details, no workflow per run', async () => {
    const hub = await createTestHub(api);
    await run(hub, true);
    await run(hub);
    const patched = await call(api, 'PATCH', `/api/hubs/${hub.participant}`, { sendReceiveIntervalSeconds: 5 });
    expect(patched.statusCode).toBe(200);
    const handle = ctx.client.workflow.getHandle(sendReceiveHubWorkflowId(hub.participant));
    let last = await handle.query(lastSendReceiveQuery);
    for (let i = 0; i < 60 && last?.trigger !== 'schedule'; i++) {
      await new Promise((r) => setTimeout(r, 500));
      last = await handle.query(lastSendReceiveQuery);
    }
    expect(last).toMatchObject({ trigger: 'schedule', fullScan: false, summary: expect.stringContaining('send/receive (schedule)') });
    const { currentDetails } = await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata');
    expect(currentDetails).toContain(`Hub ${hub.participant}, every 5 s. Last run (schedule)`);
    await call(api, 'PATCH', `/api/hubs/${hub.participant}`, { sendReceiveIntervalSeconds: 86400 });

    const ids: string[] = [];
    for await (const execution of ctx.client.workflow.list({ query: `Hub = '${hub.participant}'` })) {
      if (execution.workflowId.startsWith('send-receive-')) ids.push(execution.workflowId);
    }
    expect(ids).toEqual([sendReceiveHubWorkflowId(hub.participant)]);
    expect((await handle.describe()).status.name).toBe('RUNNING');
  });
});
