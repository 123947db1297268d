import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ValidationError } from '../../domain/errors';
import { isOpen, type MandateState } from '../../domain/mandates';
import type { Hub } from '../../db/repositories/hubs';
import { listMandates, mandateView } from '../../db/repositories/mandates';
import { organisationNames } from '../../db/repositories/organisations';
import { certificateDetails } from '../services/certificates';
import { authoriseMandate, listAwaitingAuthorisation, readMandateSettings, refuseMandateAuthorisation, type StaffIdentity } from '../services/mandate-authorisation';
import { confirmRegisterLetterName, letterNameProblems } from '../services/mandate-letter-names';
import { loadMandate, previewMandateRequest, requestMandate, requestMandates, revokeMandate, type CollectiveRequestOutcome } from '../services/mandates';
import type { FilingServiceDeps } from '../services/filings';
import { CONSOLE_PREFIX, type ConsoleContext } from './index';
import { refusalOf, type Refusal } from './refusals';

const Participant = Type.String({ maxLength: 10 });
const HubParams = Type.Object({ participant: Participant });
const IdParams = Type.Object({ participant: Participant, id: Type.String({ format: 'uuid' }) });
const Csrf = { _csrf: Type.Optional(Type.String({ maxLength: 200 })) };
const Key = {
  service: Type.Union([Type.Literal('SBA'), Type.Literal('VIA')]),
  year: Type.String({ maxLength: 4 }),
  continuing: Type.Optional(Type.Literal('on')),
};
const Many = (maxLength: number) => Type.Union([Type.String({ maxLength }), Type.Array(Type.String({ maxLength }), { maxItems: 5000 })]);
const SingleBody = Type.Object({ organisationId: Type.String({ maxLength: 36 }), ...Key, confirmLetterName: Type.Optional(Type.String({ maxLength: 200 })), ...Csrf });
const CollectiveBody = Type.Object({
  scope: Type.Union([Type.Literal('all'), Type.Literal('chosen')]),
  organisationIds: Type.Optional(Many(36)),
  ...Key,
  confirmCertificate: Type.Optional(Many(36)),
  confirmLetterName: Type.Optional(Many(200)),
  ...Csrf,
});

const list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

function yearOf(value: string): number {
  const year = Number(value);
  if (!/^\d{4}$/.test(value) || year < 2000 || year > 2100) throw new ValidationError('year', 'a year from 2000 to 2100');
  return year;
}

/**
 * The Mandates page: per client and collectively, a dry run first that shows the certificate and the firm name the
 * tax authority prints on the client's letter (C3), which the person confirms on the page before anything is
 * requested; the mandates and their state; the letters whose name differs (C3); requests held for a second person
 * (C6). Everything goes through the mandate services of the JSON API; a refusal is shown, with nothing changed.
 */
const mandatePages: FastifyPluginAsyncTypebox<{ deps: FilingServiceDeps; context: ConsoleContext }> = async (app, { deps, context }) => {
  const { pool } = deps;
  const { render, requireAccount, requireAccountHub } = context;
  const hubPage = { preHandler: [requireAccount, requireAccountHub] };
  const hubForm = { preHandler: [requireAccount, app.csrfProtection, requireAccountHub] };
  const base = (hub: Hub) => `${CONSOLE_PREFIX}/hubs/${hub.participantNumber}/mandates`;
  const by = (request: FastifyRequest) => `${request.account!.name} (staff console)`;

  /** Names for ids: clients, and certificates as name and KvK number. */
  async function names(hub: Hub) {
    const [clients, certificates] = await Promise.all([organisationNames(pool, hub.id), certificateDetails(pool, hub.id)]);
    return { clients, clientName: new Map(clients.map((c) => [c.id, c.name])), certificate: new Map(certificates.map((c) => [c.id, c])) };
  }

  async function page(request: FastifyRequest, reply: FastifyReply, extra: { done?: string; refusal?: Refusal; outcome?: CollectiveRequestOutcome } = {}) {
    const { hub } = request.accountHub!;
    const [named, rows, problems, awaiting, settings] = await Promise.all([names(hub), listMandates(pool, hub.id), letterNameProblems(pool, hub), listAwaitingAuthorisation(deps, hub), readMandateSettings(deps, hub)]);
    return render(
      request,
      reply,
      'mandates',
      {
        clients: named.clients,
        clientName: named.clientName,
        certificate: named.certificate,
        mandates: rows.map((r) => ({ ...mandateView(r), open: isOpen(r.state as MandateState) })).reverse(),
        problems,
        awaiting,
        settings,
        thisYear: new Date().getUTCFullYear(),
        done: extra.done,
        refusal: extra.refusal,
        outcome: extra.outcome,
      },
      extra.refusal?.status ?? 200,
    );
  }

  app.get(
    '/hubs/:participant/mandates',
    { ...hubPage, schema: { tags: ['staff console'], summary: 'Mandates: state, letter names (C3), held requests (C6), request per client or collectively', params: HubParams, querystring: Type.Object({ done: Type.Optional(Type.String({ maxLength: 30 })) }) } },
    async (request, reply) => page(request, reply, { done: request.query.done }),
  );

  /** The dry run for one client: certificate and letter name (C3) shown, to confirm on the next page. */
  app.post(
    '/hubs/:participant/mandates/preview',
    { ...hubForm, schema: { tags: ['staff console'], summary: 'Dry run of a mandate request for one client (C3, C6)', params: HubParams, body: SingleBody } },
    async (request, reply) => {
      const { hub } = request.accountHub!;
      const body: Static<typeof SingleBody> = request.body;
      try {
        const named = await names(hub);
        if (!named.clientName.has(body.organisationId)) throw new ValidationError('organisationId', 'choose a client of this hub');
        const preview = await previewMandateRequest(deps, hub, { organisationId: body.organisationId, service: body.service, year: yearOf(body.year), continuing: body.continuing === 'on' });
        return render(request, reply, 'mandate-confirm', { collective: false, preview, clientName: named.clientName.get(body.organisationId), certificate: named.certificate.get(preview.certificateId) });
      } catch (err) {
        return page(request, reply, { refusal: refusalOf('request', err) });
      }
    },
  );

  app.post(
    '/hubs/:participant/mandates',
    { ...hubForm, schema: { tags: ['staff console'], summary: 'Request a mandate for one client with the letter name confirmed (C3, C6)', params: HubParams, body: SingleBody } },
    async (request, reply) => {
      const { hub } = request.accountHub!;
      const body: Static<typeof SingleBody> = request.body;
      try {
        if (!body.confirmLetterName) throw new ValidationError('confirmLetterName', 'confirm the letter name shown by the dry run first');
        await requestMandate(deps, hub, { organisationId: body.organisationId, service: body.service, year: yearOf(body.year), continuing: body.continuing === 'on', confirmLetterName: body.confirmLetterName }, by(request), undefined, request.account!.id);
      } catch (err) {
        return page(request, reply, { refusal: refusalOf('request', err) });
      }
      return reply.redirect(`${base(hub)}?done=requested`, 303);
    },
  );

  app.post(
    '/hubs/:participant/mandates/collective/preview',
    { ...hubForm, schema: { tags: ['staff console'], summary: 'Dry run of a collective mandate request (C3, C6)', params: HubParams, body: CollectiveBody } },
    async (request, reply) => {
      const { hub } = request.accountHub!;
      const body: Static<typeof CollectiveBody> = request.body;
      try {
        const ids = list(body.organisationIds);
        const outcome = await requestMandates(deps, hub, { all: body.scope === 'all', organisationIds: body.scope === 'all' ? undefined : ids, dryRun: true, key: { service: body.service, year: yearOf(body.year), continuing: body.continuing === 'on' } }, by(request));
        const named = await names(hub);
        return render(request, reply, 'mandate-confirm', {
          collective: true,
          scope: body.scope,
          organisationIds: body.scope === 'all' ? [] : ids,
          key: { service: body.service, year: body.year, continuing: body.continuing === 'on' },
          outcome,
          clientName: named.clientName,
          certificate: named.certificate,
        });
      } catch (err) {
        return page(request, reply, { refusal: refusalOf('collective', err) });
      }
    },
  );

  app.post(
    '/hubs/:participant/mandates/collective',
    { ...hubForm, schema: { tags: ['staff console'], summary: 'Request mandates for many clients with the letter names confirmed per certificate (C3, C6)', params: HubParams, body: CollectiveBody } },
    async (request, reply) => {
      const { hub } = request.accountHub!;
      const body: Static<typeof CollectiveBody> = request.body;
      try {
        const certificates = list(body.confirmCertificate);
        const letterNames = list(body.confirmLetterName);
        if (!certificates.length || certificates.length !== letterNames.length) throw new ValidationError('confirmLetterName', 'confirm the letter names shown by the dry run first');
        const confirmLetterNames = Object.fromEntries(certificates.map((id, i) => [id, letterNames[i]]));
        const outcome = await requestMandates(
          deps,
          hub,
          { all: body.scope === 'all', organisationIds: body.scope === 'all' ? undefined : list(body.organisationIds), confirmLetterNames, key: { service: body.service, year: yearOf(body.year), continuing: body.continuing === 'on' } },
          by(request),
          undefined,
          request.account!.id,
        );
        return page(request, reply, { done: 'collective', outcome });
      } catch (err) {
        return page(request, reply, { refusal: refusalOf('collective', err) });
      }
    },
  );

  app.post(
    '/hubs/:participant/mandates/:id/letter-name',
    {
      ...hubForm,
      schema: { tags: ['staff console'], summary: "Confirm the firm name the register printed on the letter (C3)", params: IdParams, body: Type.Object({ confirmLetterName: Type.String({ maxLength: 200 }), ...Csrf }) },
    },
    async (request, reply) => {
      const { hub } = request.accountHub!;
      try {
        await confirmRegisterLetterName(pool, hub, request.params.id, request.body.confirmLetterName, by(request));
      } catch (err) {
        return page(request, reply, { refusal: refusalOf(`letter-${request.params.id}`, err) });
      }
      return reply.redirect(`${base(hub)}?done=letter-name`, 303);
    },
  );

  app.post(
    '/hubs/:participant/mandates/:id/revoke',
    { ...hubForm, schema: { tags: ['staff console'], summary: 'Revoke a mandate (C6)', params: IdParams, body: Type.Object({ ...Csrf }) } },
    async (request, reply) => {
      const { hub } = request.accountHub!;
      // Another hub's mandate is not found (404), not refused.
      await loadMandate(deps, hub, request.params.id);
      try {
        await revokeMandate(deps, hub, request.params.id, by(request));
      } catch (err) {
        return page(request, reply, { refusal: refusalOf(`mandate-${request.params.id}`, err) });
      }
      return reply.redirect(`${base(hub)}?done=revoked`, 303);
    },
  );

  // C6 four eyes: a second person (another account than the requester's) authorises a held request, or refuses it.
  const staffOf = (request: FastifyRequest): StaffIdentity => ({ name: `${request.account!.name} (staff console)`, accountId: request.account!.id });
  for (const [action, done] of [['authorise', 'authorised'], ['refuse-authorisation', 'refused']] as const) {
    app.post(
      `/hubs/:participant/mandates/:id/${action}`,
      {
        ...hubForm,
        schema: {
          tags: ['staff console'],
          summary: action === 'authorise' ? 'Authorise a held mandate request and release it (C6 four eyes)' : 'Refuse a held mandate request (C6)',
          params: IdParams,
          body: Type.Object({ ...Csrf }),
        },
      },
      async (request, reply) => {
        const { hub } = request.accountHub!;
        await loadMandate(deps, hub, request.params.id);
        try {
          if (action === 'authorise') await authoriseMandate(deps, hub, request.params.id, staffOf(request));
          else await refuseMandateAuthorisation(deps, hub, request.params.id, staffOf(request));
        } catch (err) {
          return page(request, reply, { refusal: refusalOf(`awaiting-${request.params.id}`, err) });
        }
        return reply.redirect(`${base(hub)}?done=${done}`, 303);
      },
    );
  }
};

export default mandatePages;
