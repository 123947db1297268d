import { buildTestApp } from '../helpers/api';
import { addBecon, addClient, lettersFor, mandate, mandateInState, requestMandate, setMandateDay, until, uploadCertificate } from '../helpers/certificates';
import { call, createTestHub, type Api } from '../helpers/hub';
import { startTestContext, type TestContext } from '../helpers/temporal';

/**
 * C3: the accountant confirms a letter name, the register prints another. The hub keeps the confirmed name, flags the
 * mandate for a person, logs both names at level F, and corrects the certificate's letter name only when the
 * accountant confirms the register's name.
 */
jest.setTimeout(180_000);

describe('C3: the register prints another letter name than the one confirmed', () => {
  let ctx: TestContext;
  let api: Api;
  beforeAll(async () => {
    ctx = await startTestContext('lettername');
    api = await buildTestApp(ctx);
    await setMandateDay(50);
  });
  afterAll(async () => {
    await api?.app.close();
    await ctx?.close();
  });

  it('flags the mandate, logs F with both names, keeps the certificate\'s name until the accountant confirms the register\'s', async () => {
    const hub = await createTestHub(api);
    const p = hub.participant;
    const holding = (await call(api, 'GET', `/api/hubs/${p}/certificate-settings`)).json().workCertificateId as string;
    // The accountant edited the name the letters would show; the register knows the firm by its KvK registration.
    expect((await call(api, 'PATCH', `/api/hubs/${p}/certificates/${holding}`, { letterName: 'AA Groep B.V.' })).statusCode).toBe(200);
    await addBecon(api, p, '100001', 'Noord');
    const client = await addClient(api, p, 'Klant brief', { 2026: '100001' });
    const other = await addClient(api, p, 'Klant brief twee', { 2026: '100001' });
    const created = await requestMandate(api, p, { organisationId: client.organisationId, service: 'SBA', year: 2026 });
    expect(created.json()).toMatchObject({ letterName: 'AA Groep B.V.' });
    const id = created.json().id as string;
    const second = (await requestMandate(api, p, { organisationId: other.organisationId, service: 'SBA', year: 2026 })).json().id as string;

    const flagged = await until('the mandate to be flagged', async () => {
      await call(api, 'POST', `/api/hubs/${p}/mandates/${id}/check`);
      const m = (await call(api, 'GET', `/api/hubs/${p}/mandates/${id}`)).json();
      return m.letterNameProblem ? m : undefined;
    });
    const [letter] = await lettersFor(client.fiscalNumber);
    expect(letter.letter?.naamIntermediair).toBe('AA Accountants Holding B.V.');
    // The confirmed name stays on the mandate; the register's beside it, with the reason a person must look.
    expect(flagged).toMatchObject({ letterName: 'AA Groep B.V.', registerLetterName: 'AA Accountants Holding B.V.' });
    expect(flagged.letterNameProblem).toMatch(/^C3: the register's letter to the client names "AA Accountants Holding B.V.", not the confirmed "AA Groep B.V."/);
    const log = (await call(api, 'GET', `/api/hubs/${p}/log?limit=100`)).json() as { level: string; text: string }[];
    expect(log.filter((l) => l.level === 'F' && l.text.includes('"AA Accountants Holding B.V."') && l.text.includes('"AA Groep B.V."') && l.text.includes('C3'))).not.toHaveLength(0);
    // The certificate still promises the confirmed name, and the mandate goes on (the flag is not a failure).
    expect((await call(api, 'GET', `/api/hubs/${p}/certificates/${holding}`)).json().letterName).toBe('AA Groep B.V.');
    await mandateInState(api, p, id, 'ACTIVE');
    expect((await mandate(api, p, id)).letterName).toBe('AA Groep B.V.');
    await until('the second mandate to be flagged', async () => {
      await call(api, 'POST', `/api/hubs/${p}/mandates/${second}/check`);
      return (await call(api, 'GET', `/api/hubs/${p}/mandates/${second}`)).json().letterNameProblem ? true : undefined;
    });
    const waiting = (await call(api, 'GET', `/api/hubs/${p}/mandate-letter-names`)).json() as { mandateId: string; registerLetterName: string; certificateLetterName: string }[];
    expect(waiting.map((w) => w.mandateId).sort()).toEqual([id, second].sort());
    expect(waiting[0]).toMatchObject({ registerLetterName: 'AA Accountants Holding B.V.', certificateLetterName: 'AA Groep B.V.' });

    const certificateRow = async () => (await ctx.pool.query('SELECT letter_name FROM certificates WHERE id = $1', [holding])).rows[0].letter_name as string;
    const url = `/api/hubs/${p}/mandates/${id}/letter-name`;
    // Only exactly the register's name is confirmed.
    const wrong = await call(api, 'POST', url, { confirmLetterName: 'AA Groep B.V.' });
    expect({ status: wrong.statusCode, rule: wrong.json().rule }).toEqual({ status: 409, rule: 'C3' });
    expect(wrong.json().message).toContain('"AA Accountants Holding B.V."');
    // Not while a runbook holds the certificate (RB4 to the holding's renewal, the old one expiring sooner).
    const renewal = await uploadCertificate(api, p, 'holding-new');
    await ctx.pool.query(`UPDATE certificates SET valid_to = now() + interval '40 days' WHERE id = $1`, [holding]);
    const runbook = (await call(api, 'POST', `/api/hubs/${p}/runbooks`, { kind: 'RB4', certificateId: holding, newCertificateId: renewal.id })).json().id as string;
    const phase = (want: string) => until(`runbook ${want}`, async () => ((await call(api, 'GET', `/api/hubs/${p}/runbooks/${runbook}`)).json().phase === want ? true : undefined));
    await phase('awaiting-confirmation');
    const locked = await call(api, 'POST', url, { confirmLetterName: 'AA Accountants Holding B.V.' });
    expect({ status: locked.statusCode, rule: locked.json().rule }).toEqual({ status: 409, rule: 'RB' });
    expect(locked.json().message).toContain(`runbook ${runbook}`);
    expect(await certificateRow()).toBe('AA Groep B.V.');
    expect((await mandate(api, p, id)).letterName).toBe('AA Groep B.V.');
    expect((await call(api, 'POST', `/api/hubs/${p}/runbooks/${runbook}/cancel`)).statusCode).toBe(202);
    await phase('cancelled');

    // The accountant confirms the register's name: the certificate's letter name is corrected, both mandates settle.
    const confirmed = await call(api, 'POST', url, { confirmLetterName: 'AA Accountants Holding B.V.' });
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.json()).toEqual({ certificateId: holding, letterName: 'AA Accountants Holding B.V.', settledMandateIds: [id, second].sort() });
    expect(await certificateRow()).toBe('AA Accountants Holding B.V.');
    expect(await mandate(api, p, id)).toMatchObject({ letterName: 'AA Accountants Holding B.V.', letterNameProblem: null });
    expect((await call(api, 'GET', `/api/hubs/${p}/mandate-letter-names`)).json()).toEqual([]);
    const corrected = (await call(api, 'GET', `/api/hubs/${p}/log?limit=20`)).json() as { level: string; text: string }[];
    expect(corrected.some((l) => l.level === 'I' && l.text.startsWith('C3: letter name of certificate "AA Accountants Holding B.V." (KvK 51234560) corrected from "AA Groep B.V." to "AA Accountants Holding B.V."'))).toBe(true);
    // Later requests promise the corrected name; a second confirmation finds nothing waiting.
    const third = await addClient(api, p, 'Klant brief drie', { 2026: '100001' });
    expect((await call(api, 'POST', `/api/hubs/${p}/mandates`, { organisationId: third.organisationId, service: 'SBA', year: 2026, dryRun: true })).json().letterName).toBe('AA Accountants Holding B.V.');
    expect((await call(api, 'POST', url, { confirmLetterName: 'AA Accountants Holding B.V.' })).json().rule).toBe('C3');
  });
});
