import { EncryptionCodec, parseCodecKeys } from '../../temporal/codec';
import { generateKeySpec } from '../../lib/sealing';
import { defaultPayloadConverter } from '@temporalio/common';

const payload = () => defaultPayloadConverter.toPayload({ ob: '001000044B37', secret: 'not in the clear' });

describe('payload encryption codec', () => {
  const oldKey = generateKeySpec('old');
  const newKey = generateKeySpec('new');

  it('round-trips a payload and hides its content', async () => {
    const codec = EncryptionCodec.fromSpec(newKey);
    const [encoded] = await codec.encode([payload()]);
    expect(Buffer.from(encoded.metadata!.encoding!).toString()).toBe('binary/encrypted');
    expect(Buffer.from(encoded.metadata!['encryption-key-id']!).toString()).toBe('new');
    expect(Buffer.from(encoded.data!).toString('latin1')).not.toContain('001000044B37');
    const [decoded] = await codec.decode([encoded]);
    expect(defaultPayloadConverter.fromPayload(decoded)).toEqual({ ob: '001000044B37', secret: 'not in the clear' });
  });

  it('decodes payloads of an old key after rotation, encrypting with the first key', async () => {
    const [byOld] = await EncryptionCodec.fromSpec(oldKey).encode([payload()]);
    const rotated = EncryptionCodec.fromSpec(`${newKey},${oldKey}`);
    const [decoded] = await rotated.decode([byOld]);
    expect(defaultPayloadConverter.fromPayload(decoded)).toMatchObject({ ob: '001000044B37' });
    const [byNew] = await rotated.encode([payload()]);
    expect(Buffer.from(byNew.metadata!['encryption-key-id']!).toString()).toBe('new');
  });

  it('fails loudly on an unknown key id and on tampered ciphertext', async () => {
    const [byOld] = await EncryptionCodec.fromSpec(oldKey).encode([payload()]);
    await expect(EncryptionCodec.fromSpec(newKey).decode([byOld])).rejects.toThrow('unknown key id "old"');
    const tampered = { ...byOld, data: Buffer.from(byOld.data!) };
    tampered.data[20] ^= 1;
    await expect(EncryptionCodec.fromSpec(oldKey).decode([tampered])).rejects.toThrow();
  });

  it('passes unencrypted payloads through on decode', async () => {
    const plain = payload();
    const [decoded] = await EncryptionCodec.fromSpec(newKey).decode([plain]);
    expect(decoded).toBe(plain);
  });

  it('rejects malformed key specs without echoing key material', () => {
    expect(() => parseCodecKeys('')).toThrow('at least one key');
    expect(() => parseCodecKeys('nokey')).toThrow('keyId:base64key');
    expect(() => parseCodecKeys('a:c2hvcnQ=')).toThrow('must be 32 bytes');
    expect(() => parseCodecKeys(`${newKey},${newKey}`)).toThrow('unique');
    try {
      parseCodecKeys('a:c2hvcnQ=');
    } catch (err) {
      expect(String(err)).not.toContain('c2hvcnQ=');
    }
  });
});
