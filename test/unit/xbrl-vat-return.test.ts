import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { ValidationError } from '../../domain/errors';
import { parsePeriod } from '../../domain/periods';
import { roundVatReturn, TURNOVER_BOXES, VAT_AMOUNT_BOXES, type TurnoverBox, type VatBox, type VatReturnAmounts } from '../../domain/vat';
import { checkHeader, type XbrlHeader } from '../../integrations/xbrl/header';
import { buildVatReturnInstance, readVatReturnInstance, XbrlValidationError } from '../../integrations/xbrl/vat-return';
import { thrownBy } from '../helpers/refusal';

const FC = { seed: 20260302, numRuns: 120 };
const OB = '001000044B37'; // VB-01's OB number: 11-test sum 11
const OTHER_OB = '123456782B90';

const HEADER: XbrlHeader = {
  contactType: 'INT',
  contactInitials: 'J.',
  contactPrefix: 'van de',
  contactSurname: 'Jansen',
  contactTelephoneNumber: '+31201234567',
  taxConsultantNumber: '123456',
  messageReference: 'OB-2026Q1-0001',
  softwarePackageName: 'Filing hub',
  softwarePackageVersion: '1.0',
  softwareVendorAccountNumber: 'SWO12345',
  dateTimeCreation: '202604151030',
};

/** A reconciling return in whole euros from the boxes given (others 0). */
function amounts(
  turnover: Partial<Record<TurnoverBox, number>>,
  vat: Partial<Record<VatBox, number>>,
  inputTax = 0,
): VatReturnAmounts {
  const t = Object.fromEntries(TURNOVER_BOXES.map((b) => [b, turnover[b] ?? 0])) as Record<TurnoverBox, number>;
  const v = Object.fromEntries(VAT_AMOUNT_BOXES.map((b) => [b, vat[b] ?? 0])) as Record<VatBox, number>;
  const owed = VAT_AMOUNT_BOXES.reduce((s, b) => s + v[b], 0);
  return { turnover: t, vat: v, '5a': owed, '5b': inputTax, '5g': owed - inputTax };
}

const Q1_2026 = parsePeriod('2026-Q1');
const SAMPLE = amounts({ '1a': 1000, '1b': 200, '3b': 500, '4b': 300 }, { '1a': 210, '1b': 18, '4b': 63 }, 50);

function build(overrides: Partial<Parameters<typeof buildVatReturnInstance>[0]> = {}): string {
  return buildVatReturnInstance({ obNumber: OB, period: Q1_2026, amounts: SAMPLE, header: HEADER, ...overrides });
}

/** Also a ValidationError: the API maps both the same way. */
function refusal(fn: () => unknown): XbrlValidationError {
  const error = thrownBy(XbrlValidationError, fn);
  expect(error).toBeInstanceOf(ValidationError);
  return error;
}

/** The value of the first element with this local name (test-side regex, independent of the code under test). */
function factValue(xml: string, concept: string): string | undefined {
  return new RegExp(`<[\\w-]+:${concept}\\b[^>]*>([^<]*)</`).exec(xml)?.[1];
}

function count(xml: string, concept: string): number {
  return xml.split(new RegExp(`<[\\w-]+:${concept}[ >]`)).length - 1;
}

const FIXTURE = path.resolve(__dirname, '..', '..', '..', 'shared', 'fixtures', 'digipoort-captures', 'VB-01_bd-rpt-ob-aangifte-2021.xbrl');
const describeWhenFixture = existsSync(FIXTURE) ? describe : describe.skip;

describeWhenFixture('Belastingdienst example VB-01 (NT15, October 2021)', () => {
  it('is read correctly; the rate inconsistency of 1b is a warning, not an error', () => {
    const result = readVatReturnInstance(readFileSync(FIXTURE, 'utf8'), { obNumber: OB, period: parsePeriod('2021-10') });
    expect(result.amounts).toEqual(
      amounts({ '1a': 15000, '1b': 1500, '3a': 4000, '3b': 100, '3c': 100, '4a': 1200 }, { '1a': 3150, '1b': 90 }),
    );
    expect(result.amounts['5a']).toBe(3240);
    expect(result.amounts['5g']).toBe(3240);
    expect(result.header).toEqual({
      contactType: 'INT',
      contactInitials: 'Initials',
      contactPrefix: 'Prefix',
      contactSurname: 'Surname',
      contactTelephoneNumber: '0612345678',
      taxConsultantNumber: '234564',
      dateTimeCreation: '202011151254',
      messageReference: 'OB-KTG00-AG',
      softwarePackageName: 'ApplicatieNaam',
      softwarePackageVersion: 'ApplicatieVersie',
      softwareVendorAccountNumber: 'SWO12345',
    });
    expect(result.warnings).toEqual([expect.stringMatching(/box 1b/)]);
  });

  it('is refused for another period or another OB number', () => {
    const xml = readFileSync(FIXTURE, 'utf8');
    expect(refusal(() => readVatReturnInstance(xml, { obNumber: OB, period: parsePeriod('2021-11') })).fields).toEqual(['period']);
    expect(refusal(() => readVatReturnInstance(xml, { obNumber: OTHER_OB, period: parsePeriod('2021-10') })).fields).toEqual(['obNumber']);
    // 2022's entry point: the 2021 schemaRef, the NT15 namespace and 5d are all wrong for it.
    expect(refusal(() => readVatReturnInstance(xml, { obNumber: OB, period: parsePeriod('2022-10') })).fields).toContain('schemaRef');
  });
});

describe('building an OB instance', () => {
  it.each([
    ['2024-Q4', 'nt18/bd/20231213', 'bd-rpt-ob-aangifte-2024.xsd'],
    ['2025-06', 'nt19/bd/20241211', 'bd-rpt-ob-aangifte-2025.xsd'],
    ['2026-Q1', 'nt20/bd/20251210', 'bd-rpt-ob-aangifte-2026.xsd'],
  ])('period %s uses the entry point of its own year (%s)', (period, dir, file) => {
    const xml = build({ period: parsePeriod(period) });
    expect(xml).toContain(`xlink:href="http://www.nltaxonomie.nl/${dir}/entrypoints/${file}"`);
    expect(xml).toContain(`xmlns:bd-i="http://www.nltaxonomie.nl/${dir}/dictionary/bd-data"`);
    expect(count(xml, 'schemaRef')).toBe(1);
  });

  it('has one context with the scheme without http:// and the OB number without NL, and the tijdvak as period', () => {
    const xml = build({ obNumber: 'nl 001000044b37' });
    expect(count(xml, 'context')).toBe(1);
    expect(xml).toContain(
      '<xbrli:identifier scheme="www.belastingdienst.nl/omzetbelastingnummer">001000044B37</xbrli:identifier>',
    );
    expect(xml).not.toContain('http://www.belastingdienst.nl');
    expect(xml).toContain('<xbrli:startDate>2026-01-01</xbrli:startDate>');
    expect(xml).toContain('<xbrli:endDate>2026-03-31</xbrli:endDate>');
    expect(xml).toContain('<xbrli:measure>iso4217:EUR</xbrli:measure>');
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<xbrli:xbrl xml:lang="nl" /);
  });

  it('writes every amount concept once, zeros included, decimals="INF", integer content (21 for 2022+)', () => {
    const xml = build({ amounts: amounts({}, {}) });
    const monetary = xml.match(/<bd-i:\w+ decimals="INF" contextRef="Msg" unitRef="EUR">-?\d+</g) ?? [];
    expect(monetary).toHaveLength(21);
    for (const concept of [
      'TaxedTurnoverSuppliesServicesGeneralTariff',
      'ValueAddedTaxSuppliesServicesGeneralTariff',
      'SuppliesServicesNotTaxed',
      'TurnoverSuppliesServicesByWhichVATTaxationIsTransferred',
      'InstallationDistanceSalesWithinTheEC',
      'ValueAddedTaxOnSuppliesFromCountriesWithinTheEC',
      'ValueAddedTaxOwed',
      'ValueAddedTaxOnInput',
      'ValueAddedTaxOwedToBePaidBack',
    ]) {
      expect(count(xml, concept)).toBe(1);
      expect(factValue(xml, concept)).toBe('0');
    }
    expect(xml).not.toContain('SmallEntrepreneurProvisionReduction');
    expect(xml).not.toMatch(/decimals="0"/);
  });

  it('writes 5d (0) only for NT14/NT15 years', () => {
    for (const [period, expected] of [['2020-03', 22], ['2021-Q2', 22], ['2022-01', 21], ['2018-Q1', 21]] as const) {
      const xml = build({ period: parsePeriod(period) });
      expect(xml.match(/decimals="INF"/g)).toHaveLength(expected);
      expect(count(xml, 'SmallEntrepreneurProvisionReduction')).toBe(expected === 22 ? 1 : 0);
    }
  });

  it('writes the amounts of the boxes (5a, 5g derived and given)', () => {
    const xml = build();
    expect(factValue(xml, 'TaxedTurnoverSuppliesServicesGeneralTariff')).toBe('1000');
    expect(factValue(xml, 'ValueAddedTaxOwed')).toBe('291');
    expect(factValue(xml, 'ValueAddedTaxOnInput')).toBe('50');
    expect(factValue(xml, 'ValueAddedTaxOwedToBePaidBack')).toBe('241');
    const refund = build({ amounts: amounts({ '1a': 100 }, { '1a': 21 }, 500) });
    expect(factValue(refund, 'ValueAddedTaxOwedToBePaidBack')).toBe('-479');
  });

  it('writes the header facts and escapes <, & and > in every text value', () => {
    const xml = build({ header: { ...HEADER, contactSurname: 'Jansen <&> "Zn"', softwarePackageName: 'A&B <hub>' } });
    expect(xml).toContain('<bd-i:ContactSurname contextRef="Msg">Jansen &lt;&amp;&gt; &quot;Zn&quot;</bd-i:ContactSurname>');
    expect(xml).toContain('<bd-i:SoftwarePackageName contextRef="Msg">A&amp;B &lt;hub&gt;</bd-i:SoftwarePackageName>');
    expect(xml).toContain('<bd-i:ContactType contextRef="Msg">INT</bd-i:ContactType>');
    expect(xml).toContain('<bd-i:TaxConsultantNumber contextRef="Msg">123456</bd-i:TaxConsultantNumber>');
    expect(xml).toContain('<bd-i:DateTimeCreation contextRef="Msg">202604151030</bd-i:DateTimeCreation>');
    expect(xml).toContain('<bd-i:MessageReferenceSupplierVAT contextRef="Msg">OB-2026Q1-0001</bd-i:MessageReferenceSupplierVAT>');
    const read = readVatReturnInstance(xml, { obNumber: OB, period: Q1_2026 });
    expect(read.header.contactSurname).toBe('Jansen <&> "Zn"');
    expect(read.header.softwarePackageName).toBe('A&B <hub>');
  });

  it('is deterministic: the same input gives the same bytes', () => {
    expect(build()).toBe(build());
    expect(build({ header: { ...HEADER, professionalAssociation: 'NBA' } })).toBe(build({ header: { ...HEADER, professionalAssociation: 'NBA' } }));
  });

  it('NT20: the professional association gets its own context with the typed dimension', () => {
    const xml = build({ header: { ...HEADER, professionalAssociation: 'NBA' } });
    expect(count(xml, 'context')).toBe(2);
    expect(xml).toContain('xmlns:xbrldi="http://xbrl.org/2006/xbrldi"');
    expect(xml).toMatch(
      /<xbrli:context id="Msg_PA1">[\s\S]*<xbrli:identifier scheme="www.belastingdienst.nl\/omzetbelastingnummer">001000044B37<[\s\S]*<xbrldi:typedMember dimension="bd-axes:ProfessionalAssociationSerialNumberDimension">\s*<bd-domains:ProfessionalAssociationSerialNumberDomain>1</,
    );
    expect(xml).toContain(
      '<bd-i:ProfessionalAssociationForTaxServiceProvidersName contextRef="Msg_PA1">NBA</bd-i:ProfessionalAssociationForTaxServiceProvidersName>',
    );
    expect(xml).not.toContain('bd-t:');
    expect(readVatReturnInstance(xml, { obNumber: OB, period: Q1_2026 }).header.professionalAssociation).toBe('NBA');
  });

  it('≤ NT19: the professional association sits in the tuple in the main context', () => {
    const period = parsePeriod('2025-Q4');
    const xml = build({ period, header: { ...HEADER, professionalAssociation: 'Fidu NL' } });
    expect(count(xml, 'context')).toBe(1);
    expect(xml).toMatch(
      /<bd-t:ProfessionalAssociationForTaxServiceProvidersSpecification>\s*<bd-i:ProfessionalAssociationForTaxServiceProvidersName contextRef="Msg">Fidu NL</,
    );
    expect(readVatReturnInstance(xml, { obNumber: OB, period }).header.professionalAssociation).toBe('Fidu NL');
  });

  it('writes the fiscal-unity member number without NL', () => {
    const xml = build({ fiscalEntityDivision: 'NL123456782B90' });
    expect(factValue(xml, 'VATIdentificationNumberNLFiscalEntityDivision')).toBe('123456782B90');
    expect(readVatReturnInstance(xml, { obNumber: OB, period: Q1_2026 }).fiscalEntityDivision).toBe('123456782B90');
  });

  it('validates first and names every problem at once', () => {
    const e = refusal(() =>
      build({
        obNumber: '987654321B09',
        header: { ...HEADER, contactTelephoneNumber: '020-1234567', taxConsultantNumber: undefined, softwareVendorAccountNumber: 'SW012345' },
        amounts: { ...SAMPLE, '5a': SAMPLE['5a'] + 1 },
      }),
    );
    expect(e.fields).toEqual(
      expect.arrayContaining([
        'obNumber',
        'header.contactTelephoneNumber',
        'header.taxConsultantNumber',
        'header.softwareVendorAccountNumber',
        '5a',
      ]),
    );
    expect(e.message).toMatch(/11-test/);
  });

  it('refuses a sole trader btw-id in place of the OB number, saying so', () => {
    const e = refusal(() => build({ obNumber: 'NL000099998B57' }));
    expect(e.field).toBe('obNumber');
    expect(e.message).toMatch(/btw-id/);
  });

  it('refuses amounts that are not whole euros or do not reconcile, naming the box', () => {
    const cents = refusal(() => build({ amounts: { ...SAMPLE, vat: { ...SAMPLE.vat, '1a': 210.5 } } }));
    expect(cents.fields).toContain('vat.1a');
    expect(refusal(() => build({ amounts: { ...SAMPLE, '5g': 0 } })).fields).toEqual(['5g']);
  });

  it('refuses a period without a known taxonomy', () => {
    const e = refusal(() => build({ period: parsePeriod('2027-01') }));
    expect(e.fields).toEqual(['period']);
    expect(e.errors[0].message).toMatch(/^no NT taxonomy is known for 2027/);
  });

  it('refuses control characters and surrounding spaces in header text', () => {
    expect(refusal(() => build({ header: { ...HEADER, contactSurname: 'Jan\u0000sen' } })).fields).toEqual(['header.contactSurname']);
    expect(refusal(() => build({ header: { ...HEADER, contactInitials: ' J.' } })).fields).toEqual(['header.contactInitials']);
  });
});

describe('checkHeader (§1.3)', () => {
  it('accepts the reference examples', () => {
    expect(checkHeader(HEADER)).toEqual([]);
    expect(checkHeader({ ...HEADER, contactType: 'BPL', taxConsultantNumber: undefined, contactTelephoneNumber: '0612345678' })).toEqual([]);
  });

  it('checks lengths, telephone, Becon, SWO and the creation time', () => {
    const fields = (h: Partial<XbrlHeader>) => checkHeader({ ...HEADER, ...h }).map((e) => e.field);
    expect(fields({ contactInitials: 'ABCDEFGHIJK' })).toEqual(['header.contactInitials']);
    expect(fields({ contactPrefix: 'van der van de' })).toEqual(['header.contactPrefix']);
    expect(fields({ contactSurname: 'x'.repeat(201) })).toEqual(['header.contactSurname']);
    expect(fields({ contactTelephoneNumber: '+31201234567890' })).toEqual(['header.contactTelephoneNumber']); // 15 with +
    expect(fields({ contactTelephoneNumber: '+3120123456789' })).toEqual([]); // 14 with +
    expect(fields({ contactTelephoneNumber: '012345678901234' })).toEqual(['header.contactTelephoneNumber']); // 15
    expect(fields({ contactTelephoneNumber: '31+201234567' })).toEqual(['header.contactTelephoneNumber']);
    expect(fields({ contactTelephoneNumber: '12345678901234' })).toEqual([]); // exactly 14
    expect(fields({ taxConsultantNumber: '1234' })).toEqual(['header.taxConsultantNumber']);
    expect(fields({ taxConsultantNumber: '12345' })).toEqual([]);
    expect(fields({ messageReference: 'x'.repeat(21) })).toEqual(['header.messageReference']);
    expect(fields({ softwarePackageName: 'x'.repeat(31) })).toEqual(['header.softwarePackageName']);
    expect(fields({ softwarePackageVersion: 'x'.repeat(21) })).toEqual(['header.softwarePackageVersion']);
    expect(fields({ softwareVendorAccountNumber: 'SWO1234' })).toEqual(['header.softwareVendorAccountNumber']);
    expect(fields({ dateTimeCreation: '20260415103' })).toEqual(['header.dateTimeCreation']);
    expect(fields({ dateTimeCreation: '202602301030' })).toEqual(['header.dateTimeCreation']);
    expect(fields({ dateTimeCreation: '202604152430' })).toEqual(['header.dateTimeCreation']);
    expect(fields({ professionalAssociation: 'x'.repeat(21) })).toEqual(['header.professionalAssociation']);
    expect(fields({ contactType: 'XYZ' as 'BPL' })).toEqual(['header.contactType']);
  });
});

describe('reading a ready OB instance: tampering is refused with the field named', () => {
  const good = build();
  const read = (xml: string, expected = { obNumber: OB, period: Q1_2026 }) => readVatReturnInstance(xml, expected);
  const fieldsOf = (xml: string, expected?: { obNumber: string; period: ReturnType<typeof parsePeriod> }) =>
    refusal(() => read(xml, expected)).fields;

  it('reads its own output back', () => {
    expect(read(good)).toMatchObject({ amounts: SAMPLE, header: HEADER });
  });

  it('missing box', () => {
    const xml = good.replace(/\n\s*<bd-i:ValueAddedTaxSuppliesServicesReducedTariff [^\n]*/, '');
    expect(fieldsOf(xml)).toEqual(['vat.1b']);
  });

  it('a box written twice', () => {
    const line = /\n\s*<bd-i:SuppliesToCountriesWithinTheEC [^\n]*/.exec(good)![0];
    expect(fieldsOf(good.replace(line, line + line))).toEqual(['turnover.3b']);
  });

  it('wrong OB number (expected vs instance), NL prefix, or a scheme with http://', () => {
    expect(fieldsOf(good, { obNumber: OTHER_OB, period: Q1_2026 })).toEqual(['obNumber']);
    expect(fieldsOf(good.replace('>001000044B37<', '>NL001000044B37<'))).toEqual(['obNumber']);
    expect(fieldsOf(good.replace('scheme="www.belastingdienst.nl', 'scheme="http://www.belastingdienst.nl'))).toEqual(['obNumber']);
  });

  it('wrong entry point for the year', () => {
    const xml = good.replace('nt20/bd/20251210/entrypoints/bd-rpt-ob-aangifte-2026', 'nt19/bd/20241211/entrypoints/bd-rpt-ob-aangifte-2025');
    expect(fieldsOf(xml)).toEqual(['schemaRef']);
    const twice = good.replace(/(<link:schemaRef[^\n]*)/, '$1\n$1');
    expect(fieldsOf(twice)).toEqual(['schemaRef']);
    // A 2026 instance read as a 2025 return: schemaRef, period and the namespace of every box are wrong.
    expect(fieldsOf(good, { obNumber: OB, period: parsePeriod('2025-Q1') })).toEqual(expect.arrayContaining(['schemaRef', 'period', '5a']));
  });

  it('wrong period dates', () => {
    expect(fieldsOf(good.replace('2026-03-31', '2026-03-30'))).toEqual(['period']);
  });

  it('5a that does not reconcile', () => {
    const xml = good.replace(/(<bd-i:ValueAddedTaxOwed [^>]*>)291</, '$1292<');
    const e = refusal(() => read(xml));
    expect(e.fields).toEqual(['5a', '5g']);
    expect(e.message).toMatch(/5a \(VAT owed\) is 292/);
  });

  it('decimals="0", a missing unit, a foreign currency', () => {
    expect(fieldsOf(good.replace(/(<bd-i:TaxedTurnoverSuppliesServicesGeneralTariff) decimals="INF"/, '$1 decimals="0"'))).toEqual(['turnover.1a']);
    expect(fieldsOf(good.replace(/(<bd-i:ValueAddedTaxOnInput decimals="INF" contextRef="Msg") unitRef="EUR"/, '$1'))).toEqual(['5b']);
    const usd = refusal(() => read(good.replace('iso4217:EUR', 'iso4217:USD')));
    expect(usd.fields).toEqual(expect.arrayContaining(['turnover.1a', 'vat.1a', '5a', '5b', '5g']));
  });

  it('a non-integer or non-numeric amount', () => {
    expect(fieldsOf(good.replace(/(<bd-i:TaxedTurnoverSuppliesServicesGeneralTariff [^>]*>)1000</, '$11000.50<'))).toEqual(['turnover.1a']);
    expect(fieldsOf(good.replace(/(<bd-i:ValueAddedTaxOnInput [^>]*>)50</, '$1 fifty <'))).toEqual(['5b']);
    expect(fieldsOf(good.replace(/(<bd-i:ValueAddedTaxOnInput [^>]*>)50</, '$11e2<'))).toEqual(['5b']);
  });

  it('a DOCTYPE or an entity', () => {
    expect(fieldsOf(good.replace('<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>'))).toEqual(['xml']);
    expect(fieldsOf(good.replace('>Jansen<', '>Jans&#101;n<'))).toEqual(['xml']);
  });

  it('another root, an unexpected fact, a fact in an unknown context', () => {
    expect(fieldsOf('<xbrl xmlns="urn:not-xbrl"/>')).toEqual(['xbrl']);
    const extra = good.replace('</xbrli:xbrl>', '  <bd-i:SomethingElse contextRef="Msg">x</bd-i:SomethingElse>\n</xbrli:xbrl>');
    expect(fieldsOf(extra)).toEqual(['SomethingElse']);
    const unknownContext = good.replace(/(<bd-i:ValueAddedTaxOnInput decimals="INF") contextRef="Msg"/, '$1 contextRef="Other"');
    expect(fieldsOf(unknownContext)).toEqual(['ValueAddedTaxOnInput', '5b']);
  });

  it('a second context without dimensions', () => {
    const context = /<xbrli:context id="Msg">[\s\S]*?<\/xbrli:context>/.exec(good)![0];
    expect(fieldsOf(good.replace(context, `${context}\n  ${context.replace('id="Msg"', 'id="Msg2"')}`))).toEqual(['context']);
  });

  it('collects all problems in one error', () => {
    const xml = good
      .replace('2026-01-01', '2025-12-01')
      .replace(/\n\s*<bd-i:SuppliesServicesNotTaxed [^\n]*/, '')
      .replace(/(<bd-i:TaxedTurnoverSuppliesServicesGeneralTariff) decimals="INF"/, '$1 decimals="2"');
    const e = refusal(() => read(xml));
    expect(e.fields).toEqual(['period', 'turnover.1a', 'turnover.1e']);
    expect(e.errors).toHaveLength(3);
    expect(e.message).toMatch(/^XBRL instance refused \(3 problems\): period: /);
  });

  it('matches namespaces, not prefixes', () => {
    const renamed = good
      .replace(/xmlns:bd-i=/g, 'xmlns:ob=')
      .replace(/<(\/?)bd-i:/g, '<$1ob:')
      .replace(/xmlns:xbrli=/, 'xmlns:x=')
      .replace(/<(\/?)xbrli:/g, '<$1x:');
    expect(read(renamed).amounts).toEqual(SAMPLE);
    // The right prefix bound to the wrong namespace is not the taxonomy's concept.
    const wrongNs = good.replace('nt20/bd/20251210/dictionary/bd-data', 'nt19/bd/20241211/dictionary/bd-data');
    expect(fieldsOf(wrongNs)).toEqual(expect.arrayContaining(['turnover.1a', '5g', 'ValueAddedTaxOwed']));
  });

  it('a non-zero 5d in a 2021 return is refused (its sign convention is not settled)', () => {
    const period = parsePeriod('2021-Q1');
    const xml = build({ period }).replace(/(<bd-i:SmallEntrepreneurProvisionReduction [^>]*>)0</, '$1-100<');
    expect(fieldsOf(xml, { obNumber: OB, period })).toEqual(['5d']);
  });

  it('header format problems are warnings, not errors', () => {
    const xml = good.replace('>+31201234567<', '>020 123 4567<');
    expect(read(xml).warnings).toEqual([expect.stringMatching(/contactTelephoneNumber/)]);
  });
});

describe('build → read round trip (property)', () => {
  const euros = fc.integer({ min: -2_000_000_000, max: 2_000_000_000 });
  const text = (max: number) => fc.string({ minLength: 1, maxLength: max }).filter((s) => s.trim() === s && s !== '');

  it('reads back exactly what was built, for every year, period kind and header text', () => {
    fc.assert(
      fc.property(
        fc.array(euros, { minLength: 11, maxLength: 11 }),
        fc.array(euros, { minLength: 7, maxLength: 7 }),
        euros,
        fc.constantFrom('2018-Q1', '2020-01', '2021-Q4', '2022', '2023-07', '2024-06', '2025-Q2', '2026-03'),
        text(200),
        fc.option(text(20), { nil: undefined }),
        (turnover, vat, inputTax, periodText, surname, association) => {
          const input = amounts(
            Object.fromEntries(TURNOVER_BOXES.map((b, i) => [b, turnover[i]])),
            Object.fromEntries(VAT_AMOUNT_BOXES.map((b, i) => [b, vat[i]])),
            inputTax,
          );
          const period = parsePeriod(periodText);
          const header = { ...HEADER, contactSurname: surname, professionalAssociation: association };
          const xml = buildVatReturnInstance({ obNumber: OB, period, amounts: input, header });
          const result = readVatReturnInstance(xml, { obNumber: OB, period });
          expect(result.amounts).toEqual(input);
          expect(result.header).toEqual(association === undefined ? { ...HEADER, contactSurname: surname } : header);
        },
      ),
      FC,
    );
  });

  it('a rounded return from cents always builds and reads back', () => {
    const cents = fc.integer({ min: -10_000_000_000, max: 10_000_000_000 });
    fc.assert(
      fc.property(fc.array(cents, { minLength: 11, maxLength: 11 }), fc.array(cents, { minLength: 7, maxLength: 7 }), cents, (t, v, b) => {
        const rounded = roundVatReturn({
          turnover: Object.fromEntries(TURNOVER_BOXES.map((box, i) => [box, t[i]])),
          vat: Object.fromEntries(VAT_AMOUNT_BOXES.map((box, i) => [box, v[i]])),
          '5b': b,
        });
        const xml = buildVatReturnInstance({ obNumber: OB, period: Q1_2026, amounts: rounded, header: HEADER });
        expect(readVatReturnInstance(xml, { obNumber: OB, period: Q1_2026 }).amounts).toEqual(rounded);
      }),
      { ...FC, numRuns: 60 },
    );
  });
});
