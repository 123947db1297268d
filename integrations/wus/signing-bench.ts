import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { buildRequestBody, buildSignedEnvelope } from './envelope';
import type { HashChoice } from './protocol';

/**
 * Cost of WS-Security signing of an `aanleveren` envelope of about `bytes` bytes against a bare `crypto.sign` of the
 * same number of bytes with the same key and hash (issue 10, item 6). `npm run bench` imports it; it has no I/O and
 * reads no configuration. The envelope is signed exactly as the client signs it (`buildSignedEnvelope`); the request
 * body is built once, outside the timed loop, as the client builds it once per call.
 */
export interface SigningMeasurement {
  signPerSecond: number;
  bareSignPerSecond: number;
  /** signPerSecond / bareSignPerSecond: 1 means signing costs no more than the RSA signature itself. */
  ratio: number;
  envelopeBytes: number;
  hash: HashChoice;
  keyBits: number;
}

export interface SigningBenchOptions {
  /** Approximate size of the signed envelope in bytes (default 54,500, the envelope of issue 10). */
  bytes?: number;
  hash?: HashChoice;
  /** RSA modulus of the signing key (default 2048, as the local PKI issues). */
  keyBits?: number;
  /** Time spent on each of the two operations, after a warm-up (default 1,000 ms). */
  durationMs?: number;
}

/** A self-signed-looking DER stand-in: the envelope carries it as base64 only, nothing parses it while signing. */
const FAKE_CERTIFICATE_DER = Buffer.alloc(1_200, 0x30);

/**
 * Rates of two operations measured in alternating slices of ~20 ms, so that a change of load on a shared machine
 * (other processes, GC) falls on both alike and the ratio stays meaningful.
 */
function interleavedRates(durationMs: number, a: () => void, b: () => void): [number, number] {
  for (let i = 0; i < 20; i++) {
    a();
    b();
  }
  const totals = [0n, 0n];
  const counts = [0, 0];
  const slice = 20_000_000n;
  const runs = [a, b];
  const limit = BigInt(durationMs) * 1_000_000n;
  while (totals[0] < limit || totals[1] < limit) {
    for (const k of [0, 1]) {
      const start = process.hrtime.bigint();
      let elapsed = 0n;
      while (elapsed < slice) {
        runs[k]();
        counts[k] += 1;
        elapsed = process.hrtime.bigint() - start;
      }
      totals[k] += elapsed;
    }
  }
  return [counts[0] / (Number(totals[0]) / 1e9), counts[1] / (Number(totals[1]) / 1e9)];
}

function requestBody(bytes: number) {
  // XBRL-like text; the envelope carries it base64 encoded (4/3) next to ~3 kB of headers, token and signature.
  const payloadBytes = Math.max(1, Math.floor(((bytes - 5_900) * 3) / 4));
  const line = '<bd-i:ValueAddedTaxOnInput contextRef="c1" unitRef="EUR" decimals="INF">1234</bd-i:ValueAddedTaxOnInput>\n';
  const xbrl = Buffer.from(line.repeat(Math.ceil(payloadBytes / line.length)).slice(0, payloadBytes), 'utf8');
  return buildRequestBody('aanleveren', {
    berichtsoort: 'Omzetbelasting',
    aanleverkenmerk: 'bench-0001',
    identiteitBelanghebbende: { nummer: '001000044B37', type: 'Fi' },
    rolBelanghebbende: 'Intermediair',
    berichtInhoud: { mimeType: 'text/xml', bestandsnaam: 'omzetbelasting.xbrl', inhoud: xbrl },
  });
}

export function measureSigning(options: SigningBenchOptions = {}): SigningMeasurement {
  const bytes = options.bytes ?? 54_500;
  const hash = options.hash ?? 'sha1';
  const keyBits = options.keyBits ?? 2048;
  const durationMs = options.durationMs ?? 1_000;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: keyBits }) as { privateKey: KeyObject };
  const bodyXml = requestBody(bytes);
  const now = new Date();
  const signOnce = () =>
    buildSignedEnvelope({
      operation: 'aanleveren',
      to: 'https://digipoort.example/wus/2.0/aanleverservice/1.2',
      bodyXml,
      certificateDer: FAKE_CERTIFICATE_DER,
      privateKey,
      hash,
      now,
    }).xml;
  const envelope = Buffer.from(signOnce(), 'utf8');
  const [signPerSecond, bareSignPerSecond] = interleavedRates(durationMs, signOnce, () => sign(hash, envelope, privateKey));
  return {
    signPerSecond,
    bareSignPerSecond,
    ratio: signPerSecond / bareSignPerSecond,
    envelopeBytes: envelope.length,
    hash,
    keyBits,
  };
}
