import type { OperationName } from './protocol';

/**
 * A SOAP fault from Digipoort (`aanleverFault` / `statusinformatieFault`): a definite refusal, never retried as is.
 * Faults are unsigned, so their text is untrusted and only classifies the error.
 */
export class WusFault extends Error {
  override readonly name = 'WusFault';
  constructor(
    readonly operation: OperationName,
    readonly foutcode: string,
    readonly foutbeschrijving: string,
    readonly faultcode: string,
    readonly faultstring: string,
  ) {
    super(`Digipoort ${operation} fault ${foutcode}: ${foutbeschrijving.split('\n')[0].slice(0, 300)}`);
  }
}

export type TransportFailure = 'connect' | 'tls' | 'timeout' | 'reset' | 'http-status' | 'too-large';

/**
 * The request did not get a usable answer. `ambiguous` means Digipoort may have received and processed it (timeout
 * or reset after the request was sent, 5xx without a fault): never resend blindly, reconcile first.
 */
export class WusTransportError extends Error {
  override readonly name = 'WusTransportError';
  constructor(
    readonly operation: OperationName,
    readonly failure: TransportFailure,
    readonly ambiguous: boolean,
    message: string,
    readonly httpStatus?: number,
  ) {
    super(message);
  }
}

/**
 * A response that is not what Digipoort signs: missing or invalid signature, wrong references, wrong certificate,
 * out-of-window timestamp, malformed or unsafe XML. Treated as ambiguous for `aanleveren` (something answered).
 */
export class WusSecurityError extends Error {
  override readonly name = 'WusSecurityError';
  constructor(
    readonly operation: OperationName,
    message: string,
  ) {
    super(message);
  }
}

/** A request that breaks the XSD limits or required fields; refused before anything is sent. */
export class WusRequestError extends Error {
  override readonly name = 'WusRequestError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
