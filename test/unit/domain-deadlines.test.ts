import fc from 'fast-check';
import { ValidationError } from '../../domain/errors';
import {
  isOverdueAwaitingApproval,
  DEFAULT_REMINDER_OFFSETS,
  icpDueDate,
  kvkDueDate,
  kvkPreparationDue,
  nextWorkingDay,
  reminderSchedule,
  vatDueDate,
} from '../../domain/deadlines';
import {
  addDays,
  addMonths,
  formatPeriod,
  isoWeekday,
  isValidIsoDate,
  parsePeriod,
  periodEnd,
  periodStart,
  type TaxPeriod,
} from '../../domain/periods';

const FC = { seed: 20260115, numRuns: 300 };

function validationError(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

const p = (s: string): TaxPeriod => parsePeriod(s);

const arbPeriod: fc.Arbitrary<TaxPeriod> = fc.oneof(
  fc.record({ kind: fc.constant('month' as const), year: fc.integer({ min: 1900, max: 2200 }), index: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant('quarter' as const), year: fc.integer({ min: 1900, max: 2200 }), index: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('year' as const), year: fc.integer({ min: 1900, max: 2200 }), index: fc.constant(1) }),
);
const arbDate = fc
  .date({ min: new Date(Date.UTC(1900, 0, 1)), max: new Date(Date.UTC(2200, 11, 31)), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

describe('periods', () => {
  it('parses and formats the three string forms', () => {
    expect(parsePeriod('2026-03')).toEqual({ kind: 'month', year: 2026, index: 3 });
    expect(parsePeriod('2026-Q1')).toEqual({ kind: 'quarter', year: 2026, index: 1 });
    expect(parsePeriod(' 2026-q4 ')).toEqual({ kind: 'quarter', year: 2026, index: 4 });
    expect(parsePeriod('2026')).toEqual({ kind: 'year', year: 2026, index: 1 });
    expect(formatPeriod({ kind: 'month', year: 2026, index: 3 })).toBe('2026-03');
    expect(formatPeriod({ kind: 'quarter', year: 2026, index: 1 })).toBe('2026-Q1');
    expect(formatPeriod({ kind: 'year', year: 2026, index: 1 })).toBe('2026');
  });

  it.each(['2026-13', '2026-00', '2026-Q0', '2026-Q5', '26-03', '2026-3', '2026/03', '2026-M03', '', '0999'])(
    'refuses %p with field period',
    (s) => {
      const e = validationError(() => parsePeriod(s));
      expect(e.field).toBe('period');
      expect(e.message).toMatch(/month \(2026-03\), a quarter \(2026-Q1\) or a year \(2026\)/);
    },
  );

  it('refuses malformed period objects', () => {
    for (const bad of [
      { kind: 'month', year: 2026, index: 13 },
      { kind: 'quarter', year: 2026, index: 0 },
      { kind: 'year', year: 2026, index: 2 },
      { kind: 'week', year: 2026, index: 1 },
      { kind: 'month', year: 2026.5, index: 1 },
    ]) {
      expect(validationError(() => periodStart(bad as TaxPeriod)).field).toBe('period');
    }
  });

  it('property: parsePeriod(formatPeriod(p)) round-trips', () => {
    fc.assert(fc.property(arbPeriod, (period) => JSON.stringify(parsePeriod(formatPeriod(period))) === JSON.stringify(period)), FC);
  });

  it.each([
    ['2026-03', '2026-03-01', '2026-03-31'],
    ['2026-04', '2026-04-01', '2026-04-30'],
    ['2024-02', '2024-02-01', '2024-02-29'], // leap year
    ['2025-02', '2025-02-01', '2025-02-28'],
    ['2000-02', '2000-02-01', '2000-02-29'], // divisible by 400
    ['1900-02', '1900-02-01', '1900-02-28'], // divisible by 100, not 400
    ['2026-Q1', '2026-01-01', '2026-03-31'],
    ['2026-Q2', '2026-04-01', '2026-06-30'],
    ['2026-Q3', '2026-07-01', '2026-09-30'],
    ['2026-Q4', '2026-10-01', '2026-12-31'],
    ['2026', '2026-01-01', '2026-12-31'],
  ])('%s runs from %s to %s', (s, start, end) => {
    expect(periodStart(p(s))).toBe(start);
    expect(periodEnd(p(s))).toBe(end);
  });

  it('date helpers: calendar validity, month arithmetic with clamping, weekdays', () => {
    expect(isValidIsoDate('2024-02-29')).toBe(true);
    expect(isValidIsoDate('2025-02-29')).toBe(false);
    expect(isValidIsoDate('2025-04-31')).toBe(false);
    expect(isValidIsoDate('2025-4-30')).toBe(false);
    expect(addMonths('2025-08-31', 1)).toBe('2025-09-30');
    expect(addMonths('2024-02-29', 12)).toBe('2025-02-28');
    expect(addMonths('2025-11-15', 3)).toBe('2026-02-15');
    expect(addMonths('2026-01-31', -2)).toBe('2025-11-30');
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
    expect(isoWeekday('2026-01-31')).toBe(6); // Saturday
    expect(isoWeekday('2026-02-01')).toBe(7); // Sunday
    expect(isoWeekday('2026-02-02')).toBe(1); // Monday
    expect(validationError(() => addDays('2025-02-30', 1)).field).toBe('date');
  });

  it('property: addDays is reversible', () => {
    fc.assert(fc.property(arbDate, fc.integer({ min: -1000, max: 1000 }), (d, n) => addDays(addDays(d, n), -n) === d), FC);
  });
});

describe('VAT and ICP due dates (§7)', () => {
  it.each([
    ['2026-Q1', '2026-04-30'],
    ['2026-Q2', '2026-07-31'],
    ['2026-Q3', '2026-10-31'],
    ['2025-Q4', '2026-01-31'], // Q4 → 31 January of the next year
    ['2026-01', '2026-02-28'],
    ['2024-01', '2024-02-29'], // leap year
    ['2026-03', '2026-04-30'],
    ['2026-04', '2026-05-31'],
    ['2025-12', '2026-01-31'],
    ['2025', '2026-03-31'], // yearly: before 1 April
    ['2024', '2025-03-31'],
  ])('%s is due %s', (s, due) => {
    expect(vatDueDate(p(s))).toBe(due);
    expect(icpDueDate(p(s))).toBe(due);
  });

  it('refuses a malformed period', () => {
    expect(validationError(() => vatDueDate({ kind: 'quarter', year: 2026, index: 5 })).field).toBe('period');
  });

  it('property: a month or quarter is due on the last day of the month after its end', () => {
    fc.assert(
      fc.property(arbPeriod, (period) => {
        const due = vatDueDate(period);
        if (period.kind === 'year') return due === `${period.year + 1}-03-31`;
        const end = periodEnd(period);
        // last day of the month following: the next day is the 1st, and it lies in the month after next
        return addDays(due, 1).endsWith('-01') && addMonths(end.slice(0, 8) + '01', 2) === addDays(due, 1);
      }),
      FC,
    );
  });
});

describe('KvK deadlines (§7)', () => {
  it('without an adoption date: FY end + 12 months', () => {
    expect(kvkDueDate({ financialYearEnd: '2025-12-31' })).toBe('2026-12-31');
    expect(kvkDueDate({ financialYearEnd: '2025-06-30' })).toBe('2026-06-30');
    expect(kvkDueDate({ financialYearEnd: '2024-02-29' })).toBe('2025-02-28'); // leap day clamps
  });

  it('with an adoption date: the earlier of adoption + 8 days and FY end + 12 months', () => {
    expect(kvkDueDate({ financialYearEnd: '2025-12-31', adoptionDate: '2026-05-20' })).toBe('2026-05-28');
    expect(kvkDueDate({ financialYearEnd: '2025-12-31', adoptionDate: '2026-12-28' })).toBe('2026-12-31');
    expect(kvkDueDate({ financialYearEnd: '2025-12-31', adoptionDate: '2026-12-23' })).toBe('2026-12-31');
    expect(kvkDueDate({ financialYearEnd: '2025-12-31', adoptionDate: '2026-12-22' })).toBe('2026-12-30');
    expect(kvkDueDate({ financialYearEnd: '2025-12-31', adoptionDate: '2026-02-25' })).toBe('2026-03-05');
  });

  it('shareholders who are all directors: FY end + 10 months + 8 days (calendar year → 8 November)', () => {
    expect(kvkDueDate({ financialYearEnd: '2025-12-31', shareholdersAreDirectors: true })).toBe('2026-11-08');
  });

  it('refuses bad dates, naming the field', () => {
    expect(validationError(() => kvkDueDate({ financialYearEnd: '2025-02-30' })).field).toBe('financialYearEnd');
    expect(validationError(() => kvkDueDate({ financialYearEnd: '2025-12-31', adoptionDate: '31-05-2026' })).field).toBe('adoptionDate');
    const early = validationError(() => kvkDueDate({ financialYearEnd: '2025-12-31', adoptionDate: '2025-12-30' }));
    expect(early.field).toBe('adoptionDate');
    expect(early.message).toMatch(/before the end of the financial year/);
  });

  it('preparation is due FY end + 5 months', () => {
    expect(kvkPreparationDue('2025-12-31')).toBe('2026-05-31');
    expect(kvkPreparationDue('2025-09-30')).toBe('2026-02-28');
    expect(validationError(() => kvkPreparationDue('2025-13-01')).field).toBe('financialYearEnd');
  });

  it('property: never later than FY end + 12 months, and never later than adoption + 8 days', () => {
    fc.assert(
      fc.property(arbDate, fc.integer({ min: 0, max: 800 }), (fyEnd, delay) => {
        const adoptionDate = addDays(fyEnd, delay);
        const due = kvkDueDate({ financialYearEnd: fyEnd, adoptionDate });
        return due <= addMonths(fyEnd, 12) && due <= addDays(adoptionDate, 8) && due > fyEnd;
      }),
      FC,
    );
  });
});

describe('nextWorkingDay (weekends only)', () => {
  it('moves a Saturday or Sunday to Monday and leaves weekdays alone', () => {
    expect(nextWorkingDay('2026-01-31')).toBe('2026-02-02'); // Saturday: Q4 2025 VAT due date
    expect(nextWorkingDay('2026-05-31')).toBe('2026-06-01'); // Sunday
    expect(nextWorkingDay('2026-04-30')).toBe('2026-04-30'); // Thursday
    expect(nextWorkingDay('2026-02-02')).toBe('2026-02-02'); // Monday
  });

  it('property: the result is a weekday at most two days later', () => {
    fc.assert(
      fc.property(arbDate, (d) => {
        const w = nextWorkingDay(d);
        return isoWeekday(w) <= 5 && w >= d && w <= addDays(d, 2) && (isoWeekday(d) > 5 || w === d);
      }),
      FC,
    );
  });
});

describe('reminderSchedule', () => {
  it('reminds the client 14 and 3 days before and escalates 1 day before, by default', () => {
    expect(DEFAULT_REMINDER_OFFSETS).toEqual([
      { daysBefore: 14, kind: 'client-reminder' },
      { daysBefore: 3, kind: 'client-reminder' },
      { daysBefore: 1, kind: 'accountant-escalation' },
    ]);
    expect(reminderSchedule('2026-04-30')).toEqual([
      { at: '2026-04-16T00:00:00.000Z', kind: 'client-reminder', daysBefore: 14 },
      { at: '2026-04-27T00:00:00.000Z', kind: 'client-reminder', daysBefore: 3 },
      { at: '2026-04-29T00:00:00.000Z', kind: 'accountant-escalation', daysBefore: 1 },
    ]);
  });

  it('crosses month and leap-day boundaries', () => {
    expect(reminderSchedule('2024-03-01').map((m) => m.at.slice(0, 10))).toEqual(['2024-02-16', '2024-02-27', '2024-02-29']);
    expect(reminderSchedule('2026-01-02').map((m) => m.at.slice(0, 10))).toEqual(['2025-12-19', '2025-12-30', '2026-01-01']);
  });

  it('skips moments already past now', () => {
    expect(reminderSchedule('2026-04-30', { now: '2026-04-20T10:00:00Z' }).map((m) => m.daysBefore)).toEqual([3, 1]);
    expect(reminderSchedule('2026-04-30', { now: '2026-04-27T00:00:00Z' }).map((m) => m.daysBefore)).toEqual([3, 1]);
    expect(reminderSchedule('2026-04-30', { now: '2026-04-27T00:00:00.001Z' }).map((m) => m.daysBefore)).toEqual([1]);
    expect(reminderSchedule('2026-04-30', { now: '2026-04-27T01:00:00+02:00' }).map((m) => m.daysBefore)).toEqual([3, 1]);
    expect(reminderSchedule('2026-04-30', { now: '2026-05-01' })).toEqual([]);
  });

  it('takes offsets as data and sorts the result', () => {
    const schedule = reminderSchedule('2026-04-30', {
      offsets: [
        { daysBefore: 0, kind: 'accountant-escalation' },
        { daysBefore: 7, kind: 'client-reminder' },
        { daysBefore: 7, kind: 'accountant-escalation' },
        { daysBefore: 7, kind: 'client-reminder' },
      ],
    });
    expect(schedule.map((m) => `${m.at.slice(0, 10)} ${m.kind}`)).toEqual([
      '2026-04-23 client-reminder',
      '2026-04-23 client-reminder',
      '2026-04-23 accountant-escalation',
      '2026-04-30 accountant-escalation',
    ]);
    expect(reminderSchedule('2026-04-30', { offsets: [] })).toEqual([]);
  });

  it('refuses bad input, naming the field', () => {
    expect(validationError(() => reminderSchedule('2026-02-30')).field).toBe('dueDate');
    const zoneless = validationError(() => reminderSchedule('2026-04-30', { now: '2026-04-20T10:00:00' }));
    expect(zoneless.field).toBe('now');
    expect(zoneless.message).toMatch(/with a zone/);
    expect(validationError(() => reminderSchedule('2026-04-30', { now: 'yesterday' })).field).toBe('now');
    expect(validationError(() => reminderSchedule('2026-04-30', { offsets: [{ daysBefore: -1, kind: 'client-reminder' }] })).field).toBe(
      'offsets[0]',
    );
    expect(
      validationError(() =>
        reminderSchedule('2026-04-30', { offsets: [{ daysBefore: 1, kind: 'client-reminder' }, { daysBefore: 1.5, kind: 'client-reminder' }] }),
      ).field,
    ).toBe('offsets[1]');
    expect(validationError(() => reminderSchedule('2026-04-30', { offsets: [{ daysBefore: 1, kind: 'sms' as never }] })).field).toBe(
      'offsets[0]',
    );
  });

  it('property: sorted, never after the due date, never before now', () => {
    fc.assert(
      fc.property(arbDate, fc.integer({ min: -40, max: 40 }), (due, nowShift) => {
        const now = `${addDays(due, nowShift)}T12:00:00Z`;
        const schedule = reminderSchedule(due, { now });
        const times = schedule.map((m) => m.at);
        return (
          times.every((t, i) => i === 0 || times[i - 1] <= t) &&
          times.every((t) => t.slice(0, 10) <= due && Date.parse(t) >= Date.parse(now))
        );
      }),
      FC,
    );
  });
});

describe('overdue while waiting for the client', () => {
  it('only at 30, only after the due date (the due date itself is in time), never without one', () => {
    expect(isOverdueAwaitingApproval({ lifecycle: 30, dueDate: '2026-04-30' }, '2026-05-01')).toBe(true);
    expect(isOverdueAwaitingApproval({ lifecycle: 30, dueDate: '2026-04-30' }, '2026-04-30')).toBe(false);
    expect(isOverdueAwaitingApproval({ lifecycle: 40, dueDate: '2026-04-30' }, '2026-05-01')).toBe(false);
    expect(isOverdueAwaitingApproval({ lifecycle: 50, dueDate: '2026-04-30' }, '2026-05-01')).toBe(false);
    expect(isOverdueAwaitingApproval({ lifecycle: 30, dueDate: null }, '2026-05-01')).toBe(false);
  });
});
