import {
  assertKvkPreparable,
  assertKvkSizeClass,
  assertNoReturnAwaitingApproval,
  assertPortalAllowed,
  decisionProblem,
  dueDateFor,
  reminderLabel,
  reminderPlan,
  type ClientDecision,
} from '../../domain/approval';
import { parsePeriod } from '../../domain/periods';

const SHA = 'a'.repeat(64);
const waiting = { awaiting: true, kind: 'vat-return', contentSha256: SHA, adopted: false };
const decide = (decision: ClientDecision['decision'], extra: Partial<ClientDecision> = {}): ClientDecision => ({ decision, contentSha256: SHA, via: 'portal', ...extra });

describe('client decisions (A1, K3)', () => {
  it('accepts an approval or a reasoned rejection of the content shown', () => {
    expect(decisionProblem(waiting, decide('approve'))).toBeUndefined();
    expect(decisionProblem(waiting, decide('reject', { reason: 'wrong figures' }))).toBeUndefined();
  });

  it('binds a decision to the exact content (A1)', () => {
    expect(decisionProblem(waiting, decide('approve', { contentSha256: 'b'.repeat(64) }))).toBe(
      'A1: the filing changed since it was shown; the client must review the current content',
    );
  });

  it('refuses decisions when the filing does not wait, a rejection without reason, unknown decisions', () => {
    expect(decisionProblem({ ...waiting, awaiting: false }, decide('approve'))).toBe("the filing is not waiting for the client's decision");
    expect(decisionProblem(waiting, decide('reject', { reason: '   ' }))).toBe('a rejection needs a reason');
    expect(decisionProblem(waiting, decide('delete' as 'approve'))).toBe('unknown decision delete');
  });

  it('K3: an annual report is adopted once, then approved; other filings are never adopted', () => {
    const kvk = { ...waiting, kind: 'kvk-annual-report' };
    expect(decisionProblem(kvk, decide('approve'))).toBe('K3: set "annual accounts adopted" before the final approval');
    expect(decisionProblem(kvk, decide('adopt'))).toBeUndefined();
    expect(decisionProblem({ ...kvk, adopted: true }, decide('adopt'))).toBe('K3: the annual accounts are already adopted');
    expect(decisionProblem({ ...kvk, adopted: true }, decide('approve'))).toBeUndefined();
    expect(decisionProblem(waiting, decide('adopt'))).toBe('K3: only annual reports are adopted');
    // Rejecting needs no adoption.
    expect(decisionProblem(kvk, decide('reject', { reason: 'not yet adopted by the shareholders' }))).toBeUndefined();
  });
});

describe('portal rules A2, A3, K1, K2', () => {
  it('A2: no annual supplement while VAT/ICP returns wait; other supplements and no waiting returns pass', () => {
    expect(() => assertNoReturnAwaitingApproval('vat-supplement', parsePeriod('2025'), 2)).toThrow(
      'A2: no annual supplement can be created while 2 VAT/ICP returns of this client wait for approval on the portal',
    );
    expect(() => assertNoReturnAwaitingApproval('vat-supplement', parsePeriod('2025'), 0)).not.toThrow();
    expect(() => assertNoReturnAwaitingApproval('vat-supplement', parsePeriod('2025-Q1'), 3)).not.toThrow();
    expect(() => assertNoReturnAwaitingApproval('vat-return', parsePeriod('2025'), 3)).not.toThrow();
  });

  it('A3: the portal needs the own certificate', () => {
    expect(() => assertPortalAllowed('own')).not.toThrow();
    expect(() => assertPortalAllowed('service-provider')).toThrow(/^A3: portal approval needs the hub to file with its own certificate/);
  });

  it('K1: only micro and small companies', () => {
    expect(() => assertKvkSizeClass('micro')).not.toThrow();
    expect(() => assertKvkSizeClass('klein')).not.toThrow();
    expect(() => assertKvkSizeClass('middelgroot')).toThrow('K1: the KvK deposit through the portal is only for micro and small companies (size class: middelgroot)');
  });

  it('K2: names every missing piece of the adoption and signature data', () => {
    expect(() => assertKvkPreparable({ adoptionDate: '2026-05-01', signedBy: { name: 'A', role: 'director', date: '2026-05-01' } })).not.toThrow();
    expect(() => assertKvkPreparable({})).toThrow(
      'K2: set the date of adoption (datum vaststelling), who signed (a director or commissioner), the date of signing before preparing the annual report',
    );
    expect(() => assertKvkPreparable({ adoptionDate: '2026-05-01', signedBy: { name: 'A', role: 'shareholder', date: '2026-05-01' } })).toThrow(
      'K2: set whether the signer is a director or a commissioner before preparing the annual report',
    );
    expect(() => assertKvkPreparable({ adoptionDate: '2026-05-01', signedBy: { name: 'A', role: 'commissioner' } })).toThrow(
      'K2: set the date of signing before preparing the annual report',
    );
  });
});

describe('due dates and reminders', () => {
  it('knows the due date of every filing kind', () => {
    expect(dueDateFor('vat-return', '2026-Q1', { preparedOn: '2026-04-02' })).toBe('2026-04-30');
    expect(dueDateFor('icp', '2026-02', { preparedOn: '2026-03-02' })).toBe('2026-03-31');
    expect(dueDateFor('vat-return', '2025', { preparedOn: '2026-01-10' })).toBe('2026-03-31');
    expect(dueDateFor('vat-supplement', '2025', { preparedOn: '2026-02-01' })).toBe('2026-03-29');
    // KvK: 8 days after adoption, at the latest 12 months after the year end.
    expect(dueDateFor('kvk-annual-report', '2025', { preparedOn: '2026-05-01', financialYearEnd: '2025-12-31', adoptionDate: '2026-05-20' })).toBe('2026-05-28');
    expect(dueDateFor('kvk-annual-report', '2025', { preparedOn: '2026-05-01', financialYearEnd: '2025-12-31', adoptionDate: '2026-12-30' })).toBe('2026-12-31');
  });

  it('plans the reminders still to come, and catches up the latest missed one of each kind once', () => {
    const early = reminderPlan('2026-04-30', '2026-04-01T09:00:00Z');
    expect(early.now).toEqual([]);
    expect(early.later.map((m) => `${m.kind}@${m.at.slice(0, 10)}`)).toEqual([
      'client-reminder@2026-04-16',
      'client-reminder@2026-04-27',
      'accountant-escalation@2026-04-29',
    ]);
    const between = reminderPlan('2026-04-30', '2026-04-20T09:00:00Z');
    expect(between.now.map((m) => m.daysBefore)).toEqual([14]);
    expect(between.later.map((m) => m.daysBefore)).toEqual([3, 1]);
    const late = reminderPlan('2026-04-30', '2026-06-01T00:00:00Z');
    expect(late.now.map((m) => `${m.kind}:${m.daysBefore}`)).toEqual(['client-reminder:3', 'accountant-escalation:1']);
    expect(late.later).toEqual([]);
    expect(reminderLabel({ kind: 'client-reminder', daysBefore: 3 })).toBe('client reminded (3 days before)');
    expect(reminderLabel({ kind: 'accountant-escalation', daysBefore: 1 })).toBe('escalated to the accountant (1 day before)');
  });
});
