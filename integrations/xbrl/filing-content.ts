/**
 * The XBRL content of a filing, built from an administration's figures or checked when it sends a ready instance:
 * pure (no I/O), so the API can run it off its event loop (`off-thread.ts`) and every failure names its box or field.
 */
import type { OutgoingAttachment } from '../../domain/attachments';
import { ValidationError } from '../../domain/errors';
import { looksLikeUbl, refuseEInvoice } from '../../domain/filings';
import { kindOf, type FilingKind } from '../../domain/kinds';
import type { TaxPeriod } from '../../domain/periods';
import type { XbrlHeader } from './header';
import { kindContent } from './kinds';
import { XBRL_MAX_CHARS } from './parse';

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

/** The first entity identifier with this scheme in an instance, read without parsing (the instance is checked later). */
function entityIdentifierIn(instance: string | undefined, scheme: string): string | undefined {
  const quoted = scheme.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return instance?.match(new RegExp(`scheme="${quoted}"\\s*>\\s*([^<\\s]+)`))?.[1];
}

/**
 * A ready instance is at most XBRL_MAX_CHARS long, refused before anything else is done with it. Checked here rather
 * than as the schema's maxLength: that counts code points one by one on the API's event loop (~0.1 s for 20 MiB).
 */
export function assertInstanceSize(request: Pick<FilingRequest, 'instance'>): void {
  if (typeof request.instance === 'string' && request.instance.length > XBRL_MAX_CHARS) {
    throw new ValidationError('instance', `a ready instance is at most ${XBRL_MAX_CHARS} characters (20 MiB); this one has ${request.instance.length}`);
  }
}

/** The identifier the filing carries: given explicitly, or read from the ready instance's context. */
export function identifierOf(kind: FilingKind, request: FilingRequest): string {
  const { field, label, normalize } = kindOf(kind).identifier;
  const given = request[field] ?? entityIdentifierIn(request.instance, kindContent(kind).entityScheme);
  if (!given) throw new ValidationError(field, `the ${label} of the organisation is required`);
  return normalize(given);
}

/** Builds (from figures) or checks (a ready instance) the XBRL content, as the kind's module does it. */
export function buildContent(
  kind: FilingKind,
  request: FilingRequest,
  identifier: string,
  period: TaxPeriod,
  reference: string,
  now: Date,
  beconNumber?: string,
): string {
  const content = kindContent(kind);
  if (request.instance !== undefined) {
    if (looksLikeUbl(request.instance)) refuseEInvoice();
    content.checkReady(request.instance, request, { identifier, period, now });
    return request.instance;
  }
  return content.build(request, { identifier, period, now, header: header(request, reference, now, beconNumber) });
}
