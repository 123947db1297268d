/**
 * K4 [ours]: KvK accepts the annual accounts of a company once per financial year; a second deposit of a year is
 * refused by KvK ("boekjaar al gedeponeerd", digipoort-wus.md §10 item 9) after the client has reviewed and approved
 * it, unless it declares itself a resubmission because of insurmountable inaccuracies
 * (`kvk-i:DocumentResubmissionDueToUnsurmountableInaccuracies` = Ja, filings-xbrl.md §5.3). The hub refuses such a
 * deposit at preparation instead, naming the deposit it already made. Pure.
 */
import { RuleViolation } from './errors';
import type { FilingKindDefinition } from './kinds/types';

/** A version of the same filing (organisation, kind, year) that the receiver already accepted (lifecycle 80). */
export interface AcceptedDeposit {
  number: number;
  version: number;
  /** When it reached 80 (ISO). */
  acceptedAt: string;
}

/** Whether the receiver accepts one filing per organisation and period only (KvK: one deposit per financial year). */
export function acceptsOncePerPeriod(spec: Pick<FilingKindDefinition, 'oncePerPeriod'>): boolean {
  return spec.oncePerPeriod;
}

/**
 * K4: a deposit of a year already deposited through this hub is refused, unless it is a resubmission. `accepted`
 * lists the versions of this filing at 80.
 */
export function assertNotDepositedAlready(
  spec: Pick<FilingKindDefinition, 'oncePerPeriod' | 'label'>,
  period: string,
  accepted: readonly AcceptedDeposit[],
  resubmission: boolean,
): void {
  if (!acceptsOncePerPeriod(spec) || resubmission || accepted.length === 0) return;
  const first = accepted[0];
  throw new RuleViolation(
    'K4',
    `the ${spec.label} ${period} was already deposited at KvK through this hub (message ${first.number}, version ${first.version}, ` +
      `status 80 on ${first.acceptedAt.slice(0, 10)}); KvK refuses a second deposit of the year. Only a resubmission because of ` +
      'insurmountable inaccuracies is accepted: set document.resubmission to true (written as ' +
      'kvk-i:DocumentResubmissionDueToUnsurmountableInaccuracies "Ja")',
    'conflict',
    'document.resubmission',
  );
}
