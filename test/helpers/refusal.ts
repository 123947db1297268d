import { RuleViolation } from '../../domain/errors';

/** Runs a pure rule that must refuse, and answers the RuleViolation (failing when it did not refuse). */
export function refusal(fn: () => unknown): RuleViolation {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RuleViolation);
    return err as RuleViolation;
  }
  throw new Error('expected a refusal');
}
