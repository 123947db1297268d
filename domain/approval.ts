/**
 * Client approval through the portal (A1–A3, K1–K3) and the deadlines of filings: pure rules shared by the filing
 * workflow (validators, reminders), its activities and the API.
 */
import { RuleViolation } from './errors';
import { reminderSchedule, type ReminderMoment, type ReminderOffset } from './deadlines';
import { findKind, kindOf, kindsWhere, type DueDateInput, type FilingKind } from './kinds';
import type { TaxPeriod } from './periods';

export type DecisionKind = 'approve' | 'reject' | 'adopt';

/** A client's decision on a filing, from the portal (update) or an operator (signal). */
export interface ClientDecision {
  decision: DecisionKind;
  /** The content the client saw: an approval is bound to exactly it. */
  contentSha256: string;
  reason?: string;
  contactPersonId?: string;
  via: 'portal' | 'operator';
}

export interface ApprovalState {
  awaiting: boolean;
  kind: string;
  contentSha256: string | null;
  /** KvK (K3): the client has set "annual accounts adopted". */
  adopted: boolean;
}

/**
 * Why a decision cannot be taken now, or undefined when it can. The update validator uses it, so a refused decision
 * never enters the workflow's history.
 */
export function decisionProblem(state: ApprovalState, decision: ClientDecision): string | undefined {
  if (!state.awaiting) return 'the filing is not waiting for the client\'s decision';
  if (!['approve', 'reject', 'adopt'].includes(decision.decision)) return `unknown decision ${String(decision.decision)}`;
  if (decision.contentSha256 !== state.contentSha256) {
    return 'A1: the filing changed since it was shown; the client must review the current content';
  }
  if (decision.decision === 'reject' && !decision.reason?.trim()) return 'a rejection needs a reason';
  const adoption = findKind(state.kind)?.approval.adoptionBeforeApproval ?? false;
  if (decision.decision === 'adopt') {
    if (!adoption) return 'K3: only annual reports are adopted';
    if (state.adopted) return 'K3: the annual accounts are already adopted';
  }
  if (decision.decision === 'approve' && adoption && !state.adopted) {
    return 'K3: set "annual accounts adopted" before the final approval';
  }
  return undefined;
}

/** K1: a kind that enters the hub only through the portal approval is refused when its type is not linked to it. */
export function assertThroughPortalWhereRequired(kind: FilingKind, approvalRequired: boolean): void {
  const required = kindOf(kind).approval.onlyThroughPortal;
  if (required && !approvalRequired) throw new RuleViolation(required.rule, required.reason, 'conflict');
}

/** A2: the kinds (VAT and ICP returns) whose wait for approval holds back an annual supplement. */
export const RETURNS_HOLDING_BACK_ANNUAL_SUPPLEMENT: readonly FilingKind[] = Object.freeze(
  kindsWhere((k) => k.approval.holdsBackAnnualSupplement),
);

/** A2: no annual supplement while a VAT/ICP return of that client waits for approval on the portal. */
export function assertNoReturnAwaitingApproval(kind: FilingKind, period: TaxPeriod, waitingReturns: number): void {
  if (kindOf(kind).approval.waitsForReturnsAwaitingApproval(period) && waitingReturns > 0) {
    throw new RuleViolation(
      'A2',
      `no annual supplement can be created while ${waitingReturns} VAT/ICP return${waitingReturns === 1 ? '' : 's'} of this client ` +
        'wait for approval on the portal',
      'conflict',
    );
  }
}

/** A3: the portal needs a hub that files with its own certificate. */
export function assertPortalAllowed(certificateMode: 'own' | 'service-provider'): void {
  if (certificateMode !== 'own') {
    throw new RuleViolation(
      'A3',
      'portal approval needs the hub to file with its own certificate, not a service provider\'s: switch the hub to its own certificate first',
      'conflict',
    );
  }
}

/** K1: the KvK deposit through the portal is only for Dutch micro and small companies. */
export function assertKvkSizeClass(sizeClass: string): asserts sizeClass is 'micro' | 'klein' {
  if (sizeClass !== 'micro' && sizeClass !== 'klein') {
    throw new RuleViolation('K1', `the KvK deposit through the portal is only for micro and small companies (size class: ${sizeClass})`);
  }
}

export interface KvkPreparation {
  adoptionDate?: string;
  signedBy?: { name?: string; role?: string; date?: string };
}

/** K2: before preparing, the date of adoption and "signed by director or commissioner" with its date must be set. */
export function assertKvkPreparable(prep: KvkPreparation): void {
  const missing: string[] = [];
  if (!prep.adoptionDate) missing.push('the date of adoption (datum vaststelling)');
  if (!prep.signedBy?.name) missing.push('who signed (a director or commissioner)');
  if (prep.signedBy && prep.signedBy.role !== 'director' && prep.signedBy.role !== 'commissioner') {
    missing.push('whether the signer is a director or a commissioner');
  }
  if (!prep.signedBy?.date) missing.push('the date of signing');
  if (missing.length) throw new RuleViolation('K2', `set ${missing.join(', ')} before preparing the annual report`);
}

/**
 * The due date of a filing (ISO date), as its kind declares it: VAT/ICP the end of the month after the period, yearly
 * 31 March; KvK 8 days after adoption and at the latest 12 months after year end; a supplement within 8 weeks of its
 * preparation.
 */
export function dueDateFor(kind: FilingKind, period: string, options: DueDateInput): string {
  return kindOf(kind).dueDate(period, options);
}

/**
 * The reminders of a filing that waits for the client, at `now`: the ones to send at once (for each kind, the latest
 * moment already past: a filing offered late still reminds and escalates, once) and the ones still to come; at the
 * hub's moments when given, else at DEFAULT_REMINDER_OFFSETS.
 */
export function reminderPlan(dueDate: string, now: string, offsets?: readonly ReminderOffset[]): { now: ReminderMoment[]; later: ReminderMoment[] } {
  // The hub's moments (publishToPortal returns them); none given (an older activity result): the defaults.
  const all = reminderSchedule(dueDate, offsets ? { offsets } : {});
  const nowMs = Date.parse(now);
  const past = all.filter((m) => Date.parse(m.at) <= nowMs);
  const latestPast = (['client-reminder', 'accountant-escalation'] as const)
    .map((kind) => past.filter((m) => m.kind === kind).pop())
    .filter((m): m is ReminderMoment => m !== undefined);
  return { now: latestPast, later: all.filter((m) => Date.parse(m.at) > nowMs) };
}

export function reminderLabel(moment: Pick<ReminderMoment, 'kind' | 'daysBefore'>): string {
  return moment.kind === 'client-reminder' ? `client reminded (${moment.daysBefore} days before)` : `escalated to the accountant (${moment.daysBefore} day${moment.daysBefore === 1 ? '' : 's'} before)`;
}
