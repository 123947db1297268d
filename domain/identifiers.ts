/**
 * Dutch identifiers and their check algorithms (filings-xbrl.md §4). Pure functions: no I/O, no Node built-ins, safe in
 * Temporal workflow code.
 *
 * Conventions:
 * - `isValid*` functions are strict: they take the canonical form (upper case, no spaces) and never throw, whatever
 *   they are given (also a non-string from untrusted JSON).
 * - `normalize*` functions are lenient about presentation (case, spaces, a country prefix where documented), return the
 *   canonical form, and throw a `ValidationError` naming the field, with a message a user understands.
 */
import { ValidationError } from './errors';

/** Longest piece of user input quoted back in an error message. */
const MAX_QUOTED = 40;

/** Quote user input in a message without echoing an unbounded string. */
function quote(input: unknown): string {
  const text = typeof input === 'string' ? input : String(input);
  return text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}…` : text;
}

// ---------------------------------------------------------------------------------------------------------------
// A. 11-proef, BSN variant (BSN, RSIN / fiscaal nummer, the first nine digits of an OB number)
// ---------------------------------------------------------------------------------------------------------------

const NINE_DIGITS = /^\d{9}$/;
/** Weights of the BSN variant of the 11-proef: digits 1..8 by 9..2, digit 9 by −1 (§4.2 A). */
const BSN_WEIGHTS = [9, 8, 7, 6, 5, 4, 3, 2, -1] as const;

/** The weighted sum of §4.2 A for nine digits (caller checks the format). */
function elevenTestSum(nineDigits: string): number {
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += BSN_WEIGHTS[i] * (nineDigits.charCodeAt(i) - 48);
  return sum;
}

/** Non-negative remainder (the weighted sum may in principle be negative). */
function mod(n: number, m: number): number {
  return ((n % m) + m) % m;
}

/**
 * 11-proef, BSN variant (§4.2 A): exactly nine digits (no padding here: pad before calling), not `000000000`, and
 * 9·d1 + 8·d2 + … + 2·d8 − 1·d9 ≡ 0 (mod 11). Valid for BSN and RSIN / fiscaal nummer alike.
 */
export function isValidBsnOrRsin(nineDigits: string): boolean {
  if (typeof nineDigits !== 'string' || !NINE_DIGITS.test(nineDigits) || nineDigits === '000000000') return false;
  return mod(elevenTestSum(nineDigits), 11) === 0;
}

// ---------------------------------------------------------------------------------------------------------------
// C. OB number (omzetbelastingnummer): #########B##
// ---------------------------------------------------------------------------------------------------------------

const OB_NUMBER = /^(\d{9})B(\d{2})$/;

/**
 * OB number (§4.2 C): exactly 12 characters `#########B##` (no `NL` prefix, upper-case `B`), the two-digit suffix is
 * not `00`, and the nine digits pass the 11-proef (BSN variant).
 */
export function isValidObNumber(ob: string): boolean {
  if (typeof ob !== 'string') return false;
  const match = OB_NUMBER.exec(ob);
  if (!match) return false;
  return match[2] !== '00' && isValidBsnOrRsin(match[1]);
}

/** Upper case, all whitespace removed. */
function compact(input: string): string {
  return input.replace(/\s+/g, '').toUpperCase();
}

/**
 * The OB number in canonical form (12 characters, as used in the XBRL context identifier), from user input:
 * upper-cases, strips whitespace and one leading `NL`. Throws `ValidationError('obNumber', …)` when the result is not a
 * valid OB number; when the input is a sole trader's btw-id (valid by mod 97 but not by the 11-proef) the message says
 * so, because the tax authority needs the OB number, not the btw-id printed on invoices.
 */
export function normalizeObNumber(input: string): string {
  if (typeof input !== 'string' || input.trim() === '') {
    throw new ValidationError('obNumber', 'OB number is required (nine digits, the letter B and two digits, e.g. 123456782B01)');
  }
  const compacted = compact(input);
  const ob = compacted.startsWith('NL') ? compacted.slice(2) : compacted;
  const match = OB_NUMBER.exec(ob);
  if (!match) {
    throw new ValidationError(
      'obNumber',
      `OB number ${quote(input)} is not in the form nine digits, the letter B and two digits (e.g. 123456782B01)`,
    );
  }
  if (match[2] === '00') {
    throw new ValidationError('obNumber', `OB number ${quote(input)} ends in B00; the two digits after the B must be 01 to 99`);
  }
  if (!isValidBsnOrRsin(match[1])) {
    if (isValidBtwId(`NL${ob}`)) {
      throw new ValidationError(
        'obNumber',
        `NL${ob} is a btw-id (the VAT identification number on invoices), not an OB number; the tax authority needs the OB number (omzetbelastingnummer)`,
      );
    }
    throw new ValidationError('obNumber', `OB number ${quote(input)} fails the 11-test`);
  }
  return ob;
}

// ---------------------------------------------------------------------------------------------------------------
// D/E. btw-id: ISO 7064 mod 97-10 over NL#########B##
// ---------------------------------------------------------------------------------------------------------------

const BTW_ID = /^NL\d{9}B\d{2}$/;

/**
 * ISO 7064 mod 97-10 remainder of an upper-case alphanumeric string, letters A = 10 … Z = 35, computed digit by digit
 * (running remainder × 10 + next digit), so no big-integer type is needed. Returns −1 for any other character.
 */
function mod97(text: string): number {
  let remainder = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      remainder = (remainder * 10 + (c - 48)) % 97;
    } else if (c >= 65 && c <= 90) {
      const value = c - 55; // A = 10 … Z = 35: always two decimal digits
      remainder = (remainder * 10 + Math.floor(value / 10)) % 97;
      remainder = (remainder * 10 + (value % 10)) % 97;
    } else {
      return -1;
    }
  }
  return remainder;
}

/**
 * btw-identificatienummer (§4.2 D): exactly `NL` + nine digits + `B` + two digits, upper case, and the ISO 7064
 * mod 97-10 remainder of the whole string (letters converted, N = 23, L = 21, B = 11) is 1. The nine digits need not
 * pass the 11-proef.
 */
export function isValidBtwId(id: string): boolean {
  if (typeof id !== 'string' || !BTW_ID.test(id)) return false;
  return mod97(id) === 1;
}

/**
 * The two check digits of a btw-id for nine digits (§4.2 E): remainder r of `NL` + digits + `B00` modulo 97, check
 * digits 98 − r, zero-padded. `btwIdCheckDigits('000099998')` → `'57'` (btw-id `NL000099998B57`).
 */
export function btwIdCheckDigits(nineDigits: string): string {
  if (typeof nineDigits !== 'string' || !NINE_DIGITS.test(nineDigits)) {
    throw new ValidationError('btwId', `the number part of a btw-id must be exactly nine digits, got ${quote(nineDigits)}`);
  }
  const r = mod97(`NL${nineDigits}B00`);
  return String(98 - r).padStart(2, '0');
}

/**
 * "Valid Dutch VAT number" (§4.2 F): upper-case, strip whitespace and one leading `NL`; valid when the rest is a valid
 * OB number (C) or `NL` + the rest is a valid btw-id (D). Accepts both the OB number and the btw-id, with or without
 * `NL`.
 */
export function isValidDutchVatNumber(input: string): boolean {
  if (typeof input !== 'string') return false;
  const compacted = compact(input);
  const rest = compacted.startsWith('NL') ? compacted.slice(2) : compacted;
  return isValidObNumber(rest) || isValidBtwId(`NL${rest}`);
}

// ---------------------------------------------------------------------------------------------------------------
// H. KvK number
// ---------------------------------------------------------------------------------------------------------------

const KVK_NUMBER = /^(?!00)\d{8}$/;

/** KvK number (§4.2 H): exactly eight digits, not starting with `00`. There is no published check digit. */
export function isValidKvkNumber(kvk: string): boolean {
  return typeof kvk === 'string' && KVK_NUMBER.test(kvk);
}

/**
 * The KvK number from user input: strips whitespace and dots (KvK numbers are often written `1234 5678` or
 * `12.34.56.78`). Does not left-pad: a KvK number always has eight digits. Throws `ValidationError('kvkNumber', …)`.
 */
export function normalizeKvkNumber(input: string): string {
  if (typeof input !== 'string' || input.trim() === '') {
    throw new ValidationError('kvkNumber', 'KvK number is required (eight digits)');
  }
  const kvk = input.replace(/[\s.]+/g, '');
  if (!/^\d{8}$/.test(kvk)) {
    throw new ValidationError('kvkNumber', `KvK number ${quote(input)} must be exactly eight digits`);
  }
  if (!isValidKvkNumber(kvk)) {
    throw new ValidationError('kvkNumber', `KvK number ${quote(input)} cannot start with 00`);
  }
  return kvk;
}

// ---------------------------------------------------------------------------------------------------------------
// G. OIN / HRN
// ---------------------------------------------------------------------------------------------------------------

/** What the eight-digit OIN prefix says about the number behind it (OIN-stelsel ch06; filings-xbrl.md §4.1). */
export type OinKind = 'RSIN' | 'Fi' | 'KvK' | 'SubOIN' | 'Logius' | 'BRIN' | 'foreign' | 'TRR-BD' | 'test' | 'other';

/** OIN prefixes with a known meaning; `00000005` (unassigned) and the Dezi prefixes `00000009`/`00000011` are 'other'. */
export const OIN_PREFIXES: Readonly<Record<string, OinKind>> = {
  '00000001': 'RSIN',
  '00000002': 'Fi',
  '00000003': 'KvK',
  '00000004': 'SubOIN',
  '00000006': 'Logius',
  '00000007': 'BRIN',
  '00000008': 'foreign',
  '00000010': 'TRR-BD',
  '00000099': 'test',
};

export interface ParsedOin {
  /** The first eight digits. */
  prefix: string;
  kind: OinKind;
  /**
   * The hoofdnummer: eight digits for a KvK-based OIN/HRN (characters 9–16), nine digits for RSIN, Fi and SubOIN
   * (characters 9–17); for the other kinds, whose layout the reference does not give, the twelve digits after the prefix.
   */
  number: string;
  /** The digits after the hoofdnummer (`0000` after a KvK number, usually `000` after nine digits). */
  suffix: string;
  /** Only for prefix `00000003`: the KvK number (same as `number`). */
  kvkNumber?: string;
}

/**
 * Split a 20-digit OIN or HRN (e.g. a PKIoverheid certificate's subject serialNumber) into prefix, kind and number.
 * Structural only: the embedded number is not checked (check it with `isValidKvkNumber` / `isValidBsnOrRsin` where it
 * matters), and the suffix is not required to be zeros (a Fi-based OIN such as `00000002003214394002` has suffix `002`).
 * Throws `ValidationError('oin', …)` unless the input is exactly 20 digits.
 */
export function parseOin(oin: string): ParsedOin {
  if (typeof oin !== 'string' || !/^\d{20}$/.test(oin)) {
    throw new ValidationError('oin', `OIN ${quote(oin)} must be exactly 20 digits`);
  }
  const prefix = oin.slice(0, 8);
  const kind: OinKind = Object.prototype.hasOwnProperty.call(OIN_PREFIXES, prefix) ? OIN_PREFIXES[prefix] : 'other';
  if (kind === 'KvK') {
    const kvkNumber = oin.slice(8, 16);
    return { prefix, kind, number: kvkNumber, suffix: oin.slice(16), kvkNumber };
  }
  if (kind === 'RSIN' || kind === 'Fi' || kind === 'SubOIN') {
    return { prefix, kind, number: oin.slice(8, 17), suffix: oin.slice(17) };
  }
  return { prefix, kind, number: oin.slice(8), suffix: '' };
}

/** HRN from a KvK number (§4.2 G): `00000003` + KvK + `0000`. Throws `ValidationError('kvkNumber', …)`. */
export function hrnFromKvk(kvk: string): string {
  if (!isValidKvkNumber(kvk)) {
    throw new ValidationError('kvkNumber', `KvK number ${quote(kvk)} must be exactly eight digits, not starting with 00`);
  }
  return `00000003${kvk}0000`;
}

/**
 * OIN from an RSIN (§4.2 G): `00000001` + RSIN + `000`. The RSIN must pass the 11-proef (BSN variant, §4.1: RSIN =
 * fiscaal nummer). Throws `ValidationError('rsin', …)`.
 */
export function oinFromRsin(rsin: string): string {
  if (typeof rsin !== 'string' || !NINE_DIGITS.test(rsin)) {
    throw new ValidationError('rsin', `RSIN ${quote(rsin)} must be exactly nine digits`);
  }
  if (!isValidBsnOrRsin(rsin)) throw new ValidationError('rsin', `RSIN ${rsin} fails the 11-test`);
  return `00000001${rsin}000`;
}

// ---------------------------------------------------------------------------------------------------------------
// Becon, postcode, participant number
// ---------------------------------------------------------------------------------------------------------------

/** Beconnummer (§4.1, §4.2 H): five or six digits, no check digit. */
export function isValidBeconNumber(becon: string): boolean {
  return typeof becon === 'string' && /^\d{5,6}$/.test(becon);
}

/** Postcode (§4.2 H): four digits, the first not 0, one space, two capital letters other than SA, SD and SS. */
export function isValidPostcode(pc: string): boolean {
  if (typeof pc !== 'string') return false;
  const match = /^[1-9]\d{3} ([A-Z]{2})$/.exec(pc);
  return match !== null && !['SA', 'SD', 'SS'].includes(match[1]);
}

/**
 * Rule A8: the participant number is the five digits of the hub's environment code: `O12345AA` → `12345` (capital
 * letter O, five digits, two capital letters; surrounding whitespace is ignored). Throws
 * `ValidationError('environmentCode', …)` otherwise.
 */
export function participantNumberFromEnvironmentCode(code: string): string {
  const match = typeof code === 'string' ? /^O(\d{5})[A-Z]{2}$/.exec(code.trim()) : null;
  if (!match) {
    throw new ValidationError(
      'environmentCode',
      `environment code ${quote(code)} must be the letter O, five digits and two capital letters (e.g. O12345AA)`,
    );
  }
  return match[1];
}

/** A participant number (deelnemersnummer, rule A8): exactly five digits. */
export function isValidParticipantNumber(p: string): boolean {
  return typeof p === 'string' && /^\d{5}$/.test(p);
}
