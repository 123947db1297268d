/**
 * Filing deadlines and reminder moments (filings-xbrl.md §7). Pure and deterministic: dates in and out are ISO strings,
 * "now" is always an argument, never the clock.
 */
import { ValidationError } from './errors';
import { addDays, addMonths, daysInMonth, earlierDate, isoDate, isoWeekday, parseIsoDate, periodEnd, type TaxPeriod } from './periods';

/**
 * Due date of a VAT return (§7): the last day of the month following the period (file **and** pay): March 2026 →
 * 30 April 2026, Q1 → 30 April, Q4 2025 → 31 January 2026. A yearly period is due **before 1 April** of the next year,
 * i.e. 31 March. The statutory date itself; see `nextWorkingDay` for a date in a weekend.
 */
export function vatDueDate(period: TaxPeriod): string {
  const end = periodEnd(period); // validates the period
  if (period.kind === 'year') return isoDate(period.year + 1, 3, 31);
  const { year, month } = parseIsoDate(end);
  const dueYear = month === 12 ? year + 1 : year;
  const dueMonth = month === 12 ? 1 : month + 1;
  return isoDate(dueYear, dueMonth, daysInMonth(dueYear, dueMonth));
}

/** Due date of an ICP return: the same rule as the VAT return for the same period (§7, Wet OB art. 37a). */
export const icpDueDate: (period: TaxPeriod) => string = vatDueDate;

export interface KvkDeadlineInput {
  /** Last day of the financial year, `YYYY-MM-DD`. */
  financialYearEnd: string;
  /** Date the annual accounts were adopted (datum vaststelling), when known. Not before the financial year end. */
  adoptionDate?: string;
  /**
   * All shareholders are also directors: signing is adoption, so the latest date is FY end + 10 months + 8 days
   * (calendar year → 8 November) instead of FY end + 12 months (§7).
   */
  shareholdersAreDirectors?: boolean;
}

/**
 * Due date of the KvK deposit (§7): the earlier of adoption date + 8 days and FY end + 12 months (calendar year →
 * 31 December of the next year); without an adoption date, FY end + 12 months. With `shareholdersAreDirectors` the
 * outer limit is FY end + 10 months + 8 days. Month arithmetic keeps the day and clamps to the month end
 * (`addMonths`). Throws `ValidationError('financialYearEnd' | 'adoptionDate', …)`.
 */
export function kvkDueDate(input: KvkDeadlineInput): string {
  if (input === null || typeof input !== 'object') {
    throw new ValidationError('financialYearEnd', 'financialYearEnd is required (YYYY-MM-DD)');
  }
  const { financialYearEnd, adoptionDate, shareholdersAreDirectors } = input;
  parseIsoDate(financialYearEnd, 'financialYearEnd');
  const outerLimit = shareholdersAreDirectors
    ? addDays(addMonths(financialYearEnd, 10, 'financialYearEnd'), 8)
    : addMonths(financialYearEnd, 12, 'financialYearEnd');
  if (adoptionDate === undefined) return outerLimit;
  parseIsoDate(adoptionDate, 'adoptionDate');
  if (adoptionDate < financialYearEnd) {
    throw new ValidationError(
      'adoptionDate',
      `the adoption date ${adoptionDate} is before the end of the financial year ${financialYearEnd}`,
    );
  }
  return earlierDate(addDays(adoptionDate, 8), outerLimit);
}

/**
 * When the board must have prepared (opgemaakt) the annual accounts: FY end + 5 months (calendar year → 31 May), for
 * information and an early warning; the general meeting may extend this by up to 5 months.
 */
export function kvkPreparationDue(financialYearEnd: string): string {
  return addMonths(financialYearEnd, 5, 'financialYearEnd');
}

/**
 * The next working day on or after `date` under the Algemene termijnenwet, **weekends only**: a Saturday or Sunday moves
 * to the following Monday, any other day is returned unchanged. Public holidays (New Year, Easter Monday, King's Day,
 * Liberation Day in lustrum years, Ascension, Whit Monday, Christmas) are out of scope, and the reference has not
 * confirmed that the Act applies to these deadlines: show this date **beside** the statutory due date, never instead
 * of it, and plan reminders on the statutory date.
 */
export function nextWorkingDay(date: string): string {
  const weekday = isoWeekday(date);
  return weekday === 6 ? addDays(date, 2) : weekday === 7 ? addDays(date, 1) : date;
}

// ---------------------------------------------------------------------------------------------------------------
// Reminders
// ---------------------------------------------------------------------------------------------------------------

export type ReminderKind = 'client-reminder' | 'accountant-escalation';

export interface ReminderOffset {
  /** Whole days before the due date (0 = on the due date itself). */
  daysBefore: number;
  kind: ReminderKind;
}

/**
 * Default reminders for a filing awaiting the client's approval [ours]: remind the client 14 and 3 days before the due
 * date, escalate to the accountant 1 day before. Override per call with `options.offsets`.
 */
export const DEFAULT_REMINDER_OFFSETS: readonly ReminderOffset[] = [
  { daysBefore: 14, kind: 'client-reminder' },
  { daysBefore: 3, kind: 'client-reminder' },
  { daysBefore: 1, kind: 'accountant-escalation' },
];

/** At most this many reminder moments per hub. */
export const MAX_REMINDER_OFFSETS = 10;

/**
 * A hub's reminder moments as given (API body or console form), checked by the rule reminderSchedule applies: whole,
 * non-negative days (at most a year) and kind client-reminder or accountant-escalation. Throws ValidationError naming
 * the field (`moments[1].daysBefore`); returns them sorted (most days before first), the same moment once.
 */
export function checkReminderOffsets(value: unknown, field = 'moments'): ReminderOffset[] {
  if (!Array.isArray(value)) throw new ValidationError(field, `${field} must be a list of { daysBefore, kind }`);
  if (value.length > MAX_REMINDER_OFFSETS) throw new ValidationError(field, `${field} holds at most ${MAX_REMINDER_OFFSETS} moments`);
  const seen = new Set<string>();
  const offsets: ReminderOffset[] = [];
  value.forEach((item: unknown, i: number) => {
    const offset = (item ?? {}) as { daysBefore?: unknown; kind?: unknown };
    if (typeof item !== 'object' || item === null) throw new ValidationError(`${field}[${i}]`, `${field}[${i}] must be { daysBefore, kind }`);
    if (typeof offset.daysBefore !== 'number' || !Number.isInteger(offset.daysBefore) || offset.daysBefore < 0 || offset.daysBefore > 366) {
      throw new ValidationError(`${field}[${i}].daysBefore`, `${field}[${i}].daysBefore must be a whole, non-negative number of days (0–366), got ${String(offset.daysBefore).slice(0, 20)}`);
    }
    if (offset.kind !== 'client-reminder' && offset.kind !== 'accountant-escalation') {
      throw new ValidationError(`${field}[${i}].kind`, `${field}[${i}].kind must be client-reminder or accountant-escalation, got ${String(offset.kind).slice(0, 40)}`);
    }
    const key = `${offset.kind}:${offset.daysBefore}`;
    if (seen.has(key)) throw new ValidationError(`${field}[${i}]`, `${field}[${i}]: ${offset.kind} ${offset.daysBefore} days before is named twice`);
    seen.add(key);
    offsets.push({ daysBefore: offset.daysBefore, kind: offset.kind });
  });
  return offsets.sort((a, b) => b.daysBefore - a.daysBefore || (a.kind === b.kind ? 0 : a.kind === 'client-reminder' ? -1 : 1));
}

/** `YYYY-MM-DD`, or a date-time with seconds/fraction optional and a zone (`Z` or `±hh:mm`). */
const INSTANT = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

export interface ReminderMoment {
  /** ISO date-time, UTC midnight at the start of the reminder day (`2026-04-16T00:00:00.000Z`). */
  at: string;
  kind: ReminderKind;
  daysBefore: number;
}

export interface ReminderOptions {
  /** Moments strictly before this ISO date-time are left out (already past). Pass the workflow's current time. */
  now?: string;
  offsets?: readonly ReminderOffset[];
}

/**
 * The reminder moments for a filing awaiting client approval, due on `dueDate` (`YYYY-MM-DD`, the statutory date),
 * sorted by time (ties: client reminders before escalations), leaving out moments before `options.now`. Throws
 * `ValidationError('dueDate' | 'now' | 'offsets', …)`.
 */
export function reminderSchedule(dueDate: string, options: ReminderOptions = {}): ReminderMoment[] {
  parseIsoDate(dueDate, 'dueDate');
  const offsets = options.offsets ?? DEFAULT_REMINDER_OFFSETS;
  if (!Array.isArray(offsets)) throw new ValidationError('offsets', 'offsets must be a list of { daysBefore, kind }');
  let nowMs = Number.NEGATIVE_INFINITY;
  if (options.now !== undefined) {
    // A time without a zone would be read in the machine's local zone: not deterministic, so it is refused.
    nowMs = typeof options.now === 'string' && INSTANT.test(options.now) ? Date.parse(options.now) : Number.NaN;
    if (Number.isNaN(nowMs)) {
      throw new ValidationError(
        'now',
        `now must be an ISO date-time with a zone, such as 2026-04-01T09:00:00Z, got ${String(options.now).slice(0, 40)}`,
      );
    }
  }
  const moments: ReminderMoment[] = offsets.map((offset: ReminderOffset, i: number) => {
    if (
      offset === null ||
      typeof offset !== 'object' ||
      !Number.isInteger(offset.daysBefore) ||
      offset.daysBefore < 0 ||
      (offset.kind !== 'client-reminder' && offset.kind !== 'accountant-escalation')
    ) {
      throw new ValidationError(
        `offsets[${i}]`,
        `offsets[${i}] must have a whole, non-negative daysBefore and kind client-reminder or accountant-escalation`,
      );
    }
    return { at: `${addDays(dueDate, -offset.daysBefore)}T00:00:00.000Z`, kind: offset.kind, daysBefore: offset.daysBefore };
  });
  const kindOrder = (k: ReminderKind) => (k === 'client-reminder' ? 0 : 1);
  return moments
    .filter((m) => Date.parse(m.at) >= nowMs)
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : kindOrder(a.kind) - kindOrder(b.kind)));
}

/**
 * A filing is overdue for the client when its due date (YYYY-MM-DD) has passed while it still waits for the client's
 * approval (lifecycle 30): the due date itself is still in time. `today` is an argument (YYYY-MM-DD), never the clock.
 */
export function isOverdueAwaitingApproval(filing: { lifecycle: number | null; dueDate: string | null }, today: string): boolean {
  return filing.lifecycle === 30 && filing.dueDate !== null && filing.dueDate < today;
}
