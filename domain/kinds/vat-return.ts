/** The aangifte omzetbelasting (filings-xbrl.md §1). */
import { vatDueDate } from '../deadlines';
import { parsePeriod } from '../periods';
import { OB_NUMBER } from './identifiers';
import { defineKind } from './types';

export const vatReturn = defineKind({
  kind: 'vat-return',
  berichtsoort: 'Omzetbelasting',
  receiver: 'belastingdienst',
  identifier: OB_NUMBER,
  identityType: 'Fi',
  filedWithBecon: true,
  fiscal: true,
  sendsAttachments: false,
  oncePerPeriod: false,
  label: 'VAT return',
  labelNl: 'Btw-aangifte',
  approval: {
    adoptionBeforeApproval: false,
    holdsBackAnnualSupplement: true,
    waitsForReturnsAwaitingApproval: () => false,
  },
  portal: { approveButton: 'Approve' },
  // The end of the month after the period; a yearly return 31 March.
  dueDate: (period) => vatDueDate(parsePeriod(period)),
});
