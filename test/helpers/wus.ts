import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { PkiManifest, ManifestClientCertificate } from '../../simulator/pki/generate';
import { openPkcs12, type OpenedCertificate } from '../../integrations/pki/pkcs12';
import { pemBlocks } from '../../integrations/pki/pem';
import { WusClient, type WusClientOptions } from '../../integrations/wus/client';
import { createMtlsAgent, postSoap, type SoapResponse } from '../../integrations/wus/transport';
import type { OperationName } from '../../integrations/wus/protocol';

/** The test PKI of this run (global setup generates it and starts the simulator on it). */
export function pkiDir(): string {
  return process.env.TEST_PKI_DIR as string;
}

export function manifest(): PkiManifest {
  return JSON.parse(readFileSync(path.join(pkiDir(), 'manifest.json'), 'utf8')) as PkiManifest;
}

export function organisation(slug: string): ManifestClientCertificate {
  const found = [...manifest().organisations, manifest().untrusted.selfSignedClient].find((o) => o.slug === slug);
  if (!found) throw new Error(`no test certificate ${slug}`);
  return found;
}

export function openCertificate(slug: string): OpenedCertificate {
  const org = organisation(slug);
  return openPkcs12(
    readFileSync(path.join(pkiDir(), org.pkcs12File)),
    readFileSync(path.join(pkiDir(), org.passphraseFile), 'utf8').trim(),
  );
}

export function trust() {
  return {
    ca: pemBlocks(readFileSync(path.join(pkiDir(), 'root-ca.pem'), 'utf8')),
    crl: pemBlocks(readFileSync(path.join(pkiDir(), 'crls.pem'), 'utf8')),
  };
}

export function serviceCertificatePem(): string {
  return readFileSync(path.join(pkiDir(), 'digipoort-service.pem'), 'utf8');
}

/** The product's WUS client for a test organisation, pointed at the simulator. */
export function wusClientFor(slug: string, options: Partial<WusClientOptions> = {}): WusClient {
  const opened = openCertificate(slug);
  return new WusClient({
    endpointBase: process.env.SIMULATOR_URL as string,
    credentials: { privateKey: opened.privateKey, certificatePem: opened.certificatePem, chainPem: opened.chainPem },
    trust: trust(),
    serviceCertificatePem: serviceCertificatePem(),
    timeoutMs: 15_000,
    ...options,
  });
}

/** Posts any SOAP text over mutual TLS as `slug`, for messages the product's client would never build. */
export async function rawPost(slug: string, servicePath: string, xml: string, soapAction: string, operation: OperationName = 'aanleveren'): Promise<SoapResponse> {
  const opened = openCertificate(slug);
  const agent = createMtlsAgent({ privateKey: opened.privateKey, certificatePem: opened.certificatePem, chainPem: opened.chainPem }, trust());
  try {
    return await postSoap(operation, `${process.env.SIMULATOR_URL}${servicePath}`, soapAction, xml, agent, 60_000);
  } finally {
    agent.destroy();
  }
}

/** The simulator's admin endpoint. */
export const simulatorAdmin = {
  async get<T>(pathAndQuery: string): Promise<T> {
    const res = await fetch(`${process.env.SIMULATOR_ADMIN_URL}${pathAndQuery}`);
    if (!res.ok) throw new Error(`admin ${pathAndQuery}: ${res.status}`);
    return (await res.json()) as T;
  },
  async send(method: string, pathname: string, body: unknown): Promise<void> {
    const res = await fetch(`${process.env.SIMULATOR_ADMIN_URL}${pathname}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`admin ${method} ${pathname}: ${res.status} ${await res.text()}`);
  },
  register(senderIdentity: string, berichtsoort = '*', belanghebbende = '*'): Promise<void> {
    return this.send('POST', '/admin/registrations', { senderIdentity, berichtsoort, belanghebbende });
  },
  addFault(rule: Record<string, unknown>): Promise<void> {
    return this.send('POST', '/admin/faults', rule);
  },
  async acceptedCount(aanleverkenmerk: string): Promise<number> {
    const deliveries = await this.get<{ byAanleverkenmerk: Record<string, number> }>('/admin/deliveries?limit=1');
    return deliveries.byAanleverkenmerk[aanleverkenmerk] ?? 0;
  },
};

/** A minimal well-formed OB (VAT return) XBRL instance for an OB number; enough for the simulator's checks. */
export function vatInstance(obNumber: string, year = 2026): Buffer {
  return Buffer.from(
    '<?xml version="1.0" encoding="UTF-8"?>' +
      '<xbrli:xbrl xml:lang="nl" xmlns:xbrli="http://www.xbrl.org/2003/instance" xmlns:link="http://www.xbrl.org/2003/linkbase" ' +
      'xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:iso4217="http://www.xbrl.org/2003/iso4217" ' +
      'xmlns:bd-i="http://www.nltaxonomie.nl/nt20/bd/20251210/dictionary/bd-data">' +
      `<link:schemaRef xlink:type="simple" xlink:href="http://www.nltaxonomie.nl/nt20/bd/20251210/entrypoints/bd-rpt-ob-aangifte-${year}.xsd"/>` +
      '<xbrli:context id="Msg"><xbrli:entity>' +
      `<xbrli:identifier scheme="www.belastingdienst.nl/omzetbelastingnummer">${obNumber}</xbrli:identifier>` +
      `</xbrli:entity><xbrli:period><xbrli:startDate>${year}-01-01</xbrli:startDate><xbrli:endDate>${year}-03-31</xbrli:endDate></xbrli:period></xbrli:context>` +
      '<xbrli:unit id="EUR"><xbrli:measure>iso4217:EUR</xbrli:measure></xbrli:unit>' +
      '<bd-i:ValueAddedTaxOwed decimals="INF" contextRef="Msg" unitRef="EUR">210</bd-i:ValueAddedTaxOwed>' +
      '</xbrli:xbrl>',
  );
}

/** Polls getStatussenProces until the process has `count` statuses or a final code. */
export async function waitForStatuses(client: WusClient, kenmerk: string, until: (codes: string[]) => boolean, timeoutMs = 15_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let codes: string[] = [];
  while (Date.now() < deadline) {
    codes = (await client.getStatussenProces({ kenmerk })).map((s) => s.statuscode);
    if (until(codes)) return codes;
    await new Promise((r) => setTimeout(r, 100));
  }
  return codes;
}

/**
 * Someone files a VAT return for the OB number with the firm's certificate outside the hub (as a client or another
 * package might): a Digipoort process the hub did not make. Returns its kenmerk.
 */
export async function fileOutsideTheHub(obNumber: string, aanleverkenmerk: string): Promise<string> {
  const outsider = wusClientFor('holding');
  try {
    const { result } = await outsider.aanleveren({
      berichtsoort: 'Omzetbelasting',
      aanleverkenmerk,
      identiteitBelanghebbende: { nummer: obNumber, type: 'Fi' },
      rolBelanghebbende: 'Bedrijf',
      berichtInhoud: { mimeType: 'application/xml', bestandsnaam: 'x.xbrl', inhoud: vatInstance(obNumber) },
    });
    return result.kenmerk;
  } finally {
    outsider.close();
  }
}
