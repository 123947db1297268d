import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Client } from '@temporalio/client';
import { RuleViolation } from '../../domain/errors';
import type { Pool } from '../../db/pool';
import { acquireSendReceiveLock, releaseSendReceiveLock } from '../../db/repositories/send-receive-locks';
import { sendReceive, sendReceiveWorkflowId } from '../../workflows/send-receive';
import { HubAttribute } from '../../workflows/search-attributes';
import { ErrorResponse } from '../schemas/common';

/** H8: send and receive on demand. One run per hub at a time; a second request while one runs gets 409. */
const sendReceiveRoute: FastifyPluginAsyncTypebox<{ pool: Pool; temporal: Client; taskQueue: string }> = async (app, { pool, temporal, taskQueue }) => {
  app.post(
    '/api/hubs/:participant/send-receive',
    {
      onRequest: app.requireStaff,
      preHandler: app.requireHub,
      schema: {
        tags: ['send-receive'],
        summary: 'Send and receive now (H8)',
        description: '202 with the run; 409 "already running" while a run of this hub is going on (a dead run gives way after 30 minutes).',
        security: [{ staffToken: [] }],
        params: Type.Object({ participant: Type.String() }),
        response: { 202: Type.Object({ runId: Type.String(), workflowId: Type.String() }), 409: ErrorResponse },
      },
    },
    async (request, reply) => {
      const hub = request.hub!;
      const runId = randomUUID();
      if (!(await acquireSendReceiveLock(pool, hub.id, runId))) {
        throw new RuleViolation('H8', `send/receive is already running for hub ${hub.participantNumber}`, 'conflict');
      }
      const workflowId = sendReceiveWorkflowId(hub.participantNumber, runId);
      try {
        await temporal.workflow.start(sendReceive, {
          workflowId,
          taskQueue,
          args: [{ hubId: hub.id, participant: hub.participantNumber, trigger: 'api', lockRunId: runId }],
          staticSummary: `Send/receive for hub ${hub.participantNumber} (requested by ${request.staff?.name})`,
          typedSearchAttributes: [{ key: HubAttribute, value: hub.participantNumber }],
        });
      } catch (err) {
        await releaseSendReceiveLock(pool, hub.id, runId);
        throw err;
      }
      return reply.status(202).send({ runId, workflowId });
    },
  );
};

export default sendReceiveRoute;
