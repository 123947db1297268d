import { randomUUID } from 'node:crypto';
import { certificateExpiryScheduleId, certificateExpiryWatch } from '../../workflows/certificate-expiry';
import { CertificateExpiresAtAttribute, CertificateWarningsAttribute, HubAttribute } from '../../workflows/search-attributes';
import { buildTestApp } from '../helpers/api';
import { until, uploadCertificate } from '../helpers/certificates';
import { call, createTestHub, postViaConnector, vatReturnRequest, type Api, type TestHub } from '../helpers/hub';
import { startTestContext, type TestContext } from '../helpers/temporal';
import { organisation, simulatorAdmin } from '../helpers/wus';

/** C7: warnings 60, 30 and 7 days ahead, each once, with the proposed runbook; an expired certificate is never used. */
describe('certificate expiry watch (C7)', () => {
  let ctx: TestContext;
  let api: Api;
  beforeAll(async () => {
    ctx = await startTestContext('expiry');
    api = await buildTestApp(ctx);
  });
  afterAll(async () => {
    await api?.app.close();
    await ctx?.close();
  });

  const DAY = 86_400_000;

  async function watch(hub: TestHub, asOf: Date) {
    const workflowId = `certificate-expiry-${hub.participant}-test-${randomUUID()}`;
    const result = await ctx.client.workflow.execute(certificateExpiryWatch, {
      workflowId,
      taskQueue: ctx.config.temporal.taskQueue,
      args: [{ hubId: hub.hubId, participant: hub.participant, asOf: asOf.toISOString() }],
    });
    return { result, description: await ctx.client.workflow.getHandle(workflowId).describe() };
  }

  const expiryLog = async (hub: TestHub) =>
    (await call(api, 'GET', `/api/hubs/${hub.participant}/log?limit=100`))
      .json()
      .filter((l: { procedureStep: string; text: string }) => l.procedureStep === 'certificate' && l.text.startsWith('C7:')) as { level: string; text: string }[];

  it('warns at 60, 30 and 7 days, never twice, never proposes an unrelated office\'s certificate; the schedule exists', async () => {
    const hub = await createTestHub(api);
    const holding = (await call(api, 'GET', `/api/hubs/${hub.participant}/certificates`)).json()[0] as { id: string };
    // The holding's certificate expires in 70 days (its stored validity; the watch and C7 read it from there).
    const start = new Date();
    const validTo = new Date(start.getTime() + 70 * DAY);
    await ctx.pool.query('UPDATE certificates SET valid_to = $2 WHERE id = $1', [holding.id, validTo]);
    // Another office's unused certificate (another KvK number, another firm): no replacement of the holding's.
    const unrelated = await uploadCertificate(api, hub.participant, 'jansen');

    const at = (daysLater: number) => new Date(start.getTime() + daysLater * DAY);
    const fresh = async (daysLater: number) => (await watch(hub, at(daysLater))).result.warnings.filter((w) => w.fresh).map((w) => w.thresholdDays);
    expect(await fresh(0)).toEqual([]);
    expect(await fresh(10.5)).toEqual([60]);
    expect(await fresh(11)).toEqual([]);
    expect(await fresh(40.5)).toEqual([30]);
    expect(await fresh(41)).toEqual([]);
    expect(await fresh(63.5)).toEqual([7]);
    const last = await watch(hub, at(64));
    expect(last.result.warnings.filter((w) => w.fresh)).toEqual([]);
    expect(last.result.warnings.map((w) => [w.thresholdDays, w.proposal])).toEqual([
      [60, null],
      [30, null],
      [7, null],
    ]);

    // Search attributes of the watch: the warnings on record and the earliest expiry.
    expect([...(last.description.typedSearchAttributes.get(CertificateWarningsAttribute) ?? [])]).toEqual([`${holding.id}:60d`, `${holding.id}:30d`, `${holding.id}:7d`]);
    expect(last.description.typedSearchAttributes.get(CertificateExpiresAtAttribute)?.toISOString()).toBe(validTo.toISOString());
    expect(last.description.typedSearchAttributes.get(HubAttribute)).toBe(hub.participant);

    // The communication log: one line per threshold (the last week as F), naming the certificate by name and KvK
    // number and asking for the replacement; never the unrelated office's certificate.
    const lines = await expiryLog(hub);
    expect(lines.map((l) => l.level).reverse()).toEqual(['I', 'I', 'F']);
    for (const line of lines) {
      expect(line.text).toMatch(/^C7: certificate "AA Accountants Holding B.V." \(KvK 51234560\) expires in \d+ day\(s\)/);
      expect(line.text).toContain('install the new certificate, then run RB4');
      expect(line.text).not.toContain(unrelated.id);
      expect(line.text).not.toContain(unrelated.label);
    }

    // The API shows them on the certificate.
    const cert = (await call(api, 'GET', `/api/hubs/${hub.participant}/certificates/${holding.id}`)).json();
    expect(cert.expiry.warnings.map((w: { thresholdDays: number; proposal: string }) => [w.thresholdDays, w.proposal])).toEqual([
      [60, null],
      [30, null],
      [7, null],
    ]);
    expect(cert.expiry.current).toMatchObject({ proposal: null, replacement: null });
    expect(cert.expiry.daysLeft).toBe(69);

    // The daily Schedule of the hub.
    const schedule = await ctx.client.schedule.getHandle(certificateExpiryScheduleId(hub.participant)).describe();
    expect(schedule.action).toMatchObject({ type: 'startWorkflow', workflowType: 'certificateExpiryWatch' });
  });

  it('prefers a same-KvK replacement (RB4), named by name and KvK, recomputed when it is uploaded; POST expiry-watch runs the watch now', async () => {
    const hub = await createTestHub(api);
    const p = hub.participant;
    const holding = (await call(api, 'GET', `/api/hubs/${p}/certificates`)).json()[0] as { id: string; label: string };
    const validTo = new Date(Date.now() + 50 * DAY);
    await ctx.pool.query('UPDATE certificates SET valid_to = $2 WHERE id = $1', [holding.id, validTo]);
    const unrelated = await uploadCertificate(api, p, 'jansen');

    const first = await call(api, 'POST', `/api/hubs/${p}/certificates/expiry-watch`);
    expect(first.statusCode).toBe(200);
    expect(first.json().newWarnings).toEqual([expect.objectContaining({ certificateId: holding.id, thresholdDays: 60 })]);
    const named = { id: holding.id, label: 'AA Accountants Holding B.V.', kvkNumber: '51234560', validTo: validTo.toISOString() };
    expect(first.json().proposals).toEqual([{ certificate: named, daysLeft: expect.any(Number), proposal: null, replacement: null, text: expect.stringContaining('install the new certificate') }]);
    expect(first.json().proposals[0].text).not.toContain(unrelated.label);

    // The holding's renewal (same KvK number, later expiry) is uploaded: the proposal is recomputed at once.
    const renewal = await uploadCertificate(api, p, 'holding-new');
    const current = (await call(api, 'GET', `/api/hubs/${p}/certificates/${holding.id}`)).json().expiry.current;
    expect(current).toMatchObject({
      proposal: 'RB4',
      replacement: { id: renewal.id, label: 'AA Accountants Holding B.V. (new)', kvkNumber: '51234560' },
      text: expect.stringContaining(`run RB4 with the installed certificate "AA Accountants Holding B.V. (new)" (KvK 51234560), valid to`),
    });
    const lines = await expiryLog(hub);
    expect(lines[0]).toMatchObject({ level: 'I', text: expect.stringMatching(/^C7: for certificate "AA Accountants Holding B.V." \(KvK 51234560\) now run RB4 with the installed certificate "AA Accountants Holding B.V. \(new\)" \(KvK 51234560\)/) });

    // Run now again: no new warning, the same-KvK proposal, named.
    const second = await call(api, 'POST', `/api/hubs/${p}/certificates/expiry-watch`);
    expect(second.json()).toMatchObject({ checked: 1, newWarnings: [] });
    expect(second.json().proposals).toEqual([
      {
        certificate: named,
        daysLeft: expect.any(Number),
        proposal: 'RB4',
        replacement: { id: renewal.id, label: 'AA Accountants Holding B.V. (new)', kvkNumber: '51234560', validTo: expect.any(String) },
        text: expect.stringContaining(renewal.id),
      },
    ]);
    // The proposal holds: RB4 with it is planned (the renewal outlives the old one).
    const rb4 = await call(api, 'POST', `/api/hubs/${p}/runbooks`, { kind: 'RB4', certificateId: holding.id, newCertificateId: renewal.id });
    expect(rb4.statusCode).toBe(202);
    await until('the RB4 plan', async () => ((await call(api, 'GET', `/api/hubs/${p}/runbooks/${rb4.json().id}`)).json().phase === 'awaiting-confirmation' ? true : undefined));
    expect((await call(api, 'POST', `/api/hubs/${p}/runbooks/${rb4.json().id}/cancel`)).statusCode).toBe(202);
    await until('the RB4 to be cancelled', async () => ((await call(api, 'GET', `/api/hubs/${p}/runbooks/${rb4.json().id}`)).json().phase === 'cancelled' ? true : undefined));
    // The renewal deleted again: nothing to propose any more, at once.
    expect((await call(api, 'DELETE', `/api/hubs/${p}/certificates/${renewal.id}`)).statusCode).toBe(204);
    expect((await call(api, 'GET', `/api/hubs/${p}/certificates/${holding.id}`)).json().expiry.current).toMatchObject({ proposal: null, replacement: null });
  });

  it('an expired certificate is never used: mandate refused, filing failed with C7, nothing reaches Digipoort', async () => {
    const hub = await createTestHub(api, { certificate: 'expired' });
    const mandateRequest = await call(api, 'POST', `/api/hubs/${hub.participant}/mandates`, { organisationId: hub.organisationId, service: 'SBA', year: 2026, confirmLetterName: 'Verlopen Test B.V.' });
    expect(mandateRequest.statusCode).toBe(409);
    expect(mandateRequest.json()).toMatchObject({ rule: 'C7', message: expect.stringContaining('never used') });
    expect((await ctx.pool.query('SELECT count(*)::int AS n FROM mandates WHERE hub_id = $1', [hub.hubId])).rows[0].n).toBe(0);

    const posted = await postViaConnector(api, hub, vatReturnRequest(hub));
    expect(posted.statusCode).toBe(202);
    const failed = await until('the filing to fail', async () => {
      const filing = (await call(api, 'GET', `/api/hubs/${hub.participant}/filings/1`)).json();
      return filing.lifecycle === 70 ? filing : undefined;
    });
    expect(failed.deliveryState).not.toBe('submitted');
    const log = (await call(api, 'GET', `/api/hubs/${hub.participant}/log?messageNumber=1`)).json() as { level: string; text: string }[];
    expect(log.some((l) => l.level === 'F' && l.text.startsWith('C7:') && l.text.includes('never used'))).toBe(true);
    const deliveries = await simulatorAdmin.get<{ processes: unknown[] }>(`/admin/deliveries?senderIdentity=${organisation('expired').hrn}`);
    expect(deliveries.processes).toEqual([]);

    // The watch says so once, as an error.
    const { result } = await watch(hub, new Date());
    expect(result.warnings.map((w) => [w.thresholdDays, w.fresh])).toEqual([[0, true]]);
    expect((await watch(hub, new Date())).result.warnings.filter((w) => w.fresh)).toEqual([]);
    expect((await expiryLog(hub)).filter((l) => l.text.includes('expired on'))).toEqual([expect.objectContaining({ level: 'F' })]);
  });
});
