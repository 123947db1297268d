import { findKind } from '../../domain/kinds';
import type { LifecycleCode } from '../../domain/lifecycle';
import { SUPPLEMENT_BOXES, TURNOVER_BOXES, VAT_AMOUNT_BOXES, VAT_BOXES, vatBalanceDirection, type TurnoverBox, type VatBox } from '../../domain/vat';
import { kindContent, type PortalView } from '../../integrations/xbrl/kinds';

/**
 * What the client approves, as the templates show it (`api/views/partials/filing-content.eta`, used by the portal and
 * by the staff console's filing page): the kind's view of the stored content, made into rows. Plain data (it is built
 * on a worker thread and cloned back); no words but the domain's own box labels: the templates speak the language.
 */
export interface PortalFiling {
  id: string;
  number: number;
  kind: string;
  period: string | null;
  lifecycle: LifecycleCode | null;
  digipoortStatus: string | null;
  identityNumber: string;
  contentXml: string | null;
  contentSha256: string | null;
  dueDate: string | null;
  lastStatusChangeAt: string;
  input: { document?: Record<string, unknown> & { signedBy?: Record<string, unknown>; financialYear?: { start: string; end: string } } } | null;
  adopted: boolean;
  /** The filing workflow that takes the client's decision. */
  workflowId: string | null;
}

/** One row of the VAT form: the box, its labels (or a dictionary key when the words depend on the sign), amounts. */
export interface BoxRow {
  box: string;
  labelNl: string;
  labelEn: string;
  /** A dictionary key that replaces the labels (5g: to pay or to reclaim, by its sign). */
  labelKey?: string;
  turnover?: number;
  amount?: number;
}

export type ContentModel =
  | { layout: 'none' }
  | { layout: 'unreadable' }
  | { layout: 'form-boxes'; rows: BoxRow[] }
  | Exclude<PortalView, { layout: 'form-boxes' }>;

function formRows(view: Extract<PortalView, { layout: 'form-boxes' }>): BoxRow[] {
  const { amounts, supplement } = view;
  const rows: BoxRow[] = [];
  for (const box of Object.values(VAT_BOXES)) {
    // A supplement has no return 5g: its own 5e–5g follow (filings-xbrl.md §3).
    if (supplement && box.box === '5g') continue;
    const row: BoxRow = { box: box.box, labelNl: box.labelNl, labelEn: box.labelEn };
    if ((TURNOVER_BOXES as readonly string[]).includes(box.box)) row.turnover = amounts.turnover[box.box as TurnoverBox];
    if ((VAT_AMOUNT_BOXES as readonly string[]).includes(box.box)) row.amount = amounts.vat[box.box as VatBox];
    if (box.box === '5a' || box.box === '5b') row.amount = amounts[box.box];
    if (box.box === '5g') {
      row.labelKey = `portal_5g_${vatBalanceDirection(amounts['5g'])}`;
      row.amount = Math.abs(amounts['5g']);
    }
    rows.push(row);
  }
  if (supplement) {
    for (const box of ['5e', '5f', '5g'] as const) {
      const labels = SUPPLEMENT_BOXES[box];
      const row: BoxRow = { box, labelNl: labels.labelNl, labelEn: labels.labelEn, amount: supplement[box] };
      if (box === '5g') {
        row.labelKey = `portal_supplement_5g_${vatBalanceDirection(supplement['5g'])}`;
        row.amount = Math.abs(supplement['5g']);
      }
      rows.push(row);
    }
  }
  return rows;
}

/** The content of a filing for the templates; unreadable content is said so, never shown half. */
export function portalContent(f: PortalFiling): ContentModel {
  const kind = findKind(f.kind);
  if (!kind) return { layout: 'none' };
  let view: PortalView | undefined;
  try {
    view = kindContent(kind.kind).portalView(f);
  } catch {
    return { layout: 'unreadable' };
  }
  if (!view) return { layout: 'none' };
  return view.layout === 'form-boxes' ? { layout: 'form-boxes', rows: formRows(view) } : view;
}
