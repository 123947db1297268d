import type { CertificateFacts, CertificateUsers } from '../../domain/certificates';
import {
  assertDeletableByRunbook,
  initialSteps,
  planRunbook,
  progressMarkdown,
  progressPercent,
  RUNBOOK_STEPS,
  type OpenMandateFacts,
  type RunbookInput,
  type RunbookWorld,
} from '../../domain/runbooks';
import { refusal } from '../helpers/refusal';

/**
 * The seed's example: a holding with six offices, three of them acquired, each acquired office with its own
 * certificate. Before RB1 the hub works with the holding's certificate only.
 */
const NOW = new Date('2026-06-01T00:00:00Z');

function cert(id: string, kvkNumber: string, name: string, extra: Partial<CertificateFacts> = {}): CertificateFacts {
  return { id, label: id, isWorkCertificate: false, isServiceProvider: false, kvkNumber, organisationName: name, letterName: null, validFrom: '2026-01-01T00:00:00Z', validTo: '2028-01-01T00:00:00Z', ...extra };
}

const OFFICES = ['o1', 'o2', 'o3', 'willemsen', 'jansen', 'devries'] as const;
const BECON: Record<(typeof OFFICES)[number], string> = { o1: '100001', o2: '100002', o3: '100003', willemsen: '200001', jansen: '200002', devries: '200003' };

function seedWorld(): RunbookWorld {
  const clients = OFFICES.flatMap((office) =>
    ['a', 'b'].map((suffix) => ({ organisationId: `c-${office}-${suffix}`, name: `Klant ${office} ${suffix}`, masterData: [{ year: 2026, beconId: `b-${office}` }] })),
  );
  // C4: the latest year decides. Left Willemsen for office 1 in 2026; joined Jansen from office 1 in 2026.
  clients.push({ organisationId: 'c-left', name: 'Klant vertrokken', masterData: [{ year: 2025, beconId: 'b-willemsen' }, { year: 2026, beconId: 'b-o1' }] });
  clients.push({ organisationId: 'c-joined', name: 'Klant overgekomen', masterData: [{ year: 2025, beconId: 'b-o1' }, { year: 2026, beconId: 'b-jansen' }] });
  const openMandates: OpenMandateFacts[] = clients.map((c) => ({ id: `m-${c.organisationId}`, organisationId: c.organisationId, service: 'SBA', year: 2026, continuing: false, state: 'ACTIVE', certificateId: 'holding' }));
  openMandates.push({ id: 'm-via', organisationId: 'c-willemsen-a', service: 'VIA', year: 2025, continuing: true, state: 'ONTVANGEN', certificateId: 'holding' });
  return {
    multiCertificate: false,
    certificateMode: 'own',
    certificates: [
      cert('holding', '51234560', 'AA Accountants Holding B.V.', { isWorkCertificate: true }),
      cert('willemsen', '52345671', 'Accountantskantoor Willemsen B.V.'),
      cert('jansen', '53456782', 'Jansen Belastingadvies B.V.'),
      cert('devries', '54567893', 'De Vries Administraties B.V.'),
      cert('devries-new', '55678904', 'De Vries Administraties B.V.'),
      cert('devries-renewed', '54567893', 'De Vries Administraties B.V.', { validTo: '2029-01-01T00:00:00Z' }),
      cert('expired', '57890126', 'Verlopen Test B.V.', { validTo: '2026-05-01T00:00:00Z' }),
    ],
    groups: [],
    becons: OFFICES.map((o) => ({ id: `b-${o}`, number: BECON[o], groupId: null })),
    clients,
    openMandates,
    currentYear: 2026,
    now: NOW,
  };
}

const RB1: RunbookInput = {
  kind: 'RB1',
  groups: [
    { name: 'Willemsen', certificateId: 'willemsen', beconNumbers: ['200001'] },
    { name: 'Jansen', certificateId: 'jansen', beconNumbers: ['200002'] },
    { name: 'De Vries', certificateId: 'devries', beconNumbers: ['200003'] },
  ],
};

/** The world after RB1 ran as planned (what RB5 starts from). */
function afterRb1(): RunbookWorld {
  const world = seedWorld();
  const plan = planRunbook(world, RB1);
  const groupId = (name: string) => `g-${name}`;
  world.multiCertificate = true;
  world.groups = plan.install.map((i) => ({ id: groupId(i.groupName!), name: i.groupName!, certificateId: i.certificateId }));
  for (const g of RB1.kind === 'RB1' ? RB1.groups : []) for (const n of g.beconNumbers) world.becons.find((b) => b.number === n)!.groupId = groupId(g.name);
  const requested = new Map(plan.mandatesToRequest.map((m) => [m.replacesMandateId, m.certificateId]));
  world.openMandates = world.openMandates.map((m) => ({ ...m, id: requested.has(m.id) ? `${m.id}-2` : m.id, certificateId: requested.get(m.id) ?? m.certificateId }));
  return world;
}

describe('runbook steps follow the seed\'s order', () => {
  it('RB1–RB5', () => {
    expect(RUNBOOK_STEPS.RB1.map((s) => s.key)).toEqual(['revoke-mandates', 'switch-on', 'install-certificates', 'work-certificate', 'becon-groups', 'client-becons', 'request-mandates']);
    expect(RUNBOOK_STEPS.RB2.map((s) => s.key)).toEqual(['switch-on', 'install-certificates', 'work-certificate', 'becon-groups', 'client-becons']);
    expect(RUNBOOK_STEPS.RB3.map((s) => s.key)).toEqual(['revoke-mandates', 'delete-certificate', 'becon-groups', 'request-mandates']);
    expect(RUNBOOK_STEPS.RB4.map((s) => s.key)).toEqual(['install-certificates', 'assign-group']);
    expect(RUNBOOK_STEPS.RB5.map((s) => s.key)).toEqual(['revoke-mandates', 'install-certificates', 'assign-group', 'becon-groups', 'client-becons', 'request-mandates']);
  });
});

describe('RB1 on the seed example: one certificate to four', () => {
  const plan = planRunbook(seedWorld(), RB1);
  const moved = ['c-willemsen-a', 'c-willemsen-b', 'c-jansen-a', 'c-jansen-b', 'c-devries-a', 'c-devries-b', 'c-joined'];

  it('touches exactly the acquired offices\' clients (the latest year decides), with the new certificates', () => {
    expect(plan.mandatesToRevoke.map((m) => m.mandateId).sort()).toEqual([...moved.map((c) => `m-${c}`), 'm-via'].sort());
    expect(plan.mandatesToRequest.map((m) => `${m.organisationId}:${m.certificateId}`).sort()).toEqual(
      [
        'c-willemsen-a:willemsen',
        'c-willemsen-a:willemsen',
        'c-willemsen-b:willemsen',
        'c-jansen-a:jansen',
        'c-jansen-b:jansen',
        'c-joined:jansen',
        'c-devries-a:devries',
        'c-devries-b:devries',
      ].sort(),
    );
    // The VIA continuing mandate is re-requested as it was.
    expect(plan.mandatesToRequest.find((m) => m.replacesMandateId === 'm-via')).toMatchObject({ service: 'VIA', year: 2025, continuing: true });
    expect(plan.clients.map((c) => c.organisationId).sort()).toEqual(moved.sort());
    expect(plan.mandatesToRevoke.some((m) => m.organisationId === 'c-left')).toBe(false);
  });

  it('shows which letter names change (C3)', () => {
    expect(plan.letterNames.find((l) => l.organisationId === 'c-jansen-a')).toEqual({
      organisationId: 'c-jansen-a',
      service: 'SBA',
      year: 2026,
      before: 'AA Accountants Holding B.V.',
      after: 'Jansen Belastingadvies B.V.',
    });
    expect(plan.letterNames).toHaveLength(8);
  });

  it('plans the configuration: switch on, three new groups, the holding stays the work certificate, three Becons', () => {
    expect(plan.multiCertificate).toEqual({ before: false, after: true });
    expect(plan.workCertificate).toEqual({ before: 'holding', after: 'holding' });
    expect(plan.groups.map((g) => [g.name, g.isNew, g.certificateAfter])).toEqual([
      ['Willemsen', true, 'willemsen'],
      ['Jansen', true, 'jansen'],
      ['De Vries', true, 'devries'],
    ]);
    expect(plan.becons).toEqual([
      { number: '200001', groupBefore: null, groupAfter: 'Willemsen' },
      { number: '200002', groupBefore: null, groupAfter: 'Jansen' },
      { number: '200003', groupBefore: null, groupAfter: 'De Vries' },
    ]);
    expect(plan.primaryCertificateId).toBe('holding');
    expect(plan.certificateIds.sort()).toEqual(['devries', 'holding', 'jansen', 'willemsen']);
    expect(plan.steps.map((s) => s.key)).toEqual(RUNBOOK_STEPS.RB1.map((s) => s.key));
    expect(plan.steps[0].actions).toHaveLength(8);
    expect(plan.warnings.join(' ')).toMatch(/exclusivity/);
  });

  it('C2: the work certificate in a group is refused with "Invalid certificate specified"', () => {
    const err = refusal(() => planRunbook(seedWorld(), { kind: 'RB1', groups: [{ name: 'Holding', certificateId: 'holding', beconNumbers: ['100001'] }] }));
    expect(err.rule).toBe('C2');
    expect(err.message).toContain('Invalid certificate specified');
  });

  it('refuses expired certificates (C7), unknown Becons and certificates', () => {
    expect(refusal(() => planRunbook(seedWorld(), { kind: 'RB1', groups: [{ name: 'X', certificateId: 'expired', beconNumbers: [] }] })).rule).toBe('C7');
    expect(refusal(() => planRunbook(seedWorld(), { kind: 'RB1', groups: [{ name: 'X', certificateId: 'jansen', beconNumbers: ['999999'] }] })).rule).toBe('RB1');
    expect(refusal(() => planRunbook(seedWorld(), { kind: 'RB1', groups: [{ name: 'X', certificateId: 'nope', beconNumbers: [] }] })).rule).toBe('RB1');
  });

  it('a client Becon change in the plan moves that client too', () => {
    const withMove = planRunbook(seedWorld(), { ...RB1, kind: 'RB1', groups: RB1.kind === 'RB1' ? RB1.groups : [], clientBecons: [{ organisationId: 'c-o2-a', beconNumber: '200001' }] });
    expect(withMove.clientBecons).toEqual([{ organisationId: 'c-o2-a', year: 2026, beconNumber: '200001', beconBefore: '100002' }]);
    expect(withMove.mandatesToRequest.find((m) => m.organisationId === 'c-o2-a')?.certificateId).toBe('willemsen');
  });
});

describe('RB2–RB5', () => {
  it('RB2 is for a firm without mandates to move', () => {
    expect(refusal(() => planRunbook(seedWorld(), { kind: 'RB2', workCertificateId: 'holding', groups: RB1.kind === 'RB1' ? RB1.groups : [] })).rule).toBe('RB2');
    const fresh = { ...seedWorld(), openMandates: [] };
    const plan = planRunbook(fresh, { kind: 'RB2', workCertificateId: 'holding', groups: RB1.kind === 'RB1' ? RB1.groups : [] });
    expect(plan.steps.map((s) => s.key)).toEqual(RUNBOOK_STEPS.RB2.map((s) => s.key));
    expect(plan.mandatesToRevoke).toEqual([]);
  });

  it('RB5 for De Vries (KvK number changes): exactly De Vries\'s clients\' mandates move to the new certificate', () => {
    const plan = planRunbook(afterRb1(), { kind: 'RB5', certificateId: 'devries', newCertificateId: 'devries-new' });
    expect(plan.mandatesToRevoke.map((m) => m.organisationId).sort()).toEqual(['c-devries-a', 'c-devries-b']);
    expect(plan.mandatesToRequest.every((m) => m.certificateId === 'devries-new')).toBe(true);
    expect(plan.replace).toEqual({ oldCertificateId: 'devries', newCertificateId: 'devries-new', groupName: 'De Vries' });
    expect(plan.groups).toEqual([{ name: 'De Vries', isNew: false, certificateBefore: 'devries', certificateAfter: 'devries-new' }]);
    // Same firm name under the new KvK number: the letters do not change.
    expect(plan.letterNames).toEqual([]);
    expect(plan.primaryCertificateId).toBe('devries');
  });

  it('RB4 keeps the mandates (same KvK number) and refuses a changed KvK number, pointing at RB5', () => {
    const plan = planRunbook(afterRb1(), { kind: 'RB4', certificateId: 'devries', newCertificateId: 'devries-renewed' });
    expect(plan.mandatesToRevoke).toEqual([]);
    expect(plan.replace?.groupName).toBe('De Vries');
    const err = refusal(() => planRunbook(afterRb1(), { kind: 'RB4', certificateId: 'devries', newCertificateId: 'devries-new' }));
    expect(err.rule).toBe('RB4');
    expect(err.message).toMatch(/RB5/);
    expect(refusal(() => planRunbook(afterRb1(), { kind: 'RB5', certificateId: 'devries', newCertificateId: 'devries-renewed' })).message).toMatch(/RB4/);
  });

  it('RB4 refuses a replacement that does not outlive the certificate it replaces, naming both by name and KvK', () => {
    for (const validTo of ['2028-01-01T00:00:00Z', '2027-06-01T00:00:00Z']) {
      const world = afterRb1();
      world.certificates.push(cert('devries-short', '54567893', 'De Vries Administraties B.V.', { validTo }));
      const err = refusal(() => planRunbook(world, { kind: 'RB4', certificateId: 'devries', newCertificateId: 'devries-short' }));
      expect(err.rule).toBe('RB4');
      expect(err.message).toContain('must outlive');
      expect(err.message).toContain('"devries-short" (KvK 54567893)');
      expect(err.message).toContain('"devries" (KvK 54567893)');
    }
  });

  it('RB4 of the work certificate makes the new one the work certificate', () => {
    const world = afterRb1();
    world.certificates.push(cert('holding-renewed', '51234560', 'AA Accountants Holding B.V.', { validTo: '2029-01-01T00:00:00Z' }));
    const plan = planRunbook(world, { kind: 'RB4', certificateId: 'holding', newCertificateId: 'holding-renewed' });
    expect(plan.workCertificate).toEqual({ before: 'holding', after: 'holding-renewed' });
    expect(plan.replace?.groupName).toBeNull();
  });

  it('RB3 removes Jansen: its Becon falls back to the work certificate and its clients\' mandates are requested again', () => {
    const plan = planRunbook(afterRb1(), { kind: 'RB3', certificateId: 'jansen' });
    expect(plan.mandatesToRevoke.map((m) => m.organisationId).sort()).toEqual(['c-jansen-a', 'c-jansen-b', 'c-joined']);
    expect(plan.mandatesToRequest.every((m) => m.certificateId === 'holding')).toBe(true);
    expect(plan.becons).toEqual([{ number: '200002', groupBefore: 'Jansen', groupAfter: null }]);
    expect(plan.deleteCertificateId).toBe('jansen');
    expect(refusal(() => planRunbook(afterRb1(), { kind: 'RB3', certificateId: 'holding' })).rule).toBe('RB3');
  });
});

describe('RB5 into another group, and RB3 deleting only what its plan moves', () => {
  it('RB5 with a new group name moves the old group\'s Becons along by default: no Becon is left on an empty group', () => {
    const plan = planRunbook(afterRb1(), { kind: 'RB5', certificateId: 'devries', newCertificateId: 'devries-new', groupName: 'De Vries 2026' });
    expect(plan.groups).toEqual([
      { name: 'De Vries', isNew: false, certificateBefore: 'devries', certificateAfter: null },
      { name: 'De Vries 2026', isNew: true, certificateBefore: null, certificateAfter: 'devries-new' },
    ]);
    expect(plan.becons).toEqual([{ number: '200003', groupBefore: 'De Vries', groupAfter: 'De Vries 2026' }]);
    // Its clients end with the new certificate, so exactly their mandates move.
    expect(plan.clients.filter((c) => c.certificateAfter === 'devries-new').map((c) => c.organisationId).sort()).toEqual(['c-devries-a', 'c-devries-b']);
    expect(plan.mandatesToRequest.every((m) => m.certificateId === 'devries-new')).toBe(true);
    // Told to go elsewhere (here: the work certificate), the Becon goes there.
    const elsewhere = planRunbook(afterRb1(), { kind: 'RB5', certificateId: 'devries', newCertificateId: 'devries-new', groupName: 'De Vries 2026', beconGroups: [{ beconNumber: '200003', groupName: null }] });
    expect(elsewhere.becons).toEqual([{ number: '200003', groupBefore: 'De Vries', groupAfter: null }]);
  });

  it('RB5 refuses, naming RB5, a Becon told to stay on the group the replacement empties', () => {
    const err = refusal(() =>
      planRunbook(afterRb1(), { kind: 'RB5', certificateId: 'devries', newCertificateId: 'devries-new', groupName: 'De Vries 2026', beconGroups: [{ beconNumber: '200003', groupName: 'De Vries' }] }),
    );
    expect(err.rule).toBe('RB5');
    expect(err.message).toContain('Becon 200003 would still point at group "De Vries"');
  });

  it('RB3 deletes only when nothing but what its plan moves still uses the certificate', () => {
    const plan = planRunbook(afterRb1(), { kind: 'RB3', certificateId: 'jansen' });
    const users = (extra: Partial<CertificateUsers> = {}): CertificateUsers => ({
      workCertificate: false,
      serviceProvider: false,
      groups: [{ name: 'Jansen', becons: ['200002'], clients: 3 }],
      openMandates: 0,
      openMessages: 0,
      runbooks: ['rb-self'],
      ...extra,
    });
    expect(() => assertDeletableByRunbook('Jansen', 'jansen', users(), plan, 'rb-self')).not.toThrow();
    const newBecon = refusal(() => assertDeletableByRunbook('Jansen', 'jansen', users({ groups: [{ name: 'Jansen', becons: ['200002', '100001'], clients: 4 }] }), plan, 'rb-self'));
    expect(newBecon.rule).toBe('RB3');
    expect(newBecon.message).toContain('group "Jansen" (Becon 100001');
    expect(refusal(() => assertDeletableByRunbook('Jansen', 'jansen', users({ openMandates: 1 }), plan, 'rb-self')).message).toContain('1 open mandate');
    expect(refusal(() => assertDeletableByRunbook('Jansen', 'jansen', users({ openMessages: 2 }), plan, 'rb-self')).message).toContain('2 messages being sent');
    expect(refusal(() => assertDeletableByRunbook('Jansen', 'jansen', users({ runbooks: ['rb-self', 'rb-other'] }), plan, 'rb-self')).message).toContain('runbook rb-other');
  });
});

describe('progress', () => {
  it('percent and the Web UI checklist', () => {
    const steps = initialSteps('RB4');
    steps[0].state = 'done';
    steps[1].state = 'failed';
    steps[1].reason = 'group missing';
    expect(progressPercent(steps)).toBe(50);
    const text = progressMarkdown({ runbookId: 'r', kind: 'RB4', phase: 'paused', steps, currentStep: 'assign-group', progress: 50, reason: 'step 2 failed' });
    expect(text).toContain('**RB4 — Replace an expiring certificate (same KvK number)** (paused, 50%)');
    expect(text).toContain('- [x] 1. Install the new certificate');
    expect(text).toContain('- [!] 2.');
    expect(text).toContain('**group missing**');
  });
});
