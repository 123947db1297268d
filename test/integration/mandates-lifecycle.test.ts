import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createMandateActivities, type MandateView, type SubmitOutcome } from '../../activities/mandates';
import { requestMandate as requestMandateService } from '../../api/services/mandates';
import { inTransaction } from '../../db/pool';
import { findHubById } from '../../db/repositories/hubs';
import { createMandateRequest } from '../../db/repositories/mandates';
import { createDataConverter } from '../../temporal/data-converter';
import { FAILURE_CONVERTER_PATH } from '../../worker/bundle';
import { connectWorker } from '../../worker/worker';
import { mandate as mandateWorkflow, revokeMandateSignal } from '../../workflows/mandate';
import { buildTestApp } from '../helpers/api';
import {
  addBecon,
  addClient,
  lettersFor,
  mandate,
  mandateDeliveries,
  mandateInState,
  prepareRequestInDoubt,
  requestCollective,
  requestMandate,
  setMandateDay,
  until,
  type TestClient,
} from '../helpers/certificates';
import { call, createTestHub, type Api, type TestHub } from '../helpers/hub';
import { startTestContext, uniqueTaskQueue, type TestContext } from '../helpers/temporal';
import { simulatorAdmin } from '../helpers/wus';

/**
 * C3, C6 through the API against the simulated register: an SBA mandate from request to active (26 simulated days
 * without objection) to revoked; a VIA mandate activated with the code from the client's letter; every refusal names
 * its rule and stores nothing.
 */
describe('mandates (C3, C6)', () => {
  let ctx: TestContext;
  let api: Api;
  beforeAll(async () => {
    ctx = await startTestContext('mandates');
    api = await buildTestApp(ctx);
    await setMandateDay(50);
  });
  afterAll(async () => {
    await api?.app.close();
    await ctx?.close();
  });

  const count = async (hubId: string) => (await ctx.pool.query('SELECT count(*)::int AS n FROM mandates WHERE hub_id = $1', [hubId])).rows[0].n as number;
  const details = async (workflowId: string) =>
    ((await ctx.client.workflow.getHandle(workflowId).query('__temporal_workflow_metadata')) as { currentDetails?: string }).currentDetails ?? '';
  const scheduled = async (workflowId: string, activity: string) =>
    ((await ctx.client.workflow.getHandle(workflowId).fetchHistory()).events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activity).length;
  const logLines = async (hub: TestHub) => (await call(api, 'GET', `/api/hubs/${hub.participant}/log?limit=200`)).json() as { level: string; procedureStep: string; text: string }[];

  /**
   * A request whose aanleveren is ambiguous (Digipoort processed it, then answered 500) while another process of the
   * same berichtsoort for the client, unknown to the hub, exists: reconcile finds two candidates, so a person decides.
   */
  async function requestInDoubt(hub: TestHub, client: TestClient, body: Record<string, unknown>) {
    const { otherKenmerk } = await prepareRequestInDoubt(hub.participant, client);
    const created = await requestMandate(api, hub.participant, { organisationId: client.organisationId, ...body });
    expect(created.statusCode).toBe(202);
    const id = created.json().id as string;
    const waiting = await until(
      'the request to wait for a person',
      async () => {
        const m = await mandate(api, hub.participant, id);
        return m.messages[0]?.deliveryState === 'needs_human' ? m : undefined;
      },
      60_000,
      300,
    );
    const { processes } = await simulatorAdmin.get<{ processes: { kenmerk: string }[] }>(`/admin/deliveries?aanleverkenmerk=${waiting.messages[0].aanleverkenmerk}`);
    return { id, workflowId: waiting.workflowId, ours: processes[0].kenmerk, other: otherKenmerk };
  }

  it('SBA: the letter name is shown first; request, ONTVANGEN, ACTIVE after 26 days, one per client and year, revoke', async () => {
    const hub = await createTestHub(api);
    await addBecon(api, hub.participant, '100001', 'Kantoor 1');
    const client = await addClient(api, hub.participant, 'Klant SBA', { 2025: '100001', 2026: '100001' });
    const base = `/api/hubs/${hub.participant}/mandates`;

    // C3: before anything is sent, the firm name the tax authority will print.
    const preview = await call(api, 'POST', base, { organisationId: client.organisationId, service: 'SBA', year: 2026, dryRun: true });
    expect(preview.statusCode).toBe(200);
    expect(preview.json()).toMatchObject({ letterName: 'AA Accountants Holding B.V.', beconNumber: '100001' });
    expect(await count(hub.hubId)).toBe(0);

    // C3: a request must carry the name the caller was shown; without it, or with another name, nothing is requested.
    const unconfirmed = await call(api, 'POST', base, { organisationId: client.organisationId, service: 'SBA', year: 2026 });
    expect(unconfirmed.statusCode).toBe(422);
    expect(unconfirmed.json()).toMatchObject({ rule: 'C3', message: expect.stringContaining('"AA Accountants Holding B.V."') });
    const otherName = await call(api, 'POST', base, { organisationId: client.organisationId, service: 'SBA', year: 2026, confirmLetterName: 'Kantoor Noord B.V.' });
    expect(otherName.statusCode).toBe(409);
    expect(otherName.json()).toMatchObject({ rule: 'C3', message: expect.stringContaining('"AA Accountants Holding B.V."') });
    expect(await count(hub.hubId)).toBe(0);

    const confirmLetterName = preview.json().letterName as string;
    const created = await call(api, 'POST', base, { organisationId: client.organisationId, service: 'SBA', year: 2026, confirmLetterName });
    expect(created.statusCode).toBe(202);
    const id = created.json().id as string;
    expect(created.json()).toMatchObject({ state: 'REQUESTED', letterName: 'AA Accountants Holding B.V.' });

    // C6: one open mandate per client, service and year; the refusal stores nothing.
    const duplicate = await call(api, 'POST', base, { organisationId: client.organisationId, service: 'SBA', year: 2026, confirmLetterName });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json().rule).toBe('C6');
    expect(await count(hub.hubId)).toBe(1);

    const active = await mandateInState(api, hub.participant, id, 'ACTIVE');
    expect(active.messages).toEqual([expect.objectContaining({ purpose: 'request', deliveryState: 'submitted', outcome: 'ACTIEF' })]);
    const [letter] = await lettersFor(client.fiscalNumber);
    expect(letter).toMatchObject({ dienst: 'SBA', jaar: 2026, toestand: 'ACTIEF', letter: { naamIntermediair: 'AA Accountants Holding B.V.' } });

    const revoked = await call(api, 'POST', `${base}/${id}/revoke`);
    expect(revoked.statusCode).toBe(202);
    await mandateInState(api, hub.participant, id, 'REVOKED');
    expect((await lettersFor(client.fiscalNumber))[0].toestand).toBe('INGETROKKEN');
    const again = await call(api, 'POST', `${base}/${id}/revoke`);
    expect(again.statusCode).toBe(409);
    expect(again.json().rule).toBe('C6');

    // The client, service and year are free again: a new request is the next of its line.
    const next = await call(api, 'POST', base, { organisationId: client.organisationId, service: 'SBA', year: 2026, confirmLetterName });
    expect(next.statusCode).toBe(202);
    expect(next.json().workflowId).toMatch(new RegExp(`^mandate-${hub.participant}-${client.organisationId}-SBA-2026-2$`));
  });

  it('VIA: active only with the activation code from the letter; a wrong code is refused by the register', async () => {
    const hub = await createTestHub(api);
    const client = await addClient(api, hub.participant, 'Klant VIA', {});
    const base = `/api/hubs/${hub.participant}/mandates`;
    const created = await requestMandate(api, hub.participant, { organisationId: client.organisationId, service: 'VIA', year: 2026, continuing: true });
    expect(created.statusCode).toBe(202);
    const id = created.json().id as string;
    await mandateInState(api, hub.participant, id, 'ONTVANGEN');
    // SBA-style waiting does not activate a VIA mandate.
    await new Promise((r) => setTimeout(r, 26 * 50 + 500));
    expect((await mandate(api, hub.participant, id)).state).toBe('ONTVANGEN');

    expect((await call(api, 'POST', `${base}/${id}/activate`, { activationCode: 'not a code' })).json()).toMatchObject({ field: 'activationCode' });
    const wrong = await call(api, 'POST', `${base}/${id}/activate`, { activationCode: 'AAA-AAA-AAAA' });
    expect(wrong.statusCode).toBe(202);
    const refused = await until('the register to refuse the wrong code', async () => {
      await call(api, 'POST', `${base}/${id}/check`);
      const m = await mandate(api, hub.participant, id);
      return m.messages.find((x) => x.purpose === 'activate' && x.outcome === 'AFGEWEZEN') ? m : undefined;
    });
    expect(refused.state).toBe('ONTVANGEN');

    const [letter] = await lettersFor(client.fiscalNumber);
    expect(letter.letter?.activeringscode).toMatch(/^[A-Z0-9]{3}-[A-Z0-9]{3}-[A-Z0-9]{4}$/);
    const right = await call(api, 'POST', `${base}/${id}/activate`, { activationCode: letter.letter!.activeringscode!.toLowerCase() });
    expect(right.statusCode).toBe(202);
    await mandateInState(api, hub.participant, id, 'ACTIVE');
    expect((await lettersFor(client.fiscalNumber))[0].toestand).toBe('ACTIEF');

    const twice = await call(api, 'POST', `${base}/${id}/activate`, { activationCode: letter.letter!.activeringscode! });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().rule).toBe('C6');

    // Once sent (or refused), no activation code stays in the stored messages.
    const { rows: stored } = await ctx.pool.query<{ content_xml: string }>(`SELECT content_xml FROM mandate_messages WHERE mandate_id = $1 AND purpose = 'activate'`, [id]);
    expect(stored).toHaveLength(2);
    for (const { content_xml } of stored) {
      expect(content_xml).not.toContain(letter.letter!.activeringscode!);
      expect(content_xml).not.toContain('AAA-AAA-AAAA');
      expect(content_xml).toContain('<Activeringscode>XXX-XXX-XXXX</Activeringscode>');
    }
  });

  it('an activation the workflow cannot take leaves no code stored, and the refusal names C6', async () => {
    const hub = await createTestHub(api);
    const client = await addClient(api, hub.participant, 'Klant zonder workflow', {});
    // A VIA mandate whose letter went out, but whose workflow is gone.
    const row = await inTransaction(ctx.pool, (db) =>
      createMandateRequest(db, { hubId: hub.hubId, participant: hub.participant, organisationId: client.organisationId, service: 'VIA', year: 2026, continuing: false, requestedBy: 'test', now: new Date() }),
    );
    await ctx.pool.query(`UPDATE mandates SET state = 'ONTVANGEN' WHERE id = $1`, [row.id]);
    const refused = await call(api, 'POST', `/api/hubs/${hub.participant}/mandates/${row.id}/activate`, { activationCode: 'ABC-DEF-1234' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().rule).toBe('C6');
    expect((await ctx.pool.query(`SELECT count(*)::int AS n FROM mandate_messages WHERE mandate_id = $1 AND purpose = 'activate'`, [row.id])).rows[0].n).toBe(0);
    expect((await ctx.pool.query(`SELECT count(*)::int AS n FROM mandate_messages WHERE content_xml LIKE '%ABC-DEF-1234%'`)).rows[0].n).toBe(0);
  });

  it('refusals name their rule and store nothing: SBA activation, no fiscal number, unknown client, collective', async () => {
    const hub = await createTestHub(api);
    const base = `/api/hubs/${hub.participant}/mandates`;
    const sba = await requestMandate(api, hub.participant, { organisationId: hub.organisationId, service: 'SBA', year: 2026 });
    const activate = await call(api, 'POST', `${base}/${sba.json().id}/activate`, { activationCode: 'AAA-AAA-AAAA' });
    expect(activate.statusCode).toBe(409);
    expect(activate.json().rule).toBe('C6');
    const messages = (await ctx.pool.query(`SELECT count(*)::int AS n FROM mandate_messages WHERE mandate_id = $1 AND purpose = 'activate'`, [sba.json().id])).rows[0].n;
    expect(messages).toBe(0);

    const kvkOnly = await call(api, 'POST', `/api/hubs/${hub.participant}/organisations`, { name: 'Alleen KvK', kvkNumber: '12345678' });
    const noFiscal = await call(api, 'POST', base, { organisationId: kvkOnly.json().id, service: 'SBA', year: 2026, confirmLetterName: 'AA Accountants Holding B.V.' });
    expect(noFiscal.json()).toMatchObject({ rule: 'C6' });

    const other = await addClient(api, hub.participant, 'Klant collectief', {});
    // C3 collectively: without the confirmed letter names every request is refused, naming C3, and nothing is stored.
    const unconfirmed = await call(api, 'POST', `${base}/collective`, { organisationIds: [other.organisationId], service: 'SBA', year: 2026 });
    expect(unconfirmed.statusCode).toBe(202);
    expect(unconfirmed.json()).toMatchObject({ requested: [], refused: [{ organisationId: other.organisationId, rule: 'C3' }] });
    expect(await count(hub.hubId)).toBe(1);
    const collective = await requestCollective(api, hub.participant, { all: true, service: 'SBA', year: 2026 });
    expect(collective.statusCode).toBe(202);
    const body = collective.json() as { requested: { organisationId: string }[]; refused: { organisationId: string; rule: string }[] };
    expect(body.requested.map((r) => r.organisationId)).toEqual([other.organisationId]);
    expect(body.refused.map((r) => [r.organisationId, r.rule]).sort()).toEqual([[hub.organisationId, 'C6'], [kvkOnly.json().id, 'C6']].sort());
    expect(await count(hub.hubId)).toBe(2);
  });

  it('C7 while following a mandate: an unusable certificate is reported on it and in the log, never applied to its state', async () => {
    const hub = await createTestHub(api);
    const client = await addClient(api, hub.participant, 'Klant volgen', {});
    const created = await requestMandate(api, hub.participant, { organisationId: client.organisationId, service: 'VIA', year: 2026 });
    const id = created.json().id as string;
    const received = await mandateInState(api, hub.participant, id, 'ONTVANGEN');
    const certificateId = received.certificateId;
    const { rows } = await ctx.pool.query<{ valid_to: Date }>('SELECT valid_to FROM certificates WHERE id = $1', [certificateId]);
    await ctx.pool.query(`UPDATE certificates SET valid_to = now() - interval '1 day' WHERE id = $1`, [certificateId]);
    ctx.wus.evict(certificateId);
    try {
      const reported = await until(
        'the check to report the certificate',
        async () => {
          await call(api, 'POST', `/api/hubs/${hub.participant}/mandates/${id}/check`);
          const m = await mandate(api, hub.participant, id);
          // A check in flight when its client was evicted fails on the closed socket (ECONNRESET): the next reports C7.
          return /^C7: /.test(m.checkProblem ?? '') || m.state !== 'ONTVANGEN' ? m : undefined;
        },
        30_000,
        300,
      );
      // The request went out and the register has it: an expired certificate changes nothing on the mandate.
      expect(reported.state).toBe('ONTVANGEN');
      expect(reported.checkProblem).toMatch(/^C7: /);
      expect(reported.messages).toEqual([expect.objectContaining({ purpose: 'request', deliveryState: 'submitted', outcome: 'ONTVANGEN' })]);
      await call(api, 'POST', `/api/hubs/${hub.participant}/mandates/${id}/check`);
      await new Promise((r) => setTimeout(r, 1500));
      // A check in flight when the test evicted its client logs its own ECONNRESET line (above): not the C7 report.
      const lines = (await logLines(hub)).filter((l) => l.text.includes('could not be checked') && !l.text.endsWith('connection failed: ECONNRESET'));
      expect(lines).toEqual([expect.objectContaining({ level: 'F', procedureStep: 'receive' })]);
      expect(lines[0].text).toContain('C7');
    } finally {
      await ctx.pool.query('UPDATE certificates SET valid_to = $2 WHERE id = $1', [certificateId, rows[0].valid_to]);
      ctx.wus.evict(certificateId);
    }
    // Usable again: the next check clears the report.
    const cleared = await until('the report to clear', async () => {
      await call(api, 'POST', `/api/hubs/${hub.participant}/mandates/${id}/check`);
      const m = await mandate(api, hub.participant, id);
      return m.checkProblem === null ? m : undefined;
    });
    expect(cleared.state).toBe('ONTVANGEN');
  });

  it('an ambiguous request waits for a person, who adopts its process; the client\'s next request waits its turn without spinning', async () => {
    const hub = await createTestHub(api);
    const client = await addClient(api, hub.participant, 'Klant twijfel', {});
    const base = `/api/hubs/${hub.participant}/mandates`;
    const { id, workflowId, ours, other } = await requestInDoubt(hub, client, { service: 'SBA', year: 2026 });
    expect(ours).not.toBe(other);
    expect((await mandate(api, hub.participant, id)).state).toBe('REQUESTED');
    await until('the details to ask for a person', async () => ((await details(workflowId)).includes('Needs a person') ? true : undefined));

    // Another request of the client (the same berichtsoort) waits its turn on a timer in its workflow, not in a
    // retried activity, so a reconcile only ever finds one process of the client in doubt.
    const via = await requestMandate(api, hub.participant, { organisationId: client.organisationId, service: 'VIA', year: 2026 });
    expect(via.statusCode).toBe(202);
    const viaId = via.json().id as string;
    const viaWorkflow = via.json().workflowId as string;
    await until('the VIA request to wait its turn', async () => ((await details(viaWorkflow)).includes('waiting its turn') ? true : undefined));
    await new Promise((r) => setTimeout(r, 5000));
    const pending = (await ctx.client.workflow.getHandle(viaWorkflow).describe()).raw.pendingActivities ?? [];
    expect(pending.filter((a) => (a.attempt ?? 1) > 1)).toEqual([]);
    expect(await scheduled(viaWorkflow, 'submitMandateMessage')).toBeLessThanOrEqual(5);
    expect((await mandate(api, hub.participant, viaId)).messages[0].deliveryState).toBe('ready');

    // Only a message that waits for a person is resolved.
    const nothing = await call(api, 'POST', `${base}/${viaId}/resolve`, { how: 'resend' });
    expect(nothing.statusCode).toBe(409);
    expect(nothing.json().rule).toBe('C6');
    const taken = await call(api, 'POST', `${base}/${id}/resolve`, { how: 'adopted', kenmerk: ours });
    expect(taken.statusCode).toBe(202);
    expect(taken.json().messages[0]).toMatchObject({ deliveryState: 'submitted', kenmerk: ours });
    expect((await call(api, 'POST', `${base}/${id}/resolve`, { how: 'resend' })).statusCode).toBe(409);
    expect((await logLines(hub)).some((l) => l.procedureStep === 'reconcile' && l.text.includes(`Digipoort process ${ours} adopted`))).toBe(true);

    await mandateInState(api, hub.participant, id, 'ACTIVE');
    // Its turn came: the VIA request goes out (mandateInState's check wakes its workflow).
    const viaReceived = await mandateInState(api, hub.participant, viaId, 'ONTVANGEN');
    expect(viaReceived.messages[0]).toMatchObject({ deliveryState: 'submitted', outcome: 'ONTVANGEN' });
  });

  it('revoked while a person must decide: nothing spins; a resend allowed then withdraws it unsent', async () => {
    const hub = await createTestHub(api);
    const client = await addClient(api, hub.participant, 'Klant intrekken', {});
    const { id, workflowId } = await requestInDoubt(hub, client, { service: 'SBA', year: 2026 });
    expect((await call(api, 'POST', `/api/hubs/${hub.participant}/mandates/${id}/revoke`)).statusCode).toBe(202);
    await new Promise((r) => setTimeout(r, 4000));
    // The request may have gone out: it is not withdrawn, and no activity runs over and over.
    expect(await scheduled(workflowId, 'withdrawUnsentMandate')).toBe(0);
    expect((await ctx.client.workflow.getHandle(workflowId).fetchHistory()).events!.length).toBeLessThan(150);
    expect((await mandate(api, hub.participant, id)).state).toBe('REQUESTED');

    const resend = await call(api, 'POST', `/api/hubs/${hub.participant}/mandates/${id}/resolve`, { how: 'resend' });
    expect(resend.statusCode).toBe(202);
    const revoked = await mandateInState(api, hub.participant, id, 'REVOKED');
    expect(revoked.messages).toEqual([expect.objectContaining({ purpose: 'request', deliveryState: 'failed', outcomeReason: 'withdrawn before sending' })]);
  });

  it('a revocation signalled while the workflow reads the record is not lost', async () => {
    // The workflow with stand-in activities: the check reads the record before the revocation is written.
    const view: MandateView = {
      mandateId: randomUUID(),
      organisationId: randomUUID(),
      certificateId: randomUUID(),
      service: 'SBA',
      year: 2026,
      state: 'ACTIVE',
      requestSubmitted: true,
      revokeRequested: false,
      revokeSent: false,
      revokeFailedReason: 'an earlier revocation was refused',
      pendingActivationId: null,
      awaitingAnswer: false,
      needsHuman: false,
      checkProblem: null,
      reason: null,
    };
    let checkStarted!: () => void;
    const started = new Promise<void>((resolve) => (checkStarted = resolve));
    let releaseCheck!: () => void;
    const released = new Promise<void>((resolve) => (releaseCheck = resolve));
    const calls: string[] = [];
    const activities = {
      async loadMandate() {
        calls.push('load');
        return view;
      },
      async checkMandateState() {
        calls.push('check');
        checkStarted();
        await released;
        return view;
      },
      async submitMandateMessage({ purpose }: { purpose: string }) {
        calls.push(`submit ${purpose}`);
        return { view: purpose === 'revoke' ? { ...view, state: 'REVOKED', revokeRequested: true, revokeSent: true } : view, waiting: null };
      },
      async withdrawUnsentMandate() {
        calls.push('withdraw');
        return { view, withdrawn: false };
      },
    };
    const taskQueue = uniqueTaskQueue('mandate-stand-in');
    const connection = await connectWorker(ctx.config.temporal);
    try {
      const worker = await Worker.create({
        connection,
        namespace: ctx.config.temporal.namespace,
        taskQueue,
        activities,
        workflowBundle: { codePath: ctx.config.workflowBundlePath as string },
        dataConverter: { ...createDataConverter(ctx.config.payloadEncryptionKeys), failureConverterPath: FAILURE_CONVERTER_PATH },
      });
      await worker.runUntil(async () => {
        const handle = await ctx.client.workflow.start(mandateWorkflow, { taskQueue, workflowId: `mandate-stand-in-${randomUUID()}`, args: [{ mandateId: view.mandateId, participant: '99999' }] });
        await started;
        await handle.signal(revokeMandateSignal, { by: 'test' });
        await until('the signal in the history', async () =>
          ((await handle.fetchHistory()).events ?? []).some((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'revokeMandate') ? true : undefined,
        );
        releaseCheck();
        const result = await Promise.race([handle.result(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the revocation was lost')), 20_000))]);
        expect(result.state).toBe('REVOKED');
        expect(calls).toContain('submit revoke');
      });
    } finally {
      await connection.close();
    }
  });

  it('an ambiguous start never closes a mandate whose workflow may run; a definite failure frees the client, service and year', async () => {
    const hub = await createTestHub(api);
    const hubRow = (await findHubById(ctx.pool, hub.hubId))!;
    const client = await addClient(api, hub.participant, 'Klant start', {});
    const flaky = (startsAnyway: boolean) =>
      ({
        workflow: {
          async start(workflow: unknown, options: unknown) {
            if (startsAnyway) await ctx.client.workflow.start(workflow as never, options as never);
            throw new Error('14 UNAVAILABLE: the connection was reset');
          },
          getHandle: (workflowId: string) => ctx.client.workflow.getHandle(workflowId),
        },
      }) as unknown as Client;
    const deps = (startsAnyway: boolean) => ({ pool: ctx.pool, temporal: flaky(startsAnyway), taskQueue: ctx.config.temporal.taskQueue });
    const input = { organisationId: client.organisationId, service: 'SBA', year: 2026, confirmLetterName: 'AA Accountants Holding B.V.' };

    // The start reached Temporal, its answer did not: the mandate stays REQUESTED and its workflow sends it.
    const started = await requestMandateService(deps(true), hubRow, input, 'staff test');
    expect(started.state).toBe('REQUESTED');
    await mandateInState(api, hub.participant, started.id, 'ACTIVE');

    // Certainly not started: nothing was sent, and the slot is free again.
    await expect(requestMandateService(deps(false), hubRow, { ...input, year: 2027 }, 'staff test')).rejects.toThrow('UNAVAILABLE');
    const { rows } = await ctx.pool.query<{ id: string; state: string; reason: string }>('SELECT id, state, reason FROM mandates WHERE organisation_id = $1 AND year = 2027', [client.organisationId]);
    expect(rows).toEqual([expect.objectContaining({ state: 'REJECTED', reason: expect.stringContaining('nothing was sent') })]);
    expect((await requestMandate(api, hub.participant, { organisationId: client.organisationId, service: 'SBA', year: 2027 })).statusCode).toBe(202);
  });

  it('a request is never sent for a mandate that moved on (e.g. closed because its workflow seemed not to start)', async () => {
    const hub = await createTestHub(api);
    const client = await addClient(api, hub.participant, 'Klant laat', {});
    const row = await inTransaction(ctx.pool, (db) =>
      createMandateRequest(db, { hubId: hub.hubId, participant: hub.participant, organisationId: client.organisationId, service: 'SBA', year: 2026, continuing: false, requestedBy: 'test', now: new Date() }),
    );
    await ctx.pool.query(`UPDATE mandates SET state = 'REJECTED', reason = 'its workflow could not be started; nothing was sent' WHERE id = $1`, [row.id]);
    // A late workflow's send: the activity looks at the mandate as it is now.
    const activities = createMandateActivities({ pool: ctx.pool, wus: ctx.wus });
    const outcome = (await new MockActivityEnvironment().run(activities.submitMandateMessage, { mandateId: row.id, purpose: 'request' as const })) as SubmitOutcome;
    expect(outcome.view.state).toBe('REJECTED');
    const { rows } = await ctx.pool.query<{ seq: string; delivery_state: string; outcome_reason: string }>('SELECT seq, delivery_state, outcome_reason FROM mandate_messages WHERE mandate_id = $1', [row.id]);
    expect(rows).toEqual([expect.objectContaining({ delivery_state: 'failed', outcome_reason: 'not sent: the mandate is REJECTED (its workflow could not be started; nothing was sent)' })]);
    expect((await mandateDeliveries(hub.participant))[String(rows[0].seq)]).toBeUndefined();
  });
});
