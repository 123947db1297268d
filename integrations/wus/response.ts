import type { X509Certificate } from 'node:crypto';
import { childElements, collapsed, optionalChild, parseXmlDocument, textOf } from '../xml/safe-xml';
import { MAX_SOAP_MESSAGE_CHARS, NS, OPERATIONS, responseAction, type OperationName } from './protocol';
import { WusFault, WusSecurityError } from './errors';
import { SignatureRejected, verifySignedEnvelope } from './wss-verify';

/** What the client trusts when it reads a response. */
export interface ResponseTrust {
  /** The Digipoort WUS service signing certificate, configured by the operator (never taken from the message). */
  serviceCertificate: X509Certificate;
  now: Date;
  /** Allowed clock difference for the response Timestamp. */
  clockSkewSeconds: number;
}

export interface VerifiedResponse {
  /** The response element (e.g. `aanleverResponse`), parsed from the signed canonical Body. */
  content: Element;
  relatesTo?: string;
  messageId?: string;
}

/** Parses an unsigned SOAP Fault into a typed error; its text only classifies the failure. */
export function faultFrom(operation: OperationName, fault: Element): WusFault {
  const plain = (name: string) => {
    const el = childElements(fault, undefined, name).find((e) => !e.namespaceURI);
    return el ? textOf(el) : '';
  };
  const detail = childElements(fault, undefined, 'detail').find((e) => !e.namespaceURI);
  const detailFault = detail ? childElements(detail, NS.kv)[0] : undefined;
  const foutcode = detailFault ? optionalChild(detailFault, NS.kv, 'foutcode') : undefined;
  const foutbeschrijving = detailFault ? optionalChild(detailFault, NS.kv, 'foutbeschrijving') : undefined;
  return new WusFault(
    operation,
    foutcode ? collapsed(textOf(foutcode)) : 'UNKNOWN',
    foutbeschrijving ? textOf(foutbeschrijving) : plain('faultstring'),
    plain('faultcode'),
    plain('faultstring'),
  );
}

/**
 * Reads a Digipoort response. A Fault (unsigned by design) becomes a `WusFault`. Anything else must be signed by the
 * configured service certificate over Timestamp and Body and every WS-Addressing header present (Digipoort signs To,
 * MessageID, Action, RelatesTo), with a Timestamp in the window; data comes only from the signed canonical text.
 */
export function readResponse(operation: OperationName, xml: string, trust: ResponseTrust): VerifiedResponse {
  const fail = (reason: string): never => {
    throw new WusSecurityError(operation, `response rejected: ${reason}`);
  };
  let doc: Document;
  try {
    doc = parseXmlDocument(xml, MAX_SOAP_MESSAGE_CHARS);
  } catch (err) {
    return fail((err as Error).message);
  }
  const envelope = doc.documentElement;
  if (envelope.namespaceURI !== NS.soap || envelope.localName !== 'Envelope') fail('not a SOAP 1.1 envelope');
  const bodies = childElements(envelope, NS.soap, 'Body');
  if (bodies.length !== 1) fail(`expected one SOAP Body, found ${bodies.length}`);
  const bodyChildren = childElements(bodies[0]);
  if (bodyChildren.length === 1 && bodyChildren[0].namespaceURI === NS.soap && bodyChildren[0].localName === 'Fault') {
    throw faultFrom(operation, bodyChildren[0]);
  }
  const validFrom = new Date(trust.serviceCertificate.validFrom);
  const validTo = new Date(trust.serviceCertificate.validTo);
  if (trust.now < validFrom || trust.now > validTo) fail('the configured Digipoort service certificate is not valid now');

  let verified;
  try {
    verified = verifySignedEnvelope(doc, {
      certificate: trust.serviceCertificate,
      tokenMustEqualCertificate: true,
      requireTokenReference: false,
      now: trust.now,
      clockSkewSeconds: trust.clockSkewSeconds,
      maxAgeSeconds: 600,
    });
  } catch (err) {
    if (err instanceof SignatureRejected) return fail(`signature: ${err.message}`);
    return fail((err as Error).message);
  }
  for (const place of ['To', 'MessageID', 'Action', 'RelatesTo'] as const) {
    if (!verified.signed.has(place)) fail(`${place} is missing or unsigned`);
  }
  const text = (place: 'Action' | 'RelatesTo' | 'MessageID') => collapsed(textOf(verified.signed.get(place)!));
  if (text('Action') !== responseAction(operation)) fail(`Action is ${text('Action')}, expected ${responseAction(operation)}`);

  const content = childElements(verified.signed.get('Body')!);
  const expected = OPERATIONS[operation].responseElement;
  if (content.length !== 1 || content[0].namespaceURI !== NS.kv || content[0].localName !== expected) {
    fail(`the signed Body does not hold one ${expected}`);
  }
  return { content: content[0], relatesTo: text('RelatesTo'), messageId: text('MessageID') };
}

