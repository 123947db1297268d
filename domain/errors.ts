/**
 * A refusal that names the rule it enforces (H10, A2, C2, ...). Raised before anything is stored, so a refused
 * request leaves all data as it was. The API answers it with a 4xx and `{ rule, message }`.
 */
export class RuleViolation extends Error {
  override readonly name = 'RuleViolation';
  constructor(
    readonly rule: string,
    message: string,
    /** 409: conflicts with the current state; 422: the input itself breaks the rule; 403: the caller may not. */
    readonly kind: 'conflict' | 'invalid' | 'forbidden' = 'invalid',
    /** The field or box of the request the refusal is about, when there is one (e.g. `vat.1a`). */
    readonly field?: string,
  ) {
    super(`${rule}: ${message}`);
  }
}

/** Input that is malformed (bad identifier, missing box); names the field, and the rule when one applies. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
