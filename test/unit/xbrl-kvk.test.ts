import fc from 'fast-check';
import { ValidationError } from '../../domain/errors';
import {
  buildKvkAnnualReportInstance,
  checkKvkDocumentInfo,
  readKvkAnnualReportInstance,
  type KvkDocumentInfo,
} from '../../integrations/xbrl/kvk';
import { XbrlValidationError } from '../../integrations/xbrl/parse';
import { thrownBy } from '../helpers/refusal';

const FC = { seed: 20260305, numRuns: 100 };
const KVK = '30216247';
const FILING = { filingDate: '2026-06-10' };
const FY2025 = { start: '2025-01-01', end: '2025-12-31' };

const INFO: KvkDocumentInfo = {
  kvkNumber: KVK,
  legalEntityName: 'Bakker & Zonen <Holding> B.V.',
  legalForm: 'Besloten vennootschap',
  registeredOffice: 'Utrecht',
  financialYear: FY2025,
  previousYear: { start: '2024-01-01', end: '2024-12-31' },
  sizeClass: 'micro',
  adopted: true,
  adoptionDate: '2026-06-01',
  title: 'Jaarrekening 2025',
};

const refusal = (fn: () => unknown): XbrlValidationError => thrownBy(XbrlValidationError, fn);

const build = (info: Partial<KvkDocumentInfo> = {}, options = FILING) => buildKvkAnnualReportInstance({ ...INFO, ...info }, options);
const fieldsOfBuild = (info: Partial<KvkDocumentInfo>, options = FILING) => refusal(() => build(info, options)).fields;

describe('building a KvK annual report instance (§5)', () => {
  const xml = build();

  it('uses the NT entry point of the financial year and size class', () => {
    expect(xml).toContain(
      'xlink:href="http://www.nltaxonomie.nl/nt20/kvk/20251210/entrypoints/kvk-rpt-jaarverantwoording-2025-nlgaap-micro.xsd"',
    );
    const fy2024 = build(
      { financialYear: { start: '2024-01-01', end: '2024-12-31' }, previousYear: undefined, sizeClass: 'klein', adoptionDate: '2025-05-01' },
      { filingDate: '2025-05-05' },
    );
    expect(fy2024).toContain('http://www.nltaxonomie.nl/nt19/kvk/20241211/entrypoints/kvk-rpt-jaarverantwoording-2024-nlgaap-klein.xsd');
    expect(fy2024).toContain('xmlns:jenv-bw2-i="http://www.nltaxonomie.nl/nt19/jenv/20241211/dictionary/jenv-bw2-data"');
    expect(fy2024).toContain('xmlns:kvk-i="http://www.nltaxonomie.nl/nt19/kvk/20241211/dictionary/kvk-data"');
    expect(fieldsOfBuild({ financialYear: { start: '2026-01-01', end: '2026-12-31' }, previousYear: undefined, adoptionDate: '2027-03-01' }, { filingDate: '2027-03-02' })).toEqual([
      'financialYear',
    ]);
  });

  it('entity scheme http://www.kvk.nl/kvk-id, xml:lang nl, one duration context, exactly one EUR unit', () => {
    expect(xml).toMatch(/<xbrli:xbrl xml:lang="nl" /);
    expect(xml).toContain('<xbrli:identifier scheme="http://www.kvk.nl/kvk-id">30216247</xbrli:identifier>');
    expect(xml.match(/<xbrli:context /g)).toHaveLength(1);
    expect(xml).toContain('<xbrli:startDate>2025-01-01</xbrli:startDate>');
    expect(xml).toContain('<xbrli:endDate>2025-12-31</xbrli:endDate>');
    expect(xml.match(/<xbrli:measure>iso4217:/g)).toEqual(['<xbrli:measure>iso4217:']);
    expect(xml).not.toContain('decimals=');
  });

  it('writes the document information of §5.3, escaped, dates YYYY-MM-DD', () => {
    for (const line of [
      '<jenv-bw2-i:ChamberOfCommerceRegistrationNumber contextRef="FY_current">30216247</jenv-bw2-i:ChamberOfCommerceRegistrationNumber>',
      '<jenv-bw2-i:LegalEntityName contextRef="FY_current">Bakker &amp; Zonen &lt;Holding&gt; B.V.</jenv-bw2-i:LegalEntityName>',
      '<jenv-bw2-i:LegalEntityLegalForm contextRef="FY_current">Besloten vennootschap</jenv-bw2-i:LegalEntityLegalForm>',
      '<jenv-bw2-i:LegalEntityRegisteredOffice contextRef="FY_current">Utrecht</jenv-bw2-i:LegalEntityRegisteredOffice>',
      '<jenv-bw2-i:FinancialReportingPeriodCurrentStartDate contextRef="FY_current">2025-01-01</jenv-bw2-i:FinancialReportingPeriodCurrentStartDate>',
      '<jenv-bw2-i:FinancialReportingPeriodCurrentEndDate contextRef="FY_current">2025-12-31</jenv-bw2-i:FinancialReportingPeriodCurrentEndDate>',
      '<jenv-bw2-i:FinancialReportingPeriodPreviousStartDate contextRef="FY_current">2024-01-01</jenv-bw2-i:FinancialReportingPeriodPreviousStartDate>',
      '<jenv-bw2-i:FinancialReportingPeriodPreviousEndDate contextRef="FY_current">2024-12-31</jenv-bw2-i:FinancialReportingPeriodPreviousEndDate>',
      '<jenv-bw2-i:DocumentAdoptionStatus contextRef="FY_current">Ja</jenv-bw2-i:DocumentAdoptionStatus>',
      '<jenv-bw2-i:DocumentAdoptionDate contextRef="FY_current">2026-06-01</jenv-bw2-i:DocumentAdoptionDate>',
      '<kvk-i:TitleOfTheDocument contextRef="FY_current">Jaarrekening 2025</kvk-i:TitleOfTheDocument>',
    ]) {
      expect(xml).toContain(line);
    }
    expect(xml).not.toContain('DocumentResubmission');
    const notAdopted = build({ adopted: false, adoptionDate: undefined, resubmission: false });
    expect(notAdopted).toContain('>Nee</jenv-bw2-i:DocumentAdoptionStatus>');
    expect(notAdopted).not.toContain('DocumentAdoptionDate');
    expect(notAdopted).toContain('<kvk-i:DocumentResubmissionDueToUnsurmountableInaccuracies contextRef="FY_current">Nee<');
  });

  it('is deterministic', () => {
    expect(build()).toBe(xml);
  });

  it('applies the filing rules to what it writes, with the filing date as input', () => {
    expect(fieldsOfBuild({}, { filingDate: '2025-12-31' })).toEqual(expect.arrayContaining(['financialYear.end'])); // BR-KVK-4.07
    expect(fieldsOfBuild({ adoptionDate: '2026-06-11' })).toEqual(['adoptionDate']); // BR-KVK-4.10
    expect(fieldsOfBuild({ adopted: false, adoptionDate: undefined, resubmission: true })).toEqual(['resubmission']); // 4.12/4.16
    expect(fieldsOfBuild({ adoptionDate: undefined })).toEqual(['adoptionDate']);
    expect(fieldsOfBuild({ adopted: false })).toEqual(['adoptionDate']);
    expect(fieldsOfBuild({ previousYear: { start: '2023-07-01', end: '2024-12-31' } })).toEqual(['previousYear']); // 4.17
    expect(fieldsOfBuild({ previousYear: { start: '2024-01-01', end: '2025-01-01' } })).toEqual(['previousYear.end']);
    expect(fieldsOfBuild({ financialYear: { start: '2025-1-1', end: '2025-12-31' } })).toEqual(['financialYear.start']); // 4.20
    expect(fieldsOfBuild({ adoptionDate: '2025-12-31' })).toEqual(['adoptionDate']);
    expect(fieldsOfBuild({}, { filingDate: 'today' })).toEqual(['filingDate']);
    expect(fieldsOfBuild({}, {} as typeof FILING)).toEqual(['filingDate']);
  });

  it('refuses bad identity data and financial figures (not supported)', () => {
    expect(fieldsOfBuild({ kvkNumber: '0021624' })).toEqual(['kvkNumber']);
    expect(fieldsOfBuild({ kvkNumber: '00216247' })).toEqual(['kvkNumber']);
    expect(fieldsOfBuild({ legalEntityName: ' ' })).toEqual(['legalEntityName']);
    expect(fieldsOfBuild({ registeredOffice: 'Utrecht\n' })).toEqual(['registeredOffice']);
    expect(fieldsOfBuild({ figures: { Equity: 1000 } })).toEqual(['figures']);
    expect(build({ figures: {} })).toBe(xml);
    expect(fieldsOfBuild({ sizeClass: 'groot' as 'micro' })).toEqual(['sizeClass']);
  });

  it('checkKvkDocumentInfo never throws and lists every problem', () => {
    const errors = checkKvkDocumentInfo({ ...INFO, kvkNumber: 'x', adoptionDate: '2027-01-01', legalForm: '' }, FILING);
    expect(errors.every((e) => e instanceof ValidationError)).toBe(true);
    expect(errors.map((e) => e.field)).toEqual(['kvkNumber', 'legalForm', 'adoptionDate']);
    expect(checkKvkDocumentInfo(null as unknown as KvkDocumentInfo, FILING).map((e) => e.field)).toEqual(['info']);
  });
});

describe('reading a ready KvK instance', () => {
  const good = build();
  const expected = { kvkNumber: KVK, financialYear: FY2025, filingDate: '2026-06-10' };
  const read = (xml: string, exp = expected) => readKvkAnnualReportInstance(xml, exp);
  const fieldsOf = (xml: string, exp = expected) => refusal(() => read(xml, exp)).fields;

  it('reads its own output back', () => {
    const { figures: _figures, ...info } = INFO;
    const result = read(good);
    expect(result.info).toEqual(info);
    expect(result.entry.nt).toBe('NT20');
    expect(result.otherFactCount).toBe(0);
  });

  it('accepts micro and klein entry points of the year, and other facts it does not interpret', () => {
    const klein = build({ sizeClass: 'klein' });
    expect(read(klein).info.sizeClass).toBe('klein');
    expect(fieldsOf(klein, { ...expected, sizeClass: 'micro' } as typeof expected)).toEqual(['schemaRef']);
    const withFigures = good
      .replace(/(<\/xbrli:context>)/, '$1\n  <xbrli:context id="FY_end"><xbrli:entity><xbrli:identifier scheme="http://www.kvk.nl/kvk-id">30216247</xbrli:identifier></xbrli:entity><xbrli:period><xbrli:instant>2025-12-31</xbrli:instant></xbrli:period></xbrli:context>')
      .replace('</xbrli:xbrl>', '  <jenv-bw2-i:Equity contextRef="FY_end" unitRef="EUR" decimals="0">12345</jenv-bw2-i:Equity>\n</xbrli:xbrl>');
    expect(read(withFigures).otherFactCount).toBe(1);
  });

  it('refuses the wrong entry point, KvK number, financial year', () => {
    expect(fieldsOf(good.replace('nlgaap-micro', 'nlgaap-groot'))).toEqual(['schemaRef']);
    expect(fieldsOf(good.replace('nt20/kvk/20251210/entrypoints/kvk-rpt-jaarverantwoording-2025', 'nt19/kvk/20241211/entrypoints/kvk-rpt-jaarverantwoording-2024'))).toEqual([
      'schemaRef',
    ]);
    expect(fieldsOf(good, { ...expected, kvkNumber: '12345678' })).toEqual(['kvkNumber']);
    expect(fieldsOf(good.replace('scheme="http://www.kvk.nl/kvk-id"', 'scheme="www.kvk.nl/kvk-id"'))).toEqual(['kvkNumber']);
    expect(fieldsOf(good, { ...expected, financialYear: { start: '2025-02-01', end: '2025-12-31' } })).toEqual(
      expect.arrayContaining(['financialYear', 'period']),
    );
  });

  it('refuses missing mandatory document information', () => {
    expect(fieldsOf(good.replace(/\n\s*<jenv-bw2-i:LegalEntityName [^\n]*/, ''))).toEqual(['legalEntityName']);
    expect(fieldsOf(good.replace(/\n\s*<jenv-bw2-i:DocumentAdoptionStatus [^\n]*/, ''))).toEqual(['adopted']);
    expect(fieldsOf(good.replace(/\n\s*<jenv-bw2-i:DocumentAdoptionDate [^\n]*/, ''))).toEqual(['adoptionDate']);
    expect(fieldsOf(good.replace('>Ja</jenv-bw2-i:DocumentAdoptionStatus>', '>ja</jenv-bw2-i:DocumentAdoptionStatus>'))).toEqual(['adopted']);
  });

  it('refuses an adoption date after the filing date and a period end not before it', () => {
    expect(fieldsOf(good, { ...expected, filingDate: '2026-05-31' })).toEqual(['adoptionDate']); // BR-KVK-4.10
    expect(fieldsOf(good.replace(/(DocumentAdoptionDate contextRef="FY_current">)2026-06-01/, '$12026-6-1'))).toEqual(['adoptionDate']); // 4.20
  });

  it('without a filing date, BR-KVK-4.07/4.10 are skipped and a warning says so', () => {
    const { filingDate: _filingDate, ...withoutDate } = expected;
    expect(read(good, { ...withoutDate } as typeof expected).warnings).toEqual([expect.stringMatching(/BR-KVK-4.07 and 4.10 were not checked/)]);
    expect(read(good).warnings).toEqual([]);
  });

  it('refuses a resubmission of unadopted accounts (BR-KVK-4.12)', () => {
    const xml = build({ adopted: false, adoptionDate: undefined, resubmission: false }).replace(
      '>Nee</kvk-i:DocumentResubmissionDueToUnsurmountableInaccuracies>',
      '>Ja</kvk-i:DocumentResubmissionDueToUnsurmountableInaccuracies>',
    );
    expect(fieldsOf(xml)).toEqual(['resubmission']);
  });

  it('FR-KVK-2.01 language, BR-KVK-3.01 one currency measure, FR-KVK-5.01 monetary decimals, BR-KVK-2.04 contexts', () => {
    expect(fieldsOf(good.replace('xml:lang="nl"', 'xml:lang="es"'))).toEqual(['lang']);
    expect(fieldsOf(good.replace('xml:lang="nl" ', ''))).toEqual(['lang']);
    expect(fieldsOf(good.replace(/<xbrli:unit id="EUR">[\s\S]*?<\/xbrli:unit>/, ''))).toEqual(['unit']);
    const badDecimals = good.replace('</xbrli:xbrl>', '  <jenv-bw2-i:Equity contextRef="FY_current" unitRef="EUR" decimals="1">1</jenv-bw2-i:Equity>\n</xbrli:xbrl>');
    expect(fieldsOf(badDecimals)).toEqual(['Equity']);
    const strayContext = good.replace(
      /(<\/xbrli:context>)/,
      '$1\n  <xbrli:context id="Odd"><xbrli:entity><xbrli:identifier scheme="http://www.kvk.nl/kvk-id">30216247</xbrli:identifier></xbrli:entity><xbrli:period><xbrli:instant>2025-06-30</xbrli:instant></xbrli:period></xbrli:context>',
    );
    expect(fieldsOf(strayContext)).toEqual(['period']);
  });

  it('refuses DOCTYPE', () => {
    expect(fieldsOf(good.replace('<?xml version="1.0" encoding="UTF-8"?>', '<!DOCTYPE xbrl SYSTEM "x.dtd">'))).toEqual(['xml']);
  });

  it('build → read round trip (property)', () => {
    const text = fc.string({ minLength: 1, maxLength: 60 }).filter((s) => s.trim() === s && s !== '');
    fc.assert(
      fc.property(
        text,
        text,
        fc.constantFrom<'micro' | 'klein'>('micro', 'klein'),
        fc.boolean(),
        fc.option(text, { nil: undefined }),
        fc.constantFrom(2024, 2025),
        (name, office, sizeClass, adopted, title, year) => {
          const info: KvkDocumentInfo = {
            kvkNumber: KVK,
            legalEntityName: name,
            legalForm: 'Besloten vennootschap',
            registeredOffice: office,
            financialYear: { start: `${year}-01-01`, end: `${year}-12-31` },
            sizeClass,
            adopted,
            ...(adopted ? { adoptionDate: `${year + 1}-05-01` } : {}),
            ...(title === undefined ? {} : { title }),
          };
          const filingDate = `${year + 1}-05-08`;
          const xml = buildKvkAnnualReportInstance(info, { filingDate });
          expect(readKvkAnnualReportInstance(xml, { kvkNumber: KVK, financialYear: info.financialYear, filingDate }).info).toEqual(info);
        },
      ),
      FC,
    );
  });
});
