import { findKind } from '../../domain/kinds';
import { LIFECYCLE, lifecycleLabel, type LifecycleCode } from '../../domain/lifecycle';
import { TURNOVER_BOXES, VAT_AMOUNT_BOXES, VAT_BOXES, type TurnoverBox, type VatBox, type VatReturnAmounts } from '../../domain/vat';
import { kindContent, type PortalView } from '../../integrations/xbrl/kinds';

/**
 * Server-rendered pages of the client portal. Plain HTML with one stylesheet and no inline script (the Content
 * Security Policy forbids it); every value is escaped.
 */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function page(title: string, body: string, options: { organisation?: string; csrf?: string } = {}): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} — Client portal</title>
<link rel="icon" href="/portal/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/portal/assets/portal.css">
<script src="/portal/assets/portal.js" defer></script>
</head>
<body>
<header>
  <a class="brand" href="/portal">Client portal</a>
  ${options.organisation ? `<span class="who">${escapeHtml(options.organisation)}</span>` : ''}
  ${options.csrf ? `<form method="post" action="/portal/logout" class="logout"><input type="hidden" name="csrf" value="${escapeHtml(options.csrf)}"><button type="submit">Log out</button></form>` : ''}
</header>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>`;
}

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

export function kindLabel(kind: string): string {
  return findKind(kind)?.label ?? kind;
}

export function statusLabel(f: Pick<PortalFiling, 'lifecycle' | 'kind'>): string {
  if (f.lifecycle === null || !LIFECYCLE[f.lifecycle]) return '';
  return lifecycleLabel(f.lifecycle, findKind(f.kind)?.receiver ?? 'belastingdienst');
}

function euro(value: number): string {
  return `€ ${value.toLocaleString('nl-NL')}`;
}

function vatTable(amounts: VatReturnAmounts, extra: [string, string, number][] = []): string {
  const rows = Object.values(VAT_BOXES).map((box) => {
    const turnover = (TURNOVER_BOXES as readonly string[]).includes(box.box) ? amounts.turnover[box.box as TurnoverBox] : undefined;
    const vat = (VAT_AMOUNT_BOXES as readonly string[]).includes(box.box) ? amounts.vat[box.box as VatBox] : undefined;
    const total = box.box === '5a' || box.box === '5b' || box.box === '5g' ? amounts[box.box] : undefined;
    return `<tr data-box="${escapeHtml(box.box)}"><th>${escapeHtml(box.box)}</th><td>${escapeHtml(box.labelNl)}<div class="en">${escapeHtml(box.labelEn)}</div></td>` +
      `<td class="num">${turnover !== undefined ? euro(turnover) : ''}</td><td class="num">${vat !== undefined ? euro(vat) : total !== undefined ? euro(total) : ''}</td></tr>`;
  }).join('');
  const more = extra.map(([box, label, value]) => `<tr data-box="${escapeHtml(box)}"><th>${escapeHtml(box)}</th><td>${escapeHtml(label)}</td><td></td><td class="num">${euro(value)}</td></tr>`).join('');
  return `<table class="boxes"><thead><tr><th>Box</th><th>Rubriek</th><th>Omzet</th><th>Omzetbelasting</th></tr></thead><tbody>${rows}${more}</tbody></table>`;
}

/** A table of amounts with a text cell per column but the last, which holds the amount. */
function amountsTable(columns: string[], rows: { cells: string[]; amount: number }[]): string {
  const body = rows.map((r) => `<tr>${r.cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}<td class="num">${euro(r.amount)}</td></tr>`).join('');
  return `<table class="boxes"><thead><tr>${columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead><tbody>${body}</tbody></table>`;
}

function renderView(view: PortalView): string {
  switch (view.layout) {
    case 'form-boxes':
      return vatTable(view.amounts, view.extra.map((e) => [e.box, e.label, e.amount]));
    case 'amounts-table':
      return amountsTable(view.columns, view.rows);
    case 'document':
      return `<table class="document">${view.rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>` +
        `<p class="note">${escapeHtml(view.note)}</p>`;
  }
}

/** What the client approves, readable, as the filing's kind shows it: the VAT boxes, the ICP totals, the KvK document. */
export function renderContent(f: PortalFiling): string {
  const kind = findKind(f.kind);
  if (!kind) return '';
  let view: PortalView | undefined;
  try {
    view = kindContent(kind.kind).portalView(f);
  } catch {
    return '<p class="warning">The content could not be shown; ask your accountant.</p>';
  }
  return view ? renderView(view) : '';
}

export function filingRow(f: PortalFiling): string {
  return `<tr data-filing="${escapeHtml(f.id)}"><td><a href="/portal/filings/${escapeHtml(f.id)}">${escapeHtml(kindLabel(f.kind))} ${escapeHtml(f.period ?? '')}</a></td>` +
    `<td class="lifecycle" data-lifecycle="${escapeHtml(f.lifecycle)}">${escapeHtml(f.lifecycle)} — ${escapeHtml(statusLabel(f))}</td>` +
    `<td>${escapeHtml(f.dueDate ?? '')}</td></tr>`;
}

export function decisionForms(f: PortalFiling, csrf: string): string {
  if (f.lifecycle !== 30) return '';
  const hidden = `<input type="hidden" name="csrf" value="${escapeHtml(csrf)}"><input type="hidden" name="contentSha256" value="${escapeHtml(f.contentSha256)}">`;
  const action = `/portal/filings/${escapeHtml(f.id)}/decision`;
  const kind = findKind(f.kind);
  // K3: a kind adopted before approval shows the adoption first, then the final approval.
  const adoption = kind?.approval.adoptionBeforeApproval ?? false;
  const adopt = adoption && !f.adopted
    ? `<form method="post" action="${action}" class="decision">${hidden}<input type="hidden" name="decision" value="adopt"><button type="submit" name="adopt">The annual accounts are adopted</button></form>`
    : '';
  const approve = !adoption || f.adopted
    ? `<form method="post" action="${action}" class="decision">${hidden}<input type="hidden" name="decision" value="approve"><button type="submit" name="approve">${escapeHtml(kind?.portal.approveButton ?? 'Approve')}</button></form>`
    : '';
  const reject = `<form method="post" action="${action}" class="decision reject">${hidden}<input type="hidden" name="decision" value="reject">` +
    `<label>Reason for rejecting <textarea name="reason" required maxlength="2000"></textarea></label><button type="submit" name="reject">Reject</button></form>`;
  return `<section class="decide">${adopt}${approve}${reject}</section>`;
}
