import { DIGIPOORT_STATUSES } from '../domain/digipoort-status';
import { LIMITS } from '../integrations/wus/protocol';
import { escapeXml } from '../integrations/xml/safe-xml';

/**
 * The status plans of the simulated Digipoort: the statuses a process goes through, revealed by the clock one step
 * at a time. The Aansluit Suite scenarios are keyed on `aanleverkenmerk` (digipoort-wus.md §8); every other
 * delivery follows the real checks (authentication → 210, payload validation → 311) and ends in 500.
 */
export interface PlannedStatus {
  code: string;
  description: string;
  /** Position in the sequence; visible from deliveredAt + step × statusStepMs. */
  step: number;
  foutcode?: string;
  foutbeschrijving?: string;
  details?: string;
}

export type Receiver = 'belastingdienst' | 'kvk';

export const SCENARIOS = [
  'Happyflow',
  'AanleverFault',
  'StatusInformatieFault',
  'Afleverfout',
  'Foutuitvragendepartij',
  'TechnischProbleemAfleveren',
  'MaximaalAantalAfleverpogingen',
  'ZwaarbelastAanleveren',
  'OverbelastAanleveren',
  'ZwaarbelastStatusInformatie',
  'OverbelastStatusInformatie',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

export function scenarioOf(aanleverkenmerk: string | undefined): Scenario | undefined {
  return SCENARIOS.find((s) => s === aanleverkenmerk);
}

/**
 * The simulator's own `statusomschrijving` for codes whose exact Digipoort text was never captured and whose known
 * meaning does not fit the XSD's 80 characters (provisional, see the README). 210 is its published label (the reason
 * goes in statusFoutcode); 220's label is not public, the reference says "probably an authorisation failure".
 */
const UNCAPTURED_TEXTS: Readonly<Record<string, string>> = {
  '210': 'Authenticatie (verzender) niet gelukt.',
  '220': 'Autorisatie (verzender) niet gelukt.',
};

/** The XSD allows `statusomschrijving` at most 80 characters (digipoort-wus.md §2.3, §2.5). */
const STATUSOMSCHRIJVING_MAX = LIMITS.statusomschrijving;

/** A text within `max` characters: whole when it fits, else cut after the last whole word that fits (never mid-word). */
export function withinLength(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max + 1).lastIndexOf(' ');
  return (cut > 0 ? text.slice(0, cut) : text.slice(0, max)).replace(/[\s,;:(]+$/, '');
}

/** The texts Digipoort sends (captured), else the simulator's own or the known meaning; whole, within 80 characters. */
export function describe(code: string): string {
  const known = DIGIPOORT_STATUSES[code];
  return withinLength(known?.statusomschrijving ?? UNCAPTURED_TEXTS[code] ?? known?.meaningNl ?? `Status ${code}`, STATUSOMSCHRIJVING_MAX);
}

export interface PlanInput {
  scenario?: Scenario;
  receiver: Receiver;
  /** False when the sender is not registered for this berichtsoort and belanghebbende. */
  authorised: boolean;
  /** Problems found in the payload for its berichtsoort; non-empty ends the process with 311 / VAS500. */
  payloadProblems: string[];
  /** The process (proceskenmerk) Digipoort gave the delivery. */
  kenmerk: string;
  /** A new id of the delivered message, distinct from the kenmerk: the Responsemessage's MessageId. */
  berichtkenmerk: string;
  deliveredAt: string;
  /** KvK only: the financial year this deposit is for was already deposited (KvK refuses the second one). */
  alreadyDepositedYear?: number;
}

function status(code: string, step: number, extra: Partial<PlannedStatus> = {}): PlannedStatus {
  return { code, description: describe(code), step, ...extra };
}

/**
 * The acknowledgement the receiving party puts in `statusdetails` of 500 (a Belastingdienst Responsemessage). Its
 * Identification follows the captured one: `MessageId` is the message's own id (BERICHTKENMERK-VAN-AANLEVERING, a new
 * id the process did not have before), `RefersToMessageId` the delivery it answers (PROCESKENMERK-VAN-AANLEVERING,
 * the kenmerk of the aanleverResponse), `MessageIdBd` the receiver's id.
 */
export function acknowledgement(input: PlanInput): string {
  const id = `${input.receiver === 'kvk' ? 'KVK' : 'BD'}-${input.kenmerk.slice(0, 8).toUpperCase()}`;
  return (
    '<Responsemessage version="2006.1">' +
    '<Identification>' +
    `<MessageId>${escapeXml(input.berichtkenmerk)}</MessageId>` +
    `<RefersToMessageId>${escapeXml(input.kenmerk)}</RefersToMessageId>` +
    `<MessageIdBd>${id}</MessageIdBd>` +
    `<DatumTijdOntvangst>${escapeXml(input.deliveredAt)}</DatumTijdOntvangst>` +
    '<ResponseType>acknowledgement</ResponseType>' +
    '</Identification>' +
    '<Specification><Class>A</Class><Code>0001</Code><Description>Status: Verwerkbaar</Description></Specification>' +
    '</Responsemessage>'
  );
}

/** 510: the receiving party refused the content; its Responsemessage (class F) says why. */
function refusedByReceiver(description: string): PlannedStatus {
  return status('510', 8, {
    foutcode: 'AFO100',
    foutbeschrijving: 'De uitvragende partij heeft het bericht afgekeurd.',
    details:
      '<Responsemessage version="2006.1"><Specification><Class>F</Class><Code>0100</Code>' +
      `<Description>${escapeXml(description)}</Description></Specification></Responsemessage>`,
  });
}

function validationErrors(problems: string[]): string {
  return problems.map((p) => `<msg level="error">${escapeXml(p)}</msg>`).join('');
}

export function planFor(input: PlanInput): PlannedStatus[] {
  const start = [status('105', 0), status('100', 1), status('110', 2)];
  if (!input.authorised) {
    return [
      ...start,
      status('210', 3, {
        foutcode: 'ATH100',
        foutbeschrijving: 'De verzender is niet gemachtigd om het bericht te verzenden.',
      }),
    ];
  }
  const validated = [...start, status('200', 3)];
  if (input.payloadProblems.length > 0) {
    return [
      ...validated,
      status('311', 4, {
        foutcode: 'VAS500',
        foutbeschrijving: 'Validatie niet gelukt.',
        details: validationErrors(input.payloadProblems),
      }),
    ];
  }
  const delivering = [...validated, status('301', 4), status('301', 5), status('405', 6)];
  switch (input.scenario) {
    case 'Afleverfout':
      return [...delivering, status('410', 7, { foutcode: 'AFS400', foutbeschrijving: 'Afleveren bij de uitvragende partij is mislukt.' })];
    case 'Foutuitvragendepartij':
      return [
        ...delivering,
        status('400', 7),
        refusedByReceiver('Status: Niet verwerkbaar'),
      ];
    case 'TechnischProbleemAfleveren':
      // Digipoort keeps retrying (72 h): the process stays at 420 without a final fault code.
      return [...delivering, status('420', 7, { foutcode: undefined })];
    case 'MaximaalAantalAfleverpogingen':
      return [
        ...delivering,
        status('420', 7),
        status('420', 8, { foutcode: 'AFS600', foutbeschrijving: 'Het maximaal aantal afleverpogingen is bereikt.' }),
      ];
    default:
      if (input.alreadyDepositedYear !== undefined) {
        return [
          ...delivering,
          status('400', 7),
          refusedByReceiver(`Het boekjaar ${input.alreadyDepositedYear} is al gedeponeerd.`),
        ];
      }
      return [...delivering, status('400', 7), status('500', 8, { details: acknowledgement(input) })];
  }
}

/** The statuses of a plan visible at `now`. */
export function visibleStatuses(plan: PlannedStatus[], deliveredAt: Date, now: Date, stepMs: number): PlannedStatus[] {
  const elapsed = now.getTime() - deliveredAt.getTime();
  return plan.filter((s) => s.step * stepMs <= elapsed);
}

/**
 * A plan an operator or a test sets through the admin endpoint (`PUT /admin/plans/{aanleverkenmerk}`): the statuses
 * a process reports, in the order and at the steps given, so statuses can arrive late, out of order, or timestamped
 * long ago (a negative step lies before the delivery). Each entry needs a code and a whole step; the description
 * defaults to the code's known text.
 */
export function planFromAdmin(input: unknown): PlannedStatus[] {
  if (!Array.isArray(input) || input.length === 0 || input.length > 200) throw new Error('a plan is a list of 1 to 200 statuses');
  return input.map((entry: unknown, i) => {
    const s = entry as Partial<PlannedStatus> | null;
    if (!s || typeof s.code !== 'string' || !/^\d{3}$/.test(s.code)) throw new Error(`plan[${i}].code must be a three-digit status code`);
    if (typeof s.step !== 'number' || !Number.isSafeInteger(s.step)) throw new Error(`plan[${i}].step must be a whole number`);
    const text = (value: unknown, field: string) => {
      if (value !== undefined && typeof value !== 'string') throw new Error(`plan[${i}].${field} must be text`);
      return value as string | undefined;
    };
    return status(s.code, s.step, {
      ...(text(s.description, 'description') !== undefined ? { description: s.description } : {}),
      ...(text(s.foutcode, 'foutcode') !== undefined ? { foutcode: s.foutcode, foutbeschrijving: text(s.foutbeschrijving, 'foutbeschrijving') ?? '' } : {}),
      ...(text(s.details, 'details') !== undefined ? { details: s.details } : {}),
    });
  });
}
