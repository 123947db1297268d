/**
 * The KvK annual report as XBRL: built from the document information as not yet adopted (K3), rebuilt as adopted when
 * the client sets it; a ready instance must record its adoption (K2). The client sees the document's particulars.
 */
import { assertKvkPreparable, assertKvkSizeClass } from '../../../domain/approval';
import { RuleViolation, ValidationError } from '../../../domain/errors';
import { buildKvkAnnualReportInstance, KVK_SCHEME, readKvkAnnualReportInstance, readKvkFinancialStatements, type KvkDocumentInfo } from '../kvk';
import type { KindContent } from './types';

/** What the hub keeps of a KvK filing's document information (messages.input.document). */
export interface StoredKvkDocument extends Omit<KvkDocumentInfo, 'adopted' | 'kvkNumber'> {
  signedBy: { name: string; role: 'director' | 'commissioner'; date: string };
  adoptionDate: string;
}

export const kvkAnnualReportContent: KindContent = {
  entityScheme: KVK_SCHEME,
  build: (request, { identifier, now }) => {
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
  },
  checkReady: (instance, request, { identifier, now }) => {
    // A ready annual report: checked for its entry point and KvK number; it must record the adoption (K2, K3) that
    // the client confirms in the review (the hub cannot rewrite someone else's instance).
    const document = request.document;
    if (!document) throw new ValidationError('document', 'the annual report needs its document information (K2: adoption and signature)');
    assertKvkSizeClass(document.sizeClass);
    assertKvkPreparable({ adoptionDate: document.adoptionDate, signedBy: document.signedBy });
    const read = readKvkAnnualReportInstance(instance, {
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
  },
  portalView: (f) => {
    const d = f.input?.document ?? {};
    const signed = d.signedBy ?? {};
    const fy = d.financialYear;
    const text = (value: unknown) => (value === undefined || value === null ? '' : String(value));
    return {
      layout: 'document',
      rows: [
        { key: 'kvkNumber', value: f.identityNumber },
        { key: 'name', value: text(d.legalEntityName) },
        { key: 'legalForm', value: text(d.legalForm) },
        { key: 'registeredOffice', value: text(d.registeredOffice) },
        { key: 'financialYear', value: fy ? `${fy.start} – ${fy.end}` : '' },
        { key: 'sizeClass', value: text(d.sizeClass) },
        { key: 'adoptionDate', value: text(d.adoptionDate) },
      ],
      signedBy: { name: text(signed.name), role: text(signed.role), date: text(signed.date) },
      adopted: f.adopted,
      // The annual accounts' own figures, as the instance carries them (a ready instance; a built one has none).
      statements: f.contentXml ? readKvkFinancialStatements(f.contentXml) : undefined,
    };
  },
  adoptedContent: ({ identityNumber, input, filingDate }) => {
    const stored = input as { document: StoredKvkDocument; instance?: string };
    // A ready instance already records the adoption (checked when it was prepared): the client confirms it.
    if (stored.instance !== undefined) return undefined;
    const { signedBy: _signedBy, ...document } = stored.document;
    return buildKvkAnnualReportInstance(
      { ...document, kvkNumber: identityNumber, adopted: true, adoptionDate: stored.document.adoptionDate },
      { filingDate },
    );
  },
};
