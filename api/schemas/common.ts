import { Type } from '@sinclair/typebox';

/** The one error body of every route (see plugins/errors.ts). */
export const ErrorResponse = Type.Object({
  error: Type.String(),
  message: Type.String(),
  rule: Type.Optional(Type.String({ description: 'The domain rule the refusal enforces, e.g. H10 or A2.' })),
  field: Type.Optional(Type.String({ description: 'The input field that failed validation.' })),
});
