import { isCancellation, proxyActivities, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { ClientDepartureActivities, DepartureProgress } from '../activities/client-departures';
import type { MandateTarget, RunbookActivities } from '../activities/runbooks';
import { departureMarkdown } from '../domain/client-departures';
import { mandateWaitOptions, reasonOf } from './activity-options';
import { askMandateToRevoke } from './mandate-revocation';
import { HubAttribute, OrganisationAttribute } from './search-attributes';

/**
 * A departing client (C6, seed 000 "SBA-machtigingen van vertrekkende cliënten"): its portal access ends first (a
 * client that leaves should not keep access while the register takes its time), then every open mandate of the
 * client, SBA and VIA, is revoked by its own `mandate` workflow, a few at a time, waiting for each to settle; the
 * outcome is recorded on the departure. Its id is `client-departure-<participant>-<client>`, so one runs per client.
 * A client has a handful of mandates, so the history stays small without continue-as-new.
 */
export interface ClientDepartureInput {
  departureId: string;
  participant: string;
  organisationId: string;
}

/** Mandates revoked at the same time (as a runbook does). */
const MANDATE_CONCURRENCY = 4;

const quick = proxyActivities<ClientDepartureActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', backoffCoefficient: 2, nonRetryableErrorTypes: ['DepartureMissing'] },
});

/** Waiting for the revocations is a poll (the runbooks' own), retried with backoff for at most a week. */
const waiting = proxyActivities<RunbookActivities>(mandateWaitOptions);

export async function clientDeparture(input: ClientDepartureInput): Promise<DepartureProgress> {
  const progress: DepartureProgress = { phase: 'ending-portal-access', total: 0, settled: 0, reason: null };
  const problems: string[] = [];
  const publish = async () => {
    setCurrentDetails(departureMarkdown(progress));
    await quick.recordClientDeparture({ departureId: input.departureId, progress });
  };
  upsertSearchAttributes([
    { key: HubAttribute, value: input.participant },
    { key: OrganisationAttribute, value: input.organisationId },
  ]);

  await publish();
  await quick.endDepartingClientPortalAccess({ departureId: input.departureId });

  progress.phase = 'revoking-mandates';
  // A departure asked for again (incomplete before) counts the mandates it settled already.
  const { targets, total, settled } = await quick.markDepartingClientRevocations({ departureId: input.departureId });
  progress.total = total;
  progress.settled = settled;
  await publish();
  for (let i = 0; i < targets.length; i += MANDATE_CONCURRENCY) {
    const batch: MandateTarget[] = targets.slice(i, i + MANDATE_CONCURRENCY);
    await Promise.all(batch.map((target) => askMandateToRevoke(target, `departure ${input.departureId}`, input.participant)));
    try {
      const { failed } = await waiting.awaitMandates({ mandateIds: batch.map((t) => t.mandateId), goal: 'closed' });
      for (const f of failed) problems.push(`mandate ${f.mandateId}: ${f.reason}`);
      progress.settled += batch.length - failed.length;
    } catch (err) {
      if (isCancellation(err)) throw err;
      // Not settled within the poll's week: recorded as open in the outcome; the next batch still goes ahead.
      problems.push(`mandates ${batch.map((t) => t.mandateId).join(', ')} did not settle: ${reasonOf(err)}`);
    }
    await publish();
  }

  const finished = await quick.finishClientDeparture({ departureId: input.departureId, reason: problems.length ? problems.join('; ') : null });
  Object.assign(progress, finished);
  setCurrentDetails(departureMarkdown(progress));
  return progress;
}
