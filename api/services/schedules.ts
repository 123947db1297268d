import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptionsAction,
  type ScheduleSpec,
  WorkflowNotFoundError,
} from '@temporalio/client';
import type { Hub } from '../../db/repositories/hubs';
import { certificateExpiryScheduleId, certificateExpiryWatch, type CertificateExpiryInput } from '../../workflows/certificate-expiry';
import { sendReceiveHub, sendReceiveHubWorkflowId, sendReceiveIntervalSignal, sendReceiveScheduleId } from '../../workflows/send-receive';
import { sendReceiveHubStart } from './send-receive';
import { HubAttribute } from '../../workflows/search-attributes';

/**
 * A hub's Schedule, created or brought in line with the hub: updated when it exists, created otherwise (and a
 * concurrent creation by another request counts as done). Never overlapping runs.
 */
async function ensureSchedule(
  client: Client,
  scheduleId: string,
  options: { spec: ScheduleSpec; action: ScheduleOptionsAction; catchupWindow: string; purpose: string },
): Promise<void> {
  const { spec, action } = options;
  try {
    await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action }));
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    try {
      await client.schedule.create({
        scheduleId,
        spec,
        action,
        policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: options.catchupWindow },
        memo: { purpose: options.purpose },
      });
    } catch (created) {
      if (!(created instanceof ScheduleAlreadyRunning)) throw created;
    }
  }
}

async function deleteSchedule(client: Client, scheduleId: string): Promise<void> {
  try {
    await client.schedule.getHandle(scheduleId).delete();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
}

/**
 * H8: the hub's long-lived send/receive workflow (`send-receive-<participant>`) runs, at the hub's interval: started
 * when it does not run, told the interval when it does (a changed setting takes effect at once). The per-run Schedule
 * of earlier versions (same id) is removed; runs it started finish on the old workflow type.
 */
export async function ensureSendReceiveWorkflow(client: Client, taskQueue: string, hub: Hub): Promise<void> {
  await client.workflow.signalWithStart(sendReceiveHub, {
    ...sendReceiveHubStart(taskQueue, hub),
    signal: sendReceiveIntervalSignal,
    signalArgs: [{ intervalSeconds: hub.sendReceiveIntervalSeconds }],
  });
  await deleteSchedule(client, sendReceiveScheduleId(hub.participantNumber));
}

/** C7: the hub's daily certificate expiry watch (`certificate-expiry-<participant>`). */
export async function ensureCertificateExpirySchedule(client: Client, taskQueue: string, hub: Pick<Hub, 'id' | 'participantNumber'>): Promise<void> {
  const scheduleId = certificateExpiryScheduleId(hub.participantNumber);
  const input: CertificateExpiryInput = { hubId: hub.id, participant: hub.participantNumber };
  await ensureSchedule(client, scheduleId, {
    spec: { intervals: [{ every: '1 day' }] },
    action: {
      type: 'startWorkflow',
      workflowType: certificateExpiryWatch,
      workflowId: scheduleId,
      taskQueue,
      args: [input],
      typedSearchAttributes: [{ key: HubAttribute, value: hub.participantNumber }],
    },
    // A missed day is caught up once; the watch never warns the same threshold twice anyway.
    catchupWindow: '1 day',
    purpose: `certificate expiry watch for hub ${hub.participantNumber}`,
  });
}

/** A deleted hub's Schedules and its send/receive workflow go with it. */
export async function deleteHubSchedules(client: Client, participant: string): Promise<void> {
  await deleteSchedule(client, sendReceiveScheduleId(participant));
  try {
    await client.workflow.getHandle(sendReceiveHubWorkflowId(participant)).terminate('hub deleted');
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  await deleteSchedule(client, certificateExpiryScheduleId(participant));
}
