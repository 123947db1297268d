import { assertSameIntermediary, defaultViaYear, viaAanleverkenmerk, viaMandateFor, type MandateFacts } from '../../domain/via';
import { RuleViolation } from '../../domain/errors';
import { buildViaRequest, parseViaAnswer, VIA_ANSWER_STATUS_CODE, VIA_BERICHTSOORT, VIA_NAMESPACE, viaAnswerOf, ViaAnswerError } from '../../integrations/via/format';
import type { MandateRegister } from '../../simulator/mandates';
import { isViaBerichtsoort, viaAnswer, viaPayloadProblems, voorafIngevuldeGegevens } from '../../simulator/via';
import type { PlannedStatus } from '../../simulator/plans';

/**
 * The provisional VIA format is written twice, independently: the product's (integrations/via/format.ts) and the
 * simulator's (simulator/via.ts). Each reads what the other writes. And the pure rules of domain/via.ts.
 */
describe('provisional VIA format', () => {
  const delivered: PlannedStatus[] = [{ code: '500', description: 'Afgeleverd', step: 8 }];
  const register = (active: boolean) => ({ activeMandate: async () => (active ? { id: '1' } : undefined) }) as unknown as MandateRegister;
  const request = Buffer.from(buildViaRequest({ fiscalNumber: '123456782', year: 2025, beconNumber: '100001' }));

  it('the simulator accepts the request the product builds, and refuses a mismatch or a malformed one', () => {
    expect(isViaBerichtsoort(VIA_BERICHTSOORT)).toBe(true);
    expect(viaPayloadProblems(VIA_BERICHTSOORT, '123456782', request)).toEqual([]);
    expect(viaPayloadProblems(VIA_BERICHTSOORT, '999999990', request).join(' ')).toMatch(/wijkt af/);
    expect(viaPayloadProblems(VIA_BERICHTSOORT, '123456782', Buffer.from('<x/>'))).toEqual(['Het bericht is geen VIAVerzoek.']);
    expect(buildViaRequest({ fiscalNumber: '123456782', year: 2025, beconNumber: '<1&2>' })).toContain('&lt;1&amp;2&gt;');
  });

  it('the product reads the data the simulator answers, the same for every request of a taxpayer and year', async () => {
    const [status] = await viaAnswer(delivered, { payload: request, senderIdentity: '00000003512345600000', deliveredAt: new Date('2026-03-01T10:00:00Z'), statusStepMs: 50, register: register(true) });
    expect(status).toMatchObject({ code: VIA_ANSWER_STATUS_CODE, step: 9 });
    const answer = viaAnswerOf([{ statuscode: '500', statusdetails: '<Responsemessage/>' }, { statuscode: status.code, statusdetails: status.details }]);
    const g = voorafIngevuldeGegevens('123456782', 2025);
    expect(answer).toEqual({
      kind: 'data',
      fiscalNumber: '123456782',
      year: 2025,
      at: '2026-03-01T10:00:00.450Z',
      data: {
        employers: g.werkgevers.map((w) => ({ name: w.naam, payrollTaxNumber: w.loonheffingennummer, taxableWages: w.fiscaalLoon, payrollTaxWithheld: w.ingehoudenLoonheffing })),
        bankAccounts: g.bankrekeningen.map((b) => ({ iban: b.iban, balanceJanuary1: b.saldoPer1Januari })),
        home: g.eigenWoning && {
          wozValue: g.eigenWoning.wozWaarde,
          wozReferenceDate: '2024-01-01',
          mortgages: g.eigenWoning.hypotheken.map((h) => ({ lender: h.geldverstrekker, interestPaid: h.betaaldeRente, debtDecember31: h.schuldPer31December })),
        },
      },
    });
    expect(voorafIngevuldeGegevens('123456782', 2025)).toEqual(g);
    expect(voorafIngevuldeGegevens('123456782', 2024)).not.toEqual(g);
  });

  it('the simulated data is plausible: 11-proef payroll tax numbers, valid IBANs, tax below wages', () => {
    for (const bsn of ['123456782', '111222333', '987654321']) {
      const g = voorafIngevuldeGegevens(bsn, 2025);
      for (const w of g.werkgevers) {
        expect(w.loonheffingennummer).toMatch(/^\d{9}L0[1-3]$/);
        const digits = [...w.loonheffingennummer.slice(0, 9)].map(Number);
        expect((digits.slice(0, 8).reduce((s, d, i) => s + d * (9 - i), 0) - digits[8]) % 11).toBe(0);
        expect(w.ingehoudenLoonheffing).toBeLessThan(w.fiscaalLoon);
      }
      for (const b of g.bankrekeningen) {
        const rearranged = `${b.iban.slice(4)}${b.iban.slice(0, 4)}`.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
        expect([...rearranged].reduce((r, d) => (r * 10 + Number(d)) % 97, 0)).toBe(1);
      }
    }
  });

  it('a request without an active mandate at the register is refused with a code; none before 500', async () => {
    const [status] = await viaAnswer(delivered, { payload: request, senderIdentity: 'x', deliveredAt: new Date(), statusStepMs: 50, register: register(false) });
    expect(parseViaAnswer(status.details)).toMatchObject({ kind: 'refused', code: 'GEEN_MACHTIGING', fiscalNumber: '123456782', year: 2025 });
    expect(await viaAnswer([{ code: '311', description: 'x', step: 4 }], { payload: request, senderIdentity: 'x', deliveredAt: new Date(), statusStepMs: 50, register: register(true) })).toEqual([]);
  });

  it('reads nothing from other documents and refuses a malformed VIA answer', () => {
    expect(parseViaAnswer(undefined)).toBeUndefined();
    expect(parseViaAnswer('<Responsemessage/>')).toBeUndefined();
    const wrap = (inner: string) => `<VIAAntwoord xmlns="${VIA_NAMESPACE}"><Belanghebbende>123456782</Belanghebbende><Belastingjaar>2025</Belastingjaar><Tijdstip>2026-03-01T10:00:00Z</Tijdstip>${inner}</VIAAntwoord>`;
    expect(() => parseViaAnswer(wrap(''))).toThrow(ViaAnswerError);
    expect(() => parseViaAnswer(wrap('<VoorafIngevuldeGegevens><Werkgever><Naam>A</Naam><Loonheffingennummer>1</Loonheffingennummer><FiscaalLoon>12.5</FiscaalLoon><IngehoudenLoonheffing>1</IngehoudenLoonheffing></Werkgever></VoorafIngevuldeGegevens>'))).toThrow(/whole amount/);
    expect(() => parseViaAnswer(`<!DOCTYPE x>${wrap('')}`)).toThrow(ViaAnswerError);
    expect(parseViaAnswer(wrap('<VoorafIngevuldeGegevens/>'))).toMatchObject({ kind: 'data', data: { employers: [], bankAccounts: [], home: null } });
  });
});

describe('VIA rules (C4, C6)', () => {
  const mandate = (over: Partial<MandateFacts>): MandateFacts => ({ id: 'm1', service: 'VIA', year: 2025, continuing: false, state: 'ACTIVE', intermediaryKvk: '51234560', ...over });

  it('C6: only an ACTIVE VIA mandate covering the year', () => {
    expect(viaMandateFor([mandate({})], 2025).id).toBe('m1');
    expect(viaMandateFor([mandate({ continuing: true, year: 2023 })], 2025).id).toBe('m1');
    const refused = (list: MandateFacts[], year: number) => {
      try {
        viaMandateFor(list, year);
      } catch (err) {
        return err as RuleViolation;
      }
      throw new Error('not refused');
    };
    expect(refused([mandate({})], 2026)).toMatchObject({ rule: 'C6', kind: 'conflict' });
    expect(refused([mandate({ service: 'SBA' })], 2025).rule).toBe('C6');
    expect(refused([mandate({ state: 'ONTVANGEN' })], 2025).message).toContain('ONTVANGEN, not ACTIVE');
    expect(refused([mandate({ state: 'REVOKED' })], 2025).message).toContain('no ACTIVE VIA mandate');
  });

  it('C4: the most recent master-data year, and the certificate of the KvK number the mandate is registered for (RB1)', () => {
    expect(defaultViaYear([{ year: 2024, beconId: 'a' }, { year: 2026, beconId: 'b' }, { year: 2025, beconId: 'c' }])).toBe(2026);
    expect(() => defaultViaYear([])).toThrow(/C4: /);
    expect(() => assertSameIntermediary(mandate({}), { label: 'Holding', kvkNumber: '51234560' })).not.toThrow();
    expect(() => assertSameIntermediary(mandate({}), { label: 'Willemsen', kvkNumber: '52345671' })).toThrow(/^C4: .*RB1/);
    expect(viaAanleverkenmerk('12345', 17, 2)).toBe('VIA12345-17-a2');
  });
});
