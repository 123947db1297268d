import { randomUUID } from 'node:crypto';
import { WusTransportError } from '../../integrations/wus/errors';
import type { WusClient } from '../../integrations/wus/client';
import { organisation, simulatorAdmin, vatInstance, wusClientFor } from '../helpers/wus';

/**
 * Fault injection at the simulator, as the filing hub's exactly-once tests need it, seen through the client: each
 * fault is scoped to one sender certificate (and a marker in the request) so parallel tests are not disturbed.
 */
const OB = '001000044B37';

describe('simulator fault injection, seen through the WUS client', () => {
  const sender = organisation('servicebureau');
  let client: WusClient;

  beforeAll(async () => {
    await simulatorAdmin.register(sender.hrn);
    client = wusClientFor('servicebureau', { timeoutMs: 3000 });
  });
  afterAll(() => client.close());

  const deliver = (aanleverkenmerk: string) =>
    client.aanleveren({
      berichtsoort: 'Omzetbelasting',
      aanleverkenmerk,
      identiteitBelanghebbende: { nummer: OB, type: 'Fi' },
      rolBelanghebbende: 'Intermediair',
      berichtInhoud: { mimeType: 'application/xml', bestandsnaam: 'a.xbrl', inhoud: vatInstance(OB) },
    });
  const marker = () => `fault-${randomUUID().slice(0, 12)}`;

  it('latency: the answer comes late but complete', async () => {
    const kenmerk = marker();
    await simulatorAdmin.addFault({ kind: 'latency', latencyMs: 1200, senderIdentity: sender.hrn, bodyContains: kenmerk, count: 1 });
    const started = Date.now();
    await deliver(kenmerk);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1100);
    expect(await simulatorAdmin.acceptedCount(kenmerk)).toBe(1);
  });

  it('a rule limited to one operation leaves the others alone', async () => {
    const { result } = await deliver(marker());
    // Both requests below carry the process kenmerk in their body; only the status request is hit.
    await simulatorAdmin.addFault({ kind: 'http503', operation: 'getStatussenProces', senderIdentity: sender.hrn, bodyContains: result.kenmerk, count: 1 });
    const second = `a-${result.kenmerk}`;
    await deliver(second);
    expect(await simulatorAdmin.acceptedCount(second)).toBe(1);
    await expect(client.getStatussenProces({ kenmerk: result.kenmerk })).rejects.toMatchObject({ failure: 'http-status', httpStatus: 503 });
    expect((await client.getStatussenProces({ kenmerk: result.kenmerk })).length).toBeGreaterThan(0);
  });

  it('HTTP 503: an ambiguous failure, and nothing accepted', async () => {
    const kenmerk = marker();
    await simulatorAdmin.addFault({ kind: 'http503', senderIdentity: sender.hrn, bodyContains: kenmerk, count: 1 });
    await expect(deliver(kenmerk)).rejects.toMatchObject({ failure: 'http-status', httpStatus: 503, ambiguous: true });
    expect(await simulatorAdmin.acceptedCount(kenmerk)).toBe(0);
  });

  it('connection reset before processing: ambiguous for the client, nothing accepted', async () => {
    const kenmerk = marker();
    await simulatorAdmin.addFault({ kind: 'reset-before', senderIdentity: sender.hrn, bodyContains: kenmerk, count: 1 });
    const error = await deliver(kenmerk).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WusTransportError);
    expect(error).toMatchObject({ failure: 'reset', ambiguous: true });
    expect(await simulatorAdmin.acceptedCount(kenmerk)).toBe(0);
  });

  it('connection reset after processing: ambiguous for the client, yet accepted once at Digipoort', async () => {
    const kenmerk = marker();
    await simulatorAdmin.addFault({ kind: 'reset-after', senderIdentity: sender.hrn, bodyContains: kenmerk, count: 1 });
    await expect(deliver(kenmerk)).rejects.toMatchObject({ name: 'WusTransportError', ambiguous: true });
    expect(await simulatorAdmin.acceptedCount(kenmerk)).toBe(1);
    // getProcessen finds it: the way to reconcile instead of resending.
    const processes = await client.getProcessen({ berichtsoort: 'Omzetbelasting', identiteitBelanghebbende: { nummer: OB, type: 'Fi' } });
    const deliveries = await simulatorAdmin.get<{ processes: { kenmerk: string; aanleverkenmerk: string }[] }>(
      `/admin/deliveries?aanleverkenmerk=${kenmerk}`,
    );
    expect(processes.map((p) => p.kenmerk)).toContain(deliveries.processes[0].kenmerk);
  });

  it('HTTP 500 without a fault after processing: ambiguous, accepted once', async () => {
    const kenmerk = marker();
    await simulatorAdmin.addFault({ kind: 'http500-after', senderIdentity: sender.hrn, bodyContains: kenmerk, count: 1 });
    await expect(deliver(kenmerk)).rejects.toMatchObject({ failure: 'http-status', httpStatus: 500, ambiguous: true });
    expect(await simulatorAdmin.acceptedCount(kenmerk)).toBe(1);
  });

  it('never answering: the client times out, ambiguous', async () => {
    const kenmerk = marker();
    await simulatorAdmin.addFault({ kind: 'hang', senderIdentity: sender.hrn, bodyContains: kenmerk, count: 1 });
    const started = Date.now();
    await expect(deliver(kenmerk)).rejects.toMatchObject({ failure: 'timeout', ambiguous: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
    expect(await simulatorAdmin.acceptedCount(kenmerk)).toBe(0);
  });

  it('a fraction of requests: only some are hit', async () => {
    const kenmerk = marker();
    await simulatorAdmin.addFault({ kind: 'http503', senderIdentity: sender.hrn, bodyContains: kenmerk, fraction: 0.5, count: 100 });
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () => deliver(kenmerk).then(() => 'ok', (e: WusTransportError) => e.httpStatus)),
    );
    expect(outcomes.filter((o) => o === 'ok').length).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o === 503).length).toBeGreaterThan(0);
    expect(await simulatorAdmin.acceptedCount(kenmerk)).toBe(outcomes.filter((o) => o === 'ok').length);
  });
});
