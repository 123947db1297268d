import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The demo firm of `npm start`, created through the API itself (so every rule and the hub's schedule apply): hub
 * 12345 (environment O12345AA) with two client organisations and their administrations, a connector token for the
 * first one, and the holding's test certificate as work certificate. Idempotent: an existing hub is left alone.
 */
export const DEMO = {
  environmentCode: 'O12345AA',
  participant: '12345',
  organisations: [
    { name: 'Bakkerij De Vries B.V.', obNumber: 'NL004495445B01', kvkNumber: '30216247' },
    { name: 'Jansen Installatietechniek B.V.', obNumber: 'NL123456782B90', kvkNumber: '51234561' },
  ],
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
  options.log(`demo hub ${DEMO.participant} seeded: 2 organisations, their administrations, a connector token, the work certificate`);
  return { connectorToken: String(token.json.token) };
}
