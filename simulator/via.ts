import { createHash } from 'node:crypto';
import { childElements, collapsed, escapeXml, textOf } from '../integrations/xml/safe-xml';
import type { BerichtsoortSpec } from './berichtsoorten';
import { readProvisionalPayload } from './provisional-payload';
import type { MandateRegister } from './mandates';
import type { PlannedStatus } from './plans';

/**
 * The simulated tax authority's VIA service (vooraf ingevulde aangifte) behind Digipoort, speaking the PROVISIONAL
 * VIA format (the official one is not public). The simulator's reading of that format lives only here, written
 * independently of the product's integrations/via/format.ts so that a drift between the two shows in the tests.
 *
 * - Berichtsoort `VIA_ophalen` with a `VIAVerzoek` payload (Belanghebbende, Belastingjaar, optional Beconnummer).
 * - Any intermediary may ask; the answer depends on the Machtigingenregister at the moment of delivery: with an
 *   ACTIEF VIA mandate of the caller (the KvK number behind its certificate) for the client and year, the pre-filled
 *   data; without one, a refusal (`Weigering`, code GEEN_MACHTIGING). The answer is fixed when the request is
 *   delivered and reported as status 610 right after the 500, its `statusdetails` a `VIAAntwoord`.
 * - The data is plausible and deterministic per BSN and year: wages and withheld payroll tax per employer, bank
 *   balances on 1 January, the home's WOZ value and the mortgage interest paid.
 */
const NAMESPACE = 'urn:filing-hub:voorlopig:via:0.1';
const BERICHTSOORT = 'VIA_ophalen';
const ANSWER_CODE = '610';

export function isViaBerichtsoort(berichtsoort: string): boolean {
  return berichtsoort === BERICHTSOORT;
}

/** Registered in BERICHTSOORTEN; the XBRL fields do not apply: the payload is checked by viaPayloadProblems. */
export const VIA_BERICHTSOORT_SPECS: Record<string, BerichtsoortSpec> = {
  [BERICHTSOORT]: { receiver: 'belastingdienst', entryPoint: /(?!)/, identifierScheme: '', identityTypes: ['Fi'] },
};

interface Verzoek {
  belanghebbende: string;
  jaar: number;
}

function readVerzoek(payload: Buffer): Verzoek | string[] {
  const read = readProvisionalPayload(payload, NAMESPACE, 'VIAVerzoek');
  if (Array.isArray(read)) return read;
  const { root, text } = read;
  const problems: string[] = [];
  const belanghebbende = text('Belanghebbende') ?? '';
  const jaar = Number(text('Belastingjaar'));
  if (!/^\d{9}$/.test(belanghebbende)) problems.push('Belanghebbende moet een fiscaal nummer van negen cijfers zijn.');
  if (!Number.isInteger(jaar) || jaar < 2000 || jaar > 2100) problems.push('Belastingjaar ontbreekt of is ongeldig.');
  const becon = childElements(root, NAMESPACE, 'Beconnummer');
  if (becon.length > 1 || (becon.length === 1 && !/^\d{5,6}$/.test(collapsed(textOf(becon[0]))))) problems.push('Beconnummer heeft niet vijf of zes cijfers.');
  return problems.length ? problems : { belanghebbende, jaar };
}

/** Problems that end the process with 311 (as for a bad XBRL payload). */
export function viaPayloadProblems(_berichtsoort: string, belanghebbende: string, payload: Buffer): string[] {
  const verzoek = readVerzoek(payload);
  if (Array.isArray(verzoek)) return verzoek;
  if (verzoek.belanghebbende !== belanghebbende) {
    return [`De belanghebbende in het bericht (${verzoek.belanghebbende}) wijkt af van identiteitBelanghebbende (${belanghebbende}).`];
  }
  return [];
}

// --- the data ------------------------------------------------------------------------------------------------------

export interface VoorafIngevuldeGegevens {
  werkgevers: { naam: string; loonheffingennummer: string; fiscaalLoon: number; ingehoudenLoonheffing: number }[];
  bankrekeningen: { iban: string; saldoPer1Januari: number }[];
  eigenWoning: { wozWaarde: number; wozPeildatum: string; hypotheken: { geldverstrekker: string; betaaldeRente: number; schuldPer31December: number }[] } | null;
}

/** A stream of numbers that depends only on the seed text (sha-256 in counter mode). */
function numbers(seed: string) {
  let counter = 0;
  let pool: Buffer = Buffer.alloc(0);
  const next = (): number => {
    if (pool.length < 4) {
      pool = Buffer.concat([pool, createHash('sha256').update(`${seed}:${counter++}`).digest()]);
    }
    const value = pool.readUInt32BE(0) / 0x1_0000_0000;
    pool = pool.subarray(4);
    return value;
  };
  return {
    fraction: next,
    between: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(list: readonly T[]) => list[Math.floor(next() * list.length)],
  };
}

const EMPLOYERS = [
  'Bakkerij De Korenschoof B.V.',
  'Zorggroep Lindehof',
  'Installatiebedrijf Van Dam B.V.',
  'Stichting Onderwijs Heuvelrug',
  'Transportbedrijf Hendriks B.V.',
  'Softwarehuis Delta B.V.',
  'Tuincentrum De Linde B.V.',
  'Accountantskantoor Willemsen',
];
const BANKS = ['SPRB', 'STSB', 'NOBK', 'WKBK'];
const LENDERS = ['Hypotheekbank Noord', 'Stadsspaarbank Hypotheken', 'Woonfonds Nederland'];

/** Nine digits passing the 11-proef (as fiscal numbers do). */
function fiscalNumber(n: ReturnType<typeof numbers>): string {
  for (;;) {
    const digits = Array.from({ length: 8 }, (_, i) => (i === 0 ? n.between(1, 9) : n.between(0, 9)));
    const last = digits.reduce((sum, d, i) => sum + d * (9 - i), 0) % 11;
    if (last < 10) return [...digits, last].join('');
  }
}

/** A Dutch IBAN with correct check digits (ISO 13616 mod 97). */
function iban(bank: string, account: string): string {
  const numeric = `${bank}${account}NL00`.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  const mod = [...numeric].reduce((r, d) => (r * 10 + Number(d)) % 97, 0);
  return `NL${String(98 - mod).padStart(2, '0')}${bank}${account}`;
}

/** The pre-filled data of a taxpayer and year: plausible, and the same every time it is asked. */
export function voorafIngevuldeGegevens(bsn: string, jaar: number): VoorafIngevuldeGegevens {
  const n = numbers(`via:${bsn}:${jaar}`);
  const werkgevers = Array.from({ length: n.fraction() < 0.3 ? 2 : 1 }, (_, i) => {
    const fiscaalLoon = i === 0 ? n.between(24_000, 92_000) : n.between(3_000, 21_000);
    return {
      naam: n.pick(EMPLOYERS),
      loonheffingennummer: `${fiscalNumber(n)}L${String(n.between(1, 3)).padStart(2, '0')}`,
      fiscaalLoon,
      ingehoudenLoonheffing: Math.round(fiscaalLoon * (0.22 + n.fraction() * 0.16)),
    };
  });
  const bankrekeningen = Array.from({ length: n.between(1, 3) }, () => ({
    iban: iban(n.pick(BANKS), String(n.between(0, 9_999_999_999)).padStart(10, '0')),
    saldoPer1Januari: n.between(-1_500, 85_000),
  }));
  let eigenWoning: VoorafIngevuldeGegevens['eigenWoning'] = null;
  if (n.fraction() < 0.65) {
    const wozWaarde = n.between(180, 780) * 1000;
    eigenWoning = { wozWaarde, wozPeildatum: `${jaar - 1}-01-01`, hypotheken: [] };
    if (n.fraction() < 0.85) {
      const schuld = Math.round((wozWaarde * (0.35 + n.fraction() * 0.6)) / 100) * 100;
      eigenWoning.hypotheken.push({ geldverstrekker: n.pick(LENDERS), betaaldeRente: Math.round(schuld * (0.015 + n.fraction() * 0.033)), schuldPer31December: schuld });
    }
  }
  return { werkgevers, bankrekeningen, eigenWoning };
}

function gegevensXml(g: VoorafIngevuldeGegevens): string {
  const el = (name: string, value: string | number) => `<${name}>${escapeXml(String(value))}</${name}>`;
  return (
    '<VoorafIngevuldeGegevens>' +
    g.werkgevers
      .map((w) => `<Werkgever>${el('Naam', w.naam)}${el('Loonheffingennummer', w.loonheffingennummer)}${el('FiscaalLoon', w.fiscaalLoon)}${el('IngehoudenLoonheffing', w.ingehoudenLoonheffing)}</Werkgever>`)
      .join('') +
    g.bankrekeningen.map((b) => `<Bankrekening>${el('IBAN', b.iban)}${el('SaldoPer1Januari', b.saldoPer1Januari)}</Bankrekening>`).join('') +
    (g.eigenWoning
      ? `<EigenWoning>${el('WOZWaarde', g.eigenWoning.wozWaarde)}${el('WOZPeildatum', g.eigenWoning.wozPeildatum)}` +
        g.eigenWoning.hypotheken
          .map((h) => `<Hypotheek>${el('Geldverstrekker', h.geldverstrekker)}${el('BetaaldeRente', h.betaaldeRente)}${el('SchuldPer31December', h.schuldPer31December)}</Hypotheek>`)
          .join('') +
        '</EigenWoning>'
      : '') +
    '</VoorafIngevuldeGegevens>'
  );
}

function antwoordXml(verzoek: Verzoek, at: Date, inner: string): string {
  return (
    `<VIAAntwoord xmlns="${NAMESPACE}">` +
    `<Belanghebbende>${escapeXml(verzoek.belanghebbende)}</Belanghebbende>` +
    `<Belastingjaar>${verzoek.jaar}</Belastingjaar>` +
    `<Tijdstip>${at.toISOString()}</Tijdstip>` +
    inner +
    '</VIAAntwoord>'
  );
}

/**
 * The tax authority's answer to a delivered VIA request, as the status that follows its 500 (none when the process
 * does not reach 500). Decided by the register as it stands at delivery.
 */
export async function viaAnswer(
  plan: readonly PlannedStatus[],
  input: { payload: Buffer; senderIdentity: string; deliveredAt: Date; statusStepMs: number; register: MandateRegister },
): Promise<PlannedStatus[]> {
  const final = plan[plan.length - 1];
  if (final?.code !== '500') return [];
  const verzoek = readVerzoek(input.payload);
  if (Array.isArray(verzoek)) return [];
  const step = final.step + 1;
  const at = new Date(input.deliveredAt.getTime() + step * input.statusStepMs);
  const mandate = await input.register.activeMandate({ belanghebbende: verzoek.belanghebbende, dienst: 'VIA', jaar: verzoek.jaar, intermediaryIdentity: input.senderIdentity, at: input.deliveredAt });
  if (!mandate) {
    return [
      {
        code: ANSWER_CODE,
        description: 'Belastingdienst: verzoek om vooraf ingevulde gegevens geweigerd',
        step,
        details: antwoordXml(
          verzoek,
          at,
          '<Weigering><Code>GEEN_MACHTIGING</Code><Reden>Er is geen actieve VIA-machtiging van deze intermediair voor deze belastingplichtige en dit belastingjaar.</Reden></Weigering>',
        ),
      },
    ];
  }
  return [{ code: ANSWER_CODE, description: 'Belastingdienst: vooraf ingevulde gegevens', step, details: antwoordXml(verzoek, at, gegevensXml(voorafIngevuldeGegevens(verzoek.belanghebbende, verzoek.jaar))) }];
}
