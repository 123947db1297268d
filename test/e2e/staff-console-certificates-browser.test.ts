import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { buildTestApp } from '../helpers/api';
import { collectPageErrors, launchChromium, pageChecks, screenshots, signInToConsole } from '../helpers/browser';
import { call, createTestHub, type Api, type TestHub } from '../helpers/hub';
import { createConsoleAccount } from '../helpers/console';
import { addBecon, addClient } from '../helpers/certificates';
import { organisation, pkiDir } from '../helpers/wus';
import { startTestContext, type TestContext } from '../helpers/temporal';

/**
 * The Certificates and Mandates pages in headless Chromium, under the console's strict CSP: an accountant signs in,
 * uploads a PKCS#12 file from the test PKI with its passphrase, sees it listed with its expiry, and opens the Mandates
 * page with a dry run whose letter name is confirmed on the page (C3). Every page passes axe-core with no serious or
 * critical violation.
 */



describe('staff console certificates and mandates in a browser', () => {
  let ctx: TestContext;
  let api: Api;
  let browser: Browser;
  let base: string;
  let hub: TestHub;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(screenshots, { recursive: true });
    ctx = await startTestContext('console-certificates-browser', { worker: false });
    api = await buildTestApp(ctx);
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(api.app.server.address() as { port: number }).port}`;
    browser = await launchChromium();
    hub = await createTestHub(api);
  });
  afterAll(async () => {
    await browser?.close();
    await api?.app.close();
    await ctx?.close();
  });

  it('an accountant uploads a certificate, sees its expiry, and requests a mandate after a dry run', async () => {
    const cert = organisation('willemsen');
    // The file as the accountant has it on disk.
    const file = path.join(tmpdir(), `willemsen-${process.pid}.p12`);
    writeFileSync(file, readFileSync(path.join(pkiDir(), cert.pkcs12File)));
    const passphrase = readFileSync(path.join(pkiDir(), cert.passphraseFile), 'utf8').trim();
    await addBecon(api, hub.participant, '100001', 'Kantoor 1');
    await addClient(api, hub.participant, 'Bakkerij De Korst', { 2026: '100001' });
    const account = await createConsoleAccount(api, [hub], 'accountant', 'Anna de Boer');

    const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'nl-NL' });
    const page = await context.newPage();
    collectPageErrors(page, consoleErrors);
    const { violations, check } = pageChecks(page, 'staff-cert-');

    await page.goto(`${base}/staff/sign-in`);
    await signInToConsole(page, base, account, hub.participant);

    await page.getByRole('link', { name: 'Certificaten', exact: true }).click();
    await page.waitForURL(`${base}/staff/hubs/${hub.participant}/certificates`);
    await expect(page.locator('h1').textContent()).resolves.toBe(`Certificaten — Test hub ${hub.participant}`);
    await check('1-certificates');

    await page.getByLabel('Naam van het certificaat').fill('Willemsen Accountants');
    await page.getByLabel('PKCS#12-bestand (.p12, .pfx)').setInputFiles(file);
    await page.getByLabel('Wachtwoord van het bestand').fill(passphrase);
    await page.getByRole('button', { name: 'Uploaden' }).click();
    await page.waitForURL(/done=uploaded/);
    await expect(page.locator('p.done').textContent()).resolves.toBe('Het certificaat is geïnstalleerd.');
    const installed = (await call(api, 'GET', `/api/hubs/${hub.participant}/certificates`)).json() as { label: string; kvkNumber: string; validTo: string }[];
    const willemsen = installed.find((c) => c.label === 'Willemsen Accountants')!;
    const row = page.locator('table.certificates tr', { has: page.locator('th', { hasText: 'Willemsen Accountants' }) });
    await expect(row.locator('td').first().textContent()).resolves.toBe(willemsen.kvkNumber);
    const validTo = new Intl.DateTimeFormat('nl-NL', { dateStyle: 'medium', timeZone: 'Europe/Amsterdam' }).format(new Date(willemsen.validTo));
    await expect(row.locator('td.valid-to').textContent()).resolves.toMatch(new RegExp(`^${validTo} \\(nog \\d+ dagen\\)$`));
    await check('2-uploaded');

    await page.getByRole('link', { name: 'Machtigingen', exact: true }).click();
    await page.waitForURL(`${base}/staff/hubs/${hub.participant}/mandates`);
    await check('3-mandates');
    await page.locator('#r-client').selectOption({ label: 'Bakkerij De Korst' });
    await page.locator('#r-year').fill('2026');
    await page.getByRole('button', { name: 'Proefaanvraag' }).first().click();
    await page.waitForSelector('dd.letter-name');
    await expect(page.locator('dd.letter-name').textContent()).resolves.toBe('AA Accountants Holding B.V.');
    await check('4-dry-run');
    await page.getByRole('button', { name: 'Bevestig "AA Accountants Holding B.V." en vraag aan' }).click();
    await page.waitForURL(/done=requested/);
    await expect(page.locator('tr[data-state="REQUESTED"] td').first().textContent()).resolves.toBe('Bakkerij De Korst');
    await check('5-requested');

    await page.goto(`${base}/staff/language/en?next=/staff/hubs/${hub.participant}/certificates`);
    await page.waitForURL(`${base}/staff/hubs/${hub.participant}/certificates`);
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('en');
    await check('6-certificates-en');
    await context.close();

    expect(violations).toEqual(Object.fromEntries(Object.keys(violations).map((k) => [k, []])));
    expect(consoleErrors).toEqual([]);
  });
});
