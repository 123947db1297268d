import { X509Certificate } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import { childElements, collapsed, onlyChild, optionalChild, parseXmlDocument, textOf } from '../xml/safe-xml';
import {
  ACCEPTED_DIGEST_ALGORITHMS,
  ACCEPTED_SIGNATURE_ALGORITHMS,
  BST_VALUE_TYPE,
  EXC_C14N,
  MAX_SOAP_MESSAGE_CHARS,
  NS,
} from './protocol';

/**
 * WS-Security verification of a signed SOAP envelope, used by the client (responses, signed with the configured
 * Digipoort service certificate) and by the simulator (requests, signed with the caller's TLS certificate). It
 * follows engineering.md §2.1: one Signature only, no duplicate ids, only exclusive c14n and the published
 * algorithms, every reference at its required place, the key supplied by the caller (never taken unchecked from the
 * message), and business data read only from the canonical text the signature covers.
 */
export class SignatureRejected extends Error {
  override readonly name = 'SignatureRejected';
}

/** The places a reference may point at; WS-Addressing headers are named by their local name. */
export type SignedPlace = 'Body' | 'Timestamp' | 'To' | 'From' | 'FaultTo' | 'ReplyTo' | 'MessageID' | 'RelatesTo' | 'Action';
const ADDRESSING_HEADERS = new Set(['To', 'From', 'FaultTo', 'ReplyTo', 'MessageID', 'RelatesTo', 'Action']);

export interface SignaturePolicy {
  /** The verification key's certificate. */
  certificate: X509Certificate;
  /**
   * When the message carries a BinarySecurityToken: the token must be exactly this certificate (responses: the
   * configured service certificate; requests: the TLS client certificate).
   */
  tokenMustEqualCertificate: boolean;
  /** The token must exist and KeyInfo must reference it (requests). */
  requireTokenReference: boolean;
  now: Date;
  clockSkewSeconds: number;
  /** Longest accepted Created→now age when Expires is absent. */
  maxAgeSeconds: number;
}

export interface VerifiedEnvelope {
  envelope: Element;
  header: Element;
  security: Element;
  /** Canonical signed text of each place, re-parsed: the only source of business data. */
  signed: Map<SignedPlace, Element>;
  signatureAlgorithm: string;
  digestAlgorithms: string[];
  created: string;
  expires?: string;
}

const ID_ATTRIBUTES = new Set(['Id', 'ID', 'id']);

function indexIds(root: Element): Map<string, Element> {
  const ids = new Map<string, Element>();
  const walk = (el: Element) => {
    for (let i = 0; i < el.attributes.length; i++) {
      const attr = el.attributes.item(i)!;
      if (!ID_ATTRIBUTES.has(attr.localName ?? attr.name)) continue;
      if (ids.has(attr.value)) throw new SignatureRejected(`duplicate id "${attr.value}"`);
      ids.set(attr.value, el);
    }
    for (const child of childElements(el)) walk(child);
  };
  walk(root);
  return ids;
}

function count(root: Element, namespace: string, localName: string): number {
  let n = root.namespaceURI === namespace && root.localName === localName ? 1 : 0;
  for (const child of childElements(root)) n += count(child, namespace, localName);
  return n;
}

/** Where an element sits in the envelope; undefined when it is not a place that may be signed. */
function placeOf(target: Element, envelope: Element, header: Element, security: Element): SignedPlace | undefined {
  if (target.parentNode === envelope && target.namespaceURI === NS.soap && target.localName === 'Body') return 'Body';
  if (target.parentNode === security && target.namespaceURI === NS.wsu && target.localName === 'Timestamp') return 'Timestamp';
  if (target.parentNode === header && target.namespaceURI === NS.wsa && ADDRESSING_HEADERS.has(target.localName ?? '')) {
    return target.localName as SignedPlace;
  }
  return undefined;
}

export function addressingHeaders(header: Element): Element[] {
  return childElements(header, NS.wsa);
}

/**
 * Comments are outside what XML-DSig signs (xml-crypto 6.3), so a comment inside signed text could make a naive reader
 * see something else than what was signed. Digipoort messages carry none: refuse them, and processing instructions.
 */
function assertNoCommentsOrInstructions(node: Node): void {
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === 8) throw new SignatureRejected('XML comments are not allowed in a signed message');
    if (child.nodeType === 7) throw new SignatureRejected('processing instructions are not allowed in a signed message');
    if (child.nodeType === 1) assertNoCommentsOrInstructions(child);
  }
}

/** Verifies a parsed SOAP envelope (`xml` is its exact text) against the policy; throws SignatureRejected. */
export function verifySignedEnvelope(xml: string, doc: Document, policy: SignaturePolicy): VerifiedEnvelope {
  const reject = (reason: string): never => {
    throw new SignatureRejected(reason);
  };
  const envelope = doc.documentElement;
  assertNoCommentsOrInstructions(envelope);
  const header = optionalChild(envelope, NS.soap, 'Header') ?? reject('no SOAP header');
  const securities = childElements(header, NS.wsse, 'Security');
  if (securities.length !== 1) reject(`expected one wsse:Security header, found ${securities.length}`);
  const security = securities[0];
  if (count(envelope, NS.ds, 'Signature') !== 1) reject('expected exactly one ds:Signature');
  const signature = childElements(security, NS.ds, 'Signature')[0] ?? reject('the signature is not in the Security header');
  const ids = indexIds(envelope);

  const signedInfo = onlyChild(signature, NS.ds, 'SignedInfo');
  const c14n = onlyChild(signedInfo, NS.ds, 'CanonicalizationMethod').getAttribute('Algorithm');
  if (c14n !== EXC_C14N) reject(`canonicalization ${c14n} is not exclusive c14n`);
  const signatureAlgorithm = onlyChild(signedInfo, NS.ds, 'SignatureMethod').getAttribute('Algorithm') ?? '';
  if (!ACCEPTED_SIGNATURE_ALGORITHMS.includes(signatureAlgorithm)) reject(`signature algorithm ${signatureAlgorithm} is not accepted`);

  const placeByUri = new Map<string, SignedPlace>();
  const digestAlgorithms: string[] = [];
  for (const reference of childElements(signedInfo, NS.ds, 'Reference')) {
    const uri = reference.getAttribute('URI') ?? '';
    if (!/^#[^'"]+$/.test(uri)) reject(`reference "${uri}" is not a same-document id reference`);
    const target = ids.get(uri.slice(1)) ?? reject(`reference ${uri} points at nothing`);
    const transformsEl = optionalChild(reference, NS.ds, 'Transforms');
    const transforms = transformsEl ? childElements(transformsEl, NS.ds, 'Transform') : [];
    if (transforms.length !== 1 || transforms[0].getAttribute('Algorithm') !== EXC_C14N) {
      reject(`reference ${uri} must have exactly one exclusive c14n transform`);
    }
    const digest = onlyChild(reference, NS.ds, 'DigestMethod').getAttribute('Algorithm') ?? '';
    if (!ACCEPTED_DIGEST_ALGORITHMS.includes(digest)) reject(`digest algorithm ${digest} is not accepted`);
    digestAlgorithms.push(digest);
    const place = placeOf(target, envelope, header, security) ?? reject(`reference ${uri} points outside the signable parts`);
    if ([...placeByUri.values()].includes(place)) reject(`${place} is referenced twice`);
    placeByUri.set(uri, place);
  }
  const signedPlaces = new Set(placeByUri.values());
  const mustBeSigned: string[] = ['Body', 'Timestamp', ...addressingHeaders(header).map((h) => h.localName ?? '')];
  for (const place of mustBeSigned) if (!signedPlaces.has(place as SignedPlace)) reject(`${place} is not signed`);

  const tokens = childElements(security, NS.wsse, 'BinarySecurityToken');
  if (tokens.length > 1) reject('more than one BinarySecurityToken');
  if (policy.requireTokenReference && tokens.length === 0) reject('no BinarySecurityToken');
  for (const token of tokens) {
    if (token.getAttribute('ValueType') !== BST_VALUE_TYPE) reject('the BinarySecurityToken is not an X.509 v3 token');
    let tokenCertificate: X509Certificate;
    try {
      tokenCertificate = new X509Certificate(Buffer.from(collapsed(textOf(token)), 'base64'));
    } catch {
      return reject('the BinarySecurityToken is not a certificate');
    }
    if (policy.tokenMustEqualCertificate && tokenCertificate.fingerprint256 !== policy.certificate.fingerprint256) {
      reject('the BinarySecurityToken is not the expected certificate');
    }
  }
  if (policy.requireTokenReference) {
    const keyInfo = onlyChild(signature, NS.ds, 'KeyInfo');
    const str = onlyChild(keyInfo, NS.wsse, 'SecurityTokenReference');
    const uri = onlyChild(str, NS.wsse, 'Reference').getAttribute('URI') ?? '';
    if (ids.get(uri.replace(/^#/, '')) !== tokens[0]) reject('KeyInfo does not reference the BinarySecurityToken');
  }

  const verifier = new SignedXml({
    publicCert: policy.certificate.toString(),
    getCertFromKeyInfo: () => null,
    idMode: 'wssecurity',
  });
  let valid = false;
  try {
    verifier.loadSignature(signature);
    valid = verifier.checkSignature(xml);
  } catch (err) {
    reject((err as Error).message.split('\n')[0]);
  }
  if (!valid) reject('a digest or the signature value does not match');

  // Map the signed canonical texts to their places; the references list is in SignedInfo order.
  const texts = verifier.getSignedReferences();
  const signed = new Map<SignedPlace, Element>();
  verifier.getReferences().forEach((ref, index) => {
    const place = placeByUri.get(ref.uri ?? '');
    if (!place) return;
    signed.set(place, parseXmlDocument(texts[index], MAX_SOAP_MESSAGE_CHARS).documentElement);
  });

  const timestamp = signed.get('Timestamp')!;
  const created = collapsed(textOf(onlyChild(timestamp, NS.wsu, 'Created')));
  const expiresEl = optionalChild(timestamp, NS.wsu, 'Expires');
  const expires = expiresEl ? collapsed(textOf(expiresEl)) : undefined;
  const now = policy.now.getTime();
  const skew = policy.clockSkewSeconds * 1000;
  const createdAt = Date.parse(created);
  if (!/Z$|[+-]\d\d:\d\d$/.test(created) || Number.isNaN(createdAt)) reject('Timestamp Created is not a UTC date-time');
  if (createdAt > now + skew) reject('the Timestamp is in the future');
  if (expires !== undefined) {
    const expiresAt = Date.parse(expires);
    if (Number.isNaN(expiresAt) || expiresAt < createdAt) reject('Timestamp Expires is invalid');
    if (expiresAt < now - skew) reject('the Timestamp has expired');
  } else if (createdAt < now - (policy.maxAgeSeconds * 1000 + skew)) {
    reject('the Timestamp is too old');
  }
  return { envelope, header, security, signed, signatureAlgorithm, digestAlgorithms, created, expires };
}
