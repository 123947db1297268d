import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { METADATA_ENCODING_KEY } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/**
 * AES-256-GCM payload codec. Everything Temporal stores that passes a codec (inputs, results, signals, updates,
 * memos, failure messages, summaries) is encrypted; the key id travels in the metadata so keys can rotate: the first
 * key encrypts, every configured key decrypts, an unknown key id fails loudly.
 */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
const METADATA_KEY_ID = 'encryption-key-id';
const IV_LENGTH = 12;
const TAG_LENGTH = 16;

export interface CodecKey {
  id: string;
  key: Buffer;
}

/** Parses `keyId:base64key[,keyId:base64key...]`. Key bytes never appear in error messages. */
export function parseCodecKeys(spec: string): CodecKey[] {
  const keys = spec
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const separator = part.indexOf(':');
      if (separator <= 0) throw new Error('PAYLOAD_ENCRYPTION_KEYS: each entry must be keyId:base64key');
      const id = part.slice(0, separator);
      const key = Buffer.from(part.slice(separator + 1), 'base64');
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw new Error(`PAYLOAD_ENCRYPTION_KEYS: invalid key id "${id}"`);
      if (key.length !== 32) throw new Error(`PAYLOAD_ENCRYPTION_KEYS: key "${id}" must be 32 bytes (base64)`);
      return { id, key };
    });
  if (keys.length === 0) throw new Error('PAYLOAD_ENCRYPTION_KEYS: at least one key is required');
  const ids = new Set(keys.map((k) => k.id));
  if (ids.size !== keys.length) throw new Error('PAYLOAD_ENCRYPTION_KEYS: key ids must be unique');
  return keys;
}

export function generateCodecKeySpec(id = `k${new Date().toISOString().slice(0, 10).replace(/-/g, '')}`): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}

export class EncryptionCodec implements PayloadCodec {
  private readonly active: CodecKey;
  private readonly byId: Map<string, Buffer>;

  constructor(keys: CodecKey[]) {
    if (keys.length === 0) throw new Error('EncryptionCodec needs at least one key');
    this.active = keys[0];
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  static fromSpec(spec: string): EncryptionCodec {
    return new EncryptionCodec(parseCodecKeys(spec));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const iv = randomBytes(IV_LENGTH);
      const cipher = createCipheriv('aes-256-gcm', this.active.key, iv);
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING),
          [METADATA_KEY_ID]: Buffer.from(this.active.id),
        },
        data: Buffer.concat([iv, body, cipher.getAuthTag()]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || Buffer.from(encoding).toString() !== ENCRYPTED_ENCODING) return payload;
      const keyIdBytes = payload.metadata?.[METADATA_KEY_ID];
      const keyId = keyIdBytes ? Buffer.from(keyIdBytes).toString() : '';
      const key = this.byId.get(keyId);
      if (!key) throw new Error(`Payload encrypted with unknown key id "${keyId}"`);
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_LENGTH + TAG_LENGTH) throw new Error('Encrypted payload is truncated');
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_LENGTH));
      decipher.setAuthTag(data.subarray(data.length - TAG_LENGTH));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_LENGTH, data.length - TAG_LENGTH)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}
