/**
 * What one filing kind declares on the XBRL side: how its instance is built from an administration's request, how a
 * ready instance is checked, how its identifier is found in one, and what the client sees of it on the portal. Pure
 * (no I/O), like the builders and readers it uses. The rules of a kind are in `domain/kinds/`.
 */
import type { TaxPeriod } from '../../../domain/periods';
import type { SupplementAmounts, VatReturnAmounts } from '../../../domain/vat';
import type { KvkFinancialStatements } from '../kvk';
import type { FilingRequest } from '../filing-content';
import type { XbrlHeader } from '../header';

/** What building or checking an instance knows besides the request. */
export interface ContentContext {
  /** The filing's identifier (OB or KvK number), normalized. */
  identifier: string;
  period: TaxPeriod;
  now: Date;
}

/** What the portal shows of a filing: the stored message as far as the content is concerned. */
export interface PortalContentInput {
  identityNumber: string;
  period: string | null;
  contentXml: string | null;
  /** The request the filing was prepared from (as stored: a ready instance is not kept there). */
  input: { document?: Record<string, unknown> & { signedBy?: Record<string, unknown>; financialYear?: { start: string; end: string } } } | null;
  /** K3: the client set "annual accounts adopted" for the current content. */
  adopted: boolean;
}

/**
 * What the client approves, as data (no words: the portal's templates say it in the reader's language); the portal
 * renders each layout the same way for every kind that uses it: the boxes of the VAT form (with a supplement's own
 * boxes), a table of amounts (column keys name the dictionary's words), or a document's particulars with the annual
 * accounts' figures.
 */
export type PortalView =
  | { layout: 'form-boxes'; amounts: VatReturnAmounts; supplement?: SupplementAmounts }
  | { layout: 'amounts-table'; columns: string[]; rows: { cells: string[]; amount: number }[] }
  | {
      layout: 'document';
      /** Particulars by key (`kvkNumber`, `name`, …), in order. */
      rows: { key: string; value: string }[];
      signedBy: { name: string; role: string; date: string };
      adopted: boolean;
      /** The balance sheet and profit and loss read from the instance; undefined without content. */
      statements?: KvkFinancialStatements;
    };

/** K3: what the content becomes once the client has set "annual accounts adopted". */
export interface AdoptionInput {
  identityNumber: string;
  /** The stored request (messages.input). */
  input: unknown;
  /** The filing date the rebuilt instance carries (YYYY-MM-DD). */
  filingDate: string;
}

export interface KindContent {
  /** The scheme of the XBRL entity identifier that carries the filing's identifier (filings-xbrl.md §1.2, §5). */
  entityScheme: string;
  /** Builds the instance from the administration's figures or document; every failure names its box or field. */
  build(request: FilingRequest, context: ContentContext & { header: XbrlHeader }): string;
  /** Checks a ready instance the way it will be sent; throws naming the box, field or rule. */
  checkReady(instance: string, request: FilingRequest, context: ContentContext): void;
  /** What the client sees of the stored content, or undefined when there is nothing to show. May throw on bad content. */
  portalView(filing: PortalContentInput): PortalView | undefined;
  /**
   * K3, for kinds that are adopted before approval: the rebuilt content, or undefined when the stored content already
   * records the adoption (a ready instance). Throws when it cannot be built.
   */
  adoptedContent?(filing: AdoptionInput): string | undefined;
}
