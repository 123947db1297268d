import { RuleViolation, ValidationError } from './errors';

/**
 * SBA and VIA mandates (C6; filings-xbrl.md §6): one client, one service, one year or continuing (doorlopend).
 * SBA is opt-out (active unless the client objects within 26 days), VIA opt-in (active once the activation code from
 * the client's letter is sent). One open mandate per client, service and year.
 */
export type MandateService = 'SBA' | 'VIA';
export const MANDATE_SERVICES: readonly MandateService[] = ['SBA', 'VIA'];

/** The messages a mandate sends: its request, the VIA activation code, its revocation. */
export type MandatePurpose = 'request' | 'activate' | 'revoke';

export type MandateState = 'REQUESTED' | 'ONTVANGEN' | 'ACTIVE' | 'REJECTED' | 'REVOKED' | 'EXPIRED';

/** States that hold the client, service and year (exclusivity). */
export const OPEN_MANDATE_STATES: readonly MandateState[] = ['REQUESTED', 'ONTVANGEN', 'ACTIVE'];

export const SBA_OBJECTION_DAYS = 26;

/**
 * REQUESTED → ONTVANGEN (letter sent) → ACTIVE or REJECTED; ACTIVE → REVOKED or EXPIRED. A request not yet active
 * may be withdrawn (REVOKED) as well.
 */
const TRANSITIONS: Readonly<Record<MandateState, readonly MandateState[]>> = {
  REQUESTED: ['ONTVANGEN', 'ACTIVE', 'REJECTED', 'REVOKED'],
  ONTVANGEN: ['ACTIVE', 'REJECTED', 'REVOKED'],
  ACTIVE: ['REVOKED', 'EXPIRED'],
  REJECTED: [],
  REVOKED: [],
  EXPIRED: [],
};

export function isOpen(state: MandateState): boolean {
  return OPEN_MANDATE_STATES.includes(state);
}

/** States a mandate ends in: nothing more is sent or followed for it, so its record may be deleted. */
export const SETTLED_MANDATE_STATES: readonly MandateState[] = ['REJECTED', 'REVOKED', 'EXPIRED'];

export function isSettled(state: MandateState): boolean {
  return SETTLED_MANDATE_STATES.includes(state);
}

export function canTransition(from: MandateState, to: MandateState): boolean {
  return TRANSITIONS[from].includes(to);
}

/**
 * Applies a state the register reported: a legal transition is taken, the same state or a stale report (e.g.
 * ONTVANGEN arriving after ACTIVE) changes nothing.
 */
export function applyReportedState(current: MandateState, reported: MandateState): MandateState {
  return canTransition(current, reported) ? reported : current;
}

export interface MandateKey {
  service: MandateService;
  year: number;
  continuing: boolean;
}

/** Whether a mandate covers a year: its own, or every later one too when continuing. */
export function covers(mandate: Pick<MandateKey, 'year' | 'continuing'>, year: number): boolean {
  return mandate.continuing ? year >= mandate.year : year === mandate.year;
}

/** Two mandates of one client and service overlap when some year is covered by both. */
export function overlaps(a: MandateKey, b: MandateKey): boolean {
  if (a.service !== b.service) return false;
  if (a.continuing && b.continuing) return true;
  if (a.continuing) return b.year >= a.year;
  if (b.continuing) return a.year >= b.year;
  return a.year === b.year;
}

export function assertMandateRequest(input: { service: string; year: number; continuing: boolean }): asserts input is MandateKey {
  if (!MANDATE_SERVICES.includes(input.service as MandateService)) throw new ValidationError('service', 'service must be SBA or VIA');
  if (!Number.isInteger(input.year) || input.year < 2000 || input.year > 2100) throw new ValidationError('year', 'year must be a tax year (2000–2100)');
}

/** C6: one open mandate per client, service and year (a continuing one holds every later year). */
export function assertNoOpenMandate(request: MandateKey, existing: readonly (MandateKey & { id: string; state: MandateState })[]): void {
  const clash = existing.find((m) => isOpen(m.state) && overlaps(m, request));
  if (clash) {
    throw new RuleViolation(
      'C6',
      `the client already has an open ${clash.service} mandate for ${clash.continuing ? `${clash.year} onwards` : clash.year} (${clash.state}, mandate ${clash.id}): one mandate per client, service and year`,
      'conflict',
    );
  }
}

/** VIA letters carry the activation code as 3-3-4 characters (filings-xbrl.md §6). */
export function normalizeActivationCode(input: string): string {
  const code = input.trim().toUpperCase();
  if (!/^[A-Z0-9]{3}-[A-Z0-9]{3}-[A-Z0-9]{4}$/.test(code)) {
    throw new ValidationError('activationCode', 'the activation code from the letter has the form XXX-XXX-XXXX');
  }
  return code;
}

/** C6: only a VIA mandate whose letter went out (ONTVANGEN) takes an activation code. */
export function assertActivatable(mandate: { service: MandateService; state: MandateState; activationPending?: boolean }): void {
  if (mandate.service !== 'VIA') throw new RuleViolation('C6', 'only a VIA mandate is activated with a code; an SBA mandate activates unless the client objects', 'conflict');
  if (mandate.state !== 'ONTVANGEN') throw new RuleViolation('C6', `a mandate in state ${mandate.state} cannot be activated (the letter must have been sent: ONTVANGEN)`, 'conflict');
  if (mandate.activationPending) throw new RuleViolation('C6', 'an activation code for this mandate is already being sent', 'conflict');
}

/**
 * C3: a request is sent only after the caller was shown the firm name the tax authority will print on the client's
 * letter (a dry run answers it) and confirmed exactly that name. A name that changed since (another certificate,
 * another letter name) is refused, so the caller sees the new one first.
 */
export function assertLetterNameConfirmed(current: string, confirmed: string | null | undefined): void {
  if (confirmed === null || confirmed === undefined || confirmed.trim() === '') {
    throw new RuleViolation('C3', `the letter to the client will name "${current}": show that name first (dryRun) and confirm it with confirmLetterName; nothing was requested`, 'invalid');
  }
  if (confirmed.trim() !== current) {
    throw new RuleViolation('C3', `the letter to the client would now name "${current}", not the confirmed "${confirmed.trim()}": confirm the current name; nothing was requested`, 'conflict');
  }
}

/** How a person settles a mandate message whose submission is ambiguous (needs_human). */
export type MandateResolution = { how: 'adopted'; kenmerk: string } | { how: 'resend' };

/** What stays of a sent activation code in the stored message: the code itself is wiped once it went out. */
export const WIPED_ACTIVATION_CODE = 'XXX-XXX-XXXX';

/** C6: only an open mandate can be revoked. */
export function assertRevocable(mandate: { state: MandateState; revokeRequested?: boolean }): void {
  if (!isOpen(mandate.state)) throw new RuleViolation('C6', `a mandate in state ${mandate.state} cannot be revoked`, 'conflict');
}

/**
 * The client's fiscal number for the register: the nine digits of its OB number (RSIN/BSN-based) [ours, provisional:
 * a separate fiscal number per client can replace it].
 */
export function fiscalNumberOf(obNumber: string | null): string {
  if (!obNumber || !/^\d{9}B\d{2}$/.test(obNumber)) {
    throw new RuleViolation('C6', 'the client has no OB number, so no fiscal number to request a mandate for', 'invalid');
  }
  return obNumber.slice(0, 9);
}

/** One workflow per mandate, named with internal ids only. */
export function mandateWorkflowId(participant: string, organisationId: string, service: MandateService, year: number, sequence: number): string {
  return `mandate-${participant}-${organisationId}-${service}-${year}-${sequence}`;
}

/** The aanleverkenmerk of one attempt to send a mandate message (≤ 40 characters). */
export function mandateAanleverkenmerk(participant: string, messageSeq: number, attempt: number): string {
  const value = `MA${participant}-${messageSeq}-a${attempt}`;
  if (value.length > 40) throw new RangeError('aanleverkenmerk longer than 40 characters');
  return value;
}

/**
 * How often a mandate's workflow checks the register: soon after something was sent, then backing off, never less
 * often than daily while active (an SBA objection or a revocation by the client shows up there).
 */
export function nextCheckDelayMs(state: MandateState, checksSinceChange: number): number {
  const base = 1000 * 2 ** Math.min(checksSinceChange, 20);
  const cap = state === 'ACTIVE' ? 86_400_000 : 3_600_000;
  return Math.min(base, cap);
}

/**
 * C6 ("Machtigingen verwijderen"): only a settled mandate's record is deleted. One that is open, or whose messages or
 * workflow are still in flight (a submission in doubt, a workflow finishing), or that a running runbook still works
 * with, is refused and stays as it is.
 */
export function assertMandateDeletable(mandate: { state: MandateState; inFlight: string | null; runbook: string | null }): void {
  if (!isSettled(mandate.state)) {
    throw new RuleViolation('C6', `a mandate in state ${mandate.state} cannot be deleted: only a settled mandate (${SETTLED_MANDATE_STATES.join(', ')}) can; revoke it first`, 'conflict');
  }
  if (mandate.inFlight) throw new RuleViolation('C6', `the mandate cannot be deleted yet: ${mandate.inFlight}`, 'conflict');
  if (mandate.runbook) throw new RuleViolation('C6', `the mandate cannot be deleted while ${mandate.runbook} works with it`, 'conflict');
}
