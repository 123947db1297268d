import { randomBytes, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { openPkcs12 } from '../../integrations/pki/pkcs12';
import { buildRequestBody, buildSignedEnvelope } from '../../integrations/wus/envelope';
import type { HashChoice } from '../../integrations/wus/protocol';

export interface SigningFigures {
  envelopeBytes: number;
  /** WS-Security signed envelopes per second (integrations/wus: canonicalisation, digests, the signature). */
  wssPerSecond: number;
  /** Bare `crypto.sign` of the same bytes with the same key, per second. */
  barePerSecond: number;
}

function rate(run: () => void, ms: number): number {
  run(); // warm up
  let done = 0;
  const started = performance.now();
  while (performance.now() - started < ms) {
    run();
    done++;
  }
  return (done * 1000) / (performance.now() - started);
}

/**
 * (c) Signing a ~50 kB aanleveren envelope the way the worker does (integrations/wus), against the bare RSA signature
 * of the same bytes: what WS-Security costs beyond the cryptography.
 */
export function measureSigning(pkiDir: string, hash: HashChoice, ms = 3000): SigningFigures {
  const manifest = JSON.parse(readFileSync(path.join(pkiDir, 'manifest.json'), 'utf8')) as { organisations: { slug: string; pkcs12File: string; passphraseFile: string }[] };
  const holding = manifest.organisations.find((o) => o.slug === 'holding')!;
  const opened = openPkcs12(readFileSync(path.join(pkiDir, holding.pkcs12File)), readFileSync(path.join(pkiDir, holding.passphraseFile), 'utf8').trim());
  // 33 kB of content is 44 kB of base64: with the headers, the certificate and the signature a ~50 kB envelope.
  const bodyXml = buildRequestBody('aanleveren', {
    berichtsoort: 'Omzetbelasting',
    aanleverkenmerk: 'FH-bench-1',
    identiteitBelanghebbende: { nummer: '001000044B37', type: 'Fi' },
    rolBelanghebbende: 'Bedrijf',
    berichtInhoud: { mimeType: 'application/xml', bestandsnaam: 'bench.xbrl', inhoud: randomBytes(33 * 1024) },
  });
  const envelope = () =>
    buildSignedEnvelope({
      operation: 'aanleveren',
      to: 'https://127.0.0.1:8443/wus/2.0/aanleverservice/1.2',
      bodyXml,
      certificateDer: Buffer.from(opened.certificate.raw),
      privateKey: opened.privateKey,
      hash,
      now: new Date(),
    }).xml;
  const bytes = Buffer.from(envelope(), 'utf8');
  return {
    envelopeBytes: bytes.length,
    wssPerSecond: rate(() => void envelope(), ms),
    barePerSecond: rate(() => void sign(hash === 'sha1' ? 'sha1' : 'sha256', bytes, opened.privateKey), ms),
  };
}
