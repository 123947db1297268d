import { latestYear, type MasterDataYear } from './certificates';
import { RuleViolation, ValidationError } from './errors';
import { covers, type MandateService, type MandateState } from './mandates';

/**
 * Retrieving a client's pre-filled income-tax data (VIA, vooraf ingevulde aangifte; seed 000, C4, C6) as pure rules:
 * which year, which mandate allows it, and when the answer is looked for. The certificate is the one mandates are
 * requested with (C4: the client's Becon in its latest master-data year), chosen by domain/certificates.ts.
 */

/**
 * requested: stored, its workflow sends it; submitted: Digipoort has it, the answer is awaited; retrieved: the data is
 * stored; refused: the tax authority answered that it will not give the data (e.g. no active mandate in its register);
 * failed: Digipoort refused or failed the request, it could not be sent, or no answer came in time.
 */
export type ViaRetrievalState = 'requested' | 'submitted' | 'retrieved' | 'refused' | 'failed';

export const RUNNING_VIA_STATES: readonly ViaRetrievalState[] = ['requested', 'submitted'];

export function isRunning(state: ViaRetrievalState): boolean {
  return RUNNING_VIA_STATES.includes(state);
}

/**
 * C4: the year to fetch when none is named: the most recent year of the client's master data (seed 000: "het meest
 * recente jaar wordt altijd gebruikt om ... de VIA op te halen").
 */
export function defaultViaYear(masterData: readonly MasterDataYear[]): number {
  const latest = latestYear(masterData);
  if (!latest) throw new RuleViolation('C4', 'the client has no master data, so it has no most recent year to fetch the VIA for: name the year; nothing was sent', 'invalid');
  return latest.year;
}

export function assertViaYear(year: number): void {
  if (!Number.isInteger(year) || year < 2000 || year > 2100) throw new ValidationError('year', 'year must be a tax year (2000–2100)');
}

export interface MandateFacts {
  id: string;
  service: MandateService;
  year: number;
  continuing: boolean;
  state: MandateState;
  intermediaryKvk: string | null;
}

/**
 * C6: VIA data is fetched only under an ACTIVE VIA mandate that covers the year (VIA is opt-in: active once the
 * activation code from the client's letter was sent). Answers that mandate; refuses before anything is sent.
 */
export function viaMandateFor(mandates: readonly MandateFacts[], year: number): MandateFacts {
  const active = mandates.find((m) => m.service === 'VIA' && m.state === 'ACTIVE' && covers(m, year));
  if (active) return active;
  const open = mandates.find((m) => m.service === 'VIA' && (m.state === 'REQUESTED' || m.state === 'ONTVANGEN') && covers(m, year));
  throw new RuleViolation(
    'C6',
    open
      ? `the client's VIA mandate for ${year} is ${open.state}, not ACTIVE (mandate ${open.id}): it becomes active once the activation code from the client's letter is sent; nothing was sent`
      : `the client has no ACTIVE VIA mandate that covers ${year}: request one and activate it with the code from the client's letter; nothing was sent`,
    'conflict',
  );
}

/**
 * C4 with RB1: the register knows the mandate under the KvK number behind the certificate it was requested with.
 * When the client's latest-year Becon now signs with a certificate of another KvK number, the register would not know
 * the firm: the mandate must be revoked and requested again first.
 */
export function assertSameIntermediary(mandate: MandateFacts, certificate: { label: string; kvkNumber: string | null }): void {
  if (mandate.intermediaryKvk && certificate.kvkNumber && mandate.intermediaryKvk !== certificate.kvkNumber) {
    throw new RuleViolation(
      'C4',
      `the VIA mandate (${mandate.id}) was registered for KvK ${mandate.intermediaryKvk}, but the client's Becon in its latest year now signs with certificate "${certificate.label}" of KvK ${certificate.kvkNumber}: revoke the mandate and request it again (RB1); nothing was sent`,
      'conflict',
    );
  }
}

/** [ours] One retrieval of a client and year at a time: a second one waits for the first one's answer. */
export function assertNoRunningRetrieval(year: number, running: { id: string } | undefined): void {
  if (running) {
    throw new RuleViolation('C6', `a VIA retrieval of ${year} for this client is already running (${running.id}): wait for its answer; nothing was sent`, 'conflict');
  }
}

/** One workflow per retrieval, named with internal ids only (never the fiscal number). */
export function viaRetrievalWorkflowId(participant: string, organisationId: string, year: number, sequence: number): string {
  return `via-${participant}-${organisationId}-${year}-${sequence}`;
}

/** The aanleverkenmerk of one attempt to send a retrieval's request (≤ 40 characters). */
export function viaAanleverkenmerk(participant: string, retrievalSeq: number, attempt: number): string {
  const value = `VIA${participant}-${retrievalSeq}-a${attempt}`;
  if (value.length > 40) throw new RangeError('aanleverkenmerk longer than 40 characters');
  return value;
}

/** How long after sending the answer is looked for: soon, then backing off to every ten minutes. */
export function nextViaCheckDelayMs(checks: number): number {
  return Math.min(1000 * 2 ** Math.min(checks, 20), 10 * 60_000);
}

/**
 * [ours] Digipoort keeps trying to deliver for 72 hours (420); an answer that has not come a day after that will not
 * come, and the retrieval ends as failed (a new one may be started).
 */
export const VIA_ANSWER_DEADLINE_MS = 96 * 3_600_000;
