import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { MAX_REMINDER_OFFSETS } from '../../domain/deadlines';
import type { Pool } from '../../db/pool';
import { reminderMomentsOf } from '../../db/repositories/hub-settings';
import { ErrorResponse } from '../schemas/common';
import { HubParams } from '../schemas/hubs';
import { changeReminderMoments } from '../services/hub-settings';

/** A hub's reminder moments for filings that wait for the client's approval (A1). */
const Moment = Type.Object(
  {
    // The domain's rule decides (whole, non-negative days; the two kinds) and answers 422 naming the field.
    daysBefore: Type.Number({ description: 'Whole days before the due date, 0–366 (0: on the due date).', examples: [14] }),
    kind: Type.String({ description: '`client-reminder` (mail the client) or `accountant-escalation` (mail the accountant).', examples: ['client-reminder'] }),
  },
  { additionalProperties: false },
);
const MomentsSchema = Type.Object({
  moments: Type.Array(Moment),
  custom: Type.Boolean({ description: 'false: the hub has not set its own; these are the defaults (14 and 3 days: client, 1 day: accountant).' }),
  updatedBy: Type.Union([Type.String(), Type.Null()]),
  updatedAt: Type.Union([Type.String(), Type.Null()]),
});

const reminderMoments: FastifyPluginAsyncTypebox<{ pool: Pool }> = async (app, { pool }) => {
  const guard = { onRequest: app.requireStaff, preHandler: app.requireHub };
  const security = [{ staffToken: [] }];

  app.get(
    '/api/hubs/:participant/reminder-moments',
    { ...guard, schema: { tags: ['hubs'], summary: "The hub's reminder moments for filings awaiting the client's approval (A1)", security, params: HubParams, response: { 200: MomentsSchema, 404: ErrorResponse } } },
    async (request) => reminderMomentsOf(pool, request.hub!.id),
  );

  app.put(
    '/api/hubs/:participant/reminder-moments',
    {
      ...guard,
      schema: {
        tags: ['hubs'],
        summary: "Set the hub's reminder moments (A1)",
        description:
          'Replaces the moments. Filings offered to the client afterwards remind and escalate at them (one already waiting keeps its plan). Bad input is refused with 422 naming the field (`moments[1].daysBefore`) and nothing is stored.',
        security,
        params: HubParams,
        body: Type.Object({ moments: Type.Array(Moment, { maxItems: MAX_REMINDER_OFFSETS }) }, { additionalProperties: false }),
        response: { 200: MomentsSchema, 404: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request) => changeReminderMoments(pool, request.hub!, request.body.moments, `staff ${request.staff?.name ?? 'unknown'}`),
  );
};

export default reminderMoments;
