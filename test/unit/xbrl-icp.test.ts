import fc from 'fast-check';
import { parsePeriod } from '../../domain/periods';
import { aggregateIcp, EU_VAT_PREFIXES, type IcpLine } from '../../domain/vat';
import type { XbrlHeader } from '../../integrations/xbrl/header';
import { buildIcpInstance, readIcpInstance } from '../../integrations/xbrl/icp';
import { XbrlValidationError } from '../../integrations/xbrl/parse';
import { thrownBy } from '../helpers/refusal';

const FC = { seed: 20260304, numRuns: 100 };
const OB = '001000044B37';
const Q1_2026 = parsePeriod('2026-Q1');
const Q4_2025 = parsePeriod('2025-Q4');

const HEADER: XbrlHeader = {
  contactType: 'INT',
  contactInitials: 'B.',
  contactSurname: 'Bakker & Zn',
  contactTelephoneNumber: '+31432112345',
  taxConsultantNumber: '123456',
  messageReference: 'ICP-2026Q1',
  softwarePackageName: 'Filing hub',
  softwarePackageVersion: '1.0',
  softwareVendorAccountNumber: 'SWO12345',
  dateTimeCreation: '202604201200',
};

const LINES: IcpLine[] = [
  { countryCode: 'DE', vatNumber: 'DE 123456789', category: 'goods', amountCents: 60_000 },
  { countryCode: 'de', vatNumber: '123456789', category: 'goods', amountCents: 40_050 },
  { countryCode: 'BE', vatNumber: '0477.472.701', category: 'services', amountCents: 75_000 },
  { countryCode: 'FR', vatNumber: 'FR23334175221', category: 'abc', amountCents: 50_000 },
  { countryCode: 'DE', vatNumber: '123456789', category: 'abc', amountCents: -50_000 },
  { countryCode: 'EL', vatNumber: 'GR094259216', category: 'goods', amountCents: 12_345 },
];

const refusal = (fn: () => unknown): XbrlValidationError => thrownBy(XbrlValidationError, fn);

function build(overrides: Partial<Parameters<typeof buildIcpInstance>[0]> = {}): string {
  return buildIcpInstance({ obNumber: OB, period: Q1_2026, lines: LINES, header: HEADER, ...overrides });
}

const EXPECTED_TOTALS = [
  { category: 'goods', countryCode: 'DE', vatNumber: '123456789', amount: 1000 },
  { category: 'goods', countryCode: 'EL', vatNumber: '094259216', amount: 123 },
  { category: 'services', countryCode: 'BE', vatNumber: '0477472701', amount: 750 },
  { category: 'abc', countryCode: 'DE', vatNumber: '123456789', amount: -500 },
  { category: 'abc', countryCode: 'FR', vatNumber: '23334175221', amount: 500 },
];

describe('building an ICP instance, NT20 (typed dimensions)', () => {
  const xml = build();

  it('uses the ICP entry point of the period year', () => {
    expect(xml).toContain('xlink:href="http://www.nltaxonomie.nl/nt20/bd/20251210/entrypoints/bd-rpt-icp-opgaaf-2026.xsd"');
    expect(xml).toContain('xmlns:bd-axes="http://www.nltaxonomie.nl/nt20/bd/20251210/validation/bd-axes"');
  });

  it('one context per customer with VATNumberDimension and CountryCodeEUDimension, every one on the declarant OB number', () => {
    const contexts = xml.match(/<xbrli:context id="[^"]+">[\s\S]*?<\/xbrli:context>/g)!;
    expect(contexts).toHaveLength(1 + 4); // Msg + DE, EL, BE, FR
    for (const c of contexts) {
      expect(c).toContain('<xbrli:identifier scheme="www.belastingdienst.nl/omzetbelastingnummer">001000044B37</xbrli:identifier>');
    }
    const de = contexts.find((c) => c.includes('>123456789<'))!;
    expect(de).toMatch(
      /<xbrldi:typedMember dimension="bd-axes:VATNumberDimension">\s*<bd-domains:VATNumberDomain>123456789<\/bd-domains:VATNumberDomain>\s*<\/xbrldi:typedMember>\s*<xbrldi:typedMember dimension="bd-axes:CountryCodeEUDimension">\s*<bd-domains:CountryCodeEUDomain>DE<\/bd-domains:CountryCodeEUDomain>/,
    );
    const deId = /id="([^"]+)"/.exec(de)![1];
    expect(xml).toContain(`<bd-i:SuppliesAmount decimals="INF" contextRef="${deId}" unitRef="EUR">1000</bd-i:SuppliesAmount>`);
    expect(xml).toContain(`<bd-i:ABCSuppliesAmount decimals="INF" contextRef="${deId}" unitRef="EUR">-500</bd-i:ABCSuppliesAmount>`);
    expect(xml).toMatch(/<bd-i:ServicesAmount decimals="INF" contextRef="[^"]+" unitRef="EUR">750</);
  });

  it('header: MessageReferenceSupplierICP, no ContactType, text escaped', () => {
    expect(xml).toContain('<bd-i:MessageReferenceSupplierICP contextRef="Msg">ICP-2026Q1</bd-i:MessageReferenceSupplierICP>');
    expect(xml).not.toContain('ContactType');
    expect(xml).not.toContain('MessageReferenceSupplierVAT');
    expect(xml).toContain('>Bakker &amp; Zn<');
  });

  it('reads back the aggregated totals', () => {
    expect(aggregateIcp(LINES)).toEqual(EXPECTED_TOTALS);
    const read = readIcpInstance(xml, { obNumber: OB, period: Q1_2026 });
    expect(read.totals).toEqual(EXPECTED_TOTALS);
    const { contactType: _contactType, ...icpHeader } = HEADER;
    expect(read.header).toEqual(icpHeader);
  });

  it('is deterministic', () => {
    expect(build()).toBe(xml);
    expect(build({ lines: [...LINES].reverse() })).toBe(xml);
  });

  it('the professional association gets the NT20 context', () => {
    const withPa = build({ header: { ...HEADER, professionalAssociation: 'NBA' }, fiscalEntityDivision: '123456782B90' });
    expect(withPa).toContain('contextRef="Msg_PA1">NBA<');
    const read = readIcpInstance(withPa, { obNumber: OB, period: Q1_2026 });
    expect(read.header.professionalAssociation).toBe('NBA');
    expect(read.fiscalEntityDivision).toBe('123456782B90');
  });
});

describe('building an ICP instance, ≤ NT19 (tuples)', () => {
  const xml = build({ period: Q4_2025 });

  it('one tuple per total with country, amount and VAT number in that order, in the main context', () => {
    expect(xml).toContain('http://www.nltaxonomie.nl/nt19/bd/20241211/entrypoints/bd-rpt-icp-opgaaf-2025.xsd');
    expect(xml.match(/<xbrli:context /g)).toHaveLength(1);
    expect(xml).toContain(
      [
        '  <bd-t:IntraCommunitySupplies>',
        '    <bd-i:CountryCodeISO-EC contextRef="Msg">DE</bd-i:CountryCodeISO-EC>',
        '    <bd-i:SuppliesAmount decimals="INF" contextRef="Msg" unitRef="EUR">1000</bd-i:SuppliesAmount>',
        '    <bd-i:VATIdentificationNumberNational contextRef="Msg">123456789</bd-i:VATIdentificationNumberNational>',
        '  </bd-t:IntraCommunitySupplies>',
      ].join('\n'),
    );
    expect(xml).toMatch(/<bd-t:IntraCommunityServices>\s*<bd-i:CountryCodeISO-EC contextRef="Msg">BE</);
    // ABC supplies: SuppliesAmount inside IntraCommunityABCSupplies (no ABCSuppliesAmount before NT20).
    expect(xml).toMatch(/<bd-t:IntraCommunityABCSupplies>\s*<bd-i:CountryCodeISO-EC contextRef="Msg">DE<\/bd-i:CountryCodeISO-EC>\s*<bd-i:SuppliesAmount [^>]*>-500</);
    expect(xml).not.toContain('ABCSuppliesAmount');
    expect(xml).not.toContain('typedMember');
  });

  it('reads back the totals', () => {
    expect(readIcpInstance(xml, { obNumber: OB, period: Q4_2025 }).totals).toEqual(EXPECTED_TOTALS);
  });

  it('the professional association sits in its tuple', () => {
    const withPa = build({ period: Q4_2025, header: { ...HEADER, professionalAssociation: 'NBA' } });
    expect(withPa).toMatch(/<bd-t:ProfessionalAssociationForTaxServiceProvidersSpecification>\s*<bd-i:ProfessionalAssociationForTaxServiceProvidersName contextRef="Msg">NBA</);
    expect(readIcpInstance(withPa, { obNumber: OB, period: Q4_2025 }).header.professionalAssociation).toBe('NBA');
  });
});

describe('ICP builder validation', () => {
  it('names the line and field of a bad line, and refuses an empty return', () => {
    expect(refusal(() => build({ lines: [{ countryCode: 'GR', vatNumber: '094259216', category: 'goods', amountCents: 100 }] })).fields).toEqual([
      'lines[0].countryCode',
    ]);
    expect(refusal(() => build({ lines: [] })).fields).toEqual(['lines']);
    expect(refusal(() => build({ lines: [{ countryCode: 'DE', vatNumber: '123456789', category: 'goods', amountCents: 99 }] })).fields).toEqual([
      'lines',
    ]);
  });

  it('refuses a year without an ICP entry point', () => {
    expect(refusal(() => build({ period: parsePeriod('2018-Q1') })).fields).toEqual(['period']);
    expect(refusal(() => build({ period: parsePeriod('2027-01') })).fields).toEqual(['period']);
  });
});

describe('reading a ready ICP instance: tampering is refused with the field named', () => {
  const good = build();
  const read = (xml: string, period = Q1_2026) => readIcpInstance(xml, { obNumber: OB, period });
  const fieldsOf = (xml: string, period = Q1_2026) => refusal(() => read(xml, period)).fields;

  it("the customer's number as entity identifier (a known generator mistake) is refused", () => {
    const xml = good.replace(
      /(<xbrli:context id="ICP\d+_BE">\s*<xbrli:entity>\s*<xbrli:identifier [^>]*>)001000044B37/,
      '$10477472701',
    );
    expect(fieldsOf(xml)).toEqual(['obNumber']);
  });

  it('wrong declarant, wrong entry point', () => {
    expect(refusal(() => readIcpInstance(good, { obNumber: '123456782B90', period: Q1_2026 })).fields).toEqual(['obNumber']);
    expect(fieldsOf(good.replace('bd-rpt-icp-opgaaf-2026', 'bd-rpt-ob-aangifte-2026'))).toEqual(['schemaRef']);
  });

  it('an amount with decimals="0", an amount in the main context, a customer twice', () => {
    expect(fieldsOf(good.replace(/(<bd-i:ServicesAmount) decimals="INF"/, '$1 decimals="0"'))).toEqual(['icp.services.BE.0477472701']);
    expect(fieldsOf(good.replace(/(<bd-i:ServicesAmount decimals="INF") contextRef="[^"]+"/, '$1 contextRef="Msg"'))).toEqual(['icp.services']);
    const line = /\n\s*<bd-i:ServicesAmount [^\n]*/.exec(good)![0];
    expect(fieldsOf(good.replace(line, line + line))).toEqual(['icp.services.BE.0477472701']);
  });

  it('a country that is not another EU member state, a VAT number with its prefix', () => {
    expect(fieldsOf(good.replace('<bd-domains:CountryCodeEUDomain>BE<', '<bd-domains:CountryCodeEUDomain>NL<'))).toEqual([
      'icp.services.NL.0477472701.countryCode',
    ]);
    expect(fieldsOf(good.replace('>0477472701<', '>BE0477472701<'))).toEqual(['icp.services.BE.BE0477472701']);
  });

  it('tuples: a tuple missing its VAT number', () => {
    const tuples = build({ period: Q4_2025 });
    const xml = tuples.replace(/\n\s*<bd-i:VATIdentificationNumberNational contextRef="Msg">0477472701<[^\n]*/, '');
    expect(fieldsOf(xml, Q4_2025)).toEqual(['icp.services.BE']);
  });

  it('a ContactType in an ICP instance is tolerated with a warning', () => {
    const xml = good.replace('  <bd-i:ContactInitials', '  <bd-i:ContactType contextRef="Msg">INT</bd-i:ContactType>\n  <bd-i:ContactInitials');
    expect(read(xml).warnings).toEqual([expect.stringMatching(/ContactType is not used in ICP/)]);
  });

  it('a DOCTYPE', () => {
    expect(fieldsOf(`<!DOCTYPE x>${good}`)).toEqual(['xml']);
  });

  it('build → read equals aggregateIcp, both structures (property)', () => {
    const countries = EU_VAT_PREFIXES.filter((c) => c !== 'NL' && c !== 'XI');
    const line = fc.record({
      countryCode: fc.constantFrom(...countries),
      vatNumber: fc.stringMatching(/^[0-9]{8,12}$/),
      category: fc.constantFrom('goods' as const, 'services' as const, 'abc' as const),
      amountCents: fc.integer({ min: -100_000_000, max: 100_000_000 }),
    });
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 12 }), fc.constantFrom(Q1_2026, Q4_2025, parsePeriod('2020-05')), (lines, period) => {
        const totals = aggregateIcp(lines);
        fc.pre(totals.length > 0);
        const xml = buildIcpInstance({ obNumber: OB, period, lines, header: HEADER });
        expect(readIcpInstance(xml, { obNumber: OB, period }).totals).toEqual(totals);
      }),
      FC,
    );
  });
});
