/**
 * PROVISIONAL Digipoort message format for mandates (machtigingen). The official berichtsoort and XSD are not public
 * (filings-xbrl.md §6: "obtain from ODB/Logius"); everything mandate-specific the product sends or reads is defined
 * here, so the official format replaces this one module (and simulator/mandates.ts on the simulator's side) without
 * touching the workflows or activities.
 *
 * - Three berichtsoorten travel through the ordinary `aanleveren`: a request, an activation (VIA code from the
 *   client's letter) and a revocation. identiteitBelanghebbende is the client's fiscal number (type `Fi`), role
 *   `Intermediair`; the intermediary is the signing certificate (its KvK number).
 * - The payload is a small XML document in the namespace below.
 * - The register's answer comes back through `getStatussenProces` of the message's process: `statusdetails` carries a
 *   `Machtigingstoestand` document; later changes of a request (SBA active after 26 days, an objection, a revocation)
 *   come as further statuses of the request's process with status code 600.
 */
import { escapeXml, childElements, collapsed, parseXmlDocument, textOf } from '../xml/safe-xml';
import type { MandatePurpose, MandateService, MandateState } from '../../domain/mandates';

export type { MandatePurpose };

export const MANDATE_NAMESPACE = 'urn:filing-hub:voorlopig:machtiging:0.1';

export const MANDATE_BERICHTSOORTEN: Readonly<Record<MandatePurpose, string>> = {
  request: 'Machtiging_aanvragen',
  activate: 'Machtiging_activeren',
  revoke: 'Machtiging_intrekken',
};

/** The register's later changes of a request arrive as statuses with this code (provisional). */
export const REGISTER_STATUS_CODE = '600';

export const MANDATE_IDENTITY_TYPE = 'Fi';
export const MANDATE_ROLE = 'Intermediair';

const ACTIONS: Readonly<Record<MandatePurpose, string>> = { request: 'aanvragen', activate: 'activeren', revoke: 'intrekken' };

export interface MandateMessage {
  purpose: MandatePurpose;
  service: MandateService;
  year: number;
  continuing: boolean;
  fiscalNumber: string;
  beconNumber?: string;
  /** activate only. */
  activationCode?: string;
}

export function buildMandateMessage(m: MandateMessage): string {
  if (m.purpose === 'activate' && !m.activationCode) throw new Error('an activation message needs the activation code');
  const el = (name: string, value: string | undefined) => (value === undefined ? '' : `<${name}>${escapeXml(value)}</${name}>`);
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<Machtigingsbericht xmlns="${MANDATE_NAMESPACE}">` +
    el('Handeling', ACTIONS[m.purpose]) +
    el('Dienst', m.service) +
    el('Jaar', String(m.year)) +
    el('Doorlopend', m.continuing ? 'true' : 'false') +
    el('Belanghebbende', m.fiscalNumber) +
    el('Beconnummer', m.beconNumber) +
    el('Activeringscode', m.purpose === 'activate' ? m.activationCode : undefined) +
    '</Machtigingsbericht>'
  );
}

export function mandateFileName(purpose: MandatePurpose, seq: number): string {
  return `machtiging-${ACTIONS[purpose]}-${seq}.xml`;
}

/** What the register says in a status's details. */
export interface RegisterAnswer {
  state: MandateState;
  at: string;
  reason?: string;
  /** The firm name on the client's letter (C3). */
  letterName?: string;
  /** SBA: until when the client may object. */
  objectionDeadline?: string;
}

const TOESTANDEN: Readonly<Record<string, MandateState>> = {
  ONTVANGEN: 'ONTVANGEN',
  ACTIEF: 'ACTIVE',
  AFGEWEZEN: 'REJECTED',
  INGETROKKEN: 'REVOKED',
  VERLOPEN: 'EXPIRED',
};

/** Reads a `Machtigingstoestand` from statusdetails; undefined for details of another kind (or none). */
export function parseRegisterAnswer(details: string | undefined): RegisterAnswer | undefined {
  if (!details || !details.includes(MANDATE_NAMESPACE)) return undefined;
  let root: Element;
  try {
    root = parseXmlDocument(details, 64 * 1024).documentElement;
  } catch {
    return undefined;
  }
  if (root.namespaceURI !== MANDATE_NAMESPACE || root.localName !== 'Machtigingstoestand') return undefined;
  const text = (name: string) => {
    const el = childElements(root, MANDATE_NAMESPACE, name)[0];
    return el ? collapsed(textOf(el)) : undefined;
  };
  const state = TOESTANDEN[text('Toestand') ?? ''];
  const at = text('Tijdstip');
  if (!state || !at) return undefined;
  return { state, at, reason: text('Reden'), letterName: text('NaamOpBrief'), objectionDeadline: text('Bezwaartermijn') };
}

/** The latest register answer among a process's statuses (by its own time, then by order). */
export function latestRegisterAnswer(statuses: readonly { statusdetails?: string }[]): RegisterAnswer | undefined {
  let latest: RegisterAnswer | undefined;
  for (const s of statuses) {
    const answer = parseRegisterAnswer(s.statusdetails);
    if (answer && (!latest || Date.parse(answer.at) >= Date.parse(latest.at))) latest = answer;
  }
  return latest;
}
