/**
 * What one filing kind declares: everything in which VAT, ICP, supplement and KvK differ that is a rule, not I/O.
 * Pure and deterministic, so workflows may ask it too. The XBRL side of a kind lives in `integrations/xbrl/kinds/`.
 */
import type { DigipoortReceiver } from '../digipoort-status';
import type { TaxPeriod } from '../periods';

/** The identifier that routes a filing to its organisation (A5) and is the belanghebbende at Digipoort. */
export interface IdentifierType {
  /** The field of the filing request and of the organisation that carries it. */
  field: 'obNumber' | 'kvkNumber';
  /** The organisations column that holds it. */
  column: 'ob_number' | 'kvk_number';
  /** How people call it, in errors and logs. */
  label: string;
  /** The canonical form: throws a ValidationError naming the field when the value is not one. */
  normalize(value: string): string;
}

/** What the due date of a filing may depend on besides its period. */
export interface DueDateInput {
  /** The day the filing was prepared (YYYY-MM-DD). */
  preparedOn: string;
  /** KvK: the end of the financial year the annual report covers. */
  financialYearEnd?: string;
  /** KvK: the date of adoption (datum vaststelling). */
  adoptionDate?: string;
}

/** The client's approval on the portal (A1–A3, K1–K3): where the kinds differ. */
export interface ApprovalRules {
  /**
   * K3: the client first sets "annual accounts adopted", then gives the final approval on the rebuilt content.
   * Kinds without it can never be adopted.
   */
  adoptionBeforeApproval: boolean;
  /** K1: the kind enters the hub only when its message type is linked to the portal approval; the rule and why. */
  onlyThroughPortal?: { rule: string; reason: string };
  /** A2: while one of these waits for approval on the portal, no annual supplement is created. */
  holdsBackAnnualSupplement: boolean;
  /** A2: this filing (for this period) cannot be created while a return of the client waits for approval. */
  waitsForReturnsAwaitingApproval(period: TaxPeriod): boolean;
}

/** What the client sees on the portal beside the content itself. */
export interface PortalWording {
  /** The label of the final approval button. */
  approveButton: string;
}

export interface FilingKindDefinition<K extends string = string> {
  kind: K;
  /** The Digipoort message type (filings-xbrl.md §1.7, §5). */
  berichtsoort: string;
  receiver: DigipoortReceiver;
  identifier: IdentifierType;
  /** identiteitBelanghebbende/type at Digipoort. */
  identityType: string;
  /**
   * The firm files as intermediary with the client's Becon number (C4: ContactType INT and TaxConsultantNumber in the
   * header); kinds without a Becon are filed without one.
   */
  filedWithBecon: boolean;
  /** Fiscal messages may be cleaned up without the status checks (H15). */
  fiscal: boolean;
  /** H14: outgoing attachments travel with the message as berichtBijlagen (the receiving process takes them). */
  sendsAttachments: boolean;
  /** K4: the receiver takes one deposit per organisation and period (a second only as a declared resubmission). */
  oncePerPeriod: boolean;
  label: string;
  labelNl: string;
  approval: ApprovalRules;
  portal: PortalWording;
  /** The statutory due date (filings-xbrl.md §7), ISO date. */
  dueDate(period: string, input: DueDateInput): string;
}

/** Declares a kind, keeping its `kind` as a literal type (the registry's FilingKind is the union of them). */
export function defineKind<K extends string>(definition: FilingKindDefinition<K>): FilingKindDefinition<K> {
  return Object.freeze(definition);
}
