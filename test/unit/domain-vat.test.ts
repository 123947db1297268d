import fc from 'fast-check';
import { RuleViolation, ValidationError } from '../../domain/errors';
import { parsePeriod } from '../../domain/periods';
import {
  vatBalanceDirection,
  aggregateIcp,
  assertVatPlausible,
  vatPlausibilityProblems,
  checkVatReturn,
  deriveSupplement,
  EU_VAT_PREFIXES,
  parseEuroAmountToCents,
  roundVatReturn,
  SUPPLEMENT_BOXES,
  TURNOVER_BOXES,
  VAT_AMOUNT_BOXES,
  VAT_BOXES,
  type IcpLine,
  type TurnoverBox,
  type VatBox,
  type VatReturnAmounts,
} from '../../domain/vat';

const FC = { seed: 20260115, numRuns: 300 };

function validationError(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

/** A return in whole euros from the boxes given; missing boxes 0; 5a and 5g as given (or derived). */
function amounts(
  turnover: Partial<Record<TurnoverBox, number>>,
  vat: Partial<Record<VatBox, number>>,
  totals: { '5a'?: number; '5b'?: number; '5g'?: number } = {},
): VatReturnAmounts {
  const t = Object.fromEntries(TURNOVER_BOXES.map((b) => [b, turnover[b] ?? 0])) as Record<TurnoverBox, number>;
  const v = Object.fromEntries(VAT_AMOUNT_BOXES.map((b) => [b, vat[b] ?? 0])) as Record<VatBox, number>;
  const owed = totals['5a'] ?? VAT_AMOUNT_BOXES.reduce((s, b) => s + v[b], 0);
  const input = totals['5b'] ?? 0;
  return { turnover: t, vat: v, '5a': owed, '5b': input, '5g': totals['5g'] ?? owed - input };
}

describe('VAT_BOXES (§1.4)', () => {
  it('has 21 distinct amount concepts: 11 turnover, 7 VAT, 3 totals', () => {
    const turnover = TURNOVER_BOXES.map((b) => VAT_BOXES[b].turnoverConcept);
    const vat = VAT_AMOUNT_BOXES.map((b) => VAT_BOXES[b].vatConcept);
    const totals = (['5a', '5b', '5g'] as const).map((b) => VAT_BOXES[b].vatConcept);
    const all = [...turnover, ...vat, ...totals];
    expect(all.every((c) => typeof c === 'string' && c.length > 0)).toBe(true);
    expect(new Set(all).size).toBe(21);
  });

  it('carries the exact concept names of §1.4', () => {
    expect(VAT_BOXES['1a']).toMatchObject({
      turnoverConcept: 'TaxedTurnoverSuppliesServicesGeneralTariff',
      vatConcept: 'ValueAddedTaxSuppliesServicesGeneralTariff',
      section: 'domestic',
    });
    expect(VAT_BOXES['1e'].turnoverConcept).toBe('SuppliesServicesNotTaxed');
    expect(VAT_BOXES['1e'].vatConcept).toBeUndefined();
    expect(VAT_BOXES['2a'].vatConcept).toBe('ValueAddedTaxSuppliesServicesByWhichVATTaxationIsTransferred');
    expect(VAT_BOXES['3c'].turnoverConcept).toBe('InstallationDistanceSalesWithinTheEC');
    expect(VAT_BOXES['4b'].vatConcept).toBe('ValueAddedTaxOnSuppliesFromCountriesWithinTheEC');
    expect(VAT_BOXES['5a'].vatConcept).toBe('ValueAddedTaxOwed');
    expect(VAT_BOXES['5b'].vatConcept).toBe('ValueAddedTaxOnInput');
    expect(VAT_BOXES['5g'].vatConcept).toBe('ValueAddedTaxOwedToBePaidBack');
    expect(VAT_BOXES['1d'].labelNl).toBe('Privégebruik');
    expect(SUPPLEMENT_BOXES['5e'].concept).toBe('ValueAddedTaxAmountTotalNew');
    expect(SUPPLEMENT_BOXES['5f'].concept).toBe('ValueAddedTaxAmountTotalOld');
    expect(SUPPLEMENT_BOXES['5g'].concept).toBe('ValueAddedTaxToBePaidAdditionalToBePaidBack');
  });

  it('puts every box in the right section', () => {
    const sections = Object.fromEntries(Object.values(VAT_BOXES).map((d) => [d.box, d.section]));
    expect(sections).toEqual({
      '1a': 'domestic',
      '1b': 'domestic',
      '1c': 'domestic',
      '1d': 'domestic',
      '1e': 'domestic',
      '2a': 'domestic-reverse-charge',
      '3a': 'abroad',
      '3b': 'abroad',
      '3c': 'abroad',
      '4a': 'from-abroad',
      '4b': 'from-abroad',
      '5a': 'totals',
      '5b': 'totals',
      '5g': 'totals',
    });
  });
});

describe('roundVatReturn (§1.5)', () => {
  it('rounds 1250 × 21 % = 262.50 down to 262 (Odoo supplement test) and derives 5a and 5g', () => {
    const r = roundVatReturn({ turnover: { '1a': 125_000 }, vat: { '1a': 26_250 } });
    expect(r.turnover['1a']).toBe(1250);
    expect(r.vat['1a']).toBe(262);
    expect(r['5a']).toBe(262);
    expect(r['5b']).toBe(0);
    expect(r['5g']).toBe(262);
  });

  it('returns every box, zeros included', () => {
    const r = roundVatReturn({});
    expect(Object.keys(r.turnover).sort()).toEqual([...TURNOVER_BOXES].sort());
    expect(Object.keys(r.vat).sort()).toEqual([...VAT_AMOUNT_BOXES].sort());
    expect(Object.values(r.turnover).every((v) => v === 0)).toBe(true);
    expect(r).toMatchObject({ '5a': 0, '5b': 0, '5g': 0 });
  });

  it('rounds payable boxes down and 5b up, in the filer’s favour, also for negative amounts', () => {
    const r = roundVatReturn({
      turnover: { '1a': 99_999, '3b': -1_250, '1e': 1 },
      vat: { '1a': 12_399, '1b': -1_250, '4a': -1_200 },
      '5b': 5_001,
    });
    expect(r.turnover['1a']).toBe(999);
    expect(r.turnover['3b']).toBe(-13); // −12.50 → −13
    expect(r.turnover['1e']).toBe(0);
    expect(r.vat['1a']).toBe(123); // 123.99 → 123
    expect(r.vat['1b']).toBe(-13); // a larger credit
    expect(r.vat['4a']).toBe(-12); // exact
    expect(r['5b']).toBe(51); // 50.01 → 51
    expect(r['5a']).toBe(123 - 13 - 12);
    expect(r['5g']).toBe(r['5a'] - 51);
    expect(roundVatReturn({ '5b': -1_250 })['5b']).toBe(-12); // a smaller negative deduction
  });

  it('never produces −0', () => {
    const r = roundVatReturn({ vat: { '1a': -0 }, '5b': -50 });
    expect(Object.is(r.vat['1a'], 0)).toBe(true);
    expect(Object.is(r['5b'], 0)).toBe(true);
  });

  it('is exact for large amounts (no floating-point division)', () => {
    const big = 9_007_199_254_740_991; // Number.MAX_SAFE_INTEGER cents
    expect(roundVatReturn({ turnover: { '3a': big } }).turnover['3a']).toBe(90_071_992_547_409);
    expect(roundVatReturn({ turnover: { '3a': -big } }).turnover['3a']).toBe(-90_071_992_547_410);
  });

  it('refuses non-integer cents and unknown boxes, naming the field', () => {
    expect(validationError(() => roundVatReturn({ vat: { '1a': 1.5 } })).field).toBe('vat.1a');
    expect(validationError(() => roundVatReturn({ turnover: { '2a': Number.NaN } })).field).toBe('turnover.2a');
    expect(validationError(() => roundVatReturn({ '5b': Infinity })).field).toBe('5b');
    expect(validationError(() => roundVatReturn({ vat: { '1e': 100 } as never })).field).toBe('vat.1e');
    expect(validationError(() => roundVatReturn({ turnover: { '5a': 100 } as never })).field).toBe('turnover.5a');
    expect(validationError(() => roundVatReturn({ vat: '12' as never })).field).toBe('vat');
    expect(validationError(() => roundVatReturn(null as never)).field).toBe('figures');
  });

  it('property: the rounded return always reconciles and each box is within one euro, on the filer’s side', () => {
    const cents = fc.integer({ min: -1e11, max: 1e11 });
    const figures = fc.record({
      turnover: fc.record(Object.fromEntries(TURNOVER_BOXES.map((b) => [b, cents])) as Record<TurnoverBox, typeof cents>),
      vat: fc.record(Object.fromEntries(VAT_AMOUNT_BOXES.map((b) => [b, cents])) as Record<VatBox, typeof cents>),
      '5b': cents,
    });
    fc.assert(
      fc.property(figures, (f) => {
        const r = roundVatReturn(f);
        if (checkVatReturn(r).errors.length > 0) return false;
        for (const b of TURNOVER_BOXES) {
          const diff = f.turnover[b] - r.turnover[b] * 100;
          if (diff < 0 || diff >= 100) return false;
        }
        for (const b of VAT_AMOUNT_BOXES) {
          const diff = f.vat[b] - r.vat[b] * 100;
          if (diff < 0 || diff >= 100) return false;
        }
        const diff5b = r['5b'] * 100 - f['5b'];
        return diff5b >= 0 && diff5b < 100;
      }),
      FC,
    );
  });
});

describe('parseEuroAmountToCents', () => {
  it.each([
    ['1234.56', 123_456],
    ['1234.5', 123_450],
    ['1234', 123_400],
    ['-0.5', -50],
    ['+7.01', 701],
    ['-0', 0],
    [' 12.00 ', 1_200],
  ])('%p → %p cents', (text, cents) => {
    expect(Object.is(parseEuroAmountToCents(text, 'vat.1a'), cents)).toBe(true);
  });

  it.each(['1,5', '1.234', '', 'abc', '1e3', '1 000', '.5'])('refuses %p naming the field', (text) => {
    expect(validationError(() => parseEuroAmountToCents(text, 'turnover.1a')).field).toBe('turnover.1a');
  });
});

describe('checkVatReturn', () => {
  it('accepts the Belastingdienst VB-01 example and only warns about its 1b rate (§1.5 worked example 1)', () => {
    const vb01 = amounts(
      { '1a': 15_000, '1b': 1_500, '3a': 4_000, '3b': 100, '3c': 100, '4a': 1_200 },
      { '1a': 3_150, '1b': 90, '4a': 0 },
      { '5a': 3_240, '5b': 0, '5g': 3_240 },
    );
    const { errors, warnings } = checkVatReturn(vb01);
    expect(errors).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^box 1b: VAT 90 is not 9 % of turnover 1500/);
  });

  it('accepts the Odoo NT19/NT20 example and only warns about its 1a rate (§1.5 worked example 2)', () => {
    const { errors, warnings } = checkVatReturn(amounts({ '1a': 1_200 }, { '1a': 294 }, { '5a': 294, '5b': 235, '5g': 59 }));
    expect(errors).toEqual([]);
    expect(warnings).toEqual([expect.stringMatching(/^box 1a: VAT 294 is not 21 % of turnover 1200/)]);
  });

  it('tolerates rounding differences in the rate check', () => {
    // 21 % of 1 250 = 262.50; 262 (rounded down) is fine.
    expect(checkVatReturn(amounts({ '1a': 1_250 }, { '1a': 262 })).warnings).toEqual([]);
    expect(checkVatReturn(amounts({ '1a': 100_000 }, { '1a': 20_900 })).warnings).toEqual([]); // within 1 %
    expect(checkVatReturn(amounts({ '1a': -1_000 }, { '1a': -210 })).warnings).toEqual([]); // credit
  });

  it('reports a 5a that does not reconcile, naming box 5a', () => {
    const { errors } = checkVatReturn(amounts({ '1a': 1_000 }, { '1a': 210, '4b': 21 }, { '5a': 210, '5b': 0, '5g': 210 }));
    expect(errors).toHaveLength(1);
    expect(errors[0].field).toBe('5a');
    expect(errors[0].message).toMatch(/adds up to 231/);
  });

  it('reports a 5g that is not 5a − 5b, naming box 5g', () => {
    const { errors } = checkVatReturn(amounts({ '1a': 1_000 }, { '1a': 210 }, { '5a': 210, '5b': 50, '5g': 210 }));
    expect(errors.map((e) => e.field)).toEqual(['5g']);
    expect(errors[0].message).toMatch(/5a − 5b = 210 − 50 = 160/);
  });

  it('accepts a refund (negative 5g)', () => {
    expect(checkVatReturn(amounts({ '1a': 100 }, { '1a': 21 }, { '5b': 500 })).errors).toEqual([]);
  });

  it('requires whole euros and every box', () => {
    const r = amounts({ '1a': 1_000 }, { '1a': 210 });
    r.turnover['1a'] = 1_000.5;
    r.vat['1a'] = 210.25;
    delete (r.turnover as Partial<Record<TurnoverBox, number>>)['3b'];
    const { errors } = checkVatReturn(r);
    expect(errors.map((e) => e.field)).toEqual(['turnover.1a', 'turnover.3b', 'vat.1a']);
    expect(errors[0].message).toMatch(/whole euros/);
    expect(errors[1].message).toMatch(/missing/);
  });

  it('never throws on garbage', () => {
    for (const junk of [undefined, null, 42, 'x', {}, { turnover: 1, vat: [] }]) {
      const { errors } = checkVatReturn(junk as never);
      expect(errors.length).toBeGreaterThan(0);
    }
  });
});

describe('vatPlausibilityProblems (OB1–OB3)', () => {
  const q1 = { period: parsePeriod('2026-Q1'), today: '2026-04-01' };

  it('accepts rate-consistent whole-euro boxes, the rounding of the form included (§1.5)', () => {
    expect(vatPlausibilityProblems(amounts({ '1a': 10_000, '1b': 1_000 }, { '1a': 2_100, '1b': 90 }), q1)).toEqual([]);
    // 1 250 × 21 % = 262.50 → 262 (the reference's worked example), and one euro either way.
    expect(vatPlausibilityProblems(amounts({ '1a': 1_250 }, { '1a': 262 }), q1)).toEqual([]);
    expect(vatPlausibilityProblems(amounts({ '1a': 100 }, { '1a': 22 }), q1)).toEqual([]);
    expect(vatPlausibilityProblems(amounts({ '1a': 100 }, { '1a': 20 }), q1)).toEqual([]);
    // Boxes without one rate: anything up to 21 % (VB-01's 4a 1 200 / 0 included).
    expect(vatPlausibilityProblems(amounts({ '4a': 1_200, '2a': 1_000 }, { '2a': 90 }), q1)).toEqual([]);
  });

  it('OB1: the VAT of a rate box must agree with its turnover beyond one euro', () => {
    expect(vatPlausibilityProblems(amounts({ '1a': 100 }, { '1a': 50 }), q1)).toEqual([
      { rule: 'OB1', field: 'vat.1a', message: expect.stringMatching(/^box 1a: the VAT 50 does not agree with 21 % of the turnover 100 \(21,/) },
    ]);
    expect(vatPlausibilityProblems(amounts({ '1a': 100 }, { '1a': 23 }), q1).map((p) => p.field)).toEqual(['vat.1a']);
    // The reference's VB-01 example (1b 1 500 / 90 = 6 %) is test data: the hub refuses it at preparation.
    expect(vatPlausibilityProblems(amounts({ '1b': 1_500 }, { '1b': 90 }), q1).map((p) => `${p.rule} ${p.field}`)).toEqual(['OB1 vat.1b']);
    expect(vatPlausibilityProblems(amounts({ '4b': 1_000 }, { '4b': 212 }), q1).map((p) => `${p.rule} ${p.field}`)).toEqual(['OB1 vat.4b']);
  });

  it('OB2: no negative turnover, VAT or input tax; OB3: the period must have ended', () => {
    expect(vatPlausibilityProblems(amounts({ '1a': -1_000 }, { '1a': -210 }), q1).map((p) => `${p.rule} ${p.field}`)).toEqual(['OB2 turnover.1a', 'OB2 vat.1a']);
    expect(vatPlausibilityProblems(amounts({}, {}, { '5b': -5, '5g': 5 }), q1).map((p) => `${p.rule} ${p.field}`)).toEqual(['OB2 5b']);
    // A refund (negative 5g) is fine.
    expect(vatPlausibilityProblems(amounts({}, {}, { '5b': 50 }), q1)).toEqual([]);
    expect(vatPlausibilityProblems(amounts({}, {}), { ...q1, today: '2026-03-31' })).toEqual([
      { rule: 'OB3', field: 'period', message: 'the period ends on 2026-03-31: a return can be prepared from the day after (today is 2026-03-31)' },
    ]);
  });

  it('assertVatPlausible names the first rule and box and lists every problem', () => {
    let error: unknown;
    try {
      assertVatPlausible(amounts({ '1a': 100, '1b': -10 }, { '1a': 50 }), q1);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RuleViolation);
    expect(error).toMatchObject({ rule: 'OB2', field: 'turnover.1b' });
    expect((error as Error).message).toMatch(/^OB2: box 1b: the turnover is -10; .*; OB1: box 1a: the VAT 50/);
    expect(() => assertVatPlausible(amounts({ '1a': 100 }, { '1a': 21 }), q1)).not.toThrow();
  });
});

describe('deriveSupplement (§3)', () => {
  it('April 2025 worked example: 1a 1 250 / 262, already declared 210 → 52', () => {
    const corrected = roundVatReturn({ turnover: { '1a': 125_000 }, vat: { '1a': 26_250 } });
    expect(corrected).toMatchObject({ '5a': 262, '5b': 0, '5g': 262 });
    expect(deriveSupplement(corrected, 210)).toEqual({ '5e': 262, '5f': 210, '5g': 52 });
  });

  it('gives a negative 5g when too much was declared', () => {
    expect(deriveSupplement(amounts({ '1a': 800 }, { '1a': 168 }), 210)).toEqual({ '5e': 168, '5f': 210, '5g': -42 });
  });

  it('handles a refund period (negative totals)', () => {
    expect(deriveSupplement(amounts({}, {}, { '5b': 100 }), -150)).toEqual({ '5e': -100, '5f': -150, '5g': 50 });
  });

  it('refuses a non-integer old total and an inconsistent corrected return', () => {
    expect(validationError(() => deriveSupplement(amounts({}, {}), 1.5)).field).toBe('5f');
    expect(validationError(() => deriveSupplement(amounts({}, { '1a': 5 }, { '5a': 0 }), 0)).field).toBe('5a');
  });
});

describe('aggregateIcp (§2)', () => {
  const line = (countryCode: string, vatNumber: string, amountCents: number, category: IcpLine['category'] = 'goods'): IcpLine => ({
    countryCode,
    vatNumber,
    category,
    amountCents,
  });

  it('aggregates per category, country and VAT number without prefix, rounding down', () => {
    const totals = aggregateIcp([
      line('DE', 'DE123456789', 100_050),
      line('de', ' de 123 456 789 ', 20_025),
      line('DE', '123456789', 10, 'services'),
      line('BE', 'BE0123.456.789', 99_999),
      line('DE', '123456789', -5_000), // credit note
    ]);
    expect(totals).toEqual([
      { category: 'goods', countryCode: 'BE', vatNumber: '0123456789', amount: 999 },
      { category: 'goods', countryCode: 'DE', vatNumber: '123456789', amount: 1_150 }, // 1 150.75 → 1 150
    ]);
  });

  it('keeps negative totals (credit notes) and rounds them down too', () => {
    expect(aggregateIcp([line('FR', 'FRXX123456789', -10_050, 'services')])).toEqual([
      { category: 'services', countryCode: 'FR', vatNumber: 'XX123456789', amount: -101 },
    ]);
  });

  it('drops customers whose total rounds to zero', () => {
    expect(aggregateIcp([line('AT', 'ATU12345678', 10_000), line('AT', 'U12345678', -9_950)])).toEqual([]);
  });

  it('uses EL for Greece and XI for Northern Ireland', () => {
    expect(EU_VAT_PREFIXES).toContain('EL');
    expect(EU_VAT_PREFIXES).toContain('XI');
    expect(EU_VAT_PREFIXES).not.toContain('GR');
    expect(EU_VAT_PREFIXES).not.toContain('GB');
    expect(EU_VAT_PREFIXES).toHaveLength(28); // 27 member states + XI
    const totals = aggregateIcp([line('EL', 'EL094259216', 100), line('EL', 'GR094259216', 100), line('XI', 'GB123456789', 300, 'abc')]);
    expect(totals).toEqual([
      { category: 'goods', countryCode: 'EL', vatNumber: '094259216', amount: 2 },
      { category: 'abc', countryCode: 'XI', vatNumber: '123456789', amount: 3 },
    ]);
  });

  it('sorts by category (goods, services, abc), then country, then VAT number', () => {
    const totals = aggregateIcp([
      line('SE', '556677889901', 100, 'abc'),
      line('PL', '1234567890', 100, 'services'),
      line('IT', '12345678901', 100),
      line('DE', '999999999', 100),
      line('DE', '111111111', 100),
    ]);
    expect(totals.map((t) => `${t.category}:${t.countryCode}${t.vatNumber}`)).toEqual([
      'goods:DE111111111',
      'goods:DE999999999',
      'goods:IT12345678901',
      'services:PL1234567890',
      'abc:SE556677889901',
    ]);
  });

  it.each([
    [line('GR', '094259216', 100), 'lines[0].countryCode', /use EL for Greece/],
    [line('GB', '123456789', 100), 'lines[0].countryCode', /use XI/],
    [line('US', '123456789', 100), 'lines[0].countryCode', /not an EU VAT prefix/],
    [line('NL', '123456782B01', 100), 'lines[0].countryCode', /not to NL/],
    [line('XI', '123456789', 100, 'services'), 'lines[0].countryCode', /goods only/],
    [line('BE', 'NL123456782B01', 100), 'lines[0].vatNumber', /carries the prefix NL but the country code is BE/],
    [line('DE', '', 100), 'lines[0].vatNumber', /2 to 12 letters or digits/],
    [line('DE', '1234567890123', 100), 'lines[0].vatNumber', /2 to 12/],
    [line('DE', '123#456', 100), 'lines[0].vatNumber', /2 to 12/],
    [line('DE', '123456789', 1.5), 'lines[0].amountCents', /whole number of euro cents/],
    [{ ...line('DE', '123456789', 100), category: 'other' as never }, 'lines[0].category', /goods, services, abc/],
  ])('refuses %j with field %s', (bad, field, message) => {
    const e = validationError(() => aggregateIcp([bad]));
    expect(e.field).toBe(field);
    expect(e.message).toMatch(message);
  });

  it('names the index of the offending line', () => {
    expect(validationError(() => aggregateIcp([line('DE', '123456789', 1), line('XX', '1', 1)])).field).toBe('lines[1].countryCode');
  });

  it('property: aggregation preserves the total in cents before rounding', () => {
    const arbLine = fc.record({
      countryCode: fc.constantFrom('DE', 'BE', 'FR', 'EL'),
      vatNumber: fc.constantFrom('123456789', '987654321'),
      category: fc.constantFrom('goods' as const, 'services' as const, 'abc' as const),
      amountCents: fc.integer({ min: -1e9, max: 1e9 }),
    });
    fc.assert(
      fc.property(fc.array(arbLine, { maxLength: 30 }), (lines) => {
        const totals = aggregateIcp(lines);
        const keys = new Set(lines.map((l) => `${l.category}|${l.countryCode}|${l.vatNumber}`));
        if (totals.length > keys.size) return false;
        for (const t of totals) {
          const cents = lines
            .filter((l) => l.category === t.category && l.countryCode === t.countryCode && l.vatNumber === t.vatNumber)
            .reduce((s, l) => s + l.amountCents, 0);
          if (t.amount !== Math.floor(cents / 100) || t.amount === 0) return false;
        }
        return true;
      }),
      FC,
    );
  });
});

describe('the balance 5g: to pay or to reclaim by its sign', () => {
  it('positive is to pay, negative to reclaim, zero neither; not a number is refused', () => {
    expect(vatBalanceDirection(1789)).toBe('pay');
    expect(vatBalanceDirection(-290)).toBe('reclaim');
    expect(vatBalanceDirection(0)).toBe('nil');
    expect(() => vatBalanceDirection(Number.NaN)).toThrow(ValidationError);
  });

  it('follows 5a − 5b of every rounded return', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: -1e9, max: 1e9 }), (vat1a, inputTax) => {
        const amounts = roundVatReturn({ vat: { '1a': vat1a }, '5b': inputTax });
        const expected = amounts['5a'] - amounts['5b'] > 0 ? 'pay' : amounts['5a'] - amounts['5b'] < 0 ? 'reclaim' : 'nil';
        expect(vatBalanceDirection(amounts['5g'])).toBe(expected);
      }),
    );
  });
});
