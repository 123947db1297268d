import { randomInt } from 'node:crypto';
import { readEnv } from '../config/env';
import { inTransaction, type Pool } from '../db/pool';
import { escapeXml } from '../integrations/xml/safe-xml';
import type { BerichtsoortSpec } from './berichtsoorten';
import { readProvisionalPayload } from './provisional-payload';
import type { PlannedStatus } from './plans';
import type { ProcessRecord } from './store';

/**
 * The simulated Machtigingenregister behind Digipoort, speaking the PROVISIONAL mandate format (the official one is
 * not public). The simulator's own reading of that format lives only here, written independently of the product's
 * integrations/mandates/format.ts so that a drift between the two shows in the tests.
 *
 * - Berichtsoorten Machtiging_aanvragen / _activeren / _intrekken, a `Machtigingsbericht` payload.
 * - Each accepted message gets the register's answer as a status with code 600 right after its 500; later changes of
 *   a request (SBA active after 26 simulated days without objection, an objection, a revocation, expiry) follow as
 *   further 600 statuses of the request's process. `statusdetails` holds a `Machtigingstoestand`.
 * - The register holds one open mandate per client, service and year, whoever the intermediary (exclusivity); the
 *   intermediary is the KvK number behind the signing certificate's serialNumber (HRN), its name the certificate's O.
 * - A simulated day lasts SIMULATOR_MANDATE_DAY_MS (settable at the admin endpoint), so 26 days pass in seconds.
 */
const NAMESPACE = 'urn:filing-hub:voorlopig:machtiging:0.1';
const REGISTER_CODE = '600';
const OBJECTION_DAYS = 26;

type Handeling = 'aanvragen' | 'activeren' | 'intrekken';
const BERICHTSOORT_HANDELING: Readonly<Record<string, Handeling>> = {
  Machtiging_aanvragen: 'aanvragen',
  Machtiging_activeren: 'activeren',
  Machtiging_intrekken: 'intrekken',
};

export function isMandateBerichtsoort(berichtsoort: string): boolean {
  return berichtsoort in BERICHTSOORT_HANDELING;
}

/** Registered in BERICHTSOORTEN; the XBRL fields do not apply: the payload is checked by mandatePayloadProblems. */
export const MANDATE_BERICHTSOORT_SPECS: Record<string, BerichtsoortSpec> = Object.fromEntries(
  Object.keys(BERICHTSOORT_HANDELING).map((name) => [name, { receiver: 'belastingdienst', entryPoint: /(?!)/, identifierScheme: '', identityTypes: ['Fi'] }]),
);

interface Bericht {
  handeling: Handeling;
  dienst: 'SBA' | 'VIA';
  jaar: number;
  doorlopend: boolean;
  belanghebbende: string;
  becon?: string;
  activeringscode?: string;
}

function readBericht(payload: Buffer): Bericht | string[] {
  const read = readProvisionalPayload(payload, NAMESPACE, 'Machtigingsbericht');
  if (Array.isArray(read)) return read;
  const { text } = read;
  const problems: string[] = [];
  const handeling = text('Handeling');
  const dienst = text('Dienst');
  const jaar = Number(text('Jaar'));
  const doorlopend = text('Doorlopend');
  const belanghebbende = text('Belanghebbende') ?? '';
  if (!handeling || !['aanvragen', 'activeren', 'intrekken'].includes(handeling)) problems.push('Handeling moet aanvragen, activeren of intrekken zijn.');
  if (dienst !== 'SBA' && dienst !== 'VIA') problems.push('Dienst moet SBA of VIA zijn.');
  if (!Number.isInteger(jaar) || jaar < 2000 || jaar > 2100) problems.push('Jaar ontbreekt of is ongeldig.');
  if (doorlopend !== 'true' && doorlopend !== 'false') problems.push('Doorlopend moet true of false zijn.');
  if (!/^\d{9}$/.test(belanghebbende)) problems.push('Belanghebbende moet een fiscaal nummer van negen cijfers zijn.');
  const activeringscode = text('Activeringscode');
  if (handeling === 'activeren' && !/^[A-Z0-9]{3}-[A-Z0-9]{3}-[A-Z0-9]{4}$/.test(activeringscode ?? '')) problems.push('Activeringscode ontbreekt of heeft niet de vorm XXX-XXX-XXXX.');
  if (problems.length) return problems;
  return { handeling: handeling as Handeling, dienst: dienst as 'SBA' | 'VIA', jaar, doorlopend: doorlopend === 'true', belanghebbende, becon: text('Beconnummer'), activeringscode };
}

/** Problems that end the process with 311 (as for a bad XBRL payload). */
export function mandatePayloadProblems(berichtsoort: string, belanghebbende: string, payload: Buffer): string[] {
  const bericht = readBericht(payload);
  if (Array.isArray(bericht)) return bericht;
  const problems: string[] = [];
  if (BERICHTSOORT_HANDELING[berichtsoort] !== bericht.handeling) problems.push(`Handeling ${bericht.handeling} past niet bij berichtsoort ${berichtsoort}.`);
  if (bericht.belanghebbende !== belanghebbende) problems.push(`De belanghebbende in het bericht (${bericht.belanghebbende}) wijkt af van identiteitBelanghebbende (${belanghebbende}).`);
  return problems;
}

/** KvK number behind an HRN (00000003 + KvK + suffix); other identities stand for themselves. */
function kvkOf(identity: string): string {
  return /^00000003\d{12}$/.test(identity) ? identity.slice(8, 16) : identity;
}

function activationCode(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const pick = (n: number) => Array.from({ length: n }, () => alphabet[randomInt(alphabet.length)]).join('');
  return `${pick(3)}-${pick(3)}-${pick(4)}`;
}

type Toestand = 'ONTVANGEN' | 'ACTIEF' | 'AFGEWEZEN' | 'INGETROKKEN' | 'VERLOPEN';

interface MandateRow {
  id: string;
  request_kenmerk: string;
  belanghebbende: string;
  dienst: 'SBA' | 'VIA';
  jaar: number;
  doorlopend: boolean;
  intermediary_kvk: string;
  intermediary_identity: string;
  intermediary_name: string | null;
  becon: string | null;
  received_at: Date;
  activates_at: Date | null;
  activation_code: string | null;
  activated_at: Date | null;
  objected_at: Date | null;
  revoked_at: Date | null;
  rejected_reason: string | null;
}

interface RegisterEvent {
  toestand: Toestand;
  at: Date;
  reden?: string;
}

/** The events of a register entry in time order (those in the future included; the caller filters by time). */
function eventsOf(m: MandateRow): RegisterEvent[] {
  if (m.rejected_reason) return [{ toestand: 'AFGEWEZEN', at: m.received_at, reden: m.rejected_reason }];
  const events: RegisterEvent[] = [{ toestand: 'ONTVANGEN', at: m.received_at }];
  const activeAt = m.dienst === 'SBA' ? m.activates_at : m.activated_at;
  const endings: RegisterEvent[] = [];
  if (m.objected_at && (!activeAt || m.objected_at < activeAt)) endings.push({ toestand: 'AFGEWEZEN', at: m.objected_at, reden: 'De belastingplichtige heeft bezwaar gemaakt.' });
  if (m.revoked_at) endings.push({ toestand: 'INGETROKKEN', at: m.revoked_at });
  if (!m.doorlopend) endings.push({ toestand: 'VERLOPEN', at: new Date(Date.UTC(m.jaar + 2, 0, 1)) });
  const end = endings.sort((a, b) => a.at.getTime() - b.at.getTime())[0];
  if (activeAt && (!end || activeAt < end.at)) events.push({ toestand: 'ACTIEF', at: activeAt });
  if (end && (end.toestand !== 'VERLOPEN' || events.some((e) => e.toestand === 'ACTIEF'))) events.push(end);
  return events;
}

function stateAt(m: MandateRow, now: Date): RegisterEvent {
  const past = eventsOf(m).filter((e) => e.at <= now);
  return past[past.length - 1] ?? { toestand: 'ONTVANGEN', at: m.received_at };
}

const isOpenAt = (m: MandateRow, now: Date) => ['ONTVANGEN', 'ACTIEF'].includes(stateAt(m, now).toestand);

function toestandXml(m: MandateRow | undefined, event: RegisterEvent): string {
  const el = (name: string, value: string | null | undefined) => (value ? `<${name}>${escapeXml(value)}</${name}>` : '');
  return (
    `<Machtigingstoestand xmlns="${NAMESPACE}">` +
    el('Toestand', event.toestand) +
    el('Tijdstip', event.at.toISOString()) +
    el('Reden', event.reden) +
    el('NaamOpBrief', m?.intermediary_name) +
    el('Bezwaartermijn', m?.dienst === 'SBA' && event.toestand === 'ONTVANGEN' ? m.activates_at?.toISOString() : undefined) +
    '</Machtigingstoestand>'
  );
}

/** The register, in the simulator's database. */
export class MandateRegister {
  private dayMs: number;

  constructor(private readonly pool: Pool) {
    this.dayMs = Number(readEnv('SIMULATOR_MANDATE_DAY_MS'));
  }

  get simulatedDayMs(): number {
    return this.dayMs;
  }

  set simulatedDayMs(ms: number) {
    if (!Number.isFinite(ms) || ms < 1) throw new Error('dayMs must be a positive number of milliseconds');
    this.dayMs = ms;
  }

  /**
   * Applies an accepted mandate message to the register (once per kenmerk) and records the answer the process will
   * report. Processes that do not reach 500 (not authorised, payload refused) leave the register alone.
   */
  async receive(process: ProcessRecord, payload: Buffer, caller: { identity: string; organisation: string | null }): Promise<void> {
    if (process.plan[process.plan.length - 1]?.code !== '500') return;
    const bericht = readBericht(payload);
    if (Array.isArray(bericht)) return;
    const now = process.deliveredAt;
    const kvk = kvkOf(caller.identity);
    await inTransaction(this.pool, async (db) => {
      // One client at a time, so two requests cannot both pass the exclusivity check.
      await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sim-mandate-${bericht.belanghebbende}`]);
      const { rows: existing } = await db.query<MandateRow>(
        'SELECT * FROM sim_mandates WHERE belanghebbende = $1 AND dienst = $2 AND rejected_reason IS NULL ORDER BY id',
        [bericht.belanghebbende, bericht.dienst],
      );
      const covering = existing.filter(
        (m) => isOpenAt(m, now) && (m.doorlopend && bericht.doorlopend ? true : m.doorlopend ? bericht.jaar >= m.jaar : bericht.doorlopend ? m.jaar >= bericht.jaar : m.jaar === bericht.jaar),
      );
      const answer = async (mandateId: string | null, toestand: Toestand, reden?: string) =>
        db.query('INSERT INTO sim_mandate_answers (kenmerk, mandate_id, toestand, reden, at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kenmerk) DO NOTHING', [
          process.kenmerk, mandateId, toestand, reden ?? null, now,
        ]);
      if (bericht.handeling === 'aanvragen') {
        const own = covering.find((m) => m.intermediary_kvk === kvk);
        const rejected = own
          ? 'Er is al een machtigingsaanvraag van deze intermediair voor deze belastingplichtige, dienst en dit jaar.'
          : covering.length
            ? 'Een andere intermediair heeft al een machtiging voor deze belastingplichtige, dienst en dit jaar.'
            : null;
        const { rows } = await db.query<{ id: string }>(
          `INSERT INTO sim_mandates (request_kenmerk, belanghebbende, dienst, jaar, doorlopend, intermediary_kvk, intermediary_identity,
             intermediary_name, becon, received_at, activates_at, activation_code, rejected_reason)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) ON CONFLICT (request_kenmerk) DO NOTHING RETURNING id`,
          [
            process.kenmerk, bericht.belanghebbende, bericht.dienst, bericht.jaar, bericht.doorlopend, kvk, caller.identity, caller.organisation,
            bericht.becon ?? null, now, bericht.dienst === 'SBA' ? new Date(now.getTime() + OBJECTION_DAYS * this.dayMs) : null,
            bericht.dienst === 'VIA' ? activationCode() : null, rejected,
          ],
        );
        if (rows[0]) await answer(rows[0].id, rejected ? 'AFGEWEZEN' : 'ONTVANGEN', rejected ?? undefined);
        return;
      }
      const target = covering.find((m) => m.intermediary_kvk === kvk && m.jaar === bericht.jaar && m.doorlopend === bericht.doorlopend);
      if (!target) {
        await answer(null, 'AFGEWEZEN', 'Er is geen machtiging van deze intermediair voor deze belastingplichtige, dienst en dit jaar.');
        return;
      }
      if (bericht.handeling === 'intrekken') {
        await db.query('UPDATE sim_mandates SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [target.id, now]);
        await answer(target.id, 'INGETROKKEN');
        return;
      }
      if (target.dienst !== 'VIA' || stateAt(target, now).toestand !== 'ONTVANGEN') {
        await answer(target.id, 'AFGEWEZEN', 'Alleen een ontvangen VIA-machtiging wordt geactiveerd.');
      } else if (bericht.activeringscode !== target.activation_code) {
        await answer(target.id, 'AFGEWEZEN', 'De activeringscode is onjuist.');
      } else {
        await db.query('UPDATE sim_mandates SET activated_at = $2 WHERE id = $1 AND activated_at IS NULL', [target.id, now]);
        await answer(target.id, 'ACTIEF');
      }
    });
  }

  /**
   * The register's statuses of a mandate process: its answer right after 500 and, for a request, every later change
   * of the mandate. Steps are fractional: the clock reveals each at its own moment.
   */
  async registerStatuses(process: ProcessRecord, statusStepMs: number): Promise<PlannedStatus[]> {
    const { rows } = await this.pool.query<{ toestand: Toestand; reden: string | null; at: Date; mandate_id: string | null }>(
      'SELECT toestand, reden, at, mandate_id FROM sim_mandate_answers WHERE kenmerk = $1',
      [process.kenmerk],
    );
    const answer = rows[0];
    const final = process.plan[process.plan.length - 1];
    if (!answer || final?.code !== '500') return [];
    const mandate = answer.mandate_id
      ? (await this.pool.query<MandateRow>('SELECT * FROM sim_mandates WHERE id = $1', [answer.mandate_id])).rows[0]
      : undefined;
    const stepOf = (at: Date) => Math.max(final.step, (at.getTime() - process.deliveredAt.getTime()) / statusStepMs);
    const status = (event: RegisterEvent, step: number): PlannedStatus => ({
      code: REGISTER_CODE,
      description: `Machtigingenregister: ${event.toestand.toLowerCase()}`,
      step,
      details: toestandXml(mandate, event),
    });
    const first = status({ toestand: answer.toestand, at: new Date(process.deliveredAt.getTime() + final.step * statusStepMs), reden: answer.reden ?? undefined }, final.step);
    const isRequest = BERICHTSOORT_HANDELING[process.berichtsoort] === 'aanvragen';
    if (!isRequest || !mandate || answer.toestand === 'AFGEWEZEN') return [first];
    const later = eventsOf(mandate)
      .filter((e) => e.toestand !== 'ONTVANGEN')
      .map((e, i) => status(e, stepOf(e.at) + (i + 1) * 1e-6));
    return [first, ...later];
  }

  /** The letters the tax authority sent (admin endpoint): who asks, for what, and the VIA activation code. */
  async letters(filter: { belanghebbende?: string }): Promise<unknown[]> {
    const { rows } = await this.pool.query<MandateRow>(
      'SELECT * FROM sim_mandates WHERE ($1::text IS NULL OR belanghebbende = $1) ORDER BY id',
      [filter.belanghebbende ?? null],
    );
    const now = new Date();
    return rows.map((m) => ({
      id: Number(m.id),
      requestKenmerk: m.request_kenmerk,
      belanghebbende: m.belanghebbende,
      dienst: m.dienst,
      jaar: m.jaar,
      doorlopend: m.doorlopend,
      toestand: stateAt(m, now).toestand,
      intermediair: { kvkNumber: m.intermediary_kvk, identity: m.intermediary_identity, name: m.intermediary_name },
      receivedAt: m.received_at.toISOString(),
      letter: m.rejected_reason
        ? null
        : {
            naamIntermediair: m.intermediary_name,
            activeringscode: m.activation_code,
            bezwaarTot: m.activates_at?.toISOString() ?? null,
          },
      rejectedReason: m.rejected_reason,
    }));
  }

  /** The caller's mandate that is ACTIEF for the client, service and year at `at` (asked by the VIA service). */
  async activeMandate(q: { belanghebbende: string; dienst: 'SBA' | 'VIA'; jaar: number; intermediaryIdentity: string; at: Date }): Promise<{ id: string } | undefined> {
    const { rows } = await this.pool.query<MandateRow>(
      'SELECT * FROM sim_mandates WHERE belanghebbende = $1 AND dienst = $2 AND intermediary_kvk = $3 AND rejected_reason IS NULL ORDER BY id',
      [q.belanghebbende, q.dienst, kvkOf(q.intermediaryIdentity)],
    );
    const found = rows.find((m) => (m.doorlopend ? q.jaar >= m.jaar : q.jaar === m.jaar) && stateAt(m, q.at).toestand === 'ACTIEF');
    return found ? { id: found.id } : undefined;
  }

  /** The client withdraws a mandate at the tax authority itself (not through the intermediary). */
  async revokeByClient(id: number): Promise<boolean> {
    const { rows } = await this.pool.query<MandateRow>('SELECT * FROM sim_mandates WHERE id = $1', [id]);
    const m = rows[0];
    if (!m || !isOpenAt(m, new Date())) return false;
    await this.pool.query('UPDATE sim_mandates SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
    return true;
  }

  /** The client objects to an SBA registration (before it became active). */
  async object(id: number): Promise<boolean> {
    const { rows } = await this.pool.query<MandateRow>('SELECT * FROM sim_mandates WHERE id = $1', [id]);
    const m = rows[0];
    if (!m || m.dienst !== 'SBA' || stateAt(m, new Date()).toestand !== 'ONTVANGEN') return false;
    await this.pool.query('UPDATE sim_mandates SET objected_at = now() WHERE id = $1', [id]);
    return true;
  }
}

/**
 * Admin routes of the register: `GET /admin/mandates[?belanghebbende=]` (the letters), objections, a client's own
 * withdrawal (`POST /admin/mandates/{id}/revocation`), the day length.
 */
export async function handleMandateAdmin(
  route: string,
  url: URL,
  readJson: <T>() => Promise<T>,
  register: MandateRegister,
): Promise<{ status: number; body: unknown } | undefined> {
  if (route === 'GET /admin/mandates') return { status: 200, body: await register.letters({ belanghebbende: url.searchParams.get('belanghebbende') ?? undefined }) };
  const objection = /^POST \/admin\/mandates\/(\d+)\/objection$/.exec(route);
  if (objection) {
    return (await register.object(Number(objection[1]))) ? { status: 200, body: { objected: true } } : { status: 409, body: { error: 'only an SBA registration that is not active yet can be objected to' } };
  }
  const revocation = /^POST \/admin\/mandates\/(\d+)\/revocation$/.exec(route);
  if (revocation) {
    return (await register.revokeByClient(Number(revocation[1]))) ? { status: 200, body: { revoked: true } } : { status: 409, body: { error: 'only an open mandate can be withdrawn' } };
  }
  if (route === 'GET /admin/mandates/day') return { status: 200, body: { dayMs: register.simulatedDayMs } };
  if (route === 'PUT /admin/mandates/day') {
    register.simulatedDayMs = Number((await readJson<{ dayMs?: number }>())?.dayMs);
    return { status: 200, body: { dayMs: register.simulatedDayMs } };
  }
  return undefined;
}
