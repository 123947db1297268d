/**
 * The registry of filing kinds: each kind declares in one file what differs (identifier, berichtsoort, receiver,
 * approval rules, deadline, labels, portal wording), and the rest of the hub asks here instead of testing the kind's
 * name. A new message type is one file beside these and one entry in KINDS (plus its XBRL side in
 * `integrations/xbrl/kinds/`, which the compiler asks for). Pure and deterministic: workflows may import it.
 */
import { icp } from './icp';
import { kvkAnnualReport } from './kvk-annual-report';
import type { FilingKindDefinition } from './types';
import { vatReturn } from './vat-return';
import { vatSupplement } from './vat-supplement';

/** Every kind the hub files, in the order lists show them. */
const KINDS = [vatReturn, icp, vatSupplement, kvkAnnualReport] as const;

export type FilingKind = (typeof KINDS)[number]['kind'];

export const FILING_KINDS: Readonly<Record<FilingKind, FilingKindDefinition<FilingKind>>> = Object.freeze(
  Object.fromEntries(KINDS.map((k) => [k.kind, k])) as Record<FilingKind, FilingKindDefinition<FilingKind>>,
);

export const FILING_KIND_NAMES: readonly FilingKind[] = Object.freeze(KINDS.map((k) => k.kind));

export function isFilingKind(kind: string): kind is FilingKind {
  return Object.prototype.hasOwnProperty.call(FILING_KINDS, kind);
}

/** The definition of a kind. */
export function kindOf(kind: FilingKind): FilingKindDefinition<FilingKind> {
  return FILING_KINDS[kind];
}

/** The definition of a stored kind name, or undefined when the hub does not file it (an incoming message, say). */
export function findKind(kind: string): FilingKindDefinition<FilingKind> | undefined {
  return isFilingKind(kind) ? FILING_KINDS[kind] : undefined;
}

/** The kinds for which a rule holds, in registry order. */
export function kindsWhere(test: (definition: FilingKindDefinition<FilingKind>) => boolean): FilingKind[] {
  return KINDS.filter(test).map((k) => k.kind);
}

export type { ApprovalRules, DueDateInput, FilingKindDefinition, IdentifierType, PortalWording } from './types';
export { KVK_NUMBER, OB_NUMBER } from './identifiers';
