import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { isValidBsnOrRsin } from '../../domain/identifiers';
import { organisation as testCertificate, pkiDir } from './wus';

/** A valid OB number nobody else in this run uses (the simulator is shared: unique belanghebbenden keep tests apart). */
export function randomObNumber(): string {
  for (;;) {
    const eight = String(randomInt(10_000_000, 99_999_999));
    for (let last = 0; last <= 9; last++) {
      if (isValidBsnOrRsin(`${eight}${last}`)) return `${eight}${last}B01`;
    }
  }
}

export function randomKvkNumber(): string {
  return String(randomInt(10_000_000, 99_999_999));
}

export interface TestHub {
  participant: string;
  hubId: string;
  organisationId: string;
  obNumber: string;
  kvkNumber: string;
  administrationId: string;
  connectorToken: string;
  callbackSecret: string;
}

export interface Api {
  app: FastifyInstance;
  staffToken: string;
}

export async function call(api: Api, method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) {
  return api.app.inject({
    method: method as 'GET',
    url,
    payload: payload as object,
    headers: { authorization: `Bearer ${api.staffToken}`, ...headers },
  });
}

/**
 * A hub with one organisation, its administration, a per-client connector token, and a work certificate from the
 * test PKI (default: the holding's, which the simulator accepts for everything).
 */
export async function createTestHub(api: Api, options: { certificate?: string; callbackUrl?: string; obNumber?: string } = {}): Promise<TestHub> {
  let participant = '';
  let hubId = '';
  for (let tries = 0; tries < 5 && !hubId; tries++) {
    participant = String(randomInt(10_000, 99_999));
    const res = await call(api, 'POST', '/api/hubs', { environmentCode: `O${participant}AA`, name: `Test hub ${participant}`, sendReceiveIntervalSeconds: 86400 });
    if (res.statusCode === 201) hubId = res.json().id;
    else if (res.statusCode !== 409) throw new Error(`hub: ${res.statusCode} ${res.body}`);
  }
  const obNumber = options.obNumber ?? randomObNumber();
  const kvkNumber = randomKvkNumber();
  const org = await call(api, 'POST', `/api/hubs/${participant}/organisations`, { name: `Klant ${obNumber}`, obNumber: `NL${obNumber}`, kvkNumber });
  if (org.statusCode !== 201) throw new Error(`organisation: ${org.statusCode} ${org.body}`);
  const admin = await call(api, 'POST', `/api/hubs/${participant}/administrations`, {
    name: `Administratie ${obNumber}`,
    organisationId: org.json().id,
    ...(options.callbackUrl ? { callbackUrl: options.callbackUrl } : {}),
  });
  if (admin.statusCode !== 201) throw new Error(`administration: ${admin.statusCode} ${admin.body}`);
  const token = await call(api, 'POST', `/api/hubs/${participant}/connector-tokens`, { scope: 'administration', administrationId: admin.json().id });
  const cert = testCertificate(options.certificate ?? 'holding');
  const uploaded = await call(api, 'POST', `/api/hubs/${participant}/certificates`, {
    label: cert.organisationName,
    pkcs12: readFileSync(path.join(pkiDir(), cert.pkcs12File)).toString('base64'),
    passphrase: readFileSync(path.join(pkiDir(), cert.passphraseFile), 'utf8').trim(),
    workCertificate: true,
  });
  if (uploaded.statusCode !== 201) throw new Error(`certificate: ${uploaded.statusCode} ${uploaded.body}`);
  return {
    participant,
    hubId,
    organisationId: org.json().id,
    obNumber,
    kvkNumber,
    administrationId: admin.json().id,
    connectorToken: token.json().token,
    callbackSecret: admin.json().callbackSecret,
  };
}

/** A VAT return as an administration posts it (figures in euros; the hub rounds and derives 5a and 5g). */
export function vatReturnRequest(hub: TestHub, period = '2026-Q1', overrides: Record<string, unknown> = {}) {
  return {
    kind: 'vat-return',
    period,
    obNumber: `NL${hub.obNumber}`,
    contact: { initials: 'J', surname: 'Jansen', telephone: '0201234567' },
    figures: { turnover: { '1a': '10000.40', '1b': '1000' }, vat: { '1a': '2100.08', '1b': '90' }, inputTax: '400.10' },
    ...overrides,
  };
}

export async function postViaConnector(api: Api, hub: TestHub, body: unknown, token = hub.connectorToken) {
  return api.app.inject({
    method: 'POST',
    url: `/connector/${hub.participant}/messages`,
    payload: body as object,
    headers: { authorization: `Bearer ${token}` },
  });
}

/** Runs send/receive (on demand) until the filing satisfies `done`, or fails after `timeoutMs`. */
export async function sendReceiveUntil(
  api: Api,
  hub: TestHub,
  number: number,
  done: (filing: { lifecycle: number | null; digipoortStatus: string | null; deliveryState: string }) => boolean,
  timeoutMs = 30_000,
): Promise<{ lifecycle: number | null; digipoortStatus: string | null; deliveryState: string; statuses: { statuscode: string }[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const filing = (await call(api, 'GET', `/api/hubs/${hub.participant}/filings/${number}`)).json();
    if (done(filing)) return filing;
    if (Date.now() > deadline) throw new Error(`filing ${number} did not get there: ${JSON.stringify({ lifecycle: filing.lifecycle, status: filing.digipoortStatus, state: filing.deliveryState })}`);
    await call(api, 'POST', `/api/hubs/${hub.participant}/send-receive`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/**
 * Waits for the on-demand send/receive run a 202 of POST /api/hubs/{p}/send-receive announced: the run is the
 * update `runId` of the hub's long-lived workflow `workflowId`. Returns the run's summary.
 */
export async function sendReceiveRunResult(client: Client, started: { workflowId: string; runId: string }): Promise<{ summary: string; calls: number; changed: number; unknown: number; fullScan: boolean }> {
  return client.workflow.getHandle(started.workflowId).getUpdateHandle<{ summary: string; calls: number; changed: number; unknown: number; fullScan: boolean }>(started.runId).result();
}

/**
 * One send/receive run of the hub, started once the run going on (409) has ended; returns its summary. When it returns,
 * no run of this hub is writing any more (runs are one at a time).
 */
export async function sendReceiveOnce(api: Api, client: Client, hub: TestHub, full?: boolean): Promise<Awaited<ReturnType<typeof sendReceiveRunResult>>> {
  for (let i = 0; i < 150; i++) {
    const started = await call(api, 'POST', `/api/hubs/${hub.participant}/send-receive${full === undefined ? '' : `?full=${full}`}`);
    if (started.statusCode === 202) return sendReceiveRunResult(client, started.json());
    if (started.statusCode !== 409) throw new Error(`send/receive: ${started.statusCode} ${started.body}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('send/receive stayed busy');
}

export async function messageCount(pool: { query: (q: string, p: unknown[]) => Promise<{ rows: { n: number }[] }> }, hubId: string): Promise<number> {
  return (await pool.query('SELECT count(*)::int AS n FROM messages WHERE hub_id = $1', [hubId])).rows[0].n;
}

/** An HTTP server that records the administration callbacks it receives. */
export async function callbackReceiver(): Promise<{ url: string; received: { body: Record<string, unknown>; signature: string; raw: string }[]; close(): Promise<void>; failNext: (n: number) => void }> {
  const received: { body: Record<string, unknown>; signature: string; raw: string }[] = [];
  let failures = 0;
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      if (failures > 0) {
        failures--;
        res.writeHead(503).end();
        return;
      }
      received.push({ body: JSON.parse(raw) as Record<string, unknown>, signature: String(req.headers['x-filing-hub-signature']), raw });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/filing-status`,
    received,
    failNext: (n) => (failures = n),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
