import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Client } from '@temporalio/client';
import type { Pool } from '../../db/pool';
import { ErrorResponse } from '../schemas/common';
import { startSendReceive } from '../services/send-receive';

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
    async (request, reply) => reply.status(202).send(await startSendReceive({ pool, temporal, taskQueue }, request.hub!, request.staff?.name ?? 'staff')),
  );
};

export default sendReceiveRoute;
