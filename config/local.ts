import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { envIsSet, readEnv, type EnvSource } from './env';

/**
 * The configuration `npm start` gives its children, derived from DATA_DIR, so that `npm run worker` or `npm run api`
 * started on their own on the same machine join the same system: the keys `npm start` generated
 * (DATA_DIR/secrets.json), its local Temporal dev server, and the Digipoort simulator with its test PKI. Only what the
 * environment leaves unset is filled in; production (docker compose, a cluster) sets everything explicitly and
 * keeps no such files, so nothing changes there.
 */

/** Where `npm start` keeps the dev server's state; its presence says that dev server belongs to this DATA_DIR. */
export function devServerDbFile(dataDir: string): string {
  return path.join(dataDir, 'temporal', 'dev-server.sqlite');
}

export function localPkiDir(dataDir: string): string {
  return path.join(dataDir, 'pki');
}

export function dataDirOf(source: EnvSource): string {
  return path.resolve(readEnv('DATA_DIR', source) ?? './data');
}

export function withLocalDefaults(source: EnvSource): EnvSource {
  const dataDir = dataDirOf(source);
  const defaults: Record<string, string> = {};
  try {
    const secrets = JSON.parse(readFileSync(path.join(dataDir, 'secrets.json'), 'utf8')) as {
      payloadEncryptionKeys?: string;
      certificateMasterKeys?: string;
      searchAttributeKey?: string;
    };
    if (secrets.payloadEncryptionKeys) defaults.PAYLOAD_ENCRYPTION_KEYS = secrets.payloadEncryptionKeys;
    if (secrets.certificateMasterKeys) defaults.CERTIFICATE_MASTER_KEYS = secrets.certificateMasterKeys;
    if (secrets.searchAttributeKey) defaults.SEARCH_ATTRIBUTE_KEY = secrets.searchAttributeKey;
  } catch {
    // no local secrets: nothing to fill in
  }
  if (existsSync(devServerDbFile(dataDir))) {
    defaults.TEMPORAL_ADDRESS = `127.0.0.1:${readEnv('TEMPORAL_PORT', source)}`;
    defaults.TEMPORAL_UI_UPSTREAM = `http://127.0.0.1:${readEnv('TEMPORAL_UI_PORT', source)}`;
  }
  const pki = localPkiDir(dataDir);
  if (!envIsSet('DIGIPOORT_ENDPOINT_BASE', source) && existsSync(path.join(pki, 'manifest.json'))) {
    Object.assign(defaults, {
      DIGIPOORT_ENDPOINT_BASE: `https://127.0.0.1:${readEnv('SIMULATOR_PORT', source)}`,
      DIGIPOORT_CA_FILE: path.join(pki, 'root-ca.pem'),
      PKIOVERHEID_ROOTS_FILE: path.join(pki, 'root-ca.pem'),
      DIGIPOORT_CRL_FILE: path.join(pki, 'crls.pem'),
      DIGIPOORT_SERVICE_CERT_FILE: path.join(pki, 'digipoort-service.pem'),
    });
  }
  const given = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ''));
  return { ...defaults, ...given };
}
