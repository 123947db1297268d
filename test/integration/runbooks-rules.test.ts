import { startRunbook } from '../../api/services/runbooks';
import { findHubById } from '../../db/repositories/hubs';
import { CertificatesAttribute, HubAttribute, RunbookKindAttribute, RunbookProgressAttribute } from '../../workflows/search-attributes';
import { buildTestApp } from '../helpers/api';
import {
  addBecon,
  addClient,
  lettersFor,
  mandate,
  mandateInState,
  requestCollective,
  requestMandate,
  setMandateDay,
  until,
  uploadCertificate,
  type MandateJson,
} from '../helpers/certificates';
import { call, createTestHub, type Api, type TestHub } from '../helpers/hub';
import { startTestContext, type TestContext } from '../helpers/temporal';

/** Runbook mechanics: cancel before confirming changes nothing; a failed step pauses with its reason and is retried; RB3. */
jest.setTimeout(180_000);

describe('runbook pause, retry, cancel and RB3', () => {
  let ctx: TestContext;
  let api: Api;
  let hub: TestHub;
  let holding: string;
  let willemsen: { id: string };
  let client: Awaited<ReturnType<typeof addClient>>;

  beforeAll(async () => {
    ctx = await startTestContext('runbookrules');
    api = await buildTestApp(ctx);
    await setMandateDay(50);
    hub = await createTestHub(api);
    holding = (await call(api, 'GET', `/api/hubs/${hub.participant}/certificate-settings`)).json().workCertificateId;
    willemsen = await uploadCertificate(api, hub.participant, 'willemsen');
    await addBecon(api, hub.participant, '100001', 'Noord');
    await addBecon(api, hub.participant, '200001', 'Willemsen');
    client = await addClient(api, hub.participant, 'Klant W1', { 2026: '200001' });
    const m = await requestMandate(api, hub.participant, { organisationId: client.organisationId, service: 'SBA', year: 2026 });
    await mandateInState(api, hub.participant, m.json().id, 'ACTIVE');
  });
  afterAll(async () => {
    await api?.app.close();
    await ctx?.close();
  });

  const RB1 = () => ({ kind: 'RB1', groups: [{ name: 'Willemsen', certificateId: willemsen.id, beconNumbers: ['200001'] }] });
  const runbook = async (id: string) => (await call(api, 'GET', `/api/hubs/${hub.participant}/runbooks/${id}`)).json();
  const inPhase = (id: string, phase: string) =>
    until(`runbook ${id} ${phase}`, async () => {
      const r = await runbook(id);
      return r.phase === phase ? r : undefined;
    }, 120_000);
  const start = async (body: unknown) => {
    const res = await call(api, 'POST', `/api/hubs/${hub.participant}/runbooks`, body);
    expect(res.statusCode).toBe(202);
    return res.json().id as string;
  };
  const mandates = async () => (await call(api, 'GET', `/api/hubs/${hub.participant}/mandates`)).json() as MandateJson[];
  const steer = (id: string, action: string) => call(api, 'POST', `/api/hubs/${hub.participant}/runbooks/${id}/${action}`);

  it('cancelled before confirmation: nothing changed and the certificates are free again', async () => {
    const before = { mandates: await mandates(), groups: (await call(api, 'GET', `/api/hubs/${hub.participant}/certificate-groups`)).json() };
    const id = await start(RB1());
    await inPhase(id, 'awaiting-confirmation');
    expect((await steer(id, 'retry')).json()).toMatchObject({ rule: 'RB1' });
    expect((await steer(id, 'cancel')).statusCode).toBe(202);
    const cancelled = await inPhase(id, 'cancelled');
    expect(cancelled.steps.every((s: { state: string }) => s.state === 'pending')).toBe(true);
    expect({ mandates: await mandates(), groups: (await call(api, 'GET', `/api/hubs/${hub.participant}/certificate-groups`)).json() }).toEqual(before);
    expect((await ctx.pool.query('SELECT count(*)::int AS n FROM runbook_locks WHERE runbook_id = $1', [id])).rows[0].n).toBe(0);
    expect((await steer(id, 'confirm')).json()).toMatchObject({ rule: 'RB1' });
  });

  it('a failed step pauses the runbook with its reason; after the cause is fixed, retry completes it', async () => {
    const id = await start(RB1());
    await inPhase(id, 'awaiting-confirmation');
    // The staff API does not change a client in the plan of a runbook that waits for confirmation (its plan would go
    // stale) and stores nothing.
    const locked = await call(api, 'PUT', `/api/hubs/${hub.participant}/clients/${client.organisationId}/master-data/2027`, { beconNumber: '100001' });
    expect(locked.statusCode).toBe(409);
    expect(locked.json()).toMatchObject({ rule: 'RB', message: expect.stringContaining(`runbook ${id}`) });
    expect((await ctx.pool.query('SELECT count(*)::int AS n FROM client_master_data WHERE organisation_id = $1 AND year = 2027', [client.organisationId])).rows[0].n).toBe(0);
    // Another writer does (straight into the database): the client's latest year moves to another Becon (C4), and
    // the plan no longer holds.
    await ctx.pool.query(
      `INSERT INTO client_master_data (organisation_id, year, becon_id) SELECT $1, 2027, id FROM becons WHERE hub_id = $2 AND number = '100001'`,
      [client.organisationId, hub.hubId],
    );
    expect((await steer(id, 'confirm')).statusCode).toBe(202);
    const paused = await inPhase(id, 'paused');
    const failed = paused.steps.find((s: { state: string }) => s.state === 'failed');
    expect(failed).toMatchObject({ key: 'client-becons', reason: expect.stringContaining('C4') });
    expect(failed.reason).toContain('Klant W1');
    expect(paused.reason).toMatch(/^step 6 .* failed: /);
    expect(paused.progress).toBe(71);
    const details = (await ctx.client.workflow.getHandle(paused.workflowId).query('__temporal_workflow_metadata')) as { currentDetails?: string };
    expect(details.currentDetails).toContain('- [!] 6. Make sure each affected client has the right Becon');
    expect((await steer(id, 'confirm')).json()).toMatchObject({ rule: 'RB1' });

    // Paused: staff may fix the cause through the API.
    expect((await call(api, 'PUT', `/api/hubs/${hub.participant}/clients/${client.organisationId}/master-data/2027`, { beconNumber: '200001' })).statusCode).toBe(200);
    expect((await steer(id, 'retry')).statusCode).toBe(202);
    const done = await inPhase(id, 'completed');
    expect(done.steps.map((s: { state: string }) => s.state)).toEqual(Array(7).fill('done'));
    const open = (await mandates()).filter((m) => ['REQUESTED', 'ONTVANGEN', 'ACTIVE'].includes(m.state));
    expect(open).toEqual([expect.objectContaining({ organisationId: client.organisationId, certificateId: willemsen.id, runbookId: id })]);
    expect((await steer(id, 'retry')).statusCode).toBe(409);
  });

  it('RB3 removes Willemsen: its clients go back to the work certificate, their mandates requested again with it', async () => {
    const id = await start({ kind: 'RB3', certificateId: willemsen.id });
    const planned = await inPhase(id, 'awaiting-confirmation');
    expect(planned.plan.mandatesToRevoke).toHaveLength(1);
    expect(planned.plan.becons).toEqual([{ number: '200001', groupBefore: 'Willemsen', groupAfter: null }]);
    expect((await steer(id, 'confirm')).statusCode).toBe(202);
    await inPhase(id, 'completed');
    const open = (await mandates()).filter((m) => ['REQUESTED', 'ONTVANGEN', 'ACTIVE'].includes(m.state));
    expect(open).toEqual([expect.objectContaining({ organisationId: client.organisationId, certificateId: holding })]);
    expect((await call(api, 'GET', `/api/hubs/${hub.participant}/certificates/${willemsen.id}`)).statusCode).toBe(404);
    expect((await call(api, 'GET', `/api/hubs/${hub.participant}/certificate-choice?organisationId=${client.organisationId}`)).json()).toMatchObject({ certificateId: holding, via: 'work' });
  });

  // --- the runbook's locks and plan hold against the rest of the staff API (each on a hub of its own) ---------------

  const on = (h: TestHub) => ({
    get: async (id: string) => (await call(api, 'GET', `/api/hubs/${h.participant}/runbooks/${id}`)).json(),
    inPhase: (id: string, phase: string) =>
      until(`runbook ${id} ${phase}`, async () => {
        const r = (await call(api, 'GET', `/api/hubs/${h.participant}/runbooks/${id}`)).json();
        if (phase !== 'failed' && r.phase === 'failed') throw new Error(`runbook failed: ${r.reason}`);
        return r.phase === phase ? r : undefined;
      }, 120_000),
    start: async (body: unknown) => {
      const res = await call(api, 'POST', `/api/hubs/${h.participant}/runbooks`, body);
      expect(res.statusCode).toBe(202);
      return res.json().id as string;
    },
    steer: (id: string, action: string) => call(api, 'POST', `/api/hubs/${h.participant}/runbooks/${id}/${action}`),
  });

  let lockHub: TestHub;
  const lockHubCerts: Record<string, string> = {};
  let lockGroupId = '';

  it('RB: while a runbook may still act on its plan, the staff API refuses changes that touch its certificates or clients, and nothing changes', async () => {
    lockHub = await createTestHub(api);
    const p = lockHub.participant;
    lockHubCerts.holding = (await call(api, 'GET', `/api/hubs/${p}/certificate-settings`)).json().workCertificateId;
    lockHubCerts.willemsen = (await uploadCertificate(api, p, 'willemsen')).id;
    lockHubCerts.jansen = (await uploadCertificate(api, p, 'jansen')).id;
    await call(api, 'PUT', `/api/hubs/${p}/certificate-settings/multi-certificate`, { enabled: true });
    lockGroupId = (await call(api, 'POST', `/api/hubs/${p}/certificate-groups`, { name: 'Willemsen', certificateId: lockHubCerts.willemsen })).json().id;
    await addBecon(api, p, '100001', 'Noord');
    await addBecon(api, p, '200001', 'Willemsen');
    await call(api, 'PUT', `/api/hubs/${p}/becons/200001`, { groupName: 'Willemsen' });
    const moving = await addClient(api, p, 'Klant verhuist', { 2026: '200001' });
    const staying = await addClient(api, p, 'Klant blijft', { 2026: '100001' });
    const snapshot = async () => {
      const q = async (sql: string) => (await ctx.pool.query(sql, [lockHub.hubId])).rows;
      return {
        certificates: await q('SELECT id, is_work_certificate FROM certificates WHERE hub_id = $1 AND deleted_at IS NULL ORDER BY id'),
        groups: await q('SELECT name, certificate_id FROM certificate_groups WHERE hub_id = $1 ORDER BY name'),
        becons: await q('SELECT number, group_id FROM becons WHERE hub_id = $1 ORDER BY number'),
        masterData: await q('SELECT m.organisation_id, m.year, m.becon_id FROM client_master_data m JOIN organisations o ON o.id = m.organisation_id WHERE o.hub_id = $1 ORDER BY 1, 2'),
        mandates: await q('SELECT id FROM mandates WHERE hub_id = $1'),
      };
    };

    const rb = on(lockHub);
    const id = await rb.start({ kind: 'RB5', certificateId: lockHubCerts.willemsen, newCertificateId: lockHubCerts.jansen });
    await rb.inPhase(id, 'awaiting-confirmation');
    const before = await snapshot();
    const refusals = {
      'POST certificate-groups': await call(api, 'POST', `/api/hubs/${p}/certificate-groups`, { name: 'Nieuw', certificateId: lockHubCerts.jansen }),
      'PUT certificate-groups': await call(api, 'PUT', `/api/hubs/${p}/certificate-groups/${lockGroupId}/certificate`, { certificateId: null }),
      'PUT work-certificate': await call(api, 'PUT', `/api/hubs/${p}/certificate-settings/work-certificate`, { certificateId: lockHubCerts.jansen }),
      'PUT becons': await call(api, 'PUT', `/api/hubs/${p}/becons/200001`, { groupName: null }),
      'PUT master-data': await call(api, 'PUT', `/api/hubs/${p}/clients/${moving.organisationId}/master-data/2027`, { beconNumber: '100001' }),
      'POST mandates (moving client)': await call(api, 'POST', `/api/hubs/${p}/mandates`, { organisationId: moving.organisationId, service: 'SBA', year: 2026, confirmLetterName: 'Accountantskantoor Willemsen B.V.' }),
      'POST mandates (work certificate)': await call(api, 'POST', `/api/hubs/${p}/mandates`, { organisationId: staying.organisationId, service: 'SBA', year: 2026, confirmLetterName: 'AA Accountants Holding B.V.' }),
    };
    for (const [what, res] of Object.entries(refusals)) {
      expect({ what, status: res.statusCode, rule: res.json().rule }).toEqual({ what, status: 409, rule: 'RB' });
      expect(res.json().message).toContain(`runbook ${id}`);
    }
    // A change that touches none of its certificates goes ahead.
    expect((await call(api, 'PUT', `/api/hubs/${p}/becons/100001`, { name: 'Noord (nieuw)' })).statusCode).toBe(200);
    expect(await snapshot()).toEqual(before);

    expect((await rb.steer(id, 'cancel')).statusCode).toBe(202);
    await rb.inPhase(id, 'cancelled');
    expect((await call(api, 'POST', `/api/hubs/${p}/certificate-groups`, { name: 'Nieuw', certificateId: lockHubCerts.jansen })).statusCode).toBe(201);
  });

  it('RB3 checks again right before deleting: something new that uses the certificate pauses the step, nothing is deleted', async () => {
    const p = lockHub.participant;
    const rb = on(lockHub);
    const id = await rb.start({ kind: 'RB3', certificateId: lockHubCerts.willemsen });
    const planned = await rb.inPhase(id, 'awaiting-confirmation');
    expect(planned.plan.becons).toEqual([{ number: '200001', groupBefore: 'Willemsen', groupAfter: null }]);
    // Another writer (not the staff API, which refuses it now) points a second Becon at the certificate's group.
    await ctx.pool.query(`UPDATE becons SET group_id = $2 WHERE hub_id = $1 AND number = '100001'`, [lockHub.hubId, lockGroupId]);
    expect((await rb.steer(id, 'confirm')).statusCode).toBe(202);
    const paused = await rb.inPhase(id, 'paused');
    const failed = paused.steps.find((s: { state: string }) => s.state === 'failed');
    expect(failed).toMatchObject({ key: 'delete-certificate', reason: expect.stringMatching(/^RB3: certificate ".*" is still in use by group "Willemsen" \(Becon 100001/) });
    expect((await call(api, 'GET', `/api/hubs/${p}/certificates/${lockHubCerts.willemsen}`)).statusCode).toBe(200);
    expect((await ctx.pool.query('SELECT certificate_id FROM certificate_groups WHERE id = $1', [lockGroupId])).rows[0].certificate_id).toBe(lockHubCerts.willemsen);

    // Paused: staff move that Becon away through the API, and the retry deletes it.
    expect((await call(api, 'PUT', `/api/hubs/${p}/becons/100001`, { groupName: null })).statusCode).toBe(200);
    expect((await rb.steer(id, 'retry')).statusCode).toBe(202);
    await rb.inPhase(id, 'completed');
    expect((await call(api, 'GET', `/api/hubs/${p}/certificates/${lockHubCerts.willemsen}`)).statusCode).toBe(404);
  });

  it('a runbook whose workflow no longer runs (terminated, or never started) has its locks released by staff; never while it runs', async () => {
    const p = lockHub.participant;
    const rb = on(lockHub);
    const id = await rb.start({ kind: 'RB3', certificateId: lockHubCerts.jansen });
    const planned = await rb.inPhase(id, 'awaiting-confirmation');
    const running = await rb.steer(id, 'release');
    expect(running.statusCode).toBe(409);
    expect(running.json().message).toContain('still running');
    await ctx.client.workflow.getHandle(planned.workflowId).terminate('operator test');
    const released = await rb.steer(id, 'release');
    expect(released.statusCode).toBe(200);
    expect(released.json()).toMatchObject({ phase: 'failed', reason: expect.stringContaining('its workflow is terminated') });
    expect((await ctx.pool.query('SELECT count(*)::int AS n FROM runbook_locks WHERE runbook_id = $1', [id])).rows[0].n).toBe(0);
    expect((await rb.steer(id, 'release')).statusCode).toBe(409);

    // A crash between storing a runbook and starting its workflow: its locks refuse changes until released.
    const { rows } = await ctx.pool.query<{ id: string }>(
      `INSERT INTO runbooks (hub_id, kind, primary_certificate_id, certificate_ids, input, phase, workflow_id, created_by)
       VALUES ($1, 'RB3', $2, ARRAY[$2]::uuid[], $3, 'planning', $4, 'staff test') RETURNING id`,
      [lockHub.hubId, lockHubCerts.jansen, JSON.stringify({ kind: 'RB3', certificateId: lockHubCerts.jansen }), `certificate-runbook-${p}-orphan-${Date.now()}`],
    );
    await ctx.pool.query('INSERT INTO runbook_locks (certificate_id, runbook_id) VALUES ($1, $2)', [lockHubCerts.jansen, rows[0].id]);
    const blocked = await call(api, 'PUT', `/api/hubs/${p}/certificate-groups/${lockGroupId}/certificate`, { certificateId: lockHubCerts.jansen });
    expect(blocked.json()).toMatchObject({ rule: 'RB', message: expect.stringContaining(`runbook ${rows[0].id}`) });
    const orphan = await rb.steer(rows[0].id, 'release');
    expect(orphan.statusCode).toBe(200);
    expect(orphan.json()).toMatchObject({ phase: 'failed', reason: expect.stringContaining('not found') });
    const again = await rb.start({ kind: 'RB3', certificateId: lockHubCerts.jansen });
    await rb.inPhase(again, 'awaiting-confirmation');
    expect((await rb.steer(again, 'cancel')).statusCode).toBe(202);
  });

  it('a long runbook continues as new between batches of mandates: progress, query, details and search attributes carry on', async () => {
    const h = await createTestHub(api);
    const p = h.participant;
    const holdingId = (await call(api, 'GET', `/api/hubs/${p}/certificate-settings`)).json().workCertificateId as string;
    const w = await uploadCertificate(api, p, 'willemsen');
    await addBecon(api, p, '200001', 'Willemsen');
    const clients = [];
    for (let i = 1; i <= 5; i++) clients.push(await addClient(api, p, `Klant lang ${i}`, { 2026: '200001' }));
    const collective = await requestCollective(api, p, { organisationIds: clients.map((c) => c.organisationId), service: 'SBA', year: 2026 });
    expect(collective.json().refused).toEqual([]);
    for (const m of collective.json().requested as MandateJson[]) await mandateInState(api, p, m.id, 'ACTIVE');

    const hubRow = (await findHubById(ctx.pool, h.hubId))!;
    const started = await startRunbook(
      { pool: ctx.pool, temporal: ctx.client, taskQueue: ctx.config.temporal.taskQueue },
      hubRow,
      { kind: 'RB1', groups: [{ name: 'Willemsen', certificateId: w.id, beconNumbers: ['200001'] }] },
      'staff test',
      { historyLimit: 40 },
    );
    const rb = on(h);
    await rb.inPhase(started.id, 'awaiting-confirmation');
    expect((await rb.steer(started.id, 'confirm')).statusCode).toBe(202);
    const done = await rb.inPhase(started.id, 'completed');
    expect(done.steps.map((s: { state: string }) => s.state)).toEqual(Array(7).fill('done'));
    expect(done.steps.find((s: { key: string }) => s.key === 'revoke-mandates').detail).toBe('5 mandate(s) revoked');
    expect(done.steps.find((s: { key: string }) => s.key === 'request-mandates').detail).toBe('5 mandate(s) requested');
    // The counts per mandate step, carried across continue-as-new.
    expect(done.steps.find((s: { key: string }) => s.key === 'revoke-mandates').counts).toEqual({ done: 5, total: 5, what: 'revoked' });
    expect(done.steps.find((s: { key: string }) => s.key === 'request-mandates').counts).toEqual({ done: 5, total: 5, what: 'requested' });
    expect(done.progress).toBe(100);

    // Several runs under one workflow id; the latest answers the query and carries the details and search attributes.
    const handle = ctx.client.workflow.getHandle(started.workflowId);
    const description = await handle.describe();
    const { rows } = await ctx.pool.query<{ workflow_run_id: string }>('SELECT workflow_run_id FROM runbooks WHERE id = $1', [started.id]);
    expect(description.runId).not.toBe(rows[0].workflow_run_id);
    expect(description.raw.workflowExecutionInfo?.firstRunId).toBe(rows[0].workflow_run_id);
    expect((await handle.query<{ phase: string; progress: number }>('runbookProgress'))).toMatchObject({ phase: 'completed', progress: 100 });
    expect(((await handle.query('__temporal_workflow_metadata')) as { currentDetails?: string }).currentDetails).toContain('**RB1 — From one certificate to several** (completed, 100%)');
    expect(description.typedSearchAttributes.get(RunbookKindAttribute)).toBe('RB1');
    expect(description.typedSearchAttributes.get(RunbookProgressAttribute)).toBe(100);
    expect(description.typedSearchAttributes.get(HubAttribute)).toBe(p);
    expect([...(description.typedSearchAttributes.get(CertificatesAttribute) ?? [])].sort()).toEqual([holdingId, w.id].sort());

    // Every mandate moved exactly once.
    const all = (await call(api, 'GET', `/api/hubs/${p}/mandates`)).json() as MandateJson[];
    const open = all.filter((m) => ['REQUESTED', 'ONTVANGEN', 'ACTIVE'].includes(m.state));
    expect(open.map((m) => m.organisationId).sort()).toEqual(clients.map((c) => c.organisationId).sort());
    expect(open.every((m) => m.certificateId === w.id && m.runbookId === started.id)).toBe(true);
    expect(all.filter((m) => m.state === 'REVOKED')).toHaveLength(5);
  });

  it('RB4: the mandates and their messages follow the renewed certificate, so the old one can go and the mandate is still followed', async () => {
    const h = await createTestHub(api);
    const p = h.participant;
    const old = (await call(api, 'GET', `/api/hubs/${p}/certificate-settings`)).json().workCertificateId as string;
    // The renewal with the same KvK number, lasting longer (RB4 refuses one that does not): a copy of the holding's
    // file under another fingerprint.
    const { rows: renewed } = await ctx.pool.query<{ id: string }>(
      `INSERT INTO certificates (hub_id, label, key_id, sealed, subject, subject_serial_number, kvk_number, organisation_name, issuer, serial_number,
         fingerprint256, valid_from, valid_to, letter_name)
       SELECT hub_id, label || ' (renewed)', key_id, sealed, subject, subject_serial_number, kvk_number, organisation_name, issuer, serial_number || '01',
              'renewed-' || fingerprint256, valid_from, valid_to + interval '1 day', letter_name FROM certificates WHERE id = $1 RETURNING id`,
      [old],
    );
    const client = await addClient(api, p, 'Klant VIA vernieuwd', {});
    const created = await requestMandate(api, p, { organisationId: client.organisationId, service: 'VIA', year: 2026 });
    const id = created.json().id as string;
    await mandateInState(api, p, id, 'ONTVANGEN');

    const rb = on(h);
    const runbookId = await rb.start({ kind: 'RB4', certificateId: old, newCertificateId: renewed[0].id });
    await rb.inPhase(runbookId, 'awaiting-confirmation');
    expect((await rb.steer(runbookId, 'confirm')).statusCode).toBe(202);
    await rb.inPhase(runbookId, 'completed');
    const moved = await mandate(api, p, id);
    expect(moved.certificateId).toBe(renewed[0].id);
    expect(moved.messages.map((m) => m.certificateId)).toEqual([renewed[0].id]);

    // Nothing uses the old certificate any more: it goes, and the mandate is still followed with the renewed one.
    expect((await call(api, 'DELETE', `/api/hubs/${p}/certificates/${old}`)).statusCode).toBe(204);
    ctx.wus.evict(old);
    const [letter] = await lettersFor(client.fiscalNumber);
    expect((await call(api, 'POST', `/api/hubs/${p}/mandates/${id}/activate`, { activationCode: letter.letter!.activeringscode! })).statusCode).toBe(202);
    const active = await mandateInState(api, p, id, 'ACTIVE');
    expect(active.checkProblem).toBeNull();
    expect(active.messages.every((m) => m.deliveryState === 'submitted' && m.certificateId === renewed[0].id)).toBe(true);
  });
});
