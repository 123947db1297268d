/**
 * Rule K4: the lifecycle of a filing that goes through the client portal. The seed lists it for KvK annual reports; we
 * use the same codes for every portal filing (VAT, ICP and supplements too), with "the tax authority" for "KvK"
 * [ours]. The raw Digipoort process statuses are kept beside it (`digipoort-status.ts`). Pure and deterministic.
 */
import { RuleViolation } from './errors';
import {
  classifyStatus,
  digipoortFailureKind,
  type DigipoortReceiver,
  type StatusClassification,
  type StatusInput,
} from './digipoort-status';

export type LifecycleCode = 0 | 5 | 10 | 20 | 25 | 30 | 40 | 50 | 60 | 70 | 80 | 90;

/** The authority a filing goes to; labels name it ("KvK" / "the tax authority"). */
export type Authority = DigipoortReceiver;

export interface LifecycleDefinition {
  code: LifecycleCode;
  /** Labels per authority: English, and Dutch as in the seed (KvK wording verbatim from seed 003). */
  labels: { en: Record<Authority, string>; nl: Record<Authority, string> };
  /** No transition leads out of it (40, 80, 90). */
  final: boolean;
  /** An error state (5, 25, 70); 70 can be reset and resent (H10). */
  error: boolean;
  /** Labels of a filing that needs no client approval, where the usual ones would say "approved by the client". */
  labelsWithoutApproval?: LifecycleDefinition['labels'];
  note?: string;
}

function same(en: string, nl: string): LifecycleDefinition['labels'] {
  return { en: { belastingdienst: en, kvk: en }, nl: { belastingdienst: nl, kvk: nl } };
}

function per(en: (authority: string) => string, nl: (authority: string) => string): LifecycleDefinition['labels'] {
  return {
    en: { belastingdienst: en('the tax authority'), kvk: en('KvK') },
    nl: { belastingdienst: nl('de Belastingdienst'), kvk: nl('KvK') },
  };
}

/** K4, in code order. The first two codes are lost in the seed text; we use 0 and 5 (domain.md K4). */
export const LIFECYCLE: Readonly<Record<LifecycleCode, LifecycleDefinition>> = {
  0: {
    code: 0,
    labels: same('Prepared for sending to the portal', 'Klaargezet voor verzending naar portal'),
    final: false,
    error: false,
  },
  5: { code: 5, labels: same('Error sending to the portal', 'Fout bij verzenden naar portal'), final: false, error: true },
  10: { code: 10, labels: same('Sent to the portal', 'Verzonden naar portal'), final: false, error: false },
  20: { code: 20, labels: same('Being processed in the portal', 'Bezig met verwerken in portal'), final: false, error: false },
  25: { code: 25, labels: same('Error processing in the portal', 'Fout bij verwerken in portal'), final: false, error: true },
  30: {
    code: 30,
    labels: same('Offered to the client for review', 'Aangeboden ter beoordeling door cliënt'),
    final: false,
    error: false,
  },
  40: { code: 40, labels: same('Rejected by the client', 'Afgekeurd door cliënt'), final: true, error: false },
  50: {
    code: 50,
    labels: per(
      (a) => `Approved by the client, prepared for sending to ${a}`,
      (a) => `Goedgekeurd door cliënt en klaargezet voor verzending naar ${a}`,
    ),
    labelsWithoutApproval: per(
      (a) => `Prepared for sending to ${a}`,
      (a) => `Klaargezet voor verzending naar ${a}`,
    ),
    final: false,
    error: false,
  },
  60: {
    code: 60,
    labels: per(
      (a) => `Approved by the client and sent to ${a}`,
      (a) => `Goedgekeurd door cliënt en verzonden naar ${a}`,
    ),
    labelsWithoutApproval: per(
      (a) => `Sent to ${a}`,
      (a) => `Verzonden naar ${a}`,
    ),
    final: false,
    error: false,
  },
  70: {
    code: 70,
    labels: per(
      (a) => `Error sending to ${a}`,
      (a) => `Fout bij verzenden naar ${a}`,
    ),
    final: false,
    error: true,
    note: 'not final: a person can reset the status and the same (latest) version is resent (H10)',
  },
  80: {
    code: 80,
    labels: {
      en: { belastingdienst: 'Accepted by the tax authority', kvk: 'Deposited at KvK' },
      nl: { belastingdienst: 'Geaccepteerd door de Belastingdienst', kvk: 'Gedeponeerd bij KvK' },
    },
    final: true,
    error: false,
  },
  90: {
    code: 90,
    labels: per(
      (a) => `Rejected by ${a}`,
      (a) => `Afgekeurd door ${a}`,
    ),
    final: true,
    error: false,
    note: 'final: the filing cannot be sent again; a new filing must be created and submitted',
  },
};

export const LIFECYCLE_CODES: readonly LifecycleCode[] = [0, 5, 10, 20, 25, 30, 40, 50, 60, 70, 80, 90];

export function isLifecycleCode(code: unknown): code is LifecycleCode {
  return typeof code === 'number' && (LIFECYCLE_CODES as readonly number[]).includes(code);
}

/**
 * Label of a code for an authority, in English (default) or Dutch. A filing that needed no approval is never said to
 * be "approved by the client" (`approvedByClient` false).
 */
export function lifecycleLabel(code: LifecycleCode, authority: Authority, language: 'en' | 'nl' = 'en', approvedByClient = true): string {
  const definition = LIFECYCLE[code];
  const labels = !approvedByClient && definition.labelsWithoutApproval ? definition.labelsWithoutApproval : definition.labels;
  return labels[language][authority];
}

/**
 * Final lifecycle codes: 40 (rejected by the client), 80 (accepted / deposited) and 90 (rejected by the authority: a
 * new filing is needed). 70 (error sending to the authority) is **not** final: it is an error state that a person can
 * reset, after which the same filing is resent (H10: only the latest version).
 */
export function isFinalLifecycle(code: LifecycleCode): boolean {
  return isLifecycleCode(code) && LIFECYCLE[code].final;
}

/**
 * The lifecycle code a Digipoort classification leads to: success → 80, failure → 90, in-progress → 60. 'unknown'
 * (an unrecognised status code) also gives 60: not final, the filing stays "sent" while a person looks at the logged
 * code. See `lifecycleFromDigipoortStatus` for the finer mapping that sends technical failures to 70.
 */
export function lifecycleFromDigipoort(classification: StatusClassification): LifecycleCode {
  switch (classification) {
    case 'success':
      return 80;
    case 'failure':
      return 90;
    default:
      return 60;
  }
}

/**
 * Like `lifecycleFromDigipoort`, from the status itself, telling failures apart [ours]: a content rejection (311, 510,
 * or a fault code) → 90, a new filing is needed; a technical failure (210 certificate, 230 AuSP, 321, 410, 420 + AFS600)
 * → 70, error sending, which can be reset and resent (H10) once the cause is fixed.
 */
export function lifecycleFromDigipoortStatus(status: StatusInput): LifecycleCode {
  const classification = classifyStatus(status);
  if (classification === 'failure' && digipoortFailureKind(status) === 'technical') return 70;
  return lifecycleFromDigipoort(classification);
}

// ---------------------------------------------------------------------------------------------------------------
// Transitions
// ---------------------------------------------------------------------------------------------------------------

/**
 * How a transition happens:
 * - `forward`: the normal flow;
 * - `error`: a step failed;
 * - `reset`: only by an explicit status reset by a person ("Herstellen berichtstatus", H10/H11).
 */
export type TransitionKind = 'forward' | 'error' | 'reset';

export interface LifecycleTransition {
  from: LifecycleCode;
  to: LifecycleCode;
  kind: TransitionKind;
  note?: string;
}

/** The allowed transitions (K4 + H10), as data. Anything not listed is refused. */
export const LIFECYCLE_TRANSITIONS: readonly LifecycleTransition[] = [
  { from: 0, to: 10, kind: 'forward' },
  { from: 10, to: 20, kind: 'forward' },
  { from: 20, to: 30, kind: 'forward' },
  { from: 30, to: 40, kind: 'forward', note: 'the client rejects' },
  { from: 30, to: 50, kind: 'forward', note: 'the client approves' },
  { from: 0, to: 50, kind: 'forward', note: 'approval not required: straight to sending (used where there is no portal)' },
  { from: 50, to: 60, kind: 'forward', note: 'sent to the authority through Digipoort' },
  { from: 60, to: 80, kind: 'forward', note: 'Digipoort final success' },
  { from: 60, to: 90, kind: 'forward', note: 'Digipoort final failure: rejected on content' },
  { from: 0, to: 5, kind: 'error', note: 'sending to the portal failed' },
  { from: 10, to: 25, kind: 'error', note: 'the portal could not process it' },
  { from: 20, to: 25, kind: 'error', note: 'the portal could not process it' },
  { from: 50, to: 70, kind: 'error', note: 'sending to the authority failed' },
  { from: 60, to: 70, kind: 'error', note: 'Digipoort technical failure after sending' },
  { from: 5, to: 0, kind: 'reset', note: 'prepare again for the portal' },
  { from: 25, to: 0, kind: 'reset', note: 'prepare again for the portal' },
  { from: 70, to: 50, kind: 'reset', note: 'H10: reset, ready to send again (latest version only)' },
];

/**
 * Whether `from` → `to` is allowed. With `via` 'normal' (default) only forward and error transitions count; a reset
 * transition (5→0, 25→0, 70→50) is allowed only with `via` 'reset', and `via` 'reset' allows nothing else.
 */
export function canTransition(from: LifecycleCode, to: LifecycleCode, via: 'normal' | 'reset' = 'normal'): boolean {
  return LIFECYCLE_TRANSITIONS.some(
    (t) => t.from === from && t.to === to && (via === 'reset' ? t.kind === 'reset' : t.kind !== 'reset'),
  );
}

/**
 * Like `canTransition`, throwing a `RuleViolation` (409 conflict) that names the rule: H10 for a refused reset or a
 * resend without one, K4 otherwise.
 */
export function assertTransition(
  from: LifecycleCode,
  to: LifecycleCode,
  via: 'normal' | 'reset' = 'normal',
  authority: Authority = 'belastingdienst',
): void {
  if (canTransition(from, to, via)) return;
  const describe = (code: LifecycleCode) => (isLifecycleCode(code) ? `${code} (${lifecycleLabel(code, authority)})` : String(code));
  const resend = from === 70 && (to === 50 || to === 60);
  const rule = via === 'reset' || resend ? 'H10' : 'K4';
  const how = via === 'reset' ? 'a status reset cannot' : resend ? 'only a status reset can' : 'cannot';
  throw new RuleViolation(rule, `a filing ${how} go from ${describe(from)} to ${describe(to)}`, 'conflict');
}
