import https from 'node:https';
import type { KeyObject } from 'node:crypto';
import { MAX_SOAP_MESSAGE_CHARS, type OperationName } from './protocol';
import { WusTransportError } from './errors';

/** The client's TLS identity: a key that stays a KeyObject in memory, its certificate and the issuing chain. */
export interface TlsCredentials {
  privateKey: KeyObject;
  certificatePem: string;
  chainPem: string[];
}

export interface TlsTrust {
  /** The roots the Digipoort server certificate must chain to (PKIoverheid private roots; never the system store). */
  ca: string[];
  /** CRLs for every CA level: with a CRL configured, OpenSSL demands one for each level (fail-closed). */
  crl?: string[];
}

export interface SoapResponse {
  status: number;
  body: string;
}

/** A keep-alive mutual-TLS agent: TLS 1.2 minimum, only the configured roots, revocation checked by CRL. */
export function createMtlsAgent(credentials: TlsCredentials, trust: TlsTrust): https.Agent {
  return new https.Agent({
    key: credentials.privateKey.export({ type: 'pkcs8', format: 'pem' }),
    cert: [credentials.certificatePem, ...credentials.chainPem].join('\n'),
    ca: trust.ca,
    crl: trust.crl && trust.crl.length > 0 ? trust.crl : undefined,
    minVersion: 'TLSv1.2',
    rejectUnauthorized: true,
    keepAlive: true,
    maxSockets: 16,
  });
}

const TLS_ERROR = /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|EPROTO|HOSTNAME_MISMATCH)/;

/**
 * POSTs one SOAP message and returns the raw answer. Failures are classified for exactly-once handling: anything that
 * goes wrong after the request was fully written is `ambiguous` (Digipoort may have processed it).
 */
export function postSoap(
  operation: OperationName,
  url: string,
  action: string,
  xml: string,
  agent: https.Agent,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<SoapResponse> {
  return new Promise((resolve, reject) => {
    let written = false;
    let settled = false;
    const finish = (err?: WusTransportError, response?: SoapResponse) => {
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else resolve(response!);
    };
    const payload = Buffer.from(xml, 'utf8');
    const request = https.request(url, {
      method: 'POST',
      agent,
      headers: {
        'Content-Type': 'text/xml; charset=utf-8',
        SOAPAction: `"${action}"`,
        'Content-Length': payload.length,
      },
      signal,
    });
    request.setTimeout(timeoutMs, () => {
      request.destroy();
      finish(
        new WusTransportError(operation, 'timeout', written, `no answer from Digipoort within ${timeoutMs} ms`),
      );
    });
    request.on('finish', () => {
      written = true;
    });
    request.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
        finish(new WusTransportError(operation, 'connect', false, `cannot connect to Digipoort: ${code}`));
      } else if (TLS_ERROR.test(code) || /certificate|ssl|tls/i.test(err.message)) {
        finish(new WusTransportError(operation, 'tls', written, `TLS failure: ${code || err.message}`));
      } else {
        finish(new WusTransportError(operation, 'reset', written, `connection failed: ${code || err.message}`));
      }
    });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_SOAP_MESSAGE_CHARS) {
          request.destroy();
          finish(new WusTransportError(operation, 'too-large', true, 'Digipoort response exceeds the size limit'));
          return;
        }
        chunks.push(chunk);
      });
      response.on('aborted', () => {
        finish(new WusTransportError(operation, 'reset', true, 'the response was cut off'));
      });
      response.on('error', () => {
        finish(new WusTransportError(operation, 'reset', true, 'the response was cut off'));
      });
      response.on('end', () => {
        finish(undefined, { status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    request.end(payload);
  });
}
