import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Hub } from '../../db/repositories/hubs';
import { sendReceive, sendReceiveScheduleId, type SendReceiveInput } from '../../workflows/send-receive';
import { HubAttribute } from '../../workflows/search-attributes';

/** H8: the hub's send/receive Schedule (`send-receive-<participant>`), created or brought in line with the hub. */
export async function ensureSendReceiveSchedule(client: Client, taskQueue: string, hub: Hub): Promise<void> {
  const scheduleId = sendReceiveScheduleId(hub.participantNumber);
  const input: SendReceiveInput = { hubId: hub.id, participant: hub.participantNumber, trigger: 'schedule' };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: sendReceive,
    workflowId: scheduleId,
    taskQueue,
    args: [input] as [SendReceiveInput],
    typedSearchAttributes: [{ key: HubAttribute, value: hub.participantNumber }],
  };
  const spec = { intervals: [{ every: `${hub.sendReceiveIntervalSeconds} seconds` }] };
  const handle = client.schedule.getHandle(scheduleId);
  try {
    await handle.update((previous) => ({ ...previous, spec, action }));
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    await client.schedule.create({
      scheduleId,
      spec,
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
      memo: { purpose: `send and receive for hub ${hub.participantNumber}` },
    });
  }
}

export async function deleteSendReceiveSchedule(client: Client, participant: string): Promise<void> {
  try {
    await client.schedule.getHandle(sendReceiveScheduleId(participant)).delete();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
}
