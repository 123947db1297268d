/**
 * The filings the hub handles and the rules on messages: blocked kinds and e-invoices (A4, H16), versions and
 * supersession (H10, H11), cleanup (H15). Pure and deterministic: shared by the API, activities and workflows.
 */
import { RuleViolation } from './errors';
import { FILING_KINDS, findKind, type FilingKind } from './kinds';
import { lifecycleLabel, type LifecycleCode } from './lifecycle';

// The kinds themselves are declared in ./kinds (one file each); these names stay importable from here.
export { FILING_KINDS, FILING_KIND_NAMES, findKind, isFilingKind, kindOf, type FilingKind } from './kinds';

/** The kinds an administration may name; `e-invoice` exists only to be refused with H16. */
export const E_INVOICE_KIND = 'e-invoice';

/** H16: e-invoices (UBL) never pass through the hub. */
export function refuseEInvoice(): never {
  throw new RuleViolation(
    'H16',
    'e-invoices (UBL) do not pass through the hub: send and receive them from the administration that owns the ' +
      'e-invoice profile',
  );
}

/** A payload that is a UBL document (Invoice or CreditNote in the UBL 2 namespaces). */
export function looksLikeUbl(xml: string): boolean {
  return /<(\w+:)?(Invoice|CreditNote)\b[^>]*xmlns(:\w+)?="urn:oasis:names:specification:ubl:schema:xsd:(Invoice|CreditNote)-2"/.test(
    xml.slice(0, 4096),
  );
}

/** A4: a blocked message type is refused; nothing is stored. */
export function assertKindUnblocked(kind: FilingKind, blocked: boolean): void {
  if (blocked) {
    throw new RuleViolation('A4', `message type ${kind} (${FILING_KINDS[kind].label}) is blocked for this hub`, 'conflict');
  }
}

/** The key the versions of one filing share: organisation, kind and period. */
export function filingKey(organisationId: string, kind: FilingKind, period: string): string {
  return `${organisationId}:${kind}:${period}`;
}

/** The sender's own reference at Digipoort (≤ 40): hub, number, version and attempt, so a resend is recognisable. */
export function aanleverkenmerkFor(participant: string, number: number, version: number, attempt: number): string {
  const value = `FH${participant}-${number}-v${version}-a${attempt}`;
  if (value.length > 40) throw new RangeError('aanleverkenmerk longer than 40 characters');
  return value;
}

export type DeliveryState = 'held' | 'ready' | 'submitting' | 'submitted' | 'final' | 'failed' | 'needs_human' | 'superseded' | 'received';

export interface VersionView {
  version: number;
  lifecycle: LifecycleCode;
  deliveryState: DeliveryState;
}

/** H11: older versions not yet sent when a new version is prepared: they are flagged "do not send". */
export function versionsToSupersede(existing: VersionView[]): number[] {
  return existing.filter((v) => v.deliveryState === 'ready' || v.deliveryState === 'held').map((v) => v.version);
}

/**
 * H10: a failed message is resent only after its status is reset, and only the most recent version of a filing may
 * be reset: with versions 1 and 2 sent, version 2 may be reset and resent, version 1 never.
 */
export function assertResettable(message: VersionView & { doNotSend: boolean }, latestVersion: number): void {
  if (message.version < latestVersion) {
    throw new RuleViolation(
      'H10',
      `only the latest version of a filing can be reset and resent: this is version ${message.version}, the latest is ` +
        `version ${latestVersion}`,
      'conflict',
    );
  }
  const resettable = message.deliveryState === 'failed' || (message.doNotSend && message.deliveryState === 'superseded');
  if (!resettable) {
    throw new RuleViolation(
      'H10',
      `only a failed message can be reset (lifecycle ${message.lifecycle}, delivery ${message.deliveryState})`,
      'conflict',
    );
  }
}

/** The lifecycle codes H15 allows to clean: sent (60), sending failed or ready to resend (70), receipt confirmed (80). */
export const CLEANABLE_LIFECYCLES: readonly LifecycleCode[] = [60, 70, 80];
export const CLEANUP_MINIMUM_AGE_DAYS = 30;

export interface CleanupCandidate {
  kind: string;
  direction: 'outgoing' | 'incoming';
  lifecycle: LifecycleCode | null;
  /**
   * Days since the message reached the status it is in (its last status change, or its creation): a filing created
   * long ago but accepted minutes ago is minutes old here.
   */
  daysInStatus: number;
  /** The message's workflow is still running: never cleaned, whatever the override. */
  processRunning: boolean;
}

/** Whether a cleanup removes a message, and why (the reason a dry run shows and the record keeps). */
export type CleanupVerdict = { clean: true; reason: string } | { clean: false; reason: string };

/**
 * H15: cleanup deletes, irreversibly, messages that have been in their status for at least `olderThanDays` (never
 * fewer than 30) and only in the statuses 60, 70 and 80. With the fiscal override a fiscal message is cleaned in any
 * status; the age is never waived (H15 permits it, the hub does not): a filing accepted minutes ago is never cleaned,
 * and "older than N days" in the log is true of every message it names. A running process is never cleaned.
 */
export function cleanupVerdict(candidate: CleanupCandidate, options: { fiscalOverride: boolean; olderThanDays: number }): CleanupVerdict {
  if (candidate.processRunning) return { clean: false, reason: 'its process is still running' };
  const days = Math.max(options.olderThanDays, CLEANUP_MINIMUM_AGE_DAYS);
  const age = Math.floor(candidate.daysInStatus);
  if (candidate.daysInStatus < days) return { clean: false, reason: `in its status for ${age} days, fewer than ${days}` };
  const authority = findKind(candidate.kind)?.receiver ?? 'belastingdienst';
  const status = candidate.lifecycle === null ? 'no lifecycle (a return message)' : `${candidate.lifecycle} (${lifecycleLabel(candidate.lifecycle, authority)})`;
  const since = `in status ${status} for ${age} days (at least ${days})`;
  const allowed = candidate.direction === 'outgoing' && candidate.lifecycle !== null && CLEANABLE_LIFECYCLES.includes(candidate.lifecycle);
  if (allowed) return { clean: true, reason: `${since}: a status cleanup may remove (${CLEANABLE_LIFECYCLES.join(', ')})` };
  const fiscal = findKind(candidate.kind)?.fiscal ?? false;
  if (options.fiscalOverride && fiscal) {
    return { clean: true, reason: `${since}: outside the statuses a cleanup may remove (${CLEANABLE_LIFECYCLES.join(', ')}), cleaned as a fiscal message (fiscal override)` };
  }
  return { clean: false, reason: `${since}: not a status a cleanup may remove${fiscal ? ' without the fiscal override' : ''}` };
}

export function assertCleanupAge(olderThanDays: number): void {
  if (!Number.isInteger(olderThanDays) || olderThanDays < CLEANUP_MINIMUM_AGE_DAYS) {
    throw new RuleViolation('H15', `cleanup only removes messages at least ${CLEANUP_MINIMUM_AGE_DAYS} days old (asked: ${olderThanDays})`);
  }
}
