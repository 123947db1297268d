import fc from 'fast-check';
import { parsePeriod } from '../../domain/periods';
import { roundVatReturn, TURNOVER_BOXES, VAT_AMOUNT_BOXES, type VatReturnAmounts } from '../../domain/vat';
import type { XbrlHeader } from '../../integrations/xbrl/header';
import { XbrlValidationError } from '../../integrations/xbrl/parse';
import { buildSupplementInstance, readSupplementInstance } from '../../integrations/xbrl/supplement';
import { buildVatReturnInstance } from '../../integrations/xbrl/vat-return';
import { thrownBy } from '../helpers/refusal';

const FC = { seed: 20260303, numRuns: 100 };
const OB = '123456782B90';
const APRIL_2025 = parsePeriod('2025-04');

const HEADER: XbrlHeader = {
  contactType: 'BPL',
  contactInitials: 'A.',
  contactSurname: 'de Vries',
  contactTelephoneNumber: '0612345678',
  messageReference: 'SUP-2025-04-1',
  softwarePackageName: 'Filing hub',
  softwarePackageVersion: '1.0',
  softwareVendorAccountNumber: 'SWO12345',
  dateTimeCreation: '202506021200',
};

/** §3 worked example: April 2025 declared 1a 1 000 / 210; later + 250 turnover → corrected 1a 1 250 / 262 (rounded down). */
const CORRECTED: VatReturnAmounts = roundVatReturn({ turnover: { '1a': 125_000 }, vat: { '1a': 26_250 } });

const refusal = (fn: () => unknown): XbrlValidationError => thrownBy(XbrlValidationError, fn);

function factValue(xml: string, concept: string): string | undefined {
  return new RegExp(`<[\\w-]+:${concept}\\b[^>]*>([^<]*)</`).exec(xml)?.[1];
}

function build(overrides: Partial<Parameters<typeof buildSupplementInstance>[0]> = {}): string {
  return buildSupplementInstance({ obNumber: OB, period: APRIL_2025, amounts: CORRECTED, alreadyDeclared5g: 210, header: HEADER, ...overrides });
}

describe('building a suppletie (§3)', () => {
  it('worked example April 2025: corrected 1a 1250/262, old 210 → 52', () => {
    expect(CORRECTED.turnover['1a']).toBe(1250);
    expect(CORRECTED.vat['1a']).toBe(262);
    const xml = build();
    expect(xml).toContain('xlink:href="http://www.nltaxonomie.nl/nt19/bd/20241211/entrypoints/bd-rpt-ob-suppletie-2025.xsd"');
    expect(xml).toContain('<xbrli:startDate>2025-04-01</xbrli:startDate>');
    expect(xml).toContain('<xbrli:endDate>2025-04-30</xbrli:endDate>');
    expect(factValue(xml, 'TaxedTurnoverSuppliesServicesGeneralTariff')).toBe('1250');
    expect(factValue(xml, 'ValueAddedTaxSuppliesServicesGeneralTariff')).toBe('262');
    expect(factValue(xml, 'ValueAddedTaxOwed')).toBe('262');
    expect(factValue(xml, 'ValueAddedTaxOnInput')).toBe('0');
    expect(factValue(xml, 'ValueAddedTaxAmountTotalNew')).toBe('262');
    expect(factValue(xml, 'ValueAddedTaxAmountTotalOld')).toBe('210');
    expect(factValue(xml, 'ValueAddedTaxToBePaidAdditionalToBePaidBack')).toBe('52');
    expect(xml).not.toContain('ValueAddedTaxOwedToBePaidBack');
    expect(xml).toContain('<bd-i:MessageReferenceSupplierVAT contextRef="Msg">SUP-2025-04-1</bd-i:MessageReferenceSupplierVAT>');
    expect(xml).toContain('<bd-i:ContactType contextRef="Msg">BPL</bd-i:ContactType>');
    // 18 boxes 1a–4b, 5a, 5b, then 5e, 5f, 5g: 23 monetary facts, every one decimals="INF".
    expect(xml.match(/decimals="INF" contextRef="Msg" unitRef="EUR">-?\d+</g)).toHaveLength(23);

    const read = readSupplementInstance(xml, { obNumber: OB, period: APRIL_2025 });
    expect(read.amounts).toEqual(CORRECTED);
    expect(read.supplement).toEqual({ '5e': 262, '5f': 210, '5g': 52 });
    expect(read.header).toEqual(HEADER);
    expect(read.warnings).toEqual([]);
  });

  it('a refund: negative 5g', () => {
    const xml = build({ alreadyDeclared5g: 400 });
    expect(factValue(xml, 'ValueAddedTaxToBePaidAdditionalToBePaidBack')).toBe('-138');
  });

  it('is deterministic', () => {
    expect(build()).toBe(build());
  });

  it('uses the corrected period year: NT20 for 2026 [I], refused before 2022', () => {
    const xml = build({ period: parsePeriod('2026-02'), header: { ...HEADER, professionalAssociation: 'RB' } });
    expect(xml).toContain('http://www.nltaxonomie.nl/nt20/bd/20251210/entrypoints/bd-rpt-ob-suppletie-2026.xsd');
    expect(xml).toContain('contextRef="Msg_PA1">RB<');
    expect(readSupplementInstance(xml, { obNumber: OB, period: parsePeriod('2026-02') }).header.professionalAssociation).toBe('RB');
    expect(refusal(() => build({ period: parsePeriod('2021-12') })).fields).toEqual(['period']);
  });

  it('refuses a corrected return that does not reconcile, a non-integer 5f and a bad header, all at once', () => {
    const e = refusal(() =>
      build({ amounts: { ...CORRECTED, '5a': 999 }, alreadyDeclared5g: 1.5, header: { ...HEADER, messageReference: '' } }),
    );
    expect(e.fields).toEqual(expect.arrayContaining(['5a', 'header.messageReference']));
    expect(refusal(() => build({ alreadyDeclared5g: 1.5 })).fields).toEqual(['5f']);
  });
});

describe('reading a ready suppletie', () => {
  const good = build();
  const read = (xml: string) => readSupplementInstance(xml, { obNumber: OB, period: APRIL_2025 });
  const fieldsOf = (xml: string) => refusal(() => read(xml)).fields;

  it('5g that is not 5e − 5f, 5e that is not the corrected 5a − 5b', () => {
    expect(fieldsOf(good.replace(/(<bd-i:ValueAddedTaxToBePaidAdditionalToBePaidBack [^>]*>)52</, '$153<'))).toEqual(['5g']);
    expect(fieldsOf(good.replace(/(<bd-i:ValueAddedTaxAmountTotalNew [^>]*>)262</, '$1263<'))).toEqual(['5e', '5g']);
  });

  it('the aangifte total ValueAddedTaxOwedToBePaidBack does not belong in a suppletie', () => {
    const xml = good.replace(
      '</xbrli:xbrl>',
      '  <bd-i:ValueAddedTaxOwedToBePaidBack decimals="INF" contextRef="Msg" unitRef="EUR">262</bd-i:ValueAddedTaxOwedToBePaidBack>\n</xbrli:xbrl>',
    );
    expect(fieldsOf(xml)).toEqual(['ValueAddedTaxOwedToBePaidBack']);
  });

  it('a missing 5f, a corrected box with decimals="0", a wrong OB number', () => {
    expect(fieldsOf(good.replace(/\n\s*<bd-i:ValueAddedTaxAmountTotalOld [^\n]*/, ''))).toEqual(['5f']);
    expect(fieldsOf(good.replace(/(<bd-i:ValueAddedTaxOwed) decimals="INF"/, '$1 decimals="0"'))).toEqual(['5a']);
    expect(refusal(() => readSupplementInstance(good, { obNumber: '001000044B37', period: APRIL_2025 })).fields).toEqual(['obNumber']);
  });

  it('an aangifte instance is not a suppletie', () => {
    const aangifte = buildVatReturnInstance({ obNumber: OB, period: APRIL_2025, amounts: CORRECTED, header: HEADER });
    expect(fieldsOf(aangifte)).toEqual(expect.arrayContaining(['schemaRef', '5e', '5f', '5g', 'ValueAddedTaxOwedToBePaidBack']));
  });

  it('build → read round trip (property)', () => {
    const euros = fc.integer({ min: -1_000_000_000, max: 1_000_000_000 });
    fc.assert(
      fc.property(
        fc.array(euros, { minLength: 11, maxLength: 11 }),
        fc.array(euros, { minLength: 7, maxLength: 7 }),
        euros,
        euros,
        fc.constantFrom('2022-01', '2023-Q3', '2024', '2025-04', '2026-Q1'),
        (t, v, inputTax, old, periodText) => {
          const vat = Object.fromEntries(VAT_AMOUNT_BOXES.map((b, i) => [b, v[i]])) as VatReturnAmounts['vat'];
          const owed = VAT_AMOUNT_BOXES.reduce((s, b) => s + vat[b], 0);
          const amounts: VatReturnAmounts = {
            turnover: Object.fromEntries(TURNOVER_BOXES.map((b, i) => [b, t[i]])) as VatReturnAmounts['turnover'],
            vat,
            '5a': owed,
            '5b': inputTax,
            '5g': owed - inputTax,
          };
          const period = parsePeriod(periodText);
          const xml = buildSupplementInstance({ obNumber: OB, period, amounts, alreadyDeclared5g: old, header: HEADER });
          const result = readSupplementInstance(xml, { obNumber: OB, period });
          expect(result.amounts).toEqual(amounts);
          expect(result.supplement).toEqual({ '5e': amounts['5g'], '5f': old, '5g': amounts['5g'] - old });
        },
      ),
      FC,
    );
  });
});
