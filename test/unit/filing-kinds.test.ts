import { RETURNS_HOLDING_BACK_ANNUAL_SUPPLEMENT, assertThroughPortalWhereRequired, decisionProblem, dueDateFor } from '../../domain/approval';
import { FILING_KINDS, FILING_KIND_NAMES, KVK_NUMBER, OB_NUMBER, findKind, isFilingKind, kindOf, type FilingKind } from '../../domain/kinds';
import { parsePeriod } from '../../domain/periods';
import { buildContent, identifierOf, type FilingRequest } from '../../integrations/xbrl/filing-content';
import { kindContent } from '../../integrations/xbrl/kinds';
import { renderContent, decisionForms, type PortalFiling } from '../../api/services/portal-pages';

const OB = '001000044B37';
const KVK = '30216247';
const NOW = new Date('2026-06-10T10:00:00Z');
const CONTACT = { initials: 'B.', surname: 'Bakker', telephone: '+31432112345' };

/** One plausible request per kind, for a period that has ended. */
const REQUESTS: Record<FilingKind, FilingRequest> = {
  'vat-return': { kind: 'vat-return', period: '2026-Q1', obNumber: OB, contact: CONTACT, figures: { turnover: { '1a': '1000' }, vat: { '1a': '210' }, inputTax: '50' } },
  icp: { kind: 'icp', period: '2026-Q1', obNumber: OB, contact: CONTACT, icpLines: [{ countryCode: 'DE', vatNumber: '123456789', category: 'goods', amount: '600' }] },
  'vat-supplement': {
    kind: 'vat-supplement', period: '2026-01', obNumber: OB, contact: CONTACT, alreadyDeclared: '100',
    figures: { turnover: { '1a': '1000' }, vat: { '1a': '210' }, inputTax: '50' },
  },
  'kvk-annual-report': {
    kind: 'kvk-annual-report', period: '2025', kvkNumber: KVK, contact: CONTACT,
    document: {
      legalEntityName: 'Bakker B.V.', legalForm: 'Besloten vennootschap', registeredOffice: 'Utrecht',
      financialYear: { start: '2025-01-01', end: '2025-12-31' }, sizeClass: 'micro', adoptionDate: '2026-05-20',
      signedBy: { name: 'P. de Vries', role: 'director', date: '2026-05-20' },
    },
  },
};

const build = (kind: FilingKind) => {
  const request = REQUESTS[kind];
  return buildContent(kind, request, identifierOf(kind, request), parsePeriod(request.period), 'REF-1', NOW);
};

const portalFiling = (kind: FilingKind, overrides: Partial<PortalFiling> = {}): PortalFiling => ({
  id: '00000000-0000-0000-0000-000000000001', number: 1, kind, period: REQUESTS[kind].period, lifecycle: 30, digipoortStatus: null,
  identityNumber: identifierOf(kind, REQUESTS[kind]), contentXml: build(kind), contentSha256: 'a'.repeat(64), dueDate: null,
  lastStatusChangeAt: NOW.toISOString(), input: { document: REQUESTS[kind].document } as PortalFiling['input'],
  adopted: false, workflowId: null, ...overrides,
});

describe('the registry of filing kinds', () => {
  it('lists the four kinds the hub files, in order, and nothing else', () => {
    expect(FILING_KIND_NAMES).toEqual(['vat-return', 'icp', 'vat-supplement', 'kvk-annual-report']);
    expect(Object.keys(FILING_KINDS).sort()).toEqual([...FILING_KIND_NAMES].sort());
    expect(isFilingKind('e-invoice')).toBe(false);
    expect(findKind('e-invoice')).toBeUndefined();
    expect(findKind('icp')).toBe(kindOf('icp'));
  });

  it.each(FILING_KIND_NAMES)('%s declares every part, in the domain and on the XBRL side', (kind) => {
    const k = kindOf(kind);
    expect(k.kind).toBe(kind);
    for (const text of [k.berichtsoort, k.identityType, k.label, k.labelNl, k.portal.approveButton]) expect(text).toMatch(/\S/);
    expect(['belastingdienst', 'kvk']).toContain(k.receiver);
    expect([OB_NUMBER, KVK_NUMBER]).toContain(k.identifier);
    expect(typeof k.filedWithBecon).toBe('boolean');
    expect(typeof k.fiscal).toBe('boolean');
    expect(typeof k.approval.adoptionBeforeApproval).toBe('boolean');
    expect(typeof k.approval.holdsBackAnnualSupplement).toBe('boolean');
    expect(typeof k.approval.waitsForReturnsAwaitingApproval).toBe('function');
    if (k.approval.onlyThroughPortal) {
      expect(k.approval.onlyThroughPortal.rule).toMatch(/^[A-Z]+\d+$/);
      expect(k.approval.onlyThroughPortal.reason).toMatch(/\S/);
    }
    expect(k.dueDate(REQUESTS[kind].period, { preparedOn: '2026-06-10' })).toMatch(/^\d{4}-\d{2}-\d{2}$/);

    const content = kindContent(kind);
    expect(content.entityScheme).toMatch(/\S/);
    for (const part of [content.build, content.checkReady, content.portalView]) expect(typeof part).toBe('function');
    // K3: a kind adopted before approval says how its content changes on adoption; other kinds have nothing to rebuild.
    expect(typeof content.adoptedContent).toBe(k.approval.adoptionBeforeApproval ? 'function' : 'undefined');
  });

  it('berichtsoorten, receivers, identifiers and entity schemes are those of filings-xbrl.md (§1.2, §1.7, §5)', () => {
    const table = FILING_KIND_NAMES.map((kind) => {
      const k = kindOf(kind);
      return [kind, k.berichtsoort, k.receiver, k.identifier.label, k.identityType, kindContent(kind).entityScheme];
    });
    expect(table).toEqual([
      ['vat-return', 'Omzetbelasting', 'belastingdienst', 'OB number', 'Fi', 'www.belastingdienst.nl/omzetbelastingnummer'],
      ['icp', 'ICP', 'belastingdienst', 'OB number', 'Fi', 'www.belastingdienst.nl/omzetbelastingnummer'],
      ['vat-supplement', 'OBSUP', 'belastingdienst', 'OB number', 'Fi', 'www.belastingdienst.nl/omzetbelastingnummer'],
      // The classic-XBRL KvK berichtsoort is not public (§5): ours is provisional.
      ['kvk-annual-report', 'jaarverantwoording_kvk', 'kvk', 'KvK number', 'KvK', 'http://www.kvk.nl/kvk-id'],
    ]);
    expect(OB_NUMBER).toMatchObject({ field: 'obNumber', column: 'ob_number' });
    expect(KVK_NUMBER).toMatchObject({ field: 'kvkNumber', column: 'kvk_number' });
    // Only the Belastingdienst filings carry the firm's Becon (C4); only they are fiscal (H15).
    expect(FILING_KIND_NAMES.filter((k) => kindOf(k).filedWithBecon)).toEqual(['vat-return', 'icp', 'vat-supplement']);
    expect(FILING_KIND_NAMES.filter((k) => kindOf(k).fiscal)).toEqual(['vat-return', 'icp', 'vat-supplement']);
  });

  it.each(FILING_KIND_NAMES)('%s: the identifier is found again in the instance its module builds', (kind) => {
    const xml = build(kind);
    const { kind: _k, obNumber: _ob, kvkNumber: _kvk, ...rest } = REQUESTS[kind];
    expect(identifierOf(kind, { kind, ...rest, instance: xml })).toBe(kind === 'kvk-annual-report' ? KVK : OB);
    expect(() => identifierOf(kind, { kind, period: REQUESTS[kind].period })).toThrow(`the ${kindOf(kind).identifier.label} of the organisation is required`);
  });

  it('the Belastingdienst instances pass their own check as ready instances', () => {
    for (const kind of ['vat-return', 'icp', 'vat-supplement'] as const) {
      const xml = build(kind);
      expect(buildContent(kind, { ...REQUESTS[kind], instance: xml }, OB, parsePeriod(REQUESTS[kind].period), 'REF-2', NOW)).toBe(xml);
    }
  });
});

describe('rules the kinds declare', () => {
  it('due dates (filings-xbrl.md §7)', () => {
    expect(dueDateFor('vat-return', '2026-Q1', { preparedOn: '2026-04-02' })).toBe('2026-04-30');
    expect(dueDateFor('icp', '2026-Q1', { preparedOn: '2026-04-02' })).toBe('2026-04-30');
    expect(dueDateFor('vat-return', '2025', { preparedOn: '2026-01-10' })).toBe('2026-03-31');
    expect(dueDateFor('vat-supplement', '2025-11', { preparedOn: '2026-04-02' })).toBe('2026-05-28');
    expect(dueDateFor('kvk-annual-report', '2025', { preparedOn: '2026-05-21', adoptionDate: '2026-05-20' })).toBe('2026-05-28');
    expect(dueDateFor('kvk-annual-report', '2025', { preparedOn: '2026-05-21' })).toBe('2026-12-31');
  });

  it('A2 and K1 as the kinds declare them', () => {
    expect(RETURNS_HOLDING_BACK_ANNUAL_SUPPLEMENT).toEqual(['vat-return', 'icp']);
    expect(kindOf('vat-supplement').approval.waitsForReturnsAwaitingApproval(parsePeriod('2025'))).toBe(true);
    expect(kindOf('vat-supplement').approval.waitsForReturnsAwaitingApproval(parsePeriod('2025-Q4'))).toBe(false);
    expect(() => assertThroughPortalWhereRequired('kvk-annual-report', false)).toThrow(/^K1: KvK documents go to KvK only after the client's review/);
    expect(() => assertThroughPortalWhereRequired('kvk-annual-report', true)).not.toThrow();
    for (const kind of ['vat-return', 'icp', 'vat-supplement'] as const) expect(() => assertThroughPortalWhereRequired(kind, false)).not.toThrow();
  });

  it('K3: only a kind adopted before approval is adopted; an unknown kind is never', () => {
    const state = { awaiting: true, contentSha256: 'a'.repeat(64), adopted: false };
    const adopt = { decision: 'adopt' as const, contentSha256: 'a'.repeat(64), via: 'portal' as const };
    expect(FILING_KIND_NAMES.filter((kind) => decisionProblem({ ...state, kind }, adopt) === undefined)).toEqual(['kvk-annual-report']);
    expect(decisionProblem({ ...state, kind: 'something-else' }, adopt)).toBe('K3: only annual reports are adopted');
  });
});

describe('what the client sees of each kind on the portal', () => {
  it('the VAT boxes of a return, with 5e–5g for a supplement', () => {
    const vat = renderContent(portalFiling('vat-return'));
    expect(vat).toContain('<tr data-box="1a"><th>1a</th>');
    expect(vat).not.toContain('data-box="5e"');
    const supplement = renderContent(portalFiling('vat-supplement'));
    expect(supplement).toContain('<tr data-box="5e"><th>5e</th><td>Nieuw totaal (new total)</td>');
    expect(supplement).toContain('<tr data-box="5f"><th>5f</th><td>Eerder aangegeven (declared before)</td><td></td><td class="num">€ 100</td></tr>');
  });

  it('the ICP totals per customer', () => {
    expect(renderContent(portalFiling('icp'))).toBe(
      '<table class="boxes"><thead><tr><th>Category</th><th>Country</th><th>VAT number</th><th>Amount</th></tr></thead>' +
        '<tbody><tr><td>goods</td><td>DE</td><td>123456789</td><td class="num">€ 600</td></tr></tbody></table>',
    );
  });

  it('the particulars of an annual report, and adoption before the final approval (K3)', () => {
    const html = renderContent(portalFiling('kvk-annual-report'));
    expect(html).toContain(`<tr><th>KvK number</th><td>${KVK}</td></tr>`);
    expect(html).toContain('<tr><th>Annual accounts adopted</th><td>Not yet</td></tr>');
    expect(html).toContain('<p class="note">The signature data cannot be changed here (K2); ask your accountant if it is wrong.</p>');
    const before = decisionForms(portalFiling('kvk-annual-report'), 'csrf');
    expect(before).toContain('name="adopt"');
    expect(before).not.toContain('name="approve"');
    expect(decisionForms(portalFiling('kvk-annual-report', { adopted: true }), 'csrf')).toContain('<button type="submit" name="approve">Approve and deposit at KvK</button>');
    const vat = decisionForms(portalFiling('vat-return'), 'csrf');
    expect(vat).toContain('<button type="submit" name="approve">Approve</button>');
    expect(vat).not.toContain('name="adopt"');
  });

  it('content that cannot be read is not shown; an unknown kind shows nothing', () => {
    expect(renderContent(portalFiling('vat-return', { contentXml: '<not-xbrl/>' }))).toBe('<p class="warning">The content could not be shown; ask your accountant.</p>');
    expect(renderContent(portalFiling('vat-return', { contentXml: null }))).toBe('');
    expect(renderContent({ ...portalFiling('vat-return'), kind: 'e-invoice' })).toBe('');
  });
});
