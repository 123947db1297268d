import { buildTestApp } from '../helpers/api';
import { addBecon, addClient, lettersFor, mandateInState, requestMandate, setMandateDay, signerOf, until, uploadCertificate, type MandateJson, type TestClient } from '../helpers/certificates';
import { call, createTestHub, type Api, type TestHub } from '../helpers/hub';
import { startTestContext, type TestContext } from '../helpers/temporal';
import { simulatorAdmin } from '../helpers/wus';
import { voorafIngevuldeGegevens } from '../../simulator/via';

/**
 * VIA retrieval (seed 000, C4, C6) through the API, the `viaRetrieval` workflow and the simulator over mutual TLS: the
 * pre-filled data of a client with an ACTIVE VIA mandate is fetched with the certificate of the client's latest-year
 * Becon and stored per client and year, a re-fetch adds a version; without an active mandate nothing is stored or
 * sent (C6); a refusal by the tax authority (the client withdrew the mandate there) is recorded and changes no stored
 * data; a Digipoort that answers 503 is asked again.
 */
interface RetrievalJson {
  id: string;
  organisationId: string;
  year: number;
  state: string;
  mandateId: string;
  certificateId: string;
  beconNumber: string | null;
  workflowId: string;
  attempts: number;
  aanleverkenmerk: string | null;
  kenmerk: string | null;
  refusalCode: string | null;
  reason: string | null;
  dataVersion: number | null;
}

interface StoredJson {
  year: number;
  version: number;
  retrievalId: string;
  fetchedAt: string;
  data: {
    employers: { name: string; payrollTaxNumber: string; taxableWages: number; payrollTaxWithheld: number }[];
    bankAccounts: { iban: string; balanceJanuary1: number }[];
    home: { wozValue: number; wozReferenceDate: string; mortgages: { lender: string; interestPaid: number; debtDecember31: number }[] } | null;
  };
  versions: { version: number; retrievalId: string; fetchedAt: string }[];
}

describe('VIA retrieval (C4, C6)', () => {
  let ctx: TestContext;
  let api: Api;
  beforeAll(async () => {
    ctx = await startTestContext('via');
    api = await buildTestApp(ctx);
    await setMandateDay(50);
  });
  afterAll(async () => {
    await api?.app.close();
    await ctx?.close();
  });

  const retrievals = (hub: TestHub, client: TestClient) => `/api/hubs/${hub.participant}/clients/${client.organisationId}/via-retrievals`;
  const stored = (hub: TestHub, client: TestClient, year: number) => `/api/hubs/${hub.participant}/clients/${client.organisationId}/via/${year}`;
  const count = async (table: 'via_retrievals' | 'via_data', client: TestClient) =>
    (await ctx.pool.query(`SELECT count(*)::int AS n FROM ${table} WHERE organisation_id = $1`, [client.organisationId])).rows[0].n as number;
  /** Accepted VIA requests of this hub at the simulator (every aanleverkenmerk VIA<participant>-...). */
  const viaDeliveries = async (hub: TestHub) => {
    const { byAanleverkenmerk } = await simulatorAdmin.get<{ byAanleverkenmerk: Record<string, number> }>('/admin/deliveries?limit=1');
    return Object.entries(byAanleverkenmerk).filter(([k]) => k.startsWith(`VIA${hub.participant}-`)).reduce((sum, [, n]) => sum + n, 0);
  };
  const logLines = async (hub: TestHub) => (await call(api, 'GET', `/api/hubs/${hub.participant}/log?limit=200`)).json() as { level: string; procedureStep: string; text: string }[];

  /** A VIA mandate made ACTIVE the way staff do it: requested, then activated with the code from the client's letter. */
  async function activeViaMandate(hub: TestHub, client: TestClient, year: number): Promise<MandateJson> {
    const created = await requestMandate(api, hub.participant, { organisationId: client.organisationId, service: 'VIA', year });
    expect(created.statusCode).toBe(202);
    const id = created.json().id as string;
    await mandateInState(api, hub.participant, id, 'ONTVANGEN');
    const letter = (await lettersFor(client.fiscalNumber)).find((l) => l.dienst === 'VIA' && l.jaar === year && l.toestand === 'ONTVANGEN');
    const activated = await call(api, 'POST', `/api/hubs/${hub.participant}/mandates/${id}/activate`, { activationCode: letter!.letter!.activeringscode });
    expect(activated.statusCode).toBe(202);
    return mandateInState(api, hub.participant, id, 'ACTIVE');
  }

  async function finished(hub: TestHub, client: TestClient, id: string): Promise<RetrievalJson> {
    return until(
      `VIA retrieval ${id} to finish`,
      async () => {
        const r = (await call(api, 'GET', `${retrievals(hub, client)}/${id}`)).json() as RetrievalJson;
        return r.state === 'requested' || r.state === 'submitted' ? undefined : r;
      },
      60_000,
      200,
    );
  }

  /** The simulator's data of a taxpayer and year, as the hub shows it. */
  function expectedData(fiscalNumber: string, year: number): StoredJson['data'] {
    const g = voorafIngevuldeGegevens(fiscalNumber, year);
    return {
      employers: g.werkgevers.map((w) => ({ name: w.naam, payrollTaxNumber: w.loonheffingennummer, taxableWages: w.fiscaalLoon, payrollTaxWithheld: w.ingehoudenLoonheffing })),
      bankAccounts: g.bankrekeningen.map((b) => ({ iban: b.iban, balanceJanuary1: b.saldoPer1Januari })),
      home: g.eigenWoning
        ? {
            wozValue: g.eigenWoning.wozWaarde,
            wozReferenceDate: g.eigenWoning.wozPeildatum,
            mortgages: g.eigenWoning.hypotheken.map((h) => ({ lender: h.geldverstrekker, interestPaid: h.betaaldeRente, debtDecember31: h.schuldPer31December })),
          }
        : null,
    };
  }

  it("fetches the data with the certificate of the client's latest-year Becon, stores it per client and year, and a re-fetch adds a version", async () => {
    const hub = await createTestHub(api);
    // C1, C4: Becon 200001 points at the Willemsen group; the client's latest year (2026) is filed under it.
    const willemsen = await uploadCertificate(api, hub.participant, 'willemsen');
    expect((await call(api, 'PUT', `/api/hubs/${hub.participant}/certificate-settings/multi-certificate`, { enabled: true })).statusCode).toBe(200);
    expect((await call(api, 'POST', `/api/hubs/${hub.participant}/certificate-groups`, { name: 'Willemsen', certificateId: willemsen.id })).statusCode).toBe(201);
    await addBecon(api, hub.participant, '100001', 'Holding');
    await addBecon(api, hub.participant, '200001', 'Willemsen');
    expect((await call(api, 'PUT', `/api/hubs/${hub.participant}/becons/200001`, { groupName: 'Willemsen' })).statusCode).toBe(200);
    const client = await addClient(api, hub.participant, 'Klant VIA', { 2025: '100001', 2026: '200001' });
    const mandate = await activeViaMandate(hub, client, 2026);
    expect(mandate.certificateId).toBe(willemsen.id);

    expect((await call(api, 'GET', stored(hub, client, 2026))).statusCode).toBe(404);

    // No year: the client's most recent master-data year (C4).
    const started = await call(api, 'POST', retrievals(hub, client), {});
    expect(started.statusCode).toBe(202);
    const first = started.json() as RetrievalJson;
    expect(first).toMatchObject({ year: 2026, state: 'requested', mandateId: mandate.id, certificateId: willemsen.id, beconNumber: '200001' });
    expect(started.headers.location).toBe(`${retrievals(hub, client)}/${first.id}`);

    const done = await finished(hub, client, first.id);
    expect(done).toMatchObject({ state: 'retrieved', attempts: 1, dataVersion: 1, refusalCode: null, reason: null });
    // Signed with the Willemsen certificate over mutual TLS: the simulator saw that client certificate.
    const signer = await signerOf(done.aanleverkenmerk!);
    expect(signer).toMatchObject({ senderFingerprint: willemsen.fingerprint256, senderOrganisation: 'Accountantskantoor Willemsen B.V.' });

    const data = await call(api, 'GET', stored(hub, client, 2026));
    expect(data.statusCode).toBe(200);
    const v1 = data.json() as StoredJson;
    expect(v1).toMatchObject({ year: 2026, version: 1, retrievalId: first.id });
    expect(v1.data).toEqual(expectedData(client.fiscalNumber, 2026));
    expect(v1.data.employers.length).toBeGreaterThan(0);
    expect(v1.versions).toEqual([expect.objectContaining({ version: 1, retrievalId: first.id, fetchedAt: v1.fetchedAt })]);

    // A re-fetch (year named) is the next version; the earlier one stays readable with its own fetch time.
    const again = await call(api, 'POST', retrievals(hub, client), { year: 2026 });
    expect(again.statusCode).toBe(202);
    const second = await finished(hub, client, again.json().id);
    expect(second).toMatchObject({ state: 'retrieved', dataVersion: 2 });
    const v2 = (await call(api, 'GET', stored(hub, client, 2026))).json() as StoredJson;
    expect(v2).toMatchObject({ version: 2, retrievalId: second.id });
    expect(v2.versions.map((v) => v.version)).toEqual([2, 1]);
    expect(Date.parse(v2.fetchedAt)).toBeGreaterThanOrEqual(Date.parse(v1.fetchedAt));
    expect(v2.data).toEqual(v1.data);
    const older = await call(api, 'GET', `${stored(hub, client, 2026)}?version=1`);
    expect(older.json()).toMatchObject({ version: 1, fetchedAt: v1.fetchedAt });
    expect((await call(api, 'GET', `${stored(hub, client, 2026)}?version=3`)).statusCode).toBe(404);
    const list = (await call(api, 'GET', retrievals(hub, client))).json() as RetrievalJson[];
    expect(list.map((r) => r.id)).toEqual([second.id, first.id]);

    // The fiscal number (a BSN for a sole trader) is in no workflow id, search attribute, workflow state or log line.
    const handle = ctx.client.workflow.getHandle(done.workflowId);
    expect(done.workflowId).toBe(`via-${hub.participant}-${client.organisationId}-2026-1`);
    const description = await handle.describe();
    expect(JSON.stringify(description.searchAttributes)).not.toContain(client.fiscalNumber);
    expect(description.searchAttributes).toMatchObject({ Hub: [hub.participant], Organisation: [client.organisationId], MessageType: ['via'], Period: ['2026'] });
    const result = await handle.result();
    expect(result).toMatchObject({ state: 'retrieved', dataVersion: 1 });
    expect(JSON.stringify(result)).not.toContain(client.fiscalNumber);
    const lines = (await logLines(hub)).filter((l) => l.text.startsWith('VIA 2026'));
    expect(lines.map((l) => [l.procedureStep, l.level])).toEqual(expect.arrayContaining([['send message', 'I'], ['receive', 'I']]));
    for (const line of await logLines(hub)) expect(line.text).not.toContain(client.fiscalNumber);
  });

  it('C6: without an ACTIVE VIA mandate covering the year the retrieval is refused, and nothing is stored or sent', async () => {
    const hub = await createTestHub(api);
    await addBecon(api, hub.participant, '100001', 'Holding');
    const client = await addClient(api, hub.participant, 'Klant zonder machtiging', { 2026: '100001' });
    const deliveriesBefore = await viaDeliveries(hub);

    const none = await call(api, 'POST', retrievals(hub, client), {});
    expect(none.statusCode).toBe(409);
    expect(none.json()).toMatchObject({ rule: 'C6', message: expect.stringContaining('no ACTIVE VIA mandate that covers 2026') });

    // A VIA mandate whose letter went out but whose activation code was never sent is not active.
    const requested = await requestMandate(api, hub.participant, { organisationId: client.organisationId, service: 'VIA', year: 2026 });
    const received = await mandateInState(api, hub.participant, requested.json().id, 'ONTVANGEN');
    const notActive = await call(api, 'POST', retrievals(hub, client), { year: 2026 });
    expect(notActive.statusCode).toBe(409);
    expect(notActive.json()).toMatchObject({ rule: 'C6', message: expect.stringContaining(`is ONTVANGEN, not ACTIVE (mandate ${received.id})`) });

    // A client without master data and without a year has no most recent year (C4); an unknown client is not found.
    const bare = await addClient(api, hub.participant, 'Klant zonder stamgegevens', {});
    const noYear = await call(api, 'POST', retrievals(hub, bare), {});
    expect(noYear.statusCode).toBe(422);
    expect(noYear.json()).toMatchObject({ rule: 'C4' });
    const unknown = await call(api, 'POST', `/api/hubs/${hub.participant}/clients/00000000-0000-4000-8000-000000000000/via-retrievals`, {});
    expect(unknown.statusCode).toBe(404);
    // Another hub's staff view: the client is not there.
    const other = await createTestHub(api);
    expect((await call(api, 'POST', `/api/hubs/${other.participant}/clients/${client.organisationId}/via-retrievals`, {})).statusCode).toBe(404);

    expect(await count('via_retrievals', client)).toBe(0);
    expect(await count('via_data', client)).toBe(0);
    expect(await count('via_retrievals', bare)).toBe(0);
    expect((await call(api, 'GET', stored(hub, client, 2026))).statusCode).toBe(404);
    expect(await viaDeliveries(hub)).toBe(deliveriesBefore);
  });

  it('the tax authority refuses when the client withdrew the mandate there: recorded with its code, stored data unchanged', async () => {
    const hub = await createTestHub(api);
    const client = await addClient(api, hub.participant, 'Klant ingetrokken', {});
    const mandate = await activeViaMandate(hub, client, 2026);
    const first = await finished(hub, client, (await call(api, 'POST', retrievals(hub, client), { year: 2026 })).json().id);
    expect(first.state).toBe('retrieved');
    const before = (await call(api, 'GET', stored(hub, client, 2026))).json() as StoredJson;

    // The request lingers on its way in (3 s) while the client withdraws the mandate at the tax authority: the hub
    // still has it ACTIVE, so the retrieval goes out, and the register, as it stands at delivery, has none.
    await simulatorAdmin.addFault({ kind: 'latency', latencyMs: 3000, bodyContains: `VIA${hub.participant}-`, count: 1 });
    const started = await call(api, 'POST', retrievals(hub, client), { year: 2026 });
    expect(started.statusCode).toBe(202);
    // Its attempt is on record (the hub's last look at the mandate is behind it): the request is on its way.
    await until('the request to be on its way', async () => ((await call(api, 'GET', `${retrievals(hub, client)}/${started.json().id}`)).json().attempts === 1 ? true : undefined), 3000, 20);
    const [letter] = (await lettersFor(client.fiscalNumber)).filter((l) => l.dienst === 'VIA' && l.toestand === 'ACTIEF');
    await simulatorAdmin.send('POST', `/admin/mandates/${letter.id}/revocation`, {});

    const refused = await finished(hub, client, started.json().id);
    expect(refused).toMatchObject({ state: 'refused', refusalCode: 'GEEN_MACHTIGING', dataVersion: null });
    expect(refused.reason).toContain('geen actieve VIA-machtiging');
    const after = (await call(api, 'GET', stored(hub, client, 2026))).json() as StoredJson;
    expect(after).toEqual(before);
    expect(await count('via_data', client)).toBe(1);
    expect((await logLines(hub)).some((l) => l.level === 'F' && l.procedureStep === 'receive' && l.text.includes('refused by the tax authority: GEEN_MACHTIGING'))).toBe(true);

    // The refusal makes the mandate look at the register now: the hub learns the withdrawal.
    await until('the mandate to learn of the withdrawal', async () => {
      const m = (await call(api, 'GET', `/api/hubs/${hub.participant}/mandates/${mandate.id}`)).json() as MandateJson;
      return m.state === 'REVOKED' ? m : undefined;
    });
    const afterwards = await call(api, 'POST', retrievals(hub, client), { year: 2026 });
    expect(afterwards.statusCode).toBe(409);
    expect(afterwards.json().rule).toBe('C6');
  });

  it('a Digipoort that answers 503 is asked again with the next attempt; one request is accepted', async () => {
    const hub = await createTestHub(api);
    const client = await addClient(api, hub.participant, 'Klant storing', {});
    await activeViaMandate(hub, client, 2026);
    await simulatorAdmin.addFault({ kind: 'http503', bodyContains: `VIA${hub.participant}-`, count: 1 });
    const started = await call(api, 'POST', retrievals(hub, client), { year: 2026 });
    expect(started.statusCode).toBe(202);

    // One retrieval of a client and year at a time.
    const second = await call(api, 'POST', retrievals(hub, client), { year: 2026 });
    expect(second.statusCode).toBe(409);
    expect(second.json()).toMatchObject({ rule: 'C6', message: expect.stringContaining('already running') });

    const done = await finished(hub, client, started.json().id);
    expect(done).toMatchObject({ state: 'retrieved', attempts: 2, dataVersion: 1 });
    expect(done.aanleverkenmerk).toMatch(/-a2$/);
    expect(await simulatorAdmin.acceptedCount(done.aanleverkenmerk!.replace(/-a2$/, '-a1'))).toBe(0);
    expect(await simulatorAdmin.acceptedCount(done.aanleverkenmerk!)).toBe(1);
    expect((await logLines(hub)).some((l) => l.level === 'F' && l.text.includes('got no clear answer') && l.text.includes('asking again'))).toBe(true);
    expect(await count('via_retrievals', client)).toBe(1);
  });
});
