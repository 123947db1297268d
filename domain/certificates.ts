import { RuleViolation } from './errors';

/**
 * Which certificate signs what (C1–C5, C7), as pure rules over a snapshot of the hub's certificate set-up. The
 * activities and the API load the snapshot; workflows and runbook plans use these rules unchanged.
 */

/** The message the seed's help page quotes for a work certificate put in a group (C2). */
export const INVALID_CERTIFICATE_SPECIFIED = 'Invalid certificate specified';

export type CertificateMode = 'own' | 'service-provider';
/** C5 [ours]: the firm's own certificate files as intermediary; a service provider's files as `Bedrijf`. */
export type SigningRole = 'Intermediair' | 'Bedrijf';

export interface CertificateFacts {
  id: string;
  label: string;
  isWorkCertificate: boolean;
  isServiceProvider: boolean;
  kvkNumber: string | null;
  organisationName: string | null;
  letterName: string | null;
  validFrom: string;
  validTo: string;
}

export interface GroupFacts {
  id: string;
  name: string;
  certificateId: string | null;
}

export interface BeconFacts {
  id: string;
  number: string;
  groupId: string | null;
}

/** One year of a client's master data: the Becon the client is filed under that year. */
export interface MasterDataYear {
  year: number;
  beconId: string;
}

export interface CertificateSituation {
  /** C1: the multi-certificate feature of the hub. */
  multiCertificate: boolean;
  /** C5: the hub's choice for all administrations. */
  certificateMode: CertificateMode;
  certificates: CertificateFacts[];
  groups: GroupFacts[];
  becons: BeconFacts[];
}

export interface CertificateChoice {
  certificateId: string;
  role: SigningRole;
  /** Why this one: the work certificate, the group of the client's Becon, or the service provider's. */
  via: 'work' | 'group' | 'service-provider';
  beconNumber?: string;
  groupName?: string;
}

export type Validity = 'valid' | 'expired' | 'not-yet-valid';

export function certificateValidity(certificate: Pick<CertificateFacts, 'validFrom' | 'validTo'>, now: Date): Validity {
  if (now.getTime() < Date.parse(certificate.validFrom)) return 'not-yet-valid';
  if (now.getTime() > Date.parse(certificate.validTo)) return 'expired';
  return 'valid';
}

/** C7: an expired (or not yet valid) certificate is never used. */
export function assertUsable(certificate: CertificateFacts, now: Date): void {
  const validity = certificateValidity(certificate, now);
  if (validity === 'expired') {
    throw new RuleViolation('C7', `certificate "${certificate.label}" expired on ${certificate.validTo} and is never used: replace it with runbook RB4 or RB5`, 'conflict');
  }
  if (validity === 'not-yet-valid') {
    throw new RuleViolation('C7', `certificate "${certificate.label}" is not valid before ${certificate.validFrom}`, 'conflict');
  }
}

/** C3: the name the tax authority prints on the mandate letter: the KvK registration behind the serial number. */
export function letterNameOf(certificate: Pick<CertificateFacts, 'letterName' | 'organisationName' | 'label'>): string {
  return certificate.letterName ?? certificate.organisationName ?? certificate.label;
}

export function workCertificateOf(situation: CertificateSituation): CertificateFacts | undefined {
  return situation.certificates.find((c) => c.isWorkCertificate);
}

function certificate(situation: CertificateSituation, id: string): CertificateFacts {
  const found = situation.certificates.find((c) => c.id === id);
  if (!found) throw new RuleViolation('C1', `certificate ${id} is not installed in this hub`, 'invalid');
  return found;
}

function refuseWorkCertificateInGroup(): never {
  throw new RuleViolation('C2', `${INVALID_CERTIFICATE_SPECIFIED}: the work certificate is used for all communication by default and must not be in a group`, 'invalid');
}

/**
 * C1, C2: `certificateId` may be put in group `groupId` (null empties the group): it is installed, not the work
 * certificate, not the service provider's, and in no other group. C7: with `now`, an expired (or not yet valid)
 * certificate is refused too: it would never be used.
 */
export function assertGroupAssignment(situation: CertificateSituation, groupId: string | null, certificateId: string | null, now?: Date): void {
  if (!situation.multiCertificate) {
    throw new RuleViolation('C1', 'several certificates is not switched on for this hub: switch it on first (runbook RB1 or RB2 does)', 'conflict');
  }
  if (certificateId === null) return;
  const candidate = certificate(situation, certificateId);
  if (candidate.isWorkCertificate) refuseWorkCertificateInGroup();
  if (candidate.isServiceProvider) {
    throw new RuleViolation('C5', `${INVALID_CERTIFICATE_SPECIFIED}: the service provider's certificate is chosen per administration, not through a group`, 'invalid');
  }
  const other = situation.groups.find((g) => g.certificateId === certificateId && g.id !== groupId);
  if (other) throw new RuleViolation('C1', `certificate "${candidate.label}" is already in group "${other.name}"; a certificate is in one group at most`, 'conflict');
  if (now) assertUsable(candidate, now);
}

/** C2: the work certificate is in no group and is the firm's own. C7: with `now`, never an expired one. */
export function assertWorkCertificateChoice(situation: CertificateSituation, certificateId: string, now?: Date): void {
  const candidate = certificate(situation, certificateId);
  if (situation.groups.some((g) => g.certificateId === certificateId)) refuseWorkCertificateInGroup();
  if (candidate.isServiceProvider) {
    throw new RuleViolation('C2', `${INVALID_CERTIFICATE_SPECIFIED}: the service provider's certificate cannot be the work certificate`, 'invalid');
  }
  if (now) assertUsable(candidate, now);
}

/** C4: the most recent year of the client's master data decides. */
export function latestYear(masterData: readonly MasterDataYear[]): MasterDataYear | undefined {
  return masterData.reduce<MasterDataYear | undefined>((latest, y) => (!latest || y.year > latest.year ? y : latest), undefined);
}

/** The Becon of a period: the latest master-data year up to and including `year` (for TaxConsultantNumber). */
export function masterDataForYear(masterData: readonly MasterDataYear[], year: number): MasterDataYear | undefined {
  return latestYear(masterData.filter((y) => y.year <= year));
}

/**
 * C1, C2, C4: the firm's own certificate for a client: with several certificates switched on, the certificate of
 * the group of the client's Becon in its latest year; otherwise (or for a Becon without a group, or an empty group)
 * the work certificate.
 */
export function ownCertificateForClient(situation: CertificateSituation, masterData: readonly MasterDataYear[]): CertificateChoice {
  const latest = latestYear(masterData);
  const becon = latest ? situation.becons.find((b) => b.id === latest.beconId) : undefined;
  if (situation.multiCertificate && becon?.groupId) {
    const group = situation.groups.find((g) => g.id === becon.groupId);
    if (group?.certificateId) {
      return { certificateId: group.certificateId, role: 'Intermediair', via: 'group', beconNumber: becon.number, groupName: group.name };
    }
  }
  const work = workCertificateOf(situation);
  if (!work) throw new RuleViolation('C2', 'the hub has no work certificate: install one before anything can be signed', 'conflict');
  return { certificateId: work.id, role: 'Intermediair', via: 'work', beconNumber: becon?.number };
}

/**
 * C5: a filing is signed with the firm's own certificate (by Becon and group) or with the service provider's,
 * chosen per administration (`administrationMode`) or for all of them (the hub's mode). C7: never an expired one.
 */
export function chooseSigningCertificate(
  situation: CertificateSituation,
  input: { administrationMode?: CertificateMode | null; masterData: readonly MasterDataYear[]; now: Date },
): CertificateChoice {
  const mode = input.administrationMode ?? situation.certificateMode;
  let choice: CertificateChoice;
  if (mode === 'service-provider') {
    const provider = situation.certificates.find((c) => c.isServiceProvider);
    if (!provider) throw new RuleViolation('C5', 'this administration files with a service provider\'s certificate, but none is installed', 'conflict');
    choice = { certificateId: provider.id, role: 'Bedrijf', via: 'service-provider' };
  } else {
    choice = ownCertificateForClient(situation, input.masterData);
  }
  assertUsable(certificate(situation, choice.certificateId), input.now);
  return choice;
}

// --- who uses a certificate -------------------------------------------------------------------------------------

export interface CertificateUsers {
  workCertificate: boolean;
  serviceProvider: boolean;
  /** Groups holding it, with the Becons that point at them and how many clients are filed under those. */
  groups: { name: string; becons: string[]; clients: number }[];
  openMandates: number;
  /** Filings and mandate messages waiting to be sent, in doubt, or waiting for statuses read with it. */
  openMessages: number;
  /** Runbooks (ids) that hold it. */
  runbooks: string[];
}

export function usersOf(users: CertificateUsers): string[] {
  const list: string[] = [];
  if (users.workCertificate) list.push('the hub (it is the work certificate)');
  if (users.serviceProvider) list.push('administrations that file with the service provider\'s certificate');
  for (const g of users.groups) {
    list.push(`group "${g.name}"${g.becons.length ? ` (Becon ${g.becons.join(', ')}; ${g.clients} client${g.clients === 1 ? '' : 's'})` : ''}`);
  }
  if (users.openMandates) list.push(`${users.openMandates} open mandate${users.openMandates === 1 ? '' : 's'}`);
  if (users.openMessages) list.push(`${users.openMessages} message${users.openMessages === 1 ? '' : 's'} being sent`);
  for (const r of users.runbooks) list.push(`runbook ${r}`);
  return list;
}

/** A certificate still in use is not deleted: the refusal names its users (removal goes through RB3). */
export function assertDeletable(label: string, users: CertificateUsers): void {
  const list = usersOf(users);
  if (list.length > 0) {
    throw new RuleViolation('RB3', `certificate "${label}" is in use by ${list.join('; ')}: remove it with runbook RB3 (or replace it with RB4/RB5)`, 'conflict');
  }
}

// --- expiry (C7) ------------------------------------------------------------------------------------------------

/** C7 [ours]: warnings 60, 30 and 7 days ahead; 0 stands for "expired". */
export const EXPIRY_THRESHOLDS = [60, 30, 7] as const;
export type ExpiryThreshold = 60 | 30 | 7 | 0;

const DAY_MS = 86_400_000;

/** Whole days until the certificate expires (negative once expired). */
export function daysUntil(validTo: string, now: Date): number {
  return Math.floor((Date.parse(validTo) - now.getTime()) / DAY_MS);
}

/**
 * The threshold to warn for now, if any: the tightest one reached, unless it or a tighter one was already warned.
 * A first look at 5 days warns once (7), not three times.
 */
export function expiryWarningDue(daysLeft: number, alreadyWarned: readonly number[]): ExpiryThreshold | undefined {
  const reached: ExpiryThreshold | undefined = daysLeft < 0 ? 0 : [...EXPIRY_THRESHOLDS].reverse().find((t) => daysLeft <= t);
  if (reached === undefined) return undefined;
  return alreadyWarned.some((w) => w <= reached) ? undefined : reached;
}

/**
 * The runbook to propose for an expiring certificate: RB4 when a replacement with the same KvK number is installed,
 * RB5 when the replacement's KvK number differs; undefined while no replacement is installed.
 */
export function replacementProposal(
  expiring: Pick<CertificateFacts, 'id' | 'kvkNumber' | 'validTo'>,
  candidates: readonly Pick<CertificateFacts, 'id' | 'kvkNumber' | 'validTo'>[],
): { kind: 'RB4' | 'RB5'; certificateId: string } | undefined {
  const later = candidates.filter((c) => c.id !== expiring.id && Date.parse(c.validTo) > Date.parse(expiring.validTo));
  const same = later.find((c) => c.kvkNumber !== null && c.kvkNumber === expiring.kvkNumber);
  if (same) return { kind: 'RB4', certificateId: same.id };
  const other = later[0];
  return other ? { kind: 'RB5', certificateId: other.id } : undefined;
}
