/**
 * Tax periods (tijdvakken) and calendar dates as ISO strings. Pure and deterministic: no `Date.now()`, no
 * `new Date()` without an argument; the API takes and returns `YYYY-MM-DD` strings (JSON-safe for workflow code) and
 * uses `Date.UTC` arithmetic on explicit values internally.
 */
import { ValidationError } from './errors';

export type PeriodKind = 'month' | 'quarter' | 'year';

/**
 * A tax period. `index` is the month (1–12) for a month, the quarter (1–4) for a quarter, and always 1 for a year.
 * String forms: `2026-03` (month), `2026-Q1` (quarter), `2026` (year).
 */
export interface TaxPeriod {
  kind: PeriodKind;
  year: number;
  index: number;
}

/** Years accepted in periods and dates (four digits; avoids `Date.UTC`'s mapping of 0–99 to 1900–1999). */
const MIN_YEAR = 1000;
const MAX_YEAR = 9999;

// ---------------------------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------------------------

const DAY_MS = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `YYYY-MM-DD` from year, month (1–12), day. */
export function isoDate(year: number, month: number, day: number): string {
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
}

/** Number of days in a month (1–12) of a year, leap years included. */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Whether `text` is a real calendar date `YYYY-MM-DD` (e.g. `2025-02-29` is not). */
export function isValidIsoDate(text: string): boolean {
  if (typeof text !== 'string') return false;
  const match = ISO_DATE.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return year >= MIN_YEAR && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** Parse a `YYYY-MM-DD` date; throws `ValidationError(field, …)` unless it is a real calendar date. */
export function parseIsoDate(text: string, field = 'date'): { year: number; month: number; day: number } {
  if (!isValidIsoDate(text)) {
    throw new ValidationError(field, `${field} must be a calendar date YYYY-MM-DD, got ${JSON.stringify(String(text).slice(0, 40))}`);
  }
  const [year, month, day] = text.split('-').map(Number);
  return { year, month, day };
}

function fromUtcMs(ms: number): string {
  const d = new Date(ms);
  return isoDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

function toUtcMs(text: string, field: string): number {
  const { year, month, day } = parseIsoDate(text, field);
  return Date.UTC(year, month - 1, day);
}

/** `date` plus `days` calendar days (negative allowed). */
export function addDays(date: string, days: number, field = 'date'): string {
  return fromUtcMs(toUtcMs(date, field) + days * DAY_MS);
}

/**
 * `date` plus `months` calendar months, keeping the day of the month and clamping to the month's last day when it has
 * fewer days (`2024-02-29` + 12 → `2025-02-28`; `2025-08-31` + 1 → `2025-09-30`). The clamp never gives a later date
 * than a month-end reading would, so a deadline computed this way is never too late.
 */
export function addMonths(date: string, months: number, field = 'date'): string {
  const { year, month, day } = parseIsoDate(date, field);
  const zeroBased = year * 12 + (month - 1) + months;
  const y = Math.floor(zeroBased / 12);
  const m = zeroBased - y * 12 + 1;
  return isoDate(y, m, Math.min(day, daysInMonth(y, m)));
}

/** ISO weekday of a date: 1 = Monday … 7 = Sunday. */
export function isoWeekday(date: string, field = 'date'): number {
  const weekday = new Date(toUtcMs(date, field)).getUTCDay(); // 0 = Sunday
  return weekday === 0 ? 7 : weekday;
}

/** The earlier of two `YYYY-MM-DD` dates (ISO dates compare as strings). */
export function earlierDate(a: string, b: string): string {
  return a <= b ? a : b;
}

// ---------------------------------------------------------------------------------------------------------------
// Periods
// ---------------------------------------------------------------------------------------------------------------

function checkYear(year: number): boolean {
  return Number.isInteger(year) && year >= MIN_YEAR && year <= MAX_YEAR;
}

/** Whether `p` is a well-formed period (kind known, year four digits, index in range; 1 for a year). */
export function isValidPeriod(p: TaxPeriod): boolean {
  if (p === null || typeof p !== 'object' || !checkYear(p.year) || !Number.isInteger(p.index)) return false;
  switch (p.kind) {
    case 'month':
      return p.index >= 1 && p.index <= 12;
    case 'quarter':
      return p.index >= 1 && p.index <= 4;
    case 'year':
      return p.index === 1;
    default:
      return false;
  }
}

function requirePeriod(p: TaxPeriod): TaxPeriod {
  if (!isValidPeriod(p)) {
    throw new ValidationError(
      'period',
      `period ${String(JSON.stringify(p)).slice(0, 80)} is not a month (index 1–12), quarter (index 1–4) or year (index 1)`,
    );
  }
  return p;
}

/**
 * `2026-03` → month, `2026-Q1` → quarter, `2026` → year (surrounding spaces and a lower-case `q` tolerated).
 * Throws `ValidationError('period', …)`.
 */
export function parsePeriod(s: string): TaxPeriod {
  const text = typeof s === 'string' ? s.trim().toUpperCase() : '';
  let candidate: TaxPeriod | undefined;
  const month = /^(\d{4})-(\d{2})$/.exec(text);
  const quarter = /^(\d{4})-Q(\d)$/.exec(text);
  const year = /^(\d{4})$/.exec(text);
  if (month) candidate = { kind: 'month', year: Number(month[1]), index: Number(month[2]) };
  else if (quarter) candidate = { kind: 'quarter', year: Number(quarter[1]), index: Number(quarter[2]) };
  else if (year) candidate = { kind: 'year', year: Number(year[1]), index: 1 };
  if (!candidate || !isValidPeriod(candidate)) {
    throw new ValidationError(
      'period',
      `period ${JSON.stringify(String(s).slice(0, 40))} must be a month (2026-03), a quarter (2026-Q1) or a year (2026)`,
    );
  }
  return candidate;
}

/** `2026-03`, `2026-Q1` or `2026`. */
export function formatPeriod(p: TaxPeriod): string {
  requirePeriod(p);
  switch (p.kind) {
    case 'month':
      return `${pad(p.year, 4)}-${pad(p.index)}`;
    case 'quarter':
      return `${pad(p.year, 4)}-Q${p.index}`;
    case 'year':
      return pad(p.year, 4);
  }
}

/** First month (1–12) and last month of a period. */
function monthRange(p: TaxPeriod): [number, number] {
  switch (p.kind) {
    case 'month':
      return [p.index, p.index];
    case 'quarter':
      return [3 * p.index - 2, 3 * p.index];
    case 'year':
      return [1, 12];
  }
}

/** First day of the period, `YYYY-MM-DD` (the XBRL context `startDate`). */
export function periodStart(p: TaxPeriod): string {
  requirePeriod(p);
  return isoDate(p.year, monthRange(p)[0], 1);
}

/** Last day of the period, `YYYY-MM-DD` (the XBRL context `endDate`). */
export function periodEnd(p: TaxPeriod): string {
  requirePeriod(p);
  const last = monthRange(p)[1];
  return isoDate(p.year, last, daysInMonth(p.year, last));
}
