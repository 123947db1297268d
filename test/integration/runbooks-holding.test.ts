import { CertificatesAttribute, HubAttribute, RunbookKindAttribute, RunbookProgressAttribute, RunbookStepAttribute } from '../../workflows/search-attributes';
import { buildTestApp } from '../helpers/api';
import {
  addBecon,
  addClient,
  lettersFor,
  mandateInState,
  requestCollective,
  requestMandate,
  setMandateDay,
  signerOf,
  until,
  uploadCertificate,
  type MandateJson,
  type TestClient,
} from '../helpers/certificates';
import { call, createTestHub, type Api, type TestHub } from '../helpers/hub';
import { startTestContext, type TestContext } from '../helpers/temporal';
import { organisation, simulatorAdmin } from '../helpers/wus';

/**
 * The seed's example, through the API: a holding with six offices, three of them acquired with their own
 * certificates. RB1 takes the hub from one certificate to four; RB5 then replaces the certificate of one acquired office
 * whose KvK number changes. Exactly the affected clients' mandates are revoked and requested again, and later filings
 * of every office's clients are signed with the right certificate (the simulator records the signer of each message).
 */
jest.setTimeout(300_000);

type Office = 'noord' | 'zuid' | 'oost' | 'willemsen' | 'jansen' | 'devries';
const BECONS: Record<Office, string> = { noord: '100001', zuid: '100002', oost: '100003', willemsen: '200001', jansen: '200002', devries: '200003' };
const ACQUIRED: Office[] = ['willemsen', 'jansen', 'devries'];

interface RunbookJson {
  id: string;
  phase: string;
  progress: number;
  currentStep: string | null;
  workflowId: string;
  steps: { key: string; state: string; reason?: string }[];
  plan: {
    mandatesToRevoke: { mandateId: string; organisationId: string }[];
    mandatesToRequest: { organisationId: string; certificateId: string; letterName: string }[];
    letterNames: { organisationId: string; before: string; after: string }[];
    becons: { number: string; groupAfter: string | null }[];
    certificateIds: string[];
  } | null;
}

describe('the seed example: holding with six offices, RB1 then RB5', () => {
  let ctx: TestContext;
  let api: Api;
  let hub: TestHub;
  const certs: Record<string, { id: string; fingerprint256: string; letterName: string }> = {};
  const clients: Record<string, TestClient> = {};
  const officeOf: Record<string, Office> = {};

  beforeAll(async () => {
    ctx = await startTestContext('holding');
    api = await buildTestApp(ctx);
    await setMandateDay(50);
  });
  afterAll(async () => {
    await api?.app.close();
    await ctx?.close();
  });

  const runbook = async (id: string) => (await call(api, 'GET', `/api/hubs/${hub.participant}/runbooks/${id}`)).json() as RunbookJson;
  const mandates = async () => (await call(api, 'GET', `/api/hubs/${hub.participant}/mandates`)).json() as MandateJson[];
  const openMandateOf = async (client: TestClient, service = 'SBA') =>
    (await mandates()).find((m) => m.organisationId === client.organisationId && m.service === service && ['REQUESTED', 'ONTVANGEN', 'ACTIVE'].includes(m.state));

  /** Starts a runbook, shows its plan (nothing changed yet), confirms it, watches its progress to the end. */
  async function runRunbook(body: Record<string, unknown>, beforeConfirm: (plan: RunbookJson) => Promise<void>): Promise<{ final: RunbookJson; seen: number[] }> {
    const started = await call(api, 'POST', `/api/hubs/${hub.participant}/runbooks`, body);
    expect(started.statusCode).toBe(202);
    const id = started.json().id as string;
    const planned = await until('the plan', async () => {
      const r = await runbook(id);
      return r.phase === 'awaiting-confirmation' ? r : undefined;
    });
    await beforeConfirm(planned);
    const confirmed = await call(api, 'POST', `/api/hubs/${hub.participant}/runbooks/${id}/confirm`);
    expect(confirmed.statusCode).toBe(202);
    const seen: number[] = [];
    const final = await until(
      'the runbook to complete',
      async () => {
        const r = await runbook(id);
        if (seen[seen.length - 1] !== r.progress) seen.push(r.progress);
        if (r.phase === 'paused' || r.phase === 'failed') throw new Error(`runbook ${r.phase}: ${JSON.stringify(r.steps)}`);
        return r.phase === 'completed' ? r : undefined;
      },
      180_000,
      100,
    );
    return { final, seen };
  }

  async function snapshotConfiguration() {
    const q = async (sql: string) => (await ctx.pool.query(sql, [hub.hubId])).rows;
    return {
      hub: await q('SELECT multi_certificate FROM hubs WHERE id = $1'),
      certificates: await q('SELECT id, is_work_certificate, deleted_at FROM certificates WHERE hub_id = $1 ORDER BY id'),
      groups: await q('SELECT name, certificate_id FROM certificate_groups WHERE hub_id = $1 ORDER BY name'),
      becons: await q('SELECT number, group_id FROM becons WHERE hub_id = $1 ORDER BY number'),
      mandates: await q('SELECT id, state, certificate_id, revoke_requested_at FROM mandates WHERE hub_id = $1 ORDER BY id'),
    };
  }

  /** A VAT return for the client, sent; returns the certificate the simulator saw signing it. */
  async function fileAndSigner(client: TestClient): Promise<string> {
    const res = await call(api, 'POST', `/api/hubs/${hub.participant}/filings`, {
      administrationId: client.administrationId,
      kind: 'vat-return',
      period: '2026-Q1',
      obNumber: `NL${client.obNumber}`,
      contact: { initials: 'J', surname: 'Jansen', telephone: '0201234567' },
      figures: { turnover: { '1a': '10000.40', '1b': '1000' }, vat: { '1a': '2100.08', '1b': '90' }, inputTax: '400.10' },
    });
    if (res.statusCode !== 202) throw new Error(`filing: ${res.statusCode} ${res.body}`);
    const number = res.json().number as number;
    const kenmerk = await until(`filing ${number} to be sent`, async () => {
      const { rows } = await ctx.pool.query<{ aanleverkenmerk: string | null; delivery_state: string }>(
        'SELECT aanleverkenmerk, delivery_state FROM messages WHERE hub_id = $1 AND number = $2',
        [hub.hubId, number],
      );
      if (rows[0]?.delivery_state === 'failed') throw new Error(`filing ${number} failed`);
      return rows[0]?.delivery_state === 'submitted' ? rows[0].aanleverkenmerk! : undefined;
    });
    return (await signerOf(kenmerk)).senderFingerprint;
  }

  it('sets up one certificate, six offices with their Becons, clients and active mandates', async () => {
    hub = await createTestHub(api);
    const work = (await call(api, 'GET', `/api/hubs/${hub.participant}/certificates`)).json()[0];
    certs.holding = work;
    for (const slug of ['willemsen', 'jansen', 'de-vries']) certs[slug] = await uploadCertificate(api, hub.participant, slug);
    for (const [office, number] of Object.entries(BECONS)) await addBecon(api, hub.participant, number, `Kantoor ${office}`);
    for (const office of Object.keys(BECONS) as Office[]) {
      for (const suffix of ['a', 'b']) {
        const name = `${office}-${suffix}`;
        clients[name] = await addClient(api, hub.participant, `Klant ${name}`, { 2025: BECONS[office], 2026: BECONS[office] });
        officeOf[name] = office;
      }
    }
    // C4: the latest year decides. One client left Willemsen for Noord; one came from Noord to Jansen.
    clients.left = await addClient(api, hub.participant, 'Klant vertrokken', { 2025: BECONS.willemsen, 2026: BECONS.noord });
    officeOf.left = 'noord';
    clients.joined = await addClient(api, hub.participant, 'Klant overgekomen', { 2025: BECONS.noord, 2026: BECONS.jansen });
    officeOf.joined = 'jansen';
    // The offices' certificates may file for these clients only: the simulator is shared, and other test files rely
    // on some of these certificates being unregistered for everyone else (210).
    for (const slug of ['willemsen', 'jansen', 'de-vries', 'de-vries-new']) {
      for (const client of Object.values(clients)) await simulatorAdmin.register(organisation(slug).hrn, '*', client.obNumber);
    }

    const collective = await requestCollective(api, hub.participant, {
      organisationIds: Object.values(clients).map((c) => c.organisationId),
      service: 'SBA',
      year: 2026,
    });
    expect(collective.statusCode).toBe(202);
    expect(collective.json().refused).toEqual([]);
    const via = await requestMandate(api, hub.participant, { organisationId: clients['willemsen-a'].organisationId, service: 'VIA', year: 2025, continuing: true });
    expect(via.statusCode).toBe(202);
    for (const m of collective.json().requested as MandateJson[]) {
      expect(m.letterName).toBe('AA Accountants Holding B.V.');
      await mandateInState(api, hub.participant, m.id, 'ACTIVE');
    }
    await mandateInState(api, hub.participant, via.json().id, 'ONTVANGEN');
    expect((await mandates()).every((m) => m.certificateId === certs.holding.id)).toBe(true);
  });

  it('RB1: from one certificate to four, plan first, progress visible, exactly the acquired offices\' mandates moved', async () => {
    const before = await snapshotConfiguration();
    const mandatesBefore = await mandates();
    const affected = Object.keys(clients).filter((name) => ACQUIRED.includes(officeOf[name]));
    const affectedIds = new Set(affected.map((name) => clients[name].organisationId));
    let workflowId = '';

    const { final, seen } = await runRunbook(
      {
        kind: 'RB1',
        groups: [
          { name: 'Willemsen', certificateId: certs.willemsen.id, beconNumbers: [BECONS.willemsen] },
          { name: 'Jansen', certificateId: certs.jansen.id, beconNumbers: [BECONS.jansen] },
          { name: 'De Vries', certificateId: certs['de-vries'].id, beconNumbers: [BECONS.devries] },
        ],
      },
      async (planned) => {
        workflowId = planned.workflowId;
        const plan = planned.plan!;
        // The plan: every mandate of the acquired offices' clients (latest year decides), and the letters that change.
        expect(new Set(plan.mandatesToRevoke.map((m) => m.organisationId))).toEqual(affectedIds);
        expect(plan.mandatesToRevoke).toHaveLength(affected.length + 1 /* VIA */);
        expect(plan.letterNames.find((l) => l.organisationId === clients.joined.organisationId)).toMatchObject({
          before: 'AA Accountants Holding B.V.',
          after: 'Jansen Belastingadvies B.V.',
        });
        expect(plan.becons.map((b) => [b.number, b.groupAfter])).toEqual([
          [BECONS.willemsen, 'Willemsen'],
          [BECONS.jansen, 'Jansen'],
          [BECONS.devries, 'De Vries'],
        ]);
        // Nothing changed before the confirmation.
        expect(await snapshotConfiguration()).toEqual(before);
        // The Web UI: a checklist in the current details; search attributes.
        const handle = ctx.client.workflow.getHandle(workflowId);
        const metadata = (await handle.query('__temporal_workflow_metadata')) as { currentDetails?: string };
        expect(metadata.currentDetails).toContain('**RB1 — From one certificate to several** (awaiting-confirmation, 0%)');
        const query = await handle.query<{ phase: string }>('runbookProgress');
        expect(query.phase).toBe('awaiting-confirmation');
      },
    );
    expect(final.steps.every((s) => s.state === 'done')).toBe(true);
    expect(final.progress).toBe(100);
    expect(seen.length).toBeGreaterThan(2);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);

    const description = await ctx.client.workflow.getHandle(workflowId).describe();
    expect(description.typedSearchAttributes.get(RunbookKindAttribute)).toBe('RB1');
    expect(description.typedSearchAttributes.get(RunbookProgressAttribute)).toBe(100);
    expect(description.typedSearchAttributes.get(RunbookStepAttribute)).toBe('completed');
    expect(description.typedSearchAttributes.get(HubAttribute)).toBe(hub.participant);
    expect([...(description.typedSearchAttributes.get(CertificatesAttribute) ?? [])].sort()).toEqual(
      [certs.holding.id, certs.willemsen.id, certs.jansen.id, certs['de-vries'].id].sort(),
    );

    // The seed's final state: holding = work certificate in no group; each acquired office in its own group.
    const groups = (await call(api, 'GET', `/api/hubs/${hub.participant}/certificate-groups`)).json() as { name: string; certificateId: string; becons: string[] }[];
    expect(groups.map((g) => [g.name, g.certificateId, g.becons])).toEqual([
      ['De Vries', certs['de-vries'].id, [BECONS.devries]],
      ['Jansen', certs.jansen.id, [BECONS.jansen]],
      ['Willemsen', certs.willemsen.id, [BECONS.willemsen]],
    ]);
    const settings = (await call(api, 'GET', `/api/hubs/${hub.participant}/certificate-settings`)).json();
    expect(settings).toMatchObject({ multiCertificate: true, workCertificateId: certs.holding.id });

    // Exactly the affected clients' mandates were revoked and requested again; the others are untouched.
    const after = await mandates();
    for (const old of mandatesBefore) {
      const now = after.find((m) => m.id === old.id)!;
      if (affectedIds.has(old.organisationId)) {
        expect(now.state).toBe('REVOKED');
        const replacement = after.find((m) => m.replacesMandateId === old.id)!;
        const office = officeOf[Object.keys(clients).find((n) => clients[n].organisationId === old.organisationId)!];
        const slug = office === 'devries' ? 'de-vries' : office;
        expect(replacement).toMatchObject({ certificateId: certs[slug].id, runbookId: final.id, service: old.service, year: old.year });
        expect(['ONTVANGEN', 'ACTIVE']).toContain(replacement.state);
      } else {
        expect(now).toMatchObject({ state: old.state, certificateId: certs.holding.id });
        expect(after.some((m) => m.replacesMandateId === old.id)).toBe(false);
      }
    }
    // The register: the holding's registration revoked, the office's one received, its name on the new letter (C3).
    const letters = await lettersFor(clients['jansen-a'].fiscalNumber);
    expect(letters.map((l) => [l.intermediair.kvkNumber, l.toestand])).toEqual([
      [organisation('holding').kvkNumber, 'INGETROKKEN'],
      [organisation('jansen').kvkNumber, expect.stringMatching(/ONTVANGEN|ACTIEF/)],
    ]);
    expect(letters[1].letter?.naamIntermediair).toBe('Jansen Belastingadvies B.V.');
    expect((await lettersFor(clients['noord-a'].fiscalNumber)).map((l) => l.toestand)).toEqual(['ACTIEF']);

    // Later filings are signed with the office's certificate, the others' with the work certificate.
    for (const name of ['noord-a', 'zuid-b', 'oost-a', 'left', 'willemsen-b', 'jansen-a', 'joined', 'devries-a']) {
      const office = officeOf[name];
      const expected = ACQUIRED.includes(office) ? certs[office === 'devries' ? 'de-vries' : office] : certs.holding;
      expect({ name, signer: await fileAndSigner(clients[name]) }).toEqual({ name, signer: expected.fingerprint256 });
    }
  });

  it('RB1 guard: outside a runbook, a master-data or Becon change that would move a client with an open mandate to another KvK number is refused', async () => {
    const configuration = async () => {
      const q = async (sql: string) => (await ctx.pool.query(sql, [hub.hubId])).rows;
      return {
        becons: await q('SELECT number, group_id FROM becons WHERE hub_id = $1 ORDER BY number'),
        masterData: await q('SELECT m.organisation_id, m.year, m.becon_id FROM client_master_data m JOIN organisations o ON o.id = m.organisation_id WHERE o.hub_id = $1 ORDER BY 1, 2'),
      };
    };
    const before = await configuration();
    // A Noord client (holding, KvK 51234560) to the Jansen Becon; the Jansen Becon back to the work certificate.
    const masterData = await call(api, 'PUT', `/api/hubs/${hub.participant}/clients/${clients['noord-a'].organisationId}/master-data/2027`, { beconNumber: BECONS.jansen });
    const becon = await call(api, 'PUT', `/api/hubs/${hub.participant}/becons/${BECONS.jansen}`, { groupName: null });
    for (const res of [masterData, becon]) {
      expect({ status: res.statusCode, rule: res.json().rule }).toEqual({ status: 409, rule: 'RB1' });
      expect(res.json().message).toContain('runbook RB1');
    }
    expect(masterData.json().message).toContain(`Klant noord-a has an open SBA 2026 mandate (ACTIVE) under KvK ${organisation('holding').kvkNumber}`);
    expect(becon.json().message).toContain(`under KvK ${organisation('jansen').kvkNumber}`);
    expect(await configuration()).toEqual(before);
  });

  it('RB5: De Vries gets a certificate with a new KvK number; only its clients\' mandates move', async () => {
    certs['de-vries-new'] = await uploadCertificate(api, hub.participant, 'de-vries-new');
    const mandatesBefore = (await mandates()).filter((m) => ['REQUESTED', 'ONTVANGEN', 'ACTIVE'].includes(m.state));
    const deVries = new Set(['devries-a', 'devries-b'].map((n) => clients[n].organisationId));

    const { final } = await runRunbook({ kind: 'RB5', certificateId: certs['de-vries'].id, newCertificateId: certs['de-vries-new'].id }, async (planned) => {
      const plan = planned.plan!;
      expect(new Set(plan.mandatesToRevoke.map((m) => m.organisationId))).toEqual(deVries);
      expect(plan.mandatesToRequest.every((m) => m.certificateId === certs['de-vries-new'].id)).toBe(true);
      // The same firm name under the new KvK number: the letters keep the name.
      expect(plan.letterNames).toEqual([]);
      // One runbook per certificate at a time.
      const second = await call(api, 'POST', `/api/hubs/${hub.participant}/runbooks`, { kind: 'RB3', certificateId: certs['de-vries'].id });
      expect(second.statusCode).toBe(409);
      expect(second.json().rule).toBe('RB3');
    });
    expect(final.steps.map((s) => s.key)).toEqual(['revoke-mandates', 'install-certificates', 'assign-group', 'becon-groups', 'client-becons', 'request-mandates']);

    const after = await mandates();
    for (const old of mandatesBefore) {
      const now = after.find((m) => m.id === old.id)!;
      if (deVries.has(old.organisationId)) {
        expect(now.state).toBe('REVOKED');
        expect(after.find((m) => m.replacesMandateId === old.id)).toMatchObject({ certificateId: certs['de-vries-new'].id, runbookId: final.id });
      } else {
        expect(now).toMatchObject({ state: expect.stringMatching(/ONTVANGEN|ACTIVE/), certificateId: old.certificateId });
        expect(after.some((m) => m.replacesMandateId === old.id)).toBe(false);
      }
    }
    const groups = (await call(api, 'GET', `/api/hubs/${hub.participant}/certificate-groups`)).json() as { name: string; certificateId: string }[];
    expect(groups.find((g) => g.name === 'De Vries')?.certificateId).toBe(certs['de-vries-new'].id);
    expect((await lettersFor(clients['devries-b'].fiscalNumber)).map((l) => l.intermediair.kvkNumber)).toEqual([
      organisation('holding').kvkNumber,
      organisation('de-vries').kvkNumber,
      organisation('de-vries-new').kvkNumber,
    ]);
    expect(await openMandateOf(clients['devries-b'])).toMatchObject({ certificateId: certs['de-vries-new'].id });

    // Filings: De Vries's clients now with the new certificate; the other offices as before.
    expect(await fileAndSigner(clients['devries-b'])).toBe(certs['de-vries-new'].fingerprint256);
    expect(await fileAndSigner(clients['willemsen-a'])).toBe(certs.willemsen.fingerprint256);
    expect(await fileAndSigner(clients['zuid-a'])).toBe(certs.holding.fingerprint256);
  });
});
