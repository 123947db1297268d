import { readFileSync } from 'node:fs';
import path from 'node:path';
import { normalizeObNumber } from '../../domain/identifiers';

/**
 * The demo firm of `npm start`, created through the API itself (so every rule and the hub's schedule apply): hub
 * 12345 (environment O12345AA) with two client organisations and their administrations, a connector token for the
 * first one, and the holding's test certificate as work certificate. The client portal is on: VAT, ICP, supplements and
 * KvK documents wait for the client's approval; the first client has a contact person and one VAT return waiting.
 * Idempotent: an existing hub is left alone.
 */
export const DEMO = {
  environmentCode: 'O12345AA',
  participant: '12345',
  organisations: [
    { name: 'Bakkerij De Vries B.V.', obNumber: 'NL004495445B01', kvkNumber: '30216247' },
    { name: 'Jansen Installatietechniek B.V.', obNumber: 'NL123456782B90', kvkNumber: '51234561' },
  ],
  contactPerson: { name: 'Marieke de Vries', email: 'marieke@bakkerij-devries.example' },
  accountantEmail: 'accountant@aa-accountants.example',
  /** Waits for the client's approval after seeding (the connector example files 2026-Q1). */
  waitingReturn: {
    kind: 'vat-return',
    period: '2026-Q3',
    obNumber: 'NL004495445B01',
    contact: { initials: 'J', surname: 'de Vries', telephone: '0201234567' },
    figures: { turnover: { '1a': '18250.00', '1b': '3100.00' }, vat: { '1a': '3832.50', '1b': '279.00' }, inputTax: '1204.35' },
  },
} as const;

async function api(baseUrl: string, token: string, method: string, url: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${baseUrl}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export async function seedDemo(options: {
  apiUrl: string;
  staffToken: string;
  pkiDir: string;
  log: (msg: string) => void;
}): Promise<{ connectorToken?: string }> {
  const call = (method: string, url: string, body?: unknown) => api(options.apiUrl, options.staffToken, method, url, body);
  const existing = await call('GET', `/api/hubs/${DEMO.participant}`);
  if (existing.status === 200) return {};
  const hub = await call('POST', '/api/hubs', { environmentCode: DEMO.environmentCode, name: 'AA Accountants (demo)', sendReceiveIntervalSeconds: 10 });
  if (hub.status !== 201) throw new Error(`demo hub: ${hub.status} ${JSON.stringify(hub.json)}`);
  const administrations: string[] = [];
  for (const organisation of DEMO.organisations) {
    const org = await call('POST', `/api/hubs/${DEMO.participant}/organisations`, organisation);
    const admin = await call('POST', `/api/hubs/${DEMO.participant}/administrations`, { name: `Administratie ${organisation.name}`, organisationId: org.json.id });
    administrations.push(String(admin.json.id));
  }
  const token = await call('POST', `/api/hubs/${DEMO.participant}/connector-tokens`, {
    scope: 'administration',
    administrationId: administrations[0],
    description: 'demo connector of Bakkerij De Vries',
  });
  const manifest = JSON.parse(readFileSync(path.join(options.pkiDir, 'manifest.json'), 'utf8')) as {
    organisations: { slug: string; organisationName: string; pkcs12File: string; passphraseFile: string }[];
  };
  const holding = manifest.organisations.find((o) => o.slug === 'holding')!;
  const certificate = await call('POST', `/api/hubs/${DEMO.participant}/certificates`, {
    label: `${holding.organisationName} (test certificate)`,
    pkcs12: readFileSync(path.join(options.pkiDir, holding.pkcs12File)).toString('base64'),
    passphrase: readFileSync(path.join(options.pkiDir, holding.passphraseFile), 'utf8').trim(),
    workCertificate: true,
  });
  if (certificate.status !== 201) throw new Error(`demo certificate: ${certificate.status} ${JSON.stringify(certificate.json)}`);

  // The client portal (A1, A3: the hub files with its own certificate).
  const portal = await call('PATCH', `/api/hubs/${DEMO.participant}`, { portalEnabled: true, accountantEmail: DEMO.accountantEmail });
  if (portal.status !== 200) throw new Error(`demo portal: ${portal.status} ${JSON.stringify(portal.json)}`);
  for (const kind of ['vat-return', 'icp', 'vat-supplement', 'kvk-annual-report']) {
    await call('PUT', `/api/hubs/${DEMO.participant}/message-types/${kind}`, { blocked: false, approvalWorkflow: 'portal' });
  }
  const firstOrganisation = await organisationId(call, DEMO.organisations[0].obNumber);
  const contact = await call('POST', `/api/hubs/${DEMO.participant}/organisations/${firstOrganisation}/contact-persons`, DEMO.contactPerson);
  if (contact.status !== 201) throw new Error(`demo contact person: ${contact.status} ${JSON.stringify(contact.json)}`);
  const filed = await fetch(`${options.apiUrl}/connector/${DEMO.participant}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${String(token.json.token)}`, 'content-type': 'application/json' },
    body: JSON.stringify(DEMO.waitingReturn),
  });
  if (filed.status !== 202) throw new Error(`demo VAT return: ${filed.status} ${await filed.text()}`);
  options.log(
    `demo hub ${DEMO.participant} seeded: 2 organisations, their administrations, a connector token, the work certificate, ` +
      `the client portal with contact person ${DEMO.contactPerson.name}, and VAT return ${DEMO.waitingReturn.period} waiting for approval`,
  );
  return { connectorToken: String(token.json.token) };
}

type Call = (method: string, url: string, body?: unknown) => Promise<{ status: number; json: Record<string, unknown> }>;

async function organisationId(call: Call, obNumber: string): Promise<string> {
  const list = await call('GET', `/api/hubs/${DEMO.participant}/organisations`);
  const found = (list.json as unknown as { id: string; obNumber: string | null }[]).find((o) => o.obNumber !== null && normalizeObNumber(o.obNumber) === normalizeObNumber(obNumber));
  if (!found) throw new Error(`demo organisation ${obNumber} is missing`);
  return found.id;
}

/**
 * A fresh single-use portal link for the demo client's contact person (links are spent on use, so every `npm start`
 * prints a new one). Undefined when the demo hub or its contact person is not there.
 */
export async function demoPortalLink(options: { apiUrl: string; staffToken: string }): Promise<string | undefined> {
  const call: Call = (method, url, body) => api(options.apiUrl, options.staffToken, method, url, body);
  if ((await call('GET', `/api/hubs/${DEMO.participant}`)).status !== 200) return undefined;
  const organisation = await organisationId(call, DEMO.organisations[0].obNumber).catch(() => undefined);
  if (!organisation) return undefined;
  const contacts = await call('GET', `/api/hubs/${DEMO.participant}/organisations/${organisation}/contact-persons`);
  const contact = (contacts.json as unknown as { id: string; email: string }[]).find((c) => c.email === DEMO.contactPerson.email);
  if (!contact) return undefined;
  const link = await call('POST', `/api/hubs/${DEMO.participant}/contact-persons/${contact.id}/portal-tokens`, { validHours: 72 });
  return link.status === 201 ? String(link.json.link) : undefined;
}
