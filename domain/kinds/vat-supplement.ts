/** The suppletie omzetbelasting (filings-xbrl.md §3). */
import { addDays } from '../periods';
import { OB_NUMBER } from './identifiers';
import { defineKind } from './types';

/** A supplement is due within 8 weeks of discovering the error: counted from its preparation (§7). */
const SUPPLEMENT_DAYS = 56;

export const vatSupplement = defineKind({
  kind: 'vat-supplement',
  berichtsoort: 'OBSUP',
  receiver: 'belastingdienst',
  identifier: OB_NUMBER,
  identityType: 'Fi',
  filedWithBecon: true,
  fiscal: true,
  sendsAttachments: false,
  oncePerPeriod: false,
  label: 'VAT supplement',
  labelNl: 'Suppletieaangifte',
  approval: {
    adoptionBeforeApproval: false,
    holdsBackAnnualSupplement: false,
    // A2 holds back the annual supplement only.
    waitsForReturnsAwaitingApproval: (period) => period.kind === 'year',
  },
  portal: { approveButton: 'Approve' },
  dueDate: (_period, input) => addDays(input.preparedOn, SUPPLEMENT_DAYS),
});
