import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Client } from '@temporalio/client';
import { assertDeletable, daysUntil } from '../../domain/certificates';
import { RuleViolation, ValidationError } from '../../domain/errors';
import { inTransaction, type Pool } from '../../db/pool';
import { certificateUsers } from '../../db/repositories/certificates';
import { writeLog } from '../../db/repositories/communication-log';
import { storeCertificate, toStoredCertificate, type StoredCertificate } from '../../integrations/pki/certificate-store';
import { CertificateError } from '../../integrations/pki/pkcs12';
import type { SealingKey } from '../../lib/sealing';
import { HttpError } from '../plugins/errors';
import { ErrorResponse } from '../schemas/common';
import { ensureCertificateExpirySchedule } from '../services/schedules';

/**
 * The firm's PKIoverheid certificates: uploaded as PKCS#12 with its passphrase, sealed at rest with the master key,
 * never passed through Temporal; only metadata comes back.
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
    }, { description: 'C7: the expiry watch\'s warnings and the runbook it proposes.' }),
  ),
});

/** The certificate with its C1/C3/C5/C7 details: group, letter name, expiry warnings. */
async function detailed(pool: Pool, hubId: string, id?: string) {
  const { rows } = await pool.query(
    // The metadata only: never the sealed PKCS#12.
    `SELECT c.id, c.hub_id, c.label, c.is_work_certificate, c.subject, c.subject_serial_number, c.kvk_number, c.organisation_name, c.issuer,
            c.serial_number, c.fingerprint256, c.valid_from, c.valid_to, c.letter_name, c.is_service_provider, c.installed_at, g.name AS group_name,
            coalesce((SELECT json_agg(json_build_object('thresholdDays', w.threshold_days, 'warnedAt', w.warned_at, 'proposal', w.proposal, 'text', w.text)
                        ORDER BY w.threshold_days DESC) FROM certificate_expiry_warnings w WHERE w.certificate_id = c.id), '[]') AS warnings
       FROM certificates c LEFT JOIN certificate_groups g ON g.certificate_id = c.id
      WHERE c.hub_id = $1 AND c.deleted_at IS NULL AND ($2::uuid IS NULL OR c.id = $2) ORDER BY c.created_at`,
    [hubId, id ?? null],
  );
  return rows.map((r) => ({
    ...view(toStoredCertificate(r)),
    letterName: r.letter_name ?? r.organisation_name ?? r.label,
    isServiceProvider: r.is_service_provider as boolean,
    groupName: (r.group_name as string | null) ?? null,
    installedAt: (r.installed_at as Date | null)?.toISOString() ?? null,
    expiry: {
      daysLeft: daysUntil((r.valid_to as Date).toISOString(), new Date()),
      warnings: (r.warnings as { thresholdDays: number; warnedAt: string; proposal: 'RB4' | 'RB5' | null; text: string }[]).map((w) => ({
        ...w,
        warnedAt: new Date(w.warnedAt).toISOString(),
      })),
    },
  }));
}

const view = (c: StoredCertificate) => ({
  id: c.id,
  label: c.label,
  isWorkCertificate: c.isWorkCertificate,
  subject: c.subject,
  subjectSerialNumber: c.subjectSerialNumber,
  kvkNumber: c.kvkNumber,
  organisationName: c.organisationName,
  issuer: c.issuer,
  serialNumber: c.serialNumber,
  fingerprint256: c.fingerprint256,
  validFrom: c.validFrom,
  validTo: c.validTo,
});

const certificates: FastifyPluginAsyncTypebox<{ pool: Pool; keyring: SealingKey[]; temporal?: Client; taskQueue?: string }> = async (
  app,
  { pool, keyring, temporal, taskQueue },
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
        description: 'The file must open with the passphrase. Stored sealed (AES-256-GCM, master key with key id). The passphrase is never logged or returned.',
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
      const hub = request.hub!;
      const pfx = Buffer.from(request.body.pkcs12, 'base64');
      if (request.body.serviceProvider && request.body.workCertificate) {
        throw new RuleViolation('C5', "a service provider's certificate cannot be the work certificate", 'invalid');
      }
      try {
        const stored = await inTransaction(pool, async (client) => {
          if (request.body.workCertificate) {
            await client.query('UPDATE certificates SET is_work_certificate = false WHERE hub_id = $1 AND is_work_certificate', [hub.id]);
          }
          const created = await storeCertificate(client, keyring, {
            hubId: hub.id,
            label: request.body.label,
            pfx,
            passphrase: request.body.passphrase,
            isWorkCertificate: request.body.workCertificate ?? false,
          });
          if (request.body.letterName || request.body.serviceProvider) {
            const { rowCount } = await client.query(
              `UPDATE certificates SET letter_name = $2, is_service_provider = $3 WHERE id = $1
                 AND NOT ($3 AND EXISTS (SELECT 1 FROM certificates o WHERE o.hub_id = $4 AND o.is_service_provider AND o.deleted_at IS NULL))`,
              [created.id, request.body.letterName ?? null, request.body.serviceProvider ?? false, hub.id],
            );
            if (!rowCount) throw new RuleViolation('C5', "a service provider's certificate is already installed in this hub: delete it first", 'conflict');
          }
          await writeLog(client, {
            hubId: hub.id,
            environment: hub.environmentCode,
            step: 'certificate',
            level: 'I',
            text: `certificate "${created.label}" installed (${created.subjectSerialNumber}, valid to ${created.validTo}) by ${request.staff?.name}${created.isWorkCertificate ? ' as work certificate' : ''}`,
          });
          return created;
        });
        // C7: the hub's expiry watch exists as soon as it has a certificate.
        if (temporal && taskQueue) await ensureCertificateExpirySchedule(temporal, taskQueue, hub);
        const [details] = await detailed(pool, hub.id, stored.id);
        return reply.status(201).send(details);
      } catch (err) {
        if (err instanceof CertificateError) throw new ValidationError('pkcs12', err.message);
        if ((err as { code?: string }).code === '23505') throw new ValidationError('pkcs12', 'this certificate is already installed in this hub');
        throw err;
      }
    },
  );

  app.get(
    '/api/hubs/:participant/certificates',
    { ...guard, schema: { tags: ['certificates'], summary: 'List certificates (metadata only)', security, params: Type.Object({ participant: Type.String() }), response: { 200: Type.Array(CertificateSchema) } } },
    async (request) => detailed(pool, request.hub!.id),
  );

  const IdParams = Type.Object({ participant: Type.String(), id: Type.String({ format: 'uuid' }) });

  app.get(
    '/api/hubs/:participant/certificates/:id',
    {
      ...guard,
      schema: { tags: ['certificates'], summary: 'Read a certificate: metadata, group, letter name (C3), expiry warnings (C7)', security, params: IdParams, response: { 200: CertificateSchema, 404: ErrorResponse } },
    },
    async (request) => {
      const [found] = await detailed(pool, request.hub!.id, request.params.id);
      if (!found) throw new HttpError(404, `no certificate ${request.params.id}`);
      return found;
    },
  );

  app.patch(
    '/api/hubs/:participant/certificates/:id',
    {
      ...guard,
      schema: {
        tags: ['certificates'],
        summary: 'Set the name printed on mandate letters (C3)',
        security,
        params: IdParams,
        body: Type.Object({ letterName: Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()]) }, { additionalProperties: false }),
        response: { 200: CertificateSchema, 404: ErrorResponse },
      },
    },
    async (request) => {
      const { rowCount } = await pool.query('UPDATE certificates SET letter_name = $3 WHERE id = $1 AND hub_id = $2 AND deleted_at IS NULL', [
        request.params.id,
        request.hub!.id,
        request.body.letterName,
      ]);
      if (!rowCount) throw new HttpError(404, `no certificate ${request.params.id}`);
      return (await detailed(pool, request.hub!.id, request.params.id))[0];
    },
  );

  app.delete(
    '/api/hubs/:participant/certificates/:id',
    {
      ...guard,
      schema: {
        tags: ['certificates'],
        summary: 'Delete a certificate that nothing uses any more',
        description: 'Refused (409, RB3) while it is the work certificate, in a group, the service provider\'s, holds open mandates or messages, or is in a runbook; the refusal names them. Removing a certificate in use is runbook RB3.',
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
        await client.query('UPDATE certificates SET deleted_at = now() WHERE id = $1', [request.params.id]);
        await writeLog(client, { hubId: hub.id, environment: hub.environmentCode, step: 'certificate', level: 'I', text: `certificate "${rows[0].label}" deleted by ${request.staff?.name}` });
      });
      return reply.status(204).send(null);
    },
  );
};

export default certificates;
