import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { Logger } from '../lib/logger';
import { MAX_SOAP_MESSAGE_CHARS, SERVICES, type ServiceName } from '../integrations/wus/protocol';
import type { FaultRule, Registration } from './config';
import { handleMandateAdmin } from './mandates';
import { handleOperation, subjectAttribute, type Caller } from './operations';
import { planFromAdmin, visibleStatuses, type PlannedStatus } from './plans';
import { soapEnvelopeText, textXmlOnly } from './mtom';
import { KoppelvlakViolation, verifyRequest } from './requests';
import { faultResponse, signedResponse, type ServiceSigner } from './soap';
import type { SimulatorStore } from './store';

export interface SimulatorTls {
  /** Server certificate chain (leaf + intermediate) and key. */
  cert: string;
  key: string;
  /** CAs client certificates must chain to. */
  ca: string[];
  /** CRLs for every CA level (revoked clients are refused during the handshake). */
  crl: string[];
}

export interface SimulatorOptions {
  host: string;
  port: number;
  adminPort: number;
  publicUrls: string[];
  tls: SimulatorTls;
  signer: ServiceSigner;
  store: SimulatorStore;
  statusStepMs: number;
  clockSkewSeconds: number;
  faults: FaultRule[];
  logger: Logger;
  clock?: () => Date;
}

const SERVICE_BY_PATH = new Map<string, ServiceName>(
  (Object.keys(SERVICES) as ServiceName[]).map((name) => [SERVICES[name].path, name]),
);

/**
 * A faithful Digipoort (WUS 2.0, koppelvlak 1.2) on HTTPS with mutual TLS, plus an admin endpoint on plain HTTP
 * bound to 127.0.0.1 for tests and operators: delivery counts, processes, refusals, registrations, fault injection.
 */
export class DigipoortSimulator {
  private server?: https.Server;
  private admin?: http.Server;
  private readonly hanging = new Set<TLSSocket>();
  private faults: FaultRule[];
  /** Status plans set through the admin endpoint, per aanleverkenmerk, for deliveries still to come. */
  private readonly plans = new Map<string, PlannedStatus[]>();
  private readonly clock: () => Date;
  /** Verified requests per operation and caller certificate (fingerprint), for the tests' cost checks. */
  private readonly calls = new Map<string, Map<string, number>>();

  constructor(private readonly options: SimulatorOptions) {
    this.faults = [...options.faults];
    this.clock = options.clock ?? (() => new Date());
  }

  get port(): number {
    const address = this.server?.address();
    return typeof address === 'object' && address ? address.port : this.options.port;
  }

  get adminPort(): number {
    const address = this.admin?.address();
    return typeof address === 'object' && address ? address.port : this.options.adminPort;
  }

  async start(): Promise<void> {
    this.server = https.createServer(
      {
        cert: this.options.tls.cert,
        key: this.options.tls.key,
        ca: this.options.tls.ca,
        crl: this.options.tls.crl,
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
      },
      (req, res) =>
        void this.handle(req, res).catch((err: unknown) => {
          // A client that goes away mid-request (reset, killed worker) is Digipoort's everyday life, not a crash.
          this.options.logger.info({ reason: err instanceof Error ? err.message : String(err) }, 'request abandoned by the client');
          if (!res.headersSent) res.destroy();
        }),
    );
    this.server.on('tlsClientError', (err) => this.options.logger.info({ reason: err.message }, 'TLS handshake refused'));
    this.admin = http.createServer((req, res) => void this.handleAdmin(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.options.port, this.options.host, () => resolve());
    });
    await new Promise<void>((resolve, reject) => {
      this.admin!.once('error', reject);
      this.admin!.listen(this.options.adminPort, '127.0.0.1', () => resolve());
    });
  }

  async stop(): Promise<void> {
    for (const socket of this.hanging) socket.destroy();
    this.server?.closeAllConnections();
    this.admin?.closeAllConnections();
    await Promise.all([
      new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve())),
      new Promise<void>((resolve) => (this.admin ? this.admin.close(() => resolve()) : resolve())),
    ]);
  }

  /** The first fault rule that hits this request; spends one of its `count`. */
  private faultFor(phase: 'before' | 'body', operationHint: string | undefined, caller: Caller, body?: string): FaultRule | undefined {
    for (const rule of this.faults) {
      if (rule.senderIdentity && rule.senderIdentity !== caller.identity) continue;
      if (phase === 'before' && rule.bodyContains) continue;
      if (phase === 'body' && !rule.bodyContains) continue;
      if (rule.bodyContains && !(body ?? '').includes(rule.bodyContains)) continue;
      if (rule.operation && rule.operation !== '*' && operationHint && !operationHint.endsWith(`/${rule.operation}Request`)) continue;
      if (rule.fraction !== undefined && Math.random() >= rule.fraction) continue;
      if (rule.count !== undefined) {
        rule.count -= 1;
        if (rule.count <= 0) this.faults = this.faults.filter((r) => r !== rule);
      }
      return rule;
    }
    return undefined;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const socket = req.socket as TLSSocket;
    const peer = socket.getPeerX509Certificate?.();
    const url = (req.url ?? '').split('?')[0];
    const service = SERVICE_BY_PATH.get(url);
    if (!peer) {
      res.writeHead(403).end();
      return;
    }
    const caller: Caller = {
      certificate: new X509Certificate(peer.raw),
      identity: subjectAttribute(peer, 'serialNumber') ?? '',
      organisation: subjectAttribute(peer, 'O'),
    };
    if (!service || req.method !== 'POST') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found');
      return;
    }
    const soapAction = typeof req.headers.soapaction === 'string' ? req.headers.soapaction : undefined;
    // SOAP 1.1 puts the action in quotes; fault rules match on the bare action URI.
    const actionHint = soapAction?.replace(/^"(.*)"$/, '$1');

    // Fault injection that acts before the request is read.
    const early = this.faultFor('before', actionHint, caller);
    if (early && (await this.applyEarlyFault(early, socket, res))) return;

    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_SOAP_MESSAGE_CHARS) tooLarge = true;
      else chunks.push(chunk as Buffer);
    }
    const body = Buffer.concat(chunks);
    const xml = body.toString('utf8');
    const late = this.faultFor('body', actionHint, caller, xml);
    if (late && (await this.applyEarlyFault(late, socket, res))) return;
    const fault = early ?? late;

    const now = this.clock();
    let operationName: string | undefined;
    try {
      if (tooLarge) throw new KoppelvlakViolation(`het bericht is groter dan ${MAX_SOAP_MESSAGE_CHARS} tekens`);
      // text/xml, or MTOM/XOP on the AanleverService (optional there by the WSDL policy), reconstructed before verifying.
      const contentType = String(req.headers['content-type'] ?? '');
      const soapXml = service === 'AanleverService' ? soapEnvelopeText(contentType, body) : textXmlOnly(contentType, xml);
      const request = verifyRequest({
        xml: soapXml,
        service,
        soapAction,
        peerCertificate: caller.certificate,
        endpointUrls: this.options.publicUrls.map((base) => `${base}${SERVICES[service].path}`),
        now,
        clockSkewSeconds: this.options.clockSkewSeconds,
      });
      operationName = request.operation;
      const perCaller = this.calls.get(request.operation) ?? new Map<string, number>();
      perCaller.set(caller.certificate.fingerprint256, (perCaller.get(caller.certificate.fingerprint256) ?? 0) + 1);
      this.calls.set(request.operation, perCaller);
      const outcome = await handleOperation(request, {
        store: this.options.store,
        caller,
        now,
        statusStepMs: this.options.statusStepMs,
        plannedFor: (aanleverkenmerk) => (aanleverkenmerk === undefined ? undefined : this.plans.get(aanleverkenmerk)),
      });
      if (outcome.kind === 'fault') {
        this.send(res, 500, faultResponse(service, request.operation, request.messageId, outcome.reason));
        return;
      }
      if (outcome.kind === 'http') {
        res.writeHead(outcome.status, { 'Content-Type': 'text/plain', 'Retry-After': '30' }).end('Service Unavailable');
        return;
      }
      if (outcome.scenarioDelayMs) await new Promise((r) => setTimeout(r, outcome.scenarioDelayMs));
      // Faults that strike after Digipoort processed the request: the client cannot know it was accepted.
      if (fault?.kind === 'reset-after') {
        socket.destroy();
        return;
      }
      if (fault?.kind === 'latency-after') {
        // Processed and stored; the answer comes late (a client that dies meanwhile never learns the kenmerk).
        await new Promise((r) => setTimeout(r, fault.latencyMs ?? 1000));
      }
      if (fault?.kind === 'http500-after') {
        res.writeHead(500, { 'Content-Type': 'text/html' }).end('<html><body>Internal Server Error</body></html>');
        return;
      }
      this.send(res, 200, signedResponse(request.operation, request.messageId, outcome.body, this.options.signer, this.clock()));
      this.options.logger.info({ operation: request.operation, sender: caller.identity }, 'request answered');
    } catch (err) {
      if (err instanceof KoppelvlakViolation) {
        this.options.logger.info({ operation: err.operation ?? operationName, reason: err.message, sender: caller.identity }, 'request refused');
        await this.options.store.recordRejection(err.operation ?? operationName, err.message, caller.certificate.fingerprint256).catch(() => undefined);
        this.send(res, 500, faultResponse(service, err.operation, err.relatesTo, err.message));
        return;
      }
      this.options.logger.error({ err }, 'simulator failure');
      res.writeHead(500, { 'Content-Type': 'text/plain' }).end('simulator failure');
    }
  }

  /** Applies latency/503/reset-before/hang; returns true when the request is finished. */
  private async applyEarlyFault(rule: FaultRule, socket: TLSSocket, res: http.ServerResponse): Promise<boolean> {
    switch (rule.kind) {
      case 'latency':
        await new Promise((r) => setTimeout(r, rule.latencyMs ?? 1000));
        return false;
      case 'http503':
        res.writeHead(503, { 'Content-Type': 'text/plain', 'Retry-After': '30' }).end('Service Unavailable');
        return true;
      case 'reset-before':
        socket.destroy();
        return true;
      case 'hang':
        // Never answer; the socket stays open until the client gives up (or the simulator stops).
        this.hanging.add(socket);
        socket.once('close', () => this.hanging.delete(socket));
        return true;
      default:
        return false;
    }
  }

  private send(res: http.ServerResponse, status: number, xml: string): void {
    res.writeHead(status, { 'Content-Type': 'text/xml; charset=utf-8' }).end(xml);
  }

  private async handleAdmin(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://admin');
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body, null, 2));
    };
    const readJson = async <T>(): Promise<T> => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      return JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') as T;
    };
    try {
      const store = this.options.store;
      const route = `${req.method} ${url.pathname}`;
      if (route === 'GET /admin/health') return json(200, { status: 'ok' });
      if (route === 'GET /admin/deliveries') {
        const counts = await store.deliveryCounts();
        const processes = await store.listProcesses({
          aanleverkenmerk: url.searchParams.get('aanleverkenmerk') ?? undefined,
          senderIdentity: url.searchParams.get('senderIdentity') ?? undefined,
          limit: Number(url.searchParams.get('limit') ?? 200),
        });
        return json(200, {
          ...counts,
          processes: processes.map(({ plan, ...p }) => ({ ...p, finalStatus: plan[plan.length - 1]?.code })),
        });
      }
      const processMatch = /^GET \/admin\/processes\/([0-9a-f-]{36})$/i.exec(route);
      if (processMatch) {
        const process = await store.process(processMatch[1]);
        if (!process) return json(404, { error: 'unknown kenmerk' });
        return json(200, { ...process, visible: visibleStatuses(process.plan, process.deliveredAt, this.clock(), this.options.statusStepMs) });
      }
      const mandateAnswer = await handleMandateAdmin(route, url, readJson, store.mandates);
      if (mandateAnswer) return json(mandateAnswer.status, mandateAnswer.body);
      if (route === 'GET /admin/calls') {
        // Verified requests since the simulator started: { operation: { total, byCertificate: { fingerprint: n } } }.
        const body: Record<string, { total: number; byCertificate: Record<string, number> }> = {};
        for (const [operation, perCaller] of this.calls) {
          body[operation] = { total: [...perCaller.values()].reduce((a, b) => a + b, 0), byCertificate: Object.fromEntries(perCaller) };
        }
        return json(200, body);
      }
      if (route === 'GET /admin/rejections') return json(200, await store.rejections(Number(url.searchParams.get('limit') ?? 50)));
      if (route === 'GET /admin/faults') return json(200, this.faults);
      if (route === 'PUT /admin/faults') {
        const rules = await readJson<FaultRule[]>();
        if (!Array.isArray(rules)) return json(400, { error: 'expected an array of fault rules' });
        this.faults = rules;
        return json(200, this.faults);
      }
      if (route === 'POST /admin/faults') {
        const rule = await readJson<FaultRule>();
        this.faults.push(rule);
        return json(201, this.faults);
      }
      if (route === 'DELETE /admin/faults') {
        this.faults = [];
        return json(200, this.faults);
      }
      const planMatch = /^(PUT|DELETE) \/admin\/plans\/([^/]{1,40})$/.exec(route);
      if (planMatch) {
        // The statuses processes of this aanleverkenmerk report: deliveries to come, and those already made.
        const aanleverkenmerk = decodeURIComponent(planMatch[2]);
        if (planMatch[1] === 'DELETE') return json(200, { removed: this.plans.delete(aanleverkenmerk) });
        const plan = planFromAdmin(await readJson<unknown>());
        this.plans.set(aanleverkenmerk, plan);
        return json(200, { aanleverkenmerk, plan, processesReplanned: await store.replacePlan(aanleverkenmerk, plan) });
      }
      if (route === 'GET /admin/registrations') return json(200, await store.registrations());
      if (route === 'POST /admin/registrations') {
        const body = await readJson<Registration | Registration[]>();
        for (const r of Array.isArray(body) ? body : [body]) {
          if (!r?.senderIdentity || !r.berichtsoort || !r.belanghebbende) {
            return json(400, { error: 'a registration needs senderIdentity, berichtsoort and belanghebbende' });
          }
          await store.addRegistration(r);
        }
        return json(201, await store.registrations());
      }
      if (route === 'DELETE /admin/registrations') {
        const removed = await store.removeRegistration(await readJson<Registration>());
        return json(200, { removed });
      }
      return json(404, { error: `no admin route ${route}` });
    } catch (err) {
      return json(400, { error: (err as Error).message });
    }
  }
}
