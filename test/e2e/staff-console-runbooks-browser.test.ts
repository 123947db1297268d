import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { buildTestApp } from '../helpers/api';
import { collectPageErrors, launchChromium, pageChecks, screenshots, signInToConsole } from '../helpers/browser';
import { uploadCertificate } from '../helpers/certificates';
import { createConsoleAccount } from '../helpers/console';
import { call, createTestHub, type Api, type TestHub } from '../helpers/hub';
import { startTestContext, type TestContext } from '../helpers/temporal';

/**
 * The console's Runbooks and Settings pages in headless Chromium, under the strict CSP: an admin plans RB4 from the
 * form (the renewal uploaded through the JSON API first), reads the plan, confirms it and watches the progress (htmx
 * polling) until it is completed; then changes a reminder moment on the Settings page, and sees a bad one refused.
 * Every page passes axe-core with no serious or critical violation.
 */
jest.setTimeout(240_000);
const DAY = 24 * 3600 * 1000;



describe('staff console runbooks and settings in a browser', () => {
  let ctx: TestContext;
  let api: Api;
  let browser: Browser;
  let base: string;
  let hub: TestHub;

  beforeAll(async () => {
    mkdirSync(screenshots, { recursive: true });
    ctx = await startTestContext('console-rb-browser');
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

  it('an admin plans RB4 from the form, confirms it, watches it complete, and changes a reminder moment', async () => {
    const holding = (await call(api, 'GET', `/api/hubs/${hub.participant}/certificate-settings`)).json().workCertificateId as string;
    // The holding's certificate runs out in 50 days; its renewal (same KvK number, later expiry) is uploaded.
    await ctx.pool.query('UPDATE certificates SET valid_to = $2 WHERE id = $1', [holding, new Date(Date.now() + 50 * DAY)]);
    const renewal = await uploadCertificate(api, hub.participant, 'holding-new');
    const account = await createConsoleAccount(api, [hub], 'admin', 'Bea Beheerder');

    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    /** Answers the scenario provokes on purpose (a bad reminder moment: 422). */
    const expected = new Set<string>();
    collectPageErrors(page, consoleErrors, (url) => expected.has(url));
    const { violations, check } = pageChecks(page, 'staff-');

    await page.goto(`${base}/staff/sign-in`);
    await signInToConsole(page, base, account, hub.participant);

    await page.getByRole('link', { name: 'Draaiboeken' }).click();
    await page.waitForURL(`${base}/staff/hubs/${hub.participant}/runbooks`);
    await expect(page.locator('main p').first().textContent()).resolves.toContain('Nieuw draaiboek');
    await check('runbook-1-list-empty');

    await page.getByRole('link', { name: 'Nieuw draaiboek' }).click();
    await page.getByLabel('Kies het draaiboek').selectOption('RB4');
    await page.getByRole('button', { name: 'Verder' }).click();
    await page.waitForSelector('form.runbook-form');
    // Certificates by name and KvK number, not by id.
    await page.getByLabel('Certificaat dat wordt vervangen').selectOption({ label: 'AA Accountants Holding B.V. (KvK 51234560)' });
    await page.getByLabel('Nieuw certificaat (eerst geüpload)').selectOption({ label: 'AA Accountants Holding B.V. (new) (KvK 51234560)' });
    await check('runbook-2-form');
    await page.getByRole('button', { name: 'Plan maken' }).click();
    await page.waitForURL(/\/runbooks\/[0-9a-f-]{36}$/);

    // The page polls while the plan is made, and shows it once it waits for confirmation.
    await page.waitForSelector('dd[data-phase="awaiting-confirmation"]', { timeout: 60_000 });
    await expect(page.locator('li[data-plan="replace"]').textContent()).resolves.toBe(
      'Vervangen: AA Accountants Holding B.V. (KvK 51234560) → AA Accountants Holding B.V. (new) (KvK 51234560) — geen groep (werkcertificaat)',
    );
    await expect(page.locator('#runbook-progress li[data-step]').count()).resolves.toBe(2);
    await check('runbook-3-plan');

    await page.getByRole('button', { name: 'Plan bevestigen en uitvoeren' }).click();
    await page.waitForSelector('dd[data-phase="completed"]', { timeout: 90_000 });
    await expect(page.locator('#runbook-progress li[data-step="install-certificates"]').getAttribute('data-state')).resolves.toBe('done');
    await expect(page.locator('#runbook-progress li[data-step="assign-group"]').getAttribute('data-state')).resolves.toBe('done');
    await expect(page.locator('#runbook-progress h2').textContent()).resolves.toBe('Stappen — 100%');
    await check('runbook-4-completed');
    const work = (await call(api, 'GET', `/api/hubs/${hub.participant}/certificate-settings`)).json().workCertificateId;
    expect(work).toBe(renewal.id);

    await page.getByRole('link', { name: 'Draaiboeken' }).click();
    await expect(page.locator('tr[data-runbook] td.phase').textContent()).resolves.toBe('voltooid');
    await check('runbook-5-list');

    // Settings: the first reminder moment 14 → 10 days.
    await page.getByRole('link', { name: 'Instellingen' }).click();
    await page.waitForURL(`${base}/staff/hubs/${hub.participant}/settings`);
    await check('settings-1-defaults');
    await page.locator('#r0-days').fill('10');
    await page.getByRole('button', { name: 'Herinneringsmomenten opslaan' }).click();
    await page.waitForURL(/settings\?saved=1$/);
    await expect(page.locator('p.done').textContent()).resolves.toBe('De instellingen zijn opgeslagen.');
    await expect(page.locator('#r0-days').inputValue()).resolves.toBe('10');
    await check('settings-2-saved');
    expect((await call(api, 'GET', `/api/hubs/${hub.participant}/reminder-moments`)).json().moments).toEqual([
      { daysBefore: 10, kind: 'client-reminder' },
      { daysBefore: 3, kind: 'client-reminder' },
      { daysBefore: 1, kind: 'accountant-escalation' },
    ]);

    // A moment of half a day is refused, the field named, and nothing is stored.
    expected.add(`${base}/staff/hubs/${hub.participant}/settings/reminders`);
    await page.locator('#r1-days').fill('2.5');
    await page.getByRole('button', { name: 'Herinneringsmomenten opslaan' }).click();
    await page.waitForSelector('p.error[data-field="moments[1].daysBefore"]');
    await expect(page.locator('p.error').textContent()).resolves.toContain('moment 2');
    await check('settings-3-refused');
    expect((await call(api, 'GET', `/api/hubs/${hub.participant}/reminder-moments`)).json().moments[1]).toEqual({ daysBefore: 3, kind: 'client-reminder' });

    await context.close();
    expect(violations).toEqual(Object.fromEntries(Object.keys(violations).map((k) => [k, []])));
    expect(consoleErrors).toEqual([]);
  });
});
