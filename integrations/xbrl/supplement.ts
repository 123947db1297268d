/**
 * Suppletie omzetbelasting (digital VAT supplement, berichtsoort OBSUP) as XBRL: filings-xbrl.md §3.
 *
 * Content [V ODOO19]: the complete corrected return for the corrected tijdvak (every 1a–4b turnover/VAT box, 5a
 * `ValueAddedTaxOwed`, 5b `ValueAddedTaxOnInput`), then 5e `ValueAddedTaxAmountTotalNew`, 5f
 * `ValueAddedTaxAmountTotalOld` and 5g `ValueAddedTaxToBePaidAdditionalToBePaidBack`; **no**
 * `ValueAddedTaxOwedToBePaidBack`. The header is the aangifte's (ContactType, MessageReferenceSupplierVAT, …). The
 * context period is the period being corrected. The arithmetic is the domain's `deriveSupplement`.
 */
import { normalizeObNumber } from '../../domain/identifiers';
import type { TaxPeriod } from '../../domain/periods';
import { checkVatReturn, deriveSupplement, SUPPLEMENT_BOXES, type SupplementAmounts, type VatReturnAmounts } from '../../domain/vat';
import {
  headerFacts,
  MAIN_CONTEXT_ID,
  openBdInstance,
  renderInstance,
  reportUnexpectedFacts,
  type FactSpec,
  type TupleSpec,
  type XbrlHeader,
} from './header';
import { Problems } from './parse';
import { supplementEntryPoint } from './taxonomy';
import {
  amountFacts,
  bdContexts,
  checkArithmetic,
  emptyAmounts,
  normalizeFiscalEntityDivision,
  OB_HEADER,
  readAmountFact,
  returnAmountFields,
  validateBdInput,
} from './vat-return';

export interface SupplementInput {
  /** The OB number, with or without `NL`; written without. */
  obNumber: string;
  /** The period being corrected. */
  period: TaxPeriod;
  /** The corrected return for that period, whole euros, reconciling (its 5g becomes 5e). */
  amounts: VatReturnAmounts;
  /** What was declared for the period so far (returns and earlier supplements): 5f. */
  alreadyDeclared5g: number;
  header: XbrlHeader;
  fiscalEntityDivision?: string;
}

/** The supplement's own boxes in the order written. */
const OWN_BOXES = ['5e', '5f', '5g'] as const;

/**
 * The complete suppletie instance. Throws `XbrlValidationError` naming every problem (header, boxes of the corrected
 * return, `5f`, `period` for a year without a known suppletie entry point). Same input, same bytes.
 */
export function buildSupplementInstance(input: SupplementInput): string {
  const problems = new Problems();
  const { obNumber, entry } = validateBdInput(input, supplementEntryPoint, problems);
  const check = checkVatReturn(input.amounts);
  for (const e of check.errors) problems.push(e);
  const own = check.errors.length === 0 ? problems.attempt(() => deriveSupplement(input.amounts, input.alreadyDeclared5g)) : undefined;
  const fiscalEntityDivision = normalizeFiscalEntityDivision(input.fiscalEntityDivision, problems);
  problems.throwIfAny();
  if (obNumber === undefined || entry === undefined || own === undefined) throw new Error('unreachable: validated above');

  const dimensional = entry.namespaces['bd-axes'] !== undefined;
  const facts: (FactSpec | TupleSpec)[] = [
    ...headerFacts(input.header, { profile: OB_HEADER, contextRef: MAIN_CONTEXT_ID, dimensional, fiscalEntityDivision }),
    ...amountFacts(input.amounts, returnAmountFields({ with5g: false }), MAIN_CONTEXT_ID),
    ...OWN_BOXES.map((box) => ({
      name: `bd-i:${SUPPLEMENT_BOXES[box].concept}`,
      contextRef: MAIN_CONTEXT_ID,
      value: String(own[box]),
      euros: true,
    })),
  ];
  return renderInstance(entry, bdContexts(entry, obNumber, input.period, input.header), facts);
}

export interface ReadSupplementResult {
  /** The corrected return; its 5g is derived (5a − 5b), since a suppletie carries no return 5g. */
  amounts: VatReturnAmounts;
  /** 5e, 5f, 5g of the supplement. */
  supplement: SupplementAmounts;
  header: Partial<XbrlHeader>;
  warnings: string[];
  fiscalEntityDivision?: string;
}

/**
 * Reads and checks a ready suppletie instance: as `readVatReturnInstance`, plus 5e = 5a − 5b of the corrected return
 * and 5g = 5e − 5f; `ValueAddedTaxOwedToBePaidBack` is refused (field named after it). Throws `XbrlValidationError`.
 */
export function readSupplementInstance(xml: string, expected: { obNumber: string; period: TaxPeriod }): ReadSupplementResult {
  const obNumber = normalizeObNumber(expected.obNumber);
  const entry = supplementEntryPoint(expected.period.year);
  const { instance, problems, warnings, mainContextId, header } = openBdInstance(xml, {
    header: OB_HEADER,
    entry,
    obNumber,
    period: expected.period,
  });
  const bd = entry.namespaces['bd-i'];
  const consumed = new Set(header.consumed);

  const amounts = emptyAmounts();
  for (const f of returnAmountFields({ with5g: false })) {
    const value = readAmountFact(instance, bd, f.concept, f.field, mainContextId, problems, consumed);
    if (value !== undefined) f.set(amounts, value);
  }
  const own: Partial<SupplementAmounts> = {};
  for (const box of OWN_BOXES) {
    own[box] = readAmountFact(instance, bd, SUPPLEMENT_BOXES[box].concept, box, mainContextId, problems, consumed);
  }
  if (amounts['5a'] !== undefined && amounts['5b'] !== undefined) amounts['5g'] = amounts['5a'] - amounts['5b'];
  warnings.push(...checkArithmetic(amounts, problems));

  const { '5e': totalNew, '5f': totalOld, '5g': difference } = own;
  if (totalNew !== undefined && amounts['5g'] !== undefined && totalNew !== amounts['5g'] && !problems.has('5e')) {
    problems.add('5e', `5e (new total) is ${totalNew} but 5a − 5b of the corrected return = ${amounts['5g']}`);
  }
  if (totalNew !== undefined && totalOld !== undefined && difference !== undefined && difference !== totalNew - totalOld) {
    if (!problems.has('5g')) {
      problems.add('5g', `5g (to pay / to reclaim) is ${difference} but 5e − 5f = ${totalNew} − ${totalOld} = ${totalNew - totalOld}`);
    }
  }
  reportUnexpectedFacts(instance, consumed, problems);
  problems.throwIfAny();
  return {
    amounts,
    supplement: own as SupplementAmounts,
    header: header.header,
    warnings,
    ...(header.fiscalEntityDivision !== undefined ? { fiscalEntityDivision: header.fiscalEntityDivision } : {}),
  };
}
