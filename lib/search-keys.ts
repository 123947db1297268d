import { createHmac } from 'node:crypto';

/**
 * Search attributes are not encrypted by the payload codec, and an OB number of a sole trader contains the BSN. The
 * `TaxIdentifier` attribute therefore carries a keyed hash (HMAC-SHA-256 with SEARCH_ATTRIBUTE_KEY) of the OB or KvK
 * number, never the number itself; the staff API computes the same value for an operator's search in the Web UI.
 */
export function parseSearchAttributeKey(spec: string): Buffer {
  const key = Buffer.from(spec, 'base64');
  if (key.length < 32) throw new Error('Configuration: SEARCH_ATTRIBUTE_KEY must be at least 32 bytes, base64');
  return key;
}

/** The identifier as filings and organisations store it: digits and letters, upper case, without the NL prefix. */
function normalized(identifier: string): string {
  return identifier.replace(/[\s.]/g, '').toUpperCase().replace(/^NL(?=\d{9}B\d{2}$)/, '');
}

export function taxIdentifierSearchValue(key: Buffer, identifier: string): string {
  return `h1-${createHmac('sha256', key).update(normalized(identifier)).digest('hex').slice(0, 40)}`;
}
