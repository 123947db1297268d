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

/** A certificate as a person recognises it: its label and the KvK number behind it (C7, RB1: never an id alone). */
export function nameAndKvk(certificate: Pick<CertificateFacts, 'label' | 'kvkNumber'>): string {
  return `"${certificate.label}" (KvK ${certificate.kvkNumber ?? 'unknown'})`;
}

export type ReplacementFacts = Pick<CertificateFacts, 'id' | 'label' | 'kvkNumber' | 'organisationName' | 'letterName' | 'validTo'>;

export interface ReplacementProposal {
  kind: 'RB4' | 'RB5';
  certificateId: string;
  label: string;
  kvkNumber: string | null;
  validTo: string;
}

const sameName = (a: string | null, b: string | null) => a !== null && b !== null && a.trim().replace(/\s+/g, ' ').toLowerCase() === b.trim().replace(/\s+/g, ' ').toLowerCase();

/**
 * C7: the runbook to propose for an expiring certificate, among the installed certificates nothing uses yet, each of
 * which must outlive it. A replacement with the same KvK number is preferred over anything else (RB4). Another KvK
 * number is proposed (RB5) only for the same firm: the same organisation name or the same letter name, as when a firm
 * registers anew. An unrelated office's certificate is never proposed. Undefined while no replacement is installed.
 */
export function replacementProposal(expiring: ReplacementFacts, candidates: readonly ReplacementFacts[]): ReplacementProposal | undefined {
  const outliving = candidates
    .filter((c) => c.id !== expiring.id && Date.parse(c.validTo) > Date.parse(expiring.validTo))
    .sort((a, b) => Date.parse(b.validTo) - Date.parse(a.validTo));
  const proposal = (kind: 'RB4' | 'RB5', c: ReplacementFacts): ReplacementProposal => ({ kind, certificateId: c.id, label: c.label, kvkNumber: c.kvkNumber, validTo: c.validTo });
  const same = outliving.find((c) => c.kvkNumber !== null && c.kvkNumber === expiring.kvkNumber);
  if (same) return proposal('RB4', same);
  const sameFirm = outliving.find((c) => sameName(c.organisationName, expiring.organisationName) || sameName(c.letterName, expiring.letterName));
  return sameFirm ? proposal('RB5', sameFirm) : undefined;
}

/** C7: what to do about an expiring certificate, naming the replacement by name and KvK number. */
export function proposalText(proposal: ReplacementProposal | undefined): string {
  if (!proposal) return 'install the new certificate, then run RB4 (same KvK number) or RB5 (the same firm under a new KvK number)';
  const named = `${nameAndKvk(proposal)}, valid to ${proposal.validTo}, id ${proposal.certificateId}`;
  return proposal.kind === 'RB4'
    ? `run RB4 with the installed certificate ${named}`
    : `run RB5 with the installed certificate ${named}: its KvK number differs, so the mandates are revoked and requested again`;
}

/** C7: the warning for a certificate with `daysLeft` (negative: expired), with the proposal. */
export function expiryWarningText(certificate: Pick<CertificateFacts, 'label' | 'kvkNumber' | 'validTo'>, daysLeft: number, proposal: ReplacementProposal | undefined): string {
  const what =
    daysLeft < 0
      ? `C7: certificate ${nameAndKvk(certificate)} expired on ${certificate.validTo} and is no longer used`
      : `C7: certificate ${nameAndKvk(certificate)} expires in ${daysLeft} day(s) (${certificate.validTo}); the replacement must be in place before then`;
  return `${what}: ${proposalText(proposal)}`;
}

// --- moving clients to another KvK number (RB1) -------------------------------------------------------------------

/** A hub's certificate set-up with every client's master data: what a change to Becons, groups or settings acts on. */
export interface CertificateSetup extends CertificateSituation {
  masterData: ReadonlyMap<string, readonly MasterDataYear[]>;
}

/** An open mandate (requested, received or active) and the KvK number the register knows it under. */
export interface OpenMandateUnderKvk {
  id: string;
  organisationId: string;
  clientName: string;
  service: string;
  year: number;
  continuing: boolean;
  state: string;
  certificateId: string;
  /** The KvK number behind the certificate it was requested with. */
  kvkNumber: string | null;
}

export interface KvkMove {
  mandate: OpenMandateUnderKvk;
  /** The certificate the client would get; null: none at all. */
  certificateAfter: Pick<CertificateFacts, 'id' | 'label' | 'kvkNumber'> | null;
}

function certificateOfClient(setup: CertificateSetup, organisationId: string): CertificateFacts | null {
  try {
    const { certificateId } = ownCertificateForClient(setup, setup.masterData.get(organisationId) ?? []);
    return setup.certificates.find((c) => c.id === certificateId) ?? null;
  } catch {
    return null;
  }
}

/**
 * RB1: the open mandates a change of the set-up (`before` → `after`) would move to a certificate of another KvK number
 * than the one the register knows them under. The register knows the firm by the KvK number behind the certificate, so
 * such a mandate would silently stop matching: it must be revoked and requested again (the runbooks do both). A change
 * that leaves a client's certificate as it is, or moves it to a certificate of the same KvK number, moves nothing.
 */
export function clientsChangingKvk(before: CertificateSetup, after: CertificateSetup, openMandates: readonly OpenMandateUnderKvk[]): KvkMove[] {
  const moves: KvkMove[] = [];
  for (const mandate of openMandates) {
    const from = certificateOfClient(before, mandate.organisationId);
    const to = certificateOfClient(after, mandate.organisationId);
    if (from?.id === to?.id) continue;
    const registered = mandate.kvkNumber ?? before.certificates.find((c) => c.id === mandate.certificateId)?.kvkNumber ?? null;
    if (to && to.kvkNumber !== null && to.kvkNumber === registered) continue;
    moves.push({ mandate, certificateAfter: to ? { id: to.id, label: to.label, kvkNumber: to.kvkNumber } : null });
  }
  return moves;
}

/** RB1: refuses a change that would move open mandates to another KvK number, naming them; nothing has changed then. */
export function assertNoKvkMove(moves: readonly KvkMove[]): void {
  if (moves.length === 0) return;
  const describe = ({ mandate: m, certificateAfter: to }: KvkMove) =>
    `${m.clientName} has an open ${m.service} ${m.year}${m.continuing ? ' (continuing)' : ''} mandate (${m.state}) under KvK ${m.kvkNumber ?? 'unknown'}, ` +
    `and would be signed for with ${to ? nameAndKvk(to) : 'no certificate at all'}`;
  const listed = moves.slice(0, 3).map(describe).join('; ');
  const more = moves.length > 3 ? `; and ${moves.length - 3} more` : '';
  throw new RuleViolation(
    'RB1',
    `this change would move clients with an open mandate to a certificate of another KvK number, under which the register does not know their mandates: ${listed}${more}. ` +
      'Revoke those mandates and request them again with the new certificate: runbook RB1 (or RB5 when a certificate is replaced) does both; nothing changed',
    'conflict',
  );
}

// --- the register's letter name (C3) ------------------------------------------------------------------------------

/** C3: whether the register printed another firm name on the letter than the one the accountant confirmed. */
export function letterNameDiffers(confirmed: string | null, printed: string | undefined): printed is string {
  if (printed === undefined || printed.trim() === '' || confirmed === null) return false;
  return printed.trim().replace(/\s+/g, ' ') !== confirmed.trim().replace(/\s+/g, ' ');
}
