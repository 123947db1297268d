import { createHash, timingSafeEqual, verify, X509Certificate } from 'node:crypto';
import { ExclusiveCanonicalization, findAncestorNs, SignedXml } from 'xml-crypto';
import { childElements, collapsed, onlyChild, optionalChild, parseXmlDocument, textOf } from '../xml/safe-xml';
import {
  ALGORITHMS,
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

/** The node:crypto hash of a published signature or digest algorithm URI; undefined when it is not one of ours. */
function hashOf(uri: string, kind: 'signature' | 'digest'): string | undefined {
  return (Object.keys(ALGORITHMS) as (keyof typeof ALGORITHMS)[]).find((hash) => ALGORITHMS[hash][kind] === uri);
}

/** The PrefixList of an exclusive c14n transform's (or CanonicalizationMethod's) InclusiveNamespaces. */
function prefixListOf(method: Element): string[] {
  const inclusive = childElements(method).filter((el) => el.localName === 'InclusiveNamespaces');
  return inclusive.flatMap((el) => (el.getAttribute('PrefixList') ?? '').split(' ')).filter((prefix) => prefix.length > 0);
}

/** An element's XPath by position only (/*[1]/*[2]…): cheap to evaluate, unlike a search by attribute. */
function positionalPath(el: Element): string {
  const steps: string[] = [];
  for (let node: Element | null = el; node && node.nodeType === 1; node = node.parentNode as Element | null) {
    let position = 1;
    for (let sibling = node.previousSibling; sibling; sibling = sibling.previousSibling) if (sibling.nodeType === 1) position++;
    steps.unshift(`*[${position}]`);
  }
  return `/${steps.join('/')}`;
}

/**
 * Exclusive c14n of one element as XML-DSig reference processing does it, with the namespaces in scope from its
 * ancestors. With inclusive prefixes the canonicalizer writes their declarations onto the element it is given, so it
 * gets a copy; without, it only reads (copying was four fifths of the verification's c14n time in the bench).
 */
function canonicalText(doc: Document, el: Element, inclusivePrefixes: string[]): string {
  return new ExclusiveCanonicalization().process(inclusivePrefixes.length > 0 ? (el.cloneNode(true) as Element) : el, {
    inclusiveNamespacesPrefixList: inclusivePrefixes,
    // Exclusive c14n takes declarations from the ancestors only for the inclusive prefixes.
    ancestorNamespaces: inclusivePrefixes.length > 0 ? findAncestorNs(doc, positionalPath(el)) : [],
    defaultNsForPrefix: SignedXml.defaultNsForPrefix,
  });
}

/** Verifies a parsed SOAP envelope against the policy; throws SignatureRejected. */
export function verifySignedEnvelope(doc: Document, policy: SignaturePolicy): VerifiedEnvelope {
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
    const der = Buffer.from(collapsed(textOf(token)), 'base64');
    // The expected certificate's own bytes: nothing to parse (parsing each response's token was a fifth of this check).
    if (policy.tokenMustEqualCertificate && der.equals(policy.certificate.raw)) continue;
    try {
      new X509Certificate(der);
    } catch {
      return reject('the BinarySecurityToken is not a certificate');
    }
    if (policy.tokenMustEqualCertificate) reject('the BinarySecurityToken is not the expected certificate');
  }
  if (policy.requireTokenReference) {
    const keyInfo = onlyChild(signature, NS.ds, 'KeyInfo');
    const str = onlyChild(keyInfo, NS.wsse, 'SecurityTokenReference');
    const uri = onlyChild(str, NS.wsse, 'Reference').getAttribute('URI') ?? '';
    if (ids.get(uri.replace(/^#/, '')) !== tokens[0]) reject('KeyInfo does not reference the BinarySecurityToken');
  }

  // The digests and the signature value, over the canonical texts (exclusive c14n by xml-crypto's canonicalizer).
  // Each reference's element is the one indexIds found for its id, not looked up again by XPath: xml-crypto's
  // checkSignature did that once per reference and id attribute name over the whole document, which was a third of
  // the worker's CPU in the bench (and of the simulator's). What is signed is read from the canonical SignedInfo.
  const signedInfoText = canonicalText(doc, signedInfo, prefixListOf(onlyChild(signedInfo, NS.ds, 'CanonicalizationMethod')));
  const canonicalSignedInfo = parseXmlDocument(signedInfoText, MAX_SOAP_MESSAGE_CHARS).documentElement;
  const signed = new Map<SignedPlace, Element>();
  for (const reference of childElements(canonicalSignedInfo, NS.ds, 'Reference')) {
    const uri = reference.getAttribute('URI') ?? '';
    const place = placeByUri.get(uri) ?? reject(`reference ${uri} was not in the signed SignedInfo`);
    const target = ids.get(uri.slice(1)) ?? reject(`reference ${uri} points at nothing`);
    const transform = childElements(onlyChild(reference, NS.ds, 'Transforms'), NS.ds, 'Transform')[0];
    const text = canonicalText(doc, target, prefixListOf(transform));
    const digestMethod = onlyChild(reference, NS.ds, 'DigestMethod').getAttribute('Algorithm') ?? '';
    const expected = Buffer.from(collapsed(textOf(onlyChild(reference, NS.ds, 'DigestValue'))), 'base64');
    const actual = createHash(hashOf(digestMethod, 'digest') ?? reject(`digest algorithm ${digestMethod} is not accepted`)).update(text, 'utf8').digest();
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) reject('a digest or the signature value does not match');
    signed.set(place, parseXmlDocument(text, MAX_SOAP_MESSAGE_CHARS).documentElement);
  }
  if (signed.size !== placeByUri.size) reject('the signed SignedInfo does not hold every reference');
  const signatureMethod = onlyChild(canonicalSignedInfo, NS.ds, 'SignatureMethod').getAttribute('Algorithm') ?? '';
  const signatureHash = hashOf(signatureMethod, 'signature') ?? reject(`signature algorithm ${signatureMethod} is not accepted`);
  const signatureValue = Buffer.from(collapsed(textOf(onlyChild(signature, NS.ds, 'SignatureValue'))), 'base64');
  if (!verify(signatureHash, Buffer.from(signedInfoText, 'utf8'), policy.certificate.publicKey, signatureValue)) {
    reject('a digest or the signature value does not match');
  }

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
