import {
  continueAsNew,
  defineQuery,
  getExternalWorkflowHandle,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ViaActivities, ViaRetrievalView } from '../activities/via';
import { nextViaCheckDelayMs, VIA_ANSWER_DEADLINE_MS } from '../domain/via';
import { digipoortCallOptions } from './activity-options';
import { checkMandateSignal } from './mandate';
import { CertificatesAttribute, HubAttribute, MessageTypeAttribute, OrganisationAttribute, PeriodAttribute } from './search-attributes';

/**
 * One VIA retrieval (seed 000, C4, C6): the request for a client's pre-filled income-tax data of one year is sent
 * through Digipoort with the certificate of the client's latest-year Becon (retried while Digipoort gives no clear
 * answer), then the request's process is read with backoff until the tax authority answers: the data is stored per
 * client and year (a new version), or the refusal is recorded. Its id is `via-<participant>-<client>-<year>-<n>`; the
 * retrieval's record in PostgreSQL holds its state, so a run that continues as new loses nothing.
 */
export interface ViaRetrievalInput {
  retrievalId: string;
  participant: string;
}

export const viaRetrievalStateQuery = defineQuery<ViaRetrievalView>('viaRetrievalState');

const quick = proxyActivities<ViaActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', backoffCoefficient: 2, nonRetryableErrorTypes: ['ViaRetrievalMissing'] },
});

/** The send: heartbeating, retried until Digipoort takes it or definitely refuses it (on the record, not thrown). */
const digipoort = proxyActivities<ViaActivities>(digipoortCallOptions(['ViaRetrievalMissing']));

const HISTORY_LIMIT = 5_000;

export async function viaRetrieval(input: ViaRetrievalInput): Promise<ViaRetrievalView> {
  let view = await quick.loadViaRetrieval({ retrievalId: input.retrievalId });
  let checks = 0;
  const show = () =>
    setCurrentDetails(
      [
        `**VIA ${view.year}** — ${view.state}`,
        '',
        `- Client: ${view.organisationId}`,
        `- Certificate: ${view.certificateId}`,
        `- Attempts: ${view.attempts}`,
        view.dataVersion ? `- Stored as version ${view.dataVersion}` : '',
        view.checkProblem ? `- Looking for the answer failed (asked again): ${view.checkProblem}` : '',
        view.reason ? `- Reason: ${view.reason}` : '',
      ]
        .filter((line, i) => i < 2 || line !== '')
        .join('\n'),
    );
  setHandler(viaRetrievalStateQuery, () => view);
  upsertSearchAttributes([
    { key: HubAttribute, value: input.participant },
    { key: OrganisationAttribute, value: view.organisationId },
    { key: CertificatesAttribute, value: [view.certificateId] },
    { key: MessageTypeAttribute, value: 'via' },
    { key: PeriodAttribute, value: String(view.year) },
  ]);
  show();

  if (view.state === 'requested') {
    view = await digipoort.submitViaRequest({ retrievalId: input.retrievalId });
    show();
  }
  while (view.state === 'submitted') {
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > HISTORY_LIMIT) await continueAsNew<typeof viaRetrieval>(input);
    if (view.submittedAt && Date.now() - Date.parse(view.submittedAt) > VIA_ANSWER_DEADLINE_MS) {
      view = await quick.giveUpViaRetrieval({ retrievalId: input.retrievalId, reason: `no answer from the tax authority within ${VIA_ANSWER_DEADLINE_MS / 3_600_000} hours` });
      break;
    }
    await sleep(nextViaCheckDelayMs(checks++));
    view = await quick.checkViaAnswer({ retrievalId: input.retrievalId });
    show();
  }
  if (view.state === 'refused' && view.mandateWorkflowId) {
    // The register may know something the hub does not (e.g. the client withdrew the mandate): its mandate looks now.
    try {
      await getExternalWorkflowHandle(view.mandateWorkflowId).signal(checkMandateSignal);
    } catch {
      // Its workflow has ended: the mandate is no longer open, nothing to tell it.
    }
  }
  show();
  return view;
}
