/**
 * Test PKI for the Digipoort simulator and the tests: a root and intermediate CA in the style of the PKIoverheid
 * private hierarchy (Private Root G1 -> Private Services CA G1), CRLs for both CA levels, the simulator's TLS server
 * and WS-Security signing certificates, one PKCS#12 client certificate per accountancy organisation (subject
 * serialNumber = HRN, as on a real PKIoverheid certificate), and certificates for negative tests (expired, revoked,
 * untrusted).
 *
 * Keys and signatures come from Node's crypto (fast, native); node-forge builds the certificate and CRL structures and
 * writes the PKCS#12 files. Every name says TEST / NOT FOR PRODUCTION: nothing here may be trusted outside a test run.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateKeyPair, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';

const generateKeyPairAsync = promisify(generateKeyPair);

export type ClientCertificateStatus = 'valid' | 'expired' | 'revoked';
export type CertificateStatus = ClientCertificateStatus | 'untrusted';

/** An accountancy organisation that gets a client (TLS + signing) certificate. */
export interface OrganisationSpec {
  /** File name stem: lower-case letters, digits and single hyphens (`de-vries` -> `de-vries.p12`). */
  slug: string;
  /** Legal name; becomes the subject O and CN (at most 64 characters, the X.520 upper bound). */
  name: string;
  /** KvK number: exactly 8 digits, not starting with `00`. */
  kvkNumber: string;
  /** 'expired': validity ended yesterday; 'revoked': listed in the intermediate CA's CRL. Default 'valid'. */
  status?: ClientCertificateStatus;
}

/**
 * A holding with a renewal of its certificate (the same KvK number: RB4), three acquired offices (one of which changed
 * its KvK number: RB5), a service bureau, an office for call counting, and two broken ones.
 */
export const DEFAULT_ORGANISATIONS: readonly OrganisationSpec[] = [
  { slug: 'holding', name: 'AA Accountants Holding B.V.', kvkNumber: '51234560' },
  { slug: 'holding-new', name: 'AA Accountants Holding B.V.', kvkNumber: '51234560' },
  { slug: 'willemsen', name: 'Accountantskantoor Willemsen B.V.', kvkNumber: '52345671' },
  { slug: 'jansen', name: 'Jansen Belastingadvies B.V.', kvkNumber: '53456782' },
  { slug: 'de-vries', name: 'De Vries Administraties B.V.', kvkNumber: '54567893' },
  { slug: 'de-vries-new', name: 'De Vries Administraties B.V.', kvkNumber: '55678904' },
  { slug: 'servicebureau', name: 'Rekencentrum Servicebureau B.V.', kvkNumber: '56789015' },
  // Used by one test file only, so the simulator's call counts per caller are that file's own.
  { slug: 'meetkantoor', name: 'Meetkantoor Test B.V.', kvkNumber: '50987654' },
  { slug: 'expired', name: 'Verlopen Test B.V.', kvkNumber: '57890126', status: 'expired' },
  { slug: 'revoked', name: 'Ingetrokken Test B.V.', kvkNumber: '58901237', status: 'revoked' },
];

/** The self-signed client certificate for negative tests: a well-formed HRN that chains to nothing we trust. */
const SELF_SIGNED_ORGANISATION = { slug: 'self-signed', name: 'Zelfondertekend Test B.V.', kvkNumber: '59012348' };

/** HRN (Handelsregisternummer) as a TSP derives it from a KvK number: `00000003` + KvK + `0000` (20 digits). */
export function hrnForKvkNumber(kvkNumber: string): string {
  if (!/^\d{8}$/.test(kvkNumber)) throw new Error(`KvK number must be 8 digits, got "${kvkNumber}"`);
  return `00000003${kvkNumber}0000`;
}

/** One certificate as the manifest describes it. File names are relative to the output directory. */
export interface ManifestCertificate {
  /** PEM file whose first certificate is this one (server files also carry the intermediate after it). */
  certificateFile: string;
  /** Unencrypted PKCS#8 PEM private key (mode 0600), for the simulator's own certificates only. */
  keyFile?: string;
  /** `X509Certificate.subject` / `.issuer` with the lines joined by ", " (certificate order, RFC 2253 escaping). */
  subject: string;
  issuer: string;
  /** Certificate serial number, upper-case hex as `X509Certificate.serialNumber` prints it. */
  serialNumber: string;
  /** `X509Certificate.fingerprint256` (colon-separated upper-case hex). */
  fingerprint256: string;
  notBefore: string;
  notAfter: string;
  status: CertificateStatus;
}

/** A client certificate: PKCS#12 (key + leaf + issuing CA) plus the passphrase file and the bare leaf PEM. */
export interface ManifestClientCertificate extends ManifestCertificate {
  slug: string;
  organisationName: string;
  kvkNumber: string;
  /** Subject serialNumber: `00000003` + KvK + `0000`. */
  hrn: string;
  /** AES-256 PBES2 key bag, HMAC-SHA1 integrity MAC, localKeyId pairing key and leaf. */
  pkcs12File: string;
  /** Random passphrase (mode 0600); never printed. */
  passphraseFile: string;
}

/**
 * `manifest.json`: everything a test or the simulator needs to find in the output directory. Trust material is the
 * root (`rootCa`), the chain file and the CRL bundle; the server and client files are what the two ends present.
 */
export interface PkiManifest {
  /** Changes when the layout of this manifest changes. */
  formatVersion: 1;
  /** The `now` the PKI was generated for (ISO). */
  generatedAt: string;
  rootCa: ManifestCertificate;
  intermediateCa: ManifestCertificate;
  /** Intermediate followed by root. */
  caChainFile: string;
  crls: {
    /** Issued by the root; lists nothing. */
    rootCrlFile: string;
    /** Issued by the intermediate; lists every certificate with status 'revoked'. */
    intermediateCrlFile: string;
    /**
     * Both CRLs concatenated, for OpenSSL tools (`openssl verify -crl_check_all -CRLfile`). Not for Node's TLS `crl`
     * option: Node reads only the first CRL of a PEM string, yet needs one for every CA level. Give Node an array
     * with the contents of `rootCrlFile` and `intermediateCrlFile`.
     */
    bundleFile: string;
    thisUpdate: string;
    nextUpdate: string;
    /** Serial numbers (upper-case hex) listed in the intermediate CRL. */
    revokedSerialNumbers: string[];
  };
  /** TLS server certificate of the simulator: CN and SAN localhost / 127.0.0.1, EKU serverAuth. */
  simulatorServer: ManifestCertificate & { keyFile: string };
  /** The simulator's WS-Security response-signing certificate (stands in for Logius's signing certificate). */
  serviceSigning: ManifestCertificate & { keyFile: string };
  organisations: ManifestClientCertificate[];
  /** Material that must be refused: a foreign CA, a server certificate it issued, a self-signed client certificate. */
  untrusted: {
    rootCa: ManifestCertificate;
    server: ManifestCertificate & { keyFile: string };
    selfSignedClient: ManifestClientCertificate;
  };
}

export interface GenerateTestPkiOptions {
  outDir: string;
  /** Default: DEFAULT_ORGANISATIONS. */
  organisations?: readonly OrganisationSpec[];
  /** The moment the PKI is generated for; validity periods and CRL dates are relative to it. Default: the clock. */
  now?: Date;
  /** Extra DNS names for the simulator's server certificate (e.g. `simulator` in docker-compose). */
  serverHostnames?: readonly string[];
}

const TEST_PKI_ORGANISATION = 'Filing Hub Test PKI';
const NOT_FOR_PRODUCTION = 'NOT FOR PRODUCTION';
const ROOT_CRL_URL = 'http://crl.test-pki.invalid/private-root-ca-g1.crl';
const INTERMEDIATE_CRL_URL = 'http://crl.test-pki.invalid/private-services-ca-g1.crl';
const UNTRUSTED_CRL_URL = 'http://crl.untrusted-pki.invalid/untrusted-root.crl';
/** Observed on Logius's Digipoort certificate (digipoort-wus.md §4.5): prefix 00000004 = SubOIN. */
const SIMULATED_LOGIUS_OIN = '00000004003214345001';

/** File names that organisation slugs must not shadow. */
const RESERVED_SLUGS = new Set([
  'root-ca',
  'intermediate-ca',
  'ca-chain',
  'crls',
  'simulator-server',
  'digipoort-service',
  'untrusted-root',
  'untrusted-server',
  'manifest',
  SELF_SIGNED_ORGANISATION.slug,
]);

const DAY_MS = 24 * 60 * 60 * 1000;

// --- keys ----------------------------------------------------------------------------------------------------------

interface KeyMaterial {
  privateKey: KeyObject;
  privateKeyPem: string;
  forgePrivateKey: forge.pki.rsa.PrivateKey;
  forgePublicKey: forge.pki.rsa.PublicKey;
}

async function newRsaKey(): Promise<KeyMaterial> {
  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    privateKey,
    privateKeyPem,
    forgePrivateKey: forge.pki.privateKeyFromPem(privateKeyPem),
    forgePublicKey: forge.pki.publicKeyFromPem(publicKeyPem) as forge.pki.rsa.PublicKey,
  };
}

// --- certificates --------------------------------------------------------------------------------------------------

interface IssuedCertificate {
  forgeCertificate: forge.pki.Certificate;
  pem: string;
  x509: X509Certificate;
  key: KeyMaterial;
  /** Where certificates issued by this one (if it is a CA) say its CRL is. */
  crlUrl?: string;
}

interface NameAttribute {
  name: 'countryName' | 'organizationName' | 'organizationalUnitName' | 'serialNumber' | 'commonName';
  value: string;
}

/**
 * X.520 wants PrintableString for countryName and serialNumber; names may hold any character, so UTF8String. forge
 * writes PrintableString unless told otherwise, and its typings call the tag a `Class` although it is a `Type`.
 */
function toForgeAttributes(attributes: readonly NameAttribute[]): forge.pki.CertificateField[] {
  return attributes.map(({ name, value }) => {
    const printable = name === 'countryName' || name === 'serialNumber';
    const tag = printable ? forge.asn1.Type.PRINTABLESTRING : forge.asn1.Type.UTF8;
    // forge has no short name for serialNumber (2.5.4.5): give the OID and the long name, never `shortName`.
    return { name, type: forge.pki.oids[name], value, valueTagClass: tag as unknown as forge.asn1.Class };
  });
}

/** A random positive 16-byte serial number: first byte 0x01-0x7f keeps the DER INTEGER positive and minimal. */
function randomSerialNumberHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0] & 0x7f || 0x01;
  return bytes.toString('hex');
}

function addYears(date: Date, years: number): Date {
  const result = new Date(date.getTime());
  result.setUTCFullYear(result.getUTCFullYear() + years);
  return result;
}

type Extension = Record<string, unknown>;

interface CertificateRequest {
  subject: readonly NameAttribute[];
  key: KeyMaterial;
  /** Omitted: self-signed. */
  issuer?: IssuedCertificate;
  notBefore: Date;
  notAfter: Date;
  /** Profile-specific extensions; key identifiers and the CRL distribution point are added here. */
  extensions: Extension[];
  /** For a CA: where its CRL is published, named in the certificates it issues. */
  crlUrl?: string;
}

/** Present in node-forge (it is what `Certificate.sign` uses) but missing from @types/node-forge. */
const getTbsCertificate = (forge.pki as unknown as { getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1 })
  .getTBSCertificate;

/**
 * What forge's `certificate.sign(key, sha256)` does, with Node's native RSA instead of forge's JavaScript one (about
 * 30 ms per signature, a noticeable share of a test run that generates a fresh PKI).
 */
function signWithNodeCrypto(certificate: forge.pki.Certificate, signingKey: KeyObject): void {
  certificate.signatureOid = forge.pki.oids.sha256WithRSAEncryption;
  certificate.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption;
  certificate.tbsCertificate = getTbsCertificate(certificate);
  const tbsDer = Buffer.from(forge.asn1.toDer(certificate.tbsCertificate).getBytes(), 'binary');
  certificate.signature = sign('sha256', tbsDer, signingKey).toString('binary');
}

function issueCertificate(request: CertificateRequest): IssuedCertificate {
  const certificate = forge.pki.createCertificate();
  certificate.version = 2; // X.509 v3
  certificate.serialNumber = randomSerialNumberHex();
  certificate.publicKey = request.key.forgePublicKey;
  certificate.validity.notBefore = request.notBefore;
  certificate.validity.notAfter = request.notAfter;
  const subject = toForgeAttributes(request.subject);
  certificate.setSubject(subject);
  certificate.setIssuer(request.issuer ? request.issuer.forgeCertificate.subject.attributes : subject);

  // forge's `authorityKeyIdentifier: { keyIdentifier: true }` takes the key id of the certificate being built, which
  // is only right for a self-signed one: pass the issuer's subject key identifier explicitly.
  const authorityKeyId = (request.issuer?.forgeCertificate ?? certificate).generateSubjectKeyIdentifier().getBytes();
  const extensions: Extension[] = [
    ...request.extensions,
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: authorityKeyId },
  ];
  const issuerCrlUrl = request.issuer?.crlUrl;
  if (issuerCrlUrl) extensions.push({ name: 'cRLDistributionPoints', altNames: [{ type: 6, value: issuerCrlUrl }] });
  certificate.setExtensions(extensions);

  const signingKey = request.issuer ? request.issuer.key : request.key;
  signWithNodeCrypto(certificate, signingKey.privateKey);
  // Node's PEM rather than forge's, which has CRLF line ends.
  const x509 = new X509Certificate(forge.pki.certificateToPem(certificate));
  return { forgeCertificate: certificate, pem: x509.toString(), x509, key: request.key, crlUrl: request.crlUrl };
}

function caExtensions(pathLength?: number): Extension[] {
  return [
    {
      name: 'basicConstraints',
      cA: true,
      critical: true,
      ...(pathLength === undefined ? {} : { pathLenConstraint: pathLength }),
    },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ];
}

function serverExtensions(extraHostnames: readonly string[] = []): Extension[] {
  return [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 2, value: 'localhost' },
        { type: 7, ip: '127.0.0.1' },
        ...extraHostnames.map((value) => ({ type: 2, value })),
      ],
    },
  ];
}

function clientExtensions(): Extension[] {
  return [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
  ];
}

function organisationSubject(name: string, kvkNumber: string): NameAttribute[] {
  return [
    { name: 'countryName', value: 'NL' },
    { name: 'organizationName', value: name },
    { name: 'serialNumber', value: hrnForKvkNumber(kvkNumber) },
    { name: 'commonName', value: name },
  ];
}

// --- CRLs (node-forge has no CRL writer: X.509 v2 CRL per RFC 5280 §5, built with forge.asn1) -----------------------

const { Class, Type } = forge.asn1;

function derSequence(items: forge.asn1.Asn1[]): forge.asn1.Asn1 {
  return forge.asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, items);
}

function derOid(oid: string): forge.asn1.Asn1 {
  return forge.asn1.create(Class.UNIVERSAL, Type.OID, false, forge.asn1.oidToDer(oid).getBytes());
}

function derSmallInteger(value: number): forge.asn1.Asn1 {
  return forge.asn1.create(Class.UNIVERSAL, Type.INTEGER, false, forge.asn1.integerToDer(value).getBytes());
}

function derOctetString(bytes: string): forge.asn1.Asn1 {
  return forge.asn1.create(Class.UNIVERSAL, Type.OCTETSTRING, false, bytes);
}

/** RFC 5280 §5.1.2.4: UTCTime through 2049, GeneralizedTime from 2050. */
function derTime(date: Date): forge.asn1.Asn1 {
  return date.getUTCFullYear() < 2050
    ? forge.asn1.create(Class.UNIVERSAL, Type.UTCTIME, false, forge.asn1.dateToUtcTime(date))
    : forge.asn1.create(Class.UNIVERSAL, Type.GENERALIZEDTIME, false, forge.asn1.dateToGeneralizedTime(date));
}

function sha256WithRsaAlgorithm(): forge.asn1.Asn1 {
  return derSequence([
    derOid(forge.pki.oids.sha256WithRSAEncryption),
    forge.asn1.create(Class.UNIVERSAL, Type.NULL, false, ''),
  ]);
}

/** Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE (omitted), extnValue OCTET STRING (DER) }. */
function derExtension(oid: string, value: forge.asn1.Asn1): forge.asn1.Asn1 {
  return derSequence([derOid(oid), derOctetString(forge.asn1.toDer(value).getBytes())]);
}

interface RevokedEntry {
  serialNumberHex: string;
  revokedAt: Date;
}

const CRL_REASON_KEY_COMPROMISE = 1;
// forge registers these two OIDs for lookup by OID only (`pki.oids.cRLNumber` is undefined): spell them out.
const OID_CRL_NUMBER = '2.5.29.20';
const OID_CRL_REASON = '2.5.29.21';

function buildCrlPem(
  issuer: IssuedCertificate,
  crl: { thisUpdate: Date; nextUpdate: Date; crlNumber: number; revoked: readonly RevokedEntry[] },
): string {
  const revokedCertificates = crl.revoked.map((entry) =>
    derSequence([
      forge.asn1.create(Class.UNIVERSAL, Type.INTEGER, false, forge.util.hexToBytes(entry.serialNumberHex)),
      derTime(entry.revokedAt),
      derSequence([
        derExtension(
          OID_CRL_REASON,
          forge.asn1.create(Class.UNIVERSAL, Type.ENUMERATED, false, String.fromCharCode(CRL_REASON_KEY_COMPROMISE)),
        ),
      ]),
    ]),
  );
  const authorityKeyIdentifier = derSequence([
    forge.asn1.create(
      Class.CONTEXT_SPECIFIC,
      0 as forge.asn1.Type,
      false,
      issuer.forgeCertificate.generateSubjectKeyIdentifier().getBytes(),
    ),
  ]);
  const tbsCertList = derSequence([
    derSmallInteger(1), // v2
    sha256WithRsaAlgorithm(),
    // Same encoder as the issuer certificate's subject, so the names match byte for byte.
    forge.pki.distinguishedNameToAsn1(issuer.forgeCertificate.subject),
    derTime(crl.thisUpdate),
    derTime(crl.nextUpdate),
    // RFC 5280: with nothing revoked the list is absent, not empty.
    ...(revokedCertificates.length > 0 ? [derSequence(revokedCertificates)] : []),
    forge.asn1.create(Class.CONTEXT_SPECIFIC, 0 as forge.asn1.Type, true, [
      derSequence([
        derExtension(forge.pki.oids.authorityKeyIdentifier, authorityKeyIdentifier),
        derExtension(OID_CRL_NUMBER, derSmallInteger(crl.crlNumber)),
      ]),
    ]),
  ]);
  const tbsDer = Buffer.from(forge.asn1.toDer(tbsCertList).getBytes(), 'binary');
  const signature = sign('sha256', tbsDer, issuer.key.privateKey);
  const certificateList = derSequence([
    tbsCertList,
    sha256WithRsaAlgorithm(),
    forge.asn1.create(Class.UNIVERSAL, Type.BITSTRING, false, '\x00' + signature.toString('binary')),
  ]);
  const pem = forge.pem.encode({ type: 'X509 CRL', body: forge.asn1.toDer(certificateList).getBytes() });
  return pem.replace(/\r\n/g, '\n');
}

// --- PKCS#12 -------------------------------------------------------------------------------------------------------

/** AES-256-CBC (PBES2, PBKDF2-HMAC-SHA256) for the key bag; the MAC (HMAC-SHA1, forge's only choice) covers it all. */
function buildPkcs12(
  key: KeyMaterial,
  certificates: forge.pki.Certificate[],
  passphrase: string,
  friendlyName: string,
): Buffer {
  // `prfAlgorithm` reaches forge's encryptPrivateKeyInfo but is missing from the typings of toPkcs12Asn1.
  const options = { algorithm: 'aes256' as const, count: 2048, friendlyName, prfAlgorithm: 'sha256' };
  const pfx = forge.pkcs12.toPkcs12Asn1(key.forgePrivateKey, certificates, passphrase, options);
  return Buffer.from(forge.asn1.toDer(pfx).getBytes(), 'binary');
}

function newPassphrase(): string {
  return randomBytes(24).toString('base64url');
}

// --- validation ----------------------------------------------------------------------------------------------------

/** Throws an Error naming the organisation and the rule it breaks. */
export function validateOrganisations(organisations: readonly OrganisationSpec[]): void {
  const slugs = new Set<string>();
  for (const organisation of organisations) {
    const label = `organisation "${organisation.slug}"`;
    if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(organisation.slug)) {
      throw new Error(`${label}: slug must be lower-case letters and digits separated by single hyphens`);
    }
    if (RESERVED_SLUGS.has(organisation.slug)) throw new Error(`${label}: slug is reserved for another file`);
    if (slugs.has(organisation.slug)) throw new Error(`${label}: slug is used twice`);
    slugs.add(organisation.slug);
    if (typeof organisation.name !== 'string' || organisation.name.trim() === '' || organisation.name.length > 64) {
      throw new Error(`${label}: name must be 1 to 64 characters`);
    }
    if (!/^(?!00)\d{8}$/.test(organisation.kvkNumber)) {
      throw new Error(`${label}: KvK number must be exactly 8 digits, not starting with 00`);
    }
    const status = organisation.status ?? 'valid';
    if (!['valid', 'expired', 'revoked'].includes(status)) {
      throw new Error(`${label}: status must be valid, expired or revoked`);
    }
  }
}

// --- output --------------------------------------------------------------------------------------------------------

function describeForManifest(
  certificate: IssuedCertificate,
  certificateFile: string,
  status: CertificateStatus,
): ManifestCertificate {
  const { x509 } = certificate;
  return {
    certificateFile,
    subject: x509.subject.split('\n').join(', '),
    issuer: x509.issuer.split('\n').join(', '),
    serialNumber: x509.serialNumber,
    fingerprint256: x509.fingerprint256,
    notBefore: new Date(x509.validFrom).toISOString(),
    notAfter: new Date(x509.validTo).toISOString(),
    status,
  };
}

export async function generateTestPki(options: GenerateTestPkiOptions): Promise<PkiManifest> {
  const organisations = options.organisations ?? DEFAULT_ORGANISATIONS;
  validateOrganisations(organisations);
  const now = new Date(options.now ?? Date.now());
  // X.509 times have whole seconds: start at the second `now` falls in, so a certificate is valid at `now` itself.
  now.setUTCMilliseconds(0);
  const outDir = path.resolve(options.outDir);
  mkdirSync(outDir, { recursive: true });

  const writePublic = (file: string, content: string | Buffer): void => writeFileSync(path.join(outDir, file), content);
  // Mode on create only applies to new files: chmod as well, so a regenerated file is private too.
  const writePrivate = (file: string, content: string | Buffer): void => {
    const full = path.join(outDir, file);
    writeFileSync(full, content, { mode: 0o600 });
    chmodSync(full, 0o600);
  };

  // Keys are independent: generate them in parallel on libuv's thread pool.
  const [rootKey, intermediateKey, serverKey, serviceKey, untrustedRootKey, untrustedServerKey, selfSignedKey] =
    await Promise.all(Array.from({ length: 7 }, () => newRsaKey()));
  const organisationKeys = await Promise.all(organisations.map(() => newRsaKey()));

  const caNotBefore = addYears(now, -2);
  const leafNotAfter = addYears(now, 2);
  const expiredNotAfter = new Date(now.getTime() - DAY_MS);
  const expiredNotBefore = addYears(expiredNotAfter, -1);

  const root = issueCertificate({
    subject: [
      { name: 'countryName', value: 'NL' },
      { name: 'organizationName', value: TEST_PKI_ORGANISATION },
      { name: 'organizationalUnitName', value: NOT_FOR_PRODUCTION },
      // X.520 caps a CN at 64 characters: "(NOT FOR PRODUCTION)" would not fit here, hence the OU above.
      { name: 'commonName', value: 'TEST Staat der Nederlanden Private Root CA - G1' },
    ],
    key: rootKey,
    notBefore: caNotBefore,
    notAfter: addYears(now, 10),
    extensions: caExtensions(),
    crlUrl: ROOT_CRL_URL,
  });
  const intermediate = issueCertificate({
    subject: [
      { name: 'countryName', value: 'NL' },
      { name: 'organizationName', value: TEST_PKI_ORGANISATION },
      { name: 'organizationalUnitName', value: NOT_FOR_PRODUCTION },
      { name: 'commonName', value: `TEST Private Services CA - G1 (${NOT_FOR_PRODUCTION})` },
    ],
    key: intermediateKey,
    issuer: root,
    notBefore: caNotBefore,
    notAfter: addYears(now, 5),
    extensions: caExtensions(0),
    crlUrl: INTERMEDIATE_CRL_URL,
  });

  const server = issueCertificate({
    subject: [
      { name: 'countryName', value: 'NL' },
      { name: 'organizationName', value: 'Logius (simulated)' },
      { name: 'commonName', value: 'localhost' },
    ],
    key: serverKey,
    issuer: intermediate,
    notBefore: now,
    notAfter: leafNotAfter,
    extensions: serverExtensions(options.serverHostnames),
  });
  const service = issueCertificate({
    subject: [
      { name: 'countryName', value: 'NL' },
      { name: 'organizationName', value: 'Logius (simulated)' },
      { name: 'serialNumber', value: SIMULATED_LOGIUS_OIN },
      { name: 'commonName', value: 'wus.simulator.digipoort.test' },
    ],
    key: serviceKey,
    issuer: intermediate,
    notBefore: now,
    notAfter: leafNotAfter,
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
    ],
  });

  const clients = organisations.map((organisation, index) => {
    const status = organisation.status ?? 'valid';
    const certificate = issueCertificate({
      subject: organisationSubject(organisation.name, organisation.kvkNumber),
      key: organisationKeys[index],
      issuer: intermediate,
      notBefore: status === 'expired' ? expiredNotBefore : now,
      notAfter: status === 'expired' ? expiredNotAfter : leafNotAfter,
      extensions: clientExtensions(),
    });
    return { organisation, status, certificate };
  });

  const untrustedRoot = issueCertificate({
    subject: [
      { name: 'countryName', value: 'NL' },
      { name: 'organizationName', value: 'Untrusted Test PKI' },
      { name: 'organizationalUnitName', value: NOT_FOR_PRODUCTION },
      { name: 'commonName', value: 'TEST Untrusted Root CA' },
    ],
    key: untrustedRootKey,
    notBefore: caNotBefore,
    notAfter: addYears(now, 10),
    extensions: caExtensions(),
    crlUrl: UNTRUSTED_CRL_URL,
  });
  const untrustedServer = issueCertificate({
    subject: [
      { name: 'countryName', value: 'NL' },
      { name: 'organizationName', value: 'Untrusted Test PKI' },
      { name: 'commonName', value: 'localhost' },
    ],
    key: untrustedServerKey,
    issuer: untrustedRoot,
    notBefore: now,
    notAfter: leafNotAfter,
    extensions: serverExtensions(),
  });
  const selfSigned = issueCertificate({
    subject: organisationSubject(SELF_SIGNED_ORGANISATION.name, SELF_SIGNED_ORGANISATION.kvkNumber),
    key: selfSignedKey,
    notBefore: now,
    notAfter: leafNotAfter,
    extensions: clientExtensions(),
  });

  const crlThisUpdate = now;
  const crlNextUpdate = addYears(now, 1);
  const revoked = clients.filter((client) => client.status === 'revoked');
  const rootCrl = buildCrlPem(root, {
    thisUpdate: crlThisUpdate,
    nextUpdate: crlNextUpdate,
    crlNumber: 1,
    revoked: [],
  });
  const intermediateCrl = buildCrlPem(intermediate, {
    thisUpdate: crlThisUpdate,
    nextUpdate: crlNextUpdate,
    crlNumber: 1,
    revoked: revoked.map((client) => ({
      serialNumberHex: client.certificate.forgeCertificate.serialNumber,
      revokedAt: now,
    })),
  });

  writePublic('root-ca.pem', root.pem);
  writePublic('intermediate-ca.pem', intermediate.pem);
  writePublic('ca-chain.pem', intermediate.pem + root.pem);
  writePublic('root-ca.crl.pem', rootCrl);
  writePublic('intermediate-ca.crl.pem', intermediateCrl);
  writePublic('crls.pem', intermediateCrl + rootCrl);
  writePublic('simulator-server.pem', server.pem + intermediate.pem);
  writePrivate('simulator-server.key.pem', server.key.privateKeyPem);
  writePublic('digipoort-service.pem', service.pem);
  writePrivate('digipoort-service.key.pem', service.key.privateKeyPem);
  writePublic('untrusted-root.pem', untrustedRoot.pem);
  writePublic('untrusted-server.pem', untrustedServer.pem);
  writePrivate('untrusted-server.key.pem', untrustedServer.key.privateKeyPem);

  const writeClient = (
    slug: string,
    organisation: { name: string; kvkNumber: string },
    certificate: IssuedCertificate,
    chain: forge.pki.Certificate[],
    status: CertificateStatus,
  ): ManifestClientCertificate => {
    const passphrase = newPassphrase();
    const files = { pkcs12File: `${slug}.p12`, passphraseFile: `${slug}.passphrase`, certificateFile: `${slug}.pem` };
    const certificates = [certificate.forgeCertificate, ...chain];
    const pkcs12 = buildPkcs12(certificate.key, certificates, passphrase, organisation.name);
    writePrivate(files.pkcs12File, pkcs12);
    writePrivate(files.passphraseFile, passphrase);
    writePublic(files.certificateFile, certificate.pem);
    return {
      slug,
      organisationName: organisation.name,
      kvkNumber: organisation.kvkNumber,
      hrn: hrnForKvkNumber(organisation.kvkNumber),
      ...describeForManifest(certificate, files.certificateFile, status),
      pkcs12File: files.pkcs12File,
      passphraseFile: files.passphraseFile,
    };
  };

  const manifest: PkiManifest = {
    formatVersion: 1,
    generatedAt: now.toISOString(),
    rootCa: describeForManifest(root, 'root-ca.pem', 'valid'),
    intermediateCa: describeForManifest(intermediate, 'intermediate-ca.pem', 'valid'),
    caChainFile: 'ca-chain.pem',
    crls: {
      rootCrlFile: 'root-ca.crl.pem',
      intermediateCrlFile: 'intermediate-ca.crl.pem',
      bundleFile: 'crls.pem',
      thisUpdate: crlThisUpdate.toISOString(),
      nextUpdate: crlNextUpdate.toISOString(),
      revokedSerialNumbers: revoked.map((client) => client.certificate.x509.serialNumber),
    },
    simulatorServer: {
      ...describeForManifest(server, 'simulator-server.pem', 'valid'),
      keyFile: 'simulator-server.key.pem',
    },
    serviceSigning: {
      ...describeForManifest(service, 'digipoort-service.pem', 'valid'),
      keyFile: 'digipoort-service.key.pem',
    },
    organisations: clients.map(({ organisation, status, certificate }) =>
      writeClient(organisation.slug, organisation, certificate, [intermediate.forgeCertificate], status),
    ),
    untrusted: {
      rootCa: describeForManifest(untrustedRoot, 'untrusted-root.pem', 'untrusted'),
      server: {
        ...describeForManifest(untrustedServer, 'untrusted-server.pem', 'untrusted'),
        keyFile: 'untrusted-server.key.pem',
      },
      selfSignedClient: writeClient(
        SELF_SIGNED_ORGANISATION.slug,
        SELF_SIGNED_ORGANISATION,
        selfSigned,
        [],
        'untrusted',
      ),
    },
  };
  writePublic('manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
