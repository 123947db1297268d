/**
 * NT (Nederlandse Taxonomie) entry points and namespaces: filings-xbrl.md §1.1 (Belastingdienst) and §5.1 (KvK).
 *
 * The entry point is chosen by the year of the **period being declared** (the tax year of the tijdvak, or the financial
 * year of the annual report), never by today's date: a late return for 2025 filed in 2026 still uses the NT19 entry
 * point (§1.1 [V]). Pure functions, no clock, safe in workflow code.
 *
 * Evidence levels are those of the reference: [V] verified in a public example instance or generator, [I] inferred.
 */
import { ValidationError } from '../../domain/errors';

/** What a builder needs to write, and a reader needs to expect, for one filing type and year. */
export interface TaxonomyEntry {
  /** `NT15`, `NT20`, … */
  nt: string;
  /** The release directory of the NT release (`20251210`): the taxonomy's date, not the period's year. */
  releaseDate: string;
  /** The full published entry-point URL, exactly as it goes into `link:schemaRef/@xlink:href`. */
  entryPoint: string;
  /** prefix → namespace URI, in the order the root element declares them. */
  namespaces: Record<string, string>;
}

/** Namespaces of XBRL 2.1 and XBRL Dimensions (fixed, independent of the NT release). */
export const XBRL_NS = {
  xbrli: 'http://www.xbrl.org/2003/instance',
  link: 'http://www.xbrl.org/2003/linkbase',
  xlink: 'http://www.w3.org/1999/xlink',
  iso4217: 'http://www.xbrl.org/2003/iso4217',
  xbrldi: 'http://xbrl.org/2006/xbrldi',
  xml: 'http://www.w3.org/XML/1998/namespace',
} as const;

/** The base URL of every NT entry point and dictionary: **http**, not https, as in every generator seen (§1.1). */
const NT_BASE = 'http://www.nltaxonomie.nl';

interface BdRelease {
  nt: string;
  releaseDate: string;
  /** The Belastingdienst moved from tuples to typed dimensions in NT20 (§1.1, WGNT minutes [V]). */
  dimensional: boolean;
  /** Whether an ICP entry point for this year is known (§1.1 table). */
  icp: boolean;
  /** Whether a suppletie entry point for this year is assumed, and on what evidence (§3). */
  supplement?: 'V' | 'I';
}

/**
 * Belastingdienst releases by **tax year of the period** (§1.1 table). 2019 (NT13) is not in the reference and is
 * refused rather than guessed.
 *
 * - OB aangifte: every row is [V] (NT12 TECHY; NT14 MSBC; NT15 BD-VB01; NT16 ODOO16; NT17 Business Central [I: file not
 *   cited]; NT18/NT19 ODOO19; NT20 ODOO-NT20).
 * - ICP: NT14 … NT20 [V]; no ICP entry point is given for NT12, so 2018 ICP is refused.
 * - Suppletie: `bd-rpt-ob-suppletie-2025.xsd` is [V ODOO19]. 2022 is [I] (taxonomy-package entry, repository not
 *   cited); 2023 and 2024 are [I] (not seen at all: assumed from the naming pattern, because the digital suppletie
 *   exists since 2022); 2026 is [I] (the reference lists it as inferred). Before 2022 there is no digital suppletie.
 */
const BD_RELEASES: Readonly<Record<number, BdRelease>> = {
  2018: { nt: 'NT12', releaseDate: '20171213', dimensional: false, icp: false },
  2020: { nt: 'NT14', releaseDate: '20191211', dimensional: false, icp: true },
  2021: { nt: 'NT15', releaseDate: '20201209', dimensional: false, icp: true },
  2022: { nt: 'NT16', releaseDate: '20211208', dimensional: false, icp: true, supplement: 'I' },
  2023: { nt: 'NT17', releaseDate: '20221207', dimensional: false, icp: true, supplement: 'I' },
  2024: { nt: 'NT18', releaseDate: '20231213', dimensional: false, icp: true, supplement: 'I' },
  2025: { nt: 'NT19', releaseDate: '20241211', dimensional: false, icp: true, supplement: 'V' },
  2026: { nt: 'NT20', releaseDate: '20251210', dimensional: true, icp: true, supplement: 'I' },
};

/**
 * KvK releases by **financial year** (§5.1 [V ARELLE]): NT19 for FY2024, NT20 for FY2025. The financial year of a
 * book year that is not a calendar year is taken to be the year in which it ends [I: the reference does not say].
 */
const KVK_RELEASES: Readonly<Record<number, { nt: string; releaseDate: string }>> = {
  2024: { nt: 'NT19', releaseDate: '20241211' },
  2025: { nt: 'NT20', releaseDate: '20251210' },
};

export type KvkSizeClass = 'micro' | 'klein';

function knownYears(table: Readonly<Record<number, unknown>>, accept: (year: number) => boolean = () => true): string {
  return Object.keys(table)
    .map(Number)
    .filter(accept)
    .join(', ');
}

function requireYear(year: number, field: string): void {
  if (typeof year !== 'number' || !Number.isInteger(year)) {
    throw new ValidationError(field, `${field}: the year must be a whole number, got ${String(year).slice(0, 20)}`);
  }
}

function bdRelease(year: number, what: string, accept: (release: BdRelease) => boolean): BdRelease {
  requireYear(year, 'period');
  const release = Object.prototype.hasOwnProperty.call(BD_RELEASES, year) ? BD_RELEASES[year] : undefined;
  if (!release || !accept(release)) {
    const years = knownYears(BD_RELEASES, (y) => accept(BD_RELEASES[y]));
    throw new ValidationError('period', `no NT taxonomy is known for ${year} (${what}); known years: ${years}`);
  }
  return release;
}

function bdDirectory(release: BdRelease): string {
  return `${NT_BASE}/${release.nt.toLowerCase()}/bd/${release.releaseDate}`;
}

/** The namespaces a Belastingdienst instance of this release declares (§1.1 prefix table). */
function bdNamespaces(release: BdRelease): Record<string, string> {
  const dir = bdDirectory(release);
  const namespaces: Record<string, string> = {
    xbrli: XBRL_NS.xbrli,
    link: XBRL_NS.link,
    xlink: XBRL_NS.xlink,
    iso4217: XBRL_NS.iso4217,
    'bd-i': `${dir}/dictionary/bd-data`,
  };
  if (release.dimensional) {
    // NT20: typed dimensions instead of tuples; note `validation/`, not `dictionary/` [V ODOO-NT20].
    namespaces.xbrldi = XBRL_NS.xbrldi;
    namespaces['bd-axes'] = `${dir}/validation/bd-axes`;
    namespaces['bd-domains'] = `${dir}/validation/bd-domains`;
  } else {
    namespaces['bd-t'] = `${dir}/dictionary/bd-tuples`;
  }
  return namespaces;
}

function bdEntry(release: BdRelease, file: string): TaxonomyEntry {
  return {
    nt: release.nt,
    releaseDate: release.releaseDate,
    entryPoint: `${bdDirectory(release)}/entrypoints/${file}`,
    namespaces: bdNamespaces(release),
  };
}

/** Whether instances of this year use NT20-style typed dimensions (true) or tuples (false). */
export function isDimensionalYear(year: number): boolean {
  return bdRelease(year, 'OB aangifte', () => true).dimensional;
}

/** Entry point of the aangifte omzetbelasting for a period of `year` (§1.1). */
export function vatEntryPoint(year: number): TaxonomyEntry {
  const release = bdRelease(year, 'OB aangifte', () => true);
  return bdEntry(release, `bd-rpt-ob-aangifte-${year}.xsd`);
}

/** Entry point of the opgaaf ICP for a period of `year` (§1.1, §2). */
export function icpEntryPoint(year: number): TaxonomyEntry {
  const release = bdRelease(year, 'ICP opgaaf', (r) => r.icp);
  return bdEntry(release, `bd-rpt-icp-opgaaf-${year}.xsd`);
}

/**
 * Entry point of the suppletie omzetbelasting for a corrected period of `year` (§3). Which year's entry point to use
 * when correcting an older year is not known (§3 gap, §9.3); this takes the corrected period's year, like the return.
 */
export function supplementEntryPoint(year: number): TaxonomyEntry {
  const release = bdRelease(year, 'OB suppletie', (r) => r.supplement !== undefined);
  return bdEntry(release, `bd-rpt-ob-suppletie-${year}.xsd`);
}

/**
 * Entry point of the KvK annual report (jaarverantwoording, NL GAAP) for a micro or small company (§5.1 [V ARELLE]).
 * The plain `micro` / `klein` entry points are used (the adopted annual accounts); the `publicatiestukken` and
 * `verticaal` variants exist but are not offered here [I: their exact use is inferred in the reference].
 */
export function kvkEntryPoint(financialYear: number, sizeClass: KvkSizeClass): TaxonomyEntry {
  requireYear(financialYear, 'financialYear');
  if (sizeClass !== 'micro' && sizeClass !== 'klein') {
    throw new ValidationError('sizeClass', `sizeClass must be micro or klein, got ${String(sizeClass).slice(0, 20)}`);
  }
  const release = Object.prototype.hasOwnProperty.call(KVK_RELEASES, financialYear) ? KVK_RELEASES[financialYear] : undefined;
  if (!release) {
    throw new ValidationError(
      'financialYear',
      `no NT taxonomy is known for financial year ${financialYear} (KvK annual report); known years: ${knownYears(KVK_RELEASES)}`,
    );
  }
  const nt = release.nt.toLowerCase();
  const file = `kvk-rpt-jaarverantwoording-${financialYear}-nlgaap-${sizeClass}.xsd`;
  return {
    nt: release.nt,
    releaseDate: release.releaseDate,
    entryPoint: `${NT_BASE}/${nt}/kvk/${release.releaseDate}/entrypoints/${file}`,
    namespaces: {
      xbrli: XBRL_NS.xbrli,
      link: XBRL_NS.link,
      xlink: XBRL_NS.xlink,
      iso4217: XBRL_NS.iso4217,
      'jenv-bw2-i': `${NT_BASE}/${nt}/jenv/${release.releaseDate}/dictionary/jenv-bw2-data`,
      'kvk-i': `${NT_BASE}/${nt}/kvk/${release.releaseDate}/dictionary/kvk-data`,
    },
  };
}
