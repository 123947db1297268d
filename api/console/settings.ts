import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RuleViolation, ValidationError } from '../../domain/errors';
import { FILING_KIND_NAMES, type FilingKind } from '../../domain/filings';
import { messageTypesOf, reminderMomentsOf } from '../../db/repositories/hub-settings';
import { HttpError } from '../plugins/errors';
import type { FilingServiceDeps } from '../services/filings';
import { changeHub, changeMessageTypes, changeReminderMoments } from '../services/hub-settings';
import { CONSOLE_PREFIX, type ConsoleContext } from './index';

const Participant = Type.String({ maxLength: 10 });
const Params = Type.Object({ participant: Participant });
const FormValue = Type.Union([Type.String({ maxLength: 200 }), Type.Array(Type.String({ maxLength: 200 }), { maxItems: 100 })]);
const FormBody = Type.Record(Type.String({ maxLength: 60 }), FormValue);
type Form = Static<typeof FormBody>;
/** Empty rows the reminder form offers beyond the hub's moments. */
const EXTRA_REMINDER_ROWS = 2;

const list = (form: Form, name: string): string[] => {
  const value = form[name];
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).map((v) => v.trim());
};

/**
 * A hub's settings in the console: message types (A4), send/receive interval, portal on/off, reminder moments (A1).
 * Everyone of the hub sees them; only its admins change them (through the services the JSON API uses). Bad input
 * shows the page again with the field named (422) and nothing stored.
 */
const settingsPages: FastifyPluginAsyncTypebox<{ deps: FilingServiceDeps; context: ConsoleContext }> = async (app, { deps, context }) => {
  const { pool } = deps;
  const { render, requireAccount, requireAccountHub } = context;
  const hubPage = { preHandler: [requireAccount, requireAccountHub] };
  const requireAdmin = async (request: FastifyRequest) => {
    if (request.accountHub?.role !== 'admin') throw new HttpError(403, context.words(request).t.adminOnly);
  };
  const adminForm = { preHandler: [requireAccount, app.csrfProtection, requireAccountHub, requireAdmin] };
  const page = (participant: string) => `${CONSOLE_PREFIX}/hubs/${participant}/settings`;
  const by = (request: FastifyRequest) => `${request.account!.name} (staff console)`;

  async function renderSettings(request: FastifyRequest, reply: FastifyReply, extra: { saved?: boolean; problem?: string; field?: string; reminderRows?: { daysBefore: string; kind: string }[] } = {}, status = 200) {
    const { hub, role } = request.accountHub!;
    const [types, reminders] = await Promise.all([messageTypesOf(pool, hub.id), reminderMomentsOf(pool, hub.id)]);
    const rows = extra.reminderRows ?? [
      ...reminders.moments.map((m) => ({ daysBefore: String(m.daysBefore), kind: m.kind as string })),
      ...Array.from({ length: EXTRA_REMINDER_ROWS }, () => ({ daysBefore: '', kind: 'client-reminder' })),
    ];
    return render(request, reply, 'settings', { types, reminders, reminderRows: rows, canChange: role === 'admin', ...extra }, status);
  }

  /** A refusal as the page shows it: the field named, in the reader's language where we have the words. */
  function problemOf(request: FastifyRequest, err: unknown): { problem: string; field?: string; status: number } | undefined {
    const { f } = context.words(request);
    if (err instanceof ValidationError) {
      const match = /^moments\[(\d+)\]/.exec(err.field);
      const problem = match ? f('reminderFieldProblem', { n: Number(match[1]) + 1, field: err.field }) : `${err.field}: ${err.message}`;
      return { problem: f('settingsProblem', { problem }), field: err.field, status: 422 };
    }
    if (err instanceof RuleViolation) {
      return { problem: f('settingsProblem', { problem: `${f('ruleProblem', { rule: err.rule })} — ${err.message}` }), field: err.field, status: err.kind === 'conflict' ? 409 : err.kind === 'forbidden' ? 403 : 422 };
    }
    return undefined;
  }

  app.get('/hubs/:participant/settings', { ...hubPage, schema: { tags: ['staff console'], summary: "The hub's settings (read-only for an accountant)", params: Params, querystring: Type.Object({ saved: Type.Optional(Type.String({ maxLength: 5 })) }) } }, async (request, reply) =>
    renderSettings(request, reply, { saved: Boolean(request.query.saved) }),
  );

  app.post(
    '/hubs/:participant/settings/message-types',
    { ...adminForm, schema: { tags: ['staff console'], summary: 'Block or unblock message types (A4); admins only', params: Params, body: FormBody } },
    async (request, reply) => {
      const { hub } = request.accountHub!;
      const blocked = new Set(list(request.body, 'blocked'));
      const unknown = [...blocked].find((k) => !(FILING_KIND_NAMES as readonly string[]).includes(k));
      if (unknown) return renderSettings(request, reply, { ...problemOf(request, new ValidationError('blocked', `no message type ${unknown.slice(0, 40)}`))! }, 422);
      await changeMessageTypes(pool, hub, new Map(FILING_KIND_NAMES.map((k): [FilingKind, boolean] => [k, blocked.has(k)])));
      return reply.redirect(`${page(hub.participantNumber)}?saved=1`, 303);
    },
  );

  app.post(
    '/hubs/:participant/settings/send-receive',
    { ...adminForm, schema: { tags: ['staff console'], summary: 'Send/receive interval and portal on/off; admins only', params: Params, body: FormBody } },
    async (request, reply) => {
      const { hub } = request.accountHub!;
      const interval = (list(request.body, 'sendReceiveIntervalSeconds')[0] ?? '').trim();
      const seconds = /^\d{1,6}$/.test(interval) ? Number(interval) : Number.NaN;
      if (!(seconds >= 5 && seconds <= 86400)) {
        const { f, t } = context.words(request);
        return renderSettings(request, reply, { problem: f('settingsProblem', { problem: t.intervalProblem }), field: 'sendReceiveIntervalSeconds' }, 422);
      }
      try {
        await changeHub(deps, hub, { sendReceiveIntervalSeconds: seconds, portalEnabled: list(request.body, 'portalEnabled')[0] === 'on' });
      } catch (err) {
        const problem = problemOf(request, err);
        if (!problem) throw err;
        return renderSettings(request, reply, problem, problem.status);
      }
      return reply.redirect(`${page(hub.participantNumber)}?saved=1`, 303);
    },
  );

  app.post(
    '/hubs/:participant/settings/reminders',
    { ...adminForm, schema: { tags: ['staff console'], summary: 'Reminder moments for filings awaiting approval (A1); admins only', params: Params, body: FormBody } },
    async (request, reply) => {
      const { hub } = request.accountHub!;
      const days = list(request.body, 'daysBefore');
      const kinds = list(request.body, 'kind');
      const rows = days.map((d, i) => ({ daysBefore: d, kind: kinds[i] ?? '' }));
      // A row without days is left out; the others go to the domain's rule as given.
      const moments = rows.filter((r) => r.daysBefore !== '').map((r) => ({ daysBefore: /^-?\d+(\.\d+)?$/.test(r.daysBefore) ? Number(r.daysBefore) : r.daysBefore, kind: r.kind }));
      try {
        await changeReminderMoments(pool, hub, moments, by(request));
      } catch (err) {
        const problem = problemOf(request, err);
        if (!problem) throw err;
        return renderSettings(request, reply, { ...problem, reminderRows: rows }, problem.status);
      }
      return reply.redirect(`${page(hub.participantNumber)}?saved=1`, 303);
    },
  );
};

export default settingsPages;
