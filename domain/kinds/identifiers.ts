/** The identifier types filings are routed by (A5); a kind names one of them. */
import { normalizeKvkNumber, normalizeObNumber } from '../identifiers';
import type { IdentifierType } from './types';

/** The omzetbelastingnummer: VAT, ICP and supplement filings at the Belastingdienst. */
export const OB_NUMBER: IdentifierType = Object.freeze({
  field: 'obNumber',
  column: 'ob_number',
  label: 'OB number',
  normalize: normalizeObNumber,
});

/** The KvK number: deposits at KvK. */
export const KVK_NUMBER: IdentifierType = Object.freeze({
  field: 'kvkNumber',
  column: 'kvk_number',
  label: 'KvK number',
  normalize: normalizeKvkNumber,
});
