import {
  assertUsable,
  INVALID_CERTIFICATE_SPECIFIED,
  letterNameOf,
  nameAndKvk,
  ownCertificateForClient,
  usersOf,
  workCertificateOf,
  type CertificateFacts,
  type CertificateUsers,
  type CertificateSituation,
  type GroupFacts,
  type MasterDataYear,
} from './certificates';
import { RuleViolation, ValidationError } from './errors';
import { isValidBeconNumber } from './identifiers';
import type { MandateService, MandateState } from './mandates';

/**
 * The certificate-change runbooks RB1–RB5 of seed 000 as data: their steps in the seed's order, and the plan that
 * says, before anything changes, which certificates, groups, Becons, clients and mandates a runbook will touch and
 * which mandate-letter names change (C3).
 */
export type RunbookKind = 'RB1' | 'RB2' | 'RB3' | 'RB4' | 'RB5';
export const RUNBOOK_KINDS: readonly RunbookKind[] = ['RB1', 'RB2', 'RB3', 'RB4', 'RB5'];

export type RunbookStepKey =
  | 'revoke-mandates'
  | 'switch-on'
  | 'install-certificates'
  | 'work-certificate'
  | 'becon-groups'
  | 'client-becons'
  | 'request-mandates'
  | 'delete-certificate'
  | 'assign-group';

export const RUNBOOK_TITLES: Readonly<Record<RunbookKind, string>> = {
  RB1: 'From one certificate to several',
  RB2: 'New customer with several certificates',
  RB3: 'Remove a certificate without replacement',
  RB4: 'Replace an expiring certificate (same KvK number)',
  RB5: 'Replace a certificate whose KvK number changes',
};

type StepSpec = { key: RunbookStepKey; title: string };
const step = (key: RunbookStepKey, title: string): StepSpec => ({ key, title });

/** The steps of each runbook, exactly in the seed's order. */
export const RUNBOOK_STEPS: Readonly<Record<RunbookKind, readonly StepSpec[]>> = {
  RB1: [
    step('revoke-mandates', 'Revoke the mandates that must move under the new certificates'),
    step('switch-on', 'Switch several certificates on'),
    step('install-certificates', 'Install the new certificates and add each to a new certificate group'),
    step('work-certificate', 'Decide the work certificate (it gets no group)'),
    step('becon-groups', 'Select the right certificate group on each Becon'),
    step('client-becons', 'Make sure each affected client has the right Becon in at least its latest year'),
    step('request-mandates', "Request the mandates again for clients whose Becon's group changed"),
  ],
  RB2: [
    step('switch-on', 'Switch several certificates on'),
    step('install-certificates', 'Install all certificates'),
    step('work-certificate', 'Decide the work certificate (it gets no group)'),
    step('becon-groups', 'Select the right certificate group on each Becon'),
    step('client-becons', 'Make sure each client has the right Becon in at least its latest year'),
  ],
  RB3: [
    step('revoke-mandates', 'Revoke all mandates requested with the certificate'),
    step('delete-certificate', 'Delete the certificate'),
    step('becon-groups', 'Select the right certificate group on the Becons'),
    step('request-mandates', 'Request all those mandates again'),
  ],
  RB4: [
    step('install-certificates', 'Install the new certificate'),
    step('assign-group', "Put it in the old certificate's group (no group if it is the work certificate)"),
  ],
  RB5: [
    step('revoke-mandates', 'Revoke all mandates requested with the certificate being replaced'),
    step('install-certificates', 'Install the new certificate'),
    step('assign-group', 'Put it in the right group (no group if it is the work certificate)'),
    step('becon-groups', 'Select the right certificate group on the Becons'),
    step('client-becons', 'Make sure each client has the right Becon in at least its latest year'),
    step('request-mandates', 'Request all those mandates again'),
  ],
};

// --- input ------------------------------------------------------------------------------------------------------

export interface GroupSpec {
  name: string;
  certificateId: string;
  /** The Becons that point at this group afterwards. */
  beconNumbers: string[];
}

export interface BeconGroupSpec {
  beconNumber: string;
  /** null: no group (the work certificate). */
  groupName: string | null;
}

export interface ClientBeconSpec {
  organisationId: string;
  beconNumber: string;
  /** Default: the client's latest master-data year (the current year when it has none). */
  year?: number;
}

export type RunbookInput =
  | { kind: 'RB1'; workCertificateId?: string; groups: GroupSpec[]; clientBecons?: ClientBeconSpec[] }
  | { kind: 'RB2'; workCertificateId: string; groups: GroupSpec[]; clientBecons?: ClientBeconSpec[] }
  | { kind: 'RB3'; certificateId: string; beconGroups?: BeconGroupSpec[] }
  | { kind: 'RB4'; certificateId: string; newCertificateId: string }
  | { kind: 'RB5'; certificateId: string; newCertificateId: string; groupName?: string; beconGroups?: BeconGroupSpec[]; clientBecons?: ClientBeconSpec[] };

// --- world and plan ---------------------------------------------------------------------------------------------

export interface ClientFacts {
  organisationId: string;
  name: string;
  masterData: MasterDataYear[];
}

export interface OpenMandateFacts {
  id: string;
  organisationId: string;
  service: MandateService;
  year: number;
  continuing: boolean;
  state: MandateState;
  certificateId: string;
}

/** What a plan is computed from: the hub's certificate set-up, its clients and their open mandates. */
export interface RunbookWorld extends CertificateSituation {
  clients: ClientFacts[];
  openMandates: OpenMandateFacts[];
  currentYear: number;
  now: Date;
}

export interface PlannedMandate {
  organisationId: string;
  service: MandateService;
  year: number;
  continuing: boolean;
  certificateId: string;
  letterName: string;
}

export interface RunbookPlan {
  kind: RunbookKind;
  title: string;
  /** The certificate the runbook is named after (its workflow id derives from it). */
  primaryCertificateId: string;
  /** Every certificate the runbook touches: one runbook per certificate at a time. */
  certificateIds: string[];
  steps: { key: RunbookStepKey; title: string; actions: string[] }[];
  multiCertificate: { before: boolean; after: boolean };
  workCertificate: { before: string | null; after: string | null };
  /** Certificates to install; `groupName` null: installed as (or stays outside a group as) the work certificate. */
  install: { certificateId: string; label: string; groupName: string | null }[];
  groups: { name: string; isNew: boolean; certificateBefore: string | null; certificateAfter: string | null }[];
  becons: { number: string; groupBefore: string | null; groupAfter: string | null }[];
  clientBecons: { organisationId: string; year: number; beconNumber: string; beconBefore: string | null }[];
  clients: { organisationId: string; name: string; certificateBefore: string | null; certificateAfter: string }[];
  mandatesToRevoke: (PlannedMandate & { mandateId: string })[];
  mandatesToRequest: (PlannedMandate & { replacesMandateId: string })[];
  /** C3: mandate letters that will name another firm than before. */
  letterNames: { organisationId: string; service: MandateService; year: number; before: string; after: string }[];
  /** RB4/RB5: the replacement; RB3: the certificate deleted. */
  replace: { oldCertificateId: string; newCertificateId: string; groupName: string | null } | null;
  deleteCertificateId: string | null;
  /** In English, for the JSON API and the Web UI; `notices` says the same by code, for the console's languages. */
  warnings: string[];
  /** The warnings as codes with their values (optional: plans stored before the codes have only `warnings`). */
  notices?: RunbookNotice[];
}

/** A plan's warning by code: `unused-replacement` (the old certificate was neither work certificate nor grouped), `exclusivity` (C6). */
export type RunbookNotice = { code: 'unused-replacement'; label: string } | { code: 'exclusivity' };

/** A working copy of the set-up that the plan changes step by step (new groups get provisional ids). */
interface Draft extends CertificateSituation {
  masterData: Map<string, MasterDataYear[]>;
}

function copyOf(world: RunbookWorld): Draft {
  return {
    multiCertificate: world.multiCertificate,
    certificateMode: world.certificateMode,
    certificates: world.certificates.map((c) => ({ ...c })),
    groups: world.groups.map((g) => ({ ...g })),
    becons: world.becons.map((b) => ({ ...b })),
    masterData: new Map(world.clients.map((c) => [c.organisationId, c.masterData.map((y) => ({ ...y }))])),
  };
}

const fail = (kind: RunbookKind, message: string, how: 'invalid' | 'conflict' = 'invalid'): never => {
  throw new RuleViolation(kind, message, how);
};

function certificateIn(world: CertificateSituation, kind: RunbookKind, id: string): CertificateFacts {
  const found = world.certificates.find((c) => c.id === id);
  if (!found) fail(kind, `certificate ${id} is not installed in this hub: upload it first`);
  return found!;
}

function beconIn(world: CertificateSituation, kind: RunbookKind, number: string) {
  if (!isValidBeconNumber(number)) throw new ValidationError('beconNumber', `Becon ${number} must be five or six digits`);
  const found = world.becons.find((b) => b.number === number);
  if (!found) fail(kind, `Becon ${number} is not registered in this hub`);
  return found!;
}

function groupByName(draft: Draft, name: string): GroupFacts | undefined {
  return draft.groups.find((g) => g.name === name);
}

function refuseGroupedWorkCertificate(draft: Draft): void {
  const work = workCertificateOf(draft);
  if (work && draft.groups.some((g) => g.certificateId === work.id)) {
    throw new RuleViolation('C2', `${INVALID_CERTIFICATE_SPECIFIED}: the work certificate "${work.label}" must not be in a group`, 'invalid');
  }
}

function setWork(draft: Draft, certificateId: string): void {
  for (const c of draft.certificates) c.isWorkCertificate = c.id === certificateId;
}

/** RB1, RB2: new groups with their certificates and Becons. */
function applyGroups(kind: RunbookKind, draft: Draft, groups: readonly GroupSpec[], work: string, now: Date): RunbookPlan['install'] {
  if (groups.length === 0) fail(kind, 'name at least one certificate group with its certificate and Becons');
  const names = new Set<string>();
  const install: RunbookPlan['install'] = [];
  for (const spec of groups) {
    const name = spec.name.trim();
    if (!name || name.length > 100) throw new ValidationError('groups.name', 'a group needs a name of 1–100 characters');
    if (names.has(name)) fail(kind, `group "${name}" is named twice`);
    names.add(name);
    const certificate = certificateIn(draft, kind, spec.certificateId);
    if (certificate.id === work) {
      throw new RuleViolation('C2', `${INVALID_CERTIFICATE_SPECIFIED}: "${certificate.label}" is the work certificate and must not be in group "${name}"`, 'invalid');
    }
    if (certificate.isServiceProvider) fail(kind, `"${certificate.label}" is the service provider's certificate, not one of the firm's own`);
    assertUsable(certificate, now);
    const elsewhere = draft.groups.find((g) => g.certificateId === certificate.id && g.name !== name);
    if (elsewhere) fail(kind, `certificate "${certificate.label}" is already in group "${elsewhere.name}"`, 'conflict');
    const existing = groupByName(draft, name);
    if (existing && existing.certificateId && existing.certificateId !== certificate.id) {
      fail(kind, `group "${name}" already holds another certificate`, 'conflict');
    }
    if (existing) existing.certificateId = certificate.id;
    else draft.groups.push({ id: `new:${name}`, name, certificateId: certificate.id });
    install.push({ certificateId: certificate.id, label: certificate.label, groupName: name });
    const group = groupByName(draft, name)!;
    for (const number of spec.beconNumbers) beconIn(draft, kind, number).groupId = group.id;
  }
  return install;
}

function applyBeconGroups(kind: RunbookKind, draft: Draft, specs: readonly BeconGroupSpec[]): void {
  for (const spec of specs) {
    const becon = beconIn(draft, kind, spec.beconNumber);
    if (spec.groupName === null) {
      becon.groupId = null;
      continue;
    }
    const group = groupByName(draft, spec.groupName);
    if (!group) fail(kind, `no certificate group "${spec.groupName}" in this hub`);
    becon.groupId = group!.id;
  }
}

function applyClientBecons(kind: RunbookKind, draft: Draft, world: RunbookWorld, specs: readonly ClientBeconSpec[]): RunbookPlan['clientBecons'] {
  const changes: RunbookPlan['clientBecons'] = [];
  for (const spec of specs) {
    const client = world.clients.find((c) => c.organisationId === spec.organisationId);
    if (!client) fail(kind, `client ${spec.organisationId} is not in this hub`);
    const becon = beconIn(draft, kind, spec.beconNumber);
    const years = draft.masterData.get(spec.organisationId) ?? [];
    const targetYear = spec.year ?? (years.length ? Math.max(...years.map((y) => y.year)) : world.currentYear);
    const existing = years.find((y) => y.year === targetYear);
    const beconBefore = existing ? (draft.becons.find((b) => b.id === existing.beconId)?.number ?? null) : null;
    if (existing) existing.beconId = becon.id;
    else years.push({ year: targetYear, beconId: becon.id });
    draft.masterData.set(spec.organisationId, years);
    if (beconBefore !== spec.beconNumber) changes.push({ organisationId: spec.organisationId, year: targetYear, beconNumber: spec.beconNumber, beconBefore });
  }
  return changes;
}

function chosen(situation: CertificateSituation, masterData: readonly MasterDataYear[]): string | null {
  try {
    return ownCertificateForClient(situation, masterData).certificateId;
  } catch {
    return null;
  }
}

/**
 * Computes a runbook's plan against the world as it is. Throws RuleViolation naming the rule (C2, C7, RB1–RB5) when
 * the runbook cannot run as asked; nothing has changed at that point.
 */
export function planRunbook(world: RunbookWorld, input: RunbookInput): RunbookPlan {
  const kind = input.kind;
  const draft = copyOf(world);
  const before = world;
  const workBefore = workCertificateOf(before)?.id ?? null;
  let install: RunbookPlan['install'] = [];
  let clientBecons: RunbookPlan['clientBecons'] = [];
  let replace: RunbookPlan['replace'] = null;
  let deleteCertificateId: string | null = null;
  let primary: string;
  const warnings: string[] = [];
  const notices: RunbookNotice[] = [];
  /** Mandates that must be revoked and requested again; decided per kind below. */
  let moves: (m: OpenMandateFacts, after: string | null) => boolean;

  switch (input.kind) {
    case 'RB1':
    case 'RB2': {
      const work = input.workCertificateId ?? workBefore;
      if (!work) fail(kind, 'name the work certificate: the hub has none yet');
      const workCertificate = certificateIn(draft, kind, work!);
      if (workCertificate.isServiceProvider) fail(kind, `"${workCertificate.label}" is the service provider's certificate and cannot be the work certificate`);
      assertUsable(workCertificate, world.now);
      if (draft.groups.some((g) => g.certificateId === work)) {
        throw new RuleViolation('C2', `${INVALID_CERTIFICATE_SPECIFIED}: "${workCertificate.label}" is in a group and cannot be the work certificate`, 'invalid');
      }
      primary = work!;
      draft.multiCertificate = true;
      install = applyGroups(kind, draft, input.groups, work!, world.now);
      setWork(draft, work!);
      clientBecons = applyClientBecons(kind, draft, world, input.clientBecons ?? []);
      // RB1: the mandates whose intermediary changes move; RB2 is for a firm without mandates yet.
      moves = (m, after) => after !== null && after !== m.certificateId && kvkOf(world, after) !== kvkOf(world, m.certificateId);
      break;
    }
    case 'RB3': {
      const removed = certificateIn(draft, kind, input.certificateId);
      if (removed.isWorkCertificate) {
        fail(kind, `"${removed.label}" is the work certificate: it cannot be removed without a replacement (decide another work certificate, or use RB4/RB5)`, 'conflict');
      }
      if (removed.isServiceProvider) fail(kind, `"${removed.label}" is the service provider's certificate, not one of the firm's own`);
      primary = removed.id;
      deleteCertificateId = removed.id;
      const group = draft.groups.find((g) => g.certificateId === removed.id);
      const defaults: BeconGroupSpec[] = group
        ? draft.becons.filter((b) => b.groupId === group.id).map((b) => ({ beconNumber: b.number, groupName: null }))
        : [];
      const specified = new Set((input.beconGroups ?? []).map((s) => s.beconNumber));
      if (group) group.certificateId = null;
      draft.certificates = draft.certificates.filter((c) => c.id !== removed.id);
      applyBeconGroups(kind, draft, [...defaults.filter((d) => !specified.has(d.beconNumber)), ...(input.beconGroups ?? [])]);
      if (group && draft.becons.some((b) => b.groupId === group.id)) {
        fail(kind, `Becons would still point at group "${group.name}", which has no certificate after the removal`);
      }
      moves = (m) => m.certificateId === removed.id;
      break;
    }
    case 'RB4':
    case 'RB5': {
      const old = certificateIn(draft, kind, input.certificateId);
      const replacement = certificateIn(draft, kind, input.newCertificateId);
      if (old.id === replacement.id) fail(kind, 'the new certificate must differ from the one it replaces');
      if (old.isServiceProvider || replacement.isServiceProvider) fail(kind, "the service provider's certificate is not replaced through a runbook");
      if (replacement.isWorkCertificate || draft.groups.some((g) => g.certificateId === replacement.id)) {
        fail(kind, `the new certificate "${replacement.label}" is already in use (work certificate or in a group)`, 'conflict');
      }
      const sameKvk = old.kvkNumber !== null && old.kvkNumber === replacement.kvkNumber;
      if (kind === 'RB4' && !sameKvk) {
        fail(kind, `the KvK number changes (${old.kvkNumber ?? '?'} → ${replacement.kvkNumber ?? '?'}): follow RB5, which revokes and requests the mandates again`);
      }
      if (kind === 'RB5' && sameKvk) fail(kind, `the KvK number stays ${old.kvkNumber}: follow RB4, nothing else has to change`);
      if (kind === 'RB4' && Date.parse(replacement.validTo) <= Date.parse(old.validTo)) {
        fail(kind, `the new certificate ${nameAndKvk(replacement)} expires on ${replacement.validTo}, not later than ${nameAndKvk(old)} (${old.validTo}): a replacement must outlive the certificate it replaces`);
      }
      assertUsable(replacement, world.now);
      primary = old.id;
      const oldGroup = draft.groups.find((g) => g.certificateId === old.id);
      let groupName: string | null = oldGroup?.name ?? null;
      if (input.kind === 'RB5' && input.groupName !== undefined && !old.isWorkCertificate) groupName = input.groupName;
      if (old.isWorkCertificate) {
        groupName = null;
        setWork(draft, replacement.id);
      } else if (groupName !== null) {
        if (oldGroup) oldGroup.certificateId = null;
        const target = groupByName(draft, groupName);
        if (target && target.certificateId && target.certificateId !== old.id) fail(kind, `group "${groupName}" already holds another certificate`, 'conflict');
        if (target) target.certificateId = replacement.id;
        else draft.groups.push({ id: `new:${groupName}`, name: groupName, certificateId: replacement.id });
      } else {
        warnings.push(`"${old.label}" is neither the work certificate nor in a group: the new certificate is installed but not used yet`);
        notices.push({ code: 'unused-replacement', label: old.label });
      }
      install = [{ certificateId: replacement.id, label: replacement.label, groupName }];
      replace = { oldCertificateId: old.id, newCertificateId: replacement.id, groupName };
      if (input.kind === 'RB5') {
        // A new group name empties the old group: the Becons that pointed at it follow the certificate to its new group
        // (unless told otherwise), so no Becon is left on a group without a certificate.
        const follow: BeconGroupSpec[] =
          oldGroup && groupName !== null && groupName !== oldGroup.name
            ? draft.becons.filter((b) => b.groupId === oldGroup.id).map((b) => ({ beconNumber: b.number, groupName }))
            : [];
        const specified = new Set((input.beconGroups ?? []).map((b) => b.beconNumber));
        applyBeconGroups(kind, draft, [...follow.filter((f) => !specified.has(f.beconNumber)), ...(input.beconGroups ?? [])]);
        if (oldGroup && oldGroup.certificateId === null && draft.becons.some((b) => b.groupId === oldGroup.id)) {
          const left = draft.becons.filter((b) => b.groupId === oldGroup.id).map((b) => b.number);
          fail(kind, `Becon ${left.join(', ')} would still point at group "${oldGroup.name}", which has no certificate after the replacement: select another group for them (beconGroups)`);
        }
        clientBecons = applyClientBecons(kind, draft, world, input.clientBecons ?? []);
        moves = (m) => m.certificateId === old.id;
      } else {
        // Same KvK number: the register knows the firm by it, so the mandates stay (their certificate is updated).
        moves = () => false;
      }
      break;
    }
  }

  refuseGroupedWorkCertificate(draft);

  const certificateAfter = (organisationId: string) => chosen(draft, draft.masterData.get(organisationId) ?? []);
  const clients: RunbookPlan['clients'] = [];
  for (const client of world.clients) {
    const beforeId = chosen(before, client.masterData);
    const afterId = certificateAfter(client.organisationId);
    if (afterId !== null && afterId !== beforeId) clients.push({ organisationId: client.organisationId, name: client.name, certificateBefore: beforeId, certificateAfter: afterId });
  }

  const labelled = (id: string) => world.certificates.find((c) => c.id === id)!;
  const mandatesToRevoke: RunbookPlan['mandatesToRevoke'] = [];
  const mandatesToRequest: RunbookPlan['mandatesToRequest'] = [];
  const letterNames: RunbookPlan['letterNames'] = [];
  for (const m of world.openMandates) {
    const after = certificateAfter(m.organisationId);
    if (!moves(m, after)) continue;
    if (after === null) fail(kind, `client ${m.organisationId} would have no certificate to request its mandates with`);
    const key = { organisationId: m.organisationId, service: m.service, year: m.year, continuing: m.continuing };
    const beforeName = letterNameOf(labelled(m.certificateId));
    const afterName = letterNameOf(labelled(after!));
    mandatesToRevoke.push({ ...key, mandateId: m.id, certificateId: m.certificateId, letterName: beforeName });
    mandatesToRequest.push({ ...key, replacesMandateId: m.id, certificateId: after!, letterName: afterName });
    if (beforeName !== afterName) letterNames.push({ organisationId: m.organisationId, service: m.service, year: m.year, before: beforeName, after: afterName });
  }
  if (kind === 'RB2' && mandatesToRevoke.length > 0) {
    fail(kind, `${mandatesToRevoke.length} open mandate(s) would change certificate: RB2 is for a firm without mandates, use RB1`, 'conflict');
  }
  if (mandatesToRevoke.length > 0) {
    warnings.push('Between a revocation and the new request another intermediary could register for the same client, service and year (exclusivity).');
    notices.push({ code: 'exclusivity' });
  }

  const groups: RunbookPlan['groups'] = draft.groups
    .map((g) => ({
      name: g.name,
      isNew: g.id.startsWith('new:'),
      certificateBefore: world.groups.find((w) => w.id === g.id)?.certificateId ?? null,
      certificateAfter: g.certificateId,
    }))
    .filter((g) => g.isNew || g.certificateBefore !== g.certificateAfter);
  const groupName = (groupsOf: readonly GroupFacts[], id: string | null) => (id ? (groupsOf.find((g) => g.id === id)?.name ?? null) : null);
  const becons: RunbookPlan['becons'] = draft.becons
    .map((b) => ({
      number: b.number,
      groupBefore: groupName(world.groups, world.becons.find((w) => w.id === b.id)?.groupId ?? null),
      groupAfter: groupName(draft.groups, b.groupId),
    }))
    .filter((b) => b.groupBefore !== b.groupAfter);
  const workAfter = workCertificateOf(draft)?.id ?? null;

  const certificateIds = [
    ...new Set([primary!, ...install.map((i) => i.certificateId), ...(workAfter ? [workAfter] : []), ...(deleteCertificateId ? [deleteCertificateId] : []), ...(replace ? [replace.oldCertificateId, replace.newCertificateId] : [])]),
  ];

  const plan: RunbookPlan = {
    kind,
    title: RUNBOOK_TITLES[kind],
    primaryCertificateId: primary!,
    certificateIds,
    steps: [],
    multiCertificate: { before: world.multiCertificate, after: draft.multiCertificate },
    workCertificate: { before: workBefore, after: workAfter },
    install,
    groups,
    becons,
    clientBecons,
    clients,
    mandatesToRevoke,
    mandatesToRequest,
    letterNames,
    replace,
    deleteCertificateId,
    warnings,
    notices,
  };
  plan.steps = RUNBOOK_STEPS[kind].map((s) => ({ key: s.key, title: s.title, actions: actionsOf(s.key, plan, world) }));
  return plan;
}

function kvkOf(world: CertificateSituation, certificateId: string): string | null {
  return world.certificates.find((c) => c.id === certificateId)?.kvkNumber ?? null;
}

/** Human-readable lines of what a step will do, for the plan shown before confirmation. */
function actionsOf(key: RunbookStepKey, plan: RunbookPlan, world: RunbookWorld): string[] {
  const label = (id: string | null) => (id ? (world.certificates.find((c) => c.id === id)?.label ?? id) : 'none');
  const client = (id: string) => world.clients.find((c) => c.organisationId === id)?.name ?? id;
  const mandate = (m: PlannedMandate) => `${m.service} ${m.year}${m.continuing ? ' (continuing)' : ''} of ${client(m.organisationId)} with "${label(m.certificateId)}" (letter: ${m.letterName})`;
  switch (key) {
    case 'revoke-mandates':
      return plan.mandatesToRevoke.length ? plan.mandatesToRevoke.map((m) => `revoke ${mandate(m)}`) : ['no mandates to revoke'];
    case 'request-mandates':
      return plan.mandatesToRequest.length ? plan.mandatesToRequest.map((m) => `request ${mandate(m)}`) : ['no mandates to request'];
    case 'switch-on':
      return [plan.multiCertificate.before ? 'already switched on' : 'switch several certificates on'];
    case 'install-certificates':
      return plan.install.map((i) => `install "${i.label}"${i.groupName && (plan.kind === 'RB1' || plan.kind === 'RB2') ? ` in group "${i.groupName}"` : ''}`);
    case 'assign-group':
      return plan.replace
        ? [plan.replace.groupName === null ? `"${label(plan.replace.newCertificateId)}" becomes the work certificate in place of "${label(plan.replace.oldCertificateId)}"` : `group "${plan.replace.groupName}": "${label(plan.replace.oldCertificateId)}" → "${label(plan.replace.newCertificateId)}"`]
        : [];
    case 'work-certificate':
      return [`work certificate: "${label(plan.workCertificate.after)}"${plan.workCertificate.before === plan.workCertificate.after ? ' (unchanged)' : ` (was "${label(plan.workCertificate.before)}")`}`];
    case 'becon-groups':
      return plan.becons.length ? plan.becons.map((b) => `Becon ${b.number}: group ${b.groupBefore ?? 'none'} → ${b.groupAfter ?? 'none'}`) : ['Becons keep their groups'];
    case 'client-becons':
      return [
        ...plan.clientBecons.map((c) => `${client(c.organisationId)} ${c.year}: Becon ${c.beconBefore ?? 'none'} → ${c.beconNumber}`),
        `check that ${plan.clients.length} affected client(s) have a Becon in their latest year`,
      ];
    case 'delete-certificate':
      return plan.deleteCertificateId ? [`delete "${label(plan.deleteCertificateId)}"`] : [];
  }
}

// --- deleting (RB3) ----------------------------------------------------------------------------------------------

/**
 * RB3, right before the certificate is deleted: what uses it now beyond what the runbook's own plan moves away (the
 * Becons of its group that the next step moves, the runbook's own lock). Anything else (a Becon newly pointed at its
 * group, a mandate or message that still needs it, another runbook, the work certificate) fails the step with the
 * reason, and nothing is deleted.
 */
export function assertDeletableByRunbook(
  label: string,
  certificateId: string,
  users: CertificateUsers,
  plan: Pick<RunbookPlan, 'groups' | 'becons'>,
  runbookId: string,
): void {
  const plannedGroups = new Set(plan.groups.filter((g) => g.certificateBefore === certificateId && g.certificateAfter !== certificateId).map((g) => g.name));
  const moving = new Set(plan.becons.filter((b) => b.groupBefore !== null && plannedGroups.has(b.groupBefore) && b.groupAfter !== b.groupBefore).map((b) => b.number));
  const remaining: CertificateUsers = {
    ...users,
    groups: users.groups.flatMap((g) => {
      if (!plannedGroups.has(g.name)) return [g];
      const left = g.becons.filter((number) => !moving.has(number));
      return left.length ? [{ ...g, becons: left }] : [];
    }),
    runbooks: users.runbooks.filter((id) => id !== runbookId),
  };
  const list = usersOf(remaining);
  if (list.length > 0) {
    throw new RuleViolation('RB3', `certificate "${label}" is still in use by ${list.join('; ')}: nothing was deleted; retry when that has ended or moved, or cancel the runbook`, 'conflict');
  }
}

// --- progress ---------------------------------------------------------------------------------------------------

export type RunbookPhase = 'planning' | 'awaiting-confirmation' | 'running' | 'paused' | 'completed' | 'cancelled' | 'failed';
export type StepState = 'pending' | 'running' | 'done' | 'failed';

export interface RunbookStepProgress {
  key: RunbookStepKey;
  title: string;
  state: StepState;
  detail?: string;
  reason?: string;
  /** A mandate step: how many of its mandates are settled so far, of how many ("requested 4 / 11"). */
  counts?: StepCounts;
}

export interface StepCounts {
  done: number;
  total: number;
  what: 'revoked' | 'requested';
}

export interface RunbookProgressView {
  runbookId: string;
  kind: RunbookKind;
  phase: RunbookPhase;
  steps: RunbookStepProgress[];
  currentStep: RunbookStepKey | null;
  progress: number;
  reason: string | null;
}

export function initialSteps(kind: RunbookKind): RunbookStepProgress[] {
  return RUNBOOK_STEPS[kind].map((s) => ({ key: s.key, title: s.title, state: 'pending' }));
}

/** Share of steps done, 0–100 (the RunbookProgress search attribute). */
export function progressPercent(steps: readonly RunbookStepProgress[]): number {
  if (steps.length === 0) return 0;
  return Math.round((100 * steps.filter((s) => s.state === 'done').length) / steps.length);
}

/** The Web UI's current details: the runbook as a checklist. */
export function progressMarkdown(view: RunbookProgressView): string {
  const mark = (s: RunbookStepProgress) => (s.state === 'done' ? '[x]' : s.state === 'running' ? '[~]' : s.state === 'failed' ? '[!]' : '[ ]');
  return [
    `**${view.kind} — ${RUNBOOK_TITLES[view.kind]}** (${view.phase}, ${view.progress}%)`,
    '',
    ...view.steps.map((s, i) => `- ${mark(s)} ${i + 1}. ${s.title}${s.detail ? ` — ${s.detail}` : ''}${s.reason ? ` — **${s.reason}**` : ''}`),
    ...(view.reason ? ['', `Reason: ${view.reason}`] : []),
  ].join('\n');
}
