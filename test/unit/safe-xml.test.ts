import fc from 'fast-check';
import { assertSafeXmlText, parseXmlDocument, textOf, UnsafeXmlError } from '../../integrations/xml/safe-xml';

describe('safe XML parsing', () => {
  it('refuses DOCTYPE and ENTITY declarations before parsing', () => {
    for (const xml of [
      '<!DOCTYPE a><a/>',
      '<!doctype a SYSTEM "file:///etc/passwd"><a/>',
      '<?xml version="1.0"?><!DOCTYPE a PUBLIC "x" "http://evil/x.dtd"><a/>',
      '<a><!ENTITY x "y"></a>',
    ]) {
      expect(() => parseXmlDocument(xml, 10_000)).toThrow(UnsafeXmlError);
    }
  });

  it('refuses input over the size limit, and accepts it at the limit', () => {
    const xml = `<a>${'x'.repeat(93)}</a>`; // 100 characters
    expect(() => assertSafeXmlText(xml, 100)).not.toThrow();
    expect(() => assertSafeXmlText(xml + ' ', 100)).toThrow(/larger than the limit/);
  });

  it('refuses deep nesting and malformed XML', () => {
    expect(() => parseXmlDocument(`${'<a>'.repeat(100)}${'</a>'.repeat(100)}`, 10_000)).toThrow(/nested deeper/);
    expect(() => parseXmlDocument('<a><b></a>', 10_000)).toThrow(/not well-formed/);
    expect(() => parseXmlDocument('', 10_000)).toThrow(UnsafeXmlError);
  });

  it('keeps identifiers as strings (leading zeros, hex, exponents) and accepts a BOM', () => {
    const doc = parseXmlDocument('\uFEFF<r><bsn>012345678</bsn><kvk>00012345</kvk><hex>0x1F</hex><exp>1e5</exp></r>', 10_000);
    const values = ['bsn', 'kvk', 'hex', 'exp'].map((n) => textOf(doc.getElementsByTagName(n)[0] as unknown as Element));
    expect(values).toEqual(['012345678', '00012345', '0x1F', '1e5']);
  });

  it('never throws anything but an Error and never pollutes Object.prototype (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'a'), (text, name) => {
        for (const xml of [text, `<${name}>${text}</${name}>`, `<a ${name}="${text}"/>`]) {
          try {
            parseXmlDocument(xml, 10_000);
          } catch (err) {
            expect(err).toBeInstanceOf(Error);
          }
        }
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(Object.prototype).not.toHaveProperty('polluted');
      }),
      { seed: 20261121, numRuns: 2000 },
    );
  });
});
