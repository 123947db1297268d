import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { letterNameOf } from '../../domain/certificates';
import { RuleViolation } from '../../domain/errors';
import { inTransaction, type Pool } from '../../db/pool';
import { chooseCertificateFor, loadCertificateSituation } from '../../db/repositories/certificates';
import { assertClientNotInRunbook } from '../../db/repositories/certificate-guards';
import { HttpError } from '../plugins/errors';
import { ErrorResponse } from '../schemas/common';
import { certificateSettings, setMultiCertificate, setWorkCertificate } from '../services/certificate-setup';

/**
 * Which certificate signs what: several certificates on or off (C1), the work certificate (C2), an administration's
 * choice of the service provider's certificate (C5), and a preview of the choice for a client (C4, C3).
 */
const SettingsSchema = Type.Object({
  multiCertificate: Type.Boolean({ description: 'C1: several certificates (groups and Becons) switched on.' }),
  certificateMode: Type.Union([Type.Literal('own'), Type.Literal('service-provider')], { description: 'C5: for all administrations.' }),
  workCertificateId: Type.Union([Type.String(), Type.Null()]),
  serviceProviderCertificateId: Type.Union([Type.String(), Type.Null()]),
});

const ChoiceSchema = Type.Object({
  certificateId: Type.String(),
  certificateLabel: Type.String(),
  role: Type.String({ description: 'Intermediair (own certificate) or Bedrijf (service provider), C5.' }),
  via: Type.String({ description: 'work, group or service-provider.' }),
  beconNumber: Type.Union([Type.String(), Type.Null()]),
  groupName: Type.Union([Type.String(), Type.Null()]),
  letterName: Type.String({ description: 'C3: the firm name on mandate letters for this client.' }),
});

const certificateSettingRoutes: FastifyPluginAsyncTypebox<{ pool: Pool; clock?: () => Date }> = async (app, { pool, clock }) => {
  const guard = { onRequest: app.requireStaff, preHandler: app.requireHub };
  const security = [{ staffToken: [] }];
  const Params = Type.Object({ participant: Type.String() });
  const now = () => (clock ?? (() => new Date()))();

  app.get(
    '/api/hubs/:participant/certificate-settings',
    { ...guard, schema: { tags: ['certificates'], summary: 'Certificate settings of the hub (C1, C2, C5)', security, params: Params, response: { 200: SettingsSchema } } },
    async (request) => certificateSettings(pool, request.hub!.id),
  );

  app.put(
    '/api/hubs/:participant/certificate-settings/multi-certificate',
    {
      ...guard,
      schema: {
        tags: ['certificates'],
        summary: 'Switch several certificates on or off (C1)',
        description:
          'Switching off is refused while Becons point at groups that hold a certificate (their clients would silently move to the work certificate: use runbook RB3); switching on is refused (409, RB1) when it would move a client with an open mandate to a certificate of another KvK number; and either (409, RB) while a runbook holds the work certificate or a certificate in a group. Nothing changes then.',
        security,
        params: Params,
        body: Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false }),
        response: { 200: SettingsSchema, 409: ErrorResponse },
      },
    },
    async (request) => setMultiCertificate(pool, request.hub!, request.body.enabled, request.staff?.name),
  );

  app.put(
    '/api/hubs/:participant/certificate-settings/work-certificate',
    {
      ...guard,
      schema: {
        tags: ['certificates'],
        summary: 'Decide the work certificate (C2)',
        description:
          'The default for all communication with the tax authority; a certificate in a group is refused with C2 "Invalid certificate specified" (422; also when the database refuses it), an expired one with C7, (409, RB) a change while a runbook holds the current or the new work certificate, and (409, RB1) a change that would move a client with an open mandate to a certificate of another KvK number (revoke and request again: runbook RB4, or RB5 when the KvK number changes).',
        security,
        params: Params,
        body: Type.Object({ certificateId: Type.String({ format: 'uuid' }) }, { additionalProperties: false }),
        response: { 200: SettingsSchema, 409: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request) => setWorkCertificate(pool, request.hub!, request.body.certificateId, request.staff?.name, now()),
  );

  app.put(
    '/api/hubs/:participant/administrations/:id/certificate-mode',
    {
      ...guard,
      schema: {
        tags: ['certificates'],
        summary: "File this administration with the firm's own certificate or the service provider's (C5)",
        description:
          "null: the hub's choice. The service provider's certificate files as `Bedrijf`, the firm's own as `Intermediair`. A3: refused (409) while the hub's client portal is on: portal approval needs the firm's own certificate. 409 (RB) while a runbook's plan touches the administration's client.",
        security,
        params: Type.Object({ participant: Type.String(), id: Type.String({ format: 'uuid' }) }),
        body: Type.Object({ mode: Type.Union([Type.Literal('own'), Type.Literal('service-provider'), Type.Null()]) }, { additionalProperties: false }),
        response: { 200: Type.Object({ administrationId: Type.String(), mode: Type.Union([Type.String(), Type.Null()]) }), 404: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (request) => {
      const hub = request.hub!;
      await inTransaction(pool, async (db) => {
        // The hub row first: the portal switch (PATCH /api/hubs/{p}) and this choice do not pass each other.
        const { rows: current } = await db.query<{ portal_enabled: boolean }>('SELECT portal_enabled FROM hubs WHERE id = $1 FOR UPDATE', [hub.id]);
        const { rows: administration } = await db.query<{ organisation_id: string | null }>('SELECT organisation_id FROM administrations WHERE id = $1 AND hub_id = $2', [
          request.params.id,
          hub.id,
        ]);
        if (!administration[0]) throw new HttpError(404, `no administration ${request.params.id}`);
        // RB: its client's signing certificate is not changed while a runbook's plan touches the client.
        if (administration[0].organisation_id) await assertClientNotInRunbook(db, hub.id, administration[0].organisation_id);
        if (request.body.mode === 'service-provider') {
          if (current[0]?.portal_enabled) {
            throw new RuleViolation(
              'A3',
              "the hub's client portal is on, and portal approval needs the firm's own certificate: an administration cannot file with a service provider's certificate while it is on",
              'conflict',
            );
          }
          if (!(await loadCertificateSituation(db, hub.id)).certificates.some((c) => c.isServiceProvider)) {
            throw new RuleViolation('C5', "no service provider's certificate is installed in this hub", 'conflict');
          }
        }
        await db.query('UPDATE administrations SET certificate_mode = $3 WHERE id = $1 AND hub_id = $2', [request.params.id, hub.id, request.body.mode]);
      });
      return { administrationId: request.params.id, mode: request.body.mode };
    },
  );

  app.get(
    '/api/hubs/:participant/certificate-choice',
    {
      ...guard,
      schema: {
        tags: ['certificates'],
        summary: 'Which certificate would sign for this client or administration now (C1, C4, C5, C7)',
        security,
        params: Params,
        querystring: Type.Object({ organisationId: Type.Optional(Type.String({ format: 'uuid' })), administrationId: Type.Optional(Type.String({ format: 'uuid' })) }),
        response: { 200: ChoiceSchema, 404: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (request) => {
      const hub = request.hub!;
      let organisationId = request.query.organisationId ?? null;
      if (organisationId) {
        const { rows } = await pool.query('SELECT 1 FROM organisations WHERE id = $1 AND hub_id = $2', [organisationId, hub.id]);
        if (!rows[0]) throw new HttpError(404, `no client ${organisationId}`);
      }
      if (request.query.administrationId) {
        const { rows } = await pool.query<{ organisation_id: string | null }>('SELECT organisation_id FROM administrations WHERE id = $1 AND hub_id = $2', [request.query.administrationId, hub.id]);
        if (!rows[0]) throw new HttpError(404, `no administration ${request.query.administrationId}`);
        organisationId = organisationId ?? rows[0].organisation_id;
      }
      const choice = await chooseCertificateFor(pool, { hubId: hub.id, organisationId, administrationId: request.query.administrationId ?? null, now: now() });
      const certificate = (await loadCertificateSituation(pool, hub.id)).certificates.find((c) => c.id === choice.certificateId)!;
      return {
        certificateId: choice.certificateId,
        certificateLabel: certificate.label,
        role: choice.role,
        via: choice.via,
        beconNumber: choice.beconNumber ?? null,
        groupName: choice.groupName ?? null,
        letterName: letterNameOf(certificate),
      };
    },
  );
};

export default certificateSettingRoutes;
