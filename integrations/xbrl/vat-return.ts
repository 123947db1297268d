/**
 * Aangifte omzetbelasting (OB) as XBRL: filings-xbrl.md §1.2–§1.6.
 *
 * Builder: one context `Msg` (scheme `www.belastingdienst.nl/omzetbelastingnummer`, the OB number without `NL`, the
 * tijdvak as start/end date), one EUR unit, the header, and **every** amount concept of the year, zeros included,
 * `decimals="INF"`, integer content. Validation first (OB number, header, amounts via the domain's `checkVatReturn`);
 * all problems are thrown together.
 *
 * Reader: for administrations that send a ready instance. Hardened parsing (./parse.ts), then root, schemaRef of the
 * period's year, identifier, period, every box exactly once, and the arithmetic of `checkVatReturn` (errors fatal,
 * rate warnings returned).
 */
import { ValidationError } from '../../domain/errors';
import { normalizeObNumber } from '../../domain/identifiers';
import { periodEnd, periodStart, type TaxPeriod } from '../../domain/periods';
import {
  checkVatReturn,
  TURNOVER_BOXES,
  VAT_AMOUNT_BOXES,
  VAT_BOXES,
  type ReturnBox,
  type TurnoverBox,
  type VatBox,
  type VatReturnAmounts,
} from '../../domain/vat';
import {
  checkHeader,
  headerFacts,
  MAIN_CONTEXT_ID,
  OB_SCHEME,
  openBdInstance,
  professionalAssociationContext,
  renderInstance,
  reportUnexpectedFacts,
  type ContextSpec,
  type FactSpec,
  type HeaderProfile,
  type TupleSpec,
  type XbrlHeader,
} from './header';
import { factsNamed, Problems, readWholeEuros, type XbrlFact, type XbrlInstance } from './parse';
import { vatEntryPoint, type TaxonomyEntry } from './taxonomy';

export { XbrlValidationError } from './parse';

/** The header of the OB return and the suppletie: with ContactType, the VAT message reference (§1.3). */
export const OB_HEADER: HeaderProfile = Object.freeze({
  contactType: true,
  messageReferenceConcept: 'MessageReferenceSupplierVAT',
  instancesName: 'OB instances',
});

/** 5d, the small-entrepreneur reduction: a concept of NT14/NT15 (2020/2021) only, absent from NT16+ (§1.4 [V]). */
export const SMALL_ENTREPRENEUR_CONCEPT = 'SmallEntrepreneurProvisionReduction';

/** Whether the year's OB entry point has box 5d. NT12 (2018) is [I]: the reference shows 5d only for NT14/NT15. */
export function hasSmallEntrepreneurBox(entry: TaxonomyEntry): boolean {
  return entry.nt === 'NT14' || entry.nt === 'NT15';
}

/** One amount fact of a return: the field name used in errors (`turnover.1a`, `vat.1a`, `5a`) and its concept. */
export interface AmountField {
  field: string;
  concept: string;
  get: (a: VatReturnAmounts) => number;
  set: (a: VatReturnAmounts, value: number) => void;
}

function isTurnoverBox(box: ReturnBox): box is TurnoverBox {
  return (TURNOVER_BOXES as readonly string[]).includes(box);
}

function isVatBox(box: ReturnBox): box is VatBox {
  return (VAT_AMOUNT_BOXES as readonly string[]).includes(box);
}

/**
 * The amount facts of a return in box order (1a turnover, 1a VAT, 1b …, 4b VAT, 5a, 5b, 5g), from the domain's
 * `VAT_BOXES` table. `with5g: false` leaves out `ValueAddedTaxOwedToBePaidBack` (the suppletie has its own 5g, §3).
 */
export function returnAmountFields(options: { with5g: boolean }): AmountField[] {
  const fields: AmountField[] = [];
  for (const box of Object.keys(VAT_BOXES) as ReturnBox[]) {
    const def = VAT_BOXES[box];
    if (isTurnoverBox(box) && def.turnoverConcept) {
      fields.push({
        field: `turnover.${box}`,
        concept: def.turnoverConcept,
        get: (a) => a.turnover[box],
        set: (a, v) => {
          a.turnover[box] = v;
        },
      });
    }
    if (isVatBox(box) && def.vatConcept) {
      fields.push({
        field: `vat.${box}`,
        concept: def.vatConcept,
        get: (a) => a.vat[box],
        set: (a, v) => {
          a.vat[box] = v;
        },
      });
    }
    if ((box === '5a' || box === '5b' || (box === '5g' && options.with5g)) && def.vatConcept) {
      fields.push({
        field: box,
        concept: def.vatConcept,
        get: (a) => a[box],
        set: (a, v) => {
          a[box] = v;
        },
      });
    }
  }
  return fields;
}

/** An empty amounts record to fill while reading. */
export function emptyAmounts(): VatReturnAmounts {
  return {
    turnover: {} as Record<TurnoverBox, number>,
    vat: {} as Record<VatBox, number>,
    '5a': undefined as unknown as number,
    '5b': undefined as unknown as number,
    '5g': undefined as unknown as number,
  };
}

/** Monetary facts for `fields` in the main context. */
export function amountFacts(amounts: VatReturnAmounts, fields: AmountField[], contextRef: string): FactSpec[] {
  return fields.map((f) => ({ name: `bd-i:${f.concept}`, contextRef, value: String(f.get(amounts)), euros: true }));
}

/**
 * Reads one monetary fact per concept: present exactly once, in the main context, whole euros with `decimals="INF"`
 * and the EUR unit. Returns the value (undefined when missing or unusable; the problem is recorded under `field`).
 */
export function readAmountFact(
  instance: XbrlInstance,
  namespace: string,
  concept: string,
  field: string,
  mainContextId: string | undefined,
  problems: Problems,
  consumed: Set<XbrlFact>,
): number | undefined {
  const facts = factsNamed(instance, namespace, concept).filter((f) => !f.tuple);
  facts.forEach((f) => consumed.add(f));
  if (facts.length === 0) {
    problems.add(field, `${field} (${concept}) is missing; every box must be present, 0 when empty`);
    return undefined;
  }
  if (facts.length > 1) problems.add(field, `${field} (${concept}) appears ${facts.length} times; it must appear once`);
  if (mainContextId !== undefined && facts[0].contextRef !== mainContextId) {
    problems.add(field, `${field} (${concept}) must be in the main context ${mainContextId}`);
  }
  return readWholeEuros(instance, facts[0], field, problems);
}

/**
 * Runs the domain's arithmetic check on what was read. Errors for a box that could not be read (already reported with
 * its concept name) or that already has a problem are not repeated. Returns the warnings.
 */
export function checkArithmetic(amounts: VatReturnAmounts, problems: Problems): string[] {
  const fields = new Map(returnAmountFields({ with5g: true }).map((f) => [f.field, f]));
  const check = checkVatReturn(amounts);
  for (const error of check.errors) {
    const field = fields.get(error.field);
    const unread = field !== undefined && field.get(amounts) === undefined;
    if (!unread && !problems.has(error.field)) problems.push(error);
  }
  return check.warnings;
}

/** The member's own OB number of a fiscal unity, normalised; problems are named `fiscalEntityDivision`. */
export function normalizeFiscalEntityDivision(input: string | undefined, problems: Problems): string | undefined {
  if (input === undefined) return undefined;
  try {
    return normalizeObNumber(input);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    problems.add('fiscalEntityDivision', `fiscalEntityDivision: ${error.message}`);
    return undefined;
  }
}

/** The main context and, in NT20 with a professional association, its typed-dimension context. */
export function bdContexts(entry: TaxonomyEntry, obNumber: string, period: TaxPeriod, header: XbrlHeader): ContextSpec[] {
  const main: ContextSpec = {
    id: MAIN_CONTEXT_ID,
    scheme: OB_SCHEME,
    identifier: obNumber,
    startDate: periodStart(period),
    endDate: periodEnd(period),
  };
  const dimensional = entry.namespaces['bd-axes'] !== undefined;
  return dimensional && header.professionalAssociation !== undefined ? [main, professionalAssociationContext(main)] : [main];
}

export interface VatReturnInput {
  /** The OB number (omzetbelastingnummer), with or without `NL`; written without. Not the btw-id of a sole trader. */
  obNumber: string;
  period: TaxPeriod;
  /** Whole euros, every box, 5a and 5g reconciling (`roundVatReturn` produces this). */
  amounts: VatReturnAmounts;
  header: XbrlHeader;
  /** For a member of a fiscale eenheid: the member's own OB number (`obNumber` is then the unity's). */
  fiscalEntityDivision?: string;
}

/** Validates the parts every OB-style builder shares; returns the normalised OB number and the entry point. */
export function validateBdInput(
  input: { obNumber: string; period: TaxPeriod; header: XbrlHeader },
  entryPoint: (year: number) => TaxonomyEntry,
  problems: Problems,
): { obNumber?: string; entry?: TaxonomyEntry } {
  const obNumber = problems.attempt(() => normalizeObNumber(input.obNumber));
  const start = problems.attempt(() => periodStart(input.period));
  const entry = start === undefined ? undefined : problems.attempt(() => entryPoint(input.period.year));
  for (const e of checkHeader(input.header)) problems.push(e);
  return { obNumber, entry };
}

/**
 * The complete OB instance (§1.6). Throws `XbrlValidationError` (a `ValidationError`; `errors` lists every problem,
 * each naming its field or box) when the OB number, period, header or amounts are not valid. Same input, same bytes.
 */
export function buildVatReturnInstance(input: VatReturnInput): string {
  const problems = new Problems();
  const { obNumber, entry } = validateBdInput(input, vatEntryPoint, problems);
  for (const e of checkVatReturn(input.amounts).errors) problems.push(e);
  const fiscalEntityDivision = normalizeFiscalEntityDivision(input.fiscalEntityDivision, problems);
  problems.throwIfAny();
  if (obNumber === undefined || entry === undefined) throw new Error('unreachable: validated above');

  const dimensional = entry.namespaces['bd-axes'] !== undefined;
  const facts: (FactSpec | TupleSpec)[] = [
    ...headerFacts(input.header, { profile: OB_HEADER, contextRef: MAIN_CONTEXT_ID, dimensional, fiscalEntityDivision }),
  ];
  const amounts = amountFacts(input.amounts, returnAmountFields({ with5g: true }), MAIN_CONTEXT_ID);
  if (hasSmallEntrepreneurBox(entry)) {
    // 5d sits before 5g, as on the form; VatReturnAmounts has no 5d: always 0 (5g = 5a − 5b).
    const at = amounts.length - 1;
    amounts.splice(at, 0, { name: `bd-i:${SMALL_ENTREPRENEUR_CONCEPT}`, contextRef: MAIN_CONTEXT_ID, value: '0', euros: true });
  }
  facts.push(...amounts);
  return renderInstance(entry, bdContexts(entry, obNumber, input.period, input.header), facts);
}

export interface ReadVatReturnResult {
  amounts: VatReturnAmounts;
  header: Partial<XbrlHeader>;
  /** Not blocking: rate mismatches, header format problems, more than one professional association. */
  warnings: string[];
  fiscalEntityDivision?: string;
}

/**
 * Reads and checks a ready OB instance against the expected OB number and period. Throws `XbrlValidationError` with
 * every problem found (fields: `xml`, `xbrl`, `schemaRef`, `obNumber`, `period`, `context`, the boxes `turnover.1a` …
 * `5g`, `5d`, or the name of an unexpected concept).
 */
export function readVatReturnInstance(xml: string, expected: { obNumber: string; period: TaxPeriod }): ReadVatReturnResult {
  const obNumber = normalizeObNumber(expected.obNumber);
  const entry = vatEntryPoint(expected.period.year);
  const opened = openBdInstance(xml, { header: OB_HEADER, entry, obNumber, period: expected.period });
  const { instance, problems, warnings, mainContextId, header } = opened;
  const bd = entry.namespaces['bd-i'];
  const consumed = new Set(header.consumed);

  const amounts = emptyAmounts();
  for (const f of returnAmountFields({ with5g: true })) {
    const value = readAmountFact(instance, bd, f.concept, f.field, mainContextId, problems, consumed);
    if (value !== undefined) f.set(amounts, value);
  }
  if (hasSmallEntrepreneurBox(entry)) {
    const reduction = readAmountFact(instance, bd, SMALL_ENTREPRENEUR_CONCEPT, '5d', mainContextId, problems, consumed);
    if (reduction !== undefined && reduction !== 0) {
      // Its sign convention (5g = 5c − 5d, or 5d stored negative) is not settled in the reference, and the domain's
      // return has no 5d: refuse rather than guess.
      problems.add('5d', `5d (small-entrepreneur reduction) is ${reduction}; only 0 is supported`);
    }
  }
  warnings.push(...checkArithmetic(amounts, problems));
  reportUnexpectedFacts(instance, consumed, problems);
  problems.throwIfAny();
  return {
    amounts,
    header: header.header,
    warnings,
    ...(header.fiscalEntityDivision !== undefined ? { fiscalEntityDivision: header.fiscalEntityDivision } : {}),
  };
}
