import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Pool } from '../../db/pool';
import { ErrorResponse } from '../schemas/common';
import { confirmRegisterLetterName, letterNameProblems } from '../services/mandate-letter-names';

/**
 * C3: the letters whose firm name, as the register printed it, differs from the name the accountant confirmed. A
 * person looks at each and confirms the register's name, which corrects the certificate's letter name.
 */
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

const ProblemSchema = Type.Object({
  mandateId: Type.String(),
  organisationId: Type.String(),
  clientName: Type.String(),
  service: Type.String(),
  year: Type.Integer(),
  state: Type.String(),
  certificateId: Type.String(),
  certificateLabel: Type.String(),
  kvkNumber: Nullable(Type.String()),
  confirmedLetterName: Nullable(Type.String({ description: 'The name the accountant confirmed with the request.' })),
  registerLetterName: Type.String({ description: 'The name the register printed on the letter.' }),
  certificateLetterName: Type.String({ description: 'What the certificate promises now (dry runs, runbook plans).' }),
  reason: Type.String(),
});

const mandateLetterNames: FastifyPluginAsyncTypebox<{ pool: Pool }> = async (app, { pool }) => {
  const guard = { onRequest: app.requireStaff, preHandler: app.requireHub };
  const security = [{ staffToken: [] }];

  app.get(
    '/api/hubs/:participant/mandate-letter-names',
    {
      ...guard,
      schema: {
        tags: ['mandates'],
        summary: 'Mandates whose letter names another firm than the one confirmed (C3): they wait for a person',
        security,
        params: Type.Object({ participant: Type.String() }),
        response: { 200: Type.Array(ProblemSchema) },
      },
    },
    async (request) => letterNameProblems(pool, request.hub!),
  );

  app.post(
    '/api/hubs/:participant/mandates/:id/letter-name',
    {
      ...guard,
      schema: {
        tags: ['mandates'],
        summary: "Confirm the firm name the register printed on the letter (C3): it becomes the certificate's letter name",
        description:
          "`confirmLetterName` must be exactly the register's name (409 C3 otherwise, and when nothing waits). Every mandate of the certificate waiting on the same name is settled with it. 409 RB while a runbook holds the certificate. Nothing changes on a refusal.",
        security,
        params: Type.Object({ participant: Type.String(), id: Type.String({ format: 'uuid' }) }),
        body: Type.Object({ confirmLetterName: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
        response: {
          200: Type.Object({ certificateId: Type.String(), letterName: Type.String(), settledMandateIds: Type.Array(Type.String()) }),
          404: ErrorResponse,
          409: ErrorResponse,
        },
      },
    },
    async (request) => confirmRegisterLetterName(pool, request.hub!, request.params.id, request.body.confirmLetterName, `staff ${request.staff?.name ?? 'unknown'}`),
  );
};

export default mandateLetterNames;
