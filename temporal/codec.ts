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

/** A payload this codec cannot decode: an unknown key id, or data that does not open with its key. */
export class PayloadDecodeError extends Error {
  override readonly name = 'PayloadDecodeError';
}

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
      if (!this.keys.some((k) => k.id === keyId)) throw new PayloadDecodeError(`Payload encrypted with unknown key id "${keyId.slice(0, 64)}"`);
      let plain: Buffer;
      try {
        plain = unseal(this.keys, { keyId, data: Buffer.from(payload.data ?? new Uint8Array()) });
      } catch {
        throw new PayloadDecodeError(`Payload does not open with key "${keyId.slice(0, 64)}" (damaged or not ours)`);
      }
      try {
        return temporal.api.common.v1.Payload.decode(plain);
      } catch {
        throw new PayloadDecodeError('Payload decrypts to something that is not a Temporal payload');
      }
    });
  }
}
