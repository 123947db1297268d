import { generateKeyPairSync, verify as verifySignature, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import forge from 'node-forge';
import {
  CertificateError,
  checkValidity,
  describeCertificate,
  openPkcs12,
  parseDistinguishedName,
  type CertificateErrorCode,
  type OpenedCertificate,
} from '../../integrations/pki/pkcs12';
import {
  DEFAULT_ORGANISATIONS,
  generateTestPki,
  hrnForKvkNumber,
  type ManifestCertificate,
  type ManifestClientCertificate,
  type PkiManifest,
} from '../../simulator/pki/generate';

const EKU_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const EKU_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

const now = new Date(Math.floor(Date.now() / 1000) * 1000);
let outDir: string;
let manifest: PkiManifest;

beforeAll(async () => {
  outDir = mkdtempSync(path.join(os.tmpdir(), 'filing-hub-pki-'));
  manifest = await generateTestPki({ outDir, now });
});

afterAll(() => {
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

const readBytes = (file: string): Buffer => readFileSync(path.join(outDir, file));
const readText = (file: string): string => readFileSync(path.join(outDir, file), 'utf8');
const certificateIn = (file: string): X509Certificate => new X509Certificate(readBytes(file));

function organisation(slug: string): ManifestClientCertificate {
  const entry = manifest.organisations.find((candidate) => candidate.slug === slug);
  if (!entry) throw new Error(`no organisation ${slug} in the manifest`);
  return entry;
}

function openClient(entry: ManifestClientCertificate): OpenedCertificate {
  return openPkcs12(readBytes(entry.pkcs12File), readText(entry.passphraseFile));
}

function certificateErrorFrom(action: () => unknown): CertificateError {
  try {
    action();
  } catch (err) {
    expect(err).toBeInstanceOf(CertificateError);
    return err as CertificateError;
  }
  throw new Error('expected a CertificateError, but nothing was thrown');
}

function expectRefused(action: () => unknown, code: CertificateErrorCode, ...secrets: string[]): CertificateError {
  const error = certificateErrorFrom(action);
  expect(error.code).toBe(code);
  for (const secret of secrets) {
    expect(error.message).not.toContain(secret);
    expect(String(error.stack)).not.toContain(secret);
  }
  return error;
}

function pkcs12Der(
  key: forge.pki.rsa.PrivateKey | null,
  certificates: forge.pki.Certificate[] | null,
  passphrase: string,
  useMac = true,
): Buffer {
  // forge takes null for "no certificate" (an empty array crashes it); its typings do not say so.
  const pfx = forge.pkcs12.toPkcs12Asn1(key, certificates as forge.pki.Certificate[], passphrase, {
    algorithm: 'aes256',
    useMac,
  });
  return Buffer.from(forge.asn1.toDer(pfx).getBytes(), 'binary');
}

const forgeKeyOf = (opened: OpenedCertificate): forge.pki.rsa.PrivateKey =>
  forge.pki.privateKeyFromPem(opened.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
const forgeCertificateOf = (pem: string): forge.pki.Certificate => forge.pki.certificateFromPem(pem);

describe('generateTestPki', () => {
  it('writes every file the manifest names, with matching fingerprints', () => {
    const certificates: ManifestCertificate[] = [
      manifest.rootCa,
      manifest.intermediateCa,
      manifest.simulatorServer,
      manifest.serviceSigning,
      ...manifest.organisations,
      manifest.untrusted.rootCa,
      manifest.untrusted.server,
      manifest.untrusted.selfSignedClient,
    ];
    for (const entry of certificates) {
      expect(certificateIn(entry.certificateFile).fingerprint256).toBe(entry.fingerprint256);
      if (entry.keyFile) expect(existsSync(path.join(outDir, entry.keyFile))).toBe(true);
    }
    const { crls } = manifest;
    const otherFiles = [manifest.caChainFile, crls.rootCrlFile, crls.intermediateCrlFile, crls.bundleFile];
    for (const file of [...otherFiles, 'manifest.json']) expect(existsSync(path.join(outDir, file))).toBe(true);
    expect(readText('ca-chain.pem')).toBe(readText('intermediate-ca.pem') + readText('root-ca.pem'));
    expect(readText('simulator-server.pem')).toContain(readText('intermediate-ca.pem'));
    expect(JSON.parse(readText('manifest.json'))).toEqual(manifest);
  });

  it('describes the default organisations with their KvK numbers, HRNs and statuses', () => {
    expect(manifest.generatedAt).toBe(now.toISOString());
    const listed = manifest.organisations.map((entry) => [entry.slug, entry.organisationName, entry.kvkNumber]);
    expect(listed).toEqual(DEFAULT_ORGANISATIONS.map((spec) => [spec.slug, spec.name, spec.kvkNumber]));
    const statuses = manifest.organisations.map((entry) => entry.status);
    expect(statuses).toEqual(DEFAULT_ORGANISATIONS.map((spec) => spec.status ?? 'valid'));
    for (const entry of manifest.organisations) {
      expect(entry.hrn).toBe(`00000003${entry.kvkNumber}0000`);
      expect(entry.hrn).toHaveLength(20);
      expect(entry).toMatchObject({
        pkcs12File: `${entry.slug}.p12`,
        passphraseFile: `${entry.slug}.passphrase`,
        certificateFile: `${entry.slug}.pem`,
      });
    }
    expect(organisation('de-vries').organisationName).toBe(organisation('de-vries-new').organisationName);
    expect(manifest.untrusted.selfSignedClient.status).toBe('untrusted');
    expect(manifest.crls.revokedSerialNumbers).toEqual([organisation('revoked').serialNumber]);
  });

  it('issues a two-level hierarchy with the right validity, CA flags and key purposes', () => {
    const root = certificateIn('root-ca.pem');
    const intermediate = certificateIn('intermediate-ca.pem');
    expect(root.ca && intermediate.ca).toBe(true);
    expect(root.checkIssued(root) && root.verify(root.publicKey)).toBe(true);
    expect(intermediate.checkIssued(root) && intermediate.verify(root.publicKey)).toBe(true);
    expect(root.subject).toMatch(/TEST .*Private Root CA - G1/);
    expect(intermediate.subject).toContain('NOT FOR PRODUCTION');

    const server = certificateIn('simulator-server.pem');
    expect(server.ca).toBe(false);
    expect(server.verify(intermediate.publicKey)).toBe(true);
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.keyUsage).toContain(EKU_SERVER_AUTH);
    const service = certificateIn('digipoort-service.pem');
    expect(service.verify(intermediate.publicKey)).toBe(true);
    expect(describeCertificate(service).subjectSerialNumber).toBe('00000004003214345001');

    const twoYearsOn = new Date(now.getTime() + 2 * YEAR_MS).getTime();
    for (const entry of manifest.organisations) {
      const leaf = certificateIn(entry.certificateFile);
      expect(leaf.ca).toBe(false);
      expect(leaf.verify(intermediate.publicKey)).toBe(true);
      expect(leaf.keyUsage).toEqual([EKU_CLIENT_AUTH]);
      const notAfter = Date.parse(entry.notAfter);
      if (entry.status === 'expired') {
        expect(notAfter).toBeLessThan(now.getTime());
      } else {
        expect(entry.notBefore).toBe(now.toISOString());
        expect(Math.abs(notAfter - twoYearsOn)).toBeLessThanOrEqual(2 * 24 * 60 * 60 * 1000); // leap days
      }
    }
    // checkIssued() would say no: OpenSSL also wants keyCertSign on the issuer, which a client certificate lacks.
    const selfSigned = certificateIn('self-signed.pem');
    expect(selfSigned.issuer).toBe(selfSigned.subject);
    expect(selfSigned.verify(selfSigned.publicKey)).toBe(true);
    const untrustedServer = certificateIn('untrusted-server.pem');
    expect(untrustedServer.verify(certificateIn('untrusted-root.pem').publicKey)).toBe(true);
    expect(untrustedServer.checkHost('localhost')).toBe('localhost');
  });

  it('signs a v2 CRL for each CA level; only the intermediate one lists the revoked certificate', () => {
    const readCrl = (file: string) => {
      const [pem] = forge.pem.decode(readText(file));
      expect(pem.type).toBe('X509 CRL');
      const [tbs, , signature] = forge.asn1.fromDer(pem.body).value as forge.asn1.Asn1[];
      const fields = tbs.value as forge.asn1.Asn1[];
      const tbsDer = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary');
      const signatureBytes = Buffer.from((signature.value as string).slice(1), 'binary');
      // After version, signature algorithm, issuer: times, then the optional revoked list (the only SEQUENCE).
      const revokedList = fields
        .slice(3)
        .find((field) => field.tagClass === forge.asn1.Class.UNIVERSAL && field.type === forge.asn1.Type.SEQUENCE);
      const revoked = ((revokedList?.value ?? []) as forge.asn1.Asn1[]).map((entry) =>
        forge.util.bytesToHex((entry.value as forge.asn1.Asn1[])[0].value as string).toUpperCase(),
      );
      return { version: forge.asn1.derToInteger(fields[0].value as string), tbsDer, signatureBytes, revoked };
    };
    const rootCrl = readCrl('root-ca.crl.pem');
    const intermediateCrl = readCrl('intermediate-ca.crl.pem');
    const signedBy = (crl: ReturnType<typeof readCrl>, issuerFile: string): boolean =>
      verifySignature('sha256', crl.tbsDer, certificateIn(issuerFile).publicKey, crl.signatureBytes);
    expect([rootCrl.version, intermediateCrl.version]).toEqual([1, 1]); // v2
    expect(signedBy(rootCrl, 'root-ca.pem')).toBe(true);
    expect(signedBy(intermediateCrl, 'intermediate-ca.pem')).toBe(true);
    expect(signedBy(intermediateCrl, 'root-ca.pem')).toBe(false);
    expect(rootCrl.revoked).toEqual([]);
    expect(intermediateCrl.revoked).toEqual([organisation('revoked').serialNumber]);
    expect(readText('crls.pem')).toBe(readText('intermediate-ca.crl.pem') + readText('root-ca.crl.pem'));
    expect(Date.parse(manifest.crls.nextUpdate)).toBeGreaterThan(now.getTime());
  });

  const onPosix = process.platform === 'win32' ? it.skip : it;
  onPosix('keeps passphrases, PKCS#12 files and private keys owner-only (0600)', () => {
    const privateFiles = [
      ...manifest.organisations.flatMap((entry) => [entry.passphraseFile, entry.pkcs12File]),
      manifest.simulatorServer.keyFile,
      manifest.serviceSigning.keyFile,
      manifest.untrusted.server.keyFile,
    ];
    for (const file of privateFiles) expect(statSync(path.join(outDir, file)).mode & 0o777).toBe(0o600);
  });

  it('refuses organisation specs that would give a malformed or clashing certificate set', async () => {
    const base = { slug: 'acme', name: 'Acme B.V.', kvkNumber: '61234567' };
    const attempt = (organisations: object[]) =>
      generateTestPki({ outDir: path.join(outDir, 'refused'), organisations: organisations as never });
    await expect(attempt([{ ...base, kvkNumber: '1234567' }])).rejects.toThrow(/KvK number must be exactly 8 digits/);
    await expect(attempt([{ ...base, kvkNumber: '00123456' }])).rejects.toThrow(/not starting with 00/);
    await expect(attempt([{ ...base, slug: 'root-ca' }])).rejects.toThrow(/reserved/);
    await expect(attempt([{ ...base, slug: '../escape' }])).rejects.toThrow(/slug must be/);
    await expect(attempt([base, { ...base, kvkNumber: '62345678' }])).rejects.toThrow(/used twice/);
    await expect(attempt([{ ...base, status: 'suspended' }])).rejects.toThrow(/status must be/);
    expect(existsSync(path.join(outDir, 'refused'))).toBe(false);
    expect(hrnForKvkNumber('30216247')).toBe('00000003302162470000'); // filings-xbrl.md §4.2 G
  });
});

describe('openPkcs12', () => {
  it('opens every client PKCS#12 with its passphrase: key, matching leaf, intermediate chain', () => {
    const intermediate = certificateIn('intermediate-ca.pem');
    for (const entry of manifest.organisations) {
      const opened = openClient(entry);
      expect(opened.privateKey.type).toBe('private');
      expect(opened.certificate.fingerprint256).toBe(entry.fingerprint256);
      expect(opened.certificate.checkPrivateKey(opened.privateKey)).toBe(true);
      expect(opened.certificatePem).toBe(readText(entry.certificateFile));
      expect(opened.chain.map((certificate) => certificate.fingerprint256)).toEqual([intermediate.fingerprint256]);
      expect(opened.chainPem).toEqual([readText('intermediate-ca.pem')]);
    }
    const selfSigned = openClient(manifest.untrusted.selfSignedClient);
    expect(selfSigned.certificate.fingerprint256).toBe(manifest.untrusted.selfSignedClient.fingerprint256);
    expect(selfSigned.chain).toEqual([]);
  });

  it('writes PKCS#12 files that Node/OpenSSL 3 also accepts without the legacy provider', () => {
    const entry = organisation('holding');
    const pfx = readBytes(entry.pkcs12File);
    expect(() => tls.createSecureContext({ pfx, passphrase: readText(entry.passphraseFile) })).not.toThrow();
  });

  it('refuses a wrong passphrase without echoing either passphrase', () => {
    const entry = organisation('holding');
    const passphrase = readText(entry.passphraseFile);
    const wrong = `${passphrase.slice(0, -1)}${passphrase.endsWith('x') ? 'y' : 'x'}`;
    const pfx = readBytes(entry.pkcs12File);
    const error = expectRefused(() => openPkcs12(pfx, wrong), 'PKCS12_INVALID', wrong, passphrase);
    expect(error.message).toBe('PKCS#12 could not be opened: wrong passphrase or damaged file');
  });

  it('refuses a PKCS#12 with one bit flipped in its content, MAC, salt or iteration count', () => {
    const entry = organisation('jansen');
    const passphrase = readText(entry.passphraseFile);
    const pfx = readBytes(entry.pkcs12File);
    // The macData is the last 49 bytes: digest at end-34..end-15, salt end-12..end-5, iteration count end-2..end-1.
    // Two envelope bytes outside the MAC (the content's [0] tag, the digest algorithm's NULL) can change harmlessly.
    const positions = [0.1, 0.25, 0.5, 0.75, 0.9].map((fraction) => Math.floor(pfx.length * fraction));
    for (const index of [...positions, pfx.length - 20, pfx.length - 8, pfx.length - 1]) {
      const tampered = Buffer.from(pfx);
      tampered[index] ^= 0x01;
      expectRefused(() => openPkcs12(tampered, passphrase), 'PKCS12_INVALID', passphrase);
    }
  });

  it('refuses what is not a usable PKCS#12: garbage, no MAC, no key, no certificate, a stranger\'s key', () => {
    const holding = openClient(organisation('holding'));
    const jansen = openClient(organisation('jansen'));
    const passphrase = 'test-passphrase';
    const holdingKey = forgeKeyOf(holding);
    const holdingCertificate = forgeCertificateOf(holding.certificatePem);

    expectRefused(() => openPkcs12(Buffer.alloc(0), passphrase), 'PKCS12_INVALID');
    expectRefused(() => openPkcs12(Buffer.from('not a PKCS#12 file'), passphrase), 'PKCS12_INVALID', passphrase);
    expectRefused(() => openPkcs12(readBytes('holding.pem'), passphrase), 'PKCS12_INVALID');
    const withoutMac = pkcs12Der(holdingKey, [holdingCertificate], passphrase, false);
    expectRefused(() => openPkcs12(withoutMac, passphrase), 'PKCS12_NO_MAC');
    const withoutKey = pkcs12Der(null, [holdingCertificate], passphrase);
    expectRefused(() => openPkcs12(withoutKey, passphrase), 'PKCS12_NO_KEY');
    const withoutCertificate = pkcs12Der(holdingKey, null, passphrase);
    expectRefused(() => openPkcs12(withoutCertificate, passphrase), 'PKCS12_NO_CERTIFICATE');
    const mismatched = pkcs12Der(forgeKeyOf(jansen), [holdingCertificate], passphrase);
    expectRefused(() => openPkcs12(mismatched, passphrase), 'KEY_MISMATCH');
  });

  it('finds the leaf by its key and orders the chain upwards, whatever order the file lists them in', () => {
    const holding = openClient(organisation('holding'));
    const passphrase = 'test-passphrase';
    const rootFirst = [readText('root-ca.pem'), readText('intermediate-ca.pem'), holding.certificatePem];
    const reordered = pkcs12Der(forgeKeyOf(holding), rootFirst.map(forgeCertificateOf), passphrase);
    const opened = openPkcs12(reordered, passphrase);
    expect(opened.certificate.fingerprint256).toBe(holding.certificate.fingerprint256);
    expect(opened.chain.map((certificate) => certificate.fingerprint256)).toEqual([
      manifest.intermediateCa.fingerprint256,
      manifest.rootCa.fingerprint256,
    ]);
  });
});

describe('describeCertificate and checkValidity', () => {
  it('recovers organisation name and KvK number from the HRN of every client certificate', () => {
    for (const entry of [...manifest.organisations, manifest.untrusted.selfSignedClient]) {
      const identity = describeCertificate(openClient(entry).certificate);
      expect(identity).toEqual({
        subject: `C=NL, O=${entry.organisationName}, serialNumber=${entry.hrn}, CN=${entry.organisationName}`,
        organisationName: entry.organisationName,
        commonName: entry.organisationName,
        subjectSerialNumber: entry.hrn,
        identifierKind: 'KvK',
        kvkNumber: entry.kvkNumber,
        issuer: entry.issuer,
        validFrom: entry.notBefore,
        validTo: entry.notAfter,
        fingerprint256: entry.fingerprint256,
        serialNumber: entry.serialNumber,
      });
    }
  });

  it('classifies other OIN prefixes and certificates without one', () => {
    const service = describeCertificate(certificateIn('digipoort-service.pem'));
    expect(service).toMatchObject({ identifierKind: 'SubOIN', organisationName: 'Logius (simulated)' });
    expect(service.kvkNumber).toBeUndefined();
    const server = describeCertificate(certificateIn('simulator-server.pem'));
    expect(server).toMatchObject({ identifierKind: 'other', commonName: 'localhost' });
    expect(server.subjectSerialNumber).toBeUndefined();
  });

  it('reads escaped and multi-valued subject names and refuses a doubled identity attribute', () => {
    // As Node prints them (RFC 2253 escapes, control characters as \XX), captured from real certificates.
    const escaped = [
      'C=NL',
      'O=Jansen\\, de Vries \\+ Zn \\"B.V.\\" \\<x\\>\\;\\\\ #é\\0Aline',
      'serialNumber=00000003512345600000',
      'CN=\\ lead #',
    ].join('\n');
    expect(parseDistinguishedName(escaped)).toEqual([
      { type: 'C', value: 'NL' },
      { type: 'O', value: 'Jansen, de Vries + Zn "B.V." <x>;\\ #é\nline' },
      { type: 'serialNumber', value: '00000003512345600000' },
      { type: 'CN', value: ' lead #' },
    ]);
    expect(parseDistinguishedName('C=NL\nO=Acme\\+Plus B.V. + serialNumber=00000001002220647000\nCN=x')).toEqual([
      { type: 'C', value: 'NL' },
      { type: 'O', value: 'Acme+Plus B.V.' },
      { type: 'serialNumber', value: '00000001002220647000' },
      { type: 'CN', value: 'x' },
    ]);

    // Real certificates through Node's own subject formatting.
    const tricky = selfSignedCertificate([
      { name: 'countryName', value: 'NL' },
      { name: 'organizationName', value: 'Jansen, de Vries & Zn. "Belastingadvies" B.V.' },
      { name: 'serialNumber', value: '00000001002220647000' },
      { name: 'commonName', value: 'Jansen + de Vries' },
    ]);
    expect(describeCertificate(tricky)).toMatchObject({
      organisationName: 'Jansen, de Vries & Zn. "Belastingadvies" B.V.',
      commonName: 'Jansen + de Vries',
      identifierKind: 'RSIN',
    });
    const doubled = selfSignedCertificate([
      { name: 'organizationName', value: 'A B.V.' },
      { name: 'serialNumber', value: '00000003512345600000' },
      { name: 'serialNumber', value: '00000003523456710000' },
    ]);
    expectRefused(() => describeCertificate(doubled), 'SUBJECT_AMBIGUOUS');
  });

  it('tells valid, not-yet-valid and expired apart, both ends inclusive', () => {
    const holding = certificateIn('holding.pem');
    const notBefore = new Date(manifest.organisations[0].notBefore);
    const notAfter = new Date(manifest.organisations[0].notAfter);
    expect(checkValidity(holding, now)).toBe('valid');
    expect(checkValidity(holding, notBefore)).toBe('valid');
    expect(checkValidity(holding, notAfter)).toBe('valid');
    expect(checkValidity(holding, new Date(notBefore.getTime() - 1000))).toBe('not-yet-valid');
    expect(checkValidity(holding, new Date(notAfter.getTime() + 1000))).toBe('expired');
    expect(checkValidity(certificateIn('expired.pem'), now)).toBe('expired');
  });
});

function selfSignedCertificate(attributes: { name: string; value: string }[]): X509Certificate {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const certificate = forge.pki.createCertificate();
  certificate.serialNumber = '01';
  certificate.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  certificate.validity.notBefore = now;
  certificate.validity.notAfter = new Date(now.getTime() + YEAR_MS);
  const utf8 = forge.asn1.Type.UTF8 as unknown as forge.asn1.Class; // forge's typings call the tag a Class
  const fields = attributes.map((attribute) => ({ ...attribute, valueTagClass: utf8 }));
  certificate.setSubject(fields);
  certificate.setIssuer(fields);
  const forgeKey = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  certificate.sign(forgeKey, forge.md.sha256.create());
  return new X509Certificate(forge.pki.certificateToPem(certificate));
}

describe('mutual TLS with Node tls: PKIoverheid-style chain, CRL_CHECK_ALL', () => {
  interface HandshakeResult {
    /** The client received the server's greeting: both sides accepted each other. */
    connected: boolean;
    clientError?: string;
    /** Why the server did not authorise the client (seen only when the server does not reject outright). */
    serverAuthorizationError?: string;
    /** The client certificate as the server saw it. */
    peerCertificate?: X509Certificate;
  }

  // One array element per CRL: Node reads only the first CRL of a PEM string (see the last test).
  const allCrls = (): string[] => [readText(manifest.crls.rootCrlFile), readText(manifest.crls.intermediateCrlFile)];

  const serverOptions = (overrides: tls.TlsOptions = {}): tls.TlsOptions => ({
    key: readText('simulator-server.key.pem'),
    cert: readText('simulator-server.pem'),
    ca: readText('root-ca.pem'),
    crl: allCrls(),
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    ...overrides,
  });

  /** Client options from a PKCS#12 the way the product will build them: key from the KeyObject, leaf + chain. */
  const clientOptions = (opened: OpenedCertificate, overrides: tls.ConnectionOptions = {}): tls.ConnectionOptions => ({
    // Node 20's TLS options take PEM or DER, not a KeyObject.
    key: opened.privateKey.export({ type: 'pkcs8', format: 'pem' }),
    cert: opened.certificatePem + opened.chainPem.join(''),
    ca: readText('root-ca.pem'),
    crl: allCrls(),
    minVersion: 'TLSv1.2',
    servername: 'localhost',
    ...overrides,
  });

  async function handshake(server: tls.TlsOptions, client: tls.ConnectionOptions): Promise<HandshakeResult> {
    const result: HandshakeResult = { connected: false };
    const tlsServer = tls.createServer(server, (socket) => {
      if (socket.authorized) {
        result.peerCertificate = socket.getPeerX509Certificate();
        socket.end('hello');
      } else {
        result.serverAuthorizationError = String(socket.authorizationError);
        socket.destroy();
      }
    });
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    const { port } = tlsServer.address() as AddressInfo;
    try {
      await new Promise<void>((resolve) => {
        const socket = tls.connect({ ...client, host: '127.0.0.1', port });
        let received = '';
        socket.setEncoding('utf8');
        socket.setTimeout(5000, () => socket.destroy(new Error('timed out')));
        socket.on('data', (chunk: string) => {
          received += chunk;
        });
        socket.on('error', (err: NodeJS.ErrnoException) => {
          result.clientError = err.code ?? err.message;
        });
        socket.on('close', () => {
          result.connected = received === 'hello';
          resolve();
        });
      });
    } finally {
      await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
    }
    return result;
  }

  /** A server rejecting outright gives no reason; one that lets the handshake finish shows the verification error. */
  async function serverRefusal(opened: OpenedCertificate): Promise<{ rejected: HandshakeResult; reason?: string }> {
    const rejected = await handshake(serverOptions(), clientOptions(opened));
    const probe = await handshake(serverOptions({ rejectUnauthorized: false }), clientOptions(opened));
    return { rejected, reason: probe.serverAuthorizationError };
  }

  it('accepts a valid client certificate and the server reads its HRN', async () => {
    const entry = organisation('holding');
    const result = await handshake(serverOptions(), clientOptions(openClient(entry)));
    expect(result.clientError).toBeUndefined();
    expect(result.connected).toBe(true);
    expect(result.peerCertificate && describeCertificate(result.peerCertificate).kvkNumber).toBe(entry.kvkNumber);
  });

  it('rejects the revoked client certificate because the intermediate CRL lists it', async () => {
    const { rejected, reason } = await serverRefusal(openClient(organisation('revoked')));
    expect(rejected.connected).toBe(false);
    expect(reason).toBe('CERT_REVOKED');
  });

  it('rejects the expired client certificate', async () => {
    const { rejected, reason } = await serverRefusal(openClient(organisation('expired')));
    expect(rejected.connected).toBe(false);
    expect(reason).toBe('CERT_HAS_EXPIRED');
  });

  it('rejects a self-signed client certificate, HRN or not', async () => {
    const { rejected, reason } = await serverRefusal(openClient(manifest.untrusted.selfSignedClient));
    expect(rejected.connected).toBe(false);
    // OpenSSL goes on after DEPTH_ZERO_SELF_SIGNED_CERT and Node reports its last error: no CRL from a trusted issuer.
    expect(reason).toBe('UNABLE_TO_GET_CRL');
  });

  it('makes a client that trusts only the test root refuse a server certificate from another CA', async () => {
    const result = await handshake(
      serverOptions({ key: readText('untrusted-server.key.pem'), cert: readText('untrusted-server.pem') }),
      clientOptions(openClient(organisation('holding'))),
    );
    expect(result.connected).toBe(false);
    expect(result.clientError).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('fails closed when the client lacks the root CRL (a CRL is needed for every CA level)', async () => {
    const result = await handshake(
      serverOptions(),
      clientOptions(openClient(organisation('holding')), { crl: readText('intermediate-ca.crl.pem') }),
    );
    expect(result.connected).toBe(false);
    expect(result.clientError).toBe('UNABLE_TO_GET_CRL');
  });

  it('fails closed, too, when both CRLs come as one PEM string: Node then loads only the first', async () => {
    const bundle = readText(manifest.crls.bundleFile);
    const client = clientOptions(openClient(organisation('holding')), { crl: bundle });
    const result = await handshake(serverOptions(), client);
    expect(result.connected).toBe(false);
    expect(result.clientError).toBe('UNABLE_TO_GET_CRL');
  });
});
