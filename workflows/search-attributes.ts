import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Typed search attributes of every workflow, registered on the dev server at start (`npm start`, tests) and with
 * `temporal operator search-attribute create` on a cluster. Search attributes are not encrypted by the payload
 * codec: they carry internal ids, numbers and codes only, never names, keys or tokens.
 *
 * The dev server's SQL visibility allows at most 10 Keyword, 3 Int, 3 Datetime and 3 KeywordList attributes.
 */
export const HubAttribute = defineSearchAttributeKey('Hub', SearchAttributeType.KEYWORD);
export const AdministrationAttribute = defineSearchAttributeKey('Administration', SearchAttributeType.KEYWORD);
export const OrganisationAttribute = defineSearchAttributeKey('Organisation', SearchAttributeType.KEYWORD);
/** OB number for VAT, ICP and supplement filings; KvK number for annual reports. */
export const TaxIdentifierAttribute = defineSearchAttributeKey('TaxIdentifier', SearchAttributeType.KEYWORD);
export const PeriodAttribute = defineSearchAttributeKey('Period', SearchAttributeType.KEYWORD);
export const MessageTypeAttribute = defineSearchAttributeKey('MessageType', SearchAttributeType.KEYWORD);
export const DigipoortStatusAttribute = defineSearchAttributeKey('DigipoortStatus', SearchAttributeType.KEYWORD);
export const ReminderStateAttribute = defineSearchAttributeKey('ReminderState', SearchAttributeType.KEYWORD);
export const RunbookKindAttribute = defineSearchAttributeKey('RunbookKind', SearchAttributeType.KEYWORD);
export const RunbookStepAttribute = defineSearchAttributeKey('RunbookStep', SearchAttributeType.KEYWORD);

export const LifecycleStatusAttribute = defineSearchAttributeKey('LifecycleStatus', SearchAttributeType.INT);
export const RunbookProgressAttribute = defineSearchAttributeKey('RunbookProgress', SearchAttributeType.INT);

export const DueDateAttribute = defineSearchAttributeKey('DueDate', SearchAttributeType.DATETIME);
export const CertificateExpiresAtAttribute = defineSearchAttributeKey('CertificateExpiresAt', SearchAttributeType.DATETIME);

export const CertificatesAttribute = defineSearchAttributeKey('Certificates', SearchAttributeType.KEYWORD_LIST);
export const CertificateWarningsAttribute = defineSearchAttributeKey('CertificateWarnings', SearchAttributeType.KEYWORD_LIST);

export const ALL_SEARCH_ATTRIBUTES = [
  HubAttribute,
  AdministrationAttribute,
  OrganisationAttribute,
  TaxIdentifierAttribute,
  PeriodAttribute,
  MessageTypeAttribute,
  DigipoortStatusAttribute,
  ReminderStateAttribute,
  RunbookKindAttribute,
  RunbookStepAttribute,
  LifecycleStatusAttribute,
  RunbookProgressAttribute,
  DueDateAttribute,
  CertificateExpiresAtAttribute,
  CertificatesAttribute,
  CertificateWarningsAttribute,
] as const;
