import { buildTestApp } from '../helpers/api';
import { addBecon, addClient, mandateInState, requestMandate, setMandateDay, signerOf, until, uploadCertificate } from '../helpers/certificates';
import { call, createTestHub, postViaConnector, vatReturnRequest, type Api, type TestHub } from '../helpers/hub';
import { startTestContext, type TestContext } from '../helpers/temporal';
import { organisation, simulatorAdmin } from '../helpers/wus';

/**
 * C1, C2, C5 and certificate deletion through the API: every refusal names its rule and leaves the stored data as it
 * was.
 */
describe('certificate rules', () => {
  let ctx: TestContext;
  let api: Api;
  beforeAll(async () => {
    ctx = await startTestContext('certrules');
    api = await buildTestApp(ctx);
    await setMandateDay(50);
  });
  afterAll(async () => {
    await api?.app.close();
    await ctx?.close();
  });

  async function snapshot(hub: TestHub) {
    const q = async (sql: string) => (await ctx.pool.query(sql, [hub.hubId])).rows;
    return {
      hub: await q('SELECT multi_certificate, certificate_mode FROM hubs WHERE id = $1'),
      certificates: await q('SELECT id, is_work_certificate, is_service_provider, letter_name, deleted_at FROM certificates WHERE hub_id = $1 ORDER BY id'),
      groups: await q('SELECT id, name, certificate_id FROM certificate_groups WHERE hub_id = $1 ORDER BY id'),
      becons: await q('SELECT number, group_id FROM becons WHERE hub_id = $1 ORDER BY number'),
      runbooks: await q('SELECT id FROM runbooks WHERE hub_id = $1'),
      locks: await q('SELECT l.certificate_id FROM runbook_locks l JOIN certificates c ON c.id = l.certificate_id WHERE c.hub_id = $1'),
    };
  }

  const workCertificateOf = async (hub: TestHub) => ((await call(api, 'GET', `/api/hubs/${hub.participant}/certificate-settings`)).json() as { workCertificateId: string }).workCertificateId;

  it('C2: putting the work certificate in a group is refused with "Invalid certificate specified", and nothing changes', async () => {
    const hub = await createTestHub(api);
    const holding = await workCertificateOf(hub);
    const willemsen = await uploadCertificate(api, hub.participant, 'willemsen');
    const groups = `/api/hubs/${hub.participant}/certificate-groups`;

    // C1: groups only once several certificates is switched on.
    const off = await call(api, 'POST', groups, { name: 'Willemsen', certificateId: willemsen.id });
    expect(off.json()).toMatchObject({ rule: 'C1' });
    expect((await call(api, 'PUT', `/api/hubs/${hub.participant}/certificate-settings/multi-certificate`, { enabled: true })).statusCode).toBe(200);
    const group = await call(api, 'POST', groups, { name: 'Willemsen', certificateId: willemsen.id });
    expect(group.statusCode).toBe(201);
    await addBecon(api, hub.participant, '200001', 'Willemsen');
    expect((await call(api, 'PUT', `/api/hubs/${hub.participant}/becons/200001`, { groupName: 'Willemsen' })).json()).toMatchObject({ groupName: 'Willemsen' });

    const before = await snapshot(hub);
    const refusals = [
      await call(api, 'POST', groups, { name: 'Holding', certificateId: holding }),
      await call(api, 'PUT', `${groups}/${group.json().id}/certificate`, { certificateId: holding }),
      await call(api, 'PUT', `/api/hubs/${hub.participant}/certificate-settings/work-certificate`, { certificateId: willemsen.id }),
      await call(api, 'POST', `/api/hubs/${hub.participant}/runbooks`, { kind: 'RB1', groups: [{ name: 'Holding', certificateId: holding, beconNumbers: ['200001'] }] }),
    ];
    for (const res of refusals) {
      expect({ status: res.statusCode, rule: res.json().rule }).toEqual({ status: 422, rule: 'C2' });
      expect(res.json().message).toContain('Invalid certificate specified');
    }
    expect(await snapshot(hub)).toEqual(before);
    // The database refuses it as well, whoever writes.
    await expect(ctx.pool.query('UPDATE certificate_groups SET certificate_id = $1 WHERE id = $2', [holding, group.json().id])).rejects.toThrow(/C2: Invalid certificate specified/);
    expect(await snapshot(hub)).toEqual(before);
  });

  it('a certificate in use is not deleted; the refusal names its users (RB3); an unused one is', async () => {
    const hub = await createTestHub(api);
    const holding = await workCertificateOf(hub);
    const willemsen = await uploadCertificate(api, hub.participant, 'willemsen');
    const spare = await uploadCertificate(api, hub.participant, 'jansen');
    await call(api, 'PUT', `/api/hubs/${hub.participant}/certificate-settings/multi-certificate`, { enabled: true });
    await call(api, 'POST', `/api/hubs/${hub.participant}/certificate-groups`, { name: 'Willemsen', certificateId: willemsen.id });
    await addBecon(api, hub.participant, '200001', 'Willemsen');
    await call(api, 'PUT', `/api/hubs/${hub.participant}/becons/200001`, { groupName: 'Willemsen' });
    const client = await addClient(api, hub.participant, 'Klant Willemsen', { 2026: '200001' });
    const requested = await call(api, 'POST', `/api/hubs/${hub.participant}/mandates`, { organisationId: client.organisationId, service: 'SBA', year: 2026, dryRun: true });
    expect(requested.json()).toMatchObject({ certificateId: willemsen.id, letterName: 'Accountantskantoor Willemsen B.V.' });
    const m = await requestMandate(api, hub.participant, { organisationId: client.organisationId, service: 'SBA', year: 2026 });
    // Open either way: the simulated objection period (26 × 50 ms) may end before the hub reads the register's answer.
    await mandateInState(api, hub.participant, m.json().id, ['ONTVANGEN', 'ACTIVE']);

    const before = await snapshot(hub);
    const work = await call(api, 'DELETE', `/api/hubs/${hub.participant}/certificates/${holding}`);
    expect(work.statusCode).toBe(409);
    expect(work.json()).toMatchObject({ rule: 'RB3', message: expect.stringContaining('the hub (it is the work certificate)') });
    const grouped = await call(api, 'DELETE', `/api/hubs/${hub.participant}/certificates/${willemsen.id}`);
    expect(grouped.statusCode).toBe(409);
    expect(grouped.json().rule).toBe('RB3');
    expect(grouped.json().message).toContain('group "Willemsen" (Becon 200001; 1 client)');
    expect(grouped.json().message).toContain('1 open mandate');
    // Its request message is still followed with it (status checks need the certificate).
    expect(grouped.json().message).toContain('1 message being sent');
    expect(await snapshot(hub)).toEqual(before);

    expect((await call(api, 'DELETE', `/api/hubs/${hub.participant}/certificates/${spare.id}`)).statusCode).toBe(204);
    const listed = (await call(api, 'GET', `/api/hubs/${hub.participant}/certificates`)).json() as { id: string }[];
    expect(listed.map((c) => c.id).sort()).toEqual([holding, willemsen.id].sort());
    expect((await call(api, 'DELETE', `/api/hubs/${hub.participant}/certificates/${spare.id}`)).statusCode).toBe(404);
  });

  it("C5: an administration that files with the service provider's certificate is signed with it, as Bedrijf", async () => {
    const hub = await createTestHub(api);
    const provider = organisation('servicebureau');
    await simulatorAdmin.register(provider.hrn);
    // C5: no provider's certificate yet.
    const early = await call(api, 'PUT', `/api/hubs/${hub.participant}/administrations/${hub.administrationId}/certificate-mode`, { mode: 'service-provider' });
    expect(early.json()).toMatchObject({ rule: 'C5' });
    const uploaded = await uploadCertificate(api, hub.participant, 'servicebureau', { serviceProvider: true });
    const second = await call(api, 'POST', `/api/hubs/${hub.participant}/certificates`, { label: 'x', pkcs12: 'AAAA', passphrase: 'x', serviceProvider: true, workCertificate: true });
    expect(second.json()).toMatchObject({ rule: 'C5' });
    expect((await call(api, 'PUT', `/api/hubs/${hub.participant}/administrations/${hub.administrationId}/certificate-mode`, { mode: 'service-provider' })).statusCode).toBe(200);
    const choice = await call(api, 'GET', `/api/hubs/${hub.participant}/certificate-choice?administrationId=${hub.administrationId}`);
    expect(choice.json()).toMatchObject({ certificateId: uploaded.id, role: 'Bedrijf', via: 'service-provider' });

    const posted = await postViaConnector(api, hub, vatReturnRequest(hub));
    expect(posted.statusCode).toBe(202);
    const sent = await until('the filing to be sent', async () => {
      const { rows } = await ctx.pool.query<{ aanleverkenmerk: string; role: string; delivery_state: string }>('SELECT aanleverkenmerk, role, delivery_state FROM messages WHERE hub_id = $1 AND number = 1', [hub.hubId]);
      return rows[0]?.delivery_state === 'submitted' ? rows[0] : undefined;
    });
    expect(sent.role).toBe('Bedrijf');
    expect((await signerOf(sent.aanleverkenmerk)).senderFingerprint).toBe(uploaded.fingerprint256);
  });

  it('C2 in the database: two transactions changing either side cannot together put the work certificate in a group', async () => {
    const hub = await createTestHub(api);
    const holding = await workCertificateOf(hub);
    const willemsen = await uploadCertificate(api, hub.participant, 'willemsen');
    await call(api, 'PUT', `/api/hubs/${hub.participant}/certificate-settings/multi-certificate`, { enabled: true });
    const group = (await call(api, 'POST', `/api/hubs/${hub.participant}/certificate-groups`, { name: 'Leeg' })).json() as { id: string };
    const a = await ctx.pool.connect();
    const b = await ctx.pool.connect();
    try {
      await a.query('BEGIN');
      await b.query('BEGIN');
      await a.query('UPDATE certificates SET is_work_certificate = false WHERE id = $1', [holding]);
      await a.query('UPDATE certificates SET is_work_certificate = true WHERE id = $1', [willemsen.id]);
      // B's check waits for A instead of reading past A's uncommitted change (write skew).
      const second = b.query('UPDATE certificate_groups SET certificate_id = $1 WHERE id = $2', [willemsen.id, group.id]).then(
        () => 'stored',
        (err: Error) => err.message,
      );
      await new Promise((r) => setTimeout(r, 500));
      await a.query('COMMIT');
      expect(await second).toMatch(/^C2: Invalid certificate specified/);
      await b.query('ROLLBACK');
    } finally {
      a.release();
      b.release();
    }
    const { rows } = await ctx.pool.query('SELECT g.id FROM certificate_groups g JOIN certificates c ON c.id = g.certificate_id WHERE c.is_work_certificate AND c.hub_id = $1', [hub.hubId]);
    expect(rows).toEqual([]);

    // The trigger's refusal reaches the caller as the rule (422 C2), not as a 500: here a group of another hub holds
    // the certificate, which this hub's own check cannot see.
    const other = await createTestHub(api);
    await ctx.pool.query('INSERT INTO certificate_groups (hub_id, name, certificate_id) VALUES ($1, $2, $3)', [other.hubId, 'Vreemd', holding]);
    try {
      const before = await snapshot(hub);
      const refused = await call(api, 'PUT', `/api/hubs/${hub.participant}/certificate-settings/work-certificate`, { certificateId: holding });
      expect({ status: refused.statusCode, rule: refused.json().rule }).toEqual({ status: 422, rule: 'C2' });
      expect(refused.json().message).toContain('Invalid certificate specified');
      expect(await snapshot(hub)).toEqual(before);
    } finally {
      await ctx.pool.query('DELETE FROM certificate_groups WHERE hub_id = $1', [other.hubId]);
    }
  });

  it('C7: an expired certificate is not put in a group or made the work certificate; the choice preview only for this hub\'s clients', async () => {
    const hub = await createTestHub(api);
    const expired = await uploadCertificate(api, hub.participant, 'expired');
    await call(api, 'PUT', `/api/hubs/${hub.participant}/certificate-settings/multi-certificate`, { enabled: true });
    const before = await snapshot(hub);
    const refusals = [
      await call(api, 'POST', `/api/hubs/${hub.participant}/certificate-groups`, { name: 'Verlopen', certificateId: expired.id }),
      await call(api, 'PUT', `/api/hubs/${hub.participant}/certificate-settings/work-certificate`, { certificateId: expired.id }),
    ];
    for (const res of refusals) {
      expect({ status: res.statusCode, rule: res.json().rule }).toEqual({ status: 409, rule: 'C7' });
      expect(res.json().message).toContain('expired');
    }
    expect(await snapshot(hub)).toEqual(before);
    const other = await createTestHub(api);
    expect((await call(api, 'GET', `/api/hubs/${hub.participant}/certificate-choice?organisationId=${other.organisationId}`)).statusCode).toBe(404);
    expect((await call(api, 'GET', `/api/hubs/${hub.participant}/certificate-choice?organisationId=${hub.organisationId}`)).statusCode).toBe(200);
  });

  it("A3: the client portal and a service provider's certificate exclude each other, per administration too; nothing changes", async () => {
    const hub = await createTestHub(api);
    await uploadCertificate(api, hub.participant, 'servicebureau', { serviceProvider: true });
    const mode = async () => (await ctx.pool.query('SELECT certificate_mode FROM administrations WHERE id = $1', [hub.administrationId])).rows[0].certificate_mode as string | null;
    const portal = async () => (await ctx.pool.query('SELECT portal_enabled FROM hubs WHERE id = $1', [hub.hubId])).rows[0].portal_enabled as boolean;

    expect((await call(api, 'PATCH', `/api/hubs/${hub.participant}`, { portalEnabled: true })).statusCode).toBe(200);
    const toProvider = await call(api, 'PUT', `/api/hubs/${hub.participant}/administrations/${hub.administrationId}/certificate-mode`, { mode: 'service-provider' });
    expect({ status: toProvider.statusCode, rule: toProvider.json().rule }).toEqual({ status: 409, rule: 'A3' });
    expect(toProvider.json().message).toMatch(/^A3: /);
    expect(await mode()).toBeNull();
    expect((await call(api, 'PUT', `/api/hubs/${hub.participant}/administrations/${hub.administrationId}/certificate-mode`, { mode: 'own' })).statusCode).toBe(200);

    expect((await call(api, 'PATCH', `/api/hubs/${hub.participant}`, { portalEnabled: false })).statusCode).toBe(200);
    expect((await call(api, 'PUT', `/api/hubs/${hub.participant}/administrations/${hub.administrationId}/certificate-mode`, { mode: 'service-provider' })).statusCode).toBe(200);
    const enable = await call(api, 'PATCH', `/api/hubs/${hub.participant}`, { portalEnabled: true });
    expect({ status: enable.statusCode, rule: enable.json().rule }).toEqual({ status: 409, rule: 'A3' });
    expect(enable.json().message).toContain(`Administratie ${hub.obNumber}`);
    expect(await portal()).toBe(false);
    expect(await mode()).toBe('service-provider');
  });
});
