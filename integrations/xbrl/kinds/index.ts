/**
 * The XBRL side of every filing kind, registered in one place. Typed by the domain registry's FilingKind, so a kind
 * declared in `domain/kinds/` does not compile until its content module is registered here.
 */
import { ValidationError } from '../../../domain/errors';
import { isFilingKind, type FilingKind } from '../../../domain/kinds';
import { icpContent } from './icp';
import { kvkAnnualReportContent } from './kvk-annual-report';
import type { KindContent } from './types';
import { vatReturnContent } from './vat-return';
import { vatSupplementContent } from './vat-supplement';

const CONTENT: Readonly<Record<FilingKind, KindContent>> = Object.freeze({
  'vat-return': vatReturnContent,
  icp: icpContent,
  'vat-supplement': vatSupplementContent,
  'kvk-annual-report': kvkAnnualReportContent,
});

/** The content module of a kind; an unknown kind (possible only from outside the type system) names the field. */
export function kindContent(kind: FilingKind): KindContent {
  if (!isFilingKind(kind)) throw new ValidationError('kind', `unknown filing kind ${String(kind)}`);
  return CONTENT[kind];
}

export type { AdoptionInput, ContentContext, KindContent, PortalContentInput, PortalView } from './types';
export type { StoredKvkDocument } from './kvk-annual-report';
