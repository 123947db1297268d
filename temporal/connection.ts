import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import type { TemporalConfig } from '../config';
import { createDataConverter } from './data-converter';

/** TLS options for an external cluster; the local dev server runs without TLS. */
export function temporalTls(config: TemporalConfig): TLSConfig | undefined {
  if (!config.tls && !config.apiKey) return undefined;
  const tls: TLSConfig = {};
  if (config.tls?.caPath) tls.serverRootCACertificate = readFileSync(config.tls.caPath);
  if (config.tls?.certPath && config.tls.keyPath) {
    tls.clientCertPair = { crt: readFileSync(config.tls.certPath), key: readFileSync(config.tls.keyPath) };
  }
  if (config.tls?.serverName) tls.serverNameOverride = config.tls.serverName;
  return tls;
}

export async function connectClient(config: TemporalConfig, payloadEncryptionKeys: string): Promise<Client> {
  const connection = await Connection.connect({
    address: config.address,
    tls: temporalTls(config),
    apiKey: config.apiKey,
  });
  return new Client({
    connection,
    namespace: config.namespace,
    dataConverter: createDataConverter(payloadEncryptionKeys),
  });
}
