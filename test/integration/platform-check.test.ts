import type { FastifyInstance } from 'fastify';
import { buildTestApp } from '../helpers/api';
import { startTestContext, type TestContext } from '../helpers/temporal';

describe('connectivity check workflow (API -> real Temporal -> worker -> PostgreSQL)', () => {
  let ctx: TestContext;
  let app: FastifyInstance;
  let staffToken: string;

  beforeAll(async () => {
    ctx = await startTestContext('platform');
    ({ app, staffToken } = await buildTestApp(ctx));
  });
  afterAll(async () => {
    await app?.close();
    await ctx?.close();
  });

  it('starts through the API, runs an activity that writes PostgreSQL, and is visible with a meaningful id', async () => {
    const started = await app.inject({
      method: 'POST',
      url: '/api/platform/checks',
      headers: { authorization: `Bearer ${staffToken}` },
      payload: { label: 'jest' },
    });
    expect(started.statusCode).toBe(202);
    const check = started.json();
    expect(started.headers.location).toBe(`/api/platform/checks/${check.id}`);
    expect(check.workflowId).toMatch(/^platform-check-\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    expect(check.status).toBe('running');

    const result = await ctx.client.workflow.getHandle(check.workflowId).result();
    expect(result.checkId).toBe(check.id);

    const read = await app.inject({
      method: 'GET',
      url: `/api/platform/checks/${check.id}`,
      headers: { authorization: `Bearer ${staffToken}` },
    });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({ id: check.id, status: 'completed', label: 'jest' });

    // The row in PostgreSQL carries the run that wrote it.
    const { rows } = await ctx.pool.query('SELECT run_id, completed_at FROM platform_checks WHERE id = $1', [check.id]);
    const description = await ctx.client.workflow.getHandle(check.workflowId).describe();
    expect(rows[0].run_id).toBe(description.runId);
    expect(rows[0].completed_at).toBeInstanceOf(Date);
    expect(description.type).toBe('platformCheck');
    expect(description.status.name).toBe('COMPLETED');

    // Operators find it in visibility (what the Web UI lists).
    let listed: string[] = [];
    for (let i = 0; i < 40 && listed.length === 0; i++) {
      listed = [];
      for await (const wf of ctx.client.workflow.list({ query: `WorkflowId = '${check.workflowId}'` })) listed.push(wf.workflowId);
      if (listed.length === 0) await new Promise((r) => setTimeout(r, 250));
    }
    expect(listed).toEqual([check.workflowId]);
  });

  it('starts with one bare POST (no body), as the README shows', async () => {
    const started = await app.inject({
      method: 'POST',
      url: '/api/platform/checks',
      headers: { authorization: `Bearer ${staffToken}` },
    });
    expect(started.statusCode).toBe(202);
    expect(started.json().label).toBe('connectivity check');
  });

  it('refuses without a staff token and stores nothing', async () => {
    const before = await ctx.pool.query('SELECT count(*)::int AS n FROM platform_checks');
    const refused = await app.inject({ method: 'POST', url: '/api/platform/checks', payload: { label: 'x' } });
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toEqual({ error: 'Unauthorized', message: 'a valid staff bearer token is required' });
    const wrong = await app.inject({
      method: 'POST',
      url: '/api/platform/checks',
      headers: { authorization: 'Bearer fhs_not-a-real-token-at-all' },
    });
    expect(wrong.statusCode).toBe(401);
    const after = await ctx.pool.query('SELECT count(*)::int AS n FROM platform_checks');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it('answers an unknown check with 404', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/api/platform/checks/nope',
      headers: { authorization: `Bearer ${staffToken}` },
    });
    expect(res.statusCode).toBe(404);
  });

  it('keeps payloads encrypted in Temporal history', async () => {
    const started = await app.inject({
      method: 'POST',
      url: '/api/platform/checks',
      headers: { authorization: `Bearer ${staffToken}` },
      payload: { label: 'encrypted' },
    });
    const { workflowId, id } = started.json();
    await ctx.client.workflow.getHandle(workflowId).result();
    const history = await ctx.client.workflow.getHandle(workflowId).fetchHistory();
    const started0 = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    const payload = started0?.input?.payloads?.[0];
    expect(Buffer.from(payload?.metadata?.encoding ?? []).toString()).toBe('binary/encrypted');
    expect(Buffer.from(payload?.data ?? []).toString('latin1')).not.toContain(id);
  });
});
