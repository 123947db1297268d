import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { buildTestApp } from '../helpers/api';
import { collectPageErrors, launchChromium, screenshots, seriousViolations } from '../helpers/browser';
import { call, createTestHub, postViaConnector, sendReceiveUntil, vatReturnRequest, type Api } from '../helpers/hub';
import { addContactPerson, enablePortal, kvkRequest, portalLink, waitForLifecycle } from '../helpers/portal';
import { startTestContext, type TestContext } from '../helpers/temporal';

/**
 * The portal in a real browser (headless Chromium): a client opens the login link from the e-mail, sees the VAT return
 * waiting for them, approves a VAT return and rejects a KvK annual report with a reason. Screenshots go to test-results/screenshots;
 * every page passes axe-core with no serious or critical violation.
 */


const now = new Date();
/** The latest month that has ended: a return is prepared once its period is over (OB3). */
const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
const ENDED_MONTH = `${lastMonth.getUTCFullYear()}-${String(lastMonth.getUTCMonth() + 1).padStart(2, '0')}`;
const LAST_YEAR = now.getUTCFullYear() - 1;

describe('client portal in a browser', () => {
  let ctx: TestContext;
  let api: Api;
  let browser: Browser;
  let base: string;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(screenshots, { recursive: true });
    ctx = await startTestContext('browser');
    api = await buildTestApp(ctx);
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    const address = api.app.server.address() as { port: number };
    base = `http://127.0.0.1:${address.port}`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await api?.app.close();
    await ctx?.close();
  });

  it('a client logs in from the link, approves a VAT return and rejects a KvK annual report with a reason', async () => {
    const hub = await createTestHub(api);
    await enablePortal(api, hub, ['vat-return', 'kvk-annual-report']);
    const contactId = await addContactPerson(api, hub, hub.organisationId, 'Dirk Browser', `dirk.${hub.participant}@client.test`);
    const toApprove = await postViaConnector(api, hub, vatReturnRequest(hub, ENDED_MONTH));
    const toReject = await postViaConnector(api, hub, kvkRequest(hub, LAST_YEAR));
    const approveNumber = toApprove.json().number as number;
    const rejectNumber = toReject.json().number as number;
    await waitForLifecycle(api, hub, approveNumber, [30]);
    await waitForLifecycle(api, hub, rejectNumber, [30]);

    const { link } = await portalLink(api, hub, contactId);
    const url = new URL(link);
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    const violations: Record<string, string[]> = {};
    collectPageErrors(page, consoleErrors);

    // The login page reads the token from the fragment and logs in by itself.
    await page.goto(`${base}${url.pathname}${url.hash}`);
    await page.waitForURL(`${base}/portal`);
    await page.screenshot({ path: path.join(screenshots, 'portal-1-list.png'), fullPage: true });
    violations['portal-1-list'] = await seriousViolations(page);
    await expect(page.locator('h1').textContent()).resolves.toBe('Welkom, Dirk Browser');
    const waiting = page.locator('table.filings').first().locator('tr[data-filing]');
    await expect(waiting.count()).resolves.toBe(2);

    await page.getByRole('link', { name: `Btw-aangifte ${ENDED_MONTH}` }).click();
    await page.waitForSelector('tr[data-box="1a"]');
    await expect(page.locator('tr[data-box="1a"]').textContent()).resolves.toContain('€ 10.000');
    await expect(page.locator('tr[data-box="5g"]').textContent()).resolves.toContain('€ 1.789');
    // A positive 5g is to pay, and says so.
    await expect(page.locator('tr[data-box="5g"]').textContent()).resolves.toContain('Totaal te betalen');
    await expect(page.locator('p.authorisation').textContent()).resolves.toContain('opdracht deze aangifte namens u te ondertekenen en in te dienen bij de Belastingdienst, precies met de inhoud op deze pagina.');
    await page.screenshot({ path: path.join(screenshots, 'portal-2-filing.png'), fullPage: true });
    violations['portal-2-filing'] = await seriousViolations(page);
    await page.getByRole('button', { name: 'Goedkeuren', exact: true }).click();
    await page.waitForSelector('p.done');
    await expect(page.locator('p.done').textContent()).resolves.toBe('U hebt deze aangifte goedgekeurd; hij wordt verzonden.');
    await page.screenshot({ path: path.join(screenshots, 'portal-3-approved.png'), fullPage: true });
    violations['portal-3-approved'] = await seriousViolations(page);

    await page.goto(`${base}/portal`);
    await page.getByRole('link', { name: `KvK-jaarverantwoording ${LAST_YEAR}` }).click();
    await expect(page.locator('table.document').textContent()).resolves.toContain('Datum vaststelling');
    await page.screenshot({ path: path.join(screenshots, 'portal-4-kvk-review.png'), fullPage: true });
    violations['portal-4-kvk-review'] = await seriousViolations(page);
    await page.fill('textarea[name="reason"]', 'The registered office is Amersfoort, not Utrecht');
    await page.getByRole('button', { name: 'Afkeuren', exact: true }).click();
    await page.waitForSelector('p.done');
    await expect(page.locator('p.done').textContent()).resolves.toBe('U hebt deze aangifte afgekeurd; uw accountant heeft hierover een e-mail gekregen.');
    await expect(page.locator('[data-lifecycle]').first().getAttribute('data-lifecycle')).resolves.toBe('40');
    await page.screenshot({ path: path.join(screenshots, 'portal-5-kvk-rejected.png'), fullPage: true });
    violations['portal-5-kvk-rejected'] = await seriousViolations(page);

    const approved = await sendReceiveUntil(api, hub, approveNumber, (f) => f.lifecycle === 80);
    expect(approved.digipoortStatus).toBe('500');
    const rejected = (await call(api, 'GET', `/api/hubs/${hub.participant}/filings/${rejectNumber}`)).json();
    expect(rejected).toMatchObject({ lifecycle: 40, lifecycleLabel: 'Rejected by the client', kenmerk: null });
    expect(rejected.decisions).toMatchObject([{ decision: 'rejected', reason: 'The registered office is Amersfoort, not Utrecht', decidedVia: 'portal', contactPerson: 'Dirk Browser' }]);

    await page.goto(`${base}/portal`);
    await expect(page.locator(`tr[data-filing] td.lifecycle[data-lifecycle="80"]`).textContent()).resolves.toBe('80 — Geaccepteerd door de Belastingdienst');
    await expect(page.locator(`tr[data-filing] td.lifecycle[data-lifecycle="40"]`).textContent()).resolves.toBe('40 — Afgekeurd door cliënt');
    await page.screenshot({ path: path.join(screenshots, 'portal-6-accepted.png'), fullPage: true });
    violations['portal-6-accepted'] = await seriousViolations(page);

    // Logging out ends the session: the portal sends the browser back to the login page.
    await page.getByRole('button', { name: 'Uitloggen', exact: true }).click();
    await page.waitForURL(`${base}/portal/login`);
    await page.goto(`${base}/portal`);
    await page.waitForURL(`${base}/portal/login`);
    await context.close();

    // The strict Content Security Policy did not block anything the portal itself uses.
    expect(consoleErrors).toEqual([]);
    expect(Object.values(violations).flat()).toEqual([]);
    expect(Object.keys(violations)).toHaveLength(6);
  });
});
