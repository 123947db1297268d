import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM sealing with a keyring: the first key seals, every key opens, the key id travels with the sealed data
 * so keys can rotate. Used for Temporal payloads (temporal/codec.ts) and certificates at rest. Key bytes never appear
 * in error messages.
 */
export interface SealingKey {
  id: string;
  key: Buffer;
}

export interface Sealed {
  keyId: string;
  /** 12-byte IV, ciphertext, 16-byte tag. */
  data: Buffer;
}

const IV_LENGTH = 12;
const TAG_LENGTH = 16;

/** Parses `keyId:base64key[,keyId:base64key...]` (32-byte keys); `setting` names the configuration in errors. */
export function parseKeyring(spec: string, setting: string): SealingKey[] {
  const keys = spec
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const separator = part.indexOf(':');
      if (separator <= 0) throw new Error(`${setting}: each entry must be keyId:base64key`);
      const id = part.slice(0, separator);
      const key = Buffer.from(part.slice(separator + 1), 'base64');
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw new Error(`${setting}: invalid key id "${id}"`);
      if (key.length !== 32) throw new Error(`${setting}: key "${id}" must be 32 bytes (base64)`);
      return { id, key };
    });
  if (keys.length === 0) throw new Error(`${setting}: at least one key is required`);
  if (new Set(keys.map((k) => k.id)).size !== keys.length) throw new Error(`${setting}: key ids must be unique`);
  return keys;
}

export function generateKeySpec(id = `k${new Date().toISOString().slice(0, 10).replace(/-/g, '')}`): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}

export function seal(keyring: SealingKey[], plaintext: Buffer, associatedData?: Buffer): Sealed {
  const active = keyring[0];
  const iv = randomBytes(IV_LENGTH);
  const cipher = createCipheriv('aes-256-gcm', active.key, iv);
  if (associatedData) cipher.setAAD(associatedData);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { keyId: active.id, data: Buffer.concat([iv, body, cipher.getAuthTag()]) };
}

export function unseal(keyring: SealingKey[], sealed: Sealed, associatedData?: Buffer): Buffer {
  const key = keyring.find((k) => k.id === sealed.keyId);
  if (!key) throw new Error(`sealed with unknown key id "${sealed.keyId}"`);
  if (sealed.data.length < IV_LENGTH + TAG_LENGTH) throw new Error('sealed data is truncated');
  const decipher = createDecipheriv('aes-256-gcm', key.key, sealed.data.subarray(0, IV_LENGTH));
  if (associatedData) decipher.setAAD(associatedData);
  decipher.setAuthTag(sealed.data.subarray(sealed.data.length - TAG_LENGTH));
  return Buffer.concat([decipher.update(sealed.data.subarray(IV_LENGTH, sealed.data.length - TAG_LENGTH)), decipher.final()]);
}
