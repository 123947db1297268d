import { readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumPath } from '../../scripts/lib/chromium';

/** Where the browser tests keep their screenshots (a CI artefact). */
export const screenshots = path.resolve(__dirname, '../../test-results/screenshots');

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }

/** Debian's Chromium, headless (playwright-core downloads no browser). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--no-first-run'],
  });
}

/**
 * axe-core's serious and critical violations of the page, one line each. Evaluated in the page from the test: the
 * strict CSP allows no injected script tag, and evaluation from the driver is not one.
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const result = await (window as unknown as { axe: { run: (context: Document, options: unknown) => Promise<{ violations: AxeViolation[] }> } }).axe.run(document, { resultTypes: ['violations'] });
    return result.violations;
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/**
 * Collects the page's console errors and failed responses into `errors` (the strict CSP must block nothing the page
 * uses), except those at a URL `expected` allows (e.g. a 404 the scenario asks for).
 */
export function collectPageErrors(page: Page, errors: string[], expected: (url: string) => boolean = () => false): void {
  page.on('console', (m) => {
    if (m.type() === 'error' && !expected(m.location().url)) errors.push(m.text());
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !expected(r.url())) errors.push(`${r.status()} ${r.url()}`);
  });
}

/** `check(name)`: a full-page screenshot `<prefix><name>.png` and the page's serious axe violations, kept by name. */
export function pageChecks(page: Page, prefix: string): { violations: Record<string, string[]>; check: (name: string) => Promise<void> } {
  const violations: Record<string, string[]> = {};
  const check = async (name: string) => {
    await page.screenshot({ path: path.join(screenshots, `${prefix}${name}.png`), fullPage: true });
    violations[name] = await seriousViolations(page);
  };
  return { violations, check };
}

/** Signs in on the staff console's own form (Dutch, the default) and waits for the hub's overview. */
export async function signInToConsole(page: Page, base: string, account: { email: string; password: string }, participant: string): Promise<void> {
  await page.getByLabel('E-mailadres').fill(account.email);
  await page.getByLabel('Wachtwoord').fill(account.password);
  await page.getByRole('button', { name: 'Inloggen' }).click();
  await page.waitForURL(`${base}/staff/hubs/${participant}`);
}
