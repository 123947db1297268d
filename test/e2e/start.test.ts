import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { chromiumPath } from '../../scripts/lib/chromium';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Pool } from 'pg';
import { dropDatabase } from '../../db/migrate';
import { isAlive } from '../../lib/process';
import { freePort, ROOT } from '../setup/environment';

/**
 * `npm start` as a newcomer runs it: its own Temporal dev server (with Web UI) and database, worker and API as
 * separate processes; Ctrl-C leaves nothing behind, and a start after a crash works and keeps the earlier state.
 */
/** What global setup exports for the tests; `npm start` must provision all of it itself. */
const testRunVariables = [
  'TEMPORAL_ADDRESS',
  'WORKFLOW_BUNDLE_PATH',
  'PAYLOAD_ENCRYPTION_KEYS',
  'CERTIFICATE_MASTER_KEYS',
  'DIGIPOORT_TIMEOUT_MS',
  'DIGIPOORT_ENDPOINT_BASE',
  'DIGIPOORT_CA_FILE',
  'PKIOVERHEID_ROOTS_FILE',
  'DIGIPOORT_CRL_FILE',
  'DIGIPOORT_SERVICE_CERT_FILE',
  'SIMULATOR_URL',
  'SIMULATOR_ADMIN_URL',
  'TEST_PKI_DIR',
];

interface Started {
  process: ChildProcess;
  output: () => string;
}

const screenshots = path.resolve(__dirname, '../../test-results/screenshots');

describe('npm start', () => {
  const runDir = process.env.TEST_RUN_DIR as string;
  const dataDir = path.join(runDir, 'start-data');
  const base = new URL(process.env.DATABASE_URL as string);
  base.pathname = `${base.pathname}_start`;
  const databaseUrl = base.toString();
  const simulatorDatabaseUrl = `${databaseUrl}_sim`;
  let ports: { api: number; temporal: number; ui: number; simulator: number; simulatorAdmin: number };

  beforeAll(async () => {
    ports = { api: await freePort(), temporal: await freePort(), ui: await freePort(), simulator: await freePort(), simulatorAdmin: await freePort() };
  });
  // A test that fails half-way must not leave its npm start running (it would restart what the next one stops).
  const launched: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of launched.splice(0)) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
    }
  });
  afterAll(async () => {
    await dropDatabase(databaseUrl).catch(() => undefined);
    await dropDatabase(simulatorDatabaseUrl).catch(() => undefined);
  });

  function start(): Promise<Started> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      // No PUBLIC_URL: every link follows PORT.
      PORT: String(ports.api),
      TEMPORAL_PORT: String(ports.temporal),
      TEMPORAL_UI_PORT: String(ports.ui),
      SIMULATOR_PORT: String(ports.simulator),
      SIMULATOR_ADMIN_PORT: String(ports.simulatorAdmin),
      SIMULATOR_DATABASE_URL: simulatorDatabaseUrl,
      LOG_LEVEL: 'warn',
    };
    // The test run's own servers and bundle must not leak into the system under test.
    for (const name of testRunVariables) delete env[name];
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    launched.push(child);
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start did not come up:\n${output}`)), 240_000);
      const poll = setInterval(() => {
        if (output.includes('Filing hub is running')) {
          clearInterval(poll);
          clearTimeout(timer);
          resolve({ process: child, output: () => output });
        }
      }, 200);
      child.once('exit', (code) => {
        clearInterval(poll);
        clearTimeout(timer);
        reject(new Error(`npm start exited with ${code}:\n${output}`));
      });
    });
  }

  function runCli(args: string[]) {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of testRunVariables) delete env[name];
    return spawnSync(process.execPath, ['--import', 'tsx', 'scripts/wus.ts', ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  }

  function recordedChildren(): { name: string; pid: number }[] {
    return JSON.parse(readFileSync(path.join(dataDir, 'run', 'children.json'), 'utf8')) as { name: string; pid: number }[];
  }

  function recordedPids(): number[] {
    return recordedChildren().map((r) => r.pid);
  }

  async function health(): Promise<{ status: number; body: { status: string; missing: string[] } }> {
    const res = await fetch(`http://127.0.0.1:${ports.api}/health`);
    return { status: res.status, body: (await res.json()) as { status: string; missing: string[] } };
  }

  async function waitUntilAsync(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await check().catch(() => false)) return true;
      await new Promise((r) => setTimeout(r, 500));
    }
    return check().catch(() => false);
  }

  async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (check()) return true;
      await new Promise((r) => setTimeout(r, 200));
    }
    return check();
  }

  async function startCheck(): Promise<{ id: string; workflowId: string }> {
    const token = readFileSync(path.join(dataDir, 'staff-token'), 'utf8').trim();
    const res = await fetch(`http://127.0.0.1:${ports.api}/api/platform/checks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(202);
    return (await res.json()) as { id: string; workflowId: string };
  }

  async function checkStatus(id: string): Promise<string> {
    const token = readFileSync(path.join(dataDir, 'staff-token'), 'utf8').trim();
    const res = await fetch(`http://127.0.0.1:${ports.api}/api/platform/checks/${id}`, { headers: { authorization: `Bearer ${token}` } });
    return ((await res.json()) as { status: string }).status;
  }

  it('serves health, docs and the Web UI, runs a check, and Ctrl-C stops every process', async () => {
    const started = await start();
    const children = recordedPids();
    expect(children).toHaveLength(4); // temporal, simulator, worker, api

    const first = await health();
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ status: 'ok', temporal: 'ok', db: 'ok', worker: 'ok', digipoort: 'ok', missing: [] });
    expect((await fetch(`http://127.0.0.1:${ports.api}/docs/json`)).status).toBe(200);
    // The codec decodes only for a staff member, under npm start too.
    const decode = (headers: Record<string, string>) =>
      fetch(`http://127.0.0.1:${ports.api}/codec/decode`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ payloads: [] }) });
    expect((await decode({})).status).toBe(401);
    expect((await decode({ authorization: `Bearer ${readFileSync(path.join(dataDir, 'staff-token'), 'utf8').trim()}` })).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${ports.ui}/temporal/`)).status).toBe(200);
    expect(started.output()).toContain(`Temporal Web UI    http://localhost:${ports.api}/temporal/`);
    // A UI opened elsewhere may call the codec from its origin, as localhost or 127.0.0.1; no other origin may.
    const preflight = (origin: string) =>
      fetch(`http://127.0.0.1:${ports.api}/codec/decode`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace,authorization' },
      });
    for (const origin of [`http://localhost:${ports.ui}`, `http://127.0.0.1:${ports.ui}`]) {
      expect((await preflight(origin)).headers.get('access-control-allow-origin')).toBe(origin);
    }
    expect((await preflight('http://evil.example')).headers.get('access-control-allow-origin')).toBeNull();

    const check = await startCheck();
    let status = '';
    for (let i = 0; i < 60 && status !== 'completed'; i++) {
      status = await checkStatus(check.id);
      if (status !== 'completed') await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe('completed');

    // The operator opens the Web UI through the API: signs in with the staff token, and the workflow's input is
    // decoded by the codec (same origin, the operator's session). Without a session there is no UI.
    const staffTokenValue = readFileSync(path.join(dataDir, 'staff-token'), 'utf8').trim();
    expect((await fetch(`http://127.0.0.1:${ports.api}/temporal/`, { redirect: 'manual' })).status).toBe(303);
    const browser = await chromium.launch({
      executablePath: chromiumPath(),
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--no-first-run'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const decoded: number[] = [];
      page.on('response', (r) => {
        if (r.url().endsWith('/codec/decode')) decoded.push(r.status());
      });
      await page.goto(`http://127.0.0.1:${ports.api}/temporal/namespaces/default/workflows/${check.workflowId}`);
      expect(page.url()).toContain('/operator/sign-in');
      await page.fill('#token', staffTokenValue);
      await page.click('button[type=submit]');
      await page.waitForURL(/\/temporal\/namespaces\/default\/workflows\//);
      await page.getByText(`"checkId": "${check.id}"`).first().waitFor({ timeout: 30_000 });
      expect(decoded.length).toBeGreaterThan(0);
      expect(decoded.every((code) => code === 200)).toBe(true);
      mkdirSync(screenshots, { recursive: true });
      await page.screenshot({ path: path.join(screenshots, 'web-ui-decoded.png') });
    } finally {
      await browser.close();
    }

    // The operator CLI, exactly as printed: send a VAT return to the simulator, then read its nine statuses.
    const cli = started.output().split('\n').filter((line) => line.trim().startsWith('npm run wus --') || line.trim().startsWith('--'));
    const sendArgs = cli
      .slice(0, 3)
      .join(' ')
      .replace(/\\/g, ' ')
      .replace(/^\s*npm run wus --\s*/, '')
      .trim()
      .split(/\s+/);
    const send = runCli(sendArgs);
    expect(send.status).toBe(0);
    const delivered = JSON.parse(send.stdout) as { kenmerk: string; statuscode?: string };
    expect(delivered.statuscode).toBeUndefined();
    const connection = sendArgs.slice(1, sendArgs.indexOf('--berichtsoort'));
    let statuses: { statuscode: string }[] = [];
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !statuses.some((s) => s.statuscode === '500')) {
      const status = runCli(['status', '--kenmerk', delivered.kenmerk, ...connection]);
      expect(status.status).toBe(0);
      statuses = JSON.parse(status.stdout) as { statuscode: string }[];
      if (!statuses.some((s) => s.statuscode === '500')) await new Promise((r) => setTimeout(r, 500));
    }
    expect(statuses.map((s) => s.statuscode)).toEqual(['105', '100', '110', '200', '301', '301', '405', '400', '500']);

    // The demo hub, seeded at start: VAT return 2026-Q3 waits for the client in the portal, and the output carries a
    // single-use portal link. Its administration files the example VAT return through the connector; it waits too.
    const api = `http://127.0.0.1:${ports.api}`;
    const staffToken = readFileSync(path.join(dataDir, 'staff-token'), 'utf8').trim();
    const connectorToken = readFileSync(path.join(dataDir, 'connector-token'), 'utf8').trim();
    const filed = await fetch(`${api}/connector/12345/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${connectorToken}`, 'content-type': 'application/json' },
      body: readFileSync(path.join(ROOT, 'examples', 'vat-return-request.json')),
    });
    expect(filed.status).toBe(202);
    const { number } = (await filed.json()) as { number: number };
    expect(number).toBe(2);
    const staffFiling = async (n: number) =>
      (await (await fetch(`${api}/api/hubs/12345/filings/${n}`, { headers: { authorization: `Bearer ${staffToken}` } })).json()) as { id: string; lifecycle: number };
    const until = async (n: number, lifecycle: number) => {
      let seen = await staffFiling(n);
      for (let i = 0; i < 120 && seen.lifecycle !== lifecycle; i++) {
        await new Promise((r) => setTimeout(r, 500));
        seen = await staffFiling(n);
      }
      return seen;
    };
    expect((await until(1, 30)).lifecycle).toBe(30);
    expect((await until(2, 30)).lifecycle).toBe(30);

    // A crash is not an outage: the worker killed by its pid comes back by itself while the API keeps answering
    // (/health degraded, naming it), and the filings in flight go on below.
    const killed = recordedChildren().find((c) => c.name === 'worker')!;
    process.kill(killed.pid, 'SIGKILL');
    expect(await waitUntilAsync(async () => (await health()).body.missing.includes('worker'), 30_000)).toBe(true);
    expect((await health()).status).toBe(200);
    expect(await waitUntilAsync(async () => (await health()).body.status === 'ok', 90_000)).toBe(true);
    const restarted = recordedChildren().find((c) => c.name === 'worker')!;
    expect(restarted.pid).not.toBe(killed.pid);
    expect(started.output()).toContain(`worker (pid ${killed.pid}) exited unexpectedly`);

    // More workers: `npm run worker` started alone with only DATA_DIR, the database and the ports joins the system.
    const alone = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, DATABASE_URL: databaseUrl, TEMPORAL_PORT: String(ports.temporal), SIMULATOR_PORT: String(ports.simulator), LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    });
    launched.push(alone);
    const presence = new Pool({ connectionString: databaseUrl, max: 1 });
    try {
      const workers = async () => (await presence.query<{ n: number }>(`SELECT count(*)::int AS n FROM worker_presence WHERE seen_at > now() - interval '6 seconds'`)).rows[0].n;
      expect(await waitUntilAsync(async () => (await workers()) === 2, 120_000)).toBe(true);
      const stopped = new Promise((resolve) => alone.once('exit', resolve));
      alone.kill('SIGTERM');
      await stopped;
      expect(await workers()).toBe(1);
    } finally {
      await presence.end();
    }

    // PORT without PUBLIC_URL: the banner's links and the portal link follow PORT.
    expect(started.output()).toContain(`API                http://localhost:${ports.api}`);
    const link = new RegExp(`^\\s+(http:\\/\\/localhost:${ports.api}\\/portal\\/login#t=fhp_[A-Za-z0-9_-]+)$`, 'm').exec(started.output())?.[1];
    expect(link).toBeDefined();
    const token = new URL(link!).hash.replace('#t=', '');
    const login = await fetch(`${api}/portal/session`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${token}`,
    });
    expect(login.status).toBe(303);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    expect(cookie).toMatch(/^fh_portal=/);
    for (const n of [1, 2]) {
      const { id } = await staffFiling(n);
      const page = await (await fetch(`${api}/portal/filings/${id}`, { headers: { cookie } })).text();
      expect(page).toContain('data-lifecycle="30"');
      const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1];
      const contentSha256 = /name="contentSha256" value="([^"]+)"/.exec(page)![1];
      const decided = await fetch(`${api}/portal/filings/${id}/decision`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf, contentSha256, decision: 'approve' }).toString(),
      });
      expect(decided.status).toBe(303);
    }
    // The hub's own schedule (every 10 s) brings both to 80; the staff API and the portal page say so.
    for (const n of [1, 2]) {
      const final = await until(n, 80);
      expect(final.lifecycle).toBe(80);
      const page = await (await fetch(`${api}/portal/filings/${final.id}`, { headers: { cookie } })).text();
      expect(page).toContain('data-lifecycle="80"');
    }
    const log = (await (await fetch(`${api}/api/hubs/12345/log?messageNumber=${number}`, { headers: { authorization: `Bearer ${staffToken}` } })).json()) as { text: string }[];
    const steps = log.map((e) => e.text).reverse();
    const at = (prefix: string) => steps.findIndex((t) => t.startsWith(prefix));
    expect(at('30:')).toBeGreaterThanOrEqual(0);
    expect(at('50:')).toBeGreaterThan(at('30:'));
    expect(at('lifecycle 60 → 80')).toBeGreaterThan(at('50:'));
    const seen = await fetch(`${api}/connector/12345/messages/${number}`, { headers: { authorization: `Bearer ${connectorToken}` } });
    expect(((await seen.json()) as { lifecycle: number }).lifecycle).toBe(80);

    const running = recordedPids();
    const exited = new Promise<number | null>((resolve) => started.process.once('exit', (code) => resolve(code)));
    started.process.kill('SIGINT');
    expect(await exited).toBe(0);
    expect([...children, ...running].filter(isAlive)).toEqual([]);
  }, 300_000);

  it('starts again after a crash, stopping what the crash left and keeping earlier state', async () => {
    const first = await start();
    const check = await startCheck();
    for (let i = 0; i < 60 && (await checkStatus(check.id)) !== 'completed'; i++) await new Promise((r) => setTimeout(r, 250));
    const leftovers = recordedPids();
    first.process.kill('SIGKILL');

    const second = await start();
    expect(leftovers.filter(isAlive).filter((pid) => !recordedPids().includes(pid))).toEqual([]);
    // The dev server keeps its state in DATA_DIR: the earlier workflow is still there after the restart.
    expect(await checkStatus(check.id)).toBe('completed');
    const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
    try {
      const described = await new Client({ connection }).workflow.getHandle(check.workflowId).describe();
      expect(described.status.name).toBe('COMPLETED');
    } finally {
      await connection.close();
    }
    const children = recordedPids();
    const exited = new Promise<number | null>((resolve) => second.process.once('exit', (code) => resolve(code)));
    second.process.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(await waitUntil(() => children.filter(isAlive).length === 0, 5000)).toBe(true);
  }, 400_000);
});
