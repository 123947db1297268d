import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Client } from '@temporalio/client';
import { assertDeletable, daysUntil, workCertificateOf } from '../../domain/certificates';
import { RuleViolation, ValidationError } from '../../domain/errors';
import { inTransaction, type Pool } from '../../db/pool';
import { refreshExpiryProposals } from '../../db/repositories/certificate-expiry';
import { certificateUsers, loadCertificateSituation, lockCertificateSetup } from '../../db/repositories/certificates';
import { writeLog } from '../../db/repositories/communication-log';
import { assertNotLockedByRunbook } from '../../db/repositories/runbooks';
import { certificateMetadata, deleteCertificate, storeCertificate, toStoredCertificate, type StoredCertificate } from '../../integrations/pki/certificate-store';
import { CertificateError, openPkcs12, type OpenedCertificate } from '../../integrations/pki/pkcs12';
import type { TrustRoots } from '../../integrations/pki/trust';
import type { SealingKey } from '../../lib/sealing';
import { certificateExpiryScheduleId, certificateExpiryWatch, type CertificateExpiryInput } from '../../workflows/certificate-expiry';
import { HttpError } from '../plugins/errors';
import { ErrorResponse } from '../schemas/common';
import { assertChangeKeepsKvk } from '../services/certificate-guards';
import { ensureCertificateExpirySchedule } from '../services/schedules';

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

/** The certificate with its C1/C3/C5/C7 details: group, letter name, expiry warnings. */
async function detailed(pool: Pool, hubId: string, id?: string) {
  const { rows } = await pool.query(
    // The metadata only: never the sealed PKCS#12.
    `SELECT c.id, c.hub_id, c.label, c.is_work_certificate, c.subject, c.subject_serial_number, c.kvk_number, c.organisation_name, c.issuer,
            c.serial_number, c.fingerprint256, c.valid_from, c.valid_to, c.letter_name, c.is_service_provider, c.installed_at, g.name AS group_name,
            coalesce((SELECT json_agg(json_build_object('thresholdDays', w.threshold_days, 'warnedAt', w.warned_at, 'proposal', w.proposal, 'text', w.text)
                        ORDER BY w.threshold_days DESC) FROM certificate_expiry_warnings w WHERE w.certificate_id = c.id), '[]') AS warnings,
            p.proposal AS current_proposal, p.text AS current_text, p.computed_at AS current_computed_at,
            r.id AS replacement_id, r.label AS replacement_label, r.kvk_number AS replacement_kvk, r.valid_to AS replacement_valid_to
       FROM certificates c LEFT JOIN certificate_groups g ON g.certificate_id = c.id
       LEFT JOIN certificate_expiry_proposals p ON p.certificate_id = c.id LEFT JOIN certificates r ON r.id = p.replacement_certificate_id
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
      current: r.current_text
        ? {
            proposal: (r.current_proposal as 'RB4' | 'RB5' | null) ?? null,
            replacement: r.replacement_id
              ? { id: r.replacement_id as string, label: r.replacement_label as string, kvkNumber: (r.replacement_kvk as string | null) ?? null, validTo: (r.replacement_valid_to as Date).toISOString() }
              : null,
            text: r.current_text as string,
            computedAt: (r.current_computed_at as Date).toISOString(),
          }
        : null,
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

/** Opens the upload with its passphrase and checks its chain against the configured PKIoverheid roots. */
function openUpload(pfx: Buffer, passphrase: string, trustRoots: TrustRoots | undefined): OpenedCertificate {
  if (!trustRoots) {
    throw new HttpError(503, 'no PKIoverheid roots are configured (PKIOVERHEID_ROOTS_FILE): an uploaded certificate cannot be checked, so none is accepted');
  }
  try {
    const opened = openPkcs12(pfx, passphrase);
    trustRoots.assertTrusted(opened);
    return opened;
  } catch (err) {
    if (err instanceof CertificateError) throw new ValidationError('pkcs12', err.message);
    throw err;
  }
}

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
      const hub = request.hub!;
      const pfx = Buffer.from(request.body.pkcs12, 'base64');
      if (request.body.serviceProvider && request.body.workCertificate) {
        throw new RuleViolation('C5', "a service provider's certificate cannot be the work certificate", 'invalid');
      }
      const opened = openUpload(pfx, request.body.passphrase, trustRoots);
      try {
        const stored = await inTransaction(pool, async (client) => {
          await lockCertificateSetup(client, hub.id);
          if (request.body.workCertificate) {
            // The work certificate changes: RB while a runbook holds the current one; RB1 when its clients' open
            // mandates would move to another KvK number.
            await assertNotLockedByRunbook(client, [workCertificateOf(await loadCertificateSituation(client, hub.id))?.id]);
            const metadata = certificateMetadata(opened.certificate);
            await assertChangeKeepsKvk(client, hub.id, (draft) => {
              draft.certificates = [
                ...draft.certificates.map((c) => ({ ...c, isWorkCertificate: false })),
                { id: 'uploaded', label: request.body.label, isWorkCertificate: true, isServiceProvider: false, kvkNumber: metadata.kvkNumber, organisationName: metadata.organisationName, letterName: request.body.letterName ?? null, validFrom: metadata.validFrom, validTo: metadata.validTo },
              ];
            });
            await client.query('UPDATE certificates SET is_work_certificate = false WHERE hub_id = $1 AND is_work_certificate', [hub.id]);
          }
          const created = await storeCertificate(client, keyring, {
            hubId: hub.id,
            label: request.body.label,
            pfx,
            passphrase: request.body.passphrase,
            isWorkCertificate: request.body.workCertificate ?? false,
            opened,
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
          // C7: an expiring certificate's proposal may now be this one (a same-KvK replacement is preferred).
          await refreshExpiryProposals(client, hub, new Date());
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
      return (await detailed(pool, hub.id, request.params.id))[0];
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
