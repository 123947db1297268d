/** The opgaaf intracommunautaire prestaties (filings-xbrl.md §2). */
import { icpDueDate } from '../deadlines';
import { parsePeriod } from '../periods';
import { OB_NUMBER } from './identifiers';
import { defineKind } from './types';

export const icp = defineKind({
  kind: 'icp',
  berichtsoort: 'ICP',
  receiver: 'belastingdienst',
  identifier: OB_NUMBER,
  identityType: 'Fi',
  filedWithBecon: true,
  fiscal: true,
  sendsAttachments: false,
  oncePerPeriod: false,
  label: 'ICP return',
  labelNl: 'Opgaaf intracommunautaire prestaties',
  approval: {
    adoptionBeforeApproval: false,
    holdsBackAnnualSupplement: true,
    waitsForReturnsAwaitingApproval: () => false,
  },
  portal: { approveButton: 'Approve' },
  // The same rule as the VAT return of the period.
  dueDate: (period) => icpDueDate(parsePeriod(period)),
});
