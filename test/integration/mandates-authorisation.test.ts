import { createStaffToken } from '../../api/plugins/auth';
import { buildTestApp } from '../helpers/api';
import { addClient, lettersFor, mandate, mandateDeliveries, mandateInState, requestMandate, setMandateDay, until, type TestClient } from '../helpers/certificates';
import { call, createTestHub, type Api, type TestHub } from '../helpers/hub';
import { addContactPerson, enablePortal, portalGet, portalLink, portalLogin, redeem } from '../helpers/portal';
import { startTestContext, type TestContext } from '../helpers/temporal';

/**
 * C6 beyond the single mandate (seed 000): four eyes on requests ("autoriseren", "vrijgeven"), collective revoke,
 * departing clients ("vertrekkende cliënten") and deleting settled mandates ("Machtigingen verwijderen"), through
 * the real API, Temporal, PostgreSQL and the simulated register.
 */
describe('mandate authorisation, collective revoke, departing clients, deletion (C6)', () => {
  let ctx: TestContext;
  let api: Api;
  /** A second person: another staff token on the same app. */
  let second: Api;
  beforeAll(async () => {
    ctx = await startTestContext('mandates-authorisation');
    api = await buildTestApp(ctx);
    second = { app: api.app, staffToken: (await createStaffToken(ctx.pool, 'second')).token };
    await setMandateDay(50);
  });
  afterAll(async () => {
    await api?.app.close();
    await ctx?.close();
  });

  const base = (hub: TestHub) => `/api/hubs/${hub.participant}/mandates`;
  const requested = async (hub: TestHub, body: Record<string, unknown>) => {
    const res = await requestMandate(api, hub.participant, body);
    if (res.statusCode !== 202) throw new Error(`request: ${res.statusCode} ${res.body}`);
    return res.json() as { id: string; state: string; authorisation: string | null; workflowId: string };
  };
  const rowOf = async (id: string) => (await ctx.pool.query('SELECT * FROM mandates WHERE id = $1', [id])).rows[0] as Record<string, unknown> | undefined;
  const messageRowsOf = async (id: string) => (await ctx.pool.query('SELECT * FROM mandate_messages WHERE mandate_id = $1 ORDER BY seq', [id])).rows;
  const attemptCount = async (id: string) =>
    (await ctx.pool.query('SELECT count(*)::int AS n FROM submission_attempts a JOIN mandate_messages x ON x.id = a.mandate_message_id WHERE x.mandate_id = $1', [id])).rows[0].n as number;

  /** An ACTIVE SBA mandate (26 simulated days without objection). */
  async function activeSba(hub: TestHub, client: TestClient, year = 2026) {
    const m = await requested(hub, { organisationId: client.organisationId, service: 'SBA', year });
    return mandateInState(api, hub.participant, m.id, 'ACTIVE');
  }

  it('with four eyes on, a request is held until another staff token authorises it, then sent and active; its own token is refused', async () => {
    const hub = await createTestHub(api);
    // Off by default: today's behaviour, a request goes out at once.
    expect((await call(api, 'GET', `/api/hubs/${hub.participant}/mandate-settings`)).json()).toEqual({ authorisationRequired: false });
    const before = await addClient(api, hub.participant, 'Klant zonder vier ogen', {});
    expect((await requested(hub, { organisationId: before.organisationId, service: 'SBA', year: 2026 })).authorisation).toBeNull();

    const on = await call(api, 'PUT', `/api/hubs/${hub.participant}/mandate-settings`, { authorisationRequired: true });
    expect(on.statusCode).toBe(200);
    expect(on.json()).toEqual({ authorisationRequired: true });

    const client = await addClient(api, hub.participant, 'Klant vier ogen', {});
    const held = await requested(hub, { organisationId: client.organisationId, service: 'SBA', year: 2026 });
    expect(held).toMatchObject({ state: 'REQUESTED', authorisation: 'awaiting' });
    // Held: its workflow runs (and is asked to check), yet nothing reaches Digipoort or the register.
    for (let i = 0; i < 3; i++) {
      await call(api, 'POST', `${base(hub)}/${held.id}/check`);
      await new Promise((r) => setTimeout(r, 700));
    }
    const waiting = await mandate(api, hub.participant, held.id);
    expect(waiting.state).toBe('REQUESTED');
    expect(waiting.messages).toEqual([expect.objectContaining({ purpose: 'request', deliveryState: 'ready', aanleverkenmerk: null, kenmerk: null })]);
    expect(await lettersFor(client.fiscalNumber)).toEqual([]);
    expect(await attemptCount(held.id)).toBe(0);
    const listed = (await call(api, 'GET', `${base(hub)}/awaiting-authorisation`)).json() as { id: string }[];
    expect(listed.map((m) => m.id)).toEqual([held.id]);

    // The token that requested it cannot authorise it, alone or collectively; nothing changes.
    const rowBefore = await rowOf(held.id);
    const own = await call(api, 'POST', `${base(hub)}/${held.id}/authorise`);
    expect(own.statusCode).toBe(403);
    expect(own.json()).toMatchObject({ rule: 'C6', message: expect.stringContaining('four eyes') });
    const ownCollective = await call(api, 'POST', `${base(hub)}/collective/authorise`, { all: true });
    expect(ownCollective.statusCode).toBe(202);
    expect(ownCollective.json()).toMatchObject({ authorised: [], refused: [{ mandateId: held.id, rule: 'C6' }] });
    expect(await rowOf(held.id)).toEqual(rowBefore);
    expect((await mandate(api, hub.participant, held.id)).messages[0].deliveryState).toBe('ready');

    // A second person authorises: released, sent, and active like any request.
    const authorised = await call(second, 'POST', `${base(hub)}/${held.id}/authorise`);
    expect(authorised.statusCode).toBe(202);
    expect(authorised.json()).toMatchObject({ authorisation: 'authorised', authorisationDecidedBy: 'staff second', requestedBy: 'staff test' });
    const active = await mandateInState(api, hub.participant, held.id, 'ACTIVE');
    expect(active.messages).toEqual([expect.objectContaining({ purpose: 'request', deliveryState: 'submitted', outcome: 'ACTIEF' })]);
    expect((await lettersFor(client.fiscalNumber))[0]).toMatchObject({ dienst: 'SBA', jaar: 2026, toestand: 'ACTIEF' });
    expect(Object.values(await mandateDeliveries(hub.participant)).every((n) => n === 1)).toBe(true);
    const again = await call(second, 'POST', `${base(hub)}/${held.id}/authorise`);
    expect(again.statusCode).toBe(409);
    expect(again.json().rule).toBe('C6');

    // Refused by the second person: REJECTED, never sent. Withdrawn by the requester: REVOKED, never sent.
    const refusedClient = await addClient(api, hub.participant, 'Klant geweigerd', {});
    const toRefuse = await requested(hub, { organisationId: refusedClient.organisationId, service: 'VIA', year: 2026 });
    const refused = await call(second, 'POST', `${base(hub)}/${toRefuse.id}/refuse-authorisation`, { reason: 'client left the office' });
    expect(refused.statusCode).toBe(202);
    expect(refused.json()).toMatchObject({ state: 'REJECTED', authorisation: 'refused', reason: expect.stringContaining('not authorised') });
    const withdrawnClient = await addClient(api, hub.participant, 'Klant ingetrokken', {});
    const toWithdraw = await requested(hub, { organisationId: withdrawnClient.organisationId, service: 'SBA', year: 2026 });
    expect((await call(api, 'POST', `${base(hub)}/${toWithdraw.id}/revoke`)).statusCode).toBe(202);
    await mandateInState(api, hub.participant, toWithdraw.id, 'REVOKED');
    expect(await lettersFor(refusedClient.fiscalNumber)).toEqual([]);
    expect(await lettersFor(withdrawnClient.fiscalNumber)).toEqual([]);
    expect(await attemptCount(toRefuse.id)).toBe(0);
    expect(await attemptCount(toWithdraw.id)).toBe(0);
    await until('the refused mandate\'s workflow to end', async () =>
      (await ctx.client.workflow.getHandle(toRefuse.workflowId).describe()).status.name === 'COMPLETED' ? true : undefined,
    );
  });

  it('collective revoke: by certificate KvK and service, and by list (a settled one is refused with C6); each by its own workflow', async () => {
    const hub = await createTestHub(api);
    const clients = await Promise.all(['A', 'B', 'C'].map((n) => addClient(api, hub.participant, `Klant collectief ${n}`, {})));
    const sba = [];
    for (const client of clients) sba.push(await activeSba(hub, client));
    const via = await requested(hub, { organisationId: clients[2].organisationId, service: 'VIA', year: 2026 });
    await mandateInState(api, hub.participant, via.id, 'ONTVANGEN');
    const other = await createTestHub(api);
    const untouched = await activeSba(other, await addClient(api, other.participant, 'Klant ander kantoor', {}));

    const kvkNumber = (await call(api, 'GET', `${base(hub)}/${sba[0].id}`)).json().intermediaryKvkNumber as string;
    expect(kvkNumber).toMatch(/^\d{8}$/);
    const none = await call(api, 'POST', `${base(hub)}/collective/revoke`, {});
    expect(none.statusCode).toBe(422);
    const revoked = await call(api, 'POST', `${base(hub)}/collective/revoke`, { kvkNumber, service: 'SBA' });
    expect(revoked.statusCode).toBe(202);
    expect((revoked.json().revoked as { id: string }[]).map((m) => m.id).sort()).toEqual(sba.map((m) => m.id).sort());
    expect(revoked.json().refused).toEqual([]);
    for (const m of sba) {
      const done = await mandateInState(api, hub.participant, m.id, 'REVOKED');
      expect(done.messages.filter((x) => x.purpose === 'revoke')).toEqual([expect.objectContaining({ deliveryState: 'submitted', outcome: 'INGETROKKEN' })]);
    }
    for (const client of clients) expect((await lettersFor(client.fiscalNumber)).find((l) => l.dienst === 'SBA')?.toestand).toBe('INGETROKKEN');
    expect((await mandate(api, hub.participant, via.id)).state).toBe('ONTVANGEN');
    // Another hub's mandate under the same certificate is never selected.
    expect((await mandate(api, other.participant, untouched.id)).state).toBe('ACTIVE');

    const byList = await call(api, 'POST', `${base(hub)}/collective/revoke`, { mandateIds: [sba[0].id, via.id] });
    expect(byList.statusCode).toBe(202);
    expect(byList.json().revoked.map((m: { id: string }) => m.id)).toEqual([via.id]);
    expect(byList.json().refused).toEqual([expect.objectContaining({ mandateId: sba[0].id, rule: 'C6' })]);
    await mandateInState(api, hub.participant, via.id, 'REVOKED');
  });

  it('a departing client: one workflow ends its portal access and revokes all its mandates; its portal link stops working', async () => {
    const hub = await createTestHub(api);
    await enablePortal(api, hub, ['vat-return']);
    const client = await addClient(api, hub.participant, 'Vertrekkende klant', {});
    const stays = await addClient(api, hub.participant, 'Blijvende klant', {});
    const sba = await activeSba(hub, client);
    const via = await requested(hub, { organisationId: client.organisationId, service: 'VIA', year: 2026, continuing: true });
    await mandateInState(api, hub.participant, via.id, 'ONTVANGEN');
    const staying = await activeSba(hub, stays);
    const contact = await addContactPerson(api, hub, client.organisationId, 'Vera Vertrek', `vera.${hub.participant}@client.test`);
    const session = await portalLogin(api, hub, contact);
    expect((await portalGet(api, session, '/portal')).statusCode).toBe(200);
    const unused = await portalLink(api, hub, contact);

    const url = `/api/hubs/${hub.participant}/organisations/${client.organisationId}/departure`;
    expect((await call(api, 'GET', url)).statusCode).toBe(404);
    const started = await call(api, 'POST', url);
    expect(started.statusCode).toBe(202);
    const departure = started.json() as { id: string; workflowId: string };
    expect(departure.workflowId).toBe(`client-departure-${hub.participant}-${client.organisationId}`);
    // One departure per client: asking again answers the same one.
    const twice = await call(second, 'POST', url);
    expect(twice.statusCode).toBe(200);
    expect(twice.json().id).toBe(departure.id);

    const done = await until(
      'the departure to complete',
      async () => {
        const d = (await call(api, 'GET', url)).json();
        return d.phase === 'completed' || d.phase === 'incomplete' ? d : undefined;
      },
      90_000,
      300,
    );
    expect(done).toMatchObject({ phase: 'completed', mandates: { total: 2, settled: 2 }, portalAccess: { linksRevoked: 1, sessionsRevoked: 1 }, reason: null });
    expect(done.outcome.mandates).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ mandateId: sba.id, service: 'SBA', state: 'REVOKED' }),
        expect.objectContaining({ mandateId: via.id, service: 'VIA', state: 'REVOKED' }),
      ]),
    );
    expect(done.finishedAt).not.toBeNull();
    // The record is written by the workflow's last activity, a moment before the workflow itself closes.
    const departureRun = ctx.client.workflow.getHandle(departure.workflowId);
    await departureRun.result();
    expect((await departureRun.describe()).status.name).toBe('COMPLETED');
    for (const l of await lettersFor(client.fiscalNumber)) expect(l.toestand).toBe('INGETROKKEN');
    expect((await mandate(api, hub.participant, staying.id)).state).toBe('ACTIVE');

    // The portal: the session ends, the unused link no longer works, and no new link or mandate is given out.
    const afterwards = await portalGet(api, session, '/portal');
    expect(afterwards.statusCode).toBe(303);
    expect(afterwards.headers.location).toBe('/portal/login');
    expect((await redeem(api, unused.token)).status).toBe(401);
    const newLink = await call(api, 'POST', `/api/hubs/${hub.participant}/contact-persons/${contact}/portal-tokens`, {});
    expect(newLink.statusCode).toBe(409);
    expect(newLink.json().rule).toBe('C6');
    const tokens = (await ctx.pool.query('SELECT count(*)::int AS n FROM portal_tokens WHERE contact_person_id = $1', [contact])).rows[0].n;
    expect(tokens).toBe(2);
    const newMandate = await call(api, 'POST', base(hub), { organisationId: client.organisationId, service: 'SBA', year: 2027, dryRun: true });
    expect(newMandate.statusCode).toBe(409);
    expect(newMandate.json()).toMatchObject({ rule: 'C6', message: expect.stringContaining('departed') });
    // Done: asking again answers the record of the outcome.
    const finished = await call(api, 'POST', url);
    expect(finished.statusCode).toBe(200);
    expect(finished.json()).toMatchObject({ id: departure.id, phase: 'completed', runs: 1 });
  });

  it('a settled mandate can be deleted; an active one is refused with C6 and nothing changes', async () => {
    const hub = await createTestHub(api);
    const client = await addClient(api, hub.participant, 'Klant verwijderen', {});
    const active = await activeSba(hub, client, 2025);
    const rowBefore = await rowOf(active.id);
    const messagesBefore = await messageRowsOf(active.id);
    const refused = await call(api, 'DELETE', `${base(hub)}/${active.id}`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ rule: 'C6', message: expect.stringContaining('ACTIVE') });
    expect(await rowOf(active.id)).toEqual(rowBefore);
    expect(await messageRowsOf(active.id)).toEqual(messagesBefore);
    expect((await mandate(api, hub.participant, active.id)).state).toBe('ACTIVE');

    expect((await call(api, 'POST', `${base(hub)}/${active.id}/revoke`)).statusCode).toBe(202);
    const revoked = await mandateInState(api, hub.participant, active.id, 'REVOKED');
    await until('the revoked mandate\'s workflow to end', async () =>
      (await ctx.client.workflow.getHandle(revoked.workflowId).describe()).status.name === 'COMPLETED' ? true : undefined,
    );
    const messageIds = (await messageRowsOf(active.id)).map((x) => x.id as string);
    expect(messageIds).toHaveLength(2);
    expect(await attemptCount(active.id)).toBe(2);
    const deleted = await call(api, 'DELETE', `${base(hub)}/${active.id}`);
    expect(deleted.statusCode).toBe(204);
    expect(await rowOf(active.id)).toBeUndefined();
    expect(await messageRowsOf(active.id)).toEqual([]);
    expect((await ctx.pool.query('SELECT count(*)::int AS n FROM submission_attempts WHERE mandate_message_id = ANY($1)', [messageIds])).rows[0].n).toBe(0);
    expect((await call(api, 'GET', `${base(hub)}/${active.id}`)).statusCode).toBe(404);
    expect((await call(api, 'DELETE', `${base(hub)}/${active.id}`)).statusCode).toBe(404);
    const log = (await call(api, 'GET', `/api/hubs/${hub.participant}/log?limit=50`)).json() as { text: string }[];
    expect(log.some((l) => l.text.includes(`mandate SBA 2025 of client ${client.organisationId} (REVOKED) deleted by staff test`))).toBe(true);
    // Another hub cannot delete (or see) it either way.
    const other = await createTestHub(api);
    const foreign = await activeSba(hub, await addClient(api, hub.participant, 'Klant elders', {}), 2025);
    expect((await call(api, 'DELETE', `/api/hubs/${other.participant}/mandates/${foreign.id}`)).statusCode).toBe(404);
  });
});
