import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { buildTestApp } from '../helpers/api';
import { collectPageErrors, launchChromium, pageChecks, screenshots, signInToConsole } from '../helpers/browser';
import { call, createTestHub, postViaConnector, sendReceiveRunResult, sendReceiveUntil, vatReturnRequest, type Api, type TestHub } from '../helpers/hub';
import { createConsoleAccount } from '../helpers/console';
import { fileOutsideTheHub } from '../helpers/wus';
import { startTestContext, type TestContext } from '../helpers/temporal';

/**
 * The staff console in headless Chromium, under its strict CSP: an accountant signs in, sees the overview, starts
 * send/receive from it (htmx), finds an accepted filing and its Digipoort statuses, resolves an ONB message from the
 * inbox, and gets a 404 for another firm's hub. Every page passes axe-core with no serious or critical violation.
 */



describe('staff console in a browser', () => {
  let ctx: TestContext;
  let api: Api;
  let browser: Browser;
  let base: string;
  let hub: TestHub;
  let otherHub: TestHub;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(screenshots, { recursive: true });
    ctx = await startTestContext('console-browser');
    api = await buildTestApp(ctx);
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(api.app.server.address() as { port: number }).port}`;
    browser = await launchChromium();
    hub = await createTestHub(api);
    otherHub = await createTestHub(api);
  });
  afterAll(async () => {
    await browser?.close();
    await api?.app.close();
    await ctx?.close();
  });

  it('an accountant signs in, runs send/receive, opens a filing with its statuses and resolves an ONB message', async () => {
    const filed = (await postViaConnector(api, hub, vatReturnRequest(hub))).json();
    const accepted = await sendReceiveUntil(api, hub, filed.number, (f) => f.lifecycle === 80);
    const kenmerk = (await call(api, 'GET', `/api/hubs/${hub.participant}/filings/${filed.number}`)).json().kenmerk as string;
    expect(accepted.digipoortStatus).toBe('500');
    // Someone files for this client with the firm's certificate outside the hub: its return message is ONB (H7).
    const outsideKenmerk = await fileOutsideTheHub(hub.obNumber, 'outside-the-console');
    let onb: { number: number }[] = [];
    for (let i = 0; i < 20 && onb.length === 0; i++) {
      const run = await call(api, 'POST', `/api/hubs/${hub.participant}/send-receive`);
      if (run.statusCode === 202) await sendReceiveRunResult(ctx.client, run.json());
      else await new Promise((resolve) => setTimeout(resolve, 500));
      onb = (await call(api, 'GET', `/api/hubs/${hub.participant}/messages?subtype=ONB&unresolved=true`)).json();
    }
    expect(onb).toHaveLength(1);
    const account = await createConsoleAccount(api, [hub], 'accountant', 'Anna de Boer');

    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    // The foreign hub's 404 is expected; Chromium reports any 404 document as an error.
    collectPageErrors(page, consoleErrors, (url) => url.includes(`/staff/hubs/${otherHub.participant}`));
    const { violations, check } = pageChecks(page, 'staff-');

    await page.goto(`${base}/staff`);
    await page.waitForURL(`${base}/staff/sign-in`);
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('nl');
    await check('1-sign-in');
    await signInToConsole(page, base, account, hub.participant);
    await expect(page.locator('h1').textContent()).resolves.toBe(`Overzicht — Test hub ${hub.participant}`);
    await expect(page.locator('[data-figure="needs-action"]').textContent()).resolves.toContain('1');
    await expect(page.locator('tr[data-lifecycle="80"] td.num').textContent()).resolves.toBe('1');
    await check('2-overview');

    // "Run now" swaps the send/receive panel in place (htmx), without leaving the page.
    await page.getByRole('button', { name: 'Nu verzenden en ontvangen' }).click();
    await page.waitForSelector('#send-receive p[role="status"]');
    await expect(page.locator('#send-receive p[role="status"]').textContent()).resolves.toMatch(/Een ronde verzenden en ontvangen is gestart\.|Er loopt al een ronde/);
    expect(page.url()).toBe(`${base}/staff/hubs/${hub.participant}`);
    await check('3-overview-run-now');

    await page.getByRole('link', { name: 'Aangiften', exact: true }).click();
    await page.waitForSelector('table.filings');
    await expect(page.locator(`tr[data-filing="${filed.number}"] td.lifecycle`).textContent()).resolves.toBe('80 — Geaccepteerd door de Belastingdienst');
    await expect(page.locator(`tr[data-filing="${filed.number}"]`).textContent()).resolves.toContain(`Klant ${hub.obNumber}`);
    await check('4-filings');
    await page.getByLabel('Status', { exact: true }).selectOption('80');
    await page.getByRole('button', { name: 'Filteren' }).click();
    await page.waitForURL(/lifecycle=80/);
    await expect(page.locator('tr[data-filing]').count()).resolves.toBe(1);

    await page.getByRole('link', { name: String(filed.number), exact: true }).click();
    await page.waitForSelector('table.statuses');
    await expect(page.locator('h1').textContent()).resolves.toBe(`Btw-aangifte 2026-Q1 — Klant ${hub.obNumber}`);
    const statuses = page.locator('table.statuses tr[data-status]');
    expect(await statuses.count()).toBeGreaterThan(1);
    await expect(page.locator('table.statuses tr[data-status="500"] td.kenmerk').textContent()).resolves.toBe(kenmerk);
    await expect(page.locator('table.statuses tr[data-status="500"] td').nth(4).textContent()).resolves.toBe('1');
    await expect(page.locator('tr[data-box="1a"]').textContent()).resolves.toContain('€ 10.000');
    await check('5-filing');

    await page.getByRole('link', { name: 'Actie nodig' }).click();
    await page.waitForSelector(`article[data-onb="${onb[0].number}"]`);
    await expect(page.locator(`article[data-onb="${onb[0].number}"] .kenmerk`).textContent()).resolves.toBe(outsideKenmerk);
    await check('6-needs-action');
    await page.getByLabel('Wat hebt u gedaan?').fill('De cliënt heeft zelf ingediend; gecontroleerd met de cliënt');
    await page.getByRole('button', { name: 'Afhandelen' }).click();
    await page.waitForSelector('p.done');
    await expect(page.locator('p.done').textContent()).resolves.toBe(`Het ONB-bericht ${onb[0].number} is afgehandeld.`);
    await check('7-needs-action-resolved');
    const resolved = (await call(api, 'GET', `/api/hubs/${hub.participant}/messages?subtype=ONB`)).json() as { resolution: string }[];
    expect(resolved[0].resolution).toBe('Anna de Boer (staff console): De cliënt heeft zelf ingediend; gecontroleerd met de cliënt');

    // Another firm's hub is not there for this account.
    const foreign = await page.goto(`${base}/staff/hubs/${otherHub.participant}`);
    expect(foreign?.status()).toBe(404);
    await expect(page.locator('p.error').textContent()).resolves.toBe('Deze pagina bestaat niet, of u hebt er geen toegang toe.');
    await check('8-foreign-hub-404');

    await page.goto(`${base}/staff/hubs/${hub.participant}`);
    await page.getByRole('button', { name: 'Uitloggen' }).click();
    await page.waitForURL(`${base}/staff/sign-in`);
    await context.close();

    expect(violations).toEqual(Object.fromEntries(Object.keys(violations).map((k) => [k, []])));
    // The strict CSP blocked nothing the console itself uses (htmx included).
    expect(consoleErrors).toEqual([]);
  });

  it('a filing its administration sends is followed in the console from prepared to 80, the accountant using no JSON API', async () => {
    const fresh = await createTestHub(api);
    const account = await createConsoleAccount(api, [fresh], 'accountant', 'Bram Visser');
    const errors: string[] = [];
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    collectPageErrors(page, errors);
    const { violations, check } = pageChecks(page, 'staff-day-');
    await page.goto(`${base}/staff`);
    await page.waitForURL(`${base}/staff/sign-in`);
    await signInToConsole(page, base, account, fresh.participant);
    // The administration's connector files the return (that is where filings come from, not the accountant).
    const filed = (await postViaConnector(api, fresh, vatReturnRequest(fresh))).json();

    // The accountant starts send/receive from the overview and watches the Filings page until Digipoort accepted it.
    let lifecycle: string | null = null;
    for (let i = 0; i < 30 && !lifecycle?.startsWith('80'); i++) {
      await page.getByRole('link', { name: 'Overzicht', exact: true }).click();
      await page.getByRole('button', { name: 'Nu verzenden en ontvangen' }).click();
      await page.waitForSelector('#send-receive p[role="status"]');
      await page.getByRole('link', { name: 'Aangiften', exact: true }).click();
      await page.waitForSelector('table.filings');
      lifecycle = await page.locator(`tr[data-filing="${filed.number}"] td.lifecycle`).textContent();
      if (!lifecycle?.startsWith('80')) await new Promise((r) => setTimeout(r, 1000));
    }
    expect(lifecycle).toBe('80 — Geaccepteerd door de Belastingdienst');
    await check('1-filings-accepted');
    await page.getByRole('link', { name: String(filed.number), exact: true }).click();
    await page.waitForSelector('table.statuses');
    await expect(page.locator('table.statuses tr[data-status="500"]').count()).resolves.toBe(1);
    await check('2-filing-accepted');
    await context.close();
    expect(violations).toEqual(Object.fromEntries(Object.keys(violations).map((k) => [k, []])));
    expect(errors).toEqual([]);
  });
});
