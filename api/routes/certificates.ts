import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ValidationError } from '../../domain/errors';
import { inTransaction, type Pool } from '../../db/pool';
import { writeLog } from '../../db/repositories/communication-log';
import { storeCertificate, toStoredCertificate, type StoredCertificate } from '../../integrations/pki/certificate-store';
import { CertificateError } from '../../integrations/pki/pkcs12';
import type { SealingKey } from '../../lib/sealing';
import { ErrorResponse } from '../schemas/common';

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
});

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

const certificates: FastifyPluginAsyncTypebox<{ pool: Pool; keyring: SealingKey[] }> = async (app, { pool, keyring }) => {
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
          },
          { additionalProperties: false },
        ),
        response: { 201: CertificateSchema, 409: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request, reply) => {
      const hub = request.hub!;
      const pfx = Buffer.from(request.body.pkcs12, 'base64');
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
          await writeLog(client, {
            hubId: hub.id,
            environment: hub.environmentCode,
            step: 'certificate',
            level: 'I',
            text: `certificate "${created.label}" installed (${created.subjectSerialNumber}, valid to ${created.validTo}) by ${request.staff?.name}${created.isWorkCertificate ? ' as work certificate' : ''}`,
          });
          return created;
        });
        return reply.status(201).send(view(stored));
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
    async (request) => {
      const { rows } = await pool.query('SELECT * FROM certificates WHERE hub_id = $1 AND deleted_at IS NULL ORDER BY created_at', [request.hub!.id]);
      return rows.map((r) => view(toStoredCertificate(r)));
    },
  );
};

export default certificates;
