import {
  assertDeletable,
  assertGroupAssignment,
  assertUsable,
  assertWorkCertificateChoice,
  chooseSigningCertificate,
  daysUntil,
  expiryWarningDue,
  INVALID_CERTIFICATE_SPECIFIED,
  latestYear,
  letterNameOf,
  masterDataForYear,
  ownCertificateForClient,
  assertNoKvkMove,
  clientsChangingKvk,
  expiryWarningText,
  letterNameDiffers,
  nameAndKvk,
  proposalText,
  replacementProposal,
  usersOf,
  type CertificateFacts,
  type CertificateSetup,
  type CertificateSituation,
} from '../../domain/certificates';
import { refusal } from '../helpers/refusal';

const NOW = new Date('2026-06-01T00:00:00Z');

function cert(id: string, extra: Partial<CertificateFacts> = {}): CertificateFacts {
  return {
    id,
    label: id,
    isWorkCertificate: false,
    isServiceProvider: false,
    kvkNumber: `1000000${id.length}`,
    organisationName: `${id} B.V.`,
    letterName: null,
    validFrom: '2026-01-01T00:00:00Z',
    validTo: '2027-01-01T00:00:00Z',
    ...extra,
  };
}

function situation(extra: Partial<CertificateSituation> = {}): CertificateSituation {
  return {
    multiCertificate: true,
    certificateMode: 'own',
    certificates: [cert('holding', { isWorkCertificate: true }), cert('willemsen'), cert('provider', { isServiceProvider: true })],
    groups: [{ id: 'g-w', name: 'Willemsen', certificateId: 'willemsen' }, { id: 'g-empty', name: 'Leeg', certificateId: null }],
    becons: [
      { id: 'b-holding', number: '111111', groupId: null },
      { id: 'b-willemsen', number: '222222', groupId: 'g-w' },
      { id: 'b-empty', number: '33333', groupId: 'g-empty' },
    ],
    ...extra,
  };
}

describe('C2: the work certificate is never in a group', () => {
  it('refuses putting the work certificate in a group with "Invalid certificate specified"', () => {
    const err = refusal(() => assertGroupAssignment(situation(), 'g-empty', 'holding'));
    expect(err.rule).toBe('C2');
    expect(err.message).toContain(INVALID_CERTIFICATE_SPECIFIED);
  });

  it('refuses making a grouped certificate the work certificate', () => {
    const err = refusal(() => assertWorkCertificateChoice(situation(), 'willemsen'));
    expect(err.rule).toBe('C2');
    expect(err.message).toContain(INVALID_CERTIFICATE_SPECIFIED);
  });

  it('refuses the service provider in a group or as work certificate, and a certificate in two groups', () => {
    expect(refusal(() => assertGroupAssignment(situation(), 'g-empty', 'provider')).rule).toBe('C5');
    expect(refusal(() => assertWorkCertificateChoice(situation(), 'provider')).rule).toBe('C2');
    expect(refusal(() => assertGroupAssignment(situation(), 'g-empty', 'willemsen')).rule).toBe('C1');
  });

  it('C1: groups only with several certificates switched on; a group may be emptied', () => {
    expect(refusal(() => assertGroupAssignment(situation({ multiCertificate: false }), 'g-empty', 'willemsen')).rule).toBe('C1');
    expect(() => assertGroupAssignment(situation(), 'g-w', null)).not.toThrow();
    expect(() => assertGroupAssignment(situation(), 'g-w', 'willemsen')).not.toThrow();
  });
});

describe('C7: an expired certificate is never put in a group or made the work certificate', () => {
  it('refuses it naming C7 when the moment is given', () => {
    const withSpare = situation({ certificates: [...situation().certificates, cert('old', { validTo: '2026-05-01T00:00:00Z' })] });
    const grouped = refusal(() => assertGroupAssignment(withSpare, 'g-empty', 'old', NOW));
    expect(grouped.rule).toBe('C7');
    expect(grouped.message).toContain('expired');
    expect(refusal(() => assertWorkCertificateChoice(withSpare, 'old', NOW)).rule).toBe('C7');
    expect(() => assertGroupAssignment(withSpare, 'g-empty', null, NOW)).not.toThrow();
    expect(() => assertWorkCertificateChoice(situation(), 'holding', NOW)).not.toThrow();
  });
});

describe('C1, C4: the certificate of a client', () => {
  it('the latest master-data year decides', () => {
    const md = [
      { year: 2025, beconId: 'b-willemsen' },
      { year: 2026, beconId: 'b-holding' },
    ];
    expect(latestYear(md)).toEqual({ year: 2026, beconId: 'b-holding' });
    expect(ownCertificateForClient(situation(), md)).toMatchObject({ certificateId: 'holding', via: 'work', beconNumber: '111111' });
    expect(ownCertificateForClient(situation(), [...md, { year: 2027, beconId: 'b-willemsen' }])).toMatchObject({
      certificateId: 'willemsen',
      via: 'group',
      groupName: 'Willemsen',
    });
  });

  it('the Becon of a period is the latest year up to it', () => {
    const md = [
      { year: 2024, beconId: 'a' },
      { year: 2026, beconId: 'b' },
    ];
    expect(masterDataForYear(md, 2025)?.beconId).toBe('a');
    expect(masterDataForYear(md, 2026)?.beconId).toBe('b');
    expect(masterDataForYear(md, 2023)).toBeUndefined();
  });

  it('uses the work certificate when several certificates is off, the group is empty or there is no master data', () => {
    const md = [{ year: 2026, beconId: 'b-willemsen' }];
    expect(ownCertificateForClient(situation({ multiCertificate: false }), md).certificateId).toBe('holding');
    expect(ownCertificateForClient(situation(), [{ year: 2026, beconId: 'b-empty' }]).certificateId).toBe('holding');
    expect(ownCertificateForClient(situation(), []).certificateId).toBe('holding');
  });

  it('C2: no work certificate, no signing', () => {
    const none = situation({ certificates: [cert('willemsen')] });
    expect(refusal(() => ownCertificateForClient(none, [])).rule).toBe('C2');
  });
});

describe('C5: own certificate as Intermediair, service provider as Bedrijf', () => {
  const md = [{ year: 2026, beconId: 'b-willemsen' }];
  it('follows the administration, else the hub', () => {
    expect(chooseSigningCertificate(situation(), { masterData: md, now: NOW })).toMatchObject({ certificateId: 'willemsen', role: 'Intermediair' });
    expect(chooseSigningCertificate(situation(), { administrationMode: 'service-provider', masterData: md, now: NOW })).toMatchObject({
      certificateId: 'provider',
      role: 'Bedrijf',
      via: 'service-provider',
    });
    expect(chooseSigningCertificate(situation({ certificateMode: 'service-provider' }), { masterData: md, now: NOW }).role).toBe('Bedrijf');
    expect(chooseSigningCertificate(situation({ certificateMode: 'service-provider' }), { administrationMode: 'own', masterData: md, now: NOW }).role).toBe('Intermediair');
  });

  it('refuses the service provider when none is installed', () => {
    const without = situation({ certificates: [cert('holding', { isWorkCertificate: true })] });
    expect(refusal(() => chooseSigningCertificate(without, { administrationMode: 'service-provider', masterData: [], now: NOW })).rule).toBe('C5');
  });
});

describe('C7: an expired certificate is never used', () => {
  it('refuses expired and not yet valid certificates, naming C7', () => {
    const expired = situation({ certificates: [cert('holding', { isWorkCertificate: true, validTo: '2026-05-31T00:00:00Z' })] });
    const err = refusal(() => chooseSigningCertificate(expired, { masterData: [], now: NOW }));
    expect(err.rule).toBe('C7');
    expect(err.message).toMatch(/expired on 2026-05-31.*never used/);
    expect(refusal(() => assertUsable(cert('x', { validFrom: '2026-07-01T00:00:00Z' }), NOW)).rule).toBe('C7');
  });

  it('warns at 60, 30 and 7 days, each once, and once when expired', () => {
    expect(expiryWarningDue(61, [])).toBeUndefined();
    expect(expiryWarningDue(60, [])).toBe(60);
    expect(expiryWarningDue(45, [60])).toBeUndefined();
    expect(expiryWarningDue(30, [60])).toBe(30);
    expect(expiryWarningDue(29, [60, 30])).toBeUndefined();
    expect(expiryWarningDue(7, [60, 30])).toBe(7);
    expect(expiryWarningDue(1, [60, 30, 7])).toBeUndefined();
    expect(expiryWarningDue(-1, [60, 30, 7])).toBe(0);
    expect(expiryWarningDue(-5, [60, 30, 7, 0])).toBeUndefined();
    // A first look a few days before expiry warns once, not three times.
    expect(expiryWarningDue(5, [])).toBe(7);
    expect(expiryWarningDue(20, [7])).toBeUndefined();
  });

  it('counts whole days', () => {
    expect(daysUntil('2026-06-11T00:00:00Z', NOW)).toBe(10);
    expect(daysUntil('2026-06-10T23:59:59Z', NOW)).toBe(9);
    expect(daysUntil('2026-05-31T12:00:00Z', NOW)).toBe(-1);
  });

  it('proposes RB4 for a same-KvK replacement over anything else, RB5 only for the same firm, never an unrelated office', () => {
    const facts = (id: string, kvkNumber: string, organisationName: string, validTo: string) => ({ id, label: id, kvkNumber, organisationName, letterName: null, validTo });
    const old = facts('holding', '11111111', 'AA Holding B.V.', '2026-07-01T00:00:00Z');
    const unrelated = facts('jansen', '22222222', 'Jansen Belastingadvies B.V.', '2028-01-01T00:00:00Z');
    const sameFirm = facts('holding-2', '33333333', 'AA  holding b.v.', '2028-01-01T00:00:00Z');
    const renewal = facts('holding-renewed', '11111111', 'AA Holding B.V.', '2027-07-01T00:00:00Z');
    expect(replacementProposal(old, [])).toBeUndefined();
    // Not outliving the old one: no replacement.
    expect(replacementProposal(old, [facts('older', '11111111', 'AA Holding B.V.', '2026-07-01T00:00:00Z')])).toBeUndefined();
    // An unrelated office's unused certificate is never proposed.
    expect(replacementProposal(old, [unrelated])).toBeUndefined();
    expect(replacementProposal(old, [unrelated, sameFirm])).toEqual({ kind: 'RB5', certificateId: 'holding-2', label: 'holding-2', kvkNumber: '33333333', validTo: '2028-01-01T00:00:00Z' });
    // The same KvK number wins, even over a same-firm certificate that lasts longer.
    expect(replacementProposal(old, [unrelated, sameFirm, renewal])).toMatchObject({ kind: 'RB4', certificateId: 'holding-renewed' });
    // The same letter name makes it the same firm too.
    expect(replacementProposal({ ...old, letterName: 'AA Groep' }, [{ ...unrelated, letterName: 'AA Groep' }])).toMatchObject({ kind: 'RB5', certificateId: 'jansen' });
  });

  it('names certificates by name and KvK number in the warning and the proposal', () => {
    const expiring = { label: 'AA Holding B.V.', kvkNumber: '11111111', validTo: '2026-07-01T00:00:00.000Z' };
    const proposal = { kind: 'RB4' as const, certificateId: 'c-2', label: 'AA Holding B.V. (new)', kvkNumber: '11111111', validTo: '2028-07-01T00:00:00.000Z' };
    expect(nameAndKvk(expiring)).toBe('"AA Holding B.V." (KvK 11111111)');
    expect(expiryWarningText(expiring, 29, proposal)).toBe(
      'C7: certificate "AA Holding B.V." (KvK 11111111) expires in 29 day(s) (2026-07-01T00:00:00.000Z); the replacement must be in place before then: ' +
        'run RB4 with the installed certificate "AA Holding B.V. (new)" (KvK 11111111), valid to 2028-07-01T00:00:00.000Z, id c-2',
    );
    expect(proposalText({ ...proposal, kind: 'RB5', kvkNumber: '33333333' })).toContain('run RB5 with the installed certificate "AA Holding B.V. (new)" (KvK 33333333)');
    expect(expiryWarningText(expiring, -1, undefined)).toMatch(/^C7: certificate "AA Holding B.V." \(KvK 11111111\) expired on .*: install the new certificate/);
  });
});

describe('RB1: no client with an open mandate moves to another KvK number outside a runbook', () => {
  const setup = (extra: Partial<CertificateSetup> = {}): CertificateSetup => ({
    ...situation({ certificates: [cert('holding', { isWorkCertificate: true, kvkNumber: '51234560' }), cert('willemsen', { kvkNumber: '52345671' }), cert('holding-2', { kvkNumber: '51234560' })] }),
    masterData: new Map([
      ['c-holding', [{ year: 2026, beconId: 'b-holding' }]],
      ['c-willemsen', [{ year: 2026, beconId: 'b-willemsen' }]],
      ['c-free', [{ year: 2026, beconId: 'b-holding' }]],
    ]),
    ...extra,
  });
  const mandate = (organisationId: string, certificateId: string, kvkNumber: string) => ({
    id: `m-${organisationId}`, organisationId, clientName: `Klant ${organisationId}`, service: 'SBA', year: 2026, continuing: false, state: 'ACTIVE', certificateId, kvkNumber,
  });
  const open = [mandate('c-holding', 'holding', '51234560'), mandate('c-willemsen', 'willemsen', '52345671')];

  it('a master-data, Becon, group or setting change that moves such a client is refused, naming the rule, client and KvK numbers', () => {
    const before = setup();
    const toWillemsen = setup({ masterData: new Map([...before.masterData, ['c-holding', [{ year: 2026, beconId: 'b-holding' }, { year: 2027, beconId: 'b-willemsen' }]]]) });
    const moves = clientsChangingKvk(before, toWillemsen, open);
    expect(moves).toEqual([{ mandate: open[0], certificateAfter: { id: 'willemsen', label: 'willemsen', kvkNumber: '52345671' } }]);
    const err = refusal(() => assertNoKvkMove(moves));
    expect(err).toMatchObject({ rule: 'RB1', kind: 'conflict' });
    expect(err.message).toContain('Klant c-holding has an open SBA 2026 mandate (ACTIVE) under KvK 51234560, and would be signed for with "willemsen" (KvK 52345671)');
    expect(err.message).toContain('runbook RB1');

    const groupEmptied = setup({ groups: [{ id: 'g-w', name: 'Willemsen', certificateId: null }, { id: 'g-empty', name: 'Leeg', certificateId: null }] });
    expect(clientsChangingKvk(before, groupEmptied, open).map((m) => m.mandate.organisationId)).toEqual(['c-willemsen']);
    const switchedOff = setup({ multiCertificate: false });
    expect(clientsChangingKvk(before, switchedOff, open).map((m) => m.mandate.organisationId)).toEqual(['c-willemsen']);
    const beconToGroup = setup({ becons: before.becons.map((b) => (b.id === 'b-holding' ? { ...b, groupId: 'g-w' } : b)) });
    expect(clientsChangingKvk(before, beconToGroup, open).map((m) => m.mandate.organisationId)).toEqual(['c-holding']);
  });

  it('moves nothing when the certificate stays, the KvK number stays, or the client has no open mandate', () => {
    const before = setup();
    expect(clientsChangingKvk(before, setup(), open)).toEqual([]);
    // Another certificate of the same KvK number (the register knows the firm by it).
    const sameKvk = setup({ certificates: before.certificates.map((c) => ({ ...c, isWorkCertificate: c.id === 'holding-2' })) });
    expect(clientsChangingKvk(before, sameKvk, open)).toEqual([]);
    // A client without an open mandate may move anywhere.
    const freeMoves = setup({ masterData: new Map([...before.masterData, ['c-free', [{ year: 2026, beconId: 'b-willemsen' }]]]) });
    expect(clientsChangingKvk(before, freeMoves, open)).toEqual([]);
    expect(() => assertNoKvkMove([])).not.toThrow();
  });
});

describe('C3 and deletion', () => {
  it('the register printing another firm name than the confirmed one is noticed (not a mere spacing difference)', () => {
    expect(letterNameDiffers('AA Groep B.V.', 'AA Accountants Holding B.V.')).toBe(true);
    expect(letterNameDiffers('AA Accountants  Holding B.V. ', 'AA Accountants Holding B.V.')).toBe(false);
    expect(letterNameDiffers('AA Groep B.V.', undefined)).toBe(false);
    expect(letterNameDiffers(null, 'AA Accountants Holding B.V.')).toBe(false);
  });

  it('the letter shows the KvK name behind the serial number, unless set otherwise', () => {
    expect(letterNameOf({ letterName: null, organisationName: 'AA Accountants Holding B.V.', label: 'holding' })).toBe('AA Accountants Holding B.V.');
    expect(letterNameOf({ letterName: 'AA Accountants', organisationName: 'x', label: 'y' })).toBe('AA Accountants');
  });

  it('a certificate in use is not deleted; the refusal names every user and RB3', () => {
    const users = { workCertificate: false, serviceProvider: false, groups: [{ name: 'Willemsen', becons: ['222222'], clients: 3 }], openMandates: 2, openMessages: 1, runbooks: ['rb-1'] };
    expect(usersOf(users)).toEqual(['group "Willemsen" (Becon 222222; 3 clients)', '2 open mandates', '1 message being sent', 'runbook rb-1']);
    const err = refusal(() => assertDeletable('Willemsen', users));
    expect(err.rule).toBe('RB3');
    expect(err.kind).toBe('conflict');
    expect(err.message).toContain('group "Willemsen"');
    expect(() => assertDeletable('spare', { workCertificate: false, serviceProvider: false, groups: [], openMandates: 0, openMessages: 0, runbooks: [] })).not.toThrow();
    expect(refusal(() => assertDeletable('holding', { workCertificate: true, serviceProvider: false, groups: [], openMandates: 0, openMessages: 0, runbooks: [] })).message).toContain('work certificate');
  });
});
