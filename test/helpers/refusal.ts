import { RuleViolation } from '../../domain/errors';

/** Runs code that must throw an error of `type`, and answers that error (failing when it did not throw). */
export function thrownBy<E extends Error>(type: abstract new (...args: never[]) => E, fn: () => unknown): E {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(type);
    return err as E;
  }
  throw new Error(`expected a ${type.name}`);
}

/** Runs a pure rule that must refuse, and answers the RuleViolation (failing when it did not refuse). */
export function refusal(fn: () => unknown): RuleViolation {
  return thrownBy(RuleViolation, fn);
}
