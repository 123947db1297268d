import { FILING_KINDS, isFilingKind } from '../../domain/filings';
import { LIFECYCLE, lifecycleLabel, type LifecycleCode } from '../../domain/lifecycle';
import { parsePeriod } from '../../domain/periods';
import { TURNOVER_BOXES, VAT_AMOUNT_BOXES, VAT_BOXES, type TurnoverBox, type VatBox, type VatReturnAmounts } from '../../domain/vat';
import { readIcpInstance } from '../../integrations/xbrl/icp';
import { readSupplementInstance } from '../../integrations/xbrl/supplement';
import { readVatReturnInstance } from '../../integrations/xbrl/vat-return';

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
  return isFilingKind(kind) ? FILING_KINDS[kind].label : kind;
}

export function statusLabel(f: Pick<PortalFiling, 'lifecycle' | 'kind'>): string {
  if (f.lifecycle === null || !LIFECYCLE[f.lifecycle]) return '';
  return lifecycleLabel(f.lifecycle, isFilingKind(f.kind) ? FILING_KINDS[f.kind].receiver : 'belastingdienst');
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

/** What the client approves, readable: the VAT boxes with their labels, the ICP totals, or the KvK document information. */
export function renderContent(f: PortalFiling): string {
  const expected = { obNumber: f.identityNumber, period: parsePeriod(f.period ?? '') };
  try {
    if (f.kind === 'vat-return' && f.contentXml) return vatTable(readVatReturnInstance(f.contentXml, expected).amounts);
    if (f.kind === 'vat-supplement' && f.contentXml) {
      const read = readSupplementInstance(f.contentXml, expected);
      return vatTable(read.amounts, [
        ['5e', 'Nieuw totaal (new total)', read.supplement['5e']],
        ['5f', 'Eerder aangegeven (declared before)', read.supplement['5f']],
        ['5g', 'Bij te betalen / terug te vragen (difference)', read.supplement['5g']],
      ]);
    }
    if (f.kind === 'icp' && f.contentXml) {
      const rows = readIcpInstance(f.contentXml, expected)
        .totals.map((t) => `<tr><td>${escapeHtml(t.category)}</td><td>${escapeHtml(t.countryCode)}</td><td>${escapeHtml(t.vatNumber)}</td><td class="num">${euro(t.amount)}</td></tr>`)
        .join('');
      return `<table class="boxes"><thead><tr><th>Category</th><th>Country</th><th>VAT number</th><th>Amount</th></tr></thead><tbody>${rows}</tbody></table>`;
    }
  } catch {
    return '<p class="warning">The content could not be shown; ask your accountant.</p>';
  }
  if (f.kind === 'kvk-annual-report') {
    const d = f.input?.document ?? {};
    const signed = d.signedBy ?? {};
    const fy = d.financialYear;
    const rows: [string, unknown][] = [
      ['KvK number', f.identityNumber],
      ['Name', d.legalEntityName],
      ['Legal form', d.legalForm],
      ['Registered office', d.registeredOffice],
      ['Financial year', fy ? `${fy.start} – ${fy.end}` : ''],
      ['Size class', d.sizeClass],
      ['Date of adoption (datum vaststelling)', d.adoptionDate],
      ['Signed by', `${String(signed.name ?? '')} (${String(signed.role ?? '')}) on ${String(signed.date ?? '')}`],
      ['Annual accounts adopted', f.adopted ? 'Yes' : 'Not yet'],
    ];
    return `<table class="document">${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>` +
      '<p class="note">The signature data cannot be changed here (K2); ask your accountant if it is wrong.</p>';
  }
  return '';
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
  const kvk = f.kind === 'kvk-annual-report';
  const adopt = kvk && !f.adopted
    ? `<form method="post" action="${action}" class="decision">${hidden}<input type="hidden" name="decision" value="adopt"><button type="submit" name="adopt">The annual accounts are adopted</button></form>`
    : '';
  const approve = !kvk || f.adopted
    ? `<form method="post" action="${action}" class="decision">${hidden}<input type="hidden" name="decision" value="approve"><button type="submit" name="approve">${kvk ? 'Approve and deposit at KvK' : 'Approve'}</button></form>`
    : '';
  const reject = `<form method="post" action="${action}" class="decision reject">${hidden}<input type="hidden" name="decision" value="reject">` +
    `<label>Reason for rejecting <textarea name="reason" required maxlength="2000"></textarea></label><button type="submit" name="reject">Reject</button></form>`;
  return `<section class="decide">${adopt}${approve}${reject}</section>`;
}
