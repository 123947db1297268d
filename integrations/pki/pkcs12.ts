/**
 * Opening the PKCS#12 (.p12/.pfx) file a TSP delivers with an organisation's PKIoverheid certificate, and reading the
 * identity it carries (engineering.md §2.3, §2.4, §3.1).
 *
 * node-forge only opens the file (strict DER, integrity MAC checked with the passphrase): the key goes straight into a
 * Node `KeyObject` and the certificates into Node `X509Certificate`s, and no forge object leaves this module. Chain
 * building, signature and revocation checks belong to Node/OpenSSL (the TLS layer), never to forge.
 *
 * Errors never contain the passphrase, nor forge's own messages (which could quote file content).
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import forge from 'node-forge';

export type CertificateErrorCode =
  /** Not a PKCS#12 file, damaged, or the wrong passphrase (the MAC cannot tell these apart). */
  | 'PKCS12_INVALID'
  /** No integrity MAC: the content could have been altered unnoticed. */
  | 'PKCS12_NO_MAC'
  | 'PKCS12_NO_KEY'
  /** More than one private key: which certificate the file is for is not clear. */
  | 'PKCS12_AMBIGUOUS'
  | 'PKCS12_NO_CERTIFICATE'
  /** No certificate in the file belongs to its private key. */
  | 'KEY_MISMATCH'
  /** A certificate field could not be read (validity dates, subject). */
  | 'CERTIFICATE_INVALID'
  /** The subject carries an identity attribute (O, serialNumber) more than once. */
  | 'SUBJECT_AMBIGUOUS'
  /** The chain does not lead to a configured PKIoverheid root (integrations/pki/trust.ts). */
  | 'UNTRUSTED_CHAIN';

/** A certificate or PKCS#12 file that cannot be used; `code` says why. Never carries a passphrase. */
export class CertificateError extends Error {
  override readonly name = 'CertificateError';
  constructor(
    readonly code: CertificateErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface OpenedCertificate {
  privateKey: KeyObject;
  /** The leaf: the certificate whose public key belongs to `privateKey`. */
  certificate: X509Certificate;
  certificatePem: string;
  /**
   * The other certificates in the file, issuer of the leaf first and then upwards as far as they link up; any that do
   * not link up come last. An ordering for presenting the chain, not a trust decision.
   */
  chain: X509Certificate[];
  chainPem: string[];
}

/** A PFX with a key and a few certificates is a few KiB; refuse anything that is clearly not one before parsing. */
const MAX_PKCS12_BYTES = 256 * 1024;
const OPEN_FAILED = 'PKCS#12 could not be opened: wrong passphrase or damaged file';
const NON_ASCII_PASSPHRASE_HINT =
  ' (a passphrase with non-ASCII characters cannot open AES-encrypted PKCS#12 files here: re-export the file with an' +
  ' ASCII passphrase)';

/**
 * Opens a PKCS#12 with its passphrase: exactly one private key, the certificate that belongs to it, and the rest of
 * the certificates as its chain. A file without integrity MAC is refused. Throws CertificateError.
 */
export function openPkcs12(pfx: Buffer, passphrase: string): OpenedCertificate {
  if (!Buffer.isBuffer(pfx) || pfx.length === 0 || pfx.length > MAX_PKCS12_BYTES) {
    throw new CertificateError('PKCS12_INVALID', 'PKCS#12 could not be opened: empty, or larger than 256 KiB');
  }
  const { privateKeys, certificates } = readBags(pfx, passphrase);

  if (privateKeys.length === 0) throw new CertificateError('PKCS12_NO_KEY', 'PKCS#12 contains no private key');
  if (privateKeys.length > 1) {
    throw new CertificateError('PKCS12_AMBIGUOUS', `PKCS#12 contains ${privateKeys.length} private keys; expected one`);
  }
  if (certificates.length === 0) {
    throw new CertificateError('PKCS12_NO_CERTIFICATE', 'PKCS#12 contains no certificate');
  }
  const [privateKey] = privateKeys;
  const leaf = certificates.find((certificate) => certificate.checkPrivateKey(privateKey));
  if (!leaf) {
    throw new CertificateError('KEY_MISMATCH', 'PKCS#12 contains no certificate for its private key');
  }
  const chain = orderChain(
    leaf,
    certificates.filter((certificate) => certificate !== leaf),
  );
  return {
    privateKey,
    certificate: leaf,
    certificatePem: leaf.toString(),
    chain,
    chainPem: chain.map((certificate) => certificate.toString()),
  };
}

function readBags(pfx: Buffer, passphrase: string): { privateKeys: KeyObject[]; certificates: X509Certificate[] } {
  let pfxAsn1: forge.asn1.Asn1;
  try {
    pfxAsn1 = forge.asn1.fromDer(forge.util.createBuffer(pfx.toString('binary')), true);
  } catch {
    throw new CertificateError('PKCS12_INVALID', OPEN_FAILED);
  }
  // PFX ::= SEQUENCE { version, authSafe, macData OPTIONAL }. forge accepts a PFX without macData unchecked.
  if (Array.isArray(pfxAsn1.value) && pfxAsn1.value.length === 2) {
    throw new CertificateError('PKCS12_NO_MAC', 'PKCS#12 has no integrity MAC; refusing to use it');
  }

  let bags: forge.pkcs12.Bag[];
  try {
    const p12 = forge.pkcs12.pkcs12FromAsn1(pfxAsn1, true /* strict */, passphrase);
    bags = p12.safeContents.flatMap((safeContents) => safeContents.safeBags);
  } catch {
    // forge feeds PBKDF2 (AES key bags) the passphrase's UTF-16 code units, OpenSSL its UTF-8 bytes: they agree on
    // ASCII only. Say so, or the operator keeps retyping a correct passphrase.
    const hint = /[\u0080-\uffff]/.test(passphrase) ? NON_ASCII_PASSPHRASE_HINT : '';
    throw new CertificateError('PKCS12_INVALID', OPEN_FAILED + hint);
  }

  const { oids } = forge.pki;
  const privateKeys: KeyObject[] = [];
  const certificates: X509Certificate[] = [];
  for (const bag of bags) {
    if (bag.type === oids.pkcs8ShroudedKeyBag || bag.type === oids.keyBag) privateKeys.push(toKeyObject(bag));
    else if (bag.type === oids.certBag) certificates.push(toX509Certificate(bag));
  }
  return { privateKeys, certificates };
}

function toKeyObject(bag: forge.pkcs12.Bag): KeyObject {
  try {
    // forge decodes RSA keys only; for other algorithms it leaves the decrypted PrivateKeyInfo in `asn1`.
    const privateKeyInfo = bag.key ? forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(bag.key)) : bag.asn1;
    return createPrivateKey({ key: forge.pki.privateKeyInfoToPem(privateKeyInfo), format: 'pem' });
  } catch {
    throw new CertificateError('PKCS12_INVALID', 'PKCS#12 private key could not be read');
  }
}

/**
 * The certificate's DER as the TSP issued it. forge keeps no raw bytes: it keeps the parsed TBSCertificate but would
 * rebuild the outer signature AlgorithmIdentifier from its own tables (parameters included, e.g. for RSASSA-PSS), so a
 * TSP that encodes those parameters differently would get a different fingerprint. RFC 5280 requires the outer
 * algorithm to equal the one inside the TBSCertificate: reuse that one and stay byte-exact.
 */
function toX509Certificate(bag: forge.pkcs12.Bag): X509Certificate {
  try {
    const { Class, Type } = forge.asn1;
    let certificateAsn1: forge.asn1.Asn1 = bag.asn1;
    if (bag.cert) {
      const tbs = bag.cert.tbsCertificate;
      const fields = tbs.value as forge.asn1.Asn1[];
      const hasExplicitVersion = fields[0].tagClass === Class.CONTEXT_SPECIFIC;
      const signatureAlgorithm = fields[hasExplicitVersion ? 2 : 1];
      certificateAsn1 = forge.asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, [
        tbs,
        signatureAlgorithm,
        forge.asn1.create(Class.UNIVERSAL, Type.BITSTRING, false, '\x00' + String(bag.cert.signature)),
      ]);
    }
    return new X509Certificate(Buffer.from(forge.asn1.toDer(certificateAsn1).getBytes(), 'binary'));
  } catch {
    throw new CertificateError('CERTIFICATE_INVALID', 'PKCS#12 contains a certificate that could not be read');
  }
}

function orderChain(leaf: X509Certificate, others: X509Certificate[]): X509Certificate[] {
  const remaining = [...others];
  const ordered: X509Certificate[] = [];
  let current = leaf;
  for (;;) {
    const subject = current;
    const issuerIndex = remaining.findIndex(
      (candidate) => subject.checkIssued(candidate) && subject.verify(candidate.publicKey),
    );
    if (issuerIndex < 0) break;
    [current] = remaining.splice(issuerIndex, 1);
    ordered.push(current);
  }
  return [...ordered, ...remaining];
}

// --- identity ------------------------------------------------------------------------------------------------------

export type IdentifierKind = 'KvK' | 'RSIN' | 'Fi' | 'SubOIN' | 'other';

export interface CertificateIdentity {
  /** `X509Certificate.subject` lines joined by ", " (certificate order, RFC 2253 escaping kept). */
  subject: string;
  organisationName?: string;
  commonName?: string;
  /** The subject's serialNumber attribute (2.5.4.5): on PKIoverheid certificates the OIN or HRN, 20 digits. */
  subjectSerialNumber?: string;
  /** From the 8-digit prefix of a 20-digit subjectSerialNumber (digipoort-wus.md §4.5); 'other' otherwise. */
  identifierKind: IdentifierKind;
  /** Characters 9-16 of a KvK-based OIN/HRN (`00000003` + KvK + suffix). */
  kvkNumber?: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  fingerprint256: string;
  /** Certificate serial number (upper-case hex). */
  serialNumber: string;
}

const IDENTIFIER_PREFIXES: Record<string, IdentifierKind> = {
  '00000001': 'RSIN',
  '00000002': 'Fi',
  '00000003': 'KvK',
  '00000004': 'SubOIN',
};

/** The identity a (PKIoverheid) certificate carries. Throws CertificateError on a doubled O or serialNumber. */
export function describeCertificate(cert: X509Certificate): CertificateIdentity {
  const attributes = parseDistinguishedName(cert.subject);
  const subjectSerialNumber = singleValue(attributes, 'serialNumber');
  const identifierKind =
    subjectSerialNumber && /^\d{20}$/.test(subjectSerialNumber)
      ? (IDENTIFIER_PREFIXES[subjectSerialNumber.slice(0, 8)] ?? 'other')
      : 'other';
  return {
    subject: cert.subject.split('\n').join(', '),
    organisationName: singleValue(attributes, 'O'),
    commonName: attributes.find((attribute) => attribute.type === 'CN')?.value,
    subjectSerialNumber,
    identifierKind,
    kvkNumber: identifierKind === 'KvK' ? subjectSerialNumber?.slice(8, 16) : undefined,
    issuer: cert.issuer.split('\n').join(', '),
    validFrom: certificateTime(cert.validFrom).toISOString(),
    validTo: certificateTime(cert.validTo).toISOString(),
    fingerprint256: cert.fingerprint256,
    serialNumber: cert.serialNumber,
  };
}

/** Whether `at` lies within the certificate's validity period (both ends inclusive, RFC 5280 §4.1.2.5). */
export function checkValidity(cert: X509Certificate, at: Date): 'valid' | 'not-yet-valid' | 'expired' {
  if (at.getTime() < certificateTime(cert.validFrom).getTime()) return 'not-yet-valid';
  if (at.getTime() > certificateTime(cert.validTo).getTime()) return 'expired';
  return 'valid';
}

function certificateTime(text: string): Date {
  const date = new Date(text); // Node prints "Nov 21 13:21:41 2026 GMT"
  if (Number.isNaN(date.getTime())) {
    throw new CertificateError('CERTIFICATE_INVALID', 'certificate validity date could not be read');
  }
  return date;
}

function singleValue(attributes: DistinguishedNameAttribute[], type: string): string | undefined {
  const values = attributes.filter((attribute) => attribute.type === type);
  if (values.length > 1) {
    throw new CertificateError('SUBJECT_AMBIGUOUS', `certificate subject has ${values.length} ${type} attributes`);
  }
  return values[0]?.value;
}

export interface DistinguishedNameAttribute {
  /** OpenSSL's short name (`C`, `O`, `CN`, `serialNumber`, ...) or a dotted OID. */
  type: string;
  value: string;
}

/**
 * Reads `X509Certificate.subject` / `.issuer`: one RDN per line, `type=value`, values escaped as in RFC 2253
 * (`\,` `\+` `\"` `\\` `\<` `\>` `\;`, a leading `\#` or `\ `, a trailing `\ `) and control characters as `\XX` hex
 * (UTF-8 bytes). Members of a multi-valued RDN share a line, separated by an unescaped " + ".
 */
export function parseDistinguishedName(text: string): DistinguishedNameAttribute[] {
  const attributes: DistinguishedNameAttribute[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let position = 0;
    while (position < line.length) {
      const equals = line.indexOf('=', position);
      if (equals < 0) throw new CertificateError('CERTIFICATE_INVALID', 'certificate name could not be read');
      const type = line.slice(position, equals);
      const bytes: number[] = [];
      position = equals + 1;
      while (position < line.length && !line.startsWith(' + ', position)) {
        const char = line[position];
        const hexPair = line.slice(position + 1, position + 3);
        if (char === '\\' && /^[0-9A-Fa-f]{2}$/.test(hexPair)) {
          bytes.push(parseInt(hexPair, 16));
          position += 3;
        } else if (char === '\\' && position + 1 < line.length) {
          const escaped = String.fromCodePoint(line.codePointAt(position + 1) ?? 0);
          bytes.push(...Buffer.from(escaped, 'utf8'));
          position += 1 + escaped.length;
        } else {
          const literal = String.fromCodePoint(line.codePointAt(position) ?? 0);
          bytes.push(...Buffer.from(literal, 'utf8'));
          position += literal.length;
        }
      }
      if (line.startsWith(' + ', position)) position += 3;
      attributes.push({ type, value: Buffer.from(bytes).toString('utf8') });
    }
  }
  return attributes;
}
