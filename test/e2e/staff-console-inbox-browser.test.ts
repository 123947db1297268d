import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { buildTestApp } from '../helpers/api';
import { collectPageErrors, launchChromium, pageChecks, screenshots, signInToConsole } from '../helpers/browser';
import { call, createTestHub, postViaConnector, vatReturnRequest, type Api } from '../helpers/hub';
import { createConsoleAccount } from '../helpers/console';
import { addContactPerson, enablePortal, waitForLifecycle } from '../helpers/portal';
import { startTestContext, type TestContext } from '../helpers/temporal';

/**
 * The "Needs action" inbox in headless Chromium, under the console's strict CSP: a message held because its hub is
 * gone (H12) is routed from the inbox to the accountant's hub, where the client's approval applies (A1); the filing
 * page then reminds the client. Every page passes axe-core with no serious or critical violation.
 */



describe('staff console inbox in a browser', () => {
  let ctx: TestContext;
  let api: Api;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    mkdirSync(screenshots, { recursive: true });
    ctx = await startTestContext('console-inbox-browser');
    api = await buildTestApp(ctx);
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(api.app.server.address() as { port: number }).port}`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await api?.app.close();
    await ctx?.close();
  });

  it('routes a held message from the inbox, then reminds the client from the filing page', async () => {
    const gone = await createTestHub(api);
    expect((await call(api, 'DELETE', `/api/hubs/${gone.participant}`)).statusCode).toBe(200);
    const held = (await postViaConnector(api, gone, vatReturnRequest(gone))).json();
    const hub = await createTestHub(api, { obNumber: gone.obNumber });
    await enablePortal(api, hub, ['vat-return']);
    await addContactPerson(api, hub, hub.organisationId, 'Karin Klant', `karin.${hub.participant}@client.test`);
    const account = await createConsoleAccount(api, [hub], 'accountant', 'Anna de Boer');

    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    collectPageErrors(page, errors);
    const { violations, check } = pageChecks(page, 'staff-inbox-');

    await page.goto(`${base}/staff/sign-in`);
    await signInToConsole(page, base, account, hub.participant);

    await page.getByRole('link', { name: 'Actie nodig' }).click();
    const item = page.locator(`article[data-held="${held.id}"]`);
    await item.waitFor();
    await expect(item.locator('h3').textContent()).resolves.toBe(`Btw-aangifte 2026-Q1 — Klant ${hub.obNumber}`);
    await expect(item.textContent()).resolves.toContain(`Test hub ${gone.participant}`);
    await check('1-held');
    await item.getByLabel('Doorsturen naar').selectOption(hub.participant);
    await item.getByRole('button', { name: 'Doorsturen', exact: true }).click();
    await page.waitForSelector('p.done');
    await expect(page.locator('p.done').textContent()).resolves.toBe('Het vastgehouden bericht is doorgestuurd als bericht 1.');
    await expect(page.locator('article[data-held]').count()).resolves.toBe(0);
    await check('2-routed');

    // The target hub's approval setting applies: the filing waits for the client (30); the page offers a reminder.
    await waitForLifecycle(api, hub, 1, [30]);
    await page.goto(`${base}/staff/hubs/${hub.participant}/filings/1`);
    await expect(page.locator('table.log').textContent()).resolves.toContain('vastgehouden bericht hierheen doorgestuurd als bericht 1 (Anna de Boer (staff console)); het gaat eerst ter goedkeuring naar de cliënt in het portaal (A1)');
    await page.getByRole('button', { name: 'Cliënt herinneren (A1)' }).click();
    await page.waitForSelector('p.done');
    await expect(page.locator('p.done').textContent()).resolves.toBe('De herinnering aan de cliënt staat klaar; de volgende verzend- en ontvangstronde verstuurt de e-mail.');
    await expect(page.locator('table.log').textContent()).resolves.toContain('cliënt herinnerd door Anna de Boer (staff console): 1 e-mail(s) klaargezet');
    await check('3-filing-reminded');
    await context.close();

    expect(violations).toEqual(Object.fromEntries(Object.keys(violations).map((k) => [k, []])));
    expect(errors).toEqual([]);
  }, 120_000);
});
