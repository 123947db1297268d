import { buildTestApp } from '../helpers/api';
import {
  addBecon,
  addClient,
  lettersFor,
  mandateDeliveries,
  mandateInState,
  requestCollective,
  setMandateDay,
  until,
  uploadCertificate,
  type MandateJson,
  type TestClient,
} from '../helpers/certificates';
import { call, createTestHub, type Api, type TestHub } from '../helpers/hub';
import { startTestContext, type TestContext } from '../helpers/temporal';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';
import { organisation, simulatorAdmin } from '../helpers/wus';

/**
 * The worker (worker/main.ts, its own process) is killed with SIGKILL in the middle of a runbook, twice: while
 * Digipoort holds the answer to a revocation it already accepted, and while it holds the answer to a new mandate
 * request. New workers pick up; the runbook completes; Digipoort accepted every mandate message exactly once and the
 * register holds no duplicate request.
 */
jest.setTimeout(360_000);

describe('a runbook survives SIGKILL of the worker with no duplicate mandate request', () => {
  let ctx: TestContext;
  let api: Api;
  let worker: WorkerProcess | undefined;
  let hub: TestHub;
  const clients: TestClient[] = [];
  const holding = organisation('holding');
  const replacement = organisation('servicebureau');

  beforeAll(async () => {
    ctx = await startTestContext('rbcrash', { worker: false });
    api = await buildTestApp(ctx);
    await setMandateDay(50);
  });
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
  });
  afterAll(async () => {
    await api?.app.close();
    await ctx?.close();
  });

  const startWorker = async (name: string) => {
    worker = await startWorkerProcess(ctx.config.temporal.taskQueue, name);
  };
  const messageStates = async (purpose: string) =>
    (
      await ctx.pool.query<{ delivery_state: string }>(
        `SELECT x.delivery_state FROM mandate_messages x JOIN mandates m ON m.id = x.mandate_id WHERE m.hub_id = $1 AND x.purpose = $2`,
        [hub.hubId, purpose],
      )
    ).rows.map((r) => r.delivery_state);
  /** Accepted mandate messages of this hub signed by `identity`. */
  const acceptedFrom = async (identity: string, berichtsoort: string) =>
    (await simulatorAdmin.get<{ processes: { aanleverkenmerk: string | null; berichtsoort: string }[] }>(`/admin/deliveries?senderIdentity=${identity}&limit=1000`)).processes.filter(
      (p) => p.berichtsoort === berichtsoort && p.aanleverkenmerk?.startsWith(`MA${hub.participant}-`),
    ).length;

  it('killed while a revocation and then a new request were held by Digipoort', async () => {
    await startWorker('setup');
    hub = await createTestHub(api);
    await addBecon(api, hub.participant, '100001', 'Kantoor');
    for (const name of ['een', 'twee', 'drie']) clients.push(await addClient(api, hub.participant, `Klant ${name}`, { 2026: '100001' }));
    const collective = await requestCollective(api, hub.participant, { organisationIds: clients.map((c) => c.organisationId), service: 'SBA', year: 2026 });
    for (const m of collective.json().requested as MandateJson[]) await mandateInState(api, hub.participant, m.id, 'ACTIVE');
    const newCertificate = await uploadCertificate(api, hub.participant, 'servicebureau');

    // RB5: the work certificate is replaced by one with another KvK number: every mandate is revoked and requested anew.
    const started = await call(api, 'POST', `/api/hubs/${hub.participant}/runbooks`, { kind: 'RB5', certificateId: (await call(api, 'GET', `/api/hubs/${hub.participant}/certificate-settings`)).json().workCertificateId, newCertificateId: newCertificate.id });
    expect(started.statusCode).toBe(202);
    const id = started.json().id as string;
    await until('the plan', async () => ((await call(api, 'GET', `/api/hubs/${hub.participant}/runbooks/${id}`)).json().phase === 'awaiting-confirmation' ? true : undefined));

    // Digipoort processes the first revocation and the first new request, then answers late.
    await simulatorAdmin.addFault({ kind: 'latency-after', latencyMs: 4000, senderIdentity: holding.hrn, bodyContains: `MA${hub.participant}-`, count: 1 });
    await simulatorAdmin.addFault({ kind: 'latency-after', latencyMs: 4000, senderIdentity: replacement.hrn, bodyContains: 'Machtiging_aanvragen', count: 1 });
    expect((await call(api, 'POST', `/api/hubs/${hub.participant}/runbooks/${id}/confirm`)).statusCode).toBe(202);

    await until('Digipoort to accept a revocation', async () => ((await acceptedFrom(holding.hrn, 'Machtiging_intrekken')) >= 1 ? true : undefined), 60_000, 50);
    await worker!.kill();
    expect(await messageStates('revoke')).toContain('submitting');

    await startWorker('after-revocation');
    await until('Digipoort to accept a new request', async () => ((await acceptedFrom(replacement.hrn, 'Machtiging_aanvragen')) >= 1 ? true : undefined), 120_000, 50);
    await worker!.kill();
    expect(await messageStates('request')).toContain('submitting');

    await startWorker('after-request');
    const final = await until(
      'the runbook to complete',
      async () => {
        const r = (await call(api, 'GET', `/api/hubs/${hub.participant}/runbooks/${id}`)).json();
        if (r.phase === 'paused' || r.phase === 'failed') throw new Error(`runbook ${r.phase}: ${r.reason}`);
        return r.phase === 'completed' ? r : undefined;
      },
      240_000,
      500,
    );
    expect(final.progress).toBe(100);

    // Exactly once: every mandate message of the hub was accepted once (3 requests, 3 revocations, 3 new requests).
    const deliveries = await mandateDeliveries(hub.participant);
    expect(Object.values(deliveries)).toEqual(Array(9).fill(1));
    expect(await acceptedFrom(replacement.hrn, 'Machtiging_aanvragen')).toBe(3);
    expect(await acceptedFrom(holding.hrn, 'Machtiging_intrekken')).toBe(3);
    // The register: per client the revoked registration and exactly one new one.
    for (const client of clients) {
      const letters = await lettersFor(client.fiscalNumber);
      expect(letters.map((l) => [l.intermediair.kvkNumber, l.rejectedReason])).toEqual([
        [holding.kvkNumber, null],
        [replacement.kvkNumber, null],
      ]);
      expect(letters[0].toestand).toBe('INGETROKKEN');
    }
    const log = (await call(api, 'GET', `/api/hubs/${hub.participant}/log?limit=200`)).json() as { text: string }[];
    expect(log.filter((l) => l.text.includes('process adopted')).length).toBeGreaterThanOrEqual(2);
    const mandates = (await call(api, 'GET', `/api/hubs/${hub.participant}/mandates`)).json() as MandateJson[];
    expect(mandates.filter((m) => m.state === 'REVOKED')).toHaveLength(3);
    expect(mandates.filter((m) => ['ONTVANGEN', 'ACTIVE'].includes(m.state)).map((m) => m.certificateId)).toEqual(Array(3).fill(newCertificate.id));
  });
});
