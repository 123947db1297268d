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

/**
 * The origins a Web UI opened elsewhere may call the codec from: the configured one and its twin, since the same UI
 * is reached as `localhost` and as `127.0.0.1`. (The UI the API serves at /temporal/ is same-origin and needs none.)
 */
export function uiOrigins(uiUrl: string): string[] {
  const origin = new URL(uiUrl).origin;
  const twin = origin.includes('//localhost') ? origin.replace('//localhost', '//127.0.0.1') : origin.replace('//127.0.0.1', '//localhost');
  return [...new Set([origin, twin])];
}

const codec: FastifyPluginAsyncTypebox<{ codec: PayloadCodec; uiOrigin: string; authRequired: boolean }> = async (
  app,
  opts,
) => {
  await app.register(cors, {
    origin: uiOrigins(opts.uiOrigin),
    methods: ['POST'],
    allowedHeaders: ['x-namespace', 'content-type', 'authorization'],
    credentials: true,
  });
  // A staff bearer token (a UI that passes the operator's token), or the session of an operator signed in at the
  // API (the UI served at /temporal/).
  const onRequest = opts.authRequired ? app.requireStaffOrOperator : [];
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
