/**
 * The sender header of Belastingdienst instances (filings-xbrl.md §1.3) and the small instance writer shared by the OB,
 * suppletie, ICP and KvK builders.
 *
 * The header is an input, clock included (`dateTimeCreation`): builders run in deterministic workflow code and never
 * read the time themselves. Every text value goes through `xmlText`, which refuses characters XML cannot carry and
 * escapes the rest; the same input always gives the same bytes.
 */
import { ValidationError } from '../../domain/errors';
import { isValidBeconNumber, isValidObNumber } from '../../domain/identifiers';
import { isValidIsoDate, periodEnd, periodStart, type TaxPeriod } from '../../domain/periods';
import { escapeXml } from '../xml/safe-xml';
import {
  checkContexts,
  checkSchemaRef,
  factsNamed,
  parseXml,
  Problems,
  readXbrlInstance,
  type XbrlContext,
  type XbrlFact,
  type XbrlInstance,
} from './parse';
import type { TaxonomyEntry } from './taxonomy';

/** Entity identifier scheme of every Belastingdienst context: literally this, **no** `http://` (§1.2 [V]). */
export const OB_SCHEME = 'www.belastingdienst.nl/omzetbelastingnummer';
/** Id of the main context (free text; the Belastingdienst example uses `Msg`). */
export const MAIN_CONTEXT_ID = 'Msg';

export interface XbrlHeader {
  /** BPL = the taxpayer files; INT = an intermediary files (§1.3 [V]). Not written in an ICP instance (§2). */
  contactType: 'BPL' | 'INT';
  /** ≤ 10 characters. */
  contactInitials: string;
  /** Tussenvoegsel, ≤ 10 characters; left out when not given. */
  contactPrefix?: string;
  /** ≤ 200 characters. */
  contactSurname: string;
  /** ≤ 14 characters: digits, optionally after one leading `+`. */
  contactTelephoneNumber: string;
  /** Beconnummer (five or six digits), required when `contactType` is INT [I]. */
  taxConsultantNumber?: string;
  /** Sender's own reference, ≤ 20 characters: `MessageReferenceSupplierVAT` (OB, suppletie) or `…ICP` (ICP). */
  messageReference: string;
  /** ≤ 30 characters. */
  softwarePackageName: string;
  /** ≤ 20 characters. */
  softwarePackageVersion: string;
  /** `SWO` + five digits: the software developer number issued by the Belastingdienst. */
  softwareVendorAccountNumber: string;
  /** Name of the tax advisers' professional association (NBA, RB, …), ≤ 20 characters [I length]. */
  professionalAssociation?: string;
  /** `YYYYMMDDhhmm`, 12 digits: when the message was made (an input: no clock is read here). */
  dateTimeCreation: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Text values
// ---------------------------------------------------------------------------------------------------------------

/**
 * Whether a single-line text value holds a character it must not: C0/C1 controls, DEL, U+FFFE/U+FFFF, or a lone
 * surrogate (XML 1.0 cannot carry most of these; the rest have no place in a name or reference).
 */
function hasForbiddenChar(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f) || c === 0xfffe || c === 0xffff) return true;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return true;
    }
  }
  return false;
}

/** Length in Unicode code points, as XML Schema's maxLength counts. */
export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * Checks a single-line text value: a string, not blank, no surrounding spaces, no control characters, at most `max`
 * code points. Returns the problem, or undefined.
 */
export function checkText(value: unknown, field: string, max: number): ValidationError | undefined {
  if (typeof value !== 'string' || value.trim() === '') return new ValidationError(field, `${field} is required`);
  if (value !== value.trim()) return new ValidationError(field, `${field} must not start or end with spaces`);
  if (hasForbiddenChar(value)) return new ValidationError(field, `${field} contains a control or otherwise invalid character`);
  const length = codePointLength(value);
  if (length > max) return new ValidationError(field, `${field} is ${length} characters; at most ${max} are allowed`);
  return undefined;
}

/** Escaped text content for an element or attribute (after `checkText`): `<`, `>`, `&`, `"`, `'`. */
export function xmlText(value: string): string {
  if (hasForbiddenChar(value)) throw new ValidationError('xml', 'a value contains a character XML cannot carry');
  return escapeXml(value);
}

// ---------------------------------------------------------------------------------------------------------------
// Header check
// ---------------------------------------------------------------------------------------------------------------

/** Header limits of §1.3 (NT12 datatypes; later NTs may differ slightly [I]). */
export const HEADER_LIMITS = {
  contactInitials: 10,
  contactPrefix: 10,
  contactSurname: 200,
  contactTelephoneNumber: 14,
  messageReference: 20,
  softwarePackageName: 30,
  softwarePackageVersion: 20,
  /** [I]: Odoo truncates to 20; not confirmed in the taxonomy. */
  professionalAssociation: 20,
} as const;

const TELEPHONE = /^(?:\+\d{1,13}|\d{1,14})$/;
const SWO = /^SWO\d{5}$/;

/** Whether `text` is `YYYYMMDDhhmm` with a real calendar date and a time 00:00–23:59. */
export function isValidDateTimeCreation(text: string): boolean {
  const match = typeof text === 'string' ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text) : null;
  if (!match) return false;
  return isValidIsoDate(`${match[1]}-${match[2]}-${match[3]}`) && Number(match[4]) <= 23 && Number(match[5]) <= 59;
}

/**
 * Checks a header (§1.3): lengths, telephone (≤ 14, digits after an optional leading +), Beconnummer (required and five
 * or six digits when INT; checked when given), `SWO` + five digits, `YYYYMMDDhhmm`. Fields are named `header.<key>`.
 * Never throws.
 */
export function checkHeader(h: XbrlHeader): ValidationError[] {
  const errors: ValidationError[] = [];
  if (h === null || typeof h !== 'object') return [new ValidationError('header', 'the header is required')];
  const push = (e: ValidationError | undefined) => {
    if (e) errors.push(e);
  };
  if (h.contactType !== 'BPL' && h.contactType !== 'INT') {
    errors.push(new ValidationError('header.contactType', 'header.contactType must be BPL (the taxpayer) or INT (an intermediary)'));
  }
  push(checkText(h.contactInitials, 'header.contactInitials', HEADER_LIMITS.contactInitials));
  if (h.contactPrefix !== undefined) push(checkText(h.contactPrefix, 'header.contactPrefix', HEADER_LIMITS.contactPrefix));
  push(checkText(h.contactSurname, 'header.contactSurname', HEADER_LIMITS.contactSurname));
  if (typeof h.contactTelephoneNumber !== 'string' || !TELEPHONE.test(h.contactTelephoneNumber)) {
    errors.push(
      new ValidationError(
        'header.contactTelephoneNumber',
        'header.contactTelephoneNumber must be at most 14 characters: digits, optionally after one leading + (no spaces or dashes)',
      ),
    );
  }
  if (h.taxConsultantNumber !== undefined && !isValidBeconNumber(h.taxConsultantNumber)) {
    errors.push(new ValidationError('header.taxConsultantNumber', 'header.taxConsultantNumber (Beconnummer) must be five or six digits'));
  } else if (h.taxConsultantNumber === undefined && h.contactType === 'INT') {
    errors.push(
      new ValidationError(
        'header.taxConsultantNumber',
        'header.taxConsultantNumber (Beconnummer) is required when an intermediary (INT) files',
      ),
    );
  }
  push(checkText(h.messageReference, 'header.messageReference', HEADER_LIMITS.messageReference));
  push(checkText(h.softwarePackageName, 'header.softwarePackageName', HEADER_LIMITS.softwarePackageName));
  push(checkText(h.softwarePackageVersion, 'header.softwarePackageVersion', HEADER_LIMITS.softwarePackageVersion));
  if (typeof h.softwareVendorAccountNumber !== 'string' || !SWO.test(h.softwareVendorAccountNumber)) {
    errors.push(
      new ValidationError('header.softwareVendorAccountNumber', 'header.softwareVendorAccountNumber must be SWO followed by five digits'),
    );
  }
  if (h.professionalAssociation !== undefined) {
    push(checkText(h.professionalAssociation, 'header.professionalAssociation', HEADER_LIMITS.professionalAssociation));
  }
  if (!isValidDateTimeCreation(h.dateTimeCreation)) {
    errors.push(
      new ValidationError('header.dateTimeCreation', 'header.dateTimeCreation must be YYYYMMDDhhmm (12 digits, a real date and time)'),
    );
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------------------------
// Instance writer
// ---------------------------------------------------------------------------------------------------------------

export interface TypedMemberSpec {
  /** Prefixed dimension name as declared by the entry's namespaces (`bd-axes:VATNumberDimension`). */
  dimension: string;
  /** Prefixed typed-domain element (`bd-domains:VATNumberDomain`). */
  domain: string;
  value: string;
}

export interface ContextSpec {
  id: string;
  scheme: string;
  identifier: string;
  startDate: string;
  endDate: string;
  typedMembers?: TypedMemberSpec[];
}

export interface FactSpec {
  /** Prefixed concept name (`bd-i:ValueAddedTaxOwed`). */
  name: string;
  contextRef: string;
  value: string;
  /** Monetary in whole euros: `decimals="INF"` and `unitRef="EUR"`. */
  euros?: boolean;
}

export interface TupleSpec {
  tuple: string;
  facts: FactSpec[];
}

/** The single unit id every builder here uses. */
export const EURO_UNIT_ID = 'EUR';

function renderFact(f: FactSpec, indent: string): string {
  const numeric = f.euros ? ` decimals="INF"` : '';
  const unit = f.euros ? ` unitRef="${EURO_UNIT_ID}"` : '';
  return `${indent}<${f.name}${numeric} contextRef="${xmlText(f.contextRef)}"${unit}>${xmlText(f.value)}</${f.name}>`;
}

function renderContext(c: ContextSpec): string[] {
  const lines = [
    `  <xbrli:context id="${xmlText(c.id)}">`,
    '    <xbrli:entity>',
    `      <xbrli:identifier scheme="${xmlText(c.scheme)}">${xmlText(c.identifier)}</xbrli:identifier>`,
    '    </xbrli:entity>',
    '    <xbrli:period>',
    `      <xbrli:startDate>${xmlText(c.startDate)}</xbrli:startDate>`,
    `      <xbrli:endDate>${xmlText(c.endDate)}</xbrli:endDate>`,
    '    </xbrli:period>',
  ];
  if (c.typedMembers && c.typedMembers.length > 0) {
    lines.push('    <xbrli:scenario>');
    for (const m of c.typedMembers) {
      lines.push(
        `      <xbrldi:typedMember dimension="${m.dimension}">`,
        `        <${m.domain}>${xmlText(m.value)}</${m.domain}>`,
        '      </xbrldi:typedMember>',
      );
    }
    lines.push('    </xbrli:scenario>');
  }
  lines.push('  </xbrli:context>');
  return lines;
}

/**
 * Writes a complete instance: XML declaration, `xbrli:xbrl` with `xml:lang="nl"` and the entry's namespaces, the
 * schemaRef, the contexts, one EUR unit, then the facts and tuples in the order given. Two-space indentation, LF line
 * ends, a final newline.
 */
export function renderInstance(entry: TaxonomyEntry, contexts: ContextSpec[], facts: (FactSpec | TupleSpec)[]): string {
  const declarations = Object.entries(entry.namespaces)
    .map(([prefix, uri]) => ` xmlns:${prefix}="${xmlText(uri)}"`)
    .join('');
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<xbrli:xbrl xml:lang="nl"${declarations}>`,
    `  <link:schemaRef xlink:type="simple" xlink:href="${xmlText(entry.entryPoint)}"/>`,
  ];
  for (const c of contexts) lines.push(...renderContext(c));
  lines.push(`  <xbrli:unit id="${EURO_UNIT_ID}">`, '    <xbrli:measure>iso4217:EUR</xbrli:measure>', '  </xbrli:unit>');
  for (const f of facts) {
    if ('tuple' in f) {
      lines.push(`  <${f.tuple}>`, ...f.facts.map((inner) => renderFact(inner, '    ')), `  </${f.tuple}>`);
    } else {
      lines.push(renderFact(f, '  '));
    }
  }
  lines.push('</xbrli:xbrl>', '');
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Header facts (OB, suppletie, ICP)
// ---------------------------------------------------------------------------------------------------------------

/**
 * Where the headers of the Belastingdienst instances differ (§1.3, §2): each instance module declares its own
 * (`OB_HEADER` for the OB and the suppletie, `ICP_HEADER`).
 */
export interface HeaderProfile {
  /** Whether the header carries ContactType: not used in ICP instances (§2 [V ODOO19, MSBC]). */
  contactType: boolean;
  /** The concept of the sender's own reference. */
  messageReferenceConcept: string;
  /** What the instances are called in warnings. */
  instancesName: string;
}

/** The `bd-i:` concept of each header field; the message reference depends on the filing (§1.3, §2). */
function headerConcepts(profile: HeaderProfile): [keyof XbrlHeader, string][] {
  return [
    ...(profile.contactType ? ([['contactType', 'ContactType']] as [keyof XbrlHeader, string][]) : []),
    ['contactInitials', 'ContactInitials'],
    ['contactPrefix', 'ContactPrefix'],
    ['contactSurname', 'ContactSurname'],
    ['contactTelephoneNumber', 'ContactTelephoneNumber'],
    ['taxConsultantNumber', 'TaxConsultantNumber'],
    ['dateTimeCreation', 'DateTimeCreation'],
    ['messageReference', profile.messageReferenceConcept],
    ['softwarePackageName', 'SoftwarePackageName'],
    ['softwarePackageVersion', 'SoftwarePackageVersion'],
    ['softwareVendorAccountNumber', 'SoftwareVendorAccountNumber'],
  ];
}

export const FISCAL_ENTITY_DIVISION_CONCEPT = 'VATIdentificationNumberNLFiscalEntityDivision';
export const PROFESSIONAL_ASSOCIATION_CONCEPT = 'ProfessionalAssociationForTaxServiceProvidersName';
/** ≤ NT19: the tuple around the professional association (§1.2). */
export const PROFESSIONAL_ASSOCIATION_TUPLE = 'ProfessionalAssociationForTaxServiceProvidersSpecification';
/** NT20: the typed dimension and domain of the professional-association context (§1.2 [V ODOO-NT20]). */
export const PROFESSIONAL_ASSOCIATION_DIMENSION = 'ProfessionalAssociationSerialNumberDimension';
export const PROFESSIONAL_ASSOCIATION_DOMAIN = 'ProfessionalAssociationSerialNumberDomain';
/** Context id of the NT20 professional-association context (free text, §1.2). */
export const PROFESSIONAL_ASSOCIATION_CONTEXT_ID = 'Msg_PA1';

/**
 * The NT20 professional-association context: the main context's entity and period plus the typed member
 * `ProfessionalAssociationSerialNumberDimension` = 1 (§1.2).
 */
export function professionalAssociationContext(main: ContextSpec): ContextSpec {
  return {
    ...main,
    id: PROFESSIONAL_ASSOCIATION_CONTEXT_ID,
    typedMembers: [
      {
        dimension: `bd-axes:${PROFESSIONAL_ASSOCIATION_DIMENSION}`,
        domain: `bd-domains:${PROFESSIONAL_ASSOCIATION_DOMAIN}`,
        value: '1',
      },
    ],
  };
}

/**
 * Header facts in the order of the Belastingdienst example (contact, consultant, time, reference, software), then the
 * fiscal-unity member and the professional association: in its NT20 context (`dimensional`) or in the ≤ NT19 tuple.
 * The header must have passed `checkHeader`.
 */
export function headerFacts(
  h: XbrlHeader,
  options: { profile: HeaderProfile; contextRef: string; dimensional: boolean; fiscalEntityDivision?: string },
): (FactSpec | TupleSpec)[] {
  const facts: (FactSpec | TupleSpec)[] = [];
  for (const [key, concept] of headerConcepts(options.profile)) {
    const value = h[key];
    if (value === undefined) continue;
    facts.push({ name: `bd-i:${concept}`, contextRef: options.contextRef, value });
  }
  if (options.fiscalEntityDivision !== undefined) {
    facts.push({ name: `bd-i:${FISCAL_ENTITY_DIVISION_CONCEPT}`, contextRef: options.contextRef, value: options.fiscalEntityDivision });
  }
  if (h.professionalAssociation !== undefined) {
    if (options.dimensional) {
      facts.push({
        name: `bd-i:${PROFESSIONAL_ASSOCIATION_CONCEPT}`,
        contextRef: PROFESSIONAL_ASSOCIATION_CONTEXT_ID,
        value: h.professionalAssociation,
      });
    } else {
      facts.push({
        tuple: `bd-t:${PROFESSIONAL_ASSOCIATION_TUPLE}`,
        facts: [{ name: `bd-i:${PROFESSIONAL_ASSOCIATION_CONCEPT}`, contextRef: options.contextRef, value: h.professionalAssociation }],
      });
    }
  }
  return facts;
}

// ---------------------------------------------------------------------------------------------------------------
// Header reading
// ---------------------------------------------------------------------------------------------------------------

export interface ReadHeaderResult {
  header: Partial<XbrlHeader>;
  fiscalEntityDivision?: string;
  /** The facts (and tuples' facts) consumed as header: the caller flags whatever else it does not know. */
  consumed: Set<XbrlFact>;
  /** Ids of professional-association contexts (NT20), which carry no other facts. */
  professionalAssociationContexts: Set<string>;
}

/** Whether a context is the NT20 professional-association context (exactly that one typed member). */
export function isProfessionalAssociationContext(context: XbrlContext, axesNamespace: string | undefined): boolean {
  return (
    axesNamespace !== undefined &&
    !context.otherDimensionalContent &&
    context.typedMembers.length === 1 &&
    context.typedMembers[0].dimension.namespace === axesNamespace &&
    context.typedMembers[0].dimension.localName === PROFESSIONAL_ASSOCIATION_DIMENSION
  );
}

/**
 * Reads the header facts of the main context. Duplicates and header facts in another context are problems (field
 * `header.<key>`); format problems of the values (`checkHeader`) are returned as warnings, because a reader's caller
 * may well send its own header.
 */
export function readHeader(
  instance: XbrlInstance,
  options: { profile: HeaderProfile; entry: TaxonomyEntry; mainContextId: string | undefined },
  problems: Problems,
  warnings: string[],
): ReadHeaderResult {
  const bd = options.entry.namespaces['bd-i'];
  const result: ReadHeaderResult = { header: {}, consumed: new Set(), professionalAssociationContexts: new Set() };
  const single = (concept: string, field: string): string | undefined => {
    const facts = factsNamed(instance, bd, concept).filter((f) => !f.tuple);
    facts.forEach((f) => result.consumed.add(f));
    if (facts.length === 0) return undefined;
    if (facts.length > 1) problems.add(field, `${field} (${concept}) appears ${facts.length} times`);
    if (options.mainContextId !== undefined && facts[0].contextRef !== options.mainContextId) {
      problems.add(field, `${field} (${concept}) must be in the main context ${options.mainContextId}`);
    }
    return facts[0].value;
  };
  for (const [key, concept] of headerConcepts(options.profile)) {
    const value = single(concept, `header.${key}`);
    if (value !== undefined) (result.header as Record<string, string>)[key] = value;
  }
  result.fiscalEntityDivision = single(FISCAL_ENTITY_DIVISION_CONCEPT, 'fiscalEntityDivision');
  if (!options.profile.contactType && single('ContactType', 'header.contactType') !== undefined) {
    // Not used in the ICP instances seen (§2); whether the ICP entry point allows it is not known [I]: tolerated.
    warnings.push(`header: ContactType is not used in ${options.profile.instancesName}; it is ignored`);
  }

  // Professional association: NT20 typed-dimension context, or the ≤ NT19 tuple in the main context.
  const axes = options.entry.namespaces['bd-axes'];
  const tuples = options.entry.namespaces['bd-t'];
  const names: string[] = [];
  for (const fact of factsNamed(instance, bd, PROFESSIONAL_ASSOCIATION_CONCEPT)) {
    const context = fact.contextRef === undefined ? undefined : instance.contexts.get(fact.contextRef);
    const inTuple =
      fact.tuple !== undefined && fact.tuple.namespace === tuples && fact.tuple.localName === PROFESSIONAL_ASSOCIATION_TUPLE;
    if (axes !== undefined && !fact.tuple && context && isProfessionalAssociationContext(context, axes)) {
      result.professionalAssociationContexts.add(context.id);
    } else if (!(inTuple && fact.contextRef === options.mainContextId)) {
      continue; // left unconsumed: the caller reports it as unexpected
    }
    result.consumed.add(fact);
    names.push(fact.value);
  }
  if (names.length > 0) result.header.professionalAssociation = names[0];
  if (names.length > 1) warnings.push(`${names.length} professional associations are given; only the first is returned`);

  const partial = result.header as XbrlHeader;
  for (const e of checkHeader(partial)) {
    const key = e.field.slice('header.'.length) as keyof XbrlHeader;
    // Absent fields are not reported one by one: the instance may carry a partial header.
    if (partial[key] === undefined && key !== 'taxConsultantNumber') continue;
    if (key === 'contactType' && !options.profile.contactType) continue;
    warnings.push(`header: ${e.message}`);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading a Belastingdienst instance: the parts OB, suppletie and ICP share
// ---------------------------------------------------------------------------------------------------------------

export interface OpenedBdInstance {
  instance: XbrlInstance;
  problems: Problems;
  warnings: string[];
  /** Id of the one context without dimensions, or undefined when there is not exactly one (already a problem). */
  mainContextId?: string;
  header: ReadHeaderResult;
}

/**
 * Parses (hardened) and checks what every Belastingdienst instance shares: the root, exactly one schemaRef equal to
 * `entry.entryPoint`, every context's identifier (scheme and OB number, field `obNumber`) and period (field `period`),
 * one main context without dimensions, no contexts other than the NT20 professional-association context and those
 * `otherContext` accepts (field `context`), and the header. Parse failures throw at once; the rest is collected.
 */
export function openBdInstance(
  xml: string,
  options: {
    header: HeaderProfile;
    entry: TaxonomyEntry;
    obNumber: string;
    period: TaxPeriod;
    otherContext?: (context: XbrlContext) => boolean;
  },
): OpenedBdInstance {
  const startDate = periodStart(options.period);
  const endDate = periodEnd(options.period);
  const problems = new Problems();
  const warnings: string[] = [];
  const root = parseXml(xml);
  const instance = readXbrlInstance(root, problems);
  if (!instance) {
    problems.throwIfAny();
    throw new Error('unreachable: a missing instance is always a recorded problem');
  }
  checkSchemaRef(instance, options.entry.entryPoint, problems);
  checkContexts(
    instance,
    { scheme: OB_SCHEME, identifier: options.obNumber, identifierField: 'obNumber', startDate, endDate },
    problems,
  );
  const plain = [...instance.contexts.values()].filter((c) => c.typedMembers.length === 0 && !c.otherDimensionalContent);
  if (plain.length !== 1) {
    problems.add('context', `the instance must have exactly one context without dimensions, found ${plain.length}`);
  }
  const mainContextId = plain.length === 1 ? plain[0].id : undefined;
  const axes = options.entry.namespaces['bd-axes'];
  for (const context of instance.contexts.values()) {
    if (context.id === mainContextId || plain.includes(context)) continue;
    if (isProfessionalAssociationContext(context, axes)) {
      if (context.typedMembers[0].value !== '1') {
        const serial = context.typedMembers[0].value.slice(0, 10);
        warnings.push(`context ${context.id}: professional-association serial number ${serial}, expected 1`);
      }
      continue;
    }
    if (options.otherContext?.(context)) continue;
    problems.add('context', `context ${context.id} has dimensions or content this filing does not use`);
  }
  const header = readHeader(instance, { profile: options.header, entry: options.entry, mainContextId }, problems, warnings);
  if (header.fiscalEntityDivision !== undefined) {
    const member = header.fiscalEntityDivision;
    if (!isValidObNumber(member)) {
      problems.add(
        'fiscalEntityDivision',
        `fiscalEntityDivision ${JSON.stringify(member.slice(0, 20))} must be a valid OB number without NL (nine digits, B, two digits)`,
      );
    }
  }
  return { instance, problems, warnings, mainContextId, header };
}

/** Every fact not in `consumed` is a problem named after its concept. */
export function reportUnexpectedFacts(instance: XbrlInstance, consumed: Set<XbrlFact>, problems: Problems): void {
  for (const fact of instance.facts) {
    if (consumed.has(fact)) continue;
    const where = fact.tuple ? ` in tuple ${fact.tuple.qname}` : '';
    problems.add(fact.localName, `unexpected fact ${fact.qname}${where} ({${fact.namespace}}${fact.localName})`);
  }
}
