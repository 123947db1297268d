/**
 * PROVISIONAL Digipoort message format for fetching the VIA (vooraf ingevulde aangifte: the tax authority's pre-filled
 * income-tax data of a client). The official berichtsoort and XSD are not public; everything VIA-specific the product
 * sends or reads is defined here, so the official format replaces this one module (and simulator/via.ts on the
 * simulator's side) without touching the workflow or the activities.
 *
 * - One berichtsoort, `VIA_ophalen`, through the ordinary `aanleveren`: identiteitBelanghebbende is the client's
 *   fiscal number (type `Fi`), role `Intermediair`; the intermediary is the signing certificate (its KvK number),
 *   which must hold an active VIA mandate for the client and year in the tax authority's register.
 * - The payload is a small `VIAVerzoek` document in the namespace below.
 * - The answer comes back through `getStatussenProces` of the request's process: after 500, a status with code 610
 *   whose `statusdetails` carry a `VIAAntwoord`: either `VoorafIngevuldeGegevens` (wages and withheld payroll tax per
 *   employer, bank balances, the home's WOZ value, mortgage interest) or a `Weigering` with a code and a reason.
 * - Amounts are whole euros.
 */
import { childElements, collapsed, escapeXml, parseXmlDocument, textOf } from '../xml/safe-xml';

export const VIA_NAMESPACE = 'urn:filing-hub:voorlopig:via:0.1';
export const VIA_BERICHTSOORT = 'VIA_ophalen';
/** The tax authority's answer arrives as a status with this code (provisional). */
export const VIA_ANSWER_STATUS_CODE = '610';
export const VIA_IDENTITY_TYPE = 'Fi';
export const VIA_ROLE = 'Intermediair';

export interface ViaRequest {
  fiscalNumber: string;
  year: number;
  beconNumber?: string;
}

export function buildViaRequest(r: ViaRequest): string {
  const el = (name: string, value: string | undefined) => (value === undefined ? '' : `<${name}>${escapeXml(value)}</${name}>`);
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<VIAVerzoek xmlns="${VIA_NAMESPACE}">` +
    el('Belanghebbende', r.fiscalNumber) +
    el('Belastingjaar', String(r.year)) +
    el('Beconnummer', r.beconNumber) +
    '</VIAVerzoek>'
  );
}

export function viaFileName(retrievalSeq: number, attempt: number): string {
  return `via-ophalen-${retrievalSeq}-${attempt}.xml`;
}

/** The pre-filled data as the hub stores and shows it (names in English; the wire names are Dutch). */
export interface ViaData {
  employers: { name: string; payrollTaxNumber: string; taxableWages: number; payrollTaxWithheld: number }[];
  bankAccounts: { iban: string; balanceJanuary1: number }[];
  /** The client's own home, when it has one: WOZ value (reference date 1 January of the year before) and mortgages. */
  home: {
    wozValue: number;
    wozReferenceDate: string;
    mortgages: { lender: string; interestPaid: number; debtDecember31: number }[];
  } | null;
}

export type ViaAnswer =
  | { kind: 'data'; fiscalNumber: string; year: number; at: string; data: ViaData }
  | { kind: 'refused'; fiscalNumber: string; year: number; at: string; code: string; reason: string };

/** Thrown for a document in the VIA namespace that does not read as an answer. */
export class ViaAnswerError extends Error {
  override readonly name = 'ViaAnswerError';
}

const AMOUNT = /^-?\d{1,12}$/;

function reader(parent: Element) {
  const one = (name: string): Element => {
    const found = childElements(parent, VIA_NAMESPACE, name);
    if (found.length !== 1) throw new ViaAnswerError(`${parent.localName}: expected one ${name}, found ${found.length}`);
    return found[0];
  };
  const text = (name: string) => collapsed(textOf(one(name)));
  return {
    one,
    text,
    optional: (name: string) => (childElements(parent, VIA_NAMESPACE, name).length ? one(name) : undefined),
    all: (name: string) => childElements(parent, VIA_NAMESPACE, name),
    amount: (name: string) => {
      const value = text(name);
      if (!AMOUNT.test(value)) throw new ViaAnswerError(`${name} is not a whole amount in euros: ${value.slice(0, 30)}`);
      return Number(value);
    },
  };
}

function readData(el: Element): ViaData {
  const r = reader(el);
  const employers = r.all('Werkgever').map((w) => {
    const x = reader(w);
    return { name: x.text('Naam'), payrollTaxNumber: x.text('Loonheffingennummer'), taxableWages: x.amount('FiscaalLoon'), payrollTaxWithheld: x.amount('IngehoudenLoonheffing') };
  });
  const bankAccounts = r.all('Bankrekening').map((b) => {
    const x = reader(b);
    return { iban: x.text('IBAN'), balanceJanuary1: x.amount('SaldoPer1Januari') };
  });
  const woning = r.optional('EigenWoning');
  let home: ViaData['home'] = null;
  if (woning) {
    const x = reader(woning);
    const wozReferenceDate = x.text('WOZPeildatum');
    if (!/^\d{4}-\d{2}-\d{2}$/.test(wozReferenceDate)) throw new ViaAnswerError('WOZPeildatum is not a date');
    home = {
      wozValue: x.amount('WOZWaarde'),
      wozReferenceDate,
      mortgages: x.all('Hypotheek').map((h) => {
        const y = reader(h);
        return { lender: y.text('Geldverstrekker'), interestPaid: y.amount('BetaaldeRente'), debtDecember31: y.amount('SchuldPer31December') };
      }),
    };
  }
  return { employers, bankAccounts, home };
}

/**
 * Reads a `VIAAntwoord` from statusdetails; undefined for details of another kind (or none). Throws ViaAnswerError
 * for a VIA document that is malformed.
 */
export function parseViaAnswer(details: string | undefined): ViaAnswer | undefined {
  if (!details || !details.includes(VIA_NAMESPACE)) return undefined;
  let root: Element;
  try {
    root = parseXmlDocument(details, 256 * 1024).documentElement;
  } catch (err) {
    throw new ViaAnswerError(`the answer is not readable XML: ${(err as Error).message}`);
  }
  if (root.namespaceURI !== VIA_NAMESPACE || root.localName !== 'VIAAntwoord') return undefined;
  try {
    const r = reader(root);
    const fiscalNumber = r.text('Belanghebbende');
    const year = Number(r.text('Belastingjaar'));
    const at = r.text('Tijdstip');
    if (!Number.isInteger(year) || Number.isNaN(Date.parse(at))) throw new ViaAnswerError('Belastingjaar or Tijdstip is not readable');
    const refusal = r.optional('Weigering');
    const gegevens = r.optional('VoorafIngevuldeGegevens');
    if (refusal && !gegevens) {
      const x = reader(refusal);
      return { kind: 'refused', fiscalNumber, year, at, code: x.text('Code'), reason: x.text('Reden') };
    }
    if (gegevens && !refusal) return { kind: 'data', fiscalNumber, year, at, data: readData(gegevens) };
    throw new ViaAnswerError('the answer holds neither VoorafIngevuldeGegevens nor a Weigering (or both)');
  } catch (err) {
    if (err instanceof ViaAnswerError) throw err;
    throw new ViaAnswerError((err as Error).message);
  }
}

/** The answer among a process's statuses (the first one: a request is answered once). */
export function viaAnswerOf(statuses: readonly { statuscode: string; statusdetails?: string }[]): ViaAnswer | undefined {
  for (const s of statuses) {
    if (s.statuscode !== VIA_ANSWER_STATUS_CODE) continue;
    const answer = parseViaAnswer(s.statusdetails);
    if (answer) return answer;
  }
  return undefined;
}
