import { randomUUID } from 'node:crypto';
import { createStaffToken } from '../../api/plugins/auth';
import { startRunbook } from '../../api/services/runbooks';
import { vatDueDate } from '../../domain/deadlines';
import { findHubById } from '../../db/repositories/hubs';
import { certificateExpiryWatch } from '../../workflows/certificate-expiry';
import { parsePeriod } from '../../domain/periods';
import { decideFilingUpdate, filingStateQuery, filingWorkflowId } from '../../workflows/filing';
import { platformCheck, platformCheckWorkflowId } from '../../workflows/platform-check';
import { buildTestApp } from '../helpers/api';
import { call, createTestHub, postViaConnector, sendReceiveRunResult, sendReceiveUntil, vatReturnRequest, type Api, type TestHub } from '../helpers/hub';
import { addContactPerson, enablePortal, kvkRequest, waitForLifecycle } from '../helpers/portal';
import type { TestContext } from '../helpers/temporal';
import {
  addBecon,
  addClient,
  lettersFor,
  mandate as readMandate,
  mandateInState,
  prepareRequestInDoubt,
  requestMandate,
  setMandateDay,
  until,
  uploadCertificate,
  type TestClient,
} from '../helpers/certificates';
import { simulatorAdmin } from '../helpers/wus';

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
/** The latest month that has ended: a return is prepared once its period is over (OB3). */
const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
const endedMonth = `${lastMonth.getUTCFullYear()}-${String(lastMonth.getUTCMonth() + 1).padStart(2, '0')}`;

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
        const posted = await postViaConnector(api, hub, vatReturnRequest(hub, endedMonth));
        const number = posted.json().number as number;
        await sendReceiveUntil(api, hub, number, (f) => f.lifecycle === 80);
        const workflowId = filingWorkflowId(hub.participant, number);
        await ctx.client.workflow.getHandle(workflowId).result();
        return workflowId;
      }),
  },
  {
    // Portal approval with reminder timers pending (the latest ended month, due at the end of this month), then sent.
    name: 'filing-vat-portal-approved-v1',
    run: (ctx) =>
      withApi(ctx, async (api) => {
        const hub = await createTestHub(api);
        await enablePortal(api, hub, ['vat-return']);
        await addContactPerson(api, hub, hub.organisationId, 'Recorded Client', `recorded.${hub.participant}@client.test`);
        if (vatDueDate(parsePeriod(endedMonth)) <= now.toISOString().slice(0, 10)) throw new Error('the latest ended month must be due later (record on another day)');
        const { number, workflowId } = await offered(ctx, api, hub, vatReturnRequest(hub, endedMonth));
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
    // The hub's long-lived send/receive workflow (v2): started with the hub, two on-demand runs, the second of which
    // finds a status change and signals the filing. Recorded while it runs on (its history has no end).
    name: 'send-receive-v2',
    run: (ctx) =>
      withApi(ctx, async (api) => {
        const hub = await createTestHub(api);
        const posted = await postViaConnector(api, hub, vatReturnRequest(hub, endedMonth));
        const number = posted.json().number as number;
        await sendReceiveUntil(api, hub, number, (f) => f.deliveryState === 'submitted');
        await new Promise((r) => setTimeout(r, 2500));
        let run = await call(api, 'POST', `/api/hubs/${hub.participant}/send-receive`);
        for (let i = 0; i < 50 && run.statusCode === 409; i++) {
          await new Promise((r) => setTimeout(r, 200));
          run = await call(api, 'POST', `/api/hubs/${hub.participant}/send-receive`);
        }
        if (run.statusCode !== 202) throw new Error(`send-receive: ${run.statusCode} ${run.body}`);
        await sendReceiveRunResult(ctx.client, run.json());
        return run.json().workflowId as string;
      }),
  },
];

// --- certificates, mandates and runbooks ------------------------------------------------------------------------

/** A mandate request through the API (C3 confirmed), waited for until the workflow's record reaches `state`. */
async function requestedMandate(api: Api, hub: TestHub, client: TestClient, body: Record<string, unknown>, state: string): Promise<{ id: string; workflowId: string }> {
  const res = await requestMandate(api, hub.participant, { organisationId: client.organisationId, ...body });
  if (res.statusCode !== 202) throw new Error(`mandate: ${res.statusCode} ${res.body}`);
  const { id, workflowId } = res.json() as { id: string; workflowId: string };
  await mandateInState(api, hub.participant, id, state);
  return { id, workflowId };
}

async function revokedAndDone(ctx: TestContext, api: Api, hub: TestHub, mandate: { id: string; workflowId: string }): Promise<string> {
  const revoked = await call(api, 'POST', `/api/hubs/${hub.participant}/mandates/${mandate.id}/revoke`);
  if (revoked.statusCode !== 202) throw new Error(`revoke: ${revoked.statusCode} ${revoked.body}`);
  await mandateInState(api, hub.participant, mandate.id, 'REVOKED');
  await ctx.client.workflow.getHandle(mandate.workflowId).result();
  return mandate.workflowId;
}

/** Runs a runbook through the API from its plan to the end. */
async function confirmedRunbook(api: Api, hub: TestHub, id: string): Promise<void> {
  const phase = (want: string) =>
    until(`runbook ${want}`, async () => {
      const r = (await call(api, 'GET', `/api/hubs/${hub.participant}/runbooks/${id}`)).json() as { phase: string; reason: string | null };
      if (r.phase === 'paused' || r.phase === 'failed') throw new Error(`runbook ${r.phase}: ${r.reason}`);
      return r.phase === want ? r : undefined;
    }, 180_000);
  await phase('awaiting-confirmation');
  const confirmed = await call(api, 'POST', `/api/hubs/${hub.participant}/runbooks/${id}/confirm`);
  if (confirmed.statusCode !== 202) throw new Error(`confirm: ${confirmed.statusCode} ${confirmed.body}`);
  await phase('completed');
}

/** A hub whose client under Becon 200001 has an active SBA mandate with the work certificate, and Willemsen's certificate uploaded. */
async function hubWithMandateToMove(api: Api) {
  await setMandateDay(50);
  const hub = await createTestHub(api);
  const willemsen = await uploadCertificate(api, hub.participant, 'willemsen');
  await addBecon(api, hub.participant, '200001', 'Willemsen');
  const client = await addClient(api, hub.participant, 'Klant verhuizend', { 2026: '200001' });
  await requestedMandate(api, hub, client, { service: 'SBA', year: 2026 }, 'ACTIVE');
  return { hub, willemsen };
}

HISTORY_SCENARIOS.push(
  {
    // SBA: requested (sent exactly once), ONTVANGEN, ACTIVE after 26 simulated days, revoked on request.
    name: 'mandate-sba-revoked-v1',
    run: (ctx) =>
      withApi(ctx, async (api) => {
        await setMandateDay(50);
        const hub = await createTestHub(api);
        const client = await addClient(api, hub.participant, 'Klant SBA opgenomen', {});
        const sba = await requestedMandate(api, hub, client, { service: 'SBA', year: now.getUTCFullYear() }, 'ACTIVE');
        return revokedAndDone(ctx, api, hub, sba);
      }),
  },
  {
    // VIA: ONTVANGEN, the activation code from the letter (update), ACTIVE, then revoked.
    name: 'mandate-via-activated-v1',
    run: (ctx) =>
      withApi(ctx, async (api) => {
        await setMandateDay(50);
        const hub = await createTestHub(api);
        const client = await addClient(api, hub.participant, 'Klant VIA opgenomen', {});
        const via = await requestedMandate(api, hub, client, { service: 'VIA', year: now.getUTCFullYear(), continuing: true }, 'ONTVANGEN');
        const [letter] = await lettersFor(client.fiscalNumber);
        const activated = await call(api, 'POST', `/api/hubs/${hub.participant}/mandates/${via.id}/activate`, { activationCode: letter.letter!.activeringscode! });
        if (activated.statusCode !== 202) throw new Error(`activate: ${activated.statusCode} ${activated.body}`);
        await mandateInState(api, hub.participant, via.id, 'ACTIVE');
        return revokedAndDone(ctx, api, hub, via);
      }),
  },
  {
    // An ambiguous request with two candidate processes waits for a person, who adopts its process (signal); then
    // ACTIVE and revoked.
    name: 'mandate-needs-human-adopted-v1',
    run: (ctx) =>
      withApi(ctx, async (api) => {
        await setMandateDay(50);
        const hub = await createTestHub(api);
        const client = await addClient(api, hub.participant, 'Klant twijfel opgenomen', {});
        await prepareRequestInDoubt(hub.participant, client);
        const res = await requestMandate(api, hub.participant, { organisationId: client.organisationId, service: 'SBA', year: now.getUTCFullYear() });
        if (res.statusCode !== 202) throw new Error(`mandate: ${res.statusCode} ${res.body}`);
        const { id, workflowId } = res.json() as { id: string; workflowId: string };
        const waiting = await until('the request to wait for a person', async () => {
          const m = await readMandate(api, hub.participant, id);
          return m.messages[0]?.deliveryState === 'needs_human' ? m : undefined;
        });
        const { processes } = await simulatorAdmin.get<{ processes: { kenmerk: string }[] }>(`/admin/deliveries?aanleverkenmerk=${waiting.messages[0].aanleverkenmerk}`);
        const resolved = await call(api, 'POST', `/api/hubs/${hub.participant}/mandates/${id}/resolve`, { how: 'adopted', kenmerk: processes[0].kenmerk });
        if (resolved.statusCode !== 202) throw new Error(`resolve: ${resolved.statusCode} ${resolved.body}`);
        await mandateInState(api, hub.participant, id, 'ACTIVE');
        return revokedAndDone(ctx, api, hub, { id, workflowId });
      }),
  },
  {
    // C6 four eyes: the request is held, a second staff token authorises it (signal), then sent, ACTIVE and revoked.
    name: 'mandate-held-authorised-v1',
    run: (ctx) =>
      withApi(ctx, async (api) => {
        await setMandateDay(50);
        const hub = await createTestHub(api);
        const on = await call(api, 'PUT', `/api/hubs/${hub.participant}/mandate-settings`, { authorisationRequired: true });
        if (on.statusCode !== 200) throw new Error(`settings: ${on.statusCode} ${on.body}`);
        const client = await addClient(api, hub.participant, 'Klant vier ogen opgenomen', {});
        const held = await requestedMandate(api, hub, client, { service: 'SBA', year: now.getUTCFullYear() }, 'REQUESTED');
        // Recorded while it waits: the hold's timer is in the history before the second person decides.
        await until('the request to be held', async () =>
          ((await ctx.client.workflow.getHandle(held.workflowId).fetchHistory()).events ?? []).some((e) => e.timerStartedEventAttributes) ? true : undefined,
        );
        const second = { app: api.app, staffToken: (await createStaffToken(ctx.pool, 'second')).token };
        const authorised = await call(second, 'POST', `/api/hubs/${hub.participant}/mandates/${held.id}/authorise`);
        if (authorised.statusCode !== 202) throw new Error(`authorise: ${authorised.statusCode} ${authorised.body}`);
        await mandateInState(api, hub.participant, held.id, 'ACTIVE');
        return revokedAndDone(ctx, api, hub, held);
      }),
  },
  {
    // C6: a departing client: its portal access ends, its SBA and VIA mandates are revoked (children signalled), outcome.
    name: 'client-departure-v1',
    run: (ctx) =>
      withApi(ctx, async (api) => {
        await setMandateDay(50);
        const hub = await createTestHub(api);
        const client = await addClient(api, hub.participant, 'Klant vertrek opgenomen', {});
        await requestedMandate(api, hub, client, { service: 'SBA', year: now.getUTCFullYear() }, 'ACTIVE');
        await requestedMandate(api, hub, client, { service: 'VIA', year: now.getUTCFullYear() }, 'ONTVANGEN');
        const started = await call(api, 'POST', `/api/hubs/${hub.participant}/organisations/${client.organisationId}/departure`);
        if (started.statusCode !== 202) throw new Error(`departure: ${started.statusCode} ${started.body}`);
        const { workflowId } = started.json() as { workflowId: string };
        await ctx.client.workflow.getHandle(workflowId).result();
        return workflowId;
      }),
  },
  {
    // RB1: plan, confirmation (update), the steps, one mandate revoked and requested again through child workflows.
    name: 'certificate-runbook-rb1-v1',
    run: (ctx) =>
      withApi(ctx, async (api) => {
        const { hub, willemsen } = await hubWithMandateToMove(api);
        const started = await call(api, 'POST', `/api/hubs/${hub.participant}/runbooks`, {
          kind: 'RB1',
          groups: [{ name: 'Willemsen', certificateId: willemsen.id, beconNumbers: ['200001'] }],
        });
        if (started.statusCode !== 202) throw new Error(`runbook: ${started.statusCode} ${started.body}`);
        await confirmedRunbook(api, hub, started.json().id);
        await ctx.client.workflow.getHandle(started.json().workflowId).result();
        return started.json().workflowId as string;
      }),
  },
  {
    // The same with a small history bound: the recorded run is one that continued as new in the middle of the steps.
    name: 'certificate-runbook-continued-v1',
    run: (ctx) =>
      withApi(ctx, async (api) => {
        const { hub, willemsen } = await hubWithMandateToMove(api);
        const started = await startRunbook(
          { pool: ctx.pool, temporal: ctx.client, taskQueue: ctx.config.temporal.taskQueue },
          (await findHubById(ctx.pool, hub.hubId))!,
          { kind: 'RB1', groups: [{ name: 'Willemsen', certificateId: willemsen.id, beconNumbers: ['200001'] }] },
          'staff recorded',
          { historyLimit: 40 },
        );
        await confirmedRunbook(api, hub, started.id);
        const handle = ctx.client.workflow.getHandle(started.workflowId);
        await handle.result();
        const description = await handle.describe();
        if (description.runId === description.raw.workflowExecutionInfo?.firstRunId) throw new Error('the runbook did not continue as new');
        return started.workflowId;
      }),
  },
  {
    // C7: the daily watch finds a certificate in use 20 days before it expires (the 30-day warning, RB5 proposed).
    name: 'certificate-expiry-watch-v1',
    run: (ctx) =>
      withApi(ctx, async (api) => {
        const hub = await createTestHub(api);
        const work = (await call(api, 'GET', `/api/hubs/${hub.participant}/certificate-settings`)).json().workCertificateId as string;
        await ctx.pool.query(`UPDATE certificates SET valid_to = now() + interval '20 days' WHERE id = $1`, [work]);
        await uploadCertificate(api, hub.participant, 'jansen');
        const workflowId = `certificate-expiry-${hub.participant}-recorded-${randomUUID().slice(0, 8)}`;
        await ctx.client.workflow.execute(certificateExpiryWatch, {
          workflowId,
          taskQueue: ctx.config.temporal.taskQueue,
          args: [{ hubId: hub.hubId, participant: hub.participant }],
        });
        return workflowId;
      }),
  },
);

// Issue 10: the lean shape of the filing (workflows/filing.ts, LEAN_FILING_PATCH), recorded beside the v1 histories
// with the same runs: `npm run record:histories -- filing-vat-direct-v2 ...` (name them: the v1 files stay as they are).
// And v3: the follow-up on workflow timers (FOLLOW_UP_TIMERS_PATCH), `npm run record:histories -- filing-vat-direct-v3 ...`;
// v4: its moments counted from sending (FOLLOW_UP_FROM_SENDING_PATCH).
for (const v1 of HISTORY_SCENARIOS.filter((s) => s.name.startsWith('filing-') && s.name.endsWith('-v1'))) {
  HISTORY_SCENARIOS.push(...['-v2', '-v3', '-v4'].map((version) => ({ name: v1.name.replace(/-v1$/, version), run: v1.run })));
}
