import type { Client } from '@temporalio/client';
import type { Pool } from '../db/pool';
import type { WusClientPool } from '../integrations/wus/client-pool';
import { createCertificateActivities } from './certificates';
import { createClientDepartureActivities } from './client-departures';
import { createFilingActivities, type FilingActivityDeps } from './filing';
import { createMandateActivities } from './mandates';
import { createPlatformActivities } from './platform';
import { createRunbookActivities } from './runbooks';
import { createPortalActivities } from './portal';
import type { Mailer } from '../integrations/email/mailer';
import { createSendReceiveActivities } from './send-receive';
import { createViaActivities } from './via';

/** Everything an activity may touch, injected by the worker (and by tests). */
export interface ActivityDeps {
  pool: Pool;
  wus: WusClientPool;
  /** To start workflows from activities (send/receive starts filings that never started). */
  temporal?: Client;
  taskQueue: string;
  clock?: () => Date;
  fetch?: typeof fetch;
  /** E-mail delivery of the outbox; absent: e-mails wait in the outbox. */
  mailer?: Mailer;
  /** The API's public base URL, for portal login links in e-mails. */
  publicUrl?: string;
  /** A filing's own status follow-up after aanleveren (default: activities/filing.ts). */
  statusFollowUp?: FilingActivityDeps['statusFollowUp'];
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createPlatformActivities(deps),
    ...createFilingActivities(deps),
    ...createSendReceiveActivities(deps),
    ...createCertificateActivities(deps),
    ...createMandateActivities(deps),
    ...createRunbookActivities(deps),
    ...createPortalActivities(deps),
    ...createViaActivities(deps),
    ...createClientDepartureActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
