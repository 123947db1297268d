import { createHash, randomUUID, type X509Certificate } from 'node:crypto';
import { LIMITS } from '../integrations/wus/protocol';
import { childElements } from '../integrations/xml/safe-xml';
import { BERICHTSOORTEN, RECEIVER_IDENTITIES, kvkDepositFacts, payloadProblems } from './berichtsoorten';
import { planFor, scenarioOf, visibleStatuses, type PlannedStatus } from './plans';
import { isMandateBerichtsoort } from './mandates';
import { isViaBerichtsoort, viaAnswer } from './via';
import { KoppelvlakViolation, RequestReader, type VerifiedRequest } from './requests';
import { kv, kvIdentiteit, responseBody } from './soap';
import type { ProcessRecord, SimulatorStore } from './store';

/** Who is calling: the verified TLS client certificate. */
export interface Caller {
  certificate: X509Certificate;
  /** Subject serialNumber (OIN/HRN): the aanleveraar identity Digipoort authenticates. */
  identity: string;
  organisation: string | null;
}

export interface OperationContext {
  store: SimulatorStore;
  caller: Caller;
  now: Date;
  statusStepMs: number;
  /** A plan set through the admin endpoint for this aanleverkenmerk, replacing the one the checks would give. */
  plannedFor?: (aanleverkenmerk: string | undefined) => PlannedStatus[] | undefined;
}

/** The outcome of an operation: a response body, or a scenario that must answer with a fault or an HTTP error. */
export type OperationOutcome =
  | { kind: 'response'; body: string; scenarioDelayMs?: number }
  | { kind: 'fault'; reason: string }
  | { kind: 'http'; status: number };

/** Reads the subject attribute of a certificate from Node's `subject` text (one `KEY=value` per line). */
export function subjectAttribute(certificate: X509Certificate, key: string): string | null {
  for (const line of certificate.subject.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0 && line.slice(0, at) === key) return line.slice(at + 1);
  }
  return null;
}

const ZWAARBELAST_DELAY_MS = 1500;

export async function handleOperation(request: VerifiedRequest, ctx: OperationContext): Promise<OperationOutcome> {
  const fail = (reason: string): never => {
    throw new KoppelvlakViolation(reason, request.messageId, request.operation);
  };
  const reader = new RequestReader(request.content, fail);
  switch (request.operation) {
    case 'aanleveren':
      return aanleveren(request, reader, ctx, fail);
    case 'getStatussenProces':
    case 'getNieuweStatussenProces':
      return statussen(request.operation, reader, ctx);
    case 'getProcessen':
      return processen(reader, ctx);
    case 'getBerichtsoorten':
      return berichtsoorten(reader, ctx);
    default:
      return fail(`operatie ${String(request.operation)} wordt niet ondersteund`);
  }
}

async function aanleveren(
  request: VerifiedRequest,
  reader: RequestReader,
  ctx: OperationContext,
  fail: (reason: string) => never,
): Promise<OperationOutcome> {
  reader.sequence([
    ['kenmerk', false],
    ['berichtsoort', true],
    ['aanleverkenmerk', false],
    ['eerderAanleverkenmerk', false],
    ['identiteitBelanghebbende', true],
    ['rolBelanghebbende', true],
    ['identiteitOntvanger', false],
    ['rolOntvanger', false],
    ['berichtInhoud', true],
    ['berichtBijlagen', false],
    ['autorisatieAdres', false],
  ]);
  if (reader.element('kenmerk')) fail('kenmerk wordt door Digipoort toegekend en mag niet worden aangeleverd');
  const berichtsoort = reader.text('berichtsoort', LIMITS.berichtsoort);
  const aanleverkenmerk = reader.optionalText('aanleverkenmerk', LIMITS.aanleverkenmerk);
  const eerderAanleverkenmerk = reader.optionalText('eerderAanleverkenmerk', LIMITS.eerderAanleverkenmerk);
  const belanghebbende = reader.identiteit('identiteitBelanghebbende');
  const rol = reader.text('rolBelanghebbende', LIMITS.rol);
  const content = reader.inhoud(request.content, 'berichtInhoud');
  const bijlagenEl = reader.element('berichtBijlagen');
  const bijlagen = bijlagenEl ? childElements(bijlagenEl).map((el) => reader.inhoudElement(el, 'bijlage')) : [];
  const autorisatieAdres = reader.optionalText('autorisatieAdres', LIMITS.autorisatieAdres);

  const spec = BERICHTSOORTEN[berichtsoort];
  if (!spec) fail(`berichtsoort ${berichtsoort} is binnen Digipoort niet bekend`);
  if (!spec.identityTypes.includes(belanghebbende.type)) {
    fail(`identiteitBelanghebbende/type ${belanghebbende.type} past niet bij berichtsoort ${berichtsoort}`);
  }
  const scenario = scenarioOf(aanleverkenmerk);
  if (scenario === 'AanleverFault') return { kind: 'fault', reason: 'scenario AanleverFault' };
  if (scenario === 'OverbelastAanleveren') return { kind: 'http', status: 503 };

  const kenmerk = randomUUID();
  const deliveredAt = ctx.now;
  // Any intermediary may ask the register for a mandate: that is what the mandate is for; no sender registration.
  const mandate = isMandateBerichtsoort(berichtsoort);
  // Likewise for VIA: whether the intermediary may have the data is the register's answer, not a registration.
  const via = isViaBerichtsoort(berichtsoort);
  const authorised = mandate || via || (await ctx.store.isRegistered(ctx.caller.identity, berichtsoort, belanghebbende.nummer));
  const problems = authorised ? payloadProblems(berichtsoort, belanghebbende.nummer, content.inhoud) : [];
  // A KvK deposit that will be accepted claims its financial year; KvK refuses a second deposit of the same year.
  const deposit = spec.receiver === 'kvk' && authorised && problems.length === 0 && !scenario ? kvkDepositFacts(content.inhoud) : null;
  const claimed = deposit !== null && !deposit.resubmission && (await ctx.store.claimKvkDeposit(belanghebbende.nummer, deposit.financialYear, kenmerk));
  const plan = ctx.plannedFor?.(aanleverkenmerk) ?? planFor({
    alreadyDepositedYear: deposit && !deposit.resubmission && !claimed ? deposit.financialYear : undefined,
    scenario,
    receiver: spec.receiver,
    authorised,
    payloadProblems: problems,
    kenmerk,
    berichtkenmerk: randomUUID(),
    deliveredAt: deliveredAt.toISOString(),
  });
  // The tax authority answers a VIA request on its own process, as the register stands at delivery (provisional).
  if (via) plan.push(...(await viaAnswer(plan, { payload: content.inhoud, senderIdentity: ctx.caller.identity, deliveredAt, statusStepMs: ctx.statusStepMs, register: ctx.store.mandates })));
  const ontvanger = RECEIVER_IDENTITIES[spec.receiver];
  const record: ProcessRecord = {
    kenmerk,
    berichtsoort,
    aanleverkenmerk: aanleverkenmerk ?? null,
    eerderAanleverkenmerk: eerderAanleverkenmerk ?? null,
    belanghebbende,
    rolBelanghebbende: rol,
    ontvanger,
    autorisatieAdres: autorisatieAdres ?? null,
    deliveredAt,
    senderIdentity: ctx.caller.identity,
    senderFingerprint: ctx.caller.certificate.fingerprint256,
    senderOrganisation: ctx.caller.organisation,
    signatureAlgorithm: request.signatureAlgorithm,
    digestAlgorithm: request.digestAlgorithm,
    requestMessageId: request.messageId,
    bestandsnaam: content.bestandsnaam,
    mimeType: content.mimeType,
    contentSha256: createHash('sha256').update(content.inhoud).digest('hex'),
    contentBytes: content.inhoud.length,
    attachmentCount: bijlagen.length,
    plan,
  };
  try {
    await ctx.store.insertProcess(record);
    if (mandate) await ctx.store.mandates.receive(record, content.inhoud, ctx.caller);
  } catch (err) {
    if (claimed) await ctx.store.releaseKvkDeposit(belanghebbende.nummer, deposit!.financialYear, kenmerk);
    throw err;
  }
  // aanleverResponse carries no statuscode: the flow is asynchronous (captured Happyflow response).
  const body = responseBody(
    'aanleveren',
    kv('kenmerk', kenmerk) +
      kv('berichtsoort', berichtsoort) +
      kv('aanleverkenmerk', aanleverkenmerk) +
      kv('eerderAanleverkenmerk', eerderAanleverkenmerk) +
      kv('tijdstempelAangeleverd', deliveredAt.toISOString()) +
      kvIdentiteit('identiteitBelanghebbende', belanghebbende) +
      kv('rolBelanghebbende', rol) +
      kvIdentiteit('identiteitOntvanger', ontvanger) +
      kv('autorisatieAdres', autorisatieAdres),
  );
  return { kind: 'response', body, scenarioDelayMs: scenario === 'ZwaarbelastAanleveren' ? ZWAARBELAST_DELAY_MS : undefined };
}

/** A caller may read a process it delivered, or one it is registered for (as an AuSP would allow). */
async function mayRead(ctx: OperationContext, process: ProcessRecord): Promise<boolean> {
  if (process.senderIdentity === ctx.caller.identity) return true;
  return ctx.store.isRegistered(ctx.caller.identity, process.berichtsoort, process.belanghebbende.nummer);
}

function statusResultaat(process: ProcessRecord, status: PlannedStatus, stepMs: number): string {
  const at = new Date(process.deliveredAt.getTime() + status.step * stepMs).toISOString();
  return (
    '<StatusResultaat>' +
    kv('kenmerk', process.kenmerk) +
    kvIdentiteit('identiteitBelanghebbende', process.belanghebbende) +
    kv('statuscode', status.code) +
    kv('tijdstempelStatus', at) +
    kv('statusomschrijving', status.description) +
    (status.foutcode
      ? `<statusFoutcode>${kv('foutcode', status.foutcode)}${kv('foutbeschrijving', status.foutbeschrijving ?? '')}</statusFoutcode>`
      : '') +
    kv('statusdetails', status.details) +
    '</StatusResultaat>'
  );
}

async function statussen(
  operation: 'getStatussenProces' | 'getNieuweStatussenProces',
  reader: RequestReader,
  ctx: OperationContext,
): Promise<OperationOutcome> {
  reader.sequence([
    ['kenmerk', true],
    ['autorisatieAdres', false],
    ['tijdstempelVanaf', false],
    ['tijdstempelTot', false],
  ]);
  const kenmerk = reader.text('kenmerk', LIMITS.kenmerk);
  reader.optionalText('autorisatieAdres', LIMITS.autorisatieAdres);
  const vanaf = reader.optionalText('tijdstempelVanaf', 40);
  const tot = reader.optionalText('tijdstempelTot', 40);
  const process = await ctx.store.process(kenmerk);
  // An unknown or foreign kenmerk yields an empty list: nothing about other parties' processes leaks.
  if (!process || !(await mayRead(ctx, process))) return { kind: 'response', body: responseBody(operation, '') };
  const scenario = scenarioOf(process.aanleverkenmerk ?? undefined);
  if (scenario === 'StatusInformatieFault') return { kind: 'fault', reason: 'scenario StatusInformatieFault' };
  if (scenario === 'OverbelastStatusInformatie') return { kind: 'http', status: 503 };

  // A mandate process also reports the register's answer and later changes (provisional format).
  const plan = isMandateBerichtsoort(process.berichtsoort)
    ? [...process.plan, ...(await ctx.store.mandates.registerStatuses(process, ctx.statusStepMs))]
    : process.plan;
  let visible = visibleStatuses(plan, process.deliveredAt, ctx.now, ctx.statusStepMs);
  if (operation === 'getNieuweStatussenProces') {
    // The caller's cursor counts the statuses it was given in the order they became visible (by step, stable): what
    // became visible since its last call is always at the end, whatever the plan's order (a mandate's register
    // statuses follow the plan's, for instance), so nothing is given twice or skipped.
    const arrived = visible.map((s, i) => ({ s, i })).sort((a, b) => a.s.step - b.s.step || a.i - b.i).map(({ s }) => s);
    const already = await ctx.store.advanceCursor(ctx.caller.certificate.fingerprint256, kenmerk, arrived.length);
    visible = arrived.slice(already);
  }
  const inWindow = visible.filter((s) => {
    const at = process.deliveredAt.getTime() + s.step * ctx.statusStepMs;
    return (!vanaf || at >= Date.parse(vanaf)) && (!tot || at <= Date.parse(tot));
  });
  return {
    kind: 'response',
    body: responseBody(operation, inWindow.map((s) => statusResultaat(process, s, ctx.statusStepMs)).join('')),
    scenarioDelayMs: scenario === 'ZwaarbelastStatusInformatie' ? ZWAARBELAST_DELAY_MS : undefined,
  };
}

async function processen(reader: RequestReader, ctx: OperationContext): Promise<OperationOutcome> {
  reader.sequence([
    ['berichtsoort', true],
    ['identiteitBelanghebbende', true],
    ['autorisatieAdres', false],
  ]);
  const berichtsoort = reader.text('berichtsoort', LIMITS.berichtsoort);
  const belanghebbende = reader.identiteit('identiteitBelanghebbende');
  reader.optionalText('autorisatieAdres', LIMITS.autorisatieAdres);
  const found: ProcessRecord[] = [];
  for (const process of await ctx.store.processesFor(berichtsoort, belanghebbende.nummer)) {
    if (await mayRead(ctx, process)) found.push(process);
  }
  const results = found
    .map(
      (p) =>
        '<ProcesResultaat>' +
        kv('kenmerk', p.kenmerk) +
        kv('berichtsoort', p.berichtsoort) +
        kvIdentiteit('identiteitBelanghebbende', p.belanghebbende) +
        kvIdentiteit('identiteitOntvanger', p.ontvanger) +
        '</ProcesResultaat>',
    )
    .join('');
  return { kind: 'response', body: responseBody('getProcessen', results) };
}

async function berichtsoorten(reader: RequestReader, ctx: OperationContext): Promise<OperationOutcome> {
  reader.sequence([
    ['identiteitBelanghebbende', true],
    ['autorisatieAdres', false],
  ]);
  const belanghebbende = reader.identiteit('identiteitBelanghebbende');
  reader.optionalText('autorisatieAdres', LIMITS.autorisatieAdres);
  const registered = await ctx.store.registeredBerichtsoorten(ctx.caller.identity, belanghebbende.nummer);
  const names = registered.includes('*') ? Object.keys(BERICHTSOORTEN) : registered.filter((b) => b in BERICHTSOORTEN);
  return {
    kind: 'response',
    body: responseBody('getBerichtsoorten', [...new Set(names)].sort().map((b) => kv('berichtsoort', b)).join('')),
  };
}
