import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import type { Hub } from '../../db/repositories/hubs';
import { organisationNames } from '../../db/repositories/organisations';
import { ValidationError } from '../../domain/errors';
import { HttpError } from '../plugins/errors';
import { certificateDetails, installCertificate, type CertificateServiceDeps } from '../services/certificates';
import {
  addBecon,
  addCertificateGroup,
  certificateGroups,
  certificateSettings,
  hubMasterData,
  listBecons,
  setClientMasterData,
  setGroupCertificate,
  setMultiCertificate,
  setWorkCertificate,
  updateBecon,
} from '../services/certificate-setup';
import type { FilingServiceDeps } from '../services/filings';
import { CONSOLE_PREFIX, type ConsoleContext } from './index';
import { orNull, refusalOf, type Refusal } from './refusals';

/** The largest PKCS#12 the console takes (the JSON API's base64 limit, 200 000 characters, is about this many bytes). */
export const PFX_MAX_BYTES = 150 * 1024;

const Participant = Type.String({ maxLength: 10 });
const HubParams = Type.Object({ participant: Participant });
const Csrf = { _csrf: Type.Optional(Type.String({ maxLength: 200 })) };
const CertificateId = Type.String({ maxLength: 36 });

/**
 * The Certificates page: the firm's certificates with their expiry and C7 warnings (a proposed runbook opens the
 * runbook form filled in), the upload of a PKCS#12 file with its passphrase, several certificates (C1), the work
 * certificate (C2), groups (C1, C2) and Becons, and the clients' Becon per year (C4). Every change goes through the
 * services the JSON API uses; a refusal is shown on its form, with nothing changed.
 */
const certificatePages: FastifyPluginAsyncTypebox<{ deps: FilingServiceDeps; certificates: Omit<CertificateServiceDeps, 'pool' | 'temporal' | 'taskQueue'>; context: ConsoleContext }> = async (
  app,
  { deps, certificates, context },
) => {
  const { pool } = deps;
  const { render, requireAccount, requireAccountHub } = context;
  const hubPage = { preHandler: [requireAccount, requireAccountHub] };
  const hubForm = { preHandler: [requireAccount, app.csrfProtection, requireAccountHub] };
  const base = (hub: Hub) => `${CONSOLE_PREFIX}/hubs/${hub.participantNumber}/certificates`;
  const by = (request: FastifyRequest) => `${request.account!.name} (staff console)`;

  // Multipart only here, for the upload: one file, a few short fields, nothing else. The fields become the body as
  // strings (the CSRF token among them), the file a Buffer; the passphrase is never logged.
  await app.register(multipart, {
    attachFieldsToBody: 'keyValues',
    throwFileSizeLimit: true,
    limits: { files: 1, fileSize: PFX_MAX_BYTES, fields: 6, fieldSize: 1000, parts: 7, headerPairs: 20, fieldNameSize: 40 },
  });

  async function page(request: FastifyRequest, reply: FastifyReply, extra: { done?: string; refusal?: Refusal; values?: Record<string, string> } = {}) {
    const { hub } = request.accountHub!;
    const [list, settings, groups, becons, clients, masterData] = await Promise.all([
      certificateDetails(pool, hub.id),
      certificateSettings(pool, hub.id),
      certificateGroups(pool, hub.id),
      listBecons(pool, hub.id),
      organisationNames(pool, hub.id),
      hubMasterData(pool, hub),
    ]);
    const named = new Map(list.map((c) => [c.id, c]));
    return render(
      request,
      reply,
      'certificates',
      {
        certificates: list,
        settings,
        groups: groups.map((g) => ({ ...g, certificate: g.certificateId ? named.get(g.certificateId) : undefined })),
        becons,
        clients,
        masterData,
        thisYear: new Date().getUTCFullYear(),
        done: extra.done,
        refusal: extra.refusal,
        values: extra.values ?? {},
      },
      extra.refusal?.status ?? 200,
    );
  }

  /** Runs a change; a refusal shows the page again with the refusal on its form (and nothing changed). */
  async function change(request: FastifyRequest, reply: FastifyReply, form: string, done: string, action: () => Promise<unknown>, values: Record<string, string> = {}) {
    try {
      await action();
    } catch (err) {
      return page(request, reply, { refusal: refusalOf(form, err), values });
    }
    return reply.redirect(`${base(request.accountHub!.hub)}?done=${done}`, 303);
  }

  app.get(
    '/hubs/:participant/certificates',
    {
      ...hubPage,
      schema: {
        tags: ['staff console'],
        summary: 'Certificates: expiry and warnings (C7), upload, work certificate (C2), groups and Becons (C1), Becons per year (C4)',
        params: HubParams,
        querystring: Type.Object({ done: Type.Optional(Type.String({ maxLength: 30 })) }),
      },
    },
    async (request, reply) => page(request, reply, { done: request.query.done }),
  );

  app.post(
    '/hubs/:participant/certificates',
    { ...hubForm, schema: { tags: ['staff console'], summary: 'Upload a PKCS#12 file with its passphrase (multipart form)', params: HubParams } },
    async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : '');
      const label = text('label').trim();
      return change(
        request,
        reply,
        'upload',
        'uploaded',
        async () => {
          if (!request.isMultipart()) throw new ValidationError('pkcs12', 'send the form as multipart/form-data with the file');
          const pfx = body.pkcs12;
          if (!Buffer.isBuffer(pfx) || pfx.length === 0) throw new ValidationError('pkcs12', 'choose the .p12/.pfx file');
          if (!label || label.length > 200) throw new ValidationError('label', 'a name of 1 to 200 characters');
          const letterName = text('letterName').trim();
          if (letterName.length > 200) throw new ValidationError('letterName', 'at most 200 characters');
          await installCertificate({ pool, temporal: deps.temporal, taskQueue: deps.taskQueue, ...certificates }, request.accountHub!.hub, {
            label,
            pfx,
            passphrase: text('passphrase'),
            workCertificate: text('workCertificate') === 'on',
            letterName: letterName || undefined,
          }, by(request));
        },
        // Shown again on a refusal: the name and letter name, never the passphrase or the file.
        { label, letterName: text('letterName') },
      );
    },
  );

  app.post(
    '/hubs/:participant/certificates/work-certificate',
    { ...hubForm, schema: { tags: ['staff console'], summary: 'Decide the work certificate (C2)', params: HubParams, body: Type.Object({ certificateId: CertificateId, ...Csrf }) } },
    async (request, reply) =>
      change(request, reply, 'work', 'work-certificate', () => {
        const { hub } = request.accountHub!;
        return setWorkCertificate(pool, hub, request.body.certificateId, by(request), (deps.clock ?? (() => new Date()))());
      }),
  );

  app.post(
    '/hubs/:participant/certificates/multi-certificate',
    { ...hubForm, schema: { tags: ['staff console'], summary: 'Switch several certificates on or off (C1)', params: HubParams, body: Type.Object({ enabled: Type.Union([Type.Literal('on'), Type.Literal('off')]), ...Csrf }) } },
    async (request, reply) => change(request, reply, 'multi', request.body.enabled === 'on' ? 'multi-on' : 'multi-off', () => setMultiCertificate(pool, request.accountHub!.hub, request.body.enabled === 'on', by(request))),
  );

  app.post(
    '/hubs/:participant/certificate-groups',
    {
      ...hubForm,
      schema: { tags: ['staff console'], summary: 'Add a certificate group (C1, C2)', params: HubParams, body: Type.Object({ name: Type.String({ maxLength: 100 }), certificateId: Type.Optional(CertificateId), ...Csrf }) },
    },
    async (request, reply) =>
      change(
        request,
        reply,
        'new-group',
        'group-added',
        async () => {
          const name = request.body.name.trim();
          if (!name) throw new ValidationError('name', 'a group name of 1 to 100 characters');
          return addCertificateGroup(pool, request.accountHub!.hub, { name, certificateId: orNull(request.body.certificateId) }, by(request));
        },
        { groupName: request.body.name },
      ),
  );

  app.post(
    '/hubs/:participant/certificate-groups/:id/certificate',
    {
      ...hubForm,
      schema: {
        tags: ['staff console'],
        summary: "Set (or empty) a group's certificate (C1; C2 refuses the work certificate)",
        params: Type.Object({ participant: Participant, id: Type.String({ format: 'uuid' }) }),
        body: Type.Object({ certificateId: Type.Optional(CertificateId), ...Csrf }),
      },
    },
    async (request, reply) =>
      change(request, reply, `group-${request.params.id}`, 'group-changed', () => setGroupCertificate(pool, request.accountHub!.hub, request.params.id, orNull(request.body.certificateId), by(request))),
  );

  app.post(
    '/hubs/:participant/becons',
    {
      ...hubForm,
      schema: {
        tags: ['staff console'],
        summary: 'Register a Becon number (C1)',
        params: HubParams,
        body: Type.Object({ number: Type.String({ maxLength: 10 }), name: Type.String({ maxLength: 200 }), groupName: Type.Optional(Type.String({ maxLength: 100 })), ...Csrf }),
      },
    },
    async (request, reply) =>
      change(
        request,
        reply,
        'new-becon',
        'becon-added',
        async () => {
          const name = request.body.name.trim();
          if (!name) throw new ValidationError('name', 'a Becon name of 1 to 200 characters');
          return addBecon(pool, request.accountHub!.hub, { number: request.body.number.trim(), name, groupName: orNull(request.body.groupName) });
        },
        { beconNumber: request.body.number, beconName: request.body.name },
      ),
  );

  app.post(
    '/hubs/:participant/becons/:number/group',
    {
      ...hubForm,
      schema: {
        tags: ['staff console'],
        summary: "Select a Becon's certificate group, or none (C1)",
        params: Type.Object({ participant: Participant, number: Type.String({ maxLength: 10 }) }),
        body: Type.Object({ groupName: Type.Optional(Type.String({ maxLength: 100 })), ...Csrf }),
      },
    },
    async (request, reply) =>
      change(request, reply, `becon-${request.params.number}`, 'becon-changed', () => updateBecon(pool, request.accountHub!.hub, request.params.number, { groupName: orNull(request.body.groupName) }, by(request))),
  );

  app.post(
    '/hubs/:participant/master-data',
    {
      ...hubForm,
      schema: {
        tags: ['staff console'],
        summary: "Set the Becon of a client's year (C4)",
        params: HubParams,
        body: Type.Object({ organisationId: Type.String({ maxLength: 36 }), year: Type.String({ maxLength: 4 }), beconNumber: Type.String({ maxLength: 10 }), ...Csrf }),
      },
    },
    async (request, reply) =>
      change(
        request,
        reply,
        'master-data',
        'master-data',
        async () => {
          const { hub } = request.accountHub!;
          const year = Number(request.body.year);
          if (!/^\d{4}$/.test(request.body.year) || year < 2000 || year > 2100) throw new ValidationError('year', 'a year from 2000 to 2100');
          // Only a client of this hub (the list offers no other): another id is not found.
          if (!(await organisationNames(pool, hub.id)).some((c) => c.id === request.body.organisationId)) throw new HttpError(404, 'no such client');
          return setClientMasterData(pool, hub, request.body.organisationId, year, request.body.beconNumber.trim());
        },
        { year: request.body.year, organisationId: request.body.organisationId, beconNumber: request.body.beconNumber },
      ),
  );
};

export default certificatePages;
