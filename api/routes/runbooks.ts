import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ValidationError } from '../../domain/errors';
import { RUNBOOK_KINDS, type RunbookInput } from '../../domain/runbooks';
import { listRunbooks, runbookView } from '../../db/repositories/runbooks';
import { ErrorResponse } from '../schemas/common';
import { loadRunbook, releaseRunbook, startRunbook, steerRunbook, type RunbookServiceDeps } from '../services/runbooks';

/**
 * Certificate-change runbooks RB1–RB5 (seed 000): start one, read its plan (shown before anything changes), confirm
 * or cancel it, follow its progress step by step, retry a failed step. One runbook per certificate at a time (409).
 */
const Uuid = Type.String({ format: 'uuid' });
const GroupSpec = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }), certificateId: Uuid, beconNumbers: Type.Array(Type.String(), { maxItems: 1000 }) }, { additionalProperties: false });
// Null first: with type coercion on, a string alternative listed first would turn `null` into "" (no such group).
const BeconGroupSpec = Type.Object(
  { beconNumber: Type.String(), groupName: Type.Union([Type.Null(), Type.String({ minLength: 1, maxLength: 100 })], { description: 'null: no group (the work certificate).' }) },
  { additionalProperties: false },
);
const ClientBeconSpec = Type.Object({ organisationId: Uuid, beconNumber: Type.String(), year: Type.Optional(Type.Integer({ minimum: 2000, maximum: 2100 })) }, { additionalProperties: false });

export const StartBody = Type.Object(
  {
    kind: Type.Union(RUNBOOK_KINDS.map((k) => Type.Literal(k))),
    workCertificateId: Type.Optional(Uuid),
    groups: Type.Optional(Type.Array(GroupSpec, { maxItems: 100 })),
    clientBecons: Type.Optional(Type.Array(ClientBeconSpec, { maxItems: 10000 })),
    certificateId: Type.Optional(Type.String({ format: 'uuid', description: 'RB3: the certificate to remove; RB4/RB5: the one replaced.' })),
    newCertificateId: Type.Optional(Type.String({ format: 'uuid', description: 'RB4/RB5: the replacement (uploaded first).' })),
    groupName: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: "RB5: the group for the new certificate (default: the old one's)." })),
    beconGroups: Type.Optional(Type.Array(BeconGroupSpec, { maxItems: 1000 })),
  },
  { additionalProperties: false },
);

const StepSchema = Type.Object({
  key: Type.String(),
  title: Type.String(),
  state: Type.String(),
  detail: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String()),
  counts: Type.Optional(Type.Object({ done: Type.Integer(), total: Type.Integer(), what: Type.String() }, { description: 'A mandate step: settled so far, of how many.' })),
});

const RunbookSchema = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  phase: Type.String({ description: 'planning, awaiting-confirmation, running, paused, completed, cancelled or failed.' }),
  workflowId: Type.String(),
  primaryCertificateId: Type.String(),
  certificateIds: Type.Array(Type.String()),
  input: Type.Unknown(),
  plan: Type.Unknown({ description: 'Certificates, groups, Becons, clients and mandates it touches, and the letter names that change (C3).' }),
  steps: Type.Array(StepSchema),
  currentStep: Type.Union([Type.String(), Type.Null()]),
  progress: Type.Integer(),
  reason: Type.Union([Type.String(), Type.Null()]),
  createdBy: Type.String(),
  confirmedBy: Type.Union([Type.String(), Type.Null()]),
  confirmedAt: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
});

const ProgressSchema = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  phase: Type.String(),
  steps: Type.Array(StepSchema),
  currentStep: Type.Union([Type.String(), Type.Null()]),
  progress: Type.Integer(),
  reason: Type.Union([Type.String(), Type.Null()]),
});

function required<T>(value: T | undefined, field: string, kind: string): T {
  if (value === undefined) throw new ValidationError(field, `${kind} needs ${field}`);
  return value;
}

/** The body as the runbook kind's input; fields of other kinds are refused rather than silently ignored. */
export function toInput(body: Static<typeof StartBody>): RunbookInput {
  const { kind } = body;
  const allowed: Record<string, readonly string[]> = {
    RB1: ['workCertificateId', 'groups', 'clientBecons'],
    RB2: ['workCertificateId', 'groups', 'clientBecons'],
    RB3: ['certificateId', 'beconGroups'],
    RB4: ['certificateId', 'newCertificateId'],
    RB5: ['certificateId', 'newCertificateId', 'groupName', 'beconGroups', 'clientBecons'],
  };
  const extra = Object.keys(body).find((k) => k !== 'kind' && !allowed[kind].includes(k));
  if (extra) throw new ValidationError(extra, `${kind} does not take ${extra}`);
  switch (kind) {
    case 'RB1':
      return { kind, workCertificateId: body.workCertificateId, groups: required(body.groups, 'groups', kind), clientBecons: body.clientBecons };
    case 'RB2':
      return { kind, workCertificateId: required(body.workCertificateId, 'workCertificateId', kind), groups: required(body.groups, 'groups', kind), clientBecons: body.clientBecons };
    case 'RB3':
      return { kind, certificateId: required(body.certificateId, 'certificateId', kind), beconGroups: body.beconGroups };
    case 'RB4':
      return { kind, certificateId: required(body.certificateId, 'certificateId', kind), newCertificateId: required(body.newCertificateId, 'newCertificateId', kind) };
    case 'RB5':
      return {
        kind,
        certificateId: required(body.certificateId, 'certificateId', kind),
        newCertificateId: required(body.newCertificateId, 'newCertificateId', kind),
        groupName: body.groupName,
        beconGroups: body.beconGroups,
        clientBecons: body.clientBecons,
      };
  }
}

const runbooks: FastifyPluginAsyncTypebox<{ deps: RunbookServiceDeps }> = async (app, { deps }) => {
  const guard = { onRequest: app.requireStaff, preHandler: app.requireHub };
  const security = [{ staffToken: [] }];
  const Params = Type.Object({ participant: Type.String() });
  const IdParams = Type.Object({ participant: Type.String(), id: Type.String({ format: 'uuid' }) });
  const actor = (name?: string) => `staff ${name ?? 'unknown'}`;

  app.post(
    '/api/hubs/:participant/runbooks',
    {
      ...guard,
      schema: {
        tags: ['runbooks'],
        summary: 'Start a certificate runbook (RB1–RB5)',
        description:
          '202 with the runbook in phase `planning`; its plan appears in `GET .../runbooks/{id}` and it waits for `confirm` or `cancel`. Refusals name their rule (C2, C7, RB1–RB5) and change nothing; 409 when a certificate is already in a runbook.',
        security,
        params: Params,
        body: StartBody,
        response: { 202: RunbookSchema, 409: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request, reply) => {
      const started = await startRunbook(deps, request.hub!, toInput(request.body), actor(request.staff?.name));
      return reply.status(202).header('Location', `/api/hubs/${request.hub!.participantNumber}/runbooks/${started.id}`).send(started);
    },
  );

  app.get(
    '/api/hubs/:participant/runbooks',
    {
      ...guard,
      schema: { tags: ['runbooks'], summary: 'List runbooks', security, params: Params, response: { 200: Type.Array(RunbookSchema) } },
    },
    async (request) => {
      return (await listRunbooks(deps.pool, request.hub!.id)).map(runbookView);
    },
  );

  app.get(
    '/api/hubs/:participant/runbooks/:id',
    {
      ...guard,
      schema: { tags: ['runbooks'], summary: 'Read a runbook: its plan and its progress per step', security, params: IdParams, response: { 200: RunbookSchema, 404: ErrorResponse } },
    },
    async (request) => runbookView(await loadRunbook(deps.pool, request.hub!, request.params.id)),
  );

  for (const action of ['confirm', 'cancel', 'retry'] as const) {
    app.post(
      `/api/hubs/:participant/runbooks/:id/${action}`,
      {
        ...guard,
        schema: {
          tags: ['runbooks'],
          summary: { confirm: 'Confirm the plan: the steps run', cancel: 'Cancel: before confirmation, while paused, or after the running step', retry: 'Retry the failed step of a paused runbook' }[action],
          security,
          params: IdParams,
          response: { 202: ProgressSchema, 404: ErrorResponse, 409: ErrorResponse },
        },
      },
      async (request, reply) => reply.status(202).send(await steerRunbook(deps, request.hub!, request.params.id, action, actor(request.staff?.name))),
    );
  }

  app.post(
    '/api/hubs/:participant/runbooks/:id/release',
    {
      ...guard,
      schema: {
        tags: ['runbooks'],
        summary: "Release the certificate locks of a runbook whose workflow no longer runs",
        description:
          'For a runbook whose workflow was terminated, timed out, or never started (a crash between storing it and starting it): the runbook ends as `failed` with the reason and its certificates are free again. 409 while its workflow runs (cancel it instead), or when it holds no locks.',
        security,
        params: IdParams,
        response: { 200: RunbookSchema, 404: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (request) => releaseRunbook(deps, request.hub!, request.params.id, actor(request.staff?.name)),
  );
};

export default runbooks;
