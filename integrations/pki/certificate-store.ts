import type { X509Certificate } from 'node:crypto';
import type { Pool, PoolClient } from '../../db/pool';
import { seal, unseal, type SealingKey } from '../../lib/sealing';
import { CertificateError, describeCertificate, openPkcs12, type OpenedCertificate } from './pkcs12';

/**
 * The firm's certificates at rest: the PKCS#12 and its passphrase sealed together (AES-256-GCM, key id for rotation,
 * the hub id as associated data so a sealed blob cannot be moved to another hub). Only ids and metadata leave this
 * module; the key material is opened in the worker's memory when a message is signed.
 */
export interface CertificateMetadata {
  subject: string;
  subjectSerialNumber: string;
  kvkNumber: string | null;
  organisationName: string | null;
  issuer: string;
  serialNumber: string;
  fingerprint256: string;
  validFrom: string;
  validTo: string;
}

export interface StoredCertificate extends CertificateMetadata {
  id: string;
  hubId: string;
  label: string;
  isWorkCertificate: boolean;
}

export function certificateMetadata(certificate: X509Certificate): CertificateMetadata {
  const identity = describeCertificate(certificate);
  return {
    subject: identity.subject,
    subjectSerialNumber: identity.subjectSerialNumber ?? '',
    kvkNumber: identity.kvkNumber ?? null,
    organisationName: identity.organisationName ?? null,
    issuer: identity.issuer,
    serialNumber: identity.serialNumber,
    fingerprint256: identity.fingerprint256,
    validFrom: identity.validFrom,
    validTo: identity.validTo,
  };
}

interface CertificateRow {
  id: string;
  hub_id: string;
  label: string;
  /** NULL once deleted: the key material is destroyed with the certificate. */
  key_id: string | null;
  sealed: Buffer | null;
  subject: string;
  subject_serial_number: string;
  kvk_number: string | null;
  organisation_name: string | null;
  issuer: string;
  serial_number: string;
  fingerprint256: string;
  valid_from: Date;
  valid_to: Date;
  is_work_certificate: boolean;
}

export function toStoredCertificate(row: CertificateRow): StoredCertificate {
  return {
    id: row.id,
    hubId: row.hub_id,
    label: row.label,
    isWorkCertificate: row.is_work_certificate,
    subject: row.subject,
    subjectSerialNumber: row.subject_serial_number,
    kvkNumber: row.kvk_number,
    organisationName: row.organisation_name,
    issuer: row.issuer,
    serialNumber: row.serial_number,
    fingerprint256: row.fingerprint256,
    validFrom: row.valid_from.toISOString(),
    validTo: row.valid_to.toISOString(),
  };
}

/**
 * Opens the PKCS#12 (which proves the passphrase), seals it and stores it with its metadata. Throws CertificateError
 * for a file that does not open; the passphrase never appears in errors.
 */
export async function storeCertificate(
  db: Pool | PoolClient,
  keyring: SealingKey[],
  input: { hubId: string; label: string; pfx: Buffer; passphrase: string; isWorkCertificate?: boolean; opened?: OpenedCertificate },
): Promise<StoredCertificate> {
  const opened = input.opened ?? openPkcs12(input.pfx, input.passphrase);
  const metadata = certificateMetadata(opened.certificate);
  const sealed = seal(keyring, Buffer.from(JSON.stringify({ pfx: input.pfx.toString('base64'), passphrase: input.passphrase })), Buffer.from(input.hubId));
  const { rows } = await db.query<CertificateRow>(
    `INSERT INTO certificates (hub_id, label, key_id, sealed, subject, subject_serial_number, kvk_number, organisation_name,
       issuer, serial_number, fingerprint256, valid_from, valid_to, is_work_certificate)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14) RETURNING *`,
    [
      input.hubId, input.label, sealed.keyId, sealed.data, metadata.subject, metadata.subjectSerialNumber,
      metadata.kvkNumber, metadata.organisationName, metadata.issuer, metadata.serialNumber, metadata.fingerprint256,
      metadata.validFrom, metadata.validTo, input.isWorkCertificate ?? false,
    ],
  );
  return toStoredCertificate(rows[0]);
}

/** The certificate's key material, opened in memory. */
export async function openStoredCertificate(
  db: Pool,
  keyring: SealingKey[],
  certificateId: string,
): Promise<{ stored: StoredCertificate; opened: OpenedCertificate }> {
  const { rows } = await db.query<CertificateRow>('SELECT * FROM certificates WHERE id = $1 AND deleted_at IS NULL', [certificateId]);
  if (rows.length === 0 || !rows[0].sealed || !rows[0].key_id) throw new CertificateError('PKCS12_INVALID', `certificate ${certificateId} is not in the store`);
  const row = rows[0] as CertificateRow & { key_id: string; sealed: Buffer };
  const plain = JSON.parse(unseal(keyring, { keyId: row.key_id, data: row.sealed }, Buffer.from(row.hub_id)).toString('utf8')) as {
    pfx: string;
    passphrase: string;
  };
  return { stored: toStoredCertificate(row), opened: openPkcs12(Buffer.from(plain.pfx, 'base64'), plain.passphrase) };
}

/**
 * Deletes a certificate and destroys its key material: the sealed PKCS#12 with its passphrase and the key id are set
 * to NULL in the same update (the database refuses a deleted certificate that keeps them). The metadata row stays for
 * history: messages, mandates and the log still name it. Older row versions are gone from the table once PostgreSQL
 * vacuums them; backups taken before the deletion still hold the sealed blob, readable only with the master key.
 */
export async function deleteCertificate(db: Pool | PoolClient, certificateId: string): Promise<void> {
  await db.query('UPDATE certificates SET deleted_at = coalesce(deleted_at, now()), sealed = NULL, key_id = NULL WHERE id = $1', [certificateId]);
}
