import { X509Certificate } from 'node:crypto';
import type https from 'node:https';
import { buildRequestBody, buildSignedEnvelope, type OperationRequest } from './envelope';
import { WusSecurityError, WusTransportError } from './errors';
import { parseAanleverResponse, parseBerichtsoorten, parseProcesResults, parseStatusResults } from './parse';
import { endpointUrl, OPERATIONS, type HashChoice, type OperationName } from './protocol';
import { readResponse } from './response';
import { createMtlsAgent, postSoap, type TlsCredentials, type TlsTrust } from './transport';
import type {
  AanleverRequest,
  AanleverResponse,
  BerichtsoortenRequest,
  ProcesResultaat,
  ProcessenRequest,
  StatusRequest,
  StatusResultaat,
} from './types';

export interface WusClientOptions {
  /** e.g. `https://wus.digipoort.logius.nl` or the simulator `https://127.0.0.1:8443`; the service paths are added. */
  endpointBase: string;
  /** Key and certificate for mutual TLS, also used to sign (WS-Security) unless `signing` is given. */
  credentials: TlsCredentials;
  /** A separate signing identity (PKIoverheid G4 certificates serve one purpose each). */
  signing?: TlsCredentials;
  trust: TlsTrust;
  /** The Digipoort WUS service signing certificate that signs responses (configured, never taken from a message). */
  serviceCertificatePem: string;
  /** Signature/digest pair: sha1 is the published profile. */
  hash?: HashChoice;
  timeoutMs?: number;
  clockSkewSeconds?: number;
  clock?: () => Date;
}

export interface CallResult<T> {
  result: T;
  /** The request's wsa:MessageID; the verified response's RelatesTo equals it. */
  messageId: string;
}

/**
 * The Digipoort WUS 2.0 client: signed SOAP over mutual TLS, verified responses, typed faults. One instance per
 * certificate; it keeps a keep-alive connection pool until `close()`.
 */
export class WusClient {
  private readonly agent: https.Agent;
  private readonly serviceCertificate: X509Certificate;
  private readonly signingCertificateDer: Buffer;
  private readonly hash: HashChoice;
  private readonly clock: () => Date;

  constructor(private readonly options: WusClientOptions) {
    this.agent = createMtlsAgent(options.credentials, options.trust);
    this.serviceCertificate = new X509Certificate(options.serviceCertificatePem);
    this.signingCertificateDer = new X509Certificate((options.signing ?? options.credentials).certificatePem).raw;
    this.hash = options.hash ?? 'sha1';
    this.clock = options.clock ?? (() => new Date());
  }

  close(): void {
    this.agent.destroy();
  }

  /** Sends one operation and returns the verified response content. */
  async call<O extends OperationName>(
    operation: O,
    request: OperationRequest[O],
    signal?: AbortSignal,
  ): Promise<{ content: Element; messageId: string }> {
    const spec = OPERATIONS[operation];
    const url = endpointUrl(this.options.endpointBase, spec.service);
    const bodyXml = buildRequestBody(operation, request);
    const envelope = buildSignedEnvelope({
      operation,
      to: url,
      bodyXml,
      certificateDer: this.signingCertificateDer,
      privateKey: (this.options.signing ?? this.options.credentials).privateKey,
      hash: this.hash,
      now: this.clock(),
    });
    const response = await postSoap(
      operation,
      url,
      envelope.action,
      envelope.xml,
      this.agent,
      this.options.timeoutMs ?? 60_000,
      signal,
    );
    const looksLikeSoap = /<(\w+:)?Envelope[\s>]/.test(response.body);
    if (!looksLikeSoap) {
      // No SOAP at all (load shedding, proxy error page): 5xx may hide a processed request.
      throw new WusTransportError(
        operation,
        'http-status',
        response.status >= 500,
        `Digipoort answered HTTP ${response.status} without a SOAP message`,
        response.status,
      );
    }
    const verified = readResponse(operation, response.body, {
      serviceCertificate: this.serviceCertificate,
      now: this.clock(),
      clockSkewSeconds: this.options.clockSkewSeconds ?? 300,
    });
    if (verified.relatesTo !== envelope.messageId) {
      throw new WusSecurityError(operation, 'the response does not relate to this request (RelatesTo mismatch)');
    }
    return { content: verified.content, messageId: envelope.messageId };
  }

  async aanleveren(request: AanleverRequest, signal?: AbortSignal): Promise<CallResult<AanleverResponse>> {
    const { content, messageId } = await this.call('aanleveren', request, signal);
    const result = parseAanleverResponse(content);
    if (result.berichtsoort !== request.berichtsoort) {
      throw new WusSecurityError('aanleveren', 'the response names another berichtsoort than the request');
    }
    return { result, messageId };
  }

  async getStatussenProces(request: StatusRequest, signal?: AbortSignal): Promise<StatusResultaat[]> {
    const { content } = await this.call('getStatussenProces', request, signal);
    return parseStatusResults(content, OPERATIONS.getStatussenProces.returnElement!);
  }

  async getNieuweStatussenProces(request: StatusRequest, signal?: AbortSignal): Promise<StatusResultaat[]> {
    const { content } = await this.call('getNieuweStatussenProces', request, signal);
    return parseStatusResults(content, OPERATIONS.getNieuweStatussenProces.returnElement!);
  }

  async getProcessen(request: ProcessenRequest, signal?: AbortSignal): Promise<ProcesResultaat[]> {
    const { content } = await this.call('getProcessen', request, signal);
    return parseProcesResults(content, OPERATIONS.getProcessen.returnElement!);
  }

  async getBerichtsoorten(request: BerichtsoortenRequest, signal?: AbortSignal): Promise<string[]> {
    const { content } = await this.call('getBerichtsoorten', request, signal);
    return parseBerichtsoorten(content, OPERATIONS.getBerichtsoorten.returnElement!);
  }
}
