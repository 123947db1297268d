import { vatDueDate } from '../../domain/deadlines';
import { parsePeriod } from '../../domain/periods';
import { decideFilingUpdate, filingStateQuery, filingWorkflowId } from '../../workflows/filing';
import { platformCheck, platformCheckWorkflowId } from '../../workflows/platform-check';
import { buildTestApp } from '../helpers/api';
import { call, createTestHub, postViaConnector, sendReceiveUntil, vatReturnRequest, type Api, type TestHub } from '../helpers/hub';
import { addContactPerson, enablePortal, kvkRequest, waitForLifecycle } from '../helpers/portal';
import type { TestContext } from '../helpers/temporal';

/** Workflow runs whose histories are recorded (scripts/record-histories.ts) and replayed (replay.test.ts). */
export interface HistoryScenario {
  name: string;
  /** Runs the workflow to the point worth recording and returns its workflow id. */
  run(ctx: TestContext): Promise<string>;
}

/** Runs `body` with the real API app on the context, closing it afterwards. */
async function withApi<T>(ctx: TestContext, body: (api: Api) => Promise<T>): Promise<T> {
  const api = await buildTestApp(ctx);
  try {
    return await body(api);
  } finally {
    await api.app.close();
  }
}

/** Posts a filing and waits until the client may decide (the workflow is in its approval loop). */
async function offered(ctx: TestContext, api: Api, hub: TestHub, body: unknown): Promise<{ number: number; workflowId: string }> {
  const posted = await postViaConnector(api, hub, body);
  if (posted.statusCode !== 202) throw new Error(`post: ${posted.statusCode} ${posted.body}`);
  const number = posted.json().number as number;
  await waitForLifecycle(api, hub, number, [30]);
  const workflowId = filingWorkflowId(hub.participant, number);
  const handle = ctx.client.workflow.getHandle(workflowId);
  for (let i = 0; i < 100 && (await handle.query(filingStateQuery)).phase !== 'awaiting-approval'; i++) await new Promise((r) => setTimeout(r, 100));
  return { number, workflowId };
}

async function decide(ctx: TestContext, workflowId: string, decision: 'approve' | 'adopt' | 'reject', reason?: string): Promise<void> {
  const handle = ctx.client.workflow.getHandle(workflowId);
  const { contentSha256 } = await handle.query(filingStateQuery);
  await handle.executeUpdate(decideFilingUpdate, { args: [{ decision, contentSha256: contentSha256 ?? '', reason, via: 'portal' }] });
}

const now = new Date();
const currentQuarter = `${now.getUTCFullYear()}-Q${Math.floor(now.getUTCMonth() / 3) + 1}`;

export const HISTORY_SCENARIOS: HistoryScenario[] = [
  {
    name: 'platform-check-v1',
    async run(ctx) {
      const checkId = `recorded-${Date.now()}`;
      await ctx.pool.query('INSERT INTO platform_checks (id, label, workflow_id) VALUES ($1, $2, $3)', [
        checkId,
        'recorded',
        platformCheckWorkflowId(checkId),
      ]);
      const handle = await ctx.client.workflow.start(platformCheck, {
        workflowId: platformCheckWorkflowId(checkId),
        taskQueue: ctx.config.temporal.taskQueue,
        args: [{ checkId }],
      });
      await handle.result();
      return handle.workflowId;
    },
  },
  {
    // No approval: prepared, sent, statuses signalled by send/receive, final 80, the administration told.
    name: 'filing-vat-direct-v1',
    run: (ctx) =>
      withApi(ctx, async (api) => {
        const hub = await createTestHub(api);
        const posted = await postViaConnector(api, hub, vatReturnRequest(hub, currentQuarter));
        const number = posted.json().number as number;
        await sendReceiveUntil(api, hub, number, (f) => f.lifecycle === 80);
        const workflowId = filingWorkflowId(hub.participant, number);
        await ctx.client.workflow.getHandle(workflowId).result();
        return workflowId;
      }),
  },
  {
    // Portal approval with reminder timers pending (due at the end of the month after this quarter), then sent.
    name: 'filing-vat-portal-approved-v1',
    run: (ctx) =>
      withApi(ctx, async (api) => {
        const hub = await createTestHub(api);
        await enablePortal(api, hub, ['vat-return']);
        await addContactPerson(api, hub, hub.organisationId, 'Recorded Client', `recorded.${hub.participant}@client.test`);
        if (vatDueDate(parsePeriod(currentQuarter)) <= now.toISOString().slice(0, 10)) throw new Error('the current quarter must be due later');
        const { number, workflowId } = await offered(ctx, api, hub, vatReturnRequest(hub, currentQuarter));
        await decide(ctx, workflowId, 'approve');
        await sendReceiveUntil(api, hub, number, (f) => f.lifecycle === 80);
        await ctx.client.workflow.getHandle(workflowId).result();
        return workflowId;
      }),
  },
  {
    // Offered after its deadline: the latest reminder and the escalation at once; then rejected with a reason (40).
    name: 'filing-vat-portal-late-rejected-v1',
    run: (ctx) =>
      withApi(ctx, async (api) => {
        const hub = await createTestHub(api);
        await enablePortal(api, hub, ['vat-return']);
        const { workflowId } = await offered(ctx, api, hub, vatReturnRequest(hub, `${now.getUTCFullYear() - 1}-Q1`));
        const handle = ctx.client.workflow.getHandle(workflowId);
        for (let i = 0; i < 100 && !(await handle.query(filingStateQuery)).reminderState?.startsWith('escalated'); i++) await new Promise((r) => setTimeout(r, 100));
        await decide(ctx, workflowId, 'reject', 'the figures are not final');
        await handle.result();
        return workflowId;
      }),
  },
  {
    // KvK: adopted (the document rebuilt), final approval, deposited (80).
    name: 'filing-kvk-adopted-v1',
    run: (ctx) =>
      withApi(ctx, async (api) => {
        const hub = await createTestHub(api);
        await enablePortal(api, hub, ['kvk-annual-report']);
        const { number, workflowId } = await offered(ctx, api, hub, kvkRequest(hub, now.getUTCFullYear() - 1));
        await decide(ctx, workflowId, 'adopt');
        await decide(ctx, workflowId, 'approve');
        await sendReceiveUntil(api, hub, number, (f) => f.lifecycle === 80);
        await ctx.client.workflow.getHandle(workflowId).result();
        return workflowId;
      }),
  },
  {
    // One on-demand send/receive run that finds a status change and signals the filing.
    name: 'send-receive-v1',
    run: (ctx) =>
      withApi(ctx, async (api) => {
        const hub = await createTestHub(api);
        const posted = await postViaConnector(api, hub, vatReturnRequest(hub, currentQuarter));
        const number = posted.json().number as number;
        await sendReceiveUntil(api, hub, number, (f) => f.deliveryState === 'submitted');
        await new Promise((r) => setTimeout(r, 2500));
        let run = await call(api, 'POST', `/api/hubs/${hub.participant}/send-receive`);
        for (let i = 0; i < 50 && run.statusCode === 409; i++) {
          await new Promise((r) => setTimeout(r, 200));
          run = await call(api, 'POST', `/api/hubs/${hub.participant}/send-receive`);
        }
        if (run.statusCode !== 202) throw new Error(`send-receive: ${run.statusCode} ${run.body}`);
        const workflowId = run.json().workflowId as string;
        await ctx.client.workflow.getHandle(workflowId).result();
        return workflowId;
      }),
  },
];
