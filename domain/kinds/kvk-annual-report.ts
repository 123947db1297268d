/**
 * The deposit of the annual report at KvK (filings-xbrl.md §5). `jaarverantwoording_kvk` is provisional: the
 * classic-XBRL KvK berichtsoort is not public.
 */
import { kvkDueDate } from '../deadlines';
import { KVK_NUMBER } from './identifiers';
import { defineKind } from './types';

export const kvkAnnualReport = defineKind({
  kind: 'kvk-annual-report',
  berichtsoort: 'jaarverantwoording_kvk',
  receiver: 'kvk',
  identifier: KVK_NUMBER,
  identityType: 'KvK',
  filedWithBecon: false,
  fiscal: false,
  sendsAttachments: true,
  oncePerPeriod: true,
  label: 'KvK annual report',
  labelNl: 'KvK jaarstukken',
  approval: {
    adoptionBeforeApproval: true,
    onlyThroughPortal: {
      rule: 'K1',
      reason:
        'KvK documents go to KvK only after the client\'s review and final approval on the portal: link the KvK message type to the portal approval and enable the portal for this hub',
    },
    holdsBackAnnualSupplement: false,
    waitsForReturnsAwaitingApproval: () => false,
  },
  portal: { approveButton: 'Approve and deposit at KvK' },
  // 8 days after adoption, at the latest 12 months after the end of the financial year (a calendar year by default).
  dueDate: (period, input) => kvkDueDate({ financialYearEnd: input.financialYearEnd ?? `${period}-12-31`, adoptionDate: input.adoptionDate }),
});
