import { RETURNS_HOLDING_BACK_ANNUAL_SUPPLEMENT, assertThroughPortalWhereRequired, decisionProblem, dueDateFor } from '../../domain/approval';
import { FILING_KINDS, FILING_KIND_NAMES, KVK_NUMBER, OB_NUMBER, findKind, isFilingKind, kindOf, type FilingKind } from '../../domain/kinds';
import { parsePeriod } from '../../domain/periods';
import { buildContent, identifierOf, type FilingRequest } from '../../integrations/xbrl/filing-content';
import { kindContent } from '../../integrations/xbrl/kinds';
import { Eta } from 'eta';
import { wordsFor, type Language } from '../../api/i18n';
import { VIEWS } from '../../api/plugins/views';
import { portalContent, type PortalFiling } from '../../api/services/portal-content';

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

/** The real templates, configured as the API configures them; markup without the layout's whitespace. */
const eta = new Eta({ views: VIEWS, autoEscape: true, autoTrim: false });
const tidy = (html: string) => html.replace(/>\s+</g, '><').trim();
const renderContent = (f: PortalFiling, lang: Language = 'nl') => tidy(eta.render('partials/filing-content', { ...wordsFor(lang), content: portalContent(f) }));
const filingPage = (f: PortalFiling, lang: Language = 'nl') => {
  const kind = findKind(f.kind)!;
  return tidy(
    eta.render('portal/filing', {
      ...wordsFor(lang), filing: { ...f, overdue: false }, content: portalContent(f), refusals: [], csrf: 'csrf', here: `/portal/filings/${f.id}`,
      authority: kind.receiver, firm: 'Kantoor Bakker', adoption: kind.approval.adoptionBeforeApproval,
    }),
  );
};
const withFigures = (kind: 'vat-return' | 'vat-supplement', inputTax: string) => {
  const request = { ...REQUESTS[kind], figures: { turnover: { '1a': '1000' }, vat: { '1a': '210' }, inputTax } } as FilingRequest;
  return buildContent(kind, request, identifierOf(kind, request), parsePeriod(request.period), 'REF-1', NOW);
};

describe('what the client sees of each kind on the portal', () => {
  it('the VAT boxes of a return, 5g to pay or to reclaim by its sign; a supplement with its own 5e–5g', () => {
    const vat = renderContent(portalFiling('vat-return'));
    expect(vat).toContain('<tr data-box="1a"><th scope="row">1a</th><td>Leveringen/diensten belast met algemeen tarief (21 %)</td><td class="num">€ 1.000</td><td class="num">€ 210</td></tr>');
    expect(vat).not.toContain('data-box="5e"');
    // 210 owed − 50 input tax: 160 to pay.
    expect(vat).toContain('<tr data-box="5g" data-direction="pay"><th scope="row">5g</th><td>Totaal te betalen</td><td class="num"></td><td class="num">€ 160</td></tr>');
    // 210 owed − 500 input tax: 290 to reclaim, shown as the amount to reclaim.
    const reclaim = renderContent(portalFiling('vat-return', { contentXml: withFigures('vat-return', '500') }));
    expect(reclaim).toContain('<tr data-box="5g" data-direction="reclaim"><th scope="row">5g</th><td>Totaal terug te vragen</td><td class="num"></td><td class="num">€ 290</td></tr>');
    expect(renderContent(portalFiling('vat-return', { contentXml: withFigures('vat-return', '500') }), 'en')).toContain('<td>Total to reclaim</td>');
    expect(renderContent(portalFiling('vat-return', { contentXml: withFigures('vat-return', '210') }))).toContain('<td>Niets te betalen of terug te vragen</td><td class="num"></td><td class="num">€ 0</td>');

    const supplement = renderContent(portalFiling('vat-supplement'));
    expect(supplement).toContain('<tr data-box="5e"><th scope="row">5e</th><td>Nieuw totaal</td><td class="num"></td><td class="num">€ 160</td></tr>');
    expect(supplement).toContain('<tr data-box="5f"><th scope="row">5f</th><td>Reeds aangegeven</td><td class="num"></td><td class="num">€ 100</td></tr>');
    expect(supplement).toContain('<tr data-box="5g" data-direction="pay"><th scope="row">5g</th><td>Bij te betalen</td><td class="num"></td><td class="num">€ 60</td></tr>');
    // The supplement's 5g replaces the return's: one 5g row.
    expect(supplement.match(/data-box="5g"/g)).toHaveLength(1);
    const back = renderContent(portalFiling('vat-supplement', { contentXml: withFigures('vat-supplement', '200') }));
    // 5e = 10, 5f = 100: 90 to reclaim.
    expect(back).toContain('<tr data-box="5g" data-direction="reclaim"><th scope="row">5g</th><td>Terug te vragen</td><td class="num"></td><td class="num">€ 90</td></tr>');
  });

  it('the ICP totals per customer', () => {
    expect(renderContent(portalFiling('icp'))).toBe(
      '<table class="boxes"><thead><tr><th scope="col">Categorie</th><th scope="col">Land</th><th scope="col">Btw-nummer</th><th scope="col" class="num">Bedrag</th></tr></thead>' +
        '<tbody><tr><td>goederen</td><td>DE</td><td>123456789</td><td class="num">€ 600</td></tr></tbody></table>',
    );
  });

  it('the particulars of an annual report, and adoption before the final approval (K3)', () => {
    const html = renderContent(portalFiling('kvk-annual-report'));
    expect(html).toContain(`<tr data-field="kvkNumber"><th scope="row">KvK-nummer</th><td>${KVK}</td></tr>`);
    expect(html).toContain('<tr data-field="signedBy"><th scope="row">Ondertekend door</th><td>P. de Vries (bestuurder) op 2026-05-20</td></tr>');
    expect(html).toContain('<tr data-field="adopted"><th scope="row">Jaarrekening vastgesteld</th><td>Nog niet</td></tr>');
    expect(html).toContain('<p class="note">De ondertekening kan hier niet worden gewijzigd (K2); vraag uw accountant als die niet klopt.</p>');
    // Built from the document information: the instance carries no figures, and the page says so.
    expect(html).toContain('<p class="no-figures">De jaarrekening in dit bestand bevat geen cijfers van balans of winst-en-verliesrekening.</p>');
    const english = renderContent(portalFiling('kvk-annual-report', { adopted: true }), 'en');
    expect(english).toContain('<tr data-field="adopted"><th scope="row">Annual accounts adopted</th><td>yes</td></tr>');
    expect(english).toContain('P. de Vries (director) on 2026-05-20');

    const before = filingPage(portalFiling('kvk-annual-report'));
    expect(before).toContain('name="adopt"');
    expect(before).not.toContain('name="approve"');
    expect(filingPage(portalFiling('kvk-annual-report', { adopted: true }))).toContain('<button type="submit" name="approve">Goedkeuren en deponeren bij de KvK</button>');
    const vat = filingPage(portalFiling('vat-return'));
    expect(vat).toContain('<button type="submit" name="approve">Goedkeuren</button>');
    expect(vat).not.toContain('name="adopt"');
  });

  it('the annual accounts\' figures as the instance carries them: balance sheet (instants) and profit and loss (durations)', () => {
    const xml = build('kvk-annual-report')
      .replace(
        /(<\/xbrli:context>)/,
        '$1\n  <xbrli:context id="FY_end"><xbrli:entity><xbrli:identifier scheme="http://www.kvk.nl/kvk-id">30216247</xbrli:identifier></xbrli:entity><xbrli:period><xbrli:instant>2025-12-31</xbrli:instant></xbrli:period></xbrli:context>' +
          '\n  <xbrli:context id="PY_end"><xbrli:entity><xbrli:identifier scheme="http://www.kvk.nl/kvk-id">30216247</xbrli:identifier></xbrli:entity><xbrli:period><xbrli:instant>2024-12-31</xbrli:instant></xbrli:period></xbrli:context>',
      )
      .replace(
        '</xbrli:xbrl>',
        '  <jenv-bw2-i:Equity contextRef="FY_end" unitRef="EUR" decimals="0">12345</jenv-bw2-i:Equity>\n' +
          '  <jenv-bw2-i:Equity contextRef="PY_end" unitRef="EUR" decimals="0">10000</jenv-bw2-i:Equity>\n' +
          '  <jenv-bw2-i:NetResult contextRef="FY_current" unitRef="EUR" decimals="0">2345</jenv-bw2-i:NetResult>\n</xbrli:xbrl>',
      );
    const html = renderContent(portalFiling('kvk-annual-report', { contentXml: xml }));
    expect(html).toContain('<h3>Balans</h3><table class="statement" data-statement="balance-sheet">');
    expect(html).toContain('<tr data-concept="Equity"><th scope="row"><code>Equity</code></th><td class="num">€ 12.345</td><td class="num">€ 10.000</td></tr>');
    expect(html).toContain('<h3>Winst-en-verliesrekening</h3><table class="statement" data-statement="profit-and-loss">');
    expect(html).toContain('<tr data-concept="NetResult"><th scope="row"><code>NetResult</code></th><td class="num">€ 2.345</td><td class="num"></td></tr>');
    expect(html).not.toContain('no-figures');
  });

  it('says what approving authorises: the firm signs and sends exactly this content to the authority', () => {
    const vat = filingPage(portalFiling('vat-return'));
    expect(vat).toContain(
      '<p class="authorisation" data-authority="belastingdienst">Met uw goedkeuring geeft u Kantoor Bakker opdracht deze aangifte namens u te ondertekenen en in te dienen bij de Belastingdienst, precies met de inhoud op deze pagina.</p>',
    );
    expect(vat).toContain(`<code>${'a'.repeat(64)}</code>`);
    expect(filingPage(portalFiling('kvk-annual-report'))).toContain('opdracht deze jaarverantwoording namens u te ondertekenen en te deponeren bij de KvK, precies met de inhoud op deze pagina.');
    expect(filingPage(portalFiling('vat-return'), 'en')).toContain('you instruct Kantoor Bakker to sign this return on your behalf and file it with the Belastingdienst');
    // Decided: nothing to authorise any more, no forms.
    const decided = filingPage(portalFiling('vat-return', { lifecycle: 50 }));
    expect(decided).not.toContain('class="authorisation"');
    expect(decided).not.toContain('name="decision"');
  });

  it('content that cannot be read is not shown; an unknown kind shows nothing', () => {
    expect(renderContent(portalFiling('vat-return', { contentXml: '<not-xbrl/>' }))).toBe('<p class="warning">De inhoud kan niet worden getoond; vraag uw accountant.</p>');
    expect(portalContent(portalFiling('vat-return', { contentXml: null }))).toEqual({ layout: 'none' });
    expect(renderContent(portalFiling('vat-return', { contentXml: null }))).toBe('');
    expect(portalContent({ ...portalFiling('vat-return'), kind: 'e-invoice' })).toEqual({ layout: 'none' });
  });
});
