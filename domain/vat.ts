/**
 * VAT return (aangifte omzetbelasting), supplement (suppletie) and ICP arithmetic: filings-xbrl.md §1.4, §1.5, §2, §3.
 * Pure functions: no I/O, no Node built-ins, safe in Temporal workflow code. All results are JSON-safe plain objects.
 *
 * Units: input figures are **integer euro cents** (`number`, may be negative: credit notes, corrections); every
 * result is **whole euros** (integers), as the return requires (`decimals="INF"`, integer content).
 */
import { RuleViolation, ValidationError } from './errors';
import { periodEnd, type TaxPeriod } from './periods';

// ---------------------------------------------------------------------------------------------------------------
// Boxes (rubrieken)
// ---------------------------------------------------------------------------------------------------------------

/** Boxes with a turnover (base, omzet) amount. */
export type TurnoverBox = '1a' | '1b' | '1c' | '1d' | '1e' | '2a' | '3a' | '3b' | '3c' | '4a' | '4b';
/** Boxes with a VAT (btw) amount. */
export type VatBox = '1a' | '1b' | '1c' | '1d' | '2a' | '4a' | '4b';
/** Every box of an OB return (2022+): the 1a–4b boxes, 5a (owed), 5b (input tax) and 5g (total). */
export type ReturnBox = TurnoverBox | '5a' | '5b' | '5g';
/** The supplement's own boxes (§3). */
export type SupplementBox = '5e' | '5f' | '5g';

export const TURNOVER_BOXES: readonly TurnoverBox[] = ['1a', '1b', '1c', '1d', '1e', '2a', '3a', '3b', '3c', '4a', '4b'];
export const VAT_AMOUNT_BOXES: readonly VatBox[] = ['1a', '1b', '1c', '1d', '2a', '4a', '4b'];

/** The sections of the NT20 presentation (§1.4), in order. */
export type VatSection = 'domestic' | 'domestic-reverse-charge' | 'abroad' | 'from-abroad' | 'totals';

export const VAT_SECTIONS: Readonly<Record<VatSection, { labelNl: string; labelEn: string }>> = {
  domestic: { labelNl: 'Prestaties binnenland', labelEn: 'Domestic supplies and services' },
  'domestic-reverse-charge': { labelNl: 'Verleggingsregelingen binnenland', labelEn: 'Domestic reverse-charge schemes' },
  abroad: { labelNl: 'Prestaties naar/in het buitenland', labelEn: 'Supplies and services to or in other countries' },
  'from-abroad': {
    labelNl: 'Prestaties uit het buitenland aan u verricht',
    labelEn: 'Supplies and services from other countries to you',
  },
  totals: { labelNl: 'Voorbelasting en eindtotaal', labelEn: 'Input tax and total' },
};

export interface VatBoxDefinition {
  box: ReturnBox;
  /** Dutch label (NT20 presentation, §1.4; the reference's "…" abbreviations written out). */
  labelNl: string;
  labelEn: string;
  /** `bd-i:` concept of the turnover (base) amount, when the box has one. */
  turnoverConcept?: string;
  /** `bd-i:` concept of the VAT amount (for 5a/5b/5g: the box's only amount), when the box has one. */
  vatConcept?: string;
  section: VatSection;
}

/** Every box of the OB return with its labels and XBRL concepts (§1.4; 21 amount facts for 2022+). */
export const VAT_BOXES: Readonly<Record<ReturnBox, VatBoxDefinition>> = {
  '1a': {
    box: '1a',
    labelNl: 'Leveringen/diensten belast met algemeen tarief (21 %)',
    labelEn: 'Supplies/services taxed at the standard rate (21 %)',
    turnoverConcept: 'TaxedTurnoverSuppliesServicesGeneralTariff',
    vatConcept: 'ValueAddedTaxSuppliesServicesGeneralTariff',
    section: 'domestic',
  },
  '1b': {
    box: '1b',
    labelNl: 'Leveringen/diensten belast met verlaagd tarief (9 %)',
    labelEn: 'Supplies/services taxed at the reduced rate (9 %)',
    turnoverConcept: 'TaxedTurnoverSuppliesServicesReducedTariff',
    vatConcept: 'ValueAddedTaxSuppliesServicesReducedTariff',
    section: 'domestic',
  },
  '1c': {
    box: '1c',
    labelNl: 'Leveringen/diensten belast met overige tarieven, behalve 0 %',
    labelEn: 'Supplies/services taxed at other rates, except 0 %',
    turnoverConcept: 'TaxedTurnoverSuppliesServicesOtherRates',
    vatConcept: 'ValueAddedTaxSuppliesServicesOtherRates',
    section: 'domestic',
  },
  '1d': {
    box: '1d',
    labelNl: 'Privégebruik',
    labelEn: 'Private use',
    turnoverConcept: 'TaxedTurnoverPrivateUse',
    vatConcept: 'ValueAddedTaxPrivateUse',
    section: 'domestic',
  },
  '1e': {
    box: '1e',
    labelNl: 'Belast met 0 % of niet bij u belast',
    labelEn: 'Taxed at 0 % or not taxed with you',
    turnoverConcept: 'SuppliesServicesNotTaxed',
    section: 'domestic',
  },
  '2a': {
    box: '2a',
    labelNl: 'Heffing naar u verlegd (binnenland)',
    labelEn: 'Domestic reverse charge (tax transferred to you)',
    turnoverConcept: 'TurnoverSuppliesServicesByWhichVATTaxationIsTransferred',
    vatConcept: 'ValueAddedTaxSuppliesServicesByWhichVATTaxationIsTransferred',
    section: 'domestic-reverse-charge',
  },
  '3a': {
    box: '3a',
    labelNl: 'Leveringen naar landen buiten de EU',
    labelEn: 'Supplies to countries outside the EU',
    turnoverConcept: 'SuppliesToCountriesOutsideTheEC',
    section: 'abroad',
  },
  '3b': {
    box: '3b',
    labelNl: 'Leveringen naar / diensten in landen binnen de EU',
    labelEn: 'Supplies to / services in countries within the EU',
    turnoverConcept: 'SuppliesToCountriesWithinTheEC',
    section: 'abroad',
  },
  '3c': {
    box: '3c',
    labelNl: 'Installatie/afstandsverkopen binnen de EU',
    labelEn: 'Installation / distance sales within the EU',
    turnoverConcept: 'InstallationDistanceSalesWithinTheEC',
    section: 'abroad',
  },
  '4a': {
    box: '4a',
    labelNl: 'Leveringen/diensten uit landen buiten de EU',
    labelEn: 'Supplies/services from countries outside the EU',
    turnoverConcept: 'TurnoverFromTaxedSuppliesFromCountriesOutsideTheEC',
    vatConcept: 'ValueAddedTaxOnSuppliesFromCountriesOutsideTheEC',
    section: 'from-abroad',
  },
  '4b': {
    box: '4b',
    labelNl: 'Leveringen/diensten uit landen binnen de EU',
    labelEn: 'Supplies/services from countries within the EU',
    turnoverConcept: 'TurnoverFromTaxedSuppliesFromCountriesWithinTheEC',
    vatConcept: 'ValueAddedTaxOnSuppliesFromCountriesWithinTheEC',
    section: 'from-abroad',
  },
  '5a': {
    box: '5a',
    labelNl: 'Verschuldigde omzetbelasting',
    labelEn: 'VAT owed',
    vatConcept: 'ValueAddedTaxOwed',
    section: 'totals',
  },
  '5b': {
    box: '5b',
    labelNl: 'Voorbelasting',
    labelEn: 'Input tax',
    vatConcept: 'ValueAddedTaxOnInput',
    section: 'totals',
  },
  '5g': {
    box: '5g',
    labelNl: 'Totaal te betalen / terug te vragen',
    labelEn: 'Total to pay / to reclaim',
    vatConcept: 'ValueAddedTaxOwedToBePaidBack',
    section: 'totals',
  },
};

/**
 * The supplement's own boxes (§3). A supplement carries the complete corrected return (1a–4b, 5a, 5b) plus these three,
 * and **no** `ValueAddedTaxOwedToBePaidBack`: its 5g is a different concept from the return's 5g.
 */
export const SUPPLEMENT_BOXES: Readonly<Record<SupplementBox, { labelNl: string; labelEn: string; concept: string }>> = {
  '5e': { labelNl: 'Nieuw totaal', labelEn: 'New total (corrected 5g)', concept: 'ValueAddedTaxAmountTotalNew' },
  '5f': { labelNl: 'Reeds aangegeven', labelEn: 'Already declared', concept: 'ValueAddedTaxAmountTotalOld' },
  '5g': {
    labelNl: 'Bij te betalen / terug te vragen',
    labelEn: 'Additional to pay / to reclaim',
    concept: 'ValueAddedTaxToBePaidAdditionalToBePaidBack',
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Amounts
// ---------------------------------------------------------------------------------------------------------------

/**
 * The figures of a VAT return as the administration computed them, in **integer euro cents** (e.g. €1 234.56 =
 * `123456`), negative allowed. A missing box counts as 0. Use `parseEuroAmountToCents` for decimal strings.
 */
export interface VatFigures {
  turnover?: Partial<Record<TurnoverBox, number>>;
  vat?: Partial<Record<VatBox, number>>;
  /** 5b, input tax (voorbelasting), in cents. */
  '5b'?: number;
}

/** A VAT return in **whole euros**, every box present (zeros included), 5a and 5g derived. */
export interface VatReturnAmounts {
  turnover: Record<TurnoverBox, number>;
  vat: Record<VatBox, number>;
  '5a': number;
  '5b': number;
  '5g': number;
}

/** The supplement's own boxes in whole euros (§3). */
export interface SupplementAmounts {
  /** New total: the corrected return's 5g. */
  '5e': number;
  /** Old total: what was declared for the period so far (returns and earlier supplements). */
  '5f': number;
  /** 5e − 5f: positive = extra to pay, negative = to reclaim. */
  '5g': number;
}

/**
 * `"1234.56"`, `"-0.5"`, `"1234"` → integer cents. At most two decimals, a dot as the decimal separator, no thousands
 * separators. Throws `ValidationError(field, …)`.
 */
export function parseEuroAmountToCents(text: string, field: string): number {
  const match = typeof text === 'string' ? /^\s*([+-]?)(\d{1,13})(?:\.(\d{1,2}))?\s*$/.exec(text) : null;
  if (!match) {
    throw new ValidationError(field, `${field}: ${JSON.stringify(String(text).slice(0, 40))} is not an amount in euros such as 1234.56`);
  }
  const cents = Number(match[2]) * 100 + Number((match[3] ?? '').padEnd(2, '0'));
  return match[1] === '-' && cents !== 0 ? -cents : cents;
}

/** Whole euros from cents, rounded down (toward −∞). Exact for every safe integer (no floating-point division). */
function floorEuros(cents: number): number {
  const r = cents % 100;
  const euros = (cents - r) / 100 - (r < 0 ? 1 : 0);
  return euros === 0 ? 0 : euros; // never −0
}

/** Whole euros from cents, rounded up (toward +∞). */
function ceilEuros(cents: number): number {
  const r = cents % 100;
  const euros = (cents - r) / 100 + (r > 0 ? 1 : 0);
  return euros === 0 ? 0 : euros;
}

function requireCents(value: unknown, field: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new ValidationError(field, `${field} must be a whole number of euro cents, got ${String(value).slice(0, 40)}`);
  }
  return value;
}

function rejectUnknownKeys(record: object | undefined, allowed: readonly string[], path: string): void {
  if (record === undefined) return;
  if (record === null || typeof record !== 'object') {
    throw new ValidationError(path, `${path} must be an object of box → amount in cents`);
  }
  for (const key of Object.keys(record)) {
    if (!allowed.includes(key)) {
      throw new ValidationError(`${path}.${key}`, `${path}.${key}: there is no ${path} amount for box ${key.slice(0, 10)}`);
    }
  }
}

/**
 * Round a return to whole euros **in the filer's favour** (Belastingdienst: "Dit mag u in uw voordeel doen", §1.5):
 * - turnover and VAT of 1a–4b (amounts payable) **down**, toward −∞: for a positive amount the payable gets smaller;
 *   for a negative amount (a credit) it gets more negative, which is again in the filer's favour
 *   (−12.50 → −13);
 * - 5b (deductible input tax) **up**, toward +∞ (12.01 → 13; −12.50 → −12).
 *
 * Then 5a = VAT(1a + 1b + 1c + 1d + 2a + 4a + 4b) and 5g = 5a − 5b are derived from the rounded boxes, so they always
 * reconcile. Every box is present in the result, zeros included. Throws `ValidationError` for a non-integer cents
 * value (field `turnover.1a`, `vat.1a`, `5b`) or an unknown box.
 */
export function roundVatReturn(figures: VatFigures): VatReturnAmounts {
  if (figures === null || typeof figures !== 'object') {
    throw new ValidationError('figures', 'the VAT figures must be an object with turnover, vat and 5b');
  }
  rejectUnknownKeys(figures.turnover, TURNOVER_BOXES, 'turnover');
  rejectUnknownKeys(figures.vat, VAT_AMOUNT_BOXES, 'vat');
  const turnover = {} as Record<TurnoverBox, number>;
  for (const box of TURNOVER_BOXES) turnover[box] = floorEuros(requireCents(figures.turnover?.[box], `turnover.${box}`));
  const vat = {} as Record<VatBox, number>;
  for (const box of VAT_AMOUNT_BOXES) vat[box] = floorEuros(requireCents(figures.vat?.[box], `vat.${box}`));
  const inputTax = ceilEuros(requireCents(figures['5b'], '5b'));
  const owed = sumVat(vat);
  return { turnover, vat, '5a': owed, '5b': inputTax, '5g': owed - inputTax };
}

function sumVat(vat: Record<VatBox, number>): number {
  return VAT_AMOUNT_BOXES.reduce((sum, box) => sum + vat[box], 0);
}

/**
 * The supplement's boxes (§3): 5e = the corrected return's 5g, 5f = the total already declared for that period,
 * 5g = 5e − 5f. The corrected return must itself be consistent (`checkVatReturn` without errors); otherwise the first
 * error is thrown. Worked example: April 2025, corrected 1a 1 250 / 262, 5b 0, already declared 210 → 5e 262, 5f 210,
 * 5g 52.
 */
export function deriveSupplement(corrected: VatReturnAmounts, alreadyDeclared5g: number): SupplementAmounts {
  const { errors } = checkVatReturn(corrected);
  if (errors.length > 0) throw errors[0];
  if (typeof alreadyDeclared5g !== 'number' || !Number.isSafeInteger(alreadyDeclared5g)) {
    throw new ValidationError('5f', `5f (already declared) must be whole euros, got ${String(alreadyDeclared5g).slice(0, 40)}`);
  }
  return { '5e': corrected['5g'], '5f': alreadyDeclared5g, '5g': corrected['5g'] - alreadyDeclared5g };
}

// ---------------------------------------------------------------------------------------------------------------
// Consistency check
// ---------------------------------------------------------------------------------------------------------------

/** Rates used by the rate check (percent), for the boxes with a single rate. */
export const VAT_RATES_PERCENT: Readonly<Partial<Record<VatBox, number>>> = { '1a': 21, '1b': 9 };

/**
 * A rate mismatch is reported only when the VAT differs from rate × turnover by more than this many euros or this
 * fraction of the expected VAT, whichever is larger: rounding per invoice line and in the filer's favour makes small
 * differences normal.
 */
export const RATE_TOLERANCE = { euros: 1, fraction: 0.01 } as const;

export interface VatReturnCheck {
  /** Blocking problems; each names the box (`5a`, `5g`, `turnover.1a`, `vat.1b`, …). */
  errors: ValidationError[];
  /** Worth a look, never blocking (e.g. a rate mismatch: the reference's own example instances are not rate-consistent). */
  warnings: string[];
}

/**
 * Check a ready-made return (whole euros):
 * - errors: a missing or non-integer box (whole euros only); 5a ≠ VAT(1a+1b+1c+1d+2a+4a+4b); 5g ≠ 5a − 5b;
 * - warnings: 1a VAT not 21 % of 1a turnover, 1b VAT not 9 % of 1b turnover (beyond `RATE_TOLERANCE`).
 * Never throws, whatever it is given.
 */
export function checkVatReturn(amounts: VatReturnAmounts): VatReturnCheck {
  const errors: ValidationError[] = [];
  const warnings: string[] = [];
  const record = (amounts ?? {}) as Partial<VatReturnAmounts>;

  const read = (value: unknown, field: string): number | undefined => {
    if (value === undefined || value === null) {
      errors.push(new ValidationError(field, `${field} is missing; every box must be present (0 when empty)`));
      return undefined;
    }
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
      errors.push(new ValidationError(field, `${field} must be whole euros, got ${String(value).slice(0, 40)}`));
      return undefined;
    }
    return value;
  };

  const turnover: Partial<Record<TurnoverBox, number>> = {};
  for (const box of TURNOVER_BOXES) turnover[box] = read(record.turnover?.[box], `turnover.${box}`);
  const vat: Partial<Record<VatBox, number>> = {};
  for (const box of VAT_AMOUNT_BOXES) vat[box] = read(record.vat?.[box], `vat.${box}`);
  const owed = read(record['5a'], '5a');
  const inputTax = read(record['5b'], '5b');
  const total = read(record['5g'], '5g');

  const vatValues = VAT_AMOUNT_BOXES.map((box) => vat[box]);
  if (owed !== undefined && vatValues.every((v) => v !== undefined)) {
    const expected = (vatValues as number[]).reduce((sum, v) => sum + v, 0);
    if (owed !== expected) {
      errors.push(
        new ValidationError('5a', `5a (VAT owed) is ${owed} but the VAT of boxes 1a+1b+1c+1d+2a+4a+4b adds up to ${expected}`),
      );
    }
  }
  if (owed !== undefined && inputTax !== undefined && total !== undefined && total !== owed - inputTax) {
    errors.push(new ValidationError('5g', `5g (total) is ${total} but 5a − 5b = ${owed} − ${inputTax} = ${owed - inputTax}`));
  }

  for (const [box, rate] of Object.entries(VAT_RATES_PERCENT) as [VatBox, number][]) {
    const base = turnover[box];
    const tax = vat[box];
    if (base === undefined || tax === undefined) continue;
    const expected = (base * rate) / 100;
    const tolerance = Math.max(RATE_TOLERANCE.euros, Math.abs(expected) * RATE_TOLERANCE.fraction);
    if (Math.abs(tax - expected) > tolerance) {
      warnings.push(`box ${box}: VAT ${tax} is not ${rate} % of turnover ${base} (expected about ${Math.floor(expected)})`);
    }
  }
  return { errors, warnings };
}

// ---------------------------------------------------------------------------------------------------------------
// Plausibility before anything is stored (OB1–OB3) [ours]
// ---------------------------------------------------------------------------------------------------------------

/**
 * The hub's own rules on the amounts of a VAT return or supplement, checked at preparation (before anything is
 * stored), on figures and ready instances alike. `checkVatReturn` above only checks the arithmetic and keeps its rate
 * warnings for instances read elsewhere; these refuse.
 * - **OB1** the VAT of a box agrees with its turnover: 1a at 21 %, 1b at 9 %; the boxes without one rate (1c, 1d, 2a,
 *   4a, 4b) never more than the general 21 %, the highest Dutch rate;
 * - **OB2** no negative amount in the boxes listed in `NON_NEGATIVE_VAT_FIELDS`;
 * - **OB3** the period has ended (Dutch date): a return covers a period that is over.
 */
export const VAT_PLAUSIBILITY_RULES = { rate: 'OB1', negative: 'OB2', periodEnded: 'OB3' } as const;
export type VatPlausibilityRule = (typeof VAT_PLAUSIBILITY_RULES)[keyof typeof VAT_PLAUSIBILITY_RULES];

/** The general rate (21 %): no Dutch rate is higher, so no box can carry more VAT than this share of its turnover. */
export const GENERAL_RATE_PERCENT = 21;

/**
 * OB1's tolerance, in whole euros. The form rounds each box to whole euros, down, in the filer's favour (§1.5): a
 * turnover t becomes T = ⌊t⌋ and its VAT r·t becomes V = ⌊r·t⌋, so V − r·T lies between −1 and r (< 1). One euro
 * either way is therefore all the difference the form's rounding can make (worked example §1.5: 1 250 × 21 % =
 * 262.50 → 262); a larger one is a wrong rate or a wrong amount, not rounding.
 */
export const RATE_ROUNDING_TOLERANCE_EUROS = 1;

/**
 * OB2: the boxes that may not be negative [ours]. The reference allows a sign on monetary facts in general (§1.2) and
 * names 5g (a refund) and ICP credit notes as negative; it lists no form rule per box. The hub takes the turnovers
 * and VAT amounts of 1a–4b and the input tax 5b as never negative: a period whose credit notes exceed its supplies is
 * corrected with a supplement for the period of the original supply. 5a and 5g follow from these; 5g may be negative.
 */
export const NON_NEGATIVE_VAT_FIELDS: readonly string[] = [
  ...TURNOVER_BOXES.map((box) => `turnover.${box}`),
  ...VAT_AMOUNT_BOXES.map((box) => `vat.${box}`),
  '5b',
];

export interface VatPlausibilityProblem {
  rule: VatPlausibilityRule;
  /** The box (`vat.1a`, `turnover.3b`, `5b`) or `period`. */
  field: string;
  message: string;
}

/** OB1–OB3 on whole-euro amounts; `today` is the Dutch calendar date (`YYYY-MM-DD`). Never throws; in form order. */
export function vatPlausibilityProblems(amounts: VatReturnAmounts, context: { period: TaxPeriod; today: string }): VatPlausibilityProblem[] {
  const problems: VatPlausibilityProblem[] = [];
  const end = periodEnd(context.period);
  if (!(context.today > end)) {
    problems.push({
      rule: VAT_PLAUSIBILITY_RULES.periodEnded,
      field: 'period',
      message: `the period ends on ${end}: a return can be prepared from the day after (today is ${context.today})`,
    });
  }
  const value = (field: string): number => {
    const [part, box] = field.split('.') as ['turnover' | 'vat' | '5b', string | undefined];
    if (box === undefined) return amounts['5b'];
    return (amounts[part as 'turnover' | 'vat'] as Record<string, number>)[box];
  };
  for (const field of NON_NEGATIVE_VAT_FIELDS) {
    const amount = value(field);
    if (amount < 0) {
      problems.push({
        rule: VAT_PLAUSIBILITY_RULES.negative,
        field,
        message: `box ${field.replace(/^(turnover|vat)\./, '')}: the ${field.startsWith('turnover') ? 'turnover' : field === '5b' ? 'input tax' : 'VAT'} is ${amount}; it cannot be negative (correct an earlier period with a supplement)`,
      });
    }
  }
  for (const box of VAT_AMOUNT_BOXES) {
    const base = amounts.turnover[box];
    const tax = amounts.vat[box];
    if (base < 0 || tax < 0) continue; // OB2 says it already
    const rate = VAT_RATES_PERCENT[box];
    // Integers only: 100 × VAT against rate × turnover, the tolerance in cents.
    const tolerance = RATE_ROUNDING_TOLERANCE_EUROS * 100;
    if (rate !== undefined) {
      if (Math.abs(tax * 100 - base * rate) > tolerance) {
        problems.push({
          rule: VAT_PLAUSIBILITY_RULES.rate,
          field: `vat.${box}`,
          message: `box ${box}: the VAT ${tax} does not agree with ${rate} % of the turnover ${base} (${formatHundredths(base * rate)}, within €${RATE_ROUNDING_TOLERANCE_EUROS} for whole-euro rounding)`,
        });
      }
    } else if (tax * 100 > base * GENERAL_RATE_PERCENT + tolerance) {
      problems.push({
        rule: VAT_PLAUSIBILITY_RULES.rate,
        field: `vat.${box}`,
        message: `box ${box}: the VAT ${tax} is more than ${GENERAL_RATE_PERCENT} % (the highest rate) of the turnover ${base} (${formatHundredths(base * GENERAL_RATE_PERCENT)})`,
      });
    }
  }
  return problems;
}

/** Hundredths of a euro as `21` or `262.50`. */
function formatHundredths(hundredths: number): string {
  const whole = Math.trunc(hundredths / 100);
  const rest = Math.abs(hundredths % 100);
  return rest === 0 ? String(whole) : `${hundredths < 0 && whole === 0 ? '-' : ''}${whole}.${String(rest).padStart(2, '0')}`;
}

/**
 * Refuses implausible VAT amounts (OB1–OB3) with a `RuleViolation` naming the first problem's rule and box (`field`);
 * its message lists every problem, each with its rule.
 */
export function assertVatPlausible(amounts: VatReturnAmounts, context: { period: TaxPeriod; today: string }): void {
  const problems = vatPlausibilityProblems(amounts, context);
  if (problems.length === 0) return;
  const [first, ...others] = problems;
  throw new RuleViolation(
    first.rule,
    [first.message, ...others.map((p) => `${p.rule}: ${p.message}`)].join('; '),
    'invalid',
    first.field,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// ICP (opgaaf intracommunautaire prestaties, §2)
// ---------------------------------------------------------------------------------------------------------------

export type IcpCategory = 'goods' | 'services' | 'abc';
export const ICP_CATEGORIES: readonly IcpCategory[] = ['goods', 'services', 'abc'];

/**
 * EU VAT prefixes (the VIES country codes, not ISO 3166 where they differ): `EL` for Greece (not `GR`), `XI` for
 * Northern Ireland (goods only, under the Windsor Framework). `NL` is listed for completeness but is refused in an ICP
 * return, which reports supplies to *other* member states.
 */
export const EU_VAT_PREFIXES = [
  'AT', 'BE', 'BG', 'CY', 'CZ', 'DE', 'DK', 'EE', 'EL', 'ES', 'FI', 'FR', 'HR', 'HU',
  'IE', 'IT', 'LT', 'LU', 'LV', 'MT', 'NL', 'PL', 'PT', 'RO', 'SE', 'SI', 'SK', 'XI',
] as const;
export type EuVatPrefix = (typeof EU_VAT_PREFIXES)[number];

export interface IcpLine {
  /** EU VAT prefix of the customer (`DE`, `EL`, `XI`, …). Case and surrounding spaces are tolerated. */
  countryCode: string;
  /** Customer's VAT number, with or without its country prefix. */
  vatNumber: string;
  category: IcpCategory;
  /** Integer euro cents; negative for credit notes. */
  amountCents: number;
}

export interface IcpTotal {
  category: IcpCategory;
  countryCode: EuVatPrefix;
  /** Without country prefix, upper case, no spaces, dots or dashes. */
  vatNumber: string;
  /** Whole euros. */
  amount: number;
}

function isEuVatPrefix(code: string): code is EuVatPrefix {
  return (EU_VAT_PREFIXES as readonly string[]).includes(code);
}

/** Country code and VAT number of one ICP line, validated and normalised; `field` is the line's path (`lines[0]`). */
export function normalizeIcpCustomer(
  countryCode: string,
  vatNumber: string,
  field = 'line',
): { countryCode: EuVatPrefix; vatNumber: string } {
  const country = typeof countryCode === 'string' ? countryCode.trim().toUpperCase() : '';
  if (!isEuVatPrefix(country)) {
    const hint = country === 'GR' ? ' (use EL for Greece)' : country === 'GB' ? ' (GB is not in the EU; use XI for goods to Northern Ireland)' : '';
    throw new ValidationError(
      `${field}.countryCode`,
      `country code ${JSON.stringify(String(countryCode).slice(0, 10))} is not an EU VAT prefix${hint}`,
    );
  }
  if (country === 'NL') {
    throw new ValidationError(`${field}.countryCode`, 'an ICP return reports supplies to other EU member states, not to NL');
  }
  let number = typeof vatNumber === 'string' ? vatNumber.replace(/[\s.-]+/g, '').toUpperCase() : '';
  // Greek numbers are also written with GR, Northern Ireland numbers are GB numbers: strip those too.
  const ownPrefixes = country === 'EL' ? ['EL', 'GR'] : country === 'XI' ? ['XI', 'GB'] : [country];
  for (const prefix of ownPrefixes) {
    if (number.startsWith(prefix)) {
      number = number.slice(prefix.length);
      break;
    }
  }
  // A French number may itself begin with two letters (its check key); elsewhere two leading letters that form another
  // member state's prefix mean the number belongs to a different country than the one given.
  const leading = number.slice(0, 2);
  if (country !== 'FR' && /^[A-Z]{2}\d/.test(number) && isEuVatPrefix(leading)) {
    throw new ValidationError(
      `${field}.vatNumber`,
      `VAT number ${JSON.stringify(String(vatNumber).slice(0, 40))} carries the prefix ${leading} but the country code is ${country}`,
    );
  }
  if (!/^[0-9A-Z+*]{2,12}$/.test(number)) {
    throw new ValidationError(
      `${field}.vatNumber`,
      `VAT number ${JSON.stringify(String(vatNumber).slice(0, 40))} must be 2 to 12 letters or digits after the country prefix`,
    );
  }
  return { countryCode: country, vatNumber: number };
}

/**
 * Aggregate ICP lines per (category, country, VAT number without prefix), rounded to whole euros **down** (toward
 * −∞, in the filer's favour, as for the VAT return). Validates every line (fields named `lines[i].countryCode`,
 * `lines[i].vatNumber`, `lines[i].category`, `lines[i].amountCents`): the country code must be an EU VAT prefix other
 * than NL (`EL` for Greece, `XI` for Northern Ireland, which is valid for goods and ABC supplies only), and a country
 * prefix in the VAT number is stripped.
 * Totals that round to 0 are left out (nothing to report for that customer, as Business Central does); the result is
 * sorted by category (goods, services, abc), country, VAT number.
 */
export function aggregateIcp(lines: readonly IcpLine[]): IcpTotal[] {
  if (!Array.isArray(lines)) throw new ValidationError('lines', 'ICP lines must be a list');
  const sums = new Map<string, { category: IcpCategory; countryCode: EuVatPrefix; vatNumber: string; cents: number }>();
  lines.forEach((line: IcpLine, i: number) => {
    const field = `lines[${i}]`;
    if (line === null || typeof line !== 'object') throw new ValidationError(field, `${field} must be an object`);
    if (!ICP_CATEGORIES.includes(line.category)) {
      throw new ValidationError(`${field}.category`, `${field}.category must be one of goods, services, abc`);
    }
    if (typeof line.amountCents !== 'number' || !Number.isSafeInteger(line.amountCents)) {
      throw new ValidationError(`${field}.amountCents`, `${field}.amountCents must be a whole number of euro cents`);
    }
    const customer = normalizeIcpCustomer(line.countryCode, line.vatNumber, field);
    if (customer.countryCode === 'XI' && line.category === 'services') {
      throw new ValidationError(
        `${field}.countryCode`,
        'services to Northern Ireland (XI) are not intra-Community services; XI applies to goods only',
      );
    }
    const key = `${line.category}|${customer.countryCode}|${customer.vatNumber}`;
    const sum = sums.get(key);
    if (sum) sum.cents += line.amountCents;
    else sums.set(key, { category: line.category, ...customer, cents: line.amountCents });
  });
  const totals: IcpTotal[] = [];
  for (const sum of sums.values()) {
    if (!Number.isSafeInteger(sum.cents)) {
      throw new ValidationError('lines', `the ICP total for ${sum.countryCode}${sum.vatNumber} is too large`);
    }
    const amount = floorEuros(sum.cents);
    if (amount !== 0) totals.push({ category: sum.category, countryCode: sum.countryCode, vatNumber: sum.vatNumber, amount });
  }
  const order = (c: IcpCategory) => ICP_CATEGORIES.indexOf(c);
  return totals.sort(
    (a, b) =>
      order(a.category) - order(b.category) ||
      compareStrings(a.countryCode, b.countryCode) ||
      compareStrings(a.vatNumber, b.vatNumber),
  );
}

/** Locale-independent string order (deterministic in workflow code). */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------------------------
// The balance (5g)
// ---------------------------------------------------------------------------------------------------------------

/** Which way the balance of a return (5g) or of a supplement (its own 5g) goes. */
export type VatBalanceDirection = 'pay' | 'reclaim' | 'nil';

/**
 * 5g = 5a − 5b for a return, 5e − 5f for a supplement: positive is to pay ("te betalen", "bij te betalen"), negative
 * is to reclaim ("terug te vragen"), zero is neither. The amount shown beside the words is the absolute value.
 */
export function vatBalanceDirection(balance: number): VatBalanceDirection {
  if (!Number.isFinite(balance)) throw new ValidationError('5g', `5g must be a number, got ${String(balance).slice(0, 40)}`);
  return balance > 0 ? 'pay' : balance < 0 ? 'reclaim' : 'nil';
}
