import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RuleViolation } from '../../domain/errors';
import { findHub } from '../../db/repositories/hubs';
import { messageByNumber, needsActionMessages, resolveOnbMessage, statusHistory, unresolvedOnbMessages, type MessageRow } from '../../db/repositories/messages';
import type { Pool } from '../../db/pool';
import { failedFilings, finalOutcomesToFollowUp, handledMarkOf, heldMessagesForConsole } from '../../db/repositories/needs-action';
import { organisationNames } from '../../db/repositories/organisations';
import type { Dictionary } from '../i18n/nl';
import { HttpError } from '../plugins/errors';
import { resetFiling, routeHeldMessage, type FilingServiceDeps } from '../services/filings';
import { awaitsApproval, markFilingHandled, remindClient, resolveAmbiguousSubmission, resolveHeldAutomatically } from '../services/needs-action';
import { CONSOLE_PREFIX, type ConsoleContext } from './index';

const Participant = Type.String({ maxLength: 10 });
const Csrf = Type.Optional(Type.String({ maxLength: 200 }));
const FilingParams = Type.Object({ participant: Participant, number: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) });
const HeldParams = Type.Object({ participant: Participant, id: Type.String({ format: 'uuid' }) });
/** Where a form on the inbox or the filing page returns to. */
const Back = Type.Optional(Type.Union([Type.Literal('needs-action'), Type.Literal('filing')]));

/** What the inbox says was done (`?done=`), each with its dictionary text. */
export const INBOX_DONE = ['resolved', 'routed', 'adopted', 'resend', 'reset', 'handled', 'reminded'] as const;
type Done = (typeof INBOX_DONE)[number];

/**
 * A service's refusal, in the page's language: the rule it names and our own text for the refusals this page's
 * actions can meet; another rule's text stays as the service wrote it (English, marked as such on the page).
 */
const REFUSAL_TEXTS: Record<string, keyof Dictionary> = {
  'reset:H10': 'refusal_reset_H10',
  'remind:A1': 'refusal_remind_A1',
  'remind:A6': 'refusal_remind_A6',
  'handled:K4': 'refusal_handled_K4',
  'handled:H11': 'refusal_handled_H11',
  'resolve:H10': 'refusal_resolve_H10',
  'resolve:H5': 'refusal_resolve_H5',
  'route:H12': 'refusal_route_H12',
  'route:A5': 'refusal_route_A5',
  'automatic:H12': 'refusal_automatic_H12',
};

/** What the filing page offers besides the reset (H10): remind (A1), handled (40/90), resolve an ambiguous submission. */
export async function filingActions(db: Pool, row: MessageRow, latestVersion: number) {
  const handled = await handledMarkOf(db, row.id);
  return {
    remindable: awaitsApproval(row),
    followUp: (row.lifecycle === 40 || row.lifecycle === 90) && row.version === latestVersion && !handled,
    handled,
    ambiguous: row.delivery_state === 'needs_human',
  };
}

/**
 * The "Needs action" inbox: ONB messages (H7), held messages (H12), ambiguous submissions, failed sends (H10), and
 * filings rejected by the client (40) or refused by the authority (90); each resolved here with the choices its rule
 * allows, through the services the JSON API uses. Also the filing page's actions other than the reset.
 */
const needsActionPages: FastifyPluginAsyncTypebox<{ deps: FilingServiceDeps; context: ConsoleContext }> = async (app, { deps, context }) => {
  const { pool } = deps;
  const { render, requireAccount, requireAccountHub } = context;
  const hubPage = { preHandler: [requireAccount, requireAccountHub] };
  const hubForm = { preHandler: [requireAccount, app.csrfProtection, requireAccountHub] };
  const hubBase = (participant: string) => `${CONSOLE_PREFIX}/hubs/${participant}`;
  const actor = (request: FastifyRequest) => `${request.account!.name} (staff console)`;

  /** Runs an action; a refusal becomes the error page in the reader's language, naming the rule (nothing changed). */
  async function refusable(request: FastifyRequest, reply: FastifyReply, action: string, run: () => Promise<FastifyReply>): Promise<FastifyReply> {
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof RuleViolation)) throw err;
      const { t, f } = context.words(request);
      const own = REFUSAL_TEXTS[`${action}:${err.rule}`];
      const status = err.kind === 'conflict' ? 409 : err.kind === 'forbidden' ? 403 : 422;
      return render(request, reply, 'error', {
        title: t.notPossible,
        message: own ? `${err.rule}: ${t[own]}` : f('refusedByRuleNothingChanged', { rule: err.rule }),
        detail: own ? undefined : err.message,
        rule: err.rule,
      }, status);
    }
  }

  function backTo(participant: string, back: 'needs-action' | 'filing' | undefined, number: number | string | null, done: Done): string {
    if (back === 'filing' && number !== null) return `${hubBase(participant)}/filings/${number}?done=${done}`;
    return `${hubBase(participant)}/needs-action?done=${done}${number !== null ? `&number=${number}` : ''}`;
  }

  async function filingOf(hubId: string, number: number): Promise<MessageRow> {
    const row = await messageByNumber(pool, hubId, number);
    if (!row || row.direction !== 'outgoing') throw new HttpError(404, `no filing ${number}`);
    return row;
  }

  app.get(
    '/hubs/:participant/needs-action',
    {
      ...hubPage,
      schema: {
        tags: ['staff console'],
        summary: 'What waits for a person: ONB messages (H7), held messages (H12), ambiguous submissions, failed sends (H10), rejections (40) and refusals (90)',
        params: Type.Object({ participant: Participant }),
        querystring: Type.Object({
          resolved: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647 })),
          done: Type.Optional(Type.String({ maxLength: 20 })),
          number: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647 })),
        }),
      },
    },
    async (request, reply) => {
      const { hub } = request.accountHub!;
      const [onb, waiting, held, failed, outcomes, clients] = await Promise.all([
        unresolvedOnbMessages(pool, hub.id),
        needsActionMessages(pool, hub.id),
        heldMessagesForConsole(pool, hub.id, request.account!.id),
        failedFilings(pool, hub.id),
        finalOutcomesToFollowUp(pool, hub.id),
        organisationNames(pool, hub.id),
      ]);
      const onbItems = await Promise.all(onb.map(async (row) => ({ row, statuses: await statusHistory(pool, row.id) })));
      const names = new Map(clients.map((c) => [c.id, c.name]));
      const named = (r: MessageRow) => ({ row: r, client: r.organisation_id ? names.get(r.organisation_id) : undefined });
      const done = request.query.resolved ? 'resolved' : (INBOX_DONE as readonly string[]).includes(request.query.done ?? '') ? request.query.done : undefined;
      return render(request, reply, 'needs-action', {
        onb: onbItems,
        held,
        targets: request.account!.hubs,
        ambiguous: waiting.filter((r) => r.delivery_state === 'needs_human' && r.hub_id === hub.id).map(named),
        failed: failed.map(named),
        rejected: outcomes.filter((o) => o.row.lifecycle === 40).map((o) => ({ ...named(o.row), reason: o.reason })),
        refused: outcomes.filter((o) => o.row.lifecycle === 90).map((o) => ({ ...named(o.row), reason: o.reason })),
        done,
        doneNumber: request.query.resolved ?? request.query.number,
      });
    },
  );

  app.post(
    '/hubs/:participant/messages/:number/resolve',
    {
      ...hubForm,
      schema: {
        tags: ['staff console'],
        summary: 'Resolve an unknown return message (ONB, H7) from the inbox',
        params: FilingParams,
        body: Type.Object({ note: Type.String({ maxLength: 1000 }), _csrf: Csrf }),
      },
    },
    async (request, reply) => {
      const { hub } = request.accountHub!;
      const note = request.body.note.trim();
      if (!note) throw new RuleViolation('H7', context.words(request).t.noteRequired);
      const resolved = await resolveOnbMessage(pool, hub, request.params.number, actor(request), note);
      if (!resolved) throw new HttpError(404, 'no unresolved ONB message with that number');
      return reply.redirect(`${hubBase(hub.participantNumber)}/needs-action?resolved=${request.params.number}`, 303);
    },
  );

  /** A held message this page may show (H12), else 404 like any other firm's. */
  async function heldFor(request: FastifyRequest, id: string): Promise<MessageRow> {
    const [item] = await heldMessagesForConsole(pool, request.accountHub!.hub.id, request.account!.id, id);
    if (!item) throw new HttpError(404, 'no held message with that id');
    return item.row;
  }

  app.post(
    '/hubs/:participant/held/:id/route',
    {
      ...hubForm,
      schema: {
        tags: ['staff console'],
        summary: 'Route a held message to one of the account\'s hubs (H12); the target hub\'s approval settings apply (A1)',
        params: HeldParams,
        body: Type.Object({ target: Type.String({ pattern: '^[0-9]{5}$' }), _csrf: Csrf }),
      },
    },
    async (request, reply) => {
      const { hub } = request.accountHub!;
      const message = await heldFor(request, request.params.id);
      const membership = request.account!.hubs.find((h) => h.participant === request.body.target);
      const target = membership ? await findHub(pool, membership.participant) : undefined;
      if (!target) throw new HttpError(404, `no hub ${request.body.target}`);
      return refusable(request, reply, 'route', async () => {
        const routed = await routeHeldMessage(deps, message.id, target, actor(request));
        const where = target.id === hub.id ? `${hubBase(hub.participantNumber)}/needs-action?done=routed&number=${routed.number}` : `${hubBase(target.participantNumber)}/filings/${routed.number}?done=routed`;
        return reply.redirect(where, 303);
      });
    },
  );

  app.post(
    '/hubs/:participant/held/:id/resolve-automatically',
    {
      ...hubForm,
      schema: { tags: ['staff console'], summary: 'Let the system route a held message (H12) to the one hub with its client', params: HeldParams, body: Type.Object({ _csrf: Csrf }) },
    },
    async (request, reply) => {
      const { hub } = request.accountHub!;
      const message = await heldFor(request, request.params.id);
      return refusable(request, reply, 'automatic', async () => {
        const routed = await resolveHeldAutomatically(deps, message, `automatic resolution requested by ${actor(request)}`, request.account!.hubs.map((h) => h.hubId));
        const target = request.account!.hubs.find((h) => h.hubId === routed.hubId)!;
        const where = target.hubId === hub.id ? `${hubBase(hub.participantNumber)}/needs-action?done=routed&number=${routed.number}` : `${hubBase(target.participant)}/filings/${routed.number}?done=routed`;
        return reply.redirect(where, 303);
      });
    },
  );

  app.post(
    '/hubs/:participant/filings/:number/resolve',
    {
      ...hubForm,
      schema: {
        tags: ['staff console'],
        summary: 'Resolve an ambiguous submission: adopt a Digipoort process by its kenmerk, or allow a resend',
        params: FilingParams,
        body: Type.Object({
          choice: Type.Union([Type.Literal('adopt'), Type.Literal('resend')]),
          kenmerk: Type.Optional(Type.String({ maxLength: 40 })),
          back: Back,
          _csrf: Csrf,
        }),
      },
    },
    async (request, reply) => {
      const { hub } = request.accountHub!;
      const { choice, back } = request.body;
      const kenmerk = request.body.kenmerk?.trim();
      if (choice === 'adopt' && !kenmerk) throw new RuleViolation('H5', context.words(request).t.kenmerkRequired);
      return refusable(request, reply, 'resolve', async () => {
        await resolveAmbiguousSubmission(deps, hub, request.params.number, choice === 'adopt' ? { how: 'adopted', kenmerk: kenmerk! } : { how: 'resend' }, actor(request));
        return reply.redirect(backTo(hub.participantNumber, back, request.params.number, choice === 'adopt' ? 'adopted' : 'resend'), 303);
      });
    },
  );

  app.post(
    '/hubs/:participant/filings/:number/reset',
    {
      ...hubForm,
      schema: {
        tags: ['staff console'],
        summary: 'Reset a failed filing and send it again (H10), from the filing page or the inbox',
        params: FilingParams,
        body: Type.Optional(Type.Object({ back: Back, _csrf: Csrf })),
      },
    },
    async (request, reply) => {
      const { hub } = request.accountHub!;
      return refusable(request, reply, 'reset', async () => {
        await resetFiling(deps, hub, request.params.number, actor(request));
        return reply.redirect(backTo(hub.participantNumber, request.body?.back ?? 'filing', request.params.number, 'reset'), 303);
      });
    },
  );

  app.post(
    '/hubs/:participant/filings/:number/handled',
    {
      ...hubForm,
      schema: {
        tags: ['staff console'],
        summary: 'Mark a rejection (40) or a refusal by the authority (90) as handled, with a note',
        params: FilingParams,
        body: Type.Object({ note: Type.String({ maxLength: 1000 }), back: Back, _csrf: Csrf }),
      },
    },
    async (request, reply) => {
      const { hub } = request.accountHub!;
      await filingOf(hub.id, request.params.number);
      if (!request.body.note.trim()) throw new RuleViolation('K4', context.words(request).t.noteRequired);
      return refusable(request, reply, 'handled', async () => {
        await markFilingHandled(deps, hub, request.params.number, actor(request), request.body.note);
        return reply.redirect(backTo(hub.participantNumber, request.body.back, request.params.number, 'handled'), 303);
      });
    },
  );

  app.post(
    '/hubs/:participant/filings/:number/remind',
    {
      ...hubForm,
      schema: {
        tags: ['staff console'],
        summary: "Remind the client of a filing that waits for its approval (A1): the portal's reminder e-mail, queued and logged",
        params: FilingParams,
        body: Type.Object({ back: Back, _csrf: Csrf }),
      },
    },
    async (request, reply) => {
      const { hub } = request.accountHub!;
      return refusable(request, reply, 'remind', async () => {
        await remindClient(deps, hub, request.params.number, actor(request));
        return reply.redirect(backTo(hub.participantNumber, request.body.back ?? 'filing', request.params.number, 'reminded'), 303);
      });
    },
  );
};

export default needsActionPages;
