import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { call, randomKvkNumber, randomObNumber, type Api } from './hub';
import { buildMandateMessage } from '../../integrations/mandates/format';
import { organisation, pkiDir, simulatorAdmin, wusClientFor } from './wus';

/** Helpers for certificate, Becon, mandate and runbook tests. */

export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Uploads a test-PKI certificate; `extra` e.g. `{ workCertificate: true }`. */
export async function uploadCertificate(api: Api, participant: string, slug: string, extra: Record<string, unknown> = {}) {
  const cert = organisation(slug);
  const res = await call(api, 'POST', `/api/hubs/${participant}/certificates`, {
    label: cert.organisationName + (slug.endsWith('-new') ? ' (new)' : ''),
    pkcs12: readFileSync(path.join(pkiDir(), cert.pkcs12File)).toString('base64'),
    passphrase: readFileSync(path.join(pkiDir(), cert.passphraseFile), 'utf8').trim(),
    ...extra,
  });
  if (res.statusCode !== 201) throw new Error(`certificate ${slug}: ${res.statusCode} ${res.body}`);
  return res.json() as { id: string; label: string; fingerprint256: string; letterName: string; kvkNumber: string };
}

export async function addBecon(api: Api, participant: string, number: string, name: string) {
  const res = await call(api, 'POST', `/api/hubs/${participant}/becons`, { number, name });
  if (res.statusCode !== 201) throw new Error(`becon ${number}: ${res.statusCode} ${res.body}`);
}

export interface TestClient {
  organisationId: string;
  administrationId: string;
  obNumber: string;
  fiscalNumber: string;
  name: string;
}

/** A client organisation with an administration and its Becon per year (master data). */
export async function addClient(api: Api, participant: string, name: string, becons: Record<number, string>): Promise<TestClient> {
  const obNumber = randomObNumber();
  const org = await call(api, 'POST', `/api/hubs/${participant}/organisations`, { name, obNumber: `NL${obNumber}`, kvkNumber: randomKvkNumber() });
  if (org.statusCode !== 201) throw new Error(`organisation: ${org.statusCode} ${org.body}`);
  const admin = await call(api, 'POST', `/api/hubs/${participant}/administrations`, { name: `Administratie ${name}`, organisationId: org.json().id });
  if (admin.statusCode !== 201) throw new Error(`administration: ${admin.statusCode} ${admin.body}`);
  for (const [year, beconNumber] of Object.entries(becons)) {
    const md = await call(api, 'PUT', `/api/hubs/${participant}/clients/${org.json().id}/master-data/${year}`, { beconNumber });
    if (md.statusCode !== 200) throw new Error(`master data: ${md.statusCode} ${md.body}`);
  }
  return { organisationId: org.json().id, administrationId: admin.json().id, obNumber, fiscalNumber: obNumber.slice(0, 9), name };
}

export interface MandateJson {
  id: string;
  organisationId: string;
  service: string;
  year: number;
  state: string;
  certificateId: string;
  letterName: string | null;
  workflowId: string;
  replacesMandateId: string | null;
  runbookId: string | null;
  checkProblem: string | null;
  messages: {
    purpose: string;
    aanleverkenmerk: string | null;
    kenmerk: string | null;
    deliveryState: string;
    certificateId: string;
    outcome: string | null;
    outcomeReason: string | null;
  }[];
}

export async function mandate(api: Api, participant: string, id: string): Promise<MandateJson> {
  return (await call(api, 'GET', `/api/hubs/${participant}/mandates/${id}`)).json() as MandateJson;
}

/** Polls a mandate (asking its workflow to check now) until it reaches `state` (or one of several states). */
export async function mandateInState(api: Api, participant: string, id: string, state: string | readonly string[], timeoutMs = 60_000): Promise<MandateJson> {
  const states: readonly string[] = typeof state === 'string' ? [state] : state;
  try {
    return await until(
      `mandate ${id} to be ${states.join(' or ')}`,
      async () => {
        const current = await mandate(api, participant, id);
        if (states.includes(current.state)) return current;
        await call(api, 'POST', `/api/hubs/${participant}/mandates/${id}/check`);
        return undefined;
      },
      timeoutMs,
      300,
    );
  } catch (err) {
    // Say where it stood: the mandate, its messages and the hub's log.
    const log = (await call(api, 'GET', `/api/hubs/${participant}/log?limit=30`)).json() as { text: string }[];
    throw new Error(`${(err as Error).message}: ${JSON.stringify(await mandate(api, participant, id))}\nlog: ${log.map((l) => l.text).join('\n')}`);
  }
}

/** The simulated register's letters for a client: who asks (C3), the VIA activation code. */
export async function lettersFor(fiscalNumber: string) {
  return simulatorAdmin.get<
    {
      id: number;
      dienst: string;
      jaar: number;
      toestand: string;
      intermediair: { kvkNumber: string; name: string | null };
      letter: { naamIntermediair: string | null; activeringscode: string | null } | null;
      rejectedReason: string | null;
    }[]
  >(`/admin/mandates?belanghebbende=${fiscalNumber}`);
}

/** A simulated day in the register (26 days of SBA objection period pass in 26 × dayMs). */
export async function setMandateDay(dayMs: number): Promise<void> {
  await simulatorAdmin.send('PUT', '/admin/mandates/day', { dayMs });
}

/** Accepted mandate messages at the simulator for this hub, per aanleverkenmerk prefix (one per message). */
export async function mandateDeliveries(participant: string): Promise<Record<string, number>> {
  const deliveries = await simulatorAdmin.get<{ byAanleverkenmerk: Record<string, number> }>('/admin/deliveries?limit=1');
  const perMessage: Record<string, number> = {};
  for (const [kenmerk, n] of Object.entries(deliveries.byAanleverkenmerk)) {
    const match = new RegExp(`^MA${participant}-(\\d+)-a\\d+$`).exec(kenmerk);
    if (match) perMessage[match[1]] = (perMessage[match[1]] ?? 0) + n;
  }
  return perMessage;
}

/** Which certificate signed the process of an aanleverkenmerk (the simulator records the TLS client certificate). */
export async function signerOf(aanleverkenmerk: string): Promise<{ senderFingerprint: string; senderIdentity: string; senderOrganisation: string | null }> {
  const { processes } = await simulatorAdmin.get<{ processes: { senderFingerprint: string; senderIdentity: string; senderOrganisation: string | null }[] }>(
    `/admin/deliveries?aanleverkenmerk=${encodeURIComponent(aanleverkenmerk)}`,
  );
  if (processes.length !== 1) throw new Error(`${processes.length} processes for ${aanleverkenmerk}`);
  return processes[0];
}

/**
 * C3: a mandate request as staff make it: a dry run shows the name the letter will print, and the request confirms
 * exactly that name. A refusal of the dry run (C6, C7, ...) is answered as is: the request would give the same.
 */
export async function requestMandate(api: Api, participant: string, body: Record<string, unknown>) {
  const url = `/api/hubs/${participant}/mandates`;
  const preview = await call(api, 'POST', url, { ...body, dryRun: true });
  if (preview.statusCode !== 200) return preview;
  return call(api, 'POST', url, { ...body, confirmLetterName: (preview.json() as { letterName: string }).letterName });
}

/** C3, collectively: the dry run's letter names per certificate, confirmed with the request. */
export async function requestCollective(api: Api, participant: string, body: Record<string, unknown>) {
  const url = `/api/hubs/${participant}/mandates/collective`;
  const preview = await call(api, 'POST', url, { ...body, dryRun: true });
  if (preview.statusCode !== 202) return preview;
  return call(api, 'POST', url, { ...body, confirmLetterNames: (preview.json() as { confirmLetterNames: Record<string, string> }).confirmLetterNames });
}

/**
 * Makes the next mandate request of a hub ambiguous with two candidates: another intermediary's request for the same
 * client already sits at Digipoort, and the hub's own aanleveren is processed but answered with HTTP 500. Answers the
 * other request's kenmerk.
 */
export async function prepareRequestInDoubt(participant: string, client: TestClient): Promise<{ otherKenmerk: string }> {
  const other = await wusClientFor('holding').aanleveren({
    berichtsoort: 'Machtiging_aanvragen',
    aanleverkenmerk: `EXTRA-${participant}-${randomUUID().slice(0, 8)}`,
    identiteitBelanghebbende: { nummer: client.fiscalNumber, type: 'Fi' },
    rolBelanghebbende: 'Intermediair',
    berichtInhoud: {
      mimeType: 'application/xml',
      bestandsnaam: 'machtiging.xml',
      inhoud: Buffer.from(buildMandateMessage({ purpose: 'request', service: 'SBA', year: 2020, continuing: false, fiscalNumber: client.fiscalNumber }), 'utf8'),
    },
  });
  await simulatorAdmin.addFault({ kind: 'http500-after', bodyContains: `MA${participant}-`, count: 1 });
  return { otherKenmerk: other.result.kenmerk };
}
