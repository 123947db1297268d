import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Client } from '@temporalio/client';
import type { Pool } from '../../db/pool';
import { ErrorResponse } from '../schemas/common';
import { startSendReceive } from '../services/send-receive';

/**
 * H8: send and receive on demand, as a run of the hub's send/receive workflow. One run per hub at a time; a second
 * request while one runs gets 409.
 */
const sendReceiveRoute: FastifyPluginAsyncTypebox<{ pool: Pool; temporal: Client; taskQueue: string }> = async (app, { pool, temporal, taskQueue }) => {
  app.post(
    '/api/hubs/:participant/send-receive',
    {
      onRequest: app.requireStaff,
      preHandler: app.requireHub,
      schema: {
        tags: ['send-receive'],
        summary: 'Send and receive now (H8)',
        description:
          '202 once the hub\'s send/receive workflow (`workflowId`, one per hub) accepted the run; `runId` is the id of that ' +
          'run (the workflow update `runSendReceive`, whose result is the run\'s summary). 409 "already running" while a run of ' +
          'this hub is going on (a dead run gives way after 30 minutes). An on-demand run makes the full scan (every process of every ' +
          'organisation and message type of the last 30 days, H7 and H9; the timer\'s runs make it daily); `?full=false` asks ' +
          'for the new statuses only (one getNieuweStatussenProces per open process), as a timer run does.',
        security: [{ staffToken: [] }],
        params: Type.Object({ participant: Type.String() }),
        querystring: Type.Object({ full: Type.Optional(Type.Boolean()) }),
        response: { 202: Type.Object({ runId: Type.String(), workflowId: Type.String() }), 409: ErrorResponse },
      },
    },
    async (request, reply) =>
      reply.status(202).send(await startSendReceive({ pool, temporal, taskQueue }, request.hub!, request.staff?.name ?? 'staff', { full: request.query.full })),
  );
};

export default sendReceiveRoute;
