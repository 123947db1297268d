import type { Client } from '@temporalio/client';
import { daysUntil, workCertificateOf } from '../../domain/certificates';
import { RuleViolation, ValidationError } from '../../domain/errors';
import { inTransaction, type Pool } from '../../db/pool';
import { refreshExpiryProposals } from '../../db/repositories/certificate-expiry';
import { certificateDetailRows, loadCertificateSituation, lockCertificateSetup } from '../../db/repositories/certificates';
import { writeLog } from '../../db/repositories/communication-log';
import type { Hub } from '../../db/repositories/hubs';
import { assertNotLockedByRunbook } from '../../db/repositories/runbooks';
import { certificateMetadata, storeCertificate, toStoredCertificate, type CertificateMetadata, type StoredCertificate } from '../../integrations/pki/certificate-store';
import { CertificateError, openPkcs12, type OpenedCertificate } from '../../integrations/pki/pkcs12';
import type { TrustRoots } from '../../integrations/pki/trust';
import type { SealingKey } from '../../lib/sealing';
import { HttpError } from '../plugins/errors';
import { assertChangeKeepsKvk } from './certificate-guards';
import { ensureCertificateExpirySchedule } from './schedules';

/**
 * The firm's PKIoverheid certificates, for the JSON API and the staff console alike: the list with C1/C3/C5/C7 details
 * and the upload (PKCS#12 and passphrase, checked against the PKIoverheid roots, sealed at rest). The passphrase is
 * never logged, returned or passed to Temporal.
 */
export interface CertificateServiceDeps {
  pool: Pool;
  keyring: SealingKey[];
  trustRoots?: TrustRoots;
  temporal?: Client;
  taskQueue?: string;
}

export type Proposal = 'RB4' | 'RB5' | null;

export interface CertificateDetails extends CertificateMetadata {
  id: string;
  label: string;
  isWorkCertificate: boolean;
  letterName: string;
  isServiceProvider: boolean;
  groupName: string | null;
  installedAt: string | null;
  expiry: {
    daysLeft: number;
    warnings: { thresholdDays: number; warnedAt: string; proposal: Proposal; text: string }[];
    current: null | {
      proposal: Proposal;
      replacement: null | { id: string; label: string; kvkNumber: string | null; validTo: string };
      text: string;
      computedAt: string;
    };
  };
}

const metadataView = (c: StoredCertificate) => ({
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

/** The hub's certificates (or one) with group, letter name (C3), service provider (C5) and expiry warnings (C7). */
export async function certificateDetails(pool: Pool, hubId: string, id?: string, now = new Date()): Promise<CertificateDetails[]> {
  const rows = await certificateDetailRows(pool, hubId, id);
  return rows.map((r) => ({
    ...metadataView(toStoredCertificate(r as unknown as Parameters<typeof toStoredCertificate>[0])),
    letterName: (r.letter_name as string | null) ?? (r.organisation_name as string | null) ?? (r.label as string),
    isServiceProvider: r.is_service_provider as boolean,
    groupName: (r.group_name as string | null) ?? null,
    installedAt: (r.installed_at as Date | null)?.toISOString() ?? null,
    expiry: {
      daysLeft: daysUntil((r.valid_to as Date).toISOString(), now),
      warnings: (r.warnings as { thresholdDays: number; warnedAt: string; proposal: Proposal; text: string }[]).map((w) => ({ ...w, warnedAt: new Date(w.warnedAt).toISOString() })),
      current: r.current_text
        ? {
            proposal: (r.current_proposal as Proposal) ?? null,
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

export async function certificateDetail(pool: Pool, hub: Hub, id: string): Promise<CertificateDetails> {
  const [found] = await certificateDetails(pool, hub.id, id);
  if (!found) throw new HttpError(404, `no certificate ${id}`);
  return found;
}

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

export interface CertificateUpload {
  label: string;
  pfx: Buffer;
  passphrase: string;
  workCertificate?: boolean;
  letterName?: string;
  serviceProvider?: boolean;
}

/**
 * Installs an uploaded certificate. Refused (nothing stored): a file that does not open with the passphrase or does
 * not lead to a PKIoverheid root (422 `pkcs12`); as the work certificate while a runbook holds the current one (RB) or
 * when clients with an open mandate would move to another KvK number (RB1); a second service provider's (C5).
 * C7: the expiry proposals are recomputed with it, and the hub's expiry watch exists from now on.
 */
export async function installCertificate(deps: CertificateServiceDeps, hub: Hub, upload: CertificateUpload, by: string | undefined): Promise<CertificateDetails> {
  const { pool } = deps;
  if (upload.serviceProvider && upload.workCertificate) {
    throw new RuleViolation('C5', "a service provider's certificate cannot be the work certificate", 'invalid');
  }
  const opened = openUpload(upload.pfx, upload.passphrase, deps.trustRoots);
  try {
    const stored = await inTransaction(pool, async (client) => {
      await lockCertificateSetup(client, hub.id);
      if (upload.workCertificate) {
        // The work certificate changes: RB while a runbook holds the current one; RB1 when its clients' open
        // mandates would move to another KvK number.
        await assertNotLockedByRunbook(client, [workCertificateOf(await loadCertificateSituation(client, hub.id))?.id]);
        const metadata = certificateMetadata(opened.certificate);
        await assertChangeKeepsKvk(client, hub.id, (draft) => {
          draft.certificates = [
            ...draft.certificates.map((c) => ({ ...c, isWorkCertificate: false })),
            { id: 'uploaded', label: upload.label, isWorkCertificate: true, isServiceProvider: false, kvkNumber: metadata.kvkNumber, organisationName: metadata.organisationName, letterName: upload.letterName ?? null, validFrom: metadata.validFrom, validTo: metadata.validTo },
          ];
        });
        await client.query('UPDATE certificates SET is_work_certificate = false WHERE hub_id = $1 AND is_work_certificate', [hub.id]);
      }
      const created = await storeCertificate(client, deps.keyring, {
        hubId: hub.id,
        label: upload.label,
        pfx: upload.pfx,
        passphrase: upload.passphrase,
        isWorkCertificate: upload.workCertificate ?? false,
        opened,
      });
      if (upload.letterName || upload.serviceProvider) {
        const { rowCount } = await client.query(
          `UPDATE certificates SET letter_name = $2, is_service_provider = $3 WHERE id = $1
             AND NOT ($3 AND EXISTS (SELECT 1 FROM certificates o WHERE o.hub_id = $4 AND o.is_service_provider AND o.deleted_at IS NULL))`,
          [created.id, upload.letterName ?? null, upload.serviceProvider ?? false, hub.id],
        );
        if (!rowCount) throw new RuleViolation('C5', "a service provider's certificate is already installed in this hub: delete it first", 'conflict');
      }
      await writeLog(client, {
        hubId: hub.id,
        environment: hub.environmentCode,
        step: 'certificate',
        level: 'I',
        text: `certificate "${created.label}" installed (${created.subjectSerialNumber}, valid to ${created.validTo}) by ${by}${created.isWorkCertificate ? ' as work certificate' : ''}`,
      });
      // C7: an expiring certificate's proposal may now be this one (a same-KvK replacement is preferred).
      await refreshExpiryProposals(client, hub, new Date());
      return created;
    });
    // C7: the hub's expiry watch exists as soon as it has a certificate.
    if (deps.temporal && deps.taskQueue) await ensureCertificateExpirySchedule(deps.temporal, deps.taskQueue, hub);
    const [details] = await certificateDetails(pool, hub.id, stored.id);
    return details;
  } catch (err) {
    if (err instanceof CertificateError) throw new ValidationError('pkcs12', err.message);
    if ((err as { code?: string }).code === '23505') throw new ValidationError('pkcs12', 'this certificate is already installed in this hub');
    throw err;
  }
}
