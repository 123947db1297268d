import fc from 'fast-check';
import { ValidationError } from '../../domain/errors';
import { parseXml, XbrlValidationError } from '../../integrations/xbrl/parse';
import { icpEntryPoint, kvkEntryPoint, supplementEntryPoint, vatEntryPoint } from '../../integrations/xbrl/taxonomy';
import { thrownBy } from '../helpers/refusal';

const FC = { seed: 20260301, numRuns: 300 };

const refusal = (fn: () => unknown): XbrlValidationError => thrownBy(XbrlValidationError, fn);

describe('NT taxonomy selection (by the period year, filings-xbrl §1.1, §5.1)', () => {
  it.each([
    [2018, 'NT12', '20171213'],
    [2020, 'NT14', '20191211'],
    [2021, 'NT15', '20201209'],
    [2022, 'NT16', '20211208'],
    [2023, 'NT17', '20221207'],
    [2024, 'NT18', '20231213'],
    [2025, 'NT19', '20241211'],
    [2026, 'NT20', '20251210'],
  ])('OB %i → %s (%s)', (year, nt, date) => {
    const entry = vatEntryPoint(year);
    expect(entry).toMatchObject({ nt, releaseDate: date });
    const dir = `http://www.nltaxonomie.nl/${nt.toLowerCase()}/bd/${date}`;
    expect(entry.entryPoint).toBe(`${dir}/entrypoints/bd-rpt-ob-aangifte-${year}.xsd`);
    expect(entry.namespaces['bd-i']).toBe(`${dir}/dictionary/bd-data`);
    if (year === 2026) {
      expect(entry.namespaces['bd-axes']).toBe(`${dir}/validation/bd-axes`);
      expect(entry.namespaces['bd-domains']).toBe(`${dir}/validation/bd-domains`);
      expect(entry.namespaces['bd-t']).toBeUndefined();
    } else {
      expect(entry.namespaces['bd-t']).toBe(`${dir}/dictionary/bd-tuples`);
      expect(entry.namespaces['bd-axes']).toBeUndefined();
    }
  });

  it('ICP and suppletie entry points follow the same release table', () => {
    expect(icpEntryPoint(2025).entryPoint).toBe('http://www.nltaxonomie.nl/nt19/bd/20241211/entrypoints/bd-rpt-icp-opgaaf-2025.xsd');
    expect(supplementEntryPoint(2025).entryPoint).toBe(
      'http://www.nltaxonomie.nl/nt19/bd/20241211/entrypoints/bd-rpt-ob-suppletie-2025.xsd',
    );
    expect(supplementEntryPoint(2026).nt).toBe('NT20');
    expect(() => supplementEntryPoint(2021)).toThrow(/no NT taxonomy is known for 2021/);
    expect(() => icpEntryPoint(2018)).toThrow(ValidationError);
  });

  it('refuses a year without a known taxonomy, naming the period', () => {
    for (const year of [2027, 2019, 2017]) {
      try {
        vatEntryPoint(year);
        throw new Error('expected a refusal');
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).field).toBe('period');
        expect((error as Error).message).toMatch(new RegExp(`^no NT taxonomy is known for ${year}`));
      }
    }
  });

  it('KvK: FY2024 → NT19, FY2025 → NT20, micro and klein', () => {
    expect(kvkEntryPoint(2024, 'micro').entryPoint).toBe(
      'http://www.nltaxonomie.nl/nt19/kvk/20241211/entrypoints/kvk-rpt-jaarverantwoording-2024-nlgaap-micro.xsd',
    );
    const klein = kvkEntryPoint(2025, 'klein');
    expect(klein.entryPoint).toBe(
      'http://www.nltaxonomie.nl/nt20/kvk/20251210/entrypoints/kvk-rpt-jaarverantwoording-2025-nlgaap-klein.xsd',
    );
    expect(klein.namespaces['jenv-bw2-i']).toBe('http://www.nltaxonomie.nl/nt20/jenv/20251210/dictionary/jenv-bw2-data');
    expect(klein.namespaces['kvk-i']).toBe('http://www.nltaxonomie.nl/nt20/kvk/20251210/dictionary/kvk-data');
    expect(() => kvkEntryPoint(2026, 'micro')).toThrow(/no NT taxonomy is known for financial year 2026/);
  });
});

describe('hardened XML reading', () => {
  it('refuses DOCTYPE and ENTITY declarations, naming the field xml', () => {
    for (const xml of [
      '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>',
      '<?xml version="1.0"?><!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>',
      '<a><!ENTITY x "y"></a>',
    ]) {
      const e = refusal(() => parseXml(xml));
      expect(e.field).toBe('xml');
      expect(e.message).toMatch(/DOCTYPE or ENTITY/);
    }
  });

  it('refuses input over the size limit and accepts it at the limit', () => {
    const xml = `<a>${'x'.repeat(93)}</a>`; // 100 characters
    expect(() => parseXml(xml, 100)).not.toThrow();
    expect(refusal(() => parseXml(`${xml} `, 100)).message).toMatch(/larger than the limit/);
  });

  it('refuses character and unknown entity references (they would not be decoded)', () => {
    expect(refusal(() => parseXml('<a>&#65;</a>')).message).toMatch(/character or entity reference/);
    expect(refusal(() => parseXml('<a b="&#x41;"/>')).field).toBe('xml');
    expect(refusal(() => parseXml('<a>&foo;</a>')).field).toBe('xml');
    expect(parseXml('<a b="&lt;&amp;&gt;">&quot;&apos;&amp;</a>')).toMatchObject({ text: `"'&`, attributes: [{ value: '<&>' }] });
  });

  it('refuses malformed XML, two roots, undeclared prefixes, deep nesting and reserved names', () => {
    for (const xml of [
      '<a><b></a>',
      '<a>',
      '',
      'text',
      '<a/><b/>',
      '<p:a/>',
      '<a p:x="1"/>',
      `${'<a>'.repeat(70)}${'</a>'.repeat(70)}`,
      '<__proto__/>',
      '<a constructor="1"/>',
      '<a x="1" x="2"/>',
      '<a xmlns:p="u" xmlns:q="u" p:x="1" q:x="2"/>',
    ]) {
      expect(refusal(() => parseXml(xml)).field).toBe('xml');
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('resolves prefixes from the declarations in scope, whatever the prefix', () => {
    const root = parseXml('<r xmlns="urn:d" xmlns:p="urn:p"><p:a p:x="1" y="2"><b xmlns="urn:e"/></p:a></r>');
    expect(root).toMatchObject({ namespace: 'urn:d', localName: 'r' });
    const a = root.children[0];
    expect(a).toMatchObject({ namespace: 'urn:p', localName: 'a' });
    expect(a.attributes).toEqual([
      { qname: 'p:x', namespace: 'urn:p', localName: 'x', value: '1' },
      { qname: 'y', namespace: '', localName: 'y', value: '2' },
    ]);
    expect(a.children[0]).toMatchObject({ namespace: 'urn:e', localName: 'b' });
  });

  it('keeps identifiers as strings (leading zeros, hex, exponents)', () => {
    const root = parseXml('<r><a>001000044B37</a><b>0x1F</b><c>1e5</c><d>00012345</d></r>');
    expect(root.children.map((c) => c.text)).toEqual(['001000044B37', '0x1F', '1e5', '00012345']);
  });

  it('never throws anything but a ValidationError on random input, and pollutes nothing (property)', () => {
    const fragments = fc.constantFrom('<a>', '</a>', '<b x="1"/>', '&amp;', '&#65;', '<!--c-->', '<![CDATA[x]]>', 'text', '<?pi?>', ' ', '<p:a xmlns:p="u">', '__proto__', '<');
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.array(fragments).map((parts) => parts.join(''))), (xml) => {
        try {
          parseXml(xml);
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
        }
        return ({} as Record<string, unknown>).x === undefined;
      }),
      FC,
    );
  });
});
