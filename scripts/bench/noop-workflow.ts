/**
 * The bench's no-op filing (bench only; not in the product's worker): the same sequence of commands and messages as a
 * real filing (its shape, read from a finished filing's history), with activities that do nothing. Its throughput and
 * latencies are the engine's ceiling for a filing of that shape on this server.
 */
import { condition, defineQuery, defineSignal, defineUpdate, proxyActivities, proxyLocalActivities, setHandler, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import { LifecycleStatusAttribute } from '../../workflows/search-attributes';
import type { ShapeStep } from './shape';
import type { NoopActivities } from './noop-activities';

export interface NoopFilingInput {
  steps: ShapeStep[];
}

/** Wall-clock moments (the workflow task's clock) the bench reads from the result. */
export interface NoopFilingResult {
  /** When the approval was taken up (the first activity after the update returned). */
  approvedAt: number | null;
  /** When the acknowledgement activity finished (its own clock). */
  ackAt: number | null;
  finalAt: number;
}

export const noopApproveUpdate = defineUpdate<string, []>('noopApprove');
export const noopStatusSignal = defineSignal('noopStatus');
/** True once the workflow waits for the approval (the driver approves then, as the portal would only then). */
export const noopAwaitingQuery = defineQuery<boolean>('noopAwaiting');

const activities = proxyActivities<NoopActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', backoffCoefficient: 2 },
});
const local = proxyLocalActivities<NoopActivities>({ startToCloseTimeout: '30 seconds' });

/** LifecycleStatus as a filing moves: what each search-attribute upsert writes (the filing's own attribute). */
const phases = { before: 30, approved: 50, sent: 60, final: 80 };

export async function benchNoopFiling(input: NoopFilingInput): Promise<NoopFilingResult> {
  let approved = false;
  let taken = false;
  let awaiting = false;
  let signals = 0;
  let waitedSignals = 0;
  let phase = phases.before;
  let timerPending = false;
  const result: NoopFilingResult = { approvedAt: null, ackAt: null, finalAt: 0 };
  setHandler(noopAwaitingQuery, () => awaiting);
  setHandler(noopStatusSignal, () => {
    signals++;
  });
  setHandler(noopApproveUpdate, async () => {
    approved = true;
    await condition(() => taken);
    return 'approved';
  });
  const wait = async (until: () => boolean) => {
    // A pending reminder timer: the wait has a timeout (a timer started, then cancelled), as the filing's has.
    if (timerPending) {
      timerPending = false;
      await condition(until, '30 days');
    } else await condition(until);
  };
  let afterUpdate = false;
  const signalCount = input.steps.filter((s) => s.kind === 'signal').length;
  for (const step of input.steps) {
    switch (step.kind) {
      case 'activity':
      case 'local': {
        const call = step.kind === 'local' ? local : activities;
        const at = step.ack ? await call.noopAck(signalCount) : await call.noop();
        if (afterUpdate && !taken) {
          taken = true;
          result.approvedAt = Date.now();
          phase = phases.approved;
        }
        if (step.ack) {
          result.ackAt = at as number;
          phase = phases.sent;
        }
        break;
      }
      case 'upsert':
        upsertSearchAttributes([{ key: LifecycleStatusAttribute, value: phase }]);
        break;
      case 'update':
        awaiting = true;
        await wait(() => approved);
        awaiting = false;
        afterUpdate = true;
        break;
      case 'signal':
        waitedSignals++;
        await wait(() => signals >= waitedSignals);
        break;
      case 'timer':
        timerPending = true;
        break;
      case 'sleep':
        await sleep(step.ms);
        break;
    }
  }
  // An update with no activity after it: taken where it was accepted.
  taken = true;
  phase = phases.final;
  result.finalAt = Date.now();
  return result;
}
