import { createHash, randomUUID, sign, type KeyObject } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import { ExclusiveCanonicalization } from 'xml-crypto';

/**
 * A second WUS request builder, written from the reference document and on purpose unlike the product's: other
 * prefixes and ids, headers in another order, the token after the Timestamp's sibling order reversed, and its own
 * signing (exclusive c14n per reference, SignedInfo built and signed by hand with node:crypto, no SignedXml). Tests
 * use it to show the simulator accepts any correct client, and to build every malformed variant the product's client
 * would never send.
 */
const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';
const WSA = 'http://www.w3.org/2005/08/addressing';
const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
const WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const X509 = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3';
const B64 = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary';
const C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';

const SUITES = {
  sha1: { sig: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1', digest: 'http://www.w3.org/2000/09/xmldsig#sha1', node: 'sha1' },
  sha256: {
    sig: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    digest: 'http://www.w3.org/2001/04/xmlenc#sha256',
    node: 'sha256',
  },
} as const;

export interface IndependentRequest {
  endpoint: string;
  action: string;
  /** The request element, e.g. `<kv:aanleverRequest xmlns:kv="...">...</kv:aanleverRequest>`. */
  body: string;
  signingKey: KeyObject;
  tokenCertificateDer: Buffer;
  hash?: 'sha1' | 'sha256';
  /** Which parts to sign (default: all present). */
  sign?: ('Body' | 'Timestamp' | 'To' | 'Action' | 'MessageID' | 'ReplyTo' | 'Extra')[];
  omitReplyTo?: boolean;
  replyToAddress?: string;
  /** Extra header XML (placed after the WS-Addressing headers); signed when 'Extra' is in `sign` and it has id "extra". */
  extraHeader?: string;
  created?: Date;
  expires?: Date | null;
  /** Overrides the SignatureMethod URI written into SignedInfo (the value is still computed with `hash`). */
  signatureMethodUri?: string;
}

export interface IndependentEnvelope {
  xml: string;
  messageId: string;
}

function canonical(xml: string, id: string): string {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const all = doc.getElementsByTagName('*');
  for (let i = 0; i < all.length; i++) {
    const el = all.item(i)!;
    if (el.getAttributeNS(WSU, 'Id') === id) return new ExclusiveCanonicalization().process(el as unknown as Element, {});
  }
  throw new Error(`no element with id ${id}`);
}

export function buildIndependentEnvelope(req: IndependentRequest): IndependentEnvelope {
  const suite = SUITES[req.hash ?? 'sha1'];
  const messageId = `uuid:${randomUUID()}`;
  const created = (req.created ?? new Date()).toISOString();
  const expires = req.expires === null ? undefined : (req.expires ?? new Date(Date.parse(created) + 10 * 60_000)).toISOString();
  const tokenId = `SecurityToken-${randomUUID()}`;
  const replyTo = req.omitReplyTo
    ? ''
    : `<wsa:ReplyTo wsu:Id="Part-ReplyTo"><wsa:Address>${req.replyToAddress ?? 'http://www.w3.org/2005/08/addressing/anonymous'}</wsa:Address></wsa:ReplyTo>`;
  const unsigned =
    `<soapenv:Envelope xmlns:soapenv="${SOAP}" xmlns:wsa="${WSA}" xmlns:wsu="${WSU}">` +
    '<soapenv:Header>' +
    `<wsse:Security xmlns:wsse="${WSSE}" soapenv:mustUnderstand="1">` +
    `<wsse:BinarySecurityToken wsu:Id="${tokenId}" EncodingType="${B64}" ValueType="${X509}">${req.tokenCertificateDer.toString('base64')}</wsse:BinarySecurityToken>` +
    `<wsu:Timestamp wsu:Id="Part-Timestamp"><wsu:Created>${created}</wsu:Created>${expires ? `<wsu:Expires>${expires}</wsu:Expires>` : ''}</wsu:Timestamp>` +
    '<!--SIGNATURE-->' +
    '</wsse:Security>' +
    `<wsa:To wsu:Id="Part-To">${req.endpoint}</wsa:To>` +
    `<wsa:Action wsu:Id="Part-Action">${req.action}</wsa:Action>` +
    `<wsa:MessageID wsu:Id="Part-MessageID">${messageId}</wsa:MessageID>` +
    replyTo +
    (req.extraHeader ?? '') +
    '</soapenv:Header>' +
    `<soapenv:Body wsu:Id="Part-Body">${req.body}</soapenv:Body>` +
    '</soapenv:Envelope>';

  const present = ['Body', 'Timestamp', 'To', 'Action', 'MessageID', ...(req.omitReplyTo ? [] : ['ReplyTo'])];
  const parts = req.sign ?? present;
  const references = parts
    .map((part) => {
      const id = part === 'Extra' ? 'extra' : `Part-${part}`;
      const digest = createHash(suite.node).update(canonical(unsigned.replace('<!--SIGNATURE-->', ''), id)).digest('base64');
      return (
        `<ds:Reference URI="#${id}"><ds:Transforms><ds:Transform Algorithm="${C14N}"/></ds:Transforms>` +
        `<ds:DigestMethod Algorithm="${suite.digest}"/><ds:DigestValue>${digest}</ds:DigestValue></ds:Reference>`
      );
    })
    .join('');
  const signedInfo =
    `<ds:SignedInfo xmlns:ds="${DS}"><ds:CanonicalizationMethod Algorithm="${C14N}"/>` +
    `<ds:SignatureMethod Algorithm="${req.signatureMethodUri ?? suite.sig}"/>${references}</ds:SignedInfo>`;
  const canonicalSignedInfo = new ExclusiveCanonicalization().process(
    new DOMParser().parseFromString(signedInfo, 'text/xml').documentElement as unknown as Element,
    {},
  );
  const signatureValue = sign(suite.node, Buffer.from(canonicalSignedInfo), req.signingKey).toString('base64');
  const signature =
    `<ds:Signature xmlns:ds="${DS}">${signedInfo.replace(` xmlns:ds="${DS}"`, '')}` +
    `<ds:SignatureValue>${signatureValue}</ds:SignatureValue>` +
    `<ds:KeyInfo><wsse:SecurityTokenReference><wsse:Reference URI="#${tokenId}" ValueType="${X509}"/></wsse:SecurityTokenReference></ds:KeyInfo>` +
    '</ds:Signature>';
  return { xml: unsigned.replace('<!--SIGNATURE-->', signature), messageId };
}

/** A minimal aanleverRequest body with its own prefix. */
export function independentAanleverBody(fields: {
  berichtsoort: string;
  aanleverkenmerk?: string;
  nummer: string;
  type: string;
  inhoud: Buffer;
  bestandsnaam?: string;
}): string {
  return (
    '<kv:aanleverRequest xmlns:kv="http://logius.nl/digipoort/koppelvlakservices/1.2/">' +
    `<kv:berichtsoort>${fields.berichtsoort}</kv:berichtsoort>` +
    (fields.aanleverkenmerk ? `<kv:aanleverkenmerk>${fields.aanleverkenmerk}</kv:aanleverkenmerk>` : '') +
    `<kv:identiteitBelanghebbende><kv:nummer>${fields.nummer}</kv:nummer><kv:type>${fields.type}</kv:type></kv:identiteitBelanghebbende>` +
    '<kv:rolBelanghebbende>Bedrijf</kv:rolBelanghebbende>' +
    `<kv:berichtInhoud><kv:mimeType>text/xml</kv:mimeType><kv:bestandsnaam>${fields.bestandsnaam ?? 'aangifte.xbrl'}</kv:bestandsnaam>` +
    `<kv:inhoud>${fields.inhoud.toString('base64')}</kv:inhoud></kv:berichtInhoud>` +
    '<kv:autorisatieAdres>http://geenausp.nl</kv:autorisatieAdres>' +
    '</kv:aanleverRequest>'
  );
}
