import { buildTestApp } from '../helpers/api';
import { call, callbackReceiver, createTestHub, postViaConnector, sendReceiveUntil, vatReturnRequest, type Api, type TestHub } from '../helpers/hub';
import { startTestContext, type TestContext } from '../helpers/temporal';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';
import { organisation, simulatorAdmin } from '../helpers/wus';

/**
 * Exactly once under crashes: the worker (worker/main.ts, its own process) is killed with SIGKILL at each step of a
 * filing; a new worker picks up, the filing completes, and Digipoort accepted exactly one aanleveren for it.
 */
describe('filing survives SIGKILL of the worker at every step, with exactly one accepted aanleveren', () => {
  let ctx: TestContext;
  let api: Api;
  let worker: WorkerProcess | undefined;
  const sender = organisation('servicebureau');

  beforeAll(async () => {
    ctx = await startTestContext('crash', { worker: false });
    api = await buildTestApp(ctx);
    await simulatorAdmin.register(sender.hrn);
  });
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
  });
  afterAll(async () => {
    await api?.app.close();
    await ctx?.close();
  });

  const startWorker = async (name: string) => {
    worker = await startWorkerProcess(ctx.config.temporal.taskQueue, name);
  };

  async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function row(hub: TestHub) {
    const { rows } = await ctx.pool.query('SELECT delivery_state, lifecycle, workflow_closed_at FROM messages WHERE hub_id = $1 AND number = 1', [hub.hubId]);
    return rows[0] as { delivery_state: string; lifecycle: number; workflow_closed_at: Date | null } | undefined;
  }

  /** Accepted aanleveren for message 1 of the hub, over every attempt. */
  async function accepted(hub: TestHub): Promise<number> {
    const deliveries = await simulatorAdmin.get<{ byAanleverkenmerk: Record<string, number> }>('/admin/deliveries?limit=1');
    return Object.entries(deliveries.byAanleverkenmerk)
      .filter(([kenmerk]) => kenmerk.startsWith(`FH${hub.participant}-1-`))
      .reduce((sum, [, n]) => sum + n, 0);
  }

  async function finish(hub: TestHub) {
    await startWorker('after-crash');
    await sendReceiveUntil(api, hub, 1, (f) => f.lifecycle === 80, 90_000);
    await until('the workflow to close', async () => ((await row(hub))?.workflow_closed_at ? true : undefined));
    expect(await accepted(hub)).toBe(1);
    const state = await ctx.client.workflow.getHandle(`filing-${hub.participant}-1`).result();
    expect(state.phase).toBe('done');
  }

  it('killed right after it picked up the new filing', async () => {
    const hub = await createTestHub(api, { certificate: 'servicebureau' });
    await startWorker('early');
    await postViaConnector(api, hub, vatReturnRequest(hub));
    await new Promise((r) => setTimeout(r, 300));
    await worker!.kill();
    await finish(hub);
  });

  it('killed while Digipoort still holds the request (processed only after the worker died)', async () => {
    const hub = await createTestHub(api, { certificate: 'servicebureau' });
    await simulatorAdmin.addFault({ kind: 'latency', latencyMs: 3000, bodyContains: `FH${hub.participant}-1-v1-a1`, count: 1 });
    await startWorker('in-flight');
    await postViaConnector(api, hub, vatReturnRequest(hub));
    await until('the durable submitting record', async () => ((await row(hub))?.delivery_state === 'submitting' ? true : undefined));
    await new Promise((r) => setTimeout(r, 500));
    await worker!.kill();
    await finish(hub);
  });

  it('killed after Digipoort accepted the filing but before its answer arrived', async () => {
    const hub = await createTestHub(api, { certificate: 'servicebureau' });
    await simulatorAdmin.addFault({ kind: 'latency-after', latencyMs: 5000, bodyContains: `FH${hub.participant}-1-v1-a1`, count: 1 });
    await startWorker('after-accept');
    await postViaConnector(api, hub, vatReturnRequest(hub));
    await until('Digipoort to accept', async () => ((await accepted(hub)) === 1 ? true : undefined));
    await worker!.kill();
    expect((await row(hub))?.delivery_state).toBe('submitting');
    await finish(hub);
    const log = (await call(api, 'GET', `/api/hubs/${hub.participant}/log?messageNumber=1`)).json() as { text: string }[];
    expect(log.some((l) => l.text.includes('process adopted'))).toBe(true);
  });

  it('killed while the filing waits for its statuses', async () => {
    const hub = await createTestHub(api, { certificate: 'servicebureau' });
    await startWorker('waiting');
    await postViaConnector(api, hub, vatReturnRequest(hub));
    await until('the submission', async () => ((await row(hub))?.delivery_state === 'submitted' ? true : undefined));
    await worker!.kill();
    await finish(hub);
  });

  it('killed while the administration callback keeps failing', async () => {
    const callbacks = await callbackReceiver();
    try {
      callbacks.failNext(1000);
      const hub = await createTestHub(api, { certificate: 'servicebureau', callbackUrl: callbacks.url });
      await startWorker('callback');
      await postViaConnector(api, hub, vatReturnRequest(hub));
      await until('a failed callback', async () => {
        const { rows } = await ctx.pool.query(`SELECT 1 FROM communication_log WHERE hub_id = $1 AND procedure_step = 'callback' AND level = 'F'`, [hub.hubId]);
        return rows.length ? true : undefined;
      });
      await worker!.kill();
      callbacks.failNext(0);
      await finish(hub);
      await until('the callbacks', async () => (callbacks.received.length >= 2 ? true : undefined), 60_000);
      expect(callbacks.received.map((c) => c.body.lifecycle)).toEqual([60, 80]);
    } finally {
      await callbacks.close();
    }
  });
});
