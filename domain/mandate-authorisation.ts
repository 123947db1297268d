import { RuleViolation } from './errors';
import type { MandateState } from './mandates';

/**
 * C6, seed 000 ("SBA-machtigingen autoriseren", "SBA-machtiging vrijgeven"): a hub can require four eyes on mandate
 * requests. Such a request is stored and held (awaiting authorisation, nothing sent) until a second person, another
 * staff token than the one that requested it, authorises it; it is then released and sent. It can be refused
 * instead (REJECTED, nothing sent), or withdrawn by a revocation like any unsent request.
 */
export type MandateAuthorisation = 'awaiting' | 'authorised' | 'refused';

export interface AuthorisationFacts {
  state: MandateState;
  /** null: the hub did not require authorisation when the mandate was requested. */
  authorisation: MandateAuthorisation | null;
  /** The staff token that requested it (null for a runbook's re-request). */
  requestedByToken: string | null;
  /** The staff console account that requested it (null through the API or a runbook). */
  requestedByAccount?: string | null;
}

/** Who decides: a staff token (the API) or a staff console account. */
export interface Authoriser {
  token?: string | null;
  account?: string | null;
}

/** Only a held request, still REQUESTED, takes an authorisation decision. */
function assertAwaiting(mandate: AuthorisationFacts): void {
  if (mandate.authorisation === null) {
    throw new RuleViolation('C6', 'this mandate request needs no authorisation: the hub did not require it when it was requested', 'conflict');
  }
  if (mandate.authorisation !== 'awaiting') throw new RuleViolation('C6', `this mandate request was ${mandate.authorisation} already`, 'conflict');
  if (mandate.state !== 'REQUESTED') throw new RuleViolation('C6', `a mandate in state ${mandate.state} is not waiting for authorisation`, 'conflict');
}

/** Four eyes: a held request is authorised by another staff identity than the one that requested it. */
export function assertAuthorisable(mandate: AuthorisationFacts, by: string | Authoriser): void {
  assertAwaiting(mandate);
  const who: Authoriser = typeof by === 'string' ? { token: by } : by;
  if (mandate.requestedByAccount && mandate.requestedByAccount === who.account) {
    throw new RuleViolation(
      'C6',
      'four eyes: a mandate request is authorised by a second person, and this account requested it; another person must authorise it (nothing was sent)',
      'forbidden',
    );
  }
  if (mandate.requestedByToken !== null && mandate.requestedByToken === who.token) {
    throw new RuleViolation(
      'C6',
      'four eyes: a mandate request is authorised by a second person, and this staff token requested it; another staff token must authorise it (nothing was sent)',
      'forbidden',
    );
  }
}

/** A held request can be refused by anyone who may see it (the requester too: that is a withdrawal). */
export function assertAuthorisationRefusable(mandate: AuthorisationFacts): void {
  assertAwaiting(mandate);
}

/** The reason a refused request carries as a REJECTED mandate. */
export function refusedAuthorisationReason(by: string, reason: string | undefined): string {
  return `not authorised: refused by ${by}${reason ? ` (${reason})` : ''}; nothing was sent`;
}
