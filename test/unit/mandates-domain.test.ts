import { RuleViolation, ValidationError } from '../../domain/errors';
import { refusal } from '../helpers/refusal';
import {
  applyReportedState,
  assertActivatable,
  assertLetterNameConfirmed,
  assertMandateRequest,
  assertNoOpenMandate,
  assertRevocable,
  canTransition,
  covers,
  fiscalNumberOf,
  isOpen,
  mandateAanleverkenmerk,
  mandateWorkflowId,
  nextCheckDelayMs,
  normalizeActivationCode,
  overlaps,
  type MandateState,
} from '../../domain/mandates';

const STATES: MandateState[] = ['REQUESTED', 'ONTVANGEN', 'ACTIVE', 'REJECTED', 'REVOKED', 'EXPIRED'];

describe('C6: the mandate state machine', () => {
  it('REQUESTED → ONTVANGEN → ACTIVE/REJECTED; ACTIVE → REVOKED/EXPIRED; closed states are final', () => {
    const allowed = STATES.flatMap((from) => STATES.filter((to) => canTransition(from, to)).map((to) => `${from}→${to}`));
    expect(allowed.sort()).toEqual(
      [
        'REQUESTED→ONTVANGEN',
        'REQUESTED→ACTIVE',
        'REQUESTED→REJECTED',
        'REQUESTED→REVOKED',
        'ONTVANGEN→ACTIVE',
        'ONTVANGEN→REJECTED',
        'ONTVANGEN→REVOKED',
        'ACTIVE→REVOKED',
        'ACTIVE→EXPIRED',
      ].sort(),
    );
    expect(STATES.filter(isOpen)).toEqual(['REQUESTED', 'ONTVANGEN', 'ACTIVE']);
  });

  it('a stale or repeated report changes nothing', () => {
    expect(applyReportedState('ACTIVE', 'ONTVANGEN')).toBe('ACTIVE');
    expect(applyReportedState('REVOKED', 'ACTIVE')).toBe('REVOKED');
    expect(applyReportedState('ONTVANGEN', 'ONTVANGEN')).toBe('ONTVANGEN');
    expect(applyReportedState('ONTVANGEN', 'ACTIVE')).toBe('ACTIVE');
  });
});

describe('C6: one open mandate per client, service and year', () => {
  const open = (year: number, continuing = false, state: MandateState = 'ACTIVE') => ({ id: `m${year}`, service: 'SBA' as const, year, continuing, state });

  it('continuing mandates cover their year and every later one', () => {
    expect(covers({ year: 2025, continuing: true }, 2027)).toBe(true);
    expect(covers({ year: 2025, continuing: true }, 2024)).toBe(false);
    expect(covers({ year: 2025, continuing: false }, 2026)).toBe(false);
    expect(overlaps({ service: 'SBA', year: 2025, continuing: true }, { service: 'SBA', year: 2026, continuing: false })).toBe(true);
    expect(overlaps({ service: 'SBA', year: 2025, continuing: true }, { service: 'VIA', year: 2026, continuing: false })).toBe(false);
    expect(overlaps({ service: 'SBA', year: 2027, continuing: true }, { service: 'SBA', year: 2026, continuing: false })).toBe(false);
  });

  it('refuses a second open mandate, naming C6; closed ones do not count', () => {
    const request = { service: 'SBA' as const, year: 2026, continuing: false };
    let err: unknown;
    try {
      assertNoOpenMandate(request, [open(2026)]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RuleViolation);
    expect((err as RuleViolation).rule).toBe('C6');
    expect(() => assertNoOpenMandate(request, [open(2024, true)])).toThrow(/C6/);
    expect(() => assertNoOpenMandate(request, [open(2026, false, 'REVOKED'), open(2025)])).not.toThrow();
  });

  it('validates service, year and the activation code', () => {
    expect(() => assertMandateRequest({ service: 'XYZ', year: 2026, continuing: false })).toThrow(ValidationError);
    expect(() => assertMandateRequest({ service: 'VIA', year: 1999, continuing: false })).toThrow(ValidationError);
    expect(normalizeActivationCode(' ab1-cd2-ef34 ')).toBe('AB1-CD2-EF34');
    expect(() => normalizeActivationCode('AB1CD2EF34')).toThrow(ValidationError);
  });

  it('only an ONTVANGEN VIA mandate is activated; only open mandates are revoked', () => {
    expect(() => assertActivatable({ service: 'VIA', state: 'ONTVANGEN' })).not.toThrow();
    expect(() => assertActivatable({ service: 'SBA', state: 'ONTVANGEN' })).toThrow(/C6/);
    expect(() => assertActivatable({ service: 'VIA', state: 'REQUESTED' })).toThrow(/C6/);
    expect(() => assertActivatable({ service: 'VIA', state: 'ONTVANGEN', activationPending: true })).toThrow(/C6/);
    expect(() => assertRevocable({ state: 'ACTIVE' })).not.toThrow();
    expect(() => assertRevocable({ state: 'REVOKED' })).toThrow(/C6/);
  });
});

describe('identifiers and timing', () => {
  it('the fiscal number is the OB number\'s nine digits', () => {
    expect(fiscalNumberOf('123456782B01')).toBe('123456782');
    expect(() => fiscalNumberOf(null)).toThrow(/C6/);
  });

  it('names workflows with internal ids and keeps the aanleverkenmerk within 40 characters', () => {
    expect(mandateWorkflowId('12345', 'org-1', 'SBA', 2026, 2)).toBe('mandate-12345-org-1-SBA-2026-2');
    expect(mandateAanleverkenmerk('12345', 123456789, 3)).toBe('MA12345-123456789-a3');
    expect(mandateAanleverkenmerk('12345', Number.MAX_SAFE_INTEGER, 99).length).toBeLessThanOrEqual(40);
  });

  it('checks soon after a change, then backs off to at most an hour (a day while active)', () => {
    expect(nextCheckDelayMs('ONTVANGEN', 0)).toBe(1000);
    expect(nextCheckDelayMs('ONTVANGEN', 3)).toBe(8000);
    expect(nextCheckDelayMs('ONTVANGEN', 50)).toBe(3_600_000);
    expect(nextCheckDelayMs('ACTIVE', 50)).toBe(86_400_000);
  });
});

describe('C3: the letter name is shown before a request is sent', () => {
  it('a request carries exactly the name the letter will print', () => {
    expect(() => assertLetterNameConfirmed('AA Accountants Holding B.V.', 'AA Accountants Holding B.V.')).not.toThrow();
    expect(() => assertLetterNameConfirmed('AA Accountants Holding B.V.', ' AA Accountants Holding B.V. ')).not.toThrow();
    for (const missing of [undefined, null, '', '  ']) {
      const err = refusal(() => assertLetterNameConfirmed('AA Accountants Holding B.V.', missing));
      expect({ rule: err.rule, kind: err.kind }).toEqual({ rule: 'C3', kind: 'invalid' });
      expect(err.message).toContain('"AA Accountants Holding B.V."');
    }
    const changed = refusal(() => assertLetterNameConfirmed('Jansen Belastingadvies B.V.', 'AA Accountants Holding B.V.'));
    expect({ rule: changed.rule, kind: changed.kind }).toEqual({ rule: 'C3', kind: 'conflict' });
    expect(changed.message).toContain('would now name "Jansen Belastingadvies B.V."');
  });
});
