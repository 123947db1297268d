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
  replacementProposal,
  usersOf,
  type CertificateFacts,
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

  it('proposes RB4 for a replacement with the same KvK number, RB5 for another, nothing without one', () => {
    const old = { id: 'old', kvkNumber: '11111111', validTo: '2026-07-01T00:00:00Z' };
    expect(replacementProposal(old, [])).toBeUndefined();
    expect(replacementProposal(old, [{ id: 'older', kvkNumber: '11111111', validTo: '2026-06-01T00:00:00Z' }])).toBeUndefined();
    expect(replacementProposal(old, [{ id: 'other', kvkNumber: '22222222', validTo: '2028-01-01T00:00:00Z' }])).toEqual({ kind: 'RB5', certificateId: 'other' });
    expect(
      replacementProposal(old, [
        { id: 'other', kvkNumber: '22222222', validTo: '2028-01-01T00:00:00Z' },
        { id: 'same', kvkNumber: '11111111', validTo: '2028-01-01T00:00:00Z' },
      ]),
    ).toEqual({ kind: 'RB4', certificateId: 'same' });
  });
});

describe('C3 and deletion', () => {
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
