import { RuleViolation, ValidationError } from '../../domain/errors';
import { HttpError } from '../plugins/errors';

/**
 * A refusal of a console form, shown on the form itself (the page again, nothing changed): the rule (or field) in
 * the reader's language from the dictionary, the rule's own text (English, marked so) beside it.
 */
export interface Refusal {
  /** Which form on the page it belongs to. */
  form: string;
  rule: string | null;
  field: string | null;
  detail: string;
  status: number;
}

/** The refusal of a rule or an input; anything else (a 404, a 500) is not a form's refusal and goes on. */
export function refusalOf(form: string, err: unknown): Refusal {
  if (err instanceof RuleViolation) {
    return { form, rule: err.rule, field: err.field ?? null, detail: err.message, status: err.kind === 'conflict' ? 409 : err.kind === 'forbidden' ? 403 : 422 };
  }
  if (err instanceof ValidationError) return { form, rule: null, field: err.field, detail: err.message, status: 422 };
  if (err instanceof HttpError && err.statusCode >= 400 && err.statusCode < 500 && err.statusCode !== 404 && err.statusCode !== 401) {
    return { form, rule: err.rule ?? null, field: null, detail: err.message, status: err.statusCode };
  }
  throw err;
}

/** `''` from a select means none. */
export const orNull = (value: string | undefined): string | null => (value && value.trim() ? value.trim() : null);
