import { buildTestApp } from '../helpers/api';
import { call, callbackReceiver, createTestHub, messageCount, postViaConnector, sendReceiveRunResult, sendReceiveUntil, vatReturnRequest, type Api } from '../helpers/hub';
import { startTestContext, startTestWorker, type TestContext } from '../helpers/temporal';
import { createStaffToken } from '../../api/plugins/auth';
import { fileOutsideTheHub, organisation, simulatorAdmin, vatInstance } from '../helpers/wus';

/**
 * The hub's rules, each refusal naming its rule and leaving stored data as it was: H16, A4, A5, A7, identifiers and
 * boxes, H8, H7, H10/H11, H12, H13, H15.
 */
describe('filing hub rules', () => {
  let ctx: TestContext;
  let api: Api;
  beforeAll(async () => {
    ctx = await startTestContext('rules');
    api = await buildTestApp(ctx);
  });
  afterAll(async () => {
    await api?.app.close();
    await ctx?.close();
  });

  describe('refusals name their rule and store nothing', () => {
    it('H16 e-invoices, A4 blocked types, A5 identifier mismatch, bad identifiers and boxes', async () => {
      const hub = await createTestHub(api);
      const other = await createTestHub(api);
      const before = await messageCount(ctx.pool, hub.hubId);
      const expectRefusal = async (body: unknown, status: number, match: Record<string, unknown>) => {
        const res = await postViaConnector(api, hub, body);
        expect({ status: res.statusCode, ...res.json() }).toMatchObject({ status, ...match });
      };
      await expectRefusal({ ...vatReturnRequest(hub), kind: 'e-invoice' }, 422, { rule: 'H16', message: expect.stringContaining('e-invoice profile') });
      await expectRefusal(
        { ...vatReturnRequest(hub), figures: undefined, instance: '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><ID>1</ID></Invoice>' },
        422,
        { rule: 'H16' },
      );
      // A5: the OB number in the filing belongs to another organisation (of another hub), not to this administration's.
      await expectRefusal(vatReturnRequest(hub, '2026-Q1', { obNumber: other.obNumber }), 422, { rule: 'A5' });
      await expectRefusal(vatReturnRequest(hub, '2026-Q1', { obNumber: '123456789B01' }), 422, { field: 'obNumber', message: expect.stringContaining('11-test') });
      await expectRefusal(vatReturnRequest(hub, '2026-Q5'), 422, { field: 'period' });
      await expectRefusal(vatReturnRequest(hub, '2026-Q1', { figures: { turnover: { '9z': '1' } } }), 422, { field: 'figures.turnover.9z' });
      await expectRefusal(vatReturnRequest(hub, '2026-Q1', { figures: { turnover: { '1a': 'twelve' } } }), 422, { field: 'figures.turnover.1a' });
      await expectRefusal(vatReturnRequest(hub, '2026-Q1', { contact: undefined }), 422, { field: 'contact' });
      // A ready instance that does not reconcile: the box is named.
      const bad = vatInstance(hub.obNumber).toString().replace('>210<', '>211<');
      const refused = await postViaConnector(api, hub, { ...vatReturnRequest(hub), figures: undefined, instance: bad });
      expect(refused.statusCode).toBe(422);
      expect(refused.json().message).toMatch(/box|5a|turnover|missing|required/i);
      // A4: block VAT returns for this hub.
      expect((await call(api, 'PUT', `/api/hubs/${hub.participant}/message-types/vat-return`, { blocked: true })).statusCode).toBe(200);
      await expectRefusal(vatReturnRequest(hub), 409, { rule: 'A4' });
      await call(api, 'PUT', `/api/hubs/${hub.participant}/message-types/vat-return`, { blocked: false });
      expect(await messageCount(ctx.pool, hub.hubId)).toBe(before);
    });

    it('A7: revoked tokens, foreign filings (404) and the sender allowlist', async () => {
      const hub = await createTestHub(api);
      const neighbour = await call(api, 'POST', `/api/hubs/${hub.participant}/administrations`, { name: 'Buurman' });
      const neighbourToken = (await call(api, 'POST', `/api/hubs/${hub.participant}/connector-tokens`, { scope: 'administration', administrationId: neighbour.json().id })).json();
      const posted = await postViaConnector(api, hub, vatReturnRequest(hub));
      expect(posted.statusCode).toBe(202);
      const read = (token: string, ref: string) =>
        api.app.inject({ method: 'GET', url: `/connector/${hub.participant}/messages/${ref}`, headers: { authorization: `Bearer ${token}` } });
      // Another client's token cannot see this filing: 404, exactly like an unknown one.
      expect((await read(neighbourToken.token, String(posted.json().number))).statusCode).toBe(404);
      expect((await read(neighbourToken.token, '999')).statusCode).toBe(404);
      // Revoking one client's token leaves the other working.
      expect((await call(api, 'DELETE', `/api/hubs/${hub.participant}/connector-tokens/${neighbourToken.id}`)).json().revokedAt).toBeTruthy();
      expect((await read(neighbourToken.token, '1')).statusCode).toBe(401);
      expect((await read(hub.connectorToken, String(posted.json().number))).statusCode).toBe(200);
      // A token of this hub does not open another hub.
      const otherHub = await createTestHub(api);
      const cross = await api.app.inject({ method: 'GET', url: `/connector/${otherHub.participant}/messages/1`, headers: { authorization: `Bearer ${hub.connectorToken}` } });
      expect(cross.statusCode).toBe(404);
      // The allowlist: only listed sender addresses may use the connector (inject comes from 127.0.0.1).
      await call(api, 'PATCH', `/api/hubs/${hub.participant}`, { connectorAllowlist: ['10.0.0.0/8'] });
      const blocked = await postViaConnector(api, hub, vatReturnRequest(hub, '2026-Q2'));
      expect(blocked.statusCode).toBe(403);
      expect(blocked.json().rule).toBe('A7');
      await call(api, 'PATCH', `/api/hubs/${hub.participant}`, { connectorAllowlist: ['127.0.0.0/8'] });
      expect((await postViaConnector(api, hub, vatReturnRequest(hub, '2026-Q2'))).statusCode).toBe(202);
    });

    it('staff tokens limited to one hub see only that hub (404 elsewhere)', async () => {
      const mine = await createTestHub(api);
      const theirs = await createTestHub(api);
      const scoped = await createStaffToken(ctx.pool, 'accountant of one firm', mine.hubId);
      const as = (url: string) => api.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${scoped.token}` } });
      expect((await as(`/api/hubs/${mine.participant}/filings`)).statusCode).toBe(200);
      expect((await as(`/api/hubs/${theirs.participant}/filings`)).statusCode).toBe(404);
      expect((await as(`/api/hubs/99999/filings`)).statusCode).toBe(404);
      expect((await as('/api/hubs')).json().map((h: { participantNumber: string }) => h.participantNumber)).toEqual([mine.participant]);
    });
  });

  it('H8: two concurrent send/receive requests give one 202 and one 409', async () => {
    const hub = await createTestHub(api);
    const [a, b] = await Promise.all([
      call(api, 'POST', `/api/hubs/${hub.participant}/send-receive`),
      call(api, 'POST', `/api/hubs/${hub.participant}/send-receive`),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([202, 409]);
    const refused = [a, b].find((r) => r.statusCode === 409)!;
    expect(refused.json()).toMatchObject({ rule: 'H8', message: expect.stringContaining('already running') });
    const started = [a, b].find((r) => r.statusCode === 202)!.json();
    await sendReceiveRunResult(ctx.client, started);
    // Once the run is done, the next one starts; a dead run's lock gives way after 30 minutes.
    expect((await call(api, 'POST', `/api/hubs/${hub.participant}/send-receive`)).statusCode).toBe(202);
    await ctx.pool.query(`UPDATE send_receive_locks SET locked_at = now() - interval '31 minutes', run_id = 'dead' WHERE hub_id = $1`, [hub.hubId]);
    await new Promise((r) => setTimeout(r, 500));
    await ctx.pool.query(`INSERT INTO send_receive_locks (hub_id, run_id, locked_at) VALUES ($1, 'dead', now() - interval '31 minutes') ON CONFLICT (hub_id) DO UPDATE SET run_id = 'dead', locked_at = now() - interval '31 minutes'`, [hub.hubId]);
    expect((await call(api, 'POST', `/api/hubs/${hub.participant}/send-receive`)).statusCode).toBe(202);
  });

  it('H7: a return message that matches no sent message shows as ONB, for a person to resolve', async () => {
    const hub = await createTestHub(api);
    // Someone files for this organisation with the firm's certificate outside the hub.
    const result = { kenmerk: await fileOutsideTheHub(hub.obNumber, 'outside-the-hub') };
    let onb: { number: number; subtype: string; kenmerk: string; statuses: unknown[] }[] = [];
    for (let i = 0; i < 20 && onb.length === 0; i++) {
      const run = await call(api, 'POST', `/api/hubs/${hub.participant}/send-receive`);
      if (run.statusCode === 202) await sendReceiveRunResult(ctx.client, run.json());
      onb = (await call(api, 'GET', `/api/hubs/${hub.participant}/messages?subtype=ONB`)).json();
    }
    expect(onb).toHaveLength(1);
    expect(onb[0]).toMatchObject({ subtype: 'ONB', kenmerk: result.kenmerk, direction: 'incoming' });
    expect(onb[0].statuses.length).toBeGreaterThan(0);
    const log = (await call(api, 'GET', `/api/hubs/${hub.participant}/log?level=F`)).json() as { text: string }[];
    expect(log.some((l) => l.text.includes('ONB') && l.text.includes(result.kenmerk))).toBe(true);
    // A further run does not make a second ONB of it.
    const again = await call(api, 'POST', `/api/hubs/${hub.participant}/send-receive`);
    await sendReceiveRunResult(ctx.client, again.json());
    expect((await call(api, 'GET', `/api/hubs/${hub.participant}/messages?subtype=ONB`)).json()).toHaveLength(1);
    const resolved = await call(api, 'POST', `/api/hubs/${hub.participant}/messages/${onb[0].number}/resolve`, { note: 'filed by the client himself' });
    expect(resolved.json().resolution).toContain('filed by the client himself');
    expect((await call(api, 'GET', `/api/hubs/${hub.participant}/messages?unresolved=true`)).json()).toEqual([]);
  });

  it('H10: a failed version 1 cannot be reset while version 2 exists; version 2 is reset and resent. H13: 210 gets its hint', async () => {
    // The hub files with a certificate the (simulated) service provider does not know: Digipoort answers 210.
    const hub = await createTestHub(api, { certificate: 'willemsen' });
    const v1 = (await postViaConnector(api, hub, vatReturnRequest(hub))).json();
    const failed1 = await sendReceiveUntil(api, hub, v1.number, (f) => f.lifecycle === 70);
    expect(failed1.digipoortStatus).toBe('210');
    const v2 = (await postViaConnector(api, hub, vatReturnRequest(hub, '2026-Q1', { figures: { turnover: { '1a': '20000' }, vat: { '1a': '4200' } } }))).json();
    expect(v2.version).toBe(2);
    await sendReceiveUntil(api, hub, v2.number, (f) => f.lifecycle === 70);

    const log = (await call(api, 'GET', `/api/hubs/${hub.participant}/log?messageNumber=${v1.number}`)).json() as { level: string; text: string }[];
    expect(log.find((l) => l.text.startsWith('Digipoort 210'))).toMatchObject({ level: 'F', text: expect.stringContaining('check which certificate was used') });

    const before = (await call(api, 'GET', `/api/hubs/${hub.participant}/filings/${v1.number}`)).json();
    const refused = await call(api, 'POST', `/api/hubs/${hub.participant}/filings/${v1.number}/reset`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ rule: 'H10', message: expect.stringContaining('only the latest version') });
    expect((await call(api, 'GET', `/api/hubs/${hub.participant}/filings/${v1.number}`)).json()).toMatchObject({ lifecycle: before.lifecycle, deliveryState: before.deliveryState });

    // The service provider now knows the certificate; version 2 is reset and resent, and accepted.
    await simulatorAdmin.register(organisation('willemsen').hrn, 'Omzetbelasting', hub.obNumber);
    const reset = await call(api, 'POST', `/api/hubs/${hub.participant}/filings/${v2.number}/reset`);
    expect(reset.statusCode).toBe(202);
    const final = await sendReceiveUntil(api, hub, v2.number, (f) => f.lifecycle === 80);
    expect(final.digipoortStatus).toBe('500');
    const detail = (await call(api, 'GET', `/api/hubs/${hub.participant}/filings/${v2.number}`)).json();
    expect(detail.aanleverkenmerk).toBe(`FH${hub.participant}-${v2.number}-v2-a2`);
    expect(detail.versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    // A resend is a new Digipoort process: each attempt was accepted exactly once.
    expect(await simulatorAdmin.acceptedCount(`FH${hub.participant}-${v2.number}-v2-a1`)).toBe(1);
    expect(await simulatorAdmin.acceptedCount(`FH${hub.participant}-${v2.number}-v2-a2`)).toBe(1);
    // An accepted filing cannot be reset.
    expect((await call(api, 'POST', `/api/hubs/${hub.participant}/filings/${v2.number}/reset`)).json().rule).toBe('H10');
  });

  it('H10: a reset while the failed run is still telling the administration ends that run and resends', async () => {
    // The administration's callback is down: the failed run keeps retrying it, so it is still running at the reset.
    const callbacks = await callbackReceiver();
    callbacks.failNext(100_000);
    try {
      const hub = await createTestHub(api, { certificate: 'willemsen', callbackUrl: callbacks.url });
      const posted = (await postViaConnector(api, hub, vatReturnRequest(hub))).json();
      await sendReceiveUntil(api, hub, posted.number, (f) => f.lifecycle === 70);
      const handle = ctx.client.workflow.getHandle(`filing-${hub.participant}-${posted.number}`);
      const failedRun = (await handle.describe()).runId;
      expect((await handle.describe()).status.name).toBe('RUNNING');

      await simulatorAdmin.register(organisation('willemsen').hrn, 'Omzetbelasting', hub.obNumber);
      expect((await call(api, 'POST', `/api/hubs/${hub.participant}/filings/${posted.number}/reset`)).statusCode).toBe(202);
      callbacks.failNext(0);
      const final = await sendReceiveUntil(api, hub, posted.number, (f) => f.lifecycle === 80, 60_000);
      expect(final.digipoortStatus).toBe('500');
      expect(await simulatorAdmin.acceptedCount(`FH${hub.participant}-${posted.number}-v1-a2`)).toBe(1);
      expect((await ctx.client.workflow.getHandle(handle.workflowId, failedRun).describe()).status.name).toBe('TERMINATED');
    } finally {
      await callbacks.close();
    }
  }, 120_000);

  it('H11: a version prepared but not yet sent is superseded by a newer one and never sent', async () => {
    const quiet = await startTestContext('rules-quiet', { worker: false });
    const quietApi = await buildTestApp(quiet);
    try {
      const hub = await createTestHub(quietApi);
      const v1 = (await postViaConnector(quietApi, hub, vatReturnRequest(hub))).json();
      const v2 = (await postViaConnector(quietApi, hub, vatReturnRequest(hub, '2026-Q1', { figures: { turnover: { '1a': '500' }, vat: { '1a': '105' } } }))).json();
      const first = (await call(quietApi, 'GET', `/api/hubs/${hub.participant}/filings/${v1.number}`)).json();
      expect(first).toMatchObject({ doNotSend: true, deliveryState: 'superseded' });
      // Now a worker runs: version 1's workflow ends without sending; version 2 goes out.
      const worker = await startTestWorker(quiet.config, { pool: quiet.pool, wus: quiet.wus, temporal: quiet.client, taskQueue: quiet.config.temporal.taskQueue });
      try {
        const state = await quiet.client.workflow.getHandle(`filing-${hub.participant}-${v1.number}`).result();
        expect(state.phase).toBe('superseded');
        await sendReceiveUntil(quietApi, hub, v2.number, (f) => f.lifecycle === 80);
        expect(await simulatorAdmin.acceptedCount(`FH${hub.participant}-${v1.number}-v1-a1`)).toBe(0);
        // Sending it anyway needs a reset, and H10 allows that only for the latest version.
        expect((await call(quietApi, 'POST', `/api/hubs/${hub.participant}/filings/${v1.number}/reset`)).json().rule).toBe('H10');
      } finally {
        await worker.stop();
      }
    } finally {
      await quietApi.app.close();
      await quiet.close();
    }
  });

  it('H12: messages of an administration whose hub is gone are held, then routed', async () => {
    const gone = await createTestHub(api);
    const removed = await call(api, 'DELETE', `/api/hubs/${gone.participant}`);
    expect(removed.statusCode).toBe(200);
    // The administration still sends; nothing is lost: the message is held as needs action.
    const held = await postViaConnector(api, gone, vatReturnRequest(gone));
    expect(held.statusCode).toBe(202);
    expect(held.json()).toMatchObject({ needsAction: true, number: null });
    const list = (await call(api, 'GET', '/api/needs-action')).json() as { id: string; needsActionReason: string }[];
    expect(list.find((m) => m.id === held.json().id)?.needsActionReason).toContain('H12');
    // The organisation is now served by another hub: automatic resolution finds it there.
    const successor = await createTestHub(api, { obNumber: gone.obNumber });
    // A token limited to the old hub may not move the message into another firm's hub (nor can it route there).
    const scoped = await createStaffToken(ctx.pool, 'accountant of the old hub', gone.hubId);
    const byScoped = await api.app.inject({ method: 'POST', url: `/api/needs-action/${held.json().id}/resolve-automatically`, headers: { authorization: `Bearer ${scoped.token}` } });
    expect(byScoped.statusCode).toBe(409);
    expect(byScoped.json()).toMatchObject({ rule: 'H12', message: expect.stringContaining('not one of yours') });
    expect(((await call(api, 'GET', '/api/needs-action')).json() as { id: string; deliveryState: string }[]).find((m) => m.id === held.json().id)?.deliveryState).toBe('held');
    const routed = await call(api, 'POST', `/api/needs-action/${held.json().id}/resolve-automatically`);
    expect(routed.statusCode).toBe(202);
    expect(routed.json()).toMatchObject({ number: 1, deliveryState: 'ready' });
    await sendReceiveUntil(api, successor, 1, (f) => f.lifecycle === 80);
    // A message that was handled correctly cannot be routed again.
    const again = await call(api, 'POST', `/api/needs-action/${held.json().id}/route`, { participant: successor.participant });
    expect(again.statusCode).toBe(404);
  });

  it('H15: cleanup only removes old messages in the allowed statuses, dry run first, always recorded', async () => {
    const hub = await createTestHub(api);
    const accepted = (await postViaConnector(api, hub, vatReturnRequest(hub, '2026-01'))).json();
    await sendReceiveUntil(api, hub, accepted.number, (f) => f.lifecycle === 80);
    const rejectedByClientLater = (await postViaConnector(api, hub, vatReturnRequest(hub, '2026-02'))).json();
    await sendReceiveUntil(api, hub, rejectedByClientLater.number, (f) => f.lifecycle === 80);
    for (let i = 0; i < 40; i++) {
      const { rows } = await ctx.pool.query('SELECT count(*)::int AS n FROM messages WHERE hub_id = $1 AND workflow_closed_at IS NOT NULL', [hub.hubId]);
      if (rows[0].n === 2) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const url = `/api/hubs/${hub.participant}/cleanup`;
    expect((await call(api, 'POST', url, { dryRun: true, olderThanDays: 10 })).json()).toMatchObject({ rule: 'H15' });
    // Nothing is 30 days old yet.
    expect((await call(api, 'POST', url, { dryRun: false })).json()).toMatchObject({ messageCount: 0 });
    // Age both messages (made and last changed 40 days ago); mark the second as rejected (90): not a status cleanup may touch.
    await ctx.pool.query(`UPDATE messages SET created_at = now() - interval '40 days', last_status_change_at = now() - interval '40 days' WHERE hub_id = $1`, [hub.hubId]);
    await ctx.pool.query("UPDATE messages SET lifecycle = 90, last_status_change_at = now() - interval '40 days' WHERE hub_id = $1 AND number = $2", [hub.hubId, rejectedByClientLater.number]);
    const dry = (await call(api, 'POST', url, { dryRun: true })).json();
    expect(dry).toMatchObject({ dryRun: true, messageCount: 1, messageNumbers: [accepted.number] });
    expect(dry.attachmentCount).toBeGreaterThan(0);
    expect((await call(api, 'GET', `/api/hubs/${hub.participant}/filings/${accepted.number}`)).statusCode).toBe(200);
    const real = (await call(api, 'POST', url, { dryRun: false })).json();
    expect(real).toMatchObject({ dryRun: false, messageCount: 1, messageNumbers: [accepted.number] });
    expect((await call(api, 'GET', `/api/hubs/${hub.participant}/filings/${accepted.number}`)).statusCode).toBe(404);
    // The fiscal override cleans fiscal messages without the status check.
    const fiscal = (await call(api, 'POST', url, { dryRun: false, fiscalOverride: true })).json();
    expect(fiscal.messageNumbers).toEqual([rejectedByClientLater.number]);
    const { rows: records } = await ctx.pool.query('SELECT requested_by, dry_run, message_count, message_numbers FROM cleanup_records WHERE hub_id = $1 ORDER BY created_at', [hub.hubId]);
    expect(records.map((r) => [r.dry_run, r.message_count])).toEqual([[false, 0], [true, 1], [false, 1], [false, 1]]);
    expect(records[0].requested_by).toBe('test');
  });
});
