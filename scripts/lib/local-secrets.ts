import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hashToken } from '../../api/plugins/auth';
import type { Pool } from '../../db/pool';
import { generateKeySpec } from '../../lib/sealing';

/**
 * Secrets of a local `npm start`, generated on the first run into DATA_DIR (git-ignored, mode 0600): the payload
 * codec key, and the staff token the README's curl commands read from DATA_DIR/staff-token. Production passes
 * PAYLOAD_ENCRYPTION_KEYS from its secret store instead and creates staff tokens explicitly.
 */
export interface LocalSecrets {
  payloadEncryptionKeys: string;
  certificateMasterKeys: string;
  searchAttributeKey: string;
  staffToken?: string;
  connectorToken?: string;
}

function writePrivate(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600);
}

export function loadLocalSecrets(dataDir: string): LocalSecrets {
  const file = path.join(dataDir, 'secrets.json');
  try {
    const secrets = JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalSecrets>;
    if (secrets.payloadEncryptionKeys) {
      // Keys added by later versions are generated once and kept.
      const complete = {
        ...secrets,
        certificateMasterKeys: secrets.certificateMasterKeys ?? generateKeySpec('certs1'),
        searchAttributeKey: secrets.searchAttributeKey ?? randomBytes(32).toString('base64'),
      } as LocalSecrets;
      if (!secrets.certificateMasterKeys || !secrets.searchAttributeKey) saveLocalSecrets(dataDir, complete);
      return complete;
    }
  } catch {
    // first run
  }
  const secrets: LocalSecrets = {
    payloadEncryptionKeys: generateKeySpec(),
    certificateMasterKeys: generateKeySpec('certs1'),
    searchAttributeKey: randomBytes(32).toString('base64'),
  };
  saveLocalSecrets(dataDir, secrets);
  return secrets;
}

export function saveLocalSecrets(dataDir: string, secrets: LocalSecrets): void {
  writePrivate(path.join(dataDir, 'secrets.json'), JSON.stringify(secrets, null, 2));
  if (secrets.staffToken) writePrivate(path.join(dataDir, 'staff-token'), secrets.staffToken);
  if (secrets.connectorToken) writePrivate(path.join(dataDir, 'connector-token'), secrets.connectorToken);
}

export async function staffTokenIsValid(pool: Pool, token: string): Promise<boolean> {
  const { rowCount } = await pool.query('SELECT 1 FROM staff_tokens WHERE token_hash = $1 AND revoked_at IS NULL', [
    hashToken(token),
  ]);
  return rowCount === 1;
}
