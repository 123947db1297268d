/**
 * Facts of the Digipoort WUS 2.0 koppelvlak 1.2 (see ../shared/reference/digipoort-wus.md §1–§4): namespaces,
 * services, actions, paths, algorithms and the XSD limits. Shared by the client and the simulator because both must
 * speak exactly this protocol; each side checks the other's messages with its own code.
 */
export const NS = {
  soap: 'http://schemas.xmlsoap.org/soap/envelope/',
  wsa: 'http://www.w3.org/2005/08/addressing',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  kv: 'http://logius.nl/digipoort/koppelvlakservices/1.2/',
} as const;

export const WSA_ANONYMOUS = 'http://www.w3.org/2005/08/addressing/anonymous';
export const BST_VALUE_TYPE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3';
export const BST_ENCODING_TYPE =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary';

export const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';

export type HashChoice = 'sha1' | 'sha256';

/** The signature/digest pairs: sha1 is the published WUS 1.2 profile (default), sha256 a setting. */
export const ALGORITHMS: Record<HashChoice, { signature: string; digest: string }> = {
  sha1: { signature: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1', digest: 'http://www.w3.org/2000/09/xmldsig#sha1' },
  sha256: {
    signature: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    digest: 'http://www.w3.org/2001/04/xmlenc#sha256',
  },
};
export const ACCEPTED_SIGNATURE_ALGORITHMS = Object.values(ALGORITHMS).map((a) => a.signature);
export const ACCEPTED_DIGEST_ALGORITHMS = Object.values(ALGORITHMS).map((a) => a.digest);

export type ServiceName = 'AanleverService' | 'StatusinformatieService';

export const SERVICES: Record<ServiceName, { tns: string; path: string; faultElement: string; faultCode: string }> = {
  AanleverService: {
    tns: 'http://logius.nl/digipoort/wus/2.0/aanleverservice/1.2/',
    path: '/wus/2.0/aanleverservice/1.2',
    faultElement: 'aanleverFault',
    faultCode: 'ALS100',
  },
  StatusinformatieService: {
    tns: 'http://logius.nl/digipoort/wus/2.0/statusinformatieservice/1.2/',
    path: '/wus/2.0/statusinformatieservice/1.2',
    faultElement: 'statusinformatieFault',
    faultCode: 'STS100',
  },
};

export type OperationName =
  | 'aanleveren'
  | 'getStatussenProces'
  | 'getNieuweStatussenProces'
  | 'getProcessen'
  | 'getBerichtsoorten';

export interface OperationSpec {
  service: ServiceName;
  requestElement: string;
  responseElement: string;
  /** Wrapper inside the response element that holds the result list (status operations). */
  returnElement?: string;
}

export const OPERATIONS: Record<OperationName, OperationSpec> = {
  aanleveren: { service: 'AanleverService', requestElement: 'aanleverRequest', responseElement: 'aanleverResponse' },
  getStatussenProces: {
    service: 'StatusinformatieService',
    requestElement: 'getStatussenProcesRequest',
    responseElement: 'getStatussenProcesResponse',
    returnElement: 'getStatussenProcesReturn',
  },
  getNieuweStatussenProces: {
    service: 'StatusinformatieService',
    requestElement: 'getNieuweStatussenProcesRequest',
    responseElement: 'getNieuweStatussenProcesResponse',
    returnElement: 'getNieuweStatussenProcesReturn',
  },
  getProcessen: {
    service: 'StatusinformatieService',
    requestElement: 'getProcessenRequest',
    responseElement: 'getProcessenResponse',
    returnElement: 'getProcessenReturn',
  },
  getBerichtsoorten: {
    service: 'StatusinformatieService',
    requestElement: 'getBerichtsoortenRequest',
    responseElement: 'getBerichtsoortenResponse',
    returnElement: 'getBerichtsoortenReturn',
  },
};

/** SOAPAction and wsa:Action of a request: `{tns}{Service}/{operation}Request`. */
export function requestAction(operation: OperationName): string {
  const service = OPERATIONS[operation].service;
  return `${SERVICES[service].tns}${service}/${operation}Request`;
}

export function responseAction(operation: OperationName): string {
  const service = OPERATIONS[operation].service;
  return `${SERVICES[service].tns}${service}/${operation}Response`;
}

/** The fault action carries a trailing slash, as in the captured faults. */
export function faultAction(operation: OperationName): string {
  const service = OPERATIONS[operation].service;
  return `${SERVICES[service].tns}${service}/${operation}/Fault/`;
}

export function operationForAction(action: string): OperationName | undefined {
  return (Object.keys(OPERATIONS) as OperationName[]).find((op) => requestAction(op) === action);
}

export function endpointUrl(base: string, service: ServiceName): string {
  return `${base.replace(/\/+$/, '')}${SERVICES[service].path}`;
}

/** The XSD limits (koppelvlakservices 1.2), enforced before sending and by the simulator on receipt. */
export const LIMITS = {
  kenmerk: 40,
  berichtsoort: 80,
  aanleverkenmerk: 40,
  eerderAanleverkenmerk: 40,
  identiteitNummer: 35,
  identiteitType: 20,
  rol: 40,
  mimeType: 255,
  bestandsnaam: 80,
  /** Decoded octets of berichtInhoud/inhoud (20 MiB). */
  inhoudBytes: 20 * 1024 * 1024,
  autorisatieAdres: 255,
  statuscode: 20,
  statusomschrijving: 80,
  foutcode: 20,
} as const;

/** Largest SOAP message either side accepts: 20 MiB of content is ~27 MiB as base64, plus the envelope. */
export const MAX_SOAP_MESSAGE_CHARS = 30 * 1024 * 1024;

/** "geen AuSP": the autorisatieAdres every public client sends. */
export const NO_AUSP = 'http://geenausp.nl';

/** OIN of the Belastingdienst as identiteitOntvanger (captured responses). */
export const BELASTINGDIENST_OIN = '00000002003214394002';
