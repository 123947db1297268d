import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { buildTestApp } from '../helpers/api';
import { createLogger } from '../../lib/logger';
import { createTestHub, postViaConnector, sendReceiveUntil, vatReturnRequest, type Api } from '../helpers/hub';
import { startTestContext, type TestContext } from '../helpers/temporal';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';
import { simulatorAdmin } from '../helpers/wus';

/**
 * Logs carry no secret and no BSN: request logs show no query string (a login link's token, a UI's access_token),
 * and neither the API's nor the worker's log shows a client's OB number (a sole trader's contains the BSN).
 */
describe('logs carry no secret and no BSN', () => {
  let ctx: TestContext;
  let api: Api;
  let worker: WorkerProcess;
  const lines: string[] = [];

  beforeAll(async () => {
    ctx = await startTestContext('logs', { worker: false });
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    api = await buildTestApp(ctx, { logger: createLogger('api-logs-test', 'info', sink) });
    worker = await startWorkerProcess(ctx.config.temporal.taskQueue, 'logs');
  });
  afterAll(async () => {
    await worker?.stop();
    await api?.app.close();
    await ctx?.close();
  });

  it('request logs redact query strings, token and access_token included', async () => {
    await api.app.inject({ method: 'GET', url: '/portal/login?token=fhp_TOPSECRET123&x=1' });
    await api.app.inject({ method: 'GET', url: '/health?access_token=at_TOPSECRET456' });
    await api.app.inject({ method: 'POST', url: '/codec/decode?access_token=at_TOPSECRET789', payload: { payloads: [] } });
    const requests = lines.filter((l) => l.includes('incoming request'));
    expect(requests.length).toBeGreaterThanOrEqual(3);
    expect(requests.some((l) => l.includes('"url":"/portal/login?[redacted]"'))).toBe(true);
    for (const secret of ['TOPSECRET123', 'TOPSECRET456', 'TOPSECRET789']) expect(lines.join('\n')).not.toContain(secret);
  });

  it("a client's OB number appears in no log line of the API or the worker, through faults and reconcile", async () => {
    const hub = await createTestHub(api);
    await simulatorAdmin.addFault({ kind: 'reset-after', bodyContains: `FH${hub.participant}-1-v1-a1`, count: 1 });
    const posted = await postViaConnector(api, hub, vatReturnRequest(hub));
    expect(posted.statusCode).toBe(202);
    await sendReceiveUntil(api, hub, 1, (f) => f.lifecycle === 80, 60_000);
    // A refused filing too: its error names the field, not the number.
    await postViaConnector(api, hub, vatReturnRequest(hub, '2026-Q2', { obNumber: 'NL123456789B01' }));
    await worker.stop();
    const digits = hub.obNumber.slice(0, 9);
    const workerLog = readFileSync(path.join(process.env.TEST_RUN_DIR as string, 'worker-logs.log'), 'utf8');
    expect(workerLog).toContain('Activity failed'); // the ambiguous attempt was logged
    expect(workerLog).not.toContain(digits);
    expect(lines.join('\n')).not.toContain(digits);
  }, 120_000);
});
