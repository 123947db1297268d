/**
 * The XBRL content of a filing, built from an administration's figures or checked when it sends a ready instance:
 * pure (no I/O), so the API can run it off its event loop (`off-thread.ts`) and every failure names its box or field.
 */
import { RuleViolation, ValidationError } from '../../domain/errors';
import { looksLikeUbl, refuseEInvoice, FILING_KINDS, type FilingKind } from '../../domain/filings';
import { normalizeKvkNumber, normalizeObNumber } from '../../domain/identifiers';
import type { TaxPeriod } from '../../domain/periods';
import {
  TURNOVER_BOXES,
  VAT_AMOUNT_BOXES,
  assertVatPlausible,
  parseEuroAmountToCents,
  roundVatReturn,
  type IcpCategory,
  type IcpLine,
  type VatFigures,
  type VatReturnAmounts,
} from '../../domain/vat';
import { assertKvkPreparable, assertKvkSizeClass } from '../../domain/approval';
import type { OutgoingAttachment } from '../../domain/attachments';
import type { XbrlHeader } from './header';
import { buildIcpInstance, readIcpInstance } from './icp';
import { buildSupplementInstance, readSupplementInstance } from './supplement';
import { buildVatReturnInstance, readVatReturnInstance } from './vat-return';
import { buildKvkAnnualReportInstance, readKvkAnnualReportInstance } from './kvk';

/** What an administration (or staff on its behalf) sends to prepare a filing. Amounts in euros, as text. */
export interface FilingRequest {
  kind: string;
  period: string;
  obNumber?: string;
  kvkNumber?: string;
  contact?: { initials: string; prefix?: string; surname: string; telephone: string };
  /** The figures from which the hub builds the XBRL instance. */
  figures?: {
    turnover?: Record<string, string | number>;
    vat?: Record<string, string | number>;
    inputTax?: string | number;
  };
  /** Supplement: what was declared for the period so far (5f), in euros. */
  alreadyDeclared?: string | number;
  /** ICP lines. */
  icpLines?: { countryCode: string; vatNumber: string; category: string; amount: string | number }[];
  /** A ready XBRL instance instead of figures; checked the same way. */
  instance?: string;
  /** H14: files that go with the filing (base64), kept with the message; not part of the XBRL content. */
  attachments?: OutgoingAttachment[];
  /** KvK annual report: the document information (and K2 adoption and signature data). */
  document?: {
    legalEntityName: string;
    legalForm: string;
    registeredOffice: string;
    financialYear: { start: string; end: string };
    previousYear?: { start: string; end: string };
    sizeClass: string;
    title?: string;
    adoptionDate?: string;
    signedBy?: { name?: string; role?: string; date?: string };
    /**
     * K4: a second deposit of a year, because of insurmountable inaccuracies in the first. Written as
     * kvk-i:DocumentResubmissionDueToUnsurmountableInaccuracies "Ja" once the client adopts (BR-KVK-4.12: only an
     * adopted report can be a resubmission); a ready instance must say the same.
     */
    resubmission?: boolean;
  };
}

export const SOFTWARE = { name: 'Filing hub', version: '0.1.0', vendorAccountNumber: 'SWO00000' } as const;

/** `YYYYMMDDhhmm` in Dutch time, as the header concept DateTimeCreation expects. */
function dateTimeCreation(now: Date): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/Amsterdam',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(now);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}${part('month')}${part('day')}${part('hour')}${part('minute')}`;
}

/** The Dutch calendar date of `now` (`YYYY-MM-DD`): a period ends at midnight in the Netherlands. */
function dutchDate(now: Date): string {
  const d = dateTimeCreation(now);
  return `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`;
}

/**
 * The one check of a VAT return's or supplement's amounts before anything is stored, built or read alike: the
 * domain's plausibility rules OB1–OB3 (domain/vat.ts).
 */
function plausible(amounts: VatReturnAmounts, period: TaxPeriod, now: Date): VatReturnAmounts {
  assertVatPlausible(amounts, { period, today: dutchDate(now) });
  return amounts;
}

function euros(value: string | number | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  return parseEuroAmountToCents(typeof value === 'number' ? String(value) : value, field);
}

function vatFigures(request: FilingRequest): VatFigures {
  const figures = request.figures;
  if (!figures) throw new ValidationError('figures', 'figures (or a ready instance) are required');
  const turnover: Partial<Record<(typeof TURNOVER_BOXES)[number], number>> = {};
  const vat: Partial<Record<(typeof VAT_AMOUNT_BOXES)[number], number>> = {};
  for (const [box, value] of Object.entries(figures.turnover ?? {})) {
    if (!(TURNOVER_BOXES as readonly string[]).includes(box)) throw new ValidationError(`figures.turnover.${box}`, `box ${box} has no turnover amount`);
    turnover[box as (typeof TURNOVER_BOXES)[number]] = euros(value, `figures.turnover.${box}`);
  }
  for (const [box, value] of Object.entries(figures.vat ?? {})) {
    if (!(VAT_AMOUNT_BOXES as readonly string[]).includes(box)) throw new ValidationError(`figures.vat.${box}`, `box ${box} has no VAT amount`);
    vat[box as (typeof VAT_AMOUNT_BOXES)[number]] = euros(value, `figures.vat.${box}`);
  }
  return { turnover, vat, '5b': euros(figures.inputTax, 'figures.inputTax') ?? 0 };
}

/**
 * The XBRL header. With the client's Becon (C4: its master data for the period's year, latest year up to it) the firm
 * files as intermediary: ContactType INT and the Becon as TaxConsultantNumber; without one, as the taxpayer (BPL).
 */
function header(request: FilingRequest, messageReference: string, now: Date, beconNumber?: string): XbrlHeader {
  if (!request.contact) throw new ValidationError('contact', 'the contact person (initials, surname, telephone) is required');
  return {
    contactType: beconNumber ? 'INT' : 'BPL',
    ...(beconNumber ? { taxConsultantNumber: beconNumber } : {}),
    contactInitials: request.contact.initials,
    contactPrefix: request.contact.prefix,
    contactSurname: request.contact.surname,
    contactTelephoneNumber: request.contact.telephone,
    messageReference,
    softwarePackageName: SOFTWARE.name,
    softwarePackageVersion: SOFTWARE.version,
    softwareVendorAccountNumber: SOFTWARE.vendorAccountNumber,
    dateTimeCreation: dateTimeCreation(now),
  };
}

/** The identifier the filing carries: given explicitly, or read from the ready instance's context. */
export function identifierOf(kind: FilingKind, request: FilingRequest): string {
  const spec = FILING_KINDS[kind];
  if (spec.identifier === 'obNumber') {
    const given = request.obNumber ?? request.instance?.match(/scheme="www\.belastingdienst\.nl\/omzetbelastingnummer"\s*>\s*([^<\s]+)/)?.[1];
    if (!given) throw new ValidationError('obNumber', 'the OB number of the organisation is required');
    return normalizeObNumber(given);
  }
  const given = request.kvkNumber ?? request.instance?.match(/scheme="http:\/\/www\.kvk\.nl\/kvk-id"\s*>\s*([^<\s]+)/)?.[1];
  if (!given) throw new ValidationError('kvkNumber', 'the KvK number of the organisation is required');
  return normalizeKvkNumber(given);
}

/** Builds (from figures) or checks (a ready instance) the XBRL content; every failure names the box or field. */
export function buildContent(
  kind: FilingKind,
  request: FilingRequest,
  identifier: string,
  period: TaxPeriod,
  reference: string,
  now: Date,
  beconNumber?: string,
): string {
  if (request.instance !== undefined) {
    if (looksLikeUbl(request.instance)) refuseEInvoice();
    const expected = { obNumber: identifier, period };
    if (kind === 'vat-return') plausible(readVatReturnInstance(request.instance, expected).amounts, period, now);
    else if (kind === 'vat-supplement') plausible(readSupplementInstance(request.instance, expected).amounts, period, now);
    else if (kind === 'icp') readIcpInstance(request.instance, expected);
    else {
      // A ready annual report: checked for its entry point and KvK number; it must record the adoption (K2, K3) that
      // the client confirms in the review (the hub cannot rewrite someone else's instance).
      const document = request.document;
      if (!document) throw new ValidationError('document', 'the annual report needs its document information (K2: adoption and signature)');
      assertKvkSizeClass(document.sizeClass);
      assertKvkPreparable({ adoptionDate: document.adoptionDate, signedBy: document.signedBy });
      const read = readKvkAnnualReportInstance(request.instance, {
        kvkNumber: identifier,
        financialYear: document.financialYear,
        filingDate: now.toISOString().slice(0, 10),
        sizeClass: document.sizeClass,
      });
      if (!read.info.adopted || read.info.adoptionDate !== document.adoptionDate) {
        throw new RuleViolation('K2', `a ready annual report must record its adoption (DocumentAdoptionStatus Ja, adopted on ${document.adoptionDate})`);
      }
      if ((read.info.resubmission === true) !== (document.resubmission === true)) {
        throw new RuleViolation(
          'K4',
          `the ready annual report ${read.info.resubmission === true ? 'declares' : 'does not declare'} itself a resubmission ` +
            `(DocumentResubmissionDueToUnsurmountableInaccuracies) but document.resubmission is ${document.resubmission === true ? 'true' : 'not true'}: they must agree`,
          'invalid',
          'document.resubmission',
        );
      }
    }
    return request.instance;
  }
  const h = header(request, reference, now, beconNumber);
  if (kind === 'vat-return') {
    return buildVatReturnInstance({ obNumber: identifier, period, amounts: plausible(roundVatReturn(vatFigures(request)), period, now), header: h });
  }
  if (kind === 'vat-supplement') {
    const declared = euros(request.alreadyDeclared, 'alreadyDeclared');
    if (declared === undefined) throw new ValidationError('alreadyDeclared', 'a supplement needs what was declared so far (5f)');
    if (declared % 100 !== 0) throw new ValidationError('alreadyDeclared', 'what was declared so far (5f) is in whole euros');
    return buildSupplementInstance({ obNumber: identifier, period, amounts: plausible(roundVatReturn(vatFigures(request)), period, now), alreadyDeclared5g: declared / 100, header: h });
  }
  if (kind === 'icp') {
    const lines: IcpLine[] = (request.icpLines ?? []).map((line, i) => ({
      countryCode: line.countryCode,
      vatNumber: line.vatNumber,
      category: line.category as IcpCategory,
      amountCents: euros(line.amount, `icpLines[${i}].amount`)!,
    }));
    return buildIcpInstance({ obNumber: identifier, period, lines, header: h });
  }
  if (kind === 'kvk-annual-report') {
    const document = request.document;
    if (!document) throw new ValidationError('document', 'the annual report needs its document information');
    assertKvkSizeClass(document.sizeClass);
    assertKvkPreparable({ adoptionDate: document.adoptionDate, signedBy: document.signedBy });
    // K3: prepared as not yet adopted; the client sets "adopted" in the review, which rebuilds it.
    return buildKvkAnnualReportInstance(
      {
        kvkNumber: identifier,
        legalEntityName: document.legalEntityName,
        legalForm: document.legalForm,
        registeredOffice: document.registeredOffice,
        financialYear: document.financialYear,
        previousYear: document.previousYear,
        sizeClass: document.sizeClass,
        title: document.title,
        adopted: false,
      },
      { filingDate: now.toISOString().slice(0, 10) },
    );
  }
  throw new ValidationError('kind', `unknown filing kind ${String(kind)}`);
}
