import { childElements, parseXmlDocument } from '../integrations/xml/safe-xml';
import { MANDATE_BERICHTSOORT_SPECS, isMandateBerichtsoort, mandatePayloadProblems } from './mandates';
import type { Receiver } from './plans';
import { VIA_BERICHTSOORT_SPECS, isViaBerichtsoort, viaPayloadProblems } from './via';

/**
 * The message types the simulated Digipoort knows, with their receiving party and what a well-formed XBRL payload
 * looks like. The KvK berichtsoort name for classic XBRL deposits is not public (filings-xbrl.md §9 item 2); the
 * simulator and the product use `jaarverantwoording_kvk` as a provisional name.
 */
export interface BerichtsoortSpec {
  receiver: Receiver;
  /** The schemaRef href must be an entry point of this family. */
  entryPoint: RegExp;
  /** The XBRL context identifier scheme and what the identifier must equal. */
  identifierScheme: string;
  /** identiteitBelanghebbende types accepted for it. */
  identityTypes: string[];
}

export const BERICHTSOORTEN: Record<string, BerichtsoortSpec> = {
  Omzetbelasting: {
    receiver: 'belastingdienst',
    entryPoint: /^http:\/\/www\.nltaxonomie\.nl\/nt\d\d\/bd\/\d{8}\/entrypoints\/bd-rpt-ob-aangifte-\d{4}\.xsd$/,
    identifierScheme: 'www.belastingdienst.nl/omzetbelastingnummer',
    identityTypes: ['Fi', 'BTW'],
  },
  OBSUP: {
    receiver: 'belastingdienst',
    entryPoint: /^http:\/\/www\.nltaxonomie\.nl\/nt\d\d\/bd\/\d{8}\/entrypoints\/bd-rpt-ob-suppletie-\d{4}\.xsd$/,
    identifierScheme: 'www.belastingdienst.nl/omzetbelastingnummer',
    identityTypes: ['Fi', 'BTW'],
  },
  ICP: {
    receiver: 'belastingdienst',
    entryPoint: /^http:\/\/www\.nltaxonomie\.nl\/nt\d\d\/bd\/\d{8}\/entrypoints\/bd-rpt-icp-opgaaf-\d{4}\.xsd$/,
    identifierScheme: 'www.belastingdienst.nl/omzetbelastingnummer',
    identityTypes: ['Fi', 'BTW'],
  },
  jaarverantwoording_kvk: {
    receiver: 'kvk',
    entryPoint: /^http:\/\/www\.nltaxonomie\.nl\/nt\d\d\/kvk\/\d{8}\/entrypoints\/kvk-rpt-jaarverantwoording-\d{4}-[a-z-]+\.xsd$/,
    identifierScheme: 'http://www.kvk.nl/kvk-id',
    identityTypes: ['KvK'],
  },
  // Mandate messages (provisional format): not XBRL; simulator/mandates.ts reads them.
  ...MANDATE_BERICHTSOORT_SPECS,
  // VIA requests (provisional format): not XBRL; simulator/via.ts reads them.
  ...VIA_BERICHTSOORT_SPECS,
};

/** The receiving parties' identities in aanleverResponse.identiteitOntvanger. */
export const RECEIVER_IDENTITIES: Record<Receiver, { nummer: string; type: string }> = {
  // The Belastingdienst OIN seen in captured responses.
  belastingdienst: { nummer: '00000002003214394002', type: 'OIN' },
  // KvK's real OIN is not in our references: a test OIN (prefix 00000099) stands in for it.
  kvk: { nummer: '00000099000000000041', type: 'OIN' },
};

const XBRLI = 'http://www.xbrl.org/2003/instance';
const LINK = 'http://www.xbrl.org/2003/linkbase';
const XLINK = 'http://www.w3.org/1999/xlink';

/** Problems that make the payload not well-formed XBRL for its berichtsoort (→ 311 with VAS500). */
export function payloadProblems(berichtsoort: string, belanghebbende: string, payload: Buffer): string[] {
  if (isMandateBerichtsoort(berichtsoort)) return mandatePayloadProblems(berichtsoort, belanghebbende, payload);
  if (isViaBerichtsoort(berichtsoort)) return viaPayloadProblems(berichtsoort, belanghebbende, payload);
  const spec = BERICHTSOORTEN[berichtsoort];
  if (!spec) return [`Berichtsoort ${berichtsoort} is onbekend.`];
  let doc: Document;
  try {
    doc = parseXmlDocument(payload.toString('utf8'), 25 * 1024 * 1024);
  } catch (err) {
    return [`Het bericht is geen goedgevormde XML: ${(err as Error).message}`];
  }
  const root = doc.documentElement;
  if (root.namespaceURI !== XBRLI || root.localName !== 'xbrl') return ['Het bericht is geen XBRL-instance (xbrli:xbrl ontbreekt).'];
  const problems: string[] = [];
  const schemaRefs = childElements(root, LINK, 'schemaRef');
  if (schemaRefs.length !== 1) problems.push(`Er moet precies één link:schemaRef zijn, gevonden: ${schemaRefs.length}.`);
  const href = schemaRefs[0]?.getAttributeNS(XLINK, 'href') ?? '';
  if (schemaRefs.length === 1 && !spec.entryPoint.test(href)) {
    problems.push(`Het entrypoint ${href || '(leeg)'} hoort niet bij berichtsoort ${berichtsoort}.`);
  }
  const contexts = childElements(root, XBRLI, 'context');
  if (contexts.length === 0) problems.push('De instance bevat geen context.');
  const contextIds = new Set<string>();
  for (const context of contexts) {
    contextIds.add(context.getAttribute('id') ?? '');
    const identifier = childElements(childElements(context, XBRLI, 'entity')[0] ?? context, XBRLI, 'identifier')[0];
    if (!identifier) {
      problems.push(`Context ${context.getAttribute('id')} heeft geen entity identifier.`);
      continue;
    }
    if (identifier.getAttribute('scheme') !== spec.identifierScheme) {
      problems.push(`Context ${context.getAttribute('id')}: identifier scheme moet ${spec.identifierScheme} zijn.`);
    }
    const value = (identifier.textContent ?? '').trim();
    if (value !== belanghebbende) {
      problems.push(`De identificatie in het bericht (${value}) wijkt af van de belanghebbende (${belanghebbende}).`);
    }
  }
  const units = new Set(childElements(root, XBRLI, 'unit').map((u) => u.getAttribute('id') ?? ''));
  const facts = childElements(root).filter((el) => el.namespaceURI !== XBRLI && el.namespaceURI !== LINK);
  if (facts.length === 0) problems.push('De instance bevat geen feiten.');
  const checkFact = (fact: Element) => {
    // xmldom answers '' for a missing attribute: ask whether it is there.
    const contextRef = fact.hasAttribute('contextRef') ? fact.getAttribute('contextRef')! : null;
    if (contextRef === null) {
      for (const child of childElements(fact)) checkFact(child); // tuple
      return;
    }
    if (!contextIds.has(contextRef)) problems.push(`Feit ${fact.localName} verwijst naar onbekende context ${contextRef}.`);
    const unitRef = fact.hasAttribute('unitRef') ? fact.getAttribute('unitRef') : null;
    if (unitRef !== null && !units.has(unitRef)) problems.push(`Feit ${fact.localName} verwijst naar onbekende unit ${unitRef}.`);
  };
  facts.forEach(checkFact);
  return problems.slice(0, 50);
}

/**
 * What a KvK deposit states about itself: the financial year (end of the current reporting period) and whether it is a
 * resubmission. Null when the payload does not say (then payloadProblems has already refused it).
 */
export function kvkDepositFacts(payload: Buffer): { financialYear: number; resubmission: boolean } | null {
  let doc: Document;
  try {
    doc = parseXmlDocument(payload.toString('utf8'), 25 * 1024 * 1024);
  } catch {
    return null;
  }
  const facts = childElements(doc.documentElement);
  const text = (name: string) => facts.find((el) => el.localName === name)?.textContent?.trim();
  const end = text('FinancialReportingPeriodCurrentEndDate');
  if (!end || !/^\d{4}-\d{2}-\d{2}$/.test(end)) return null;
  return { financialYear: Number(end.slice(0, 4)), resubmission: text('DocumentResubmissionDueToUnsurmountableInaccuracies') === 'Ja' };
}
