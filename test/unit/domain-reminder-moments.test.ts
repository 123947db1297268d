import { reminderPlan } from '../../domain/approval';
import { checkReminderOffsets, DEFAULT_REMINDER_OFFSETS, MAX_REMINDER_OFFSETS } from '../../domain/deadlines';
import { ValidationError } from '../../domain/errors';

/** A hub's reminder moments: the domain's rule for them, and the reminder plan at them (defaults when none given). */
describe('reminder moments per hub', () => {
  const fieldOf = (value: unknown): string => {
    try {
      checkReminderOffsets(value);
    } catch (err) {
      if (err instanceof ValidationError) return err.field;
      throw err;
    }
    return 'accepted';
  };

  it('accepts whole, non-negative days of the two kinds, sorted most days first', () => {
    expect(checkReminderOffsets([{ daysBefore: 0, kind: 'accountant-escalation' }, { daysBefore: 10, kind: 'client-reminder' }, { daysBefore: 0, kind: 'client-reminder' }])).toEqual([
      { daysBefore: 10, kind: 'client-reminder' },
      { daysBefore: 0, kind: 'client-reminder' },
      { daysBefore: 0, kind: 'accountant-escalation' },
    ]);
    expect(checkReminderOffsets([])).toEqual([]);
    expect(checkReminderOffsets(DEFAULT_REMINDER_OFFSETS)).toEqual(DEFAULT_REMINDER_OFFSETS);
  });

  it('names the field of what it refuses', () => {
    expect(fieldOf('14')).toBe('moments');
    expect(fieldOf(Array(MAX_REMINDER_OFFSETS + 1).fill({ daysBefore: 1, kind: 'client-reminder' }))).toBe('moments');
    expect(fieldOf([null])).toBe('moments[0]');
    expect(fieldOf([{ daysBefore: 3, kind: 'client-reminder' }, { daysBefore: 2.5, kind: 'client-reminder' }])).toBe('moments[1].daysBefore');
    expect(fieldOf([{ daysBefore: -1, kind: 'client-reminder' }])).toBe('moments[0].daysBefore');
    expect(fieldOf([{ daysBefore: '3', kind: 'client-reminder' }])).toBe('moments[0].daysBefore');
    expect(fieldOf([{ daysBefore: 367, kind: 'client-reminder' }])).toBe('moments[0].daysBefore');
    expect(fieldOf([{ daysBefore: 3, kind: 'sms' }])).toBe('moments[0].kind');
    expect(fieldOf([{ daysBefore: 3, kind: 'client-reminder' }, { daysBefore: 3, kind: 'client-reminder' }])).toBe('moments[1]');
  });

  it('plans reminders at the given moments, and at the defaults when none are given (older activity results)', () => {
    const due = '2026-04-30';
    const now = '2026-04-01T09:00:00Z';
    expect(reminderPlan(due, now)).toEqual(reminderPlan(due, now, DEFAULT_REMINDER_OFFSETS));
    expect(reminderPlan(due, now, [{ daysBefore: 20, kind: 'client-reminder' }, { daysBefore: 2, kind: 'accountant-escalation' }])).toEqual({
      now: [],
      later: [
        { at: '2026-04-10T00:00:00.000Z', kind: 'client-reminder', daysBefore: 20 },
        { at: '2026-04-28T00:00:00.000Z', kind: 'accountant-escalation', daysBefore: 2 },
      ],
    });
    expect(reminderPlan(due, now, [])).toEqual({ now: [], later: [] });
  });
});
