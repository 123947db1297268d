import type { KeyObject } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import {
  ALGORITHMS,
  BST_ENCODING_TYPE,
  BST_VALUE_TYPE,
  EXC_C14N,
  LIMITS,
  NS,
  NO_AUSP,
  OPERATIONS,
  WSA_ANONYMOUS,
  requestAction,
  type HashChoice,
  type OperationName,
} from './protocol';
import { WusRequestError } from './errors';
import {
  canonicalBase64Element,
  canonicalParent,
  canonicalTextElement,
  constructSignedEnvelope,
  hasNonXmlCharacter,
  type CanonicalContent,
} from './canonical';
import type {
  AanleverRequest,
  BerichtInhoud,
  BerichtsoortenRequest,
  Identiteit,
  ProcessenRequest,
  StatusRequest,
} from './types';

export type OperationRequest = {
  aanleveren: AanleverRequest;
  getStatussenProces: StatusRequest;
  getNieuweStatussenProces: StatusRequest;
  getProcessen: ProcessenRequest;
  getBerichtsoorten: BerichtsoortenRequest;
};

function limited(field: string, value: string | undefined, max: number, required: boolean): string | undefined {
  if (value === undefined || value === '') {
    if (required) throw new WusRequestError(field, `${field} is required`);
    return undefined;
  }
  if (value.length > max) throw new WusRequestError(field, `${field} is longer than ${max} characters (${value.length})`);
  // XML 1.0 cannot carry these control characters at all.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(value)) {
    throw new WusRequestError(field, `${field} contains control characters`);
  }
  if (hasNonXmlCharacter(value)) throw new WusRequestError(field, `${field} contains a character XML cannot carry unchanged (U+0085, U+2028, U+FFFE, U+FFFF or a lone surrogate)`);
  return value;
}

const NONE = '' as CanonicalContent;

/** A text element in canonical form (request bodies are canonical by construction: see canonical.ts). */
function el(name: string, value: string | undefined): CanonicalContent {
  return value === undefined ? NONE : canonicalTextElement(name, value);
}

function identiteit(name: string, id: Identiteit): CanonicalContent {
  const nummer = limited(`${name}.nummer`, id.nummer, LIMITS.identiteitNummer, true);
  const type = limited(`${name}.type`, id.type, LIMITS.identiteitType, true);
  return canonicalParent(name, [el('nummer', nummer), el('type', type)]);
}

function inhoud(name: string, content: BerichtInhoud): CanonicalContent {
  const mimeType = limited(`${name}.mimeType`, content.mimeType, LIMITS.mimeType, true);
  const bestandsnaam = limited(`${name}.bestandsnaam`, content.bestandsnaam, LIMITS.bestandsnaam, true);
  if (!Buffer.isBuffer(content.inhoud) || content.inhoud.length === 0) {
    throw new WusRequestError(`${name}.inhoud`, `${name}.inhoud is empty`);
  }
  if (content.inhoud.length > LIMITS.inhoudBytes) {
    throw new WusRequestError(
      `${name}.inhoud`,
      `${name}.inhoud is ${content.inhoud.length} bytes, more than the ${LIMITS.inhoudBytes} bytes (20 MiB) Digipoort accepts`,
    );
  }
  return canonicalParent(name, [
    el('mimeType', mimeType),
    el('bestandsnaam', bestandsnaam),
    canonicalBase64Element('inhoud', content.inhoud),
  ]);
}

const autorisatie = (value: string | undefined) =>
  el('autorisatieAdres', limited('autorisatieAdres', value ?? NO_AUSP, LIMITS.autorisatieAdres, false));

function statusRequest(name: string, r: StatusRequest): CanonicalContent {
  return canonicalParent(
    name,
    [
      el('kenmerk', limited('kenmerk', r.kenmerk, LIMITS.kenmerk, true)),
      autorisatie(r.autorisatieAdres),
      el('tijdstempelVanaf', r.tijdstempelVanaf),
      el('tijdstempelTot', r.tijdstempelTot),
    ],
    NS.kv,
  );
}

/**
 * The Body content of a request, in XSD sequence order, after checking the XSD limits: unprefixed elements in the
 * koppelvlak namespace (declared on the root), no attributes, so that the text is its own exclusive canonical form.
 */
export function buildRequestBody<O extends OperationName>(operation: O, request: OperationRequest[O]): CanonicalContent {
  const name = OPERATIONS[operation].requestElement;
  switch (operation) {
    case 'aanleveren': {
      const r = request as AanleverRequest;
      return canonicalParent(
        name,
        [
          el('berichtsoort', limited('berichtsoort', r.berichtsoort, LIMITS.berichtsoort, true)),
          el('aanleverkenmerk', limited('aanleverkenmerk', r.aanleverkenmerk, LIMITS.aanleverkenmerk, false)),
          el(
            'eerderAanleverkenmerk',
            limited('eerderAanleverkenmerk', r.eerderAanleverkenmerk, LIMITS.eerderAanleverkenmerk, false),
          ),
          identiteit('identiteitBelanghebbende', r.identiteitBelanghebbende),
          el('rolBelanghebbende', limited('rolBelanghebbende', r.rolBelanghebbende, LIMITS.rol, true)),
          inhoud('berichtInhoud', r.berichtInhoud),
          r.berichtBijlagen?.length
            ? canonicalParent(
                'berichtBijlagen',
                r.berichtBijlagen.map((b) => inhoud('bijlage', b)),
              )
            : NONE,
          autorisatie(r.autorisatieAdres),
        ],
        NS.kv,
      );
    }
    case 'getStatussenProces':
    case 'getNieuweStatussenProces':
      return statusRequest(name, request as StatusRequest);
    case 'getProcessen': {
      const r = request as ProcessenRequest;
      return canonicalParent(
        name,
        [
          el('berichtsoort', limited('berichtsoort', r.berichtsoort, LIMITS.berichtsoort, true)),
          identiteit('identiteitBelanghebbende', r.identiteitBelanghebbende),
          autorisatie(r.autorisatieAdres),
        ],
        NS.kv,
      );
    }
    case 'getBerichtsoorten': {
      const r = request as BerichtsoortenRequest;
      return canonicalParent(
        name,
        [identiteit('identiteitBelanghebbende', r.identiteitBelanghebbende), autorisatie(r.autorisatieAdres)],
        NS.kv,
      );
    }
    default:
      throw new WusRequestError('operation', `unknown operation ${String(operation)}`);
  }
}

export interface EnvelopeOptions {
  operation: OperationName;
  /** Endpoint URL: wsa:To must equal it. */
  to: string;
  /** From `buildRequestBody`: canonical by construction. */
  bodyXml: CanonicalContent;
  /** DER of the signing certificate, carried as the BinarySecurityToken. */
  certificateDer: Buffer;
  privateKey: KeyObject;
  hash: HashChoice;
  now: Date;
  /** Seconds between Created and Expires. */
  timestampTtlSeconds?: number;
  messageId?: string;
}

export interface SignedEnvelope {
  xml: string;
  messageId: string;
  action: string;
}

/** One WS-Addressing header: its local name and its (already escaped) XML content. */
export interface AddressingHeader {
  name: 'Action' | 'MessageID' | 'ReplyTo' | 'To' | 'RelatesTo';
  xmlContent: string;
  mustUnderstand?: boolean;
}

export interface SignOptions {
  addressing: AddressingHeader[];
  bodyXml: string;
  certificateDer: Buffer;
  privateKey: KeyObject;
  hash: HashChoice;
  now: Date;
  timestampTtlSeconds: number;
}

/**
 * The general signer (xml-crypto over a DOM), used by the simulator for its responses; our requests are signed
 * canonical by construction (`buildSignedEnvelope`, canonical.ts), and the unit tests compare the two.
 * A WS-Security signed SOAP 1.1 envelope: the WS-Addressing headers, then Security with Timestamp,
 * BinarySecurityToken and a Signature over Body, Timestamp and every addressing header (exclusive c14n). The signed
 * text is sent exactly as produced: re-serialising it would change what was signed.
 */
export function signEnvelope(options: SignOptions): string {
  const created = options.now.toISOString();
  const expires = new Date(options.now.getTime() + options.timestampTtlSeconds * 1000).toISOString();
  const headerIds = options.addressing.map((h) => `id-${h.name.toLowerCase()}`);
  const bstId = `X509-${randomUUID()}`;
  const unsigned =
    `<s:Envelope xmlns:s="${NS.soap}" xmlns:a="${NS.wsa}" xmlns:u="${NS.wsu}">` +
    '<s:Header>' +
    options.addressing
      .map(
        (h, i) =>
          `<a:${h.name}${h.mustUnderstand ? ' s:mustUnderstand="1"' : ''} u:Id="${headerIds[i]}">${h.xmlContent}</a:${h.name}>`,
      )
      .join('') +
    `<o:Security s:mustUnderstand="1" xmlns:o="${NS.wsse}">` +
    `<u:Timestamp u:Id="id-timestamp"><u:Created>${created}</u:Created><u:Expires>${expires}</u:Expires></u:Timestamp>` +
    `<o:BinarySecurityToken u:Id="${bstId}" ValueType="${BST_VALUE_TYPE}" EncodingType="${BST_ENCODING_TYPE}">` +
    options.certificateDer.toString('base64') +
    '</o:BinarySecurityToken>' +
    '</o:Security>' +
    '</s:Header>' +
    `<s:Body u:Id="id-body">${options.bodyXml}</s:Body>` +
    '</s:Envelope>';

  const algorithms = ALGORITHMS[options.hash];
  const signer = new SignedXml({
    privateKey: options.privateKey,
    signatureAlgorithm: algorithms.signature,
    canonicalizationAlgorithm: EXC_C14N,
    idMode: 'wssecurity',
    getKeyInfoContent: () =>
      `<o:SecurityTokenReference><o:Reference URI="#${bstId}" ValueType="${BST_VALUE_TYPE}"/></o:SecurityTokenReference>`,
  });
  // The parts by position in the envelope built above (Body, Timestamp, the addressing headers in order): a search
  // of the whole document by Id attribute per reference was half of the simulator's signing time.
  const security = `/*[1]/*[1]/*[${options.addressing.length + 1}]`;
  const places = ['/*[1]/*[2]', `${security}/*[1]`, ...headerIds.map((_, i) => `/*[1]/*[1]/*[${i + 1}]`)];
  for (const xpath of places) signer.addReference({ xpath, transforms: [EXC_C14N], digestAlgorithm: algorithms.digest });
  signer.computeSignature(unsigned, {
    prefix: 'ds',
    location: { reference: security, action: 'append' },
    existingPrefixes: { o: NS.wsse, u: NS.wsu },
  });
  return signer.getSignedXml();
}

/**
 * A request envelope: Action (= SOAPAction), MessageID, ReplyTo anonymous and To (= the endpoint), signed canonical
 * by construction (canonical.ts); the simulator, like Digipoort, verifies it with a full DOM and c14n.
 */
export function buildSignedEnvelope(options: EnvelopeOptions): SignedEnvelope {
  const action = requestAction(options.operation);
  const messageId = options.messageId ?? `urn:uuid:${randomUUID()}`;
  const { xml } = constructSignedEnvelope({
    addressing: [
      { name: 'Action', text: action, mustUnderstand: true },
      { name: 'MessageID', text: messageId },
      { name: 'ReplyTo', address: WSA_ANONYMOUS },
      { name: 'To', text: options.to, mustUnderstand: true },
    ],
    body: options.bodyXml,
    certificateDer: options.certificateDer,
    privateKey: options.privateKey,
    hash: options.hash,
    now: options.now,
    timestampTtlSeconds: options.timestampTtlSeconds ?? 300,
  });
  return { xml, messageId, action };
}
