import fc from 'fast-check';
import { ValidationError } from '../../domain/errors';
import {
  btwIdCheckDigits,
  hrnFromKvk,
  isValidBeconNumber,
  isValidBsnOrRsin,
  isValidBtwId,
  isValidDutchVatNumber,
  isValidKvkNumber,
  isValidObNumber,
  isValidParticipantNumber,
  isValidPostcode,
  normalizeKvkNumber,
  normalizeObNumber,
  oinFromRsin,
  parseOin,
  participantNumberFromEnvironmentCode,
} from '../../domain/identifiers';

/** Recorded seed: the property runs are reproducible; raise numRuns for a nightly run. */
const FC = { seed: 20260115, numRuns: 300 };

/** The ValidationError `fn` throws (fails the test if it throws nothing or something else). */
function validationError(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

/** A valid BSN built from eight digits, by the rule itself (independent of the implementation), or null. */
function bsnFrom(eight: number[]): string | null {
  const weights = [9, 8, 7, 6, 5, 4, 3, 2];
  const sum = eight.reduce((s, d, i) => s + weights[i] * d, 0);
  const last = sum % 11; // sum − last ≡ 0 (mod 11)
  if (last === 10) return null;
  const bsn = eight.join('') + String(last);
  return bsn === '000000000' ? null : bsn;
}

const eightDigits = fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 8, maxLength: 8 });
const validBsn = eightDigits.map(bsnFrom).filter((b): b is string => b !== null);
const nineDigits = fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 9, maxLength: 9 }).map((d) => d.join(''));
const validKvk = fc
  .tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 9 }), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 6, maxLength: 6 }))
  .filter(([a, b]) => a !== 0 || b !== 0)
  .map(([a, b, rest]) => `${a}${b}${rest.join('')}`);

/** mod 97 by BigInt, as an oracle independent of the digit-by-digit implementation. */
function bigMod97(text: string): bigint {
  const digits = [...text].map((c) => (/\d/.test(c) ? c : String(c.charCodeAt(0) - 55))).join('');
  return BigInt(digits) % 97n;
}

describe('11-proef, BSN variant (§4.2 A)', () => {
  it.each(['111222333', '004495445', '123456782', '002220647', '822477348'])('%s is valid (worked example)', (n) => {
    expect(isValidBsnOrRsin(n)).toBe(true);
  });

  it('987654321 (weighted sum 283, remainder 8) is invalid', () => {
    expect(isValidBsnOrRsin('987654321')).toBe(false);
  });

  it.each(['000000000', '12345678', '1234567890', '12345678a', ' 111222333', '111 222 333', ''])('rejects %p', (n) => {
    expect(isValidBsnOrRsin(n)).toBe(false);
  });

  it('never throws on non-strings', () => {
    for (const v of [undefined, null, 111222333, {}, []]) expect(isValidBsnOrRsin(v as unknown as string)).toBe(false);
  });

  it('property: generated valid BSNs pass', () => {
    fc.assert(fc.property(validBsn, (bsn) => isValidBsnOrRsin(bsn)), FC);
  });

  it('property: every single-digit mutation of a valid BSN fails', () => {
    fc.assert(
      fc.property(validBsn, (bsn) => {
        for (let i = 0; i < 9; i++) {
          for (let d = 0; d <= 9; d++) {
            if (String(d) === bsn[i]) continue;
            const mutated = bsn.slice(0, i) + String(d) + bsn.slice(i + 1);
            if (isValidBsnOrRsin(mutated)) return false;
          }
        }
        return true;
      }),
      FC,
    );
  });
});

describe('OB number (§4.2 C)', () => {
  it.each(['004495445B01', '123456782B90', '001000044B37', '001000044B39'])('%s is valid', (ob) => {
    expect(isValidObNumber(ob)).toBe(true);
  });

  it.each([
    ['987654321B09', 'fails the 11-proef (remainder 8)'],
    ['004495445B00', 'suffix 00'],
    ['NL004495445B01', 'NL prefix is not part of the OB number'],
    ['004495445b01', 'lower-case b'],
    ['004495445B1', 'one suffix digit'],
    ['04495445B01', 'eight digits'],
    ['000000000B01', 'all zeros'],
  ])('%s is invalid (%s)', (ob) => {
    expect(isValidObNumber(ob)).toBe(false);
  });

  it('normalizeObNumber upper-cases, strips spaces and a leading NL', () => {
    expect(normalizeObNumber('nl 0044 95445 b01')).toBe('004495445B01');
    expect(normalizeObNumber('NL004495445B01')).toBe('004495445B01');
    expect(normalizeObNumber(' 123456782B90 ')).toBe('123456782B90');
  });

  it('normalizeObNumber names the field and says why', () => {
    const e = validationError(() => normalizeObNumber('123456789B01'));
    expect(e.field).toBe('obNumber');
    expect(e.message).toBe('OB number 123456789B01 fails the 11-test');
    expect(validationError(() => normalizeObNumber('004495445B00')).message).toMatch(/B00/);
    expect(validationError(() => normalizeObNumber('12345')).message).toMatch(/nine digits, the letter B and two digits/);
    expect(validationError(() => normalizeObNumber('')).field).toBe('obNumber');
    expect(validationError(() => normalizeObNumber(undefined as unknown as string)).field).toBe('obNumber');
  });

  it('normalizeObNumber tells a sole trader that a btw-id is not the OB number', () => {
    const e = validationError(() => normalizeObNumber('NL000099998B57'));
    expect(e.field).toBe('obNumber');
    expect(e.message).toMatch(/is a btw-id/);
  });

  it('does not echo unbounded input', () => {
    const e = validationError(() => normalizeObNumber('9'.repeat(10_000)));
    expect(e.message.length).toBeLessThan(200);
  });
});

describe('btw-id, ISO 7064 mod 97-10 (§4.2 D, E)', () => {
  it.each(['NL000099998B57', 'NL002455799B11'])('%s is valid (worked example)', (id) => {
    expect(isValidBtwId(id)).toBe(true);
  });

  it.each(['NL987654321B09', 'nl000099998b57', 'NL000099998B58', '000099998B57', 'NL000099998B5', 'NL 000099998B57'])(
    '%s is invalid',
    (id) => {
      expect(isValidBtwId(id)).toBe(false);
    },
  );

  it('generates check digits as in the worked examples', () => {
    expect(btwIdCheckDigits('000099998')).toBe('57');
    expect(btwIdCheckDigits('002455799')).toBe('11');
  });

  it('the nine digits of a sole trader need not pass the 11-proef', () => {
    expect(isValidBsnOrRsin('000099998')).toBe(false);
    expect(isValidBtwId('NL000099998B57')).toBe(true);
  });

  it('btwIdCheckDigits refuses anything but nine digits', () => {
    expect(validationError(() => btwIdCheckDigits('12345678')).field).toBe('btwId');
  });

  it('property: generated btw-ids pass mod 97', () => {
    fc.assert(fc.property(nineDigits, (d) => isValidBtwId(`NL${d}B${btwIdCheckDigits(d)}`)), FC);
  });

  it('property: agrees with a BigInt mod 97 oracle on every well-formed btw-id', () => {
    const twoDigits = fc.integer({ min: 0, max: 99 }).map((n) => String(n).padStart(2, '0'));
    fc.assert(
      fc.property(nineDigits, twoDigits, (d, c) => {
        const id = `NL${d}B${c}`;
        return isValidBtwId(id) === (bigMod97(id) === 1n);
      }),
      FC,
    );
  });

  it('isValidDutchVatNumber accepts an OB number or a btw-id, with or without NL (§4.2 F)', () => {
    for (const ok of ['004495445B01', 'NL004495445B01', 'NL000099998B57', '000099998B57', 'nl 000099998 b57']) {
      expect(isValidDutchVatNumber(ok)).toBe(true);
    }
    for (const bad of ['NL987654321B09', '987654321B09', 'NL004495445B00', 'DE123456789', '', 'NL']) {
      expect(isValidDutchVatNumber(bad)).toBe(false);
    }
  });
});

describe('KvK number (§4.2 H)', () => {
  it('is eight digits not starting with 00', () => {
    expect(isValidKvkNumber('30216247')).toBe(true);
    expect(isValidKvkNumber('01234567')).toBe(true);
    expect(isValidKvkNumber('00123456')).toBe(false);
    expect(isValidKvkNumber('3021624')).toBe(false);
    expect(isValidKvkNumber('302162470')).toBe(false);
    expect(isValidKvkNumber('3021624a')).toBe(false);
  });

  it('normalizeKvkNumber strips spaces and dots and names the field', () => {
    expect(normalizeKvkNumber(' 3021 6247 ')).toBe('30216247');
    expect(normalizeKvkNumber('30.21.62.47')).toBe('30216247');
    const short = validationError(() => normalizeKvkNumber('3021624'));
    expect(short.field).toBe('kvkNumber');
    expect(short.message).toMatch(/exactly eight digits/);
    expect(validationError(() => normalizeKvkNumber('00123456')).message).toMatch(/cannot start with 00/);
    expect(validationError(() => normalizeKvkNumber('')).field).toBe('kvkNumber');
  });
});

describe('OIN / HRN (§4.2 G)', () => {
  it('derives an HRN from a KvK number and an OIN from an RSIN (worked examples)', () => {
    expect(hrnFromKvk('30216247')).toBe('00000003302162470000');
    expect(oinFromRsin('002220647')).toBe('00000001002220647000');
    expect(oinFromRsin('822477348')).toBe('00000001822477348000');
  });

  it('refuses bad input with the field named', () => {
    expect(validationError(() => hrnFromKvk('00123456')).field).toBe('kvkNumber');
    expect(validationError(() => oinFromRsin('12345678')).field).toBe('rsin');
    expect(validationError(() => oinFromRsin('987654321')).message).toBe('RSIN 987654321 fails the 11-test');
  });

  it('parses the OIN examples of the reference', () => {
    expect(parseOin('00000001002220647000')).toEqual({ prefix: '00000001', kind: 'RSIN', number: '002220647', suffix: '000' });
    expect(parseOin('00000001822477348000').kind).toBe('RSIN');
    expect(parseOin('00000004194049711000')).toMatchObject({ kind: 'SubOIN', number: '194049711' });
    expect(parseOin('00000003302162470000')).toEqual({
      prefix: '00000003',
      kind: 'KvK',
      number: '30216247',
      suffix: '0000',
      kvkNumber: '30216247',
    });
    // Digipoort's identiteitOntvanger for the Belastingdienst: a Fi-based OIN with a non-zero suffix.
    expect(parseOin('00000002003214394002')).toMatchObject({ kind: 'Fi', number: '003214394', suffix: '002' });
  });

  it.each([
    ['00000006', 'Logius'],
    ['00000007', 'BRIN'],
    ['00000008', 'foreign'],
    ['00000010', 'TRR-BD'],
    ['00000099', 'test'],
    ['00000005', 'other'],
    ['00000009', 'other'],
    ['00000011', 'other'],
    ['12345678', 'other'],
  ])('prefix %s is %s', (prefix, kind) => {
    const parsed = parseOin(`${prefix}123456789000`);
    expect(parsed.kind).toBe(kind);
    expect(parsed.kvkNumber).toBeUndefined();
  });

  it.each(['', '0000000330216247000', '000000033021624700000', '0000000330216247000a', ' 00000003302162470000'])(
    'parseOin refuses %p',
    (oin) => {
      const e = validationError(() => parseOin(oin));
      expect(e.field).toBe('oin');
      expect(e.message).toMatch(/20 digits/);
    },
  );

  it('property: an HRN round-trips through parseOin', () => {
    fc.assert(
      fc.property(validKvk, (kvk) => {
        const parsed = parseOin(hrnFromKvk(kvk));
        return parsed.kind === 'KvK' && parsed.prefix === '00000003' && parsed.kvkNumber === kvk && parsed.number === kvk;
      }),
      FC,
    );
  });

  it('property: an RSIN-based OIN round-trips through parseOin', () => {
    fc.assert(
      fc.property(validBsn, (rsin) => {
        const parsed = parseOin(oinFromRsin(rsin));
        return parsed.kind === 'RSIN' && parsed.number === rsin && parsed.suffix === '000';
      }),
      FC,
    );
  });
});

describe('Becon, postcode, participant number', () => {
  it('Becon is five or six digits', () => {
    expect(isValidBeconNumber('234564')).toBe(true);
    expect(isValidBeconNumber('12345')).toBe(true);
    expect(isValidBeconNumber('1234')).toBe(false);
    expect(isValidBeconNumber('1234567')).toBe(false);
    expect(isValidBeconNumber('12a456')).toBe(false);
  });

  it('postcode: four digits (not starting 0), a space, two capitals other than SA/SD/SS', () => {
    expect(isValidPostcode('1234 AB')).toBe(true);
    expect(isValidPostcode('9999 ZZ')).toBe(true);
    for (const bad of ['1234 SS', '1234 SA', '1234 SD', '0123 AB', '1234AB', '1234 ab', '12345 AB', '1234  AB']) {
      expect(isValidPostcode(bad)).toBe(false);
    }
  });

  it('A8: participant number from the environment code', () => {
    expect(participantNumberFromEnvironmentCode('O12345AA')).toBe('12345');
    expect(participantNumberFromEnvironmentCode(' O00042ZB ')).toBe('00042');
    for (const bad of ['012345AA', 'O1234AA', 'O123456AA', 'X12345AA', 'O12345A', 'O12345aa', '']) {
      const e = validationError(() => participantNumberFromEnvironmentCode(bad));
      expect(e.field).toBe('environmentCode');
      expect(e.message).toMatch(/letter O, five digits and two capital letters/);
    }
  });

  it('a participant number is exactly five digits', () => {
    expect(isValidParticipantNumber('12345')).toBe(true);
    expect(isValidParticipantNumber('1234')).toBe(false);
    expect(isValidParticipantNumber('123456')).toBe(false);
    expect(isValidParticipantNumber('1234a')).toBe(false);
  });
});
