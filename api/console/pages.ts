import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { FILING_KIND_NAMES } from '../../domain/kinds';
import { LIFECYCLE_CODES } from '../../domain/lifecycle';
import { RuleViolation } from '../../domain/errors';
import { readLog } from '../../db/repositories/communication-log';
import {
  approvalDecisions,
  attachments,
  countFilings,
  filingVersions,
  listFilings,
  messageByNumber,
  statusHistory,
  type FilingFilter,
  type MessageRow,
} from '../../db/repositories/messages';
import { organisationNames } from '../../db/repositories/organisations';
import { certificateNamesOf } from '../../db/repositories/runbooks';
import { hubOverview } from '../../db/repositories/overview';
import { attemptsOf, attemptView } from '../../db/repositories/submission-attempts';
import { HttpError } from '../plugins/errors';
import type { FilingServiceDeps } from '../services/filings';
import { portalContent, type PortalFiling } from '../services/portal-content';
import { startSendReceive } from '../services/send-receive';
import { CONSOLE_PREFIX, type ConsoleContext } from './index';
import { filingActions, INBOX_DONE } from './needs-action';
import { translateLog } from './log-texts';

const PAGE_SIZE = 25;
const Participant = Type.String({ maxLength: 10 });
const FilingParams = Type.Object({ participant: Participant, number: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) });

const today = () => new Date().toISOString().slice(0, 10);
/** Monday of this week (due dates "this week" run Monday to Sunday). */
function weekStart(now = new Date()): string {
  const day = (now.getUTCDay() + 6) % 7;
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - day)).toISOString().slice(0, 10);
}

/** What the client saw in the portal, from the stored message (the portal's own reading of the content). */
function asPortalFiling(row: MessageRow, adopted: boolean): PortalFiling {
  return {
    id: row.id,
    number: Number(row.number),
    kind: row.kind,
    period: row.period,
    lifecycle: row.lifecycle,
    digipoortStatus: row.digipoort_status,
    identityNumber: row.identity_number,
    contentXml: row.content_xml,
    contentSha256: row.content_sha256,
    dueDate: row.due_date ? row.due_date.toISOString().slice(0, 10) : null,
    lastStatusChangeAt: row.last_status_change_at.toISOString(),
    input: row.input as PortalFiling['input'],
    adopted,
    workflowId: row.workflow_id,
  };
}

/** The console's pages: overview, filings, a filing (the needs-action inbox and the filing's actions: ./needs-action.ts). Every read and write goes through the
 * repositories and services the JSON API uses. */
const pages: FastifyPluginAsyncTypebox<{ deps: FilingServiceDeps; context: ConsoleContext }> = async (app, { deps, context }) => {
  const { pool } = deps;
  const { render, requireAccount, requireAccountHub } = context;
  const hubPage = { preHandler: [requireAccount, requireAccountHub] };
  const hubForm = { preHandler: [requireAccount, app.csrfProtection, requireAccountHub] };
  const hubBase = (participant: string) => `${CONSOLE_PREFIX}/hubs/${participant}`;

  app.get('/', { preHandler: requireAccount, schema: { tags: ['staff console'], summary: 'The hubs of the signed-in account' } }, async (request, reply) => {
    const hubs = request.account!.hubs;
    if (hubs.length === 1) return reply.redirect(hubBase(hubs[0].participant), 303);
    return render(request, reply, 'hubs', { hubs });
  });

  app.get(
    '/hubs/:participant',
    { ...hubPage, schema: { tags: ['staff console'], summary: "A hub's overview", params: Type.Object({ participant: Participant }), querystring: Type.Object({ run: Type.Optional(Type.String({ maxLength: 20 })) }) } },
    async (request, reply) => {
      const { hub } = request.accountHub!;
      const overview = await hubOverview(pool, hub.id, weekStart());
      return render(request, reply, 'overview', { overview, run: request.query.run, today: today() });
    },
  );

  app.post(
    '/hubs/:participant/send-receive',
    { ...hubForm, schema: { tags: ['staff console'], summary: 'Send and receive now (H8), from the overview', params: Type.Object({ participant: Participant }) } },
    async (request, reply) => {
      const { hub } = request.accountHub!;
      let run: 'started' | 'running' = 'started';
      try {
        await startSendReceive(deps, hub, `${request.account!.name} (staff console)`);
      } catch (err) {
        if (!(err instanceof RuleViolation && err.rule === 'H8')) throw err;
        run = 'running';
      }
      // htmx swaps the panel in place; without scripts the page is shown again.
      if (request.headers['hx-request'] === 'true') {
        const overview = await hubOverview(pool, hub.id, weekStart());
        return render(request, reply, 'partials/send-receive', { overview, run });
      }
      return reply.redirect(`${hubBase(hub.participantNumber)}?run=${run}`, 303);
    },
  );

  app.get(
    '/hubs/:participant/filings',
    {
      ...hubPage,
      schema: {
        tags: ['staff console'],
        summary: "A hub's filings, filtered and paged",
        params: Type.Object({ participant: Participant }),
        querystring: Type.Object({
          client: Type.Optional(Type.String({ maxLength: 40 })),
          kind: Type.Optional(Type.String({ maxLength: 40 })),
          period: Type.Optional(Type.String({ maxLength: 10 })),
          lifecycle: Type.Optional(Type.String({ maxLength: 3 })),
          overdue: Type.Optional(Type.String({ maxLength: 5 })),
          page: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }),
        }),
      },
    },
    async (request, reply) => {
      const { hub } = request.accountHub!;
      const q = request.query;
      const clients = await organisationNames(pool, hub.id);
      const lifecycle = q.lifecycle && /^\d{1,2}$/.test(q.lifecycle) ? Number(q.lifecycle) : undefined;
      const filter: FilingFilter = {
        organisationId: clients.some((c) => c.id === q.client) ? q.client : undefined,
        kind: (FILING_KIND_NAMES as readonly string[]).includes(q.kind ?? '') ? q.kind : undefined,
        period: q.period?.trim() || undefined,
        lifecycle: LIFECYCLE_CODES.includes(lifecycle as never) ? lifecycle : undefined,
        overdueOn: q.overdue ? today() : undefined,
      };
      const total = await countFilings(pool, hub.id, filter);
      const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
      const page = Math.min(q.page, pages);
      const rows = await listFilings(pool, hub.id, filter, { limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE });
      const names = new Map(clients.map((c) => [c.id, c.name]));
      const query = new URLSearchParams(
        Object.entries({ client: filter.organisationId, kind: filter.kind, period: filter.period, lifecycle: filter.lifecycle?.toString(), overdue: q.overdue ? '1' : undefined })
          .filter((e): e is [string, string] => typeof e[1] === 'string'),
      );
      const pageLink = (n: number) => `?${new URLSearchParams([...query, ['page', String(n)]]).toString()}`;
      return render(request, reply, 'filings', {
        filings: rows.map((r) => ({ row: r, client: r.organisation_id ? names.get(r.organisation_id) : undefined })),
        clients,
        kinds: FILING_KIND_NAMES,
        lifecycles: LIFECYCLE_CODES,
        filter: { ...filter, overdue: Boolean(q.overdue) },
        total,
        page,
        pages,
        previous: page > 1 ? pageLink(page - 1) : undefined,
        next: page < pages ? pageLink(page + 1) : undefined,
        today: today(),
      });
    },
  );

  async function filingOf(hubId: string, number: number): Promise<MessageRow> {
    const row = await messageByNumber(pool, hubId, number);
    if (!row || row.direction !== 'outgoing') throw new HttpError(404, `no filing ${number}`);
    return row;
  }

  app.get(
    '/hubs/:participant/filings/:number',
    { ...hubPage, schema: { tags: ['staff console'], summary: 'One filing: content, decision, statuses, log, actions', params: FilingParams, querystring: Type.Object({ done: Type.Optional(Type.String({ maxLength: 20 })) }) } },
    async (request, reply) => {
      const { hub } = request.accountHub!;
      const row = await filingOf(hub.id, request.params.number);
      const [decisions, statuses, attempts, files, versions, log, clients] = await Promise.all([
        approvalDecisions(pool, row.id),
        statusHistory(pool, row.id),
        attemptsOf(pool, { messageId: row.id }).then((list) => list.map(attemptView)),
        attachments(pool, row.id),
        filingVersions(pool, row.filing_key),
        readLog(pool, hub.id, { messageNumber: Number(row.number), limit: 200 }),
        organisationNames(pool, hub.id),
      ]);
      // The log's ids said as names: a certificate by its name and KvK number, a client by its name.
      const certificates = new Map((await certificateNamesOf(pool, hub.id)).map((c) => [c.id, `"${c.label}" (KvK ${c.kvkNumber ?? '?'})`]));
      const logNames = { certificate: (id: string) => certificates.get(id), client: (id: string) => clients.find((c) => c.id === id)?.name };
      const adopted = decisions.some((d) => d.decision === 'adopted');
      // The shared partial (partials/filing-content) renders it, in the console's language.
      const content = row.content_xml
        ? deps.offThread
          ? await deps.offThread.portalContent(asPortalFiling(row, adopted))
          : portalContent(asPortalFiling(row, adopted))
        : undefined;
      const latest = Math.max(...versions.map((v) => v.version), row.version);
      const resettable = row.version === latest && (row.delivery_state === 'failed' || (row.do_not_send && row.delivery_state === 'superseded'));
      const actions = await filingActions(pool, row, latest);
      return render(request, reply, 'filing', {
        row,
        client: clients.find((c) => c.id === row.organisation_id)?.name,
        content,
        decisions,
        statuses,
        attempts,
        attachments: files,
        versions,
        resettable,
        ...actions,
        log: log.map((l) => ({ ...l, ...translateLog(l, context.words(request), logNames) })),
        done: request.query.done !== 'resolved' && (INBOX_DONE as readonly string[]).includes(request.query.done ?? '') ? request.query.done : undefined,
      });
    },
  );
  // The filing's actions (reset, remind, handled, resolve) and the needs-action inbox are in ./needs-action.ts.
};

export default pages;
