import type { Payload, PayloadCodec } from '@temporalio/common';
import { METADATA_ENCODING_KEY } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { parseKeyring, seal, unseal, type SealingKey } from '../lib/sealing';

/**
 * AES-256-GCM payload codec. Everything Temporal stores that passes a codec (inputs, results, signals, updates,
 * memos, failure messages, summaries) is encrypted; the key id travels in the metadata so keys can rotate: the first
 * key encrypts, every configured key decrypts, an unknown key id fails loudly.
 */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
const METADATA_KEY_ID = 'encryption-key-id';

export function parseCodecKeys(spec: string): SealingKey[] {
  return parseKeyring(spec, 'PAYLOAD_ENCRYPTION_KEYS');
}


export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keys: SealingKey[]) {
    if (keys.length === 0) throw new Error('EncryptionCodec needs at least one key');
  }

  static fromSpec(spec: string): EncryptionCodec {
    return new EncryptionCodec(parseCodecKeys(spec));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const sealed = seal(this.keys, Buffer.from(temporal.api.common.v1.Payload.encode(payload).finish()));
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING),
          [METADATA_KEY_ID]: Buffer.from(sealed.keyId),
        },
        data: sealed.data,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || Buffer.from(encoding).toString() !== ENCRYPTED_ENCODING) return payload;
      const keyIdBytes = payload.metadata?.[METADATA_KEY_ID];
      const keyId = keyIdBytes ? Buffer.from(keyIdBytes).toString() : '';
      if (!this.keys.some((k) => k.id === keyId)) throw new Error(`Payload encrypted with unknown key id "${keyId}"`);
      const plain = unseal(this.keys, { keyId, data: Buffer.from(payload.data ?? new Uint8Array()) });
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}
