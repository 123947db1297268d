import { readFileSync } from 'node:fs';
import path from 'node:path';
import { generateTestPki } from '../../simulator/pki/generate';
import { buildTestApp } from '../helpers/api';
import { addBecon, addClient, mandateInState, requestMandate, setMandateDay, until, uploadCertificate } from '../helpers/certificates';
import { call, createTestHub, type Api, type TestHub } from '../helpers/hub';
import { startTestContext, type TestContext } from '../helpers/temporal';
import { organisation, pkiDir, simulatorAdmin } from '../helpers/wus';

/**
 * Guards instead of silent drift (issue 11, item 3): a change that would move a client with an open mandate to a
 * certificate of another KvK number is refused pointing at RB1; RB3 takes `groupName: null`; RB4 wants a replacement
 * that outlives the old certificate; an upload must chain to the configured PKIoverheid roots; a deleted certificate
 * loses its key material; runbook locks hold on every write path. Each refusal names its rule and changes nothing.
 */
jest.setTimeout(240_000);

describe('certificate guards', () => {
  let ctx: TestContext;
  let api: Api;
  beforeAll(async () => {
    ctx = await startTestContext('guards');
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
      hub: await q('SELECT multi_certificate FROM hubs WHERE id = $1'),
      certificates: await q('SELECT id, is_work_certificate, letter_name, deleted_at, sealed IS NOT NULL AS sealed FROM certificates WHERE hub_id = $1 ORDER BY id'),
      groups: await q('SELECT id, name, certificate_id FROM certificate_groups WHERE hub_id = $1 ORDER BY id'),
      becons: await q('SELECT number, group_id FROM becons WHERE hub_id = $1 ORDER BY number'),
      masterData: await q('SELECT m.organisation_id, m.year, m.becon_id FROM client_master_data m JOIN organisations o ON o.id = m.organisation_id WHERE o.hub_id = $1 ORDER BY 1, 2'),
      administrations: await q('SELECT id, certificate_mode FROM administrations WHERE hub_id = $1 ORDER BY id'),
      mandates: await q('SELECT id, certificate_id, revoke_requested_at FROM mandates WHERE hub_id = $1 ORDER BY id'),
      runbooks: await q('SELECT id, phase FROM runbooks WHERE hub_id = $1 ORDER BY id'),
    };
  }

  /** An upload as staff make it, answered as is (the helper insists on 201). */
  function upload(hub: TestHub, slug: string, extra: Record<string, unknown> = {}, dir = pkiDir()) {
    const cert = [...manifestOf(dir).organisations, manifestOf(dir).untrusted.selfSignedClient].find((o) => o.slug === slug)!;
    return call(api, 'POST', `/api/hubs/${hub.participant}/certificates`, {
      label: cert.organisationName,
      pkcs12: readFileSync(path.join(dir, cert.pkcs12File)).toString('base64'),
      passphrase: readFileSync(path.join(dir, cert.passphraseFile), 'utf8').trim(),
      ...extra,
    });
  }
  const manifestOf = (dir: string) =>
    JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
      organisations: { slug: string; organisationName: string; pkcs12File: string; passphraseFile: string }[];
      untrusted: { selfSignedClient: { slug: string; organisationName: string; pkcs12File: string; passphraseFile: string } };
    };

  const workCertificateOf = async (hub: TestHub) => (await call(api, 'GET', `/api/hubs/${hub.participant}/certificate-settings`)).json().workCertificateId as string;
  const runbookPhase = (hub: TestHub, id: string, phase: string) =>
    until(`runbook ${id} ${phase}`, async () => {
      const r = (await call(api, 'GET', `/api/hubs/${hub.participant}/runbooks/${id}`)).json();
      if (phase !== 'failed' && r.phase === 'failed') throw new Error(`runbook failed: ${r.reason}`);
      return r.phase === phase ? r : undefined;
    }, 120_000);

  it('RB1: a Becon, group, master-data or settings change that would move a client with an open mandate to another KvK number is refused; nothing changes', async () => {
    const hub = await createTestHub(api);
    const p = hub.participant;
    const willemsen = await uploadCertificate(api, p, 'willemsen');
    const jansen = await uploadCertificate(api, p, 'jansen');
    const deVries = await uploadCertificate(api, p, 'de-vries');
    expect((await call(api, 'PUT', `/api/hubs/${p}/certificate-settings/multi-certificate`, { enabled: true })).statusCode).toBe(200);
    const willemsenGroup = (await call(api, 'POST', `/api/hubs/${p}/certificate-groups`, { name: 'Willemsen', certificateId: willemsen.id })).json().id as string;
    await call(api, 'POST', `/api/hubs/${p}/certificate-groups`, { name: 'Jansen', certificateId: jansen.id });
    for (const [number, name] of [['100001', 'Noord'], ['100002', 'Zuid'], ['200001', 'Willemsen'], ['200002', 'Jansen']]) await addBecon(api, p, number, name);
    await call(api, 'PUT', `/api/hubs/${p}/becons/200001`, { groupName: 'Willemsen' });
    await call(api, 'PUT', `/api/hubs/${p}/becons/200002`, { groupName: 'Jansen' });
    const noord = await addClient(api, p, 'Klant Noord', { 2026: '100001' });
    const office = await addClient(api, p, 'Klant Willemsen', { 2026: '200001' });
    const free = await addClient(api, p, 'Klant zonder machtiging', { 2026: '100001' });
    for (const slug of ['willemsen', 'jansen']) await simulatorAdmin.register(organisation(slug).hrn, '*', office.obNumber);
    const active = await requestMandate(api, p, { organisationId: noord.organisationId, service: 'SBA', year: 2026 });
    await mandateInState(api, p, active.json().id, 'ACTIVE');
    const received = await requestMandate(api, p, { organisationId: office.organisationId, service: 'SBA', year: 2026 });
    await mandateInState(api, p, received.json().id, 'ONTVANGEN');

    const before = await snapshot(hub);
    const refusals = {
      'PUT master-data (Noord client to the Jansen Becon)': await call(api, 'PUT', `/api/hubs/${p}/clients/${noord.organisationId}/master-data/2027`, { beconNumber: '200002' }),
      'PUT becons (Noord onto the Jansen group)': await call(api, 'PUT', `/api/hubs/${p}/becons/100001`, { groupName: 'Jansen' }),
      'PUT becons (Willemsen to no group)': await call(api, 'PUT', `/api/hubs/${p}/becons/200001`, { groupName: null }),
      'PUT certificate-groups (Willemsen emptied)': await call(api, 'PUT', `/api/hubs/${p}/certificate-groups/${willemsenGroup}/certificate`, { certificateId: null }),
      'PUT work-certificate (De Vries)': await call(api, 'PUT', `/api/hubs/${p}/certificate-settings/work-certificate`, { certificateId: deVries.id }),
      'POST certificates (as work certificate)': await upload(hub, 'servicebureau', { workCertificate: true }),
    };
    for (const [what, res] of Object.entries(refusals)) {
      expect({ what, status: res.statusCode, rule: res.json().rule }).toEqual({ what, status: 409, rule: 'RB1' });
      expect(res.json().message).toMatch(/^RB1: .*has an open SBA 2026 mandate .* under KvK \d{8}.*runbook RB1 .*nothing changed$/);
    }
    expect(refusals['PUT master-data (Noord client to the Jansen Becon)'].json().message).toContain(
      `Klant Noord has an open SBA 2026 mandate (ACTIVE) under KvK ${organisation('holding').kvkNumber}, and would be signed for with "${jansen.label}" (KvK ${organisation('jansen').kvkNumber})`,
    );
    expect(refusals['PUT becons (Willemsen to no group)'].json().message).toContain(`Klant Willemsen has an open SBA 2026 mandate (ONTVANGEN) under KvK ${organisation('willemsen').kvkNumber}`);
    expect(await snapshot(hub)).toEqual(before);

    // What does not move such a client goes ahead: a client without an open mandate, a Becon of the same certificate.
    expect((await call(api, 'PUT', `/api/hubs/${p}/clients/${free.organisationId}/master-data/2027`, { beconNumber: '200002' })).statusCode).toBe(200);
    expect((await call(api, 'PUT', `/api/hubs/${p}/clients/${noord.organisationId}/master-data/2027`, { beconNumber: '100002' })).statusCode).toBe(200);

    // Switching several certificates on moves the clients of Becons with a group to its certificate. (Off, set by
    // another writer, a new client of the Jansen Becon got its mandate with the work certificate.)
    await ctx.pool.query('UPDATE hubs SET multi_certificate = false WHERE id = $1', [hub.hubId]);
    const jansenClient = await addClient(api, p, 'Klant Jansen', { 2026: '200002' });
    const onWork = await requestMandate(api, p, { organisationId: jansenClient.organisationId, service: 'SBA', year: 2026 });
    expect(onWork.json().certificateId).toBe(await workCertificateOf(hub));
    await mandateInState(api, p, onWork.json().id, 'ONTVANGEN');
    const switchOn = await call(api, 'PUT', `/api/hubs/${p}/certificate-settings/multi-certificate`, { enabled: true });
    expect({ status: switchOn.statusCode, rule: switchOn.json().rule }).toEqual({ status: 409, rule: 'RB1' });
    expect(switchOn.json().message).toContain('Klant Jansen has an open SBA 2026 mandate');
    // The Willemsen client goes back to the KvK number its mandate has: that is no move.
    expect(switchOn.json().message).not.toContain('Klant Willemsen');
    expect((await ctx.pool.query('SELECT multi_certificate FROM hubs WHERE id = $1', [hub.hubId])).rows[0].multi_certificate).toBe(false);

    // Revoked first (what RB1 points at), the client may move.
    expect((await call(api, 'POST', `/api/hubs/${p}/mandates/${onWork.json().id}/revoke`)).statusCode).toBe(202);
    await mandateInState(api, p, onWork.json().id, 'REVOKED');
    expect((await call(api, 'PUT', `/api/hubs/${p}/certificate-settings/multi-certificate`, { enabled: true })).statusCode).toBe(200);
  });

  it('RB3 takes groupName null (to the work certificate); the deleted certificate loses its key material, by the runbook and by the API', async () => {
    const hub = await createTestHub(api);
    const p = hub.participant;
    const holding = await workCertificateOf(hub);
    const willemsen = await uploadCertificate(api, p, 'willemsen');
    const spare = await uploadCertificate(api, p, 'jansen');
    await call(api, 'PUT', `/api/hubs/${p}/certificate-settings/multi-certificate`, { enabled: true });
    await call(api, 'POST', `/api/hubs/${p}/certificate-groups`, { name: 'Willemsen', certificateId: willemsen.id });
    await addBecon(api, p, '200001', 'Willemsen');
    await call(api, 'PUT', `/api/hubs/${p}/becons/200001`, { groupName: 'Willemsen' });
    const client = await addClient(api, p, 'Klant Willemsen', { 2026: '200001' });

    const started = await call(api, 'POST', `/api/hubs/${p}/runbooks`, { kind: 'RB3', certificateId: willemsen.id, beconGroups: [{ beconNumber: '200001', groupName: null }] });
    expect(started.statusCode).toBe(202);
    const planned = await runbookPhase(hub, started.json().id, 'awaiting-confirmation');
    expect(planned.plan.becons).toEqual([{ number: '200001', groupBefore: 'Willemsen', groupAfter: null }]);
    expect((await call(api, 'POST', `/api/hubs/${p}/runbooks/${started.json().id}/confirm`)).statusCode).toBe(202);
    await runbookPhase(hub, started.json().id, 'completed');
    expect((await call(api, 'GET', `/api/hubs/${p}/becons`)).json()).toEqual([expect.objectContaining({ number: '200001', groupName: null })]);
    expect((await call(api, 'GET', `/api/hubs/${p}/certificate-choice?organisationId=${client.organisationId}`)).json()).toMatchObject({ certificateId: holding, via: 'work' });

    // The row stays for history, the sealed PKCS#12 with its passphrase (and its key id) does not.
    expect((await call(api, 'DELETE', `/api/hubs/${p}/certificates/${spare.id}`)).statusCode).toBe(204);
    const { rows } = await ctx.pool.query<{ id: string; label: string; fingerprint256: string; deleted: boolean; sealed: Buffer | null; key_id: string | null }>(
      'SELECT id, label, fingerprint256, deleted_at IS NOT NULL AS deleted, sealed, key_id FROM certificates WHERE id = ANY($1) ORDER BY label',
      [[willemsen.id, spare.id]],
    );
    expect(rows).toEqual([
      { id: willemsen.id, label: willemsen.label, fingerprint256: willemsen.fingerprint256, deleted: true, sealed: null, key_id: null },
      { id: spare.id, label: spare.label, fingerprint256: spare.fingerprint256, deleted: true, sealed: null, key_id: null },
    ]);
    const { rows: installed } = await ctx.pool.query<{ sealed: Buffer | null }>('SELECT sealed FROM certificates WHERE id = $1', [holding]);
    expect(installed[0].sealed?.length).toBeGreaterThan(0);
    // The database keeps it so: a deleted certificate cannot keep key material.
    await expect(ctx.pool.query(`UPDATE certificates SET deleted_at = now() WHERE id = $1`, [holding])).rejects.toThrow(/certificates_no_key_material_once_deleted/);
  });

  it('RB4 refuses, when planned, a replacement that does not outlive the certificate it replaces; nothing is stored', async () => {
    const hub = await createTestHub(api);
    const p = hub.participant;
    const holding = await workCertificateOf(hub);
    // The renewal has the same KvK number but (in the test PKI) the same expiry.
    const renewal = await uploadCertificate(api, p, 'holding-new');
    const before = await snapshot(hub);
    const refused = await call(api, 'POST', `/api/hubs/${p}/runbooks`, { kind: 'RB4', certificateId: holding, newCertificateId: renewal.id });
    expect({ status: refused.statusCode, rule: refused.json().rule }).toEqual({ status: 422, rule: 'RB4' });
    expect(refused.json().message).toContain(`the new certificate "${renewal.label}" (KvK ${organisation('holding').kvkNumber}) expires on`);
    expect(refused.json().message).toContain('a replacement must outlive the certificate it replaces');
    expect(await snapshot(hub)).toEqual(before);
    expect((await ctx.pool.query('SELECT count(*)::int AS n FROM runbook_locks WHERE certificate_id = ANY($1)', [[holding, renewal.id]])).rows[0].n).toBe(0);

    // With the old one expiring sooner (its stored validity), the same runbook is planned.
    await ctx.pool.query(`UPDATE certificates SET valid_to = now() + interval '40 days' WHERE id = $1`, [holding]);
    const accepted = await call(api, 'POST', `/api/hubs/${p}/runbooks`, { kind: 'RB4', certificateId: holding, newCertificateId: renewal.id });
    expect(accepted.statusCode).toBe(202);
    await runbookPhase(hub, accepted.json().id, 'awaiting-confirmation');
    expect((await call(api, 'POST', `/api/hubs/${p}/runbooks/${accepted.json().id}/cancel`)).statusCode).toBe(202);
    await runbookPhase(hub, accepted.json().id, 'cancelled');
  });

  it('an upload whose chain does not lead to the configured PKIoverheid roots is refused with a clear error; nothing is stored', async () => {
    const hub = await createTestHub(api);
    // A complete PKIoverheid-like chain (leaf and intermediate) under a root this hub does not trust.
    const foreign = path.join(process.env.TEST_RUN_DIR as string, `foreign-pki-${hub.participant}`);
    await generateTestPki({ outDir: foreign, organisations: [{ slug: 'elders', name: 'Elders Uitgegeven B.V.', kvkNumber: '61234567' }] });
    const certificates = async () => (await ctx.pool.query('SELECT id FROM certificates WHERE hub_id = $1 ORDER BY id', [hub.hubId])).rows;
    const before = await certificates();
    for (const [what, res] of [
      ['self-signed', await upload(hub, 'self-signed')],
      ['another CA', await upload(hub, 'elders', {}, foreign)],
      ['another CA, as work certificate', await upload(hub, 'elders', { workCertificate: true }, foreign)],
    ] as const) {
      expect({ what, status: res.statusCode, field: res.json().field }).toEqual({ what, status: 422, field: 'pkcs12' });
      expect(res.json().message).toMatch(/does not chain to a configured PKIoverheid root .*Digipoort would not trust it/);
    }
    expect(await certificates()).toEqual(before);
    // A certificate of the configured test PKI is accepted, an expired one too (C7 keeps it from being used).
    expect((await upload(hub, 'expired')).statusCode).toBe(201);
  });

  it('runbook locks cover every write path on certificates, groups, Becons and settings; nothing changes while it holds them', async () => {
    const hub = await createTestHub(api);
    const p = hub.participant;
    const willemsen = await uploadCertificate(api, p, 'willemsen');
    const spare = await uploadCertificate(api, p, 'jansen');
    await call(api, 'PUT', `/api/hubs/${p}/certificate-settings/multi-certificate`, { enabled: true });
    const group = (await call(api, 'POST', `/api/hubs/${p}/certificate-groups`, { name: 'Willemsen', certificateId: willemsen.id })).json().id as string;
    await addBecon(api, p, '200001', 'Willemsen');
    await call(api, 'PUT', `/api/hubs/${p}/becons/200001`, { groupName: 'Willemsen' });
    const client = await addClient(api, p, 'Klant Willemsen', { 2026: '200001' });

    // RB3 of Willemsen: holds it and the work certificate, and its plan moves the client.
    const started = await call(api, 'POST', `/api/hubs/${p}/runbooks`, { kind: 'RB3', certificateId: willemsen.id });
    expect(started.statusCode).toBe(202);
    const id = started.json().id as string;
    await runbookPhase(hub, id, 'awaiting-confirmation');
    const before = await snapshot(hub);
    const refusals = {
      'PUT multi-certificate': await call(api, 'PUT', `/api/hubs/${p}/certificate-settings/multi-certificate`, { enabled: false }),
      'DELETE certificate-groups': await call(api, 'DELETE', `/api/hubs/${p}/certificate-groups/${group}`),
      'PATCH certificates (letter name)': await call(api, 'PATCH', `/api/hubs/${p}/certificates/${willemsen.id}`, { letterName: 'Willemsen Groep B.V.' }),
      'POST becons': await call(api, 'POST', `/api/hubs/${p}/becons`, { number: '300001', name: 'Nieuw', groupName: 'Willemsen' }),
      'POST certificates (as work certificate)': await upload(hub, 'de-vries', { workCertificate: true }),
      'PUT certificate-mode': await call(api, 'PUT', `/api/hubs/${p}/administrations/${client.administrationId}/certificate-mode`, { mode: 'own' }),
    };
    for (const [what, res] of Object.entries(refusals)) {
      expect({ what, status: res.statusCode, rule: res.json().rule }).toEqual({ what, status: 409, rule: 'RB' });
      expect(res.json().message).toContain(`runbook ${id}`);
      expect(res.json().message).toContain('nothing changed');
    }
    expect(await snapshot(hub)).toEqual(before);
    // What touches none of its certificates goes ahead.
    expect((await call(api, 'PATCH', `/api/hubs/${p}/certificates/${spare.id}`, { letterName: 'Jansen Groep B.V.' })).statusCode).toBe(200);

    expect((await call(api, 'POST', `/api/hubs/${p}/runbooks/${id}/cancel`)).statusCode).toBe(202);
    await runbookPhase(hub, id, 'cancelled');
    expect((await call(api, 'POST', `/api/hubs/${p}/becons`, { number: '300001', name: 'Nieuw', groupName: 'Willemsen' })).statusCode).toBe(201);
    expect((await call(api, 'PATCH', `/api/hubs/${p}/certificates/${willemsen.id}`, { letterName: 'Willemsen Groep B.V.' })).statusCode).toBe(200);
  });
});
