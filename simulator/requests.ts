import type { X509Certificate } from 'node:crypto';
import { childElements, collapsed, onlyChild, optionalChild, parseXmlDocument, textOf } from '../integrations/xml/safe-xml';
import {
  LIMITS,
  MAX_SOAP_MESSAGE_CHARS,
  NS,
  OPERATIONS,
  SERVICES,
  WSA_ANONYMOUS,
  operationForAction,
  type OperationName,
  type ServiceName,
} from '../integrations/wus/protocol';
import { SignatureRejected, verifySignedEnvelope } from '../integrations/wus/wss-verify';

/**
 * The simulator's reading of a request: the WS-Addressing and WS-Security rules of the WUS 1.2 profile
 * (digipoort-wus.md §1, §4.2) and the XSD limits. Any violation is a `KoppelvlakViolation`, answered with the unsigned
 * ALS100/STS100 fault of the captured responses.
 */
export class KoppelvlakViolation extends Error {
  override readonly name = 'KoppelvlakViolation';
  constructor(
    message: string,
    /** The request's MessageID when it could be read, for the fault's RelatesTo. */
    readonly relatesTo?: string,
    readonly operation?: OperationName,
  ) {
    super(message);
  }
}

export interface VerifiedRequest {
  operation: OperationName;
  service: ServiceName;
  messageId: string;
  /** The request element, from the signed canonical Body. */
  content: Element;
  signatureAlgorithm: string;
  digestAlgorithm: string;
}

const ALLOWED_ADDRESSING = new Set(['To', 'From', 'FaultTo', 'ReplyTo', 'MessageID', 'RelatesTo', 'Action']);

export interface RequestContext {
  xml: string;
  service: ServiceName;
  /** SOAPAction HTTP header as received. */
  soapAction: string | undefined;
  /** The TLS client certificate (already verified by the TLS layer against the CA and CRLs). */
  peerCertificate: X509Certificate;
  /** The endpoint URLs this service answers to (wsa:To must equal one). */
  endpointUrls: string[];
  now: Date;
  clockSkewSeconds: number;
}

export function verifyRequest(ctx: RequestContext): VerifiedRequest {
  let relatesTo: string | undefined;
  let operation: OperationName | undefined;
  const violation = (reason: string): never => {
    throw new KoppelvlakViolation(reason, relatesTo, operation);
  };
  let doc: Document;
  try {
    doc = parseXmlDocument(ctx.xml, MAX_SOAP_MESSAGE_CHARS);
  } catch (err) {
    return violation((err as Error).message);
  }
  const envelope = doc.documentElement;
  if (envelope.namespaceURI !== NS.soap || envelope.localName !== 'Envelope') violation('het bericht is geen SOAP 1.1 envelope');
  const header = optionalChild(envelope, NS.soap, 'Header') ?? violation('SOAP Header ontbreekt');
  const bodies = childElements(envelope, NS.soap, 'Body');
  if (bodies.length !== 1) violation(`verwacht één SOAP Body, gevonden: ${bodies.length}`);
  if (childElements(envelope).length !== 2) violation('de envelope bevat andere elementen dan Header en Body');

  // WS-Addressing: no custom headers, every header once, MessageID read first so a fault can relate to it.
  const names: string[] = [];
  for (const child of childElements(header)) {
    const known =
      (child.namespaceURI === NS.wsa && ALLOWED_ADDRESSING.has(child.localName ?? '')) ||
      (child.namespaceURI === NS.wsse && child.localName === 'Security');
    if (!known) violation(`onbekend header-element {${child.namespaceURI ?? ''}}${child.localName} is niet toegestaan`);
    const name = `${child.namespaceURI}|${child.localName}`;
    if (names.includes(name)) violation(`header-element ${child.localName} komt meer dan eens voor`);
    names.push(name);
  }
  const messageIdEl = optionalChild(header, NS.wsa, 'MessageID');
  if (messageIdEl) relatesTo = collapsed(textOf(messageIdEl));
  if (!relatesTo) violation('wsa:MessageID ontbreekt');
  const actionEl = optionalChild(header, NS.wsa, 'Action') ?? violation('wsa:Action ontbreekt');
  const action = collapsed(textOf(actionEl));
  const soapAction = (ctx.soapAction ?? '').trim().replace(/^"(.*)"$/, '$1');
  if (action !== soapAction) violation('wsa:Action is niet gelijk aan de SOAPAction');
  operation = operationForAction(action);
  if (!operation || OPERATIONS[operation].service !== ctx.service) {
    operation = undefined;
    violation(`actie ${action} hoort niet bij ${SERVICES[ctx.service].path}`);
  }
  const toEl = optionalChild(header, NS.wsa, 'To') ?? violation('wsa:To ontbreekt');
  if (!ctx.endpointUrls.includes(collapsed(textOf(toEl)))) violation('wsa:To is niet gelijk aan het endpoint');
  const replyTo = optionalChild(header, NS.wsa, 'ReplyTo');
  if (replyTo) {
    const address = optionalChild(replyTo, NS.wsa, 'Address');
    if (!address || collapsed(textOf(address)) !== WSA_ANONYMOUS) violation('wsa:ReplyTo moet anonymous zijn');
  }

  // WS-Security: signed by the TLS client certificate, carried as the token.
  let verified;
  try {
    verified = verifySignedEnvelope(doc, {
      certificate: ctx.peerCertificate,
      tokenMustEqualCertificate: true,
      requireTokenReference: true,
      now: ctx.now,
      clockSkewSeconds: ctx.clockSkewSeconds,
      maxAgeSeconds: 300,
    });
  } catch (err) {
    if (err instanceof SignatureRejected) return violation(`WS-Security: ${err.message}`);
    return violation((err as Error).message);
  }
  const tokens = childElements(verified.security, NS.wsse, 'BinarySecurityToken');
  if (tokens.length !== 1) violation('het BinarySecurityToken ontbreekt');
  const timestamps = childElements(verified.security, NS.wsu, 'Timestamp');
  if (timestamps.length !== 1) violation('verwacht één wsu:Timestamp');
  if (new Set(verified.digestAlgorithms).size !== 1) violation('alle referenties moeten hetzelfde digest-algoritme gebruiken');

  const content = childElements(verified.signed.get('Body')!);
  const spec = OPERATIONS[operation!];
  if (content.length !== 1 || content[0].namespaceURI !== NS.kv || content[0].localName !== spec.requestElement) {
    violation(`de Body moet één ${spec.requestElement} in namespace ${NS.kv} bevatten`);
  }
  return {
    operation: operation!,
    service: ctx.service,
    messageId: relatesTo!,
    content: content[0],
    signatureAlgorithm: verified.signatureAlgorithm,
    digestAlgorithm: verified.digestAlgorithms[0],
  };
}

/** Readers of request content that enforce the XSD: element order, occurrence, qualified names and lengths. */
export class RequestReader {
  constructor(
    private readonly content: Element,
    private readonly fail: (reason: string) => never,
  ) {}

  /** The children must be exactly these names, in this order (optional ones may be absent). */
  sequence(spec: [name: string, required: boolean][]): void {
    const children = childElements(this.content);
    let index = 0;
    for (const child of children) {
      if (child.namespaceURI !== NS.kv) this.fail(`element ${child.localName} is niet in namespace ${NS.kv}`);
      while (index < spec.length && spec[index][0] !== child.localName) {
        if (spec[index][1]) this.fail(`${spec[index][0]} ontbreekt of staat niet op zijn plaats`);
        index++;
      }
      if (index >= spec.length) this.fail(`element ${child.localName} is niet toegestaan of staat niet op zijn plaats`);
      index++;
    }
    for (; index < spec.length; index++) if (spec[index][1]) this.fail(`${spec[index][0]} ontbreekt`);
  }

  text(name: string, max: number, parent: Element = this.content): string {
    const value = this.optionalText(name, max, parent);
    if (value === undefined || value === '') this.fail(`${name} ontbreekt of is leeg`);
    return value!;
  }

  optionalText(name: string, max: number, parent: Element = this.content): string | undefined {
    const found = childElements(parent, NS.kv, name);
    if (found.length > 1) this.fail(`${name} komt meer dan eens voor`);
    if (found.length === 0) return undefined;
    const value = collapsed(textOf(found[0]));
    if (value.length > max) this.fail(`${name} is langer dan ${max} tekens`);
    return value;
  }

  identiteit(name: string): { nummer: string; type: string } {
    const el = onlyChildOrFail(this.content, name, this.fail);
    return { nummer: this.text('nummer', LIMITS.identiteitNummer, el), type: this.text('type', LIMITS.identiteitType, el) };
  }

  inhoud(parent: Element, name: string): { mimeType: string; bestandsnaam: string; inhoud: Buffer } {
    return this.inhoudElement(onlyChildOrFail(parent, name, this.fail), name);
  }

  inhoudElement(el: Element, name: string): { mimeType: string; bestandsnaam: string; inhoud: Buffer } {
    if (el.namespaceURI !== NS.kv || el.localName !== name) this.fail(`verwacht ${name}, gevonden ${el.localName}`);
    const mimeType = this.text('mimeType', LIMITS.mimeType, el);
    const bestandsnaam = this.text('bestandsnaam', LIMITS.bestandsnaam, el);
    const base64 = textOf(onlyChildOrFail(el, 'inhoud', this.fail)).replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0) this.fail(`${name}/inhoud is geen base64`);
    const inhoud = Buffer.from(base64, 'base64');
    if (inhoud.length === 0) this.fail(`${name}/inhoud is leeg`);
    if (inhoud.length > LIMITS.inhoudBytes) this.fail(`${name}/inhoud is groter dan ${LIMITS.inhoudBytes} bytes`);
    return { mimeType, bestandsnaam, inhoud };
  }

  element(name: string): Element | undefined {
    return childElements(this.content, NS.kv, name)[0];
  }
}

function onlyChildOrFail(parent: Element, name: string, fail: (reason: string) => never): Element {
  try {
    return onlyChild(parent, NS.kv, name);
  } catch {
    return fail(`${name} ontbreekt of komt meer dan eens voor`);
  }
}
