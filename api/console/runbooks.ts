import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ValidationError } from '../../domain/errors';
import { RUNBOOK_KINDS, RUNBOOK_STEPS, type RunbookKind, type RunbookPlan } from '../../domain/runbooks';
import { certificateNamesOf, listRunbooks, loadRunbookWorld, type RunbookRow } from '../../db/repositories/runbooks';
import { toInput, type StartBody } from '../routes/runbooks';
import type { FilingServiceDeps } from '../services/filings';
import { liveRunbookProgress } from '../services/runbook-progress';
import { loadRunbook, startRunbook, steerRunbook } from '../services/runbooks';
import { CONSOLE_PREFIX, type ConsoleContext } from './index';
import { refusalOf, type Refusal } from './refusals';
import { planNotices, runbookReason, stepDetail, stepNameKey } from './runbook-texts';

/** Rows the form offers for lists (groups, Becon groups, client Becons); empty rows are skipped. */
const FORM_ROWS = 3;
const Participant = Type.String({ maxLength: 10 });
const Id = Type.String({ maxLength: 40 });
const IdParams = Type.Object({ participant: Participant, id: Id });
/** A form field: one value, or several (a multiple select). */
const FormValue = Type.Union([Type.String({ maxLength: 200 }), Type.Array(Type.String({ maxLength: 200 }), { maxItems: 1000 })]);
const FormBody = Type.Record(Type.String({ maxLength: 60 }), FormValue);
type Form = Static<typeof FormBody>;

const isKind = (value: unknown): value is RunbookKind => RUNBOOK_KINDS.includes(value as RunbookKind);
const one = (form: Form, name: string): string => {
  const value = form[name];
  return (Array.isArray(value) ? (value[0] ?? '') : (value ?? '')).trim();
};
const many = (form: Form, name: string): string[] => {
  const value = form[name];
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).map((v) => v.trim()).filter(Boolean);
};
const optional = (value: string): string | undefined => (value === '' ? undefined : value);

/** The form as the JSON API's start body: only the fields the kind takes, empty rows left out. */
function bodyOf(kind: RunbookKind, form: Form): Static<typeof StartBody> {
  const rows = Array.from({ length: FORM_ROWS }, (_, i) => i);
  const groups = rows
    .map((i) => ({ name: one(form, `group${i}Name`), certificateId: one(form, `group${i}Certificate`), beconNumbers: many(form, `group${i}Becons`) }))
    .filter((g) => g.name || g.certificateId || g.beconNumbers.length);
  const beconGroups = rows
    .map((i) => ({ beconNumber: one(form, `beconGroup${i}Becon`), group: one(form, `beconGroup${i}Group`) }))
    .filter((b) => b.beconNumber)
    .map((b) => ({ beconNumber: b.beconNumber, groupName: b.group === '' ? null : b.group }));
  const clientBecons = rows
    .map((i) => ({ organisationId: one(form, `clientBecon${i}Client`), beconNumber: one(form, `clientBecon${i}Becon`), year: one(form, `clientBecon${i}Year`) }))
    .filter((c) => c.organisationId || c.beconNumber)
    .map((c) => {
      if (c.year && !/^\d{4}$/.test(c.year)) throw new ValidationError('clientBecons.year', `year ${c.year.slice(0, 10)} must be four digits`);
      return { organisationId: c.organisationId, beconNumber: c.beconNumber, ...(c.year ? { year: Number(c.year) } : {}) };
    });
  const certificateId = optional(one(form, 'certificateId'));
  const newCertificateId = optional(one(form, 'newCertificateId'));
  switch (kind) {
    case 'RB1':
    case 'RB2':
      return { kind, workCertificateId: optional(one(form, 'workCertificateId')), groups, ...(clientBecons.length ? { clientBecons } : {}) };
    case 'RB3':
      return { kind, certificateId, ...(beconGroups.length ? { beconGroups } : {}) };
    case 'RB4':
      return { kind, certificateId, newCertificateId };
    case 'RB5':
      return {
        kind,
        certificateId,
        newCertificateId,
        groupName: optional(one(form, 'groupName')),
        ...(beconGroups.length ? { beconGroups } : {}),
        ...(clientBecons.length ? { clientBecons } : {}),
      };
  }
}

/** A plan with names in place of ids, for the template. */
function namedPlan(plan: RunbookPlan, certificateName: (id: string | null) => string, clientName: (id: string) => string) {
  return {
    ...plan,
    install: plan.install.map((i) => ({ ...i, name: certificateName(i.certificateId) })),
    replace: plan.replace ? { ...plan.replace, oldName: certificateName(plan.replace.oldCertificateId), newName: certificateName(plan.replace.newCertificateId) } : null,
    deleteName: plan.deleteCertificateId ? certificateName(plan.deleteCertificateId) : null,
    workBefore: plan.workCertificate.before ? certificateName(plan.workCertificate.before) : null,
    workAfter: plan.workCertificate.after ? certificateName(plan.workCertificate.after) : null,
    groups: plan.groups.map((g) => ({ ...g, before: g.certificateBefore ? certificateName(g.certificateBefore) : null, after: g.certificateAfter ? certificateName(g.certificateAfter) : null })),
    clients: plan.clients.map((c) => ({ ...c, before: c.certificateBefore ? certificateName(c.certificateBefore) : null, after: certificateName(c.certificateAfter) })),
    clientBecons: plan.clientBecons.map((c) => ({ ...c, client: clientName(c.organisationId) })),
    mandatesToRevoke: plan.mandatesToRevoke.map((m) => ({ ...m, client: clientName(m.organisationId), certificate: certificateName(m.certificateId) })),
    mandatesToRequest: plan.mandatesToRequest.map((m) => ({ ...m, client: clientName(m.organisationId), certificate: certificateName(m.certificateId) })),
    letterNames: plan.letterNames.map((l) => ({ ...l, client: clientName(l.organisationId) })),
  };
}

/**
 * Runbooks RB1–RB5 in the console: the hub's list, a form that offers certificates, groups, Becons and clients by
 * name (pre-filled from the query, e.g. from a C7 proposal), the plan as a page with confirm and cancel, and the
 * progress per step, polled by htmx while the runbook plans or runs. Everything through the runbook services.
 */
const runbookPages: FastifyPluginAsyncTypebox<{ deps: FilingServiceDeps; context: ConsoleContext }> = async (app, { deps, context }) => {
  const { pool } = deps;
  const { render, requireAccount, requireAccountHub } = context;
  const hubPage = { preHandler: [requireAccount, requireAccountHub] };
  const hubForm = { preHandler: [requireAccount, app.csrfProtection, requireAccountHub] };
  const base = (participant: string) => `${CONSOLE_PREFIX}/hubs/${participant}/runbooks`;
  const by = (request: FastifyRequest) => `${request.account!.name} (staff console)`;

  async function names(hubId: string) {
    const [certificates, world] = await Promise.all([certificateNamesOf(pool, hubId), loadRunbookWorld(pool, hubId, new Date())]);
    const t = new Map(certificates.map((c) => [c.id, c]));
    const clients = new Map(world.clients.map((c) => [c.organisationId, c.name]));
    return {
      world,
      certificateName: (id: string | null) => {
        const c = id ? t.get(id) : undefined;
        return c ? `${c.label} (KvK ${c.kvkNumber ?? '?'})${c.deleted ? ' †' : ''}` : (id ?? '');
      },
      clientName: (id: string) => clients.get(id) ?? id,
      known: (id: string) => t.has(id),
    };
  }

  app.get(
    '/hubs/:participant/runbooks',
    { ...hubPage, schema: { tags: ['staff console'], summary: "The hub's runbooks (RB1–RB5) with their phase", params: Type.Object({ participant: Participant }) } },
    async (request, reply) => {
      const { hub } = request.accountHub!;
      const [rows, named] = await Promise.all([listRunbooks(pool, hub.id), names(hub.id)]);
      return render(request, reply, 'runbooks', { runbooks: rows.map((r) => ({ row: r, certificate: named.certificateName(r.primary_certificate_id) })) });
    },
  );

  async function renderForm(request: FastifyRequest<{ Params: { participant: string } }>, reply: FastifyReply, kind: RunbookKind | undefined, values: Form, problem?: string, status = 200, refusal?: Refusal) {
    const { hub } = request.accountHub!;
    const { world } = await names(hub.id);
    const label = (c: (typeof world.certificates)[number]) => `${c.label} (KvK ${c.kvkNumber ?? '?'})`;
    const groupOf = (certificateId: string) => world.groups.find((g) => g.certificateId === certificateId)?.name ?? null;
    const certificates = world.certificates.filter((c) => !c.isServiceProvider).map((c) => ({ id: c.id, name: label(c), group: groupOf(c.id), work: c.isWorkCertificate }));
    const replaced = certificates.find((c) => c.id === one(values, 'certificateId'));
    return render(
      request,
      reply,
      'runbook-new',
      {
        kind,
        kinds: RUNBOOK_KINDS,
        values: Object.fromEntries(Object.keys(values).map((k) => [k, many(values, k)])),
        value: (name: string) => one(values, name),
        certificates,
        groups: world.groups.map((g) => g.name),
        becons: world.becons.map((b) => b.number),
        clients: world.clients.map((c) => ({ id: c.organisationId, name: c.name })),
        rows: Array.from({ length: FORM_ROWS }, (_, i) => i),
        oldGroup: replaced ? (replaced.work ? null : replaced.group) : undefined,
        problem,
        refusal,
      },
      status,
    );
  }

  app.get(
    '/hubs/:participant/runbooks/new',
    {
      ...hubPage,
      schema: {
        tags: ['staff console'],
        summary: 'The form to plan a runbook, pre-filled from the query (e.g. ?kind=RB4&certificateId=..&newCertificateId=..&groupName=..)',
        params: Type.Object({ participant: Participant }),
        querystring: Type.Object({
          kind: Type.Optional(Type.String({ maxLength: 5 })),
          certificateId: Type.Optional(Id),
          newCertificateId: Type.Optional(Id),
          groupName: Type.Optional(Type.String({ maxLength: 100 })),
          workCertificateId: Type.Optional(Id),
        }),
      },
    },
    async (request, reply) => {
      const { kind, ...values } = request.query;
      return renderForm(request, reply, isKind(kind) ? kind : undefined, values as Form);
    },
  );

  app.post(
    '/hubs/:participant/runbooks',
    { ...hubForm, schema: { tags: ['staff console'], summary: 'Plan a runbook from the form (the plan waits for confirmation)', params: Type.Object({ participant: Participant }), body: FormBody } },
    async (request, reply) => {
      const { hub } = request.accountHub!;
      const form = request.body;
      const kind = one(form, 'kind');
      if (!isKind(kind)) return renderForm(request, reply, undefined, form, context.words(request).t.chooseKind, 422);
      try {
        const started = await startRunbook(deps, hub, toInput(bodyOf(kind, form)), by(request));
        return reply.redirect(`${base(hub.participantNumber)}/${started.id}`, 303);
      } catch (err) {
        // The form again, with what was chosen and why it cannot run (nothing was stored).
        // The rule (or field) in the page's language; the service's own English text only on English pages.
        const refusal = refusalOf('runbook', err);
        return renderForm(request, reply, kind, form, undefined, refusal.status, refusal);
      }
    },
  );

  async function runbookData(request: FastifyRequest, row: RunbookRow) {
    const { hub } = request.accountHub!;
    const words = context.words(request);
    const [named, live] = await Promise.all([names(hub.id), liveRunbookProgress(deps.temporal, row)]);
    // The domain's English details and reasons said again in the page's language, ids as names.
    const textNames = { certificate: (id: string) => (named.known(id) ? named.certificateName(id) : undefined), client: (id: string) => named.clientName(id) };
    const progress = {
      ...live,
      steps: live.steps.map((s) => ({
        ...s,
        detailShown: s.detail ? stepDetail(s.detail, words, textNames) : undefined,
        reasonShown: s.reason ? runbookReason(s.reason, words, textNames) : undefined,
      })),
      reasonShown: live.reason ? runbookReason(live.reason, words, textNames) : undefined,
      waitingShown: live.waiting ? runbookReason(live.waiting.reason, words, textNames) : undefined,
    };
    return {
      row,
      progress,
      polling: progress.phase === 'planning' || progress.phase === 'running',
      plan: row.plan ? { ...namedPlan(row.plan, named.certificateName, named.clientName), notices: planNotices(row.plan, words) } : null,
      stepKeys: RUNBOOK_STEPS[row.kind].map((s) => s.key),
      certificate: named.certificateName(row.primary_certificate_id),
      stepName: stepNameKey,
    };
  }

  app.get(
    '/hubs/:participant/runbooks/:id',
    { ...hubPage, schema: { tags: ['staff console'], summary: "A runbook: its plan, confirm or cancel, and its progress per step", params: IdParams, querystring: Type.Object({ done: Type.Optional(Type.String({ maxLength: 10 })) }) } },
    async (request, reply) => {
      const row = await loadRunbook(pool, request.accountHub!.hub, request.params.id);
      return render(request, reply, 'runbook', { ...(await runbookData(request, row)), done: ['confirm', 'cancel', 'retry'].includes(request.query.done ?? '') ? request.query.done : undefined });
    },
  );

  app.get(
    '/hubs/:participant/runbooks/:id/progress',
    { ...hubPage, schema: { tags: ['staff console'], summary: "A runbook's progress (the partial htmx polls)", params: IdParams, querystring: Type.Object({ phase: Type.Optional(Type.String({ maxLength: 30 })) }) } },
    async (request, reply) => {
      const row = await loadRunbook(pool, request.accountHub!.hub, request.params.id);
      const data = await runbookData(request, row);
      // The phase moved on (a plan to show, buttons that change): the whole page again.
      if (request.query.phase && request.query.phase !== data.progress.phase && request.headers['hx-request'] === 'true') reply.header('HX-Refresh', 'true');
      return render(request, reply, 'partials/runbook-progress', data);
    },
  );

  for (const action of ['confirm', 'cancel', 'retry'] as const) {
    app.post(
      `/hubs/:participant/runbooks/:id/${action}`,
      { ...hubForm, schema: { tags: ['staff console'], summary: { confirm: 'Confirm the plan', cancel: 'Cancel the runbook', retry: 'Retry the failed step' }[action], params: IdParams } },
      async (request, reply) => {
        const { hub } = request.accountHub!;
        await steerRunbook(deps, hub, request.params.id, action, by(request));
        return reply.redirect(`${base(hub.participantNumber)}/${request.params.id}?done=${action}`, 303);
      },
    );
  }
};

export default runbookPages;
