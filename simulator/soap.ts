import { randomUUID, type KeyObject } from 'node:crypto';
import { signEnvelope } from '../integrations/wus/envelope';
import { escapeXml } from '../integrations/xml/safe-xml';
import {
  NS,
  OPERATIONS,
  SERVICES,
  WSA_ANONYMOUS,
  faultAction,
  responseAction,
  type OperationName,
  type ServiceName,
} from '../integrations/wus/protocol';

/** The simulator's service signing identity (like Digipoort's WUS service signing certificate). */
export interface ServiceSigner {
  privateKey: KeyObject;
  certificateDer: Buffer;
}

/** A signed response as Digipoort sends it: To anonymous, MessageID, Action, RelatesTo, all signed with the Body. */
export function signedResponse(
  operation: OperationName,
  relatesTo: string,
  bodyContent: string,
  signer: ServiceSigner,
  now: Date,
): string {
  return signEnvelope({
    addressing: [
      { name: 'To', xmlContent: WSA_ANONYMOUS },
      { name: 'MessageID', xmlContent: `urn:uuid:${randomUUID()}` },
      { name: 'Action', xmlContent: escapeXml(responseAction(operation)) },
      { name: 'RelatesTo', xmlContent: escapeXml(relatesTo) },
    ],
    bodyXml: bodyContent,
    certificateDer: signer.certificateDer,
    privateKey: signer.privateKey,
    // Digipoort signs its responses with rsa-sha1 (captured responses).
    hash: 'sha1',
    now,
    timestampTtlSeconds: 600,
  });
}

const FAULT_TEXT =
  'Het verzoek voldoet niet aan de koppelvlakspecificaties en kan hierdoor niet door Digipoort worden verwerkt.\n\n' +
  'De volgende fout is opgetreden: \n\n';

/** The unsigned SOAP fault of the captured responses: soapenv:Client, "Algemene fout", ALS100/STS100. */
export function faultResponse(service: ServiceName, operation: OperationName | undefined, relatesTo: string | undefined, reason: string): string {
  const spec = SERVICES[service];
  const action = operation ? faultAction(operation) : `${spec.tns}${service}/Fault/`;
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<soapenv:Envelope xmlns:soapenv="${NS.soap}" xmlns:wsa="${NS.wsa}">` +
    '<soapenv:Header>' +
    `<wsa:To>${WSA_ANONYMOUS}</wsa:To>` +
    `<wsa:MessageID>urn:uuid:${randomUUID()}</wsa:MessageID>` +
    `<wsa:Action>${escapeXml(action)}</wsa:Action>` +
    (relatesTo ? `<wsa:RelatesTo>${escapeXml(relatesTo)}</wsa:RelatesTo>` : '') +
    '</soapenv:Header>' +
    '<soapenv:Body><soapenv:Fault>' +
    '<faultcode>soapenv:Client</faultcode><faultstring>Algemene fout</faultstring>' +
    '<faultactor>Verantwoordingsplichtige</faultactor>' +
    `<detail><fault:${spec.faultElement} xmlns:fault="${NS.kv}">` +
    `<fault:foutcode>${spec.faultCode}</fault:foutcode>` +
    `<fault:foutbeschrijving>${escapeXml(FAULT_TEXT + reason)}</fault:foutbeschrijving>` +
    `</fault:${spec.faultElement}></detail>` +
    '</soapenv:Fault></soapenv:Body></soapenv:Envelope>'
  );
}

/** `<name>value</name>` in the koppelvlak namespace (inherited default), omitted when undefined. */
export function kv(name: string, value: string | undefined): string {
  return value === undefined ? '' : `<${name}>${escapeXml(value)}</${name}>`;
}

export function kvIdentiteit(name: string, id: { nummer: string; type: string }): string {
  return `<${name}>${kv('nummer', id.nummer)}${kv('type', id.type)}</${name}>`;
}

/** Wraps response content in the operation's response element (and its Return list, for status operations). */
export function responseBody(operation: OperationName, inner: string): string {
  const spec = OPERATIONS[operation];
  const content = spec.returnElement ? `<${spec.returnElement}>${inner}</${spec.returnElement}>` : inner;
  return `<${spec.responseElement} xmlns="${NS.kv}">${content}</${spec.responseElement}>`;
}
