import { readFileSync } from 'node:fs';
import type { DigipoortConfig } from '../../config';
import type { Pool } from '../../db/pool';
import type { SealingKey } from '../../lib/sealing';
import { openStoredCertificate, type StoredCertificate } from '../pki/certificate-store';
import { pemBlocks } from '../pki/pem';
import { CertificateError } from '../pki/pkcs12';
import { WusClient } from './client';

/** C7: an expired (or not yet valid) certificate is never used. */
export class CertificateNotUsable extends Error {
  override readonly name = 'CertificateNotUsable';
  constructor(
    readonly certificateId: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * One WUS client per certificate, opened from the sealed store when first needed and kept in the worker's memory
 * only (keep-alive TLS connections included). The key material never leaves this process.
 */
export class WusClientPool {
  private readonly clients = new Map<string, { client: WusClient; stored: StoredCertificate }>();
  private readonly trust: { ca: string[]; crl?: string[] };
  private readonly serviceCertificatePem: string;

  constructor(
    private readonly deps: { pool: Pool; keyring: SealingKey[]; digipoort: DigipoortConfig; clock?: () => Date },
  ) {
    this.trust = {
      ca: pemBlocks(readFileSync(deps.digipoort.caFile, 'utf8')),
      crl: deps.digipoort.crlFile ? pemBlocks(readFileSync(deps.digipoort.crlFile, 'utf8')) : undefined,
    };
    this.serviceCertificatePem = readFileSync(deps.digipoort.serviceCertFile, 'utf8');
  }

  get timeoutMs(): number {
    return this.deps.digipoort.timeoutMs;
  }

  async clientFor(certificateId: string): Promise<{ client: WusClient; stored: StoredCertificate }> {
    let entry = this.clients.get(certificateId);
    if (!entry) {
      const { stored, opened } = await openStoredCertificate(this.deps.pool, this.deps.keyring, certificateId);
      const client = new WusClient({
        endpointBase: this.deps.digipoort.endpointBase,
        credentials: { privateKey: opened.privateKey, certificatePem: opened.certificatePem, chainPem: opened.chainPem },
        trust: this.trust,
        serviceCertificatePem: this.serviceCertificatePem,
        hash: this.deps.digipoort.hash,
        timeoutMs: this.deps.digipoort.timeoutMs,
        clock: this.deps.clock,
      });
      entry = { client, stored };
      this.clients.set(certificateId, entry);
    }
    const now = (this.deps.clock ?? (() => new Date()))().getTime();
    const validity =
      now < Date.parse(entry.stored.validFrom) ? 'not-yet-valid' : now > Date.parse(entry.stored.validTo) ? 'expired' : 'valid';
    if (validity !== 'valid') {
      throw new CertificateNotUsable(
        certificateId,
        `C7: certificate "${entry.stored.label}" (${entry.stored.subjectSerialNumber}) is ${validity === 'expired' ? 'expired since ' + entry.stored.validTo : 'not valid before ' + entry.stored.validFrom} and is never used`,
      );
    }
    return entry;
  }

  /** Forgets a certificate (replaced or deleted), closing its connections. */
  evict(certificateId: string): void {
    this.clients.get(certificateId)?.client.close();
    this.clients.delete(certificateId);
  }

  close(): void {
    for (const { client } of this.clients.values()) client.close();
    this.clients.clear();
  }
}

/**
 * The WUS client of a certificate, or why it cannot be used: expired or not yet valid (C7), deleted, or its sealed
 * file does not open. Retrying cannot help with any of those, so they are answers, not retried errors.
 */
export async function usableClient(pool: WusClientPool, certificateId: string): Promise<{ client: WusClient; problem?: undefined } | { client?: undefined; problem: string }> {
  try {
    return { client: (await pool.clientFor(certificateId)).client };
  } catch (err) {
    if (err instanceof CertificateNotUsable) return { problem: err.message };
    if (err instanceof CertificateError) return { problem: `C7: certificate ${certificateId} cannot be used: ${err.message}` };
    throw err;
  }
}
