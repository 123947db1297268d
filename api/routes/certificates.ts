import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Client } from '@temporalio/client';
import { assertDeletable } from '../../domain/certificates';
import { inTransaction, type Pool } from '../../db/pool';
import { refreshExpiryProposals } from '../../db/repositories/certificate-expiry';
import { certificateUsers, lockCertificateSetup } from '../../db/repositories/certificates';
import { writeLog } from '../../db/repositories/communication-log';
import { assertNotLockedByRunbook } from '../../db/repositories/runbooks';
import { deleteCertificate } from '../../integrations/pki/certificate-store';
import type { TrustRoots } from '../../integrations/pki/trust';
import type { SealingKey } from '../../lib/sealing';
import { certificateExpiryScheduleId, certificateExpiryWatch, type CertificateExpiryInput } from '../../workflows/certificate-expiry';
import { HttpError } from '../plugins/errors';
import { ErrorResponse } from '../schemas/common';
import { certificateDetail, certificateDetails, installCertificate } from '../services/certificates';

const NamedCertificate = Type.Object({ id: Type.String(), label: Type.String(), kvkNumber: Type.Union([Type.String(), Type.Null()]), validTo: Type.String({ format: 'date-time' }) });

/** C7: the runbook proposed now for an expiring certificate, recomputed by the watch and at every upload. */
const CurrentProposalSchema = Type.Object({
  proposal: Type.Union([Type.Literal('RB4'), Type.Literal('RB5'), Type.Null()], { description: 'RB4: same KvK number; RB5: the same firm under a new KvK number; null: upload the replacement first.' }),
  replacement: Type.Union([Type.Null(), NamedCertificate]),
  text: Type.String(),
  computedAt: Type.String({ format: 'date-time' }),
});

/**
 * The firm's PKIoverheid certificates: uploaded as PKCS#12 with its passphrase, checked against the configured
 * PKIoverheid roots, sealed at rest with the master key, never passed through Temporal; only metadata comes back.
 */
export const CertificateSchema = Type.Object({
  id: Type.String(),
  label: Type.String(),
  isWorkCertificate: Type.Boolean(),
  subject: Type.String(),
  subjectSerialNumber: Type.String({ description: 'OIN or HRN (20 digits).' }),
  kvkNumber: Type.Union([Type.String(), Type.Null()]),
  organisationName: Type.Union([Type.String(), Type.Null()]),
  issuer: Type.String(),
  serialNumber: Type.String(),
  fingerprint256: Type.String(),
  validFrom: Type.String({ format: 'date-time' }),
  validTo: Type.String({ format: 'date-time' }),
  letterName: Type.Optional(Type.String({ description: 'C3: the firm name the tax authority prints on mandate letters (the KvK registration behind the serial number).' })),
  isServiceProvider: Type.Optional(Type.Boolean({ description: "C5: a service provider's certificate." })),
  groupName: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'C1: the certificate group holding it.' })),
  installedAt: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
  expiry: Type.Optional(
    Type.Object({
      daysLeft: Type.Integer(),
      warnings: Type.Array(
        Type.Object({
          thresholdDays: Type.Integer({ description: '60, 30, 7, or 0 (expired).' }),
          warnedAt: Type.String({ format: 'date-time' }),
          proposal: Type.Union([Type.Literal('RB4'), Type.Literal('RB5'), Type.Null()]),
          text: Type.String(),
        }),
      ),
      current: Type.Optional(Type.Union([Type.Null(), CurrentProposalSchema])),
    }, { description: 'C7: the expiry watch\'s warnings (with what each proposed then) and the runbook it proposes now.' }),
  ),
});

const certificates: FastifyPluginAsyncTypebox<{ pool: Pool; keyring: SealingKey[]; temporal?: Client; taskQueue?: string; trustRoots?: TrustRoots }> = async (
  app,
  { pool, keyring, temporal, taskQueue, trustRoots },
) => {
  const guard = { onRequest: app.requireStaff, preHandler: app.requireHub };
  const security = [{ staffToken: [] }];

  app.post(
    '/api/hubs/:participant/certificates',
    {
      ...guard,
      schema: {
        tags: ['certificates'],
        summary: 'Upload a certificate (PKCS#12 and passphrase)',
        description:
          'The file must open with the passphrase, and its chain must lead to a configured PKIoverheid root (PKIOVERHEID_ROOTS_FILE): a certificate Digipoort would not trust is refused (422, field `pkcs12`) and nothing is stored. Stored sealed (AES-256-GCM, master key with key id). The passphrase is never logged or returned. As the work certificate: 409 (RB) while a runbook holds the current one, 409 (RB1) when clients with an open mandate would move to another KvK number. C7: the expiry proposals are recomputed with the new certificate.',
        security,
        params: Type.Object({ participant: Type.String() }),
        body: Type.Object(
          {
            label: Type.String({ minLength: 1, maxLength: 200 }),
            pkcs12: Type.String({ maxLength: 200_000, description: 'The .p12/.pfx file, base64.' }),
            passphrase: Type.String({ maxLength: 1000 }),
            workCertificate: Type.Optional(Type.Boolean({ description: 'Make it the work certificate (C2); the previous one stops being it.' })),
            letterName: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'C3: the KvK-registered name behind the serial number, when it differs from the certificate\'s O.' })),
            serviceProvider: Type.Optional(Type.Boolean({ description: "C5: a service provider's certificate (at most one per hub; never the work certificate)." })),
          },
          { additionalProperties: false },
        ),
        response: { 201: CertificateSchema, 409: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request, reply) => {
      const { pkcs12, ...fields } = request.body;
      const details = await installCertificate({ pool, keyring, trustRoots, temporal, taskQueue }, request.hub!, { ...fields, pfx: Buffer.from(pkcs12, 'base64') }, request.staff?.name);
      return reply.status(201).send(details);
    },
  );

  const ProposalSchema = Type.Object({
    certificate: NamedCertificate,
    daysLeft: Type.Integer(),
    proposal: Type.Union([Type.Literal('RB4'), Type.Literal('RB5'), Type.Null()]),
    replacement: Type.Union([Type.Null(), NamedCertificate]),
    text: Type.String(),
  });

  app.post(
    '/api/hubs/:participant/certificates/expiry-watch',
    {
      ...guard,
      schema: {
        tags: ['certificates'],
        summary: 'Run the certificate expiry watch now and answer its proposals (C7)',
        description:
          "Runs the hub's `certificateExpiryWatch` workflow at once (besides its daily schedule): new warnings at 60, 30 and 7 days and once expired, and for every certificate in use with a warning the runbook proposed now, naming both certificates by name and KvK number: RB4 for an installed replacement with the same KvK number (preferred), RB5 only for the same firm under a new KvK number, never an unrelated office's certificate.",
        security,
        params: Type.Object({ participant: Type.String() }),
        querystring: Type.Object({ asOf: Type.Optional(Type.String({ format: 'date-time', description: 'Look as if it were then (what if).' })) }),
        response: {
          200: Type.Object({
            checked: Type.Integer({ description: 'Certificates in use.' }),
            earliestExpiry: Type.Union([Type.String(), Type.Null()]),
            newWarnings: Type.Array(Type.Object({ certificateId: Type.String(), thresholdDays: Type.Integer(), daysLeft: Type.Integer() })),
            proposals: Type.Array(ProposalSchema),
          }),
          503: ErrorResponse,
        },
      },
    },
    async (request) => {
      const hub = request.hub!;
      if (!temporal || !taskQueue) throw new HttpError(503, 'the expiry watch cannot be started: no Temporal client');
      const input: CertificateExpiryInput = { hubId: hub.id, participant: hub.participantNumber, asOf: request.query.asOf };
      const result = await temporal.workflow.execute(certificateExpiryWatch, {
        workflowId: `${certificateExpiryScheduleId(hub.participantNumber)}-now-${randomUUID()}`,
        taskQueue,
        args: [input],
        staticSummary: `certificate expiry watch for hub ${hub.participantNumber}, on demand by ${request.staff?.name}`,
      });
      return {
        checked: result.checked,
        earliestExpiry: result.earliestExpiry,
        newWarnings: result.warnings.filter((w) => w.fresh).map((w) => ({ certificateId: w.certificateId, thresholdDays: w.thresholdDays, daysLeft: w.daysLeft })),
        proposals: (result.proposals ?? []).map((p) => ({
          certificate: { id: p.certificateId, label: p.label, kvkNumber: p.kvkNumber, validTo: p.validTo },
          daysLeft: p.daysLeft,
          proposal: p.proposal,
          replacement: p.replacement,
          text: p.text,
        })),
      };
    },
  );

  app.get(
    '/api/hubs/:participant/certificates',
    { ...guard, schema: { tags: ['certificates'], summary: 'List certificates (metadata only)', security, params: Type.Object({ participant: Type.String() }), response: { 200: Type.Array(CertificateSchema) } } },
    async (request) => certificateDetails(pool, request.hub!.id),
  );

  const IdParams = Type.Object({ participant: Type.String(), id: Type.String({ format: 'uuid' }) });

  app.get(
    '/api/hubs/:participant/certificates/:id',
    {
      ...guard,
      schema: { tags: ['certificates'], summary: 'Read a certificate: metadata, group, letter name (C3), expiry warnings (C7)', security, params: IdParams, response: { 200: CertificateSchema, 404: ErrorResponse } },
    },
    async (request) => certificateDetail(pool, request.hub!, request.params.id),
  );

  app.patch(
    '/api/hubs/:participant/certificates/:id',
    {
      ...guard,
      schema: {
        tags: ['certificates'],
        summary: 'Set the name printed on mandate letters (C3)',
        description: "409 (RB) while a runbook holds the certificate: its plan shows the letter names it will print.",
        security,
        params: IdParams,
        body: Type.Object({ letterName: Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()]) }, { additionalProperties: false }),
        response: { 200: CertificateSchema, 404: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (request) => {
      const hub = request.hub!;
      await inTransaction(pool, async (db) => {
        await lockCertificateSetup(db, hub.id);
        await assertNotLockedByRunbook(db, [request.params.id]);
        const { rowCount } = await db.query('UPDATE certificates SET letter_name = $3 WHERE id = $1 AND hub_id = $2 AND deleted_at IS NULL', [request.params.id, hub.id, request.body.letterName]);
        if (!rowCount) throw new HttpError(404, `no certificate ${request.params.id}`);
      });
      return (await certificateDetails(pool, hub.id, request.params.id))[0];
    },
  );

  app.delete(
    '/api/hubs/:participant/certificates/:id',
    {
      ...guard,
      schema: {
        tags: ['certificates'],
        summary: 'Delete a certificate that nothing uses any more',
        description:
          'Refused (409, RB3) while it is the work certificate, in a group, the service provider\'s, holds open mandates or messages, or is in a runbook; the refusal names them. Removing a certificate in use is runbook RB3. Deleting destroys its key material (the sealed PKCS#12 and passphrase); its metadata stays for history.',
        security,
        params: IdParams,
        response: { 204: Type.Null(), 404: ErrorResponse, 409: ErrorResponse },
      },
    },
    async (request, reply) => {
      const hub = request.hub!;
      await inTransaction(pool, async (client) => {
        const { rows } = await client.query<{ label: string }>('SELECT label FROM certificates WHERE id = $1 AND hub_id = $2 AND deleted_at IS NULL FOR UPDATE', [
          request.params.id,
          hub.id,
        ]);
        if (!rows[0]) throw new HttpError(404, `no certificate ${request.params.id}`);
        assertDeletable(rows[0].label, await certificateUsers(client, request.params.id));
        await deleteCertificate(client, request.params.id);
        // C7: it may have been proposed as an expiring certificate's replacement.
        await refreshExpiryProposals(client, hub, new Date());
        await writeLog(client, { hubId: hub.id, environment: hub.environmentCode, step: 'certificate', level: 'I', text: `certificate "${rows[0].label}" deleted by ${request.staff?.name}` });
      });
      return reply.status(204).send(null);
    },
  );
};

export default certificates;
