/**
 * Digipoort process statuses (digipoort-wus.md §5): what each code means, whether it is final, and the monotonic merge
 * of rule H6 (only a higher status is applied; an accepted filing never goes back to "sent"). Pure and deterministic.
 *
 * Only codes seen in a cited source are in the table; any other code is 'unknown': not final, logged and alerted, and
 * never given an invented meaning (§5.3).
 */

/** The receiving ("uitvragende") party behind Digipoort. */
export type DigipoortReceiver = 'belastingdienst' | 'kvk';

export type StatusClassification = 'in-progress' | 'success' | 'failure' | 'unknown';

/** The processing step a code reports on (the hundreds digit, §5.2 pattern). */
export type DigipoortStep =
  | 'delivery'
  | 'authentication'
  | 'validation'
  | 'delivery-to-receiver'
  | 'receiver-validation'
  | 'receiver-processing';

export interface DigipoortStatusDefinition {
  code: string;
  /**
   * The exact `statusomschrijving` Digipoort sends, for the codes seen in captured traffic (§5.1 Happyflow). Absent where
   * only the meaning is known: never compare received text against `meaningNl`.
   */
  statusomschrijving?: string;
  /** Meaning in Dutch (§5.2). */
  meaningNl: string;
  meaningEn: string;
  step: DigipoortStep;
  /**
   * - `in-progress`: keep polling;
   * - `final-success` / `final-failure`: the process has ended;
   * - `conditional`: depends on the fault code (420: final only with AFS600);
   * - `unverified`: the code exists in public code but its meaning is not confirmed; treated as 'unknown'.
   */
  finality: 'in-progress' | 'final-success' | 'final-failure' | 'conditional' | 'unverified';
  /** Evidence level in digipoort-wus.md: V verified, I inferred, U unverified. */
  evidence: 'V' | 'I' | 'U';
}

function def(
  code: string,
  step: DigipoortStep,
  finality: DigipoortStatusDefinition['finality'],
  evidence: DigipoortStatusDefinition['evidence'],
  meaningNl: string,
  meaningEn: string,
  statusomschrijving?: string,
): DigipoortStatusDefinition {
  return statusomschrijving === undefined
    ? { code, meaningNl, meaningEn, step, finality, evidence }
    : { code, statusomschrijving, meaningNl, meaningEn, step, finality, evidence };
}

/** The Digipoort status codes of §5.1 and §5.2, keyed by code. */
export const DIGIPOORT_STATUSES: Readonly<Record<string, DigipoortStatusDefinition>> = {
  // §5.1: verified, with the exact statusomschrijving of the captured Happyflow.
  '105': def('105', 'delivery', 'in-progress', 'V', 'Aanleverproces gestart', 'Delivery process started', 'Aanleverproces gestart.'),
  '100': def('100', 'delivery', 'in-progress', 'V', 'Aanleveren gelukt', 'Delivery succeeded', 'Aanleveren gelukt.'),
  '110': def(
    '110',
    'delivery',
    'in-progress',
    'V',
    'Aanleverproces wordt aangeboden',
    'Delivery process is being offered',
    'Aanleverproces wordt aangeboden.',
  ),
  '200': def('200', 'authentication', 'in-progress', 'V', 'Authenticatie gelukt', 'Authentication succeeded', 'Authenticatie gelukt.'),
  '301': def('301', 'validation', 'in-progress', 'V', 'Validatie gelukt', 'Validation succeeded', 'Validatie gelukt.'),
  '405': def(
    '405',
    'delivery-to-receiver',
    'in-progress',
    'V',
    'Afleveren naar uitvragende partij bezig',
    'Delivery to the receiving party in progress',
    'Afleveren naar uitvragende partij bezig...',
  ),
  '400': def(
    '400',
    'delivery-to-receiver',
    'in-progress',
    'V',
    'Afleveren uitvragende partij gelukt',
    'Delivered to the receiving party',
    'Afleveren uitvragende partij gelukt.',
  ),
  '500': def(
    '500',
    'receiver-validation',
    'final-success',
    'V',
    'Validatie bij de uitvragende partij gelukt',
    'Validation by the receiving party succeeded',
    'Validatie bij de uitvragende partij gelukt.',
  ),
  // §5.2: meaning known, exact statusomschrijving not captured.
  '210': def(
    '210',
    'authentication',
    'final-failure',
    'V',
    'Authenticatie (verzender) niet gelukt: de verzender is niet gemachtigd om het bericht te verzenden',
    'Sender authentication failed: the sender is not authorised to send this message',
  ),
  '220': def(
    '220',
    'authentication',
    'unverified',
    'U',
    'Onbekend (waarschijnlijk autorisatie/AuSP mislukt; Business Central behandelt het als afgekeurd)',
    'Unknown (probably an authorisation/AuSP failure; Business Central treats it as rejected)',
  ),
  '230': def(
    '230',
    'authentication',
    'final-failure',
    'V',
    'Technisch probleem bij de Autorisatie Service Provider (AuSP)',
    'Technical problem at the authorisation service provider (AuSP)',
  ),
  '311': def('311', 'validation', 'final-failure', 'V', 'Validatie niet gelukt', 'Validation failed (VAS500; error list in the details)'),
  '321': def(
    '321',
    'validation',
    'final-failure',
    'V',
    'Technische problemen bij validatie',
    'Technical problems during validation (VAS400)',
  ),
  '410': def(
    '410',
    'delivery-to-receiver',
    'final-failure',
    'V',
    'Afleveren uitvragende partij niet gelukt',
    'Delivery to the receiving party failed (AFS400 or AFO100)',
  ),
  '420': def(
    '420',
    'delivery-to-receiver',
    'conditional',
    'V',
    'Technisch probleem bij de afleverservice van de uitvragende partij',
    'Technical problem at the receiving party; Digipoort retries for 72 hours, final only with AFS600',
  ),
  '510': def(
    '510',
    'receiver-validation',
    'final-failure',
    'U',
    'Validatie bij de uitvragende partij niet gelukt',
    'Validation by the receiving party failed',
  ),
  '710': def(
    '710',
    'receiver-processing',
    'unverified',
    'U',
    'Onbekend (Business Central behandelt het als afgekeurd)',
    'Unknown (Business Central treats it as rejected)',
  ),
  '720': def(
    '720',
    'receiver-processing',
    'unverified',
    'U',
    'Onbekend (Business Central behandelt het als geaccepteerd)',
    'Unknown (Business Central treats it as accepted)',
  ),
};

/** The verified successful sequence (§5.1, Aansluit Suite "Happyflow"), 301 twice, ending in 500. */
export const DIGIPOORT_HAPPY_FLOW: readonly { code: string; statusomschrijving: string }[] = [
  '105',
  '100',
  '110',
  '200',
  '301',
  '301',
  '405',
  '400',
  '500',
].map((code) => ({ code, statusomschrijving: DIGIPOORT_STATUSES[code].statusomschrijving as string }));

function lookup(code: string): DigipoortStatusDefinition | undefined {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(DIGIPOORT_STATUSES, code)
    ? DIGIPOORT_STATUSES[code]
    : undefined;
}

/** The fault code that makes a 420 final: Digipoort gave up after 72 hours of retries. */
export const MAX_DELIVERY_ATTEMPTS_FOUTCODE = 'AFS600';

function hasFoutcode(foutcode: string | undefined): foutcode is string {
  return typeof foutcode === 'string' && foutcode.trim() !== '';
}

export interface StatusInput {
  code: string;
  /** `statusFoutcode` of the StatusResultaat (its code), when present. */
  foutcode?: string;
  receiver: DigipoortReceiver;
}

/**
 * Classify one Digipoort status (§5.3), in this order:
 * 1. 420: failure with AFS600 (Digipoort stopped retrying), otherwise in-progress, **also with another fault code**:
 *    Digipoort retries delivery for 72 hours itself, and treating the retry window as a failure would invite a resend
 *    and a duplicate filing (§5.3 "do not resend"). The specific 420 rule wins over rule 2 [ours].
 * 2. any `statusFoutcode` present ⇒ failure;
 * 3. 210, 230, 311, 321, 410, 510 ⇒ failure;
 * 4. 500 ⇒ success;
 * 5. 105, 100, 110, 200, 301, 405 ⇒ in-progress; 400 ⇒ in-progress for both receivers. For KvK the reference says
 *    "500 if the receiver reports its own validation, otherwise 400; confirm per berichtsoort": **our decision** is to
 *    end KvK on 500 like the Belastingdienst (our simulator does so) and keep polling on 400; revisit once the KvK
 *    berichtsoort is confirmed.
 * 6. anything else (also 220, 710, 720, whose meaning is unverified) ⇒ 'unknown': not final; log and alert.
 */
export function classifyStatus(input: StatusInput): StatusClassification {
  const { code, foutcode } = input;
  if (code === '420') return foutcode?.trim().toUpperCase() === MAX_DELIVERY_ATTEMPTS_FOUTCODE ? 'failure' : 'in-progress';
  if (hasFoutcode(foutcode)) return 'failure';
  const known = lookup(code);
  if (!known) return 'unknown';
  switch (known.finality) {
    case 'final-failure':
      return 'failure';
    case 'final-success':
      return 'success';
    case 'in-progress':
      return 'in-progress';
    default:
      return 'unknown';
  }
}

/** Whether a classification ends the Digipoort process (success or failure). */
export function isFinalClassification(c: StatusClassification): boolean {
  return c === 'success' || c === 'failure';
}

/**
 * Why a failed process failed, for choosing the next step:
 * - `technical`: authentication/authorisation or delivery trouble (210, 230, 321, 410, 420 + AFS600): nothing is wrong
 *   with the content; fix the cause (certificate, wait for the receiver) and resend the same filing after a reset (H10);
 * - `rejected`: the content was refused (311 validation, 510 receiver validation, or any other code with a fault code):
 *   a corrected filing is needed.
 * Returns undefined when the status is not a failure.
 */
export function digipoortFailureKind(input: StatusInput): 'technical' | 'rejected' | undefined {
  if (classifyStatus(input) !== 'failure') return undefined;
  return ['210', '230', '321', '410', '420'].includes(input.code) ? 'technical' : 'rejected';
}

// ---------------------------------------------------------------------------------------------------------------
// H6: the monotonic merge
// ---------------------------------------------------------------------------------------------------------------

/** Progress order of the in-progress codes (H6): not the numeric order (105 precedes 100, 405 precedes 400). */
const PROGRESS_ORDER = ['105', '100', '110', '200', '301', '405', '420', '400'] as const;
/** Rank of every final status, success or failure: above every in-progress status. */
export const FINAL_STATUS_RANK = 100;

/**
 * Progress rank of a status (H6): 105 < 100 < 110 < 200 < 301 < 405 < 420 (delivery retrying) < 400 < any final status
 * (success or failure, all equal); unknown codes rank 0. A code with a fault code is final (see `classifyStatus`), so
 * pass the fault code when there is one.
 */
export function statusRank(code: string, foutcode?: string): number {
  const c = classifyStatus({ code, foutcode, receiver: 'belastingdienst' }); // receiver does not change the rank
  if (isFinalClassification(c)) return FINAL_STATUS_RANK;
  if (c === 'unknown') return 0;
  return PROGRESS_ORDER.indexOf(code as (typeof PROGRESS_ORDER)[number]) + 1;
}

/** One status as received (a StatusResultaat), for the merge. Extra fields travel along unchanged. */
export interface StatusEvent {
  code: string;
  foutcode?: string;
  /** `tijdstempelStatus`, as received. */
  timestamp?: string;
  /** `statusomschrijving`, as received. */
  description?: string;
}

/**
 * H6: the status to apply when `incoming` arrives while `current` is applied: `incoming` only when it ranks strictly
 * higher, else `current` (ties keep current: a repeated 301 changes nothing; the first final status stays, whether
 * success or failure). With no current status, `incoming` is applied, even an unknown one (rank 0), which any known
 * status then replaces. Returns one of the two objects unchanged.
 */
export function mergeStatus<T extends StatusEvent>(current: T | undefined, incoming: T): T {
  if (current === undefined) return incoming;
  return statusRank(incoming.code, incoming.foutcode) > statusRank(current.code, current.foutcode) ? incoming : current;
}

// ---------------------------------------------------------------------------------------------------------------
// H13: log hints
// ---------------------------------------------------------------------------------------------------------------

const CERTIFICATE_HINT = 'H13: check which certificate was used and that it is known at the service provider';
const RECEIVER_HINT = 'H13: problem at the receiver: retry later';

/**
 * The hint rule H13 asks for in the communication log: for 210 "Authenticatie niet gelukt" check the certificate; for
 * problems at the receiver (230, 321, 410, 420) retry later (for 420: Digipoort itself retries for 72 hours, so do not
 * resend while it does). Undefined for every other code.
 */
export function statusLogHint(code: string): string | undefined {
  switch (code) {
    case '210':
      return CERTIFICATE_HINT;
    case '420':
      return `${RECEIVER_HINT} (Digipoort retries delivery for 72 hours by itself; do not resend while it does)`;
    case '230':
    case '321':
    case '410':
      return RECEIVER_HINT;
    default:
      return undefined;
  }
}
