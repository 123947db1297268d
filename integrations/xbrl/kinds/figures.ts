/** Reading the amounts of a filing request (euros as text or number) into cents, naming the field of a bad one. */
import { ValidationError } from '../../../domain/errors';
import type { TaxPeriod } from '../../../domain/periods';
import { TURNOVER_BOXES, VAT_AMOUNT_BOXES, assertVatPlausible, parseEuroAmountToCents, type VatFigures, type VatReturnAmounts } from '../../../domain/vat';
import type { FilingRequest } from '../filing-content';

export function euros(value: string | number | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  return parseEuroAmountToCents(typeof value === 'number' ? String(value) : value, field);
}

/** The VAT figures of a return or supplement request, per box. */
export function vatFigures(request: FilingRequest): VatFigures {
  const figures = request.figures;
  if (!figures) throw new ValidationError('figures', 'figures (or a ready instance) are required');
  const turnover: Partial<Record<(typeof TURNOVER_BOXES)[number], number>> = {};
  const vat: Partial<Record<(typeof VAT_AMOUNT_BOXES)[number], number>> = {};
  for (const [box, value] of Object.entries(figures.turnover ?? {})) {
    if (!(TURNOVER_BOXES as readonly string[]).includes(box)) throw new ValidationError(`figures.turnover.${box}`, `box ${box} has no turnover amount`);
    turnover[box as (typeof TURNOVER_BOXES)[number]] = euros(value, `figures.turnover.${box}`);
  }
  for (const [box, value] of Object.entries(figures.vat ?? {})) {
    if (!(VAT_AMOUNT_BOXES as readonly string[]).includes(box)) throw new ValidationError(`figures.vat.${box}`, `box ${box} has no VAT amount`);
    vat[box as (typeof VAT_AMOUNT_BOXES)[number]] = euros(value, `figures.vat.${box}`);
  }
  return { turnover, vat, '5b': euros(figures.inputTax, 'figures.inputTax') ?? 0 };
}

/** The Dutch calendar date of `now` (`YYYY-MM-DD`): a period ends at midnight in the Netherlands. */
function dutchDate(now: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/**
 * The one check of a VAT return's or supplement's amounts before anything is stored, built or read alike: the
 * domain's plausibility rules OB1–OB3 (domain/vat.ts).
 */
export function plausible(amounts: VatReturnAmounts, period: TaxPeriod, now: Date): VatReturnAmounts {
  assertVatPlausible(amounts, { period, today: dutchDate(now) });
  return amounts;
}
