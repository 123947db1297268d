import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import cors from '@fastify/cors';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { ValidationError } from '../../domain/errors';
import { PayloadDecodeError } from '../../temporal/codec';

/**
 * The codec endpoint of the Temporal Web UI (`--ui-codec-endpoint <PUBLIC_URL>/codec`): the browser sends encrypted
 * payloads and gets them back decoded, so operators can read inputs, results and failures. Payload bytes travel as
 * base64, as the Temporal codec-server protocol defines.
 */
const JsonPayload = Type.Object({
  metadata: Type.Optional(Type.Record(Type.String(), Type.String())),
  data: Type.Optional(Type.String()),
});
const Payloads = Type.Object({ payloads: Type.Array(JsonPayload, { maxItems: 1000 }) });

type JsonPayloadType = { metadata?: Record<string, string>; data?: string };

function fromJson(p: JsonPayloadType): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(p.data ?? '', 'base64'),
  };
}

function toJson(p: Payload): JsonPayloadType {
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]),
    ),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  };
}

const codec: FastifyPluginAsyncTypebox<{ codec: PayloadCodec; uiOrigin: string; authRequired: boolean }> = async (
  app,
  opts,
) => {
  await app.register(cors, {
    origin: opts.uiOrigin,
    methods: ['POST'],
    allowedHeaders: ['x-namespace', 'content-type', 'authorization'],
    credentials: true,
  });
  const onRequest = opts.authRequired ? app.requireStaff : [];
  for (const direction of ['encode', 'decode'] as const) {
    app.post(
      `/codec/${direction}`,
      {
        onRequest,
        schema: {
          tags: ['platform'],
          summary: `Temporal Web UI codec: ${direction} payloads`,
          body: Payloads,
          response: { 200: Payloads },
        },
      },
      async (request) => {
        const payloads = request.body.payloads.map(fromJson);
        if (direction === 'encode') return { payloads: (await opts.codec.encode(payloads)).map(toJson) };
        // Each payload on its own, so a refusal names the one that cannot be decoded.
        const decoded: Payload[] = [];
        for (const [index, payload] of payloads.entries()) {
          try {
            decoded.push(...(await opts.codec.decode([payload])));
          } catch (err) {
            if (err instanceof PayloadDecodeError) throw new ValidationError(`payloads[${index}]`, err.message);
            throw err;
          }
        }
        return { payloads: decoded.map(toJson) };
      },
    );
  }
};

export default codec;
