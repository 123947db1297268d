/**
 * KvK deposit of the annual report (jaarverantwoording, NL GAAP) for micro and small companies as NT XBRL:
 * filings-xbrl.md §5.
 *
 * What is written: the document information of §5.3 [V ARELLE + SCP 26] in one duration context for the financial
 * year (entity scheme `http://www.kvk.nl/kvk-id`, the eight-digit KvK number), `xml:lang="nl"`, the full entry-point
 * URL of §5.1, and exactly one ISO 4217 unit (BR-KVK-3.01 [V ARELLE]: exactly one `iso4217` measure in the instance,
 * even though no monetary fact is written).
 *
 * Financial figures are **not** written: the reference names no balance-sheet or income-statement concept, and the
 * taxonomy is the authority on names, periods (instant vs duration) and datatypes [I]. `figures` is refused rather
 * than dropped. Director-signature data is not an XBRL fact (§5.3 gap) and is not handled here.
 *
 * Filing rules applied to what is written (§5.2): FR-KVK-2.01 (xml:lang), 2.03 (full entry point), 5.01/5.02 (the
 * reader checks decimals of numeric facts), BR-KVK-2.04 (contexts), 3.01 (one currency measure), 4.07 (year end before
 * the filing date), 4.10 (adoption date not after the filing date), 4.12/4.16 (resubmission needs an adopted report
 * with its date), 4.17 (current + previous period under two years), 4.20 (YYYY-MM-DD). The filing date is an input:
 * no clock is read.
 */
import { ValidationError } from '../../domain/errors';
import { normalizeKvkNumber } from '../../domain/identifiers';
import { addDays, addMonths, isValidIsoDate } from '../../domain/periods';
import { checkText, renderInstance, type ContextSpec, type FactSpec } from './header';
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
import { kvkEntryPoint, XBRL_NS, type KvkSizeClass, type TaxonomyEntry } from './taxonomy';

/** Entity identifier scheme of KvK instances [V ARELLE `Constants.py`]. */
export const KVK_SCHEME = 'http://www.kvk.nl/kvk-id';
/** Id of the financial-year duration context (free text). */
const CONTEXT_ID = 'FY_current';

export interface KvkPeriod {
  /** YYYY-MM-DD */
  start: string;
  /** YYYY-MM-DD */
  end: string;
}

export interface KvkDocumentInfo {
  kvkNumber: string;
  legalEntityName: string;
  /** As text (e.g. `Besloten vennootschap`) [I: whether NT19/NT20 expect a code list value is not in the reference]. */
  legalForm: string;
  registeredOffice: string;
  financialYear: KvkPeriod;
  previousYear?: KvkPeriod;
  sizeClass: KvkSizeClass;
  /** DocumentAdoptionStatus: whether the annual accounts were adopted ("jaarrekening vastgesteld"). */
  adopted: boolean;
  /** DocumentAdoptionDate, YYYY-MM-DD: required when adopted, absent otherwise (SCP 26). */
  adoptionDate?: string;
  /** kvk-i:TitleOfTheDocument. */
  title?: string;
  /** kvk-i:DocumentResubmissionDueToUnsurmountableInaccuracies (Ja/Nee), written only when given. */
  resubmission?: boolean;
  /** Not supported: refused when it has any entry (see the file comment). */
  figures?: Record<string, number>;
}

/** Concepts of §5.3, by namespace prefix. */
const JENV = {
  kvkNumber: 'ChamberOfCommerceRegistrationNumber',
  name: 'LegalEntityName',
  legalForm: 'LegalEntityLegalForm',
  office: 'LegalEntityRegisteredOffice',
  currentStart: 'FinancialReportingPeriodCurrentStartDate',
  currentEnd: 'FinancialReportingPeriodCurrentEndDate',
  previousStart: 'FinancialReportingPeriodPreviousStartDate',
  previousEnd: 'FinancialReportingPeriodPreviousEndDate',
  adoptionStatus: 'DocumentAdoptionStatus',
  adoptionDate: 'DocumentAdoptionDate',
} as const;
const KVK = {
  resubmission: 'DocumentResubmissionDueToUnsurmountableInaccuracies',
  title: 'TitleOfTheDocument',
} as const;

/**
 * Sanity limits for the free-text facts. The reference gives no lengths; these only stop absurd input and are not
 * taxonomy limits [I].
 */
const TEXT_LIMIT = 1000;

/** The financial year whose entry point applies: the year in which the book year ends [I]. */
export function kvkFinancialYearOf(period: KvkPeriod): number {
  return Number(period.end.slice(0, 4));
}

const yesNo = (value: boolean): string => (value ? 'Ja' : 'Nee');

function checkPeriod(period: KvkPeriod | undefined, field: string, errors: ValidationError[]): boolean {
  if (period === null || typeof period !== 'object') {
    errors.push(new ValidationError(field, `${field} must have a start and an end date (YYYY-MM-DD)`));
    return false;
  }
  let ok = true;
  for (const side of ['start', 'end'] as const) {
    if (!isValidIsoDate(period[side])) {
      errors.push(new ValidationError(`${field}.${side}`, `${field}.${side} must be a calendar date YYYY-MM-DD (BR-KVK-4.20)`));
      ok = false;
    }
  }
  if (ok && period.start >= period.end) {
    errors.push(new ValidationError(field, `${field} must start before it ends (${period.start} .. ${period.end})`));
    ok = false;
  }
  return ok;
}

/**
 * Checks document information against the filing rules that apply to what is written (see the file comment).
 * Fields are the keys of `KvkDocumentInfo` (`financialYear.end`, `adoptionDate`, …) and `filingDate`. Without a
 * `filingDate` the two rules that need it (BR-KVK-4.07, 4.10) are not checked. Never throws.
 */
export function checkKvkDocumentInfo(info: KvkDocumentInfo, options: { filingDate?: string } = {}): ValidationError[] {
  const errors: ValidationError[] = [];
  if (info === null || typeof info !== 'object') return [new ValidationError('info', 'the document information is required')];
  const push = (e: ValidationError | undefined) => {
    if (e) errors.push(e);
  };
  try {
    normalizeKvkNumber(info.kvkNumber);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    errors.push(error);
  }
  push(checkText(info.legalEntityName, 'legalEntityName', TEXT_LIMIT));
  push(checkText(info.legalForm, 'legalForm', TEXT_LIMIT));
  push(checkText(info.registeredOffice, 'registeredOffice', TEXT_LIMIT));
  if (info.title !== undefined) push(checkText(info.title, 'title', TEXT_LIMIT));
  if (info.sizeClass !== 'micro' && info.sizeClass !== 'klein') {
    errors.push(new ValidationError('sizeClass', 'sizeClass must be micro or klein'));
  }
  if (typeof info.adopted !== 'boolean') errors.push(new ValidationError('adopted', 'adopted must be true or false'));
  if (info.resubmission !== undefined && typeof info.resubmission !== 'boolean') {
    errors.push(new ValidationError('resubmission', 'resubmission must be true or false when given'));
  }
  if (info.figures !== undefined && (info.figures === null || typeof info.figures !== 'object' || Object.keys(info.figures).length > 0)) {
    errors.push(
      new ValidationError(
        'figures',
        'financial figures are not written yet: their concepts, periods and datatypes must come from the NT taxonomy, ' +
          'which the reference does not give',
      ),
    );
  }

  const filingDate = options?.filingDate;
  const filingDateOk = filingDate !== undefined && isValidIsoDate(filingDate);
  if (filingDate !== undefined && !filingDateOk) {
    errors.push(new ValidationError('filingDate', 'filingDate must be a calendar date YYYY-MM-DD'));
  }
  const currentOk = checkPeriod(info.financialYear, 'financialYear', errors);
  if (currentOk && filingDateOk && !(info.financialYear.end < filingDate)) {
    errors.push(
      new ValidationError(
        'financialYear.end',
        `the financial year ends ${info.financialYear.end}, which must be before the filing date ${filingDate} (BR-KVK-4.07)`,
      ),
    );
  }
  if (info.previousYear !== undefined && checkPeriod(info.previousYear, 'previousYear', errors) && currentOk) {
    if (!(info.previousYear.end < info.financialYear.start)) {
      errors.push(new ValidationError('previousYear.end', 'the previous financial year must end before the current one starts'));
    } else if (!(info.financialYear.end < addMonths(info.previousYear.start, 24))) {
      errors.push(
        new ValidationError(
          'previousYear',
          `the previous and current financial years together (${info.previousYear.start} .. ${info.financialYear.end}) ` +
            'must be less than 2 years (BR-KVK-4.17)',
        ),
      );
    }
  }

  if (info.adopted === true) {
    if (info.adoptionDate === undefined) {
      errors.push(new ValidationError('adoptionDate', 'adoptionDate is required when the annual accounts are adopted'));
    } else if (!isValidIsoDate(info.adoptionDate)) {
      errors.push(new ValidationError('adoptionDate', 'adoptionDate must be a calendar date YYYY-MM-DD (BR-KVK-4.20)'));
    } else {
      if (filingDateOk && info.adoptionDate > filingDate) {
        errors.push(
          new ValidationError(
            'adoptionDate',
            `the adoption date ${info.adoptionDate} is after the filing date ${filingDate} (BR-KVK-4.10)`,
          ),
        );
      }
      // Not a published filing rule: accounts cannot be adopted before the year they cover has ended.
      if (currentOk && info.adoptionDate <= info.financialYear.end) {
        errors.push(
          new ValidationError(
            'adoptionDate',
            `the adoption date ${info.adoptionDate} must be after the financial year end ${info.financialYear.end}`,
          ),
        );
      }
    }
  } else if (info.adopted === false && info.adoptionDate !== undefined) {
    errors.push(new ValidationError('adoptionDate', 'adoptionDate is only given for adopted annual accounts (SCP 26)'));
  }
  if (info.resubmission === true && info.adopted !== true) {
    errors.push(
      new ValidationError(
        'resubmission',
        'a resubmission (correction) must be an adopted annual report with its adoption date (BR-KVK-4.12, 4.16)',
      ),
    );
  }
  return errors;
}

/**
 * The complete KvK instance with the document information. Throws `XbrlValidationError` naming every problem. Same
 * input, same bytes.
 */
export function buildKvkAnnualReportInstance(info: KvkDocumentInfo, options: { filingDate: string }): string {
  const problems = new Problems();
  if (options?.filingDate === undefined) {
    problems.add('filingDate', 'filingDate (YYYY-MM-DD) is required: the filing rules BR-KVK-4.07 and 4.10 need it');
  }
  for (const e of checkKvkDocumentInfo(info, { filingDate: options?.filingDate })) problems.push(e);
  const entry =
    problems.count === 0 ? problems.attempt(() => kvkEntryPoint(kvkFinancialYearOf(info.financialYear), info.sizeClass)) : undefined;
  problems.throwIfAny();
  if (entry === undefined) throw new Error('unreachable: validated above');

  const kvkNumber = normalizeKvkNumber(info.kvkNumber);
  const context: ContextSpec = {
    id: CONTEXT_ID,
    scheme: KVK_SCHEME,
    identifier: kvkNumber,
    startDate: info.financialYear.start,
    endDate: info.financialYear.end,
  };
  const jenv = (concept: string, value: string): FactSpec => ({ name: `jenv-bw2-i:${concept}`, contextRef: CONTEXT_ID, value });
  const kvk = (concept: string, value: string): FactSpec => ({ name: `kvk-i:${concept}`, contextRef: CONTEXT_ID, value });
  const facts: FactSpec[] = [
    jenv(JENV.kvkNumber, kvkNumber),
    jenv(JENV.name, info.legalEntityName),
    jenv(JENV.legalForm, info.legalForm),
    jenv(JENV.office, info.registeredOffice),
    jenv(JENV.currentStart, info.financialYear.start),
    jenv(JENV.currentEnd, info.financialYear.end),
  ];
  if (info.previousYear) facts.push(jenv(JENV.previousStart, info.previousYear.start), jenv(JENV.previousEnd, info.previousYear.end));
  facts.push(jenv(JENV.adoptionStatus, yesNo(info.adopted)));
  if (info.adopted && info.adoptionDate) facts.push(jenv(JENV.adoptionDate, info.adoptionDate));
  if (info.resubmission !== undefined) facts.push(kvk(KVK.resubmission, yesNo(info.resubmission)));
  if (info.title !== undefined) facts.push(kvk(KVK.title, info.title));
  return renderInstance(entry, [context], facts);
}

// ---------------------------------------------------------------------------------------------------------------
// Reader
// ---------------------------------------------------------------------------------------------------------------

export interface ReadKvkResult {
  /** The document information read (no `figures`). */
  info: KvkDocumentInfo;
  /** The entry point the instance uses. */
  entry: TaxonomyEntry;
  /** Facts other than the document information (the financial statements), counted, not interpreted. */
  otherFactCount: number;
  warnings: string[];
}

/** FR-KVK-5.01: allowed `decimals` of monetary facts. */
const MONETARY_DECIMALS = new Set(['INF', '-9', '-6', '-3', '0', '2']);
const LANGUAGES = new Set(['nl', 'en', 'de', 'fr']);

/**
 * Reads and checks a ready KvK instance (micro or klein entry point of the financial year) against the expected KvK
 * number, financial year and, when given, the filing date (without it BR-KVK-4.07/4.10 are not checked and a warning
 * says so). Throws `XbrlValidationError` naming every problem (`xml`, `schemaRef`, `lang`,
 * `kvkNumber`, `period`, `financialYear`, `legalEntityName`, `adoptionDate`, `resubmission`, `unit`, a concept's name
 * for FR-KVK-5.01/5.02, …).
 */
export function readKvkAnnualReportInstance(
  xml: string,
  expected: { kvkNumber: string; financialYear: KvkPeriod; filingDate?: string; sizeClass?: KvkSizeClass },
): ReadKvkResult {
  const kvkNumber = normalizeKvkNumber(expected.kvkNumber);
  const expectedErrors: ValidationError[] = [];
  if (!checkPeriod(expected.financialYear, 'financialYear', expectedErrors)) throw expectedErrors[0];
  if (expected.filingDate !== undefined && !isValidIsoDate(expected.filingDate)) {
    throw new ValidationError('filingDate', 'filingDate must be a calendar date YYYY-MM-DD');
  }
  const year = kvkFinancialYearOf(expected.financialYear);
  const candidates = (expected.sizeClass ? [expected.sizeClass] : (['micro', 'klein'] as const)).map((size) => ({
    size,
    entry: kvkEntryPoint(year, size),
  }));

  const problems = new Problems();
  const warnings: string[] = [];
  if (expected.filingDate === undefined) warnings.push('no filing date given: BR-KVK-4.07 and 4.10 were not checked');
  const instance = readXbrlInstance(parseXml(xml), problems);
  if (!instance) {
    problems.throwIfAny();
    throw new Error('unreachable: a missing instance is always a recorded problem');
  }
  const match = candidates.find((c) => instance.schemaRefs.length === 1 && instance.schemaRefs[0] === c.entry.entryPoint);
  const chosen = match ?? candidates[0];
  if (!match) {
    checkSchemaRef(instance, chosen.entry.entryPoint, problems);
    if (candidates.length > 1) problems.add('schemaRef', `accepted entry points: ${candidates.map((c) => c.entry.entryPoint).join(', ')}`);
  }
  const entry = chosen.entry;
  if (instance.lang === undefined || !LANGUAGES.has(instance.lang)) {
    problems.add('lang', `the root must have xml:lang nl, en, de or fr (FR-KVK-2.01), found ${JSON.stringify(instance.lang ?? null)}`);
  }

  const doc = readDocumentInfo(instance, entry, problems);
  const consumed = doc.consumed;

  // Document information against what is expected and against the filing rules.
  if (doc.kvkNumber !== undefined && doc.kvkNumber !== kvkNumber) {
    problems.add('kvkNumber', `ChamberOfCommerceRegistrationNumber is ${doc.kvkNumber.slice(0, 20)}, expected ${kvkNumber}`);
  }
  if (doc.currentStart !== undefined && doc.currentEnd !== undefined) {
    if (doc.currentStart !== expected.financialYear.start || doc.currentEnd !== expected.financialYear.end) {
      problems.add(
        'financialYear',
        `the reporting period is ${doc.currentStart} .. ${doc.currentEnd}, ` +
          `expected ${expected.financialYear.start} .. ${expected.financialYear.end}`,
      );
    }
  }
  const info: KvkDocumentInfo = {
    kvkNumber: doc.kvkNumber ?? '',
    legalEntityName: doc.name ?? '',
    legalForm: doc.legalForm ?? '',
    registeredOffice: doc.office ?? '',
    financialYear: { start: doc.currentStart ?? '', end: doc.currentEnd ?? '' },
    sizeClass: chosen.size,
    adopted: doc.adopted ?? false,
  };
  if (doc.previousStart !== undefined || doc.previousEnd !== undefined) {
    info.previousYear = { start: doc.previousStart ?? '', end: doc.previousEnd ?? '' };
  }
  if (doc.adoptionDate !== undefined) info.adoptionDate = doc.adoptionDate;
  if (doc.title !== undefined) info.title = doc.title;
  if (doc.resubmission !== undefined) info.resubmission = doc.resubmission;
  if (doc.complete) {
    for (const e of checkKvkDocumentInfo(info, { filingDate: expected.filingDate })) {
      if (!problems.has(e.field)) problems.push(e);
    }
  }

  // Contexts: the KvK number, and BR-KVK-2.04 periods (current/previous durations, instants at the current end and the
  // day before either start).
  const durations = [expected.financialYear, ...(info.previousYear && isValidIsoDate(info.previousYear.start) ? [info.previousYear] : [])];
  const instants = new Set([expected.financialYear.end, addDays(expected.financialYear.start, -1)]);
  if (info.previousYear && isValidIsoDate(info.previousYear.start)) instants.add(addDays(info.previousYear.start, -1));
  const allowed = (c: XbrlContext): boolean =>
    (c.instant !== undefined && instants.has(c.instant)) ||
    (c.instant === undefined && durations.some((d) => d.start === c.startDate && d.end === c.endDate));
  checkContexts(
    instance,
    {
      scheme: KVK_SCHEME,
      identifier: kvkNumber,
      identifierField: 'kvkNumber',
      startDate: expected.financialYear.start,
      endDate: expected.financialYear.end,
    },
    problems,
    allowed,
  );

  checkUnitsAndNumbers(instance, problems);
  let otherFactCount = 0;
  for (const fact of instance.facts) if (!consumed.has(fact)) otherFactCount++;
  problems.throwIfAny();
  return { info, entry, otherFactCount, warnings };
}

interface DocumentFacts {
  kvkNumber?: string;
  name?: string;
  legalForm?: string;
  office?: string;
  currentStart?: string;
  currentEnd?: string;
  previousStart?: string;
  previousEnd?: string;
  adopted?: boolean;
  adoptionDate?: string;
  title?: string;
  resubmission?: boolean;
  /** Whether every mandatory fact was found (so the cross-field rules can run). */
  complete: boolean;
  consumed: Set<XbrlFact>;
}

function readDocumentInfo(instance: XbrlInstance, entry: TaxonomyEntry, problems: Problems): DocumentFacts {
  const jenvNs = entry.namespaces['jenv-bw2-i'];
  const kvkNs = entry.namespaces['kvk-i'];
  const doc: DocumentFacts = { complete: true, consumed: new Set() };
  const read = (namespace: string, concept: string, field: string, required: boolean): string | undefined => {
    const facts = factsNamed(instance, namespace, concept);
    facts.forEach((f) => doc.consumed.add(f));
    if (facts.length === 0) {
      if (required) {
        problems.add(field, `${field} (${concept}) is missing; it is mandatory document information`);
        doc.complete = false;
      }
      return undefined;
    }
    if (facts.length > 1) problems.add(field, `${field} (${concept}) appears ${facts.length} times; it must appear once`);
    if (facts[0].nil || facts[0].value === '') {
      problems.add(field, `${field} (${concept}) is empty`);
      doc.complete = false;
      return undefined;
    }
    return facts[0].value;
  };
  const date = (concept: string, field: string, required: boolean): string | undefined => {
    const value = read(jenvNs, concept, field, required);
    if (value !== undefined && !isValidIsoDate(value)) {
      const found = JSON.stringify(value.slice(0, 30));
      problems.add(field, `${field} (${concept}) must be a calendar date YYYY-MM-DD (BR-KVK-4.20), found ${found}`);
      doc.complete = false;
      return undefined;
    }
    return value;
  };
  const yes = (namespace: string, concept: string, field: string, required: boolean): boolean | undefined => {
    const value = read(namespace, concept, field, required);
    if (value === undefined) return undefined;
    if (value !== 'Ja' && value !== 'Nee') {
      problems.add(field, `${field} (${concept}) must be Ja or Nee, found ${JSON.stringify(value.slice(0, 20))}`);
      doc.complete = false;
      return undefined;
    }
    return value === 'Ja';
  };
  doc.kvkNumber = read(jenvNs, JENV.kvkNumber, 'kvkNumber', true);
  doc.name = read(jenvNs, JENV.name, 'legalEntityName', true);
  doc.legalForm = read(jenvNs, JENV.legalForm, 'legalForm', true);
  doc.office = read(jenvNs, JENV.office, 'registeredOffice', true);
  doc.currentStart = date(JENV.currentStart, 'financialYear.start', true);
  doc.currentEnd = date(JENV.currentEnd, 'financialYear.end', true);
  doc.previousStart = date(JENV.previousStart, 'previousYear.start', false);
  doc.previousEnd = date(JENV.previousEnd, 'previousYear.end', false);
  doc.adopted = yes(jenvNs, JENV.adoptionStatus, 'adopted', true);
  doc.adoptionDate = date(JENV.adoptionDate, 'adoptionDate', false);
  doc.resubmission = yes(kvkNs, KVK.resubmission, 'resubmission', false);
  doc.title = read(kvkNs, KVK.title, 'title', false);
  if ((doc.previousStart === undefined) !== (doc.previousEnd === undefined)) {
    problems.add('previousYear', 'the previous reporting period needs both a start and an end date');
    doc.complete = false;
  }
  return doc;
}

/** BR-KVK-3.01 (exactly one ISO 4217 measure) and FR-KVK-5.01/5.02 (decimals of numeric facts). */
function checkUnitsAndNumbers(instance: XbrlInstance, problems: Problems): void {
  let currencyMeasures = 0;
  for (const unit of instance.units.values()) {
    currencyMeasures += unit.measures.filter((m) => m.namespace === XBRL_NS.iso4217).length;
  }
  if (currencyMeasures !== 1) {
    problems.add('unit', `exactly one ISO 4217 measure must appear in the instance (BR-KVK-3.01), found ${currencyMeasures}`);
  }
  for (const fact of instance.facts) {
    if (fact.unitRef === undefined) continue;
    const unit = instance.units.get(fact.unitRef);
    const monetary = unit !== undefined && unit.measures.some((m) => m.namespace === XBRL_NS.iso4217);
    if (fact.nil) continue;
    if (monetary && (fact.decimals === undefined || !MONETARY_DECIMALS.has(fact.decimals))) {
      problems.add(fact.localName, `${fact.qname}: a monetary fact needs decimals INF, -9, -6, -3, 0 or 2 (FR-KVK-5.01)`);
    } else if (!monetary && fact.decimals !== 'INF') {
      problems.add(fact.localName, `${fact.qname}: a non-monetary numeric fact needs decimals="INF" (FR-KVK-5.02)`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The financial statements, as the client reviews them
// ---------------------------------------------------------------------------------------------------------------

/** One monetary item of the annual accounts: the concept as the instance names it, this year and the year before. */
export interface KvkStatementLine {
  /** The concept's local name (`Equity`); the taxonomy's labels are not available here [I]. */
  concept: string;
  current?: number;
  previous?: number;
}

export interface KvkFinancialStatements {
  /** Instant facts: the balance sheet (at the end of the financial year, and of the year before). */
  balanceSheet: KvkStatementLine[];
  /** Duration facts: the profit and loss account (over the financial year, and the year before). */
  profitAndLoss: KvkStatementLine[];
}

/**
 * The monetary facts of a KvK instance (the facts the document information does not consume), split into the balance
 * sheet (instant contexts) and the profit and loss account (duration contexts); the latest instant or period is the
 * current year, an earlier one the previous year. Amounts are numbers as written (decimals per FR-KVK-5.01). An
 * instance built by the hub carries none (see the file comment). Throws `XbrlValidationError` on unreadable XML.
 */
export function readKvkFinancialStatements(xml: string): KvkFinancialStatements {
  const problems = new Problems();
  const instance = readXbrlInstance(parseXml(xml), problems);
  if (!instance) {
    problems.throwIfAny();
    throw new Error('unreachable: a missing instance is always a recorded problem');
  }
  const monetary = (fact: XbrlFact) => {
    const unit = fact.unitRef === undefined ? undefined : instance.units.get(fact.unitRef);
    return unit !== undefined && unit.measures.some((m) => m.namespace === XBRL_NS.iso4217);
  };
  const instants: { fact: XbrlFact; at: string }[] = [];
  const durations: { fact: XbrlFact; at: string }[] = [];
  for (const fact of instance.facts) {
    if (fact.nil || !monetary(fact) || fact.contextRef === undefined || !Number.isFinite(Number(fact.value))) continue;
    const context = instance.contexts.get(fact.contextRef);
    if (!context) continue;
    if (context.instant !== undefined) instants.push({ fact, at: context.instant });
    else if (context.endDate !== undefined) durations.push({ fact, at: context.endDate });
  }
  const lines = (facts: { fact: XbrlFact; at: string }[]): KvkStatementLine[] => {
    const latest = facts.reduce((max, f) => (f.at > max ? f.at : max), '');
    const byConcept = new Map<string, KvkStatementLine>();
    for (const { fact, at } of facts) {
      const line = byConcept.get(fact.localName) ?? { concept: fact.localName };
      line[at === latest ? 'current' : 'previous'] = Number(fact.value);
      byConcept.set(fact.localName, line);
    }
    return [...byConcept.values()];
  };
  return { balanceSheet: lines(instants), profitAndLoss: lines(durations) };
}
