import { createHash, randomUUID, sign, type KeyObject } from 'node:crypto';
import { ALGORITHMS, BST_ENCODING_TYPE, BST_VALUE_TYPE, EXC_C14N, NS, type HashChoice } from './protocol';

/**
 * WS-Security signing of our own requests, canonical by construction (issue 10): we write every signed element
 * ourselves, so we write it in its exclusive-c14n form (W3C xml-exc-c14n: start and end tag for every element,
 * attributes sorted by namespace URI then local name, text escaped as c14n escapes it) and hash those exact bytes with
 * node:crypto, instead of parsing the envelope into a DOM and canonicalising it again (xml-crypto: ~6 ms for a 55 kB
 * envelope, against ~0.3 ms for the RSA signature).
 *
 * On the wire each signed element differs from its canonical form only by the namespace declarations it inherits from
 * the Envelope (s, a, u) or the Security header (o): exc-c14n puts the ones the element visibly uses on the element
 * itself, and so does `canonicalElement` when it computes the bytes to hash. Nothing is re-serialised after signing.
 *
 * Only the sending side may take this shortcut: every receiver (the simulator, and our client for Digipoort's
 * responses) verifies with a real DOM and a real c14n (`wss-verify.ts`). test/unit/wus-canonical-signing.test.ts shows
 * for varied content that these bytes equal xml-crypto's ExclusiveCanonicalization of the parsed element, and that the
 * signature is the very one xml-crypto's SignedXml computes for the same envelope.
 */

declare const canonicalBrand: unique symbol;
/**
 * Content that is its own exclusive canonical form inside a prefixed element whose namespace it does not use: text
 * escaped by `c14nText`, and elements without a prefix whose root declares the default namespace, with no other
 * attributes, written with start and end tags. Made only by `buildRequestBody` (and `canonicalContent`).
 */
export type CanonicalContent = string & { readonly [canonicalBrand]: true };

// XML 1.0 Char: a document with anything else is not well-formed, so it has no canonical form. Also refused: NEL
// (U+0085) and LINE SEPARATOR (U+2028), XML 1.1 line ends that @xmldom/xmldom (the parser of xml-crypto and of the
// simulator) turns into LF while XML 1.0 parsers keep them, so a signature over either cannot verify at both.
// eslint-disable-next-line no-control-regex
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u0085\u2028\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export class NotCanonicalError extends Error {
  override readonly name = 'NotCanonicalError';
}

/** True when the text holds a character we do not sign (controls, lone surrogates, U+FFFE/U+FFFF, U+0085, U+2028). */
export function hasNonXmlCharacter(value: string): boolean {
  return NOT_XML_CHAR.test(value);
}

function assertXmlChars(value: string): void {
  if (NOT_XML_CHAR.test(value)) throw new NotCanonicalError('the text contains a character XML cannot carry unchanged');
}

const TEXT_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#xD;' };
const ATTRIBUTE_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '"': '&quot;',
  '\t': '&#x9;',
  '\n': '&#xA;',
  '\r': '&#xD;',
};

/** Character data as exc-c14n writes it (& < > and CR escaped, everything else literal). */
export function c14nText(value: string): string {
  assertXmlChars(value);
  return /[&<>\r]/.test(value) ? value.replace(/[&<>\r]/g, (c) => TEXT_ESCAPES[c]) : value;
}

/** An attribute value as exc-c14n writes it between double quotes. */
export function c14nAttribute(value: string): string {
  assertXmlChars(value);
  return /[&<"\t\n\r]/.test(value) ? value.replace(/[&<"\t\n\r]/g, (c) => ATTRIBUTE_ESCAPES[c]) : value;
}

/** `<name>text</name>` without a prefix (the default namespace is inherited): canonical content. */
export function canonicalTextElement(name: string, text: string): CanonicalContent {
  assertLocalName(name);
  return `<${name}>${c14nText(text)}</${name}>` as CanonicalContent;
}

/** `<name>children</name>` without a prefix, optionally declaring the default namespace (only on a root). */
export function canonicalParent(name: string, children: readonly CanonicalContent[], defaultNamespace?: string): CanonicalContent {
  assertLocalName(name);
  const declaration = defaultNamespace === undefined ? '' : ` xmlns="${c14nAttribute(defaultNamespace)}"`;
  return `<${name}${declaration}>${children.join('')}</${name}>` as CanonicalContent;
}

/** Base64 text needs no escaping; the check keeps anything else out. */
export function canonicalBase64Element(name: string, data: Buffer): CanonicalContent {
  assertLocalName(name);
  return `<${name}>${data.toString('base64')}</${name}>` as CanonicalContent;
}

function assertLocalName(name: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) throw new NotCanonicalError(`"${name}" is not a plain local name`);
}

const PREFIXES = { s: NS.soap, a: NS.wsa, u: NS.wsu, o: NS.wsse, ds: NS.ds } as const;
type Prefix = keyof typeof PREFIXES;

interface Attribute {
  prefix?: Prefix;
  localName: string;
  value: string;
}

/**
 * One signed element: the start tag as sent (namespaces inherited) and as exc-c14n writes it (the namespaces the
 * element and its attributes use, declared on it and sorted by prefix; attributes sorted by namespace URI, then local
 * name; unqualified attributes first). `content` may only use prefixes of `prefix` or of `extraPrefixes`.
 */
function canonicalElement(
  prefix: Prefix,
  localName: string,
  attributes: readonly Attribute[],
  content: string,
  extraPrefixes: readonly Prefix[] = [],
): { wire: string; canonical: string[] } {
  const used = new Set<Prefix>([prefix, ...extraPrefixes]);
  for (const attribute of attributes) if (attribute.prefix) used.add(attribute.prefix);
  const declarations = [...used]
    .sort()
    .map((p) => ` xmlns:${p}="${c14nAttribute(PREFIXES[p])}"`)
    .join('');
  const sorted = [...attributes].sort((x, y) => {
    const nx = x.prefix ? PREFIXES[x.prefix] : '';
    const ny = y.prefix ? PREFIXES[y.prefix] : '';
    if (nx !== ny) return nx < ny ? -1 : 1;
    return x.localName < y.localName ? -1 : x.localName > y.localName ? 1 : 0;
  });
  const attributeText = sorted
    .map((a) => ` ${a.prefix ? `${a.prefix}:` : ''}${a.localName}="${c14nAttribute(a.value)}"`)
    .join('');
  const qname = `${prefix}:${localName}`;
  const end = `</${qname}>`;
  return {
    wire: `<${qname}${attributeText}>${content}${end}`,
    canonical: [`<${qname}${declarations}${attributeText}>`, content, end],
  };
}

export interface CanonicalAddressingHeader {
  name: 'Action' | 'MessageID' | 'ReplyTo' | 'To' | 'RelatesTo';
  /** Text content; or, for ReplyTo, the address written as `<a:Address>`. */
  text?: string;
  address?: string;
  mustUnderstand?: boolean;
}

export interface CanonicalSignOptions {
  addressing: readonly CanonicalAddressingHeader[];
  body: CanonicalContent;
  /** DER of the signing certificate, carried as the BinarySecurityToken. */
  certificateDer: Buffer;
  privateKey: KeyObject;
  hash: HashChoice;
  now: Date;
  timestampTtlSeconds: number;
}

export interface ConstructedEnvelope {
  xml: string;
  /** The exact bytes (as text) hashed for each reference, by wsu:Id, in SignedInfo order. */
  canonicalReferences: { id: string; canonical: string; digest: string }[];
  /** The canonical SignedInfo that was signed. */
  canonicalSignedInfo: string;
}

/**
 * The signed SOAP 1.1 envelope: WS-Addressing headers, then Security with Timestamp, BinarySecurityToken and a
 * Signature over Body, Timestamp and every addressing header (exc-c14n, the configured rsa/digest pair), the same
 * layout and ids as the xml-crypto signer of the simulator (`signEnvelope`).
 */
export function constructSignedEnvelope(options: CanonicalSignOptions): ConstructedEnvelope {
  if (options.privateKey.type !== 'private' || options.privateKey.asymmetricKeyType !== 'rsa') {
    throw new NotCanonicalError('WS-Security signing needs an RSA private key (rsa-sha1 / rsa-sha256, PKCS#1 v1.5)');
  }
  const algorithms = ALGORITHMS[options.hash];
  const created = options.now.toISOString();
  const expires = new Date(options.now.getTime() + options.timestampTtlSeconds * 1000).toISOString();
  const bstId = `X509-${randomUUID()}`;

  const signed: { id: string; wire: string; canonical: string[] }[] = [];
  const headers: string[] = [];
  for (const header of options.addressing) {
    const id = `id-${header.name.toLowerCase()}`;
    const attributes: Attribute[] = [{ prefix: 'u', localName: 'Id', value: id }];
    if (header.mustUnderstand) attributes.push({ prefix: 's', localName: 'mustUnderstand', value: '1' });
    let content: string;
    if (header.address !== undefined) {
      if (header.text !== undefined) throw new NotCanonicalError(`${header.name}: text or address, not both`);
      content = `<a:Address>${c14nText(header.address)}</a:Address>`;
    } else {
      content = c14nText(header.text ?? '');
    }
    const element = canonicalElement('a', header.name, attributes, content);
    headers.push(element.wire);
    signed.push({ id, ...element });
  }
  const timestamp = canonicalElement(
    'u',
    'Timestamp',
    [{ prefix: 'u', localName: 'Id', value: 'id-timestamp' }],
    `<u:Created>${created}</u:Created><u:Expires>${expires}</u:Expires>`,
  );
  const body = canonicalElement('s', 'Body', [{ prefix: 'u', localName: 'Id', value: 'id-body' }], options.body);
  // SignedInfo order as the xml-crypto signer: Body, Timestamp, then the headers.
  signed.unshift({ id: 'id-body', ...body }, { id: 'id-timestamp', ...timestamp });

  const canonicalReferences = signed.map(({ id, canonical }) => {
    const hash = createHash(options.hash);
    for (const part of canonical) hash.update(part, 'utf8');
    return { id, canonical: canonical.reduce((x, y) => x + y), digest: hash.digest('base64') };
  });
  const signedInfoContent =
    `<ds:CanonicalizationMethod Algorithm="${EXC_C14N}"></ds:CanonicalizationMethod>` +
    `<ds:SignatureMethod Algorithm="${algorithms.signature}"></ds:SignatureMethod>` +
    canonicalReferences
      .map(
        (r) =>
          `<ds:Reference URI="#${c14nAttribute(r.id)}"><ds:Transforms><ds:Transform Algorithm="${EXC_C14N}"></ds:Transform></ds:Transforms>` +
          `<ds:DigestMethod Algorithm="${algorithms.digest}"></ds:DigestMethod><ds:DigestValue>${r.digest}</ds:DigestValue></ds:Reference>`,
      )
      .join('');
  const signedInfo = canonicalElement('ds', 'SignedInfo', [], signedInfoContent);
  const canonicalSignedInfo = signedInfo.canonical.reduce((x, y) => x + y);
  const signatureValue = sign(options.hash, Buffer.from(canonicalSignedInfo, 'utf8'), options.privateKey).toString('base64');

  const xml =
    `<s:Envelope xmlns:s="${NS.soap}" xmlns:a="${NS.wsa}" xmlns:u="${NS.wsu}">` +
    '<s:Header>' +
    headers.join('') +
    `<o:Security s:mustUnderstand="1" xmlns:o="${NS.wsse}">` +
    timestamp.wire +
    `<o:BinarySecurityToken u:Id="${bstId}" ValueType="${BST_VALUE_TYPE}" EncodingType="${BST_ENCODING_TYPE}">` +
    options.certificateDer.toString('base64') +
    '</o:BinarySecurityToken>' +
    `<ds:Signature xmlns:ds="${NS.ds}">` +
    signedInfo.wire +
    `<ds:SignatureValue>${signatureValue}</ds:SignatureValue>` +
    `<ds:KeyInfo><o:SecurityTokenReference><o:Reference URI="#${bstId}" ValueType="${BST_VALUE_TYPE}"></o:Reference></o:SecurityTokenReference></ds:KeyInfo>` +
    '</ds:Signature>' +
    '</o:Security>' +
    '</s:Header>' +
    body.wire +
    '</s:Envelope>';
  return { xml, canonicalReferences, canonicalSignedInfo };
}
