import { Type } from '@sinclair/typebox';

/** The one error body of every route (see plugins/errors.ts). */
export const ErrorResponse = Type.Object({
  error: Type.String(),
  message: Type.String(),
  rule: Type.Optional(Type.String({ description: 'The domain rule the refusal enforces, e.g. H10 or A2.' })),
  field: Type.Optional(Type.String({ description: 'The input field that failed validation.' })),
});

/**
 * A message number (H5) or another bigint id in a path or query: positive and within JavaScript's safe integers
 * (far below PostgreSQL's bigint), so an absurd number is a 400 naming the field, never a database error.
 */
export const MessageNumber = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
