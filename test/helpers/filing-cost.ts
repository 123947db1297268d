import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

/** What one workflow run cost the engine: from its history and from `describe` (the server's own count). */
export interface WorkflowCost {
  /** The server's state transitions of the run (DescribeWorkflowExecution: stateTransitionCount). */
  stateTransitions: number;
  events: number;
  workflowTasks: number;
  activities: number;
  localActivities: number;
  timers: number;
  searchAttributeUpserts: number;
  signals: number;
  updates: number;
}

/** Counts one closed (or open) run's history events by kind and reads its state transitions. */
export async function workflowCost(client: Client, workflowId: string): Promise<WorkflowCost> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  // As the recorded histories store it: event types by name.
  const events = (JSON.parse(historyToJSON(await handle.fetchHistory())) as { events?: HistoryEvent[] }).events ?? [];
  const count = (type: string) => events.filter((e) => eventTypeName(e.eventType) === type).length;
  const markers = events.filter((e) => eventTypeName(e.eventType) === 'MARKER_RECORDED' && e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length;
  return {
    stateTransitions: Number(description.raw.workflowExecutionInfo?.stateTransitionCount ?? 0),
    events: events.length,
    workflowTasks: count('WORKFLOW_TASK_COMPLETED'),
    activities: count('ACTIVITY_TASK_SCHEDULED'),
    localActivities: markers,
    timers: count('TIMER_STARTED'),
    searchAttributeUpserts: count('UPSERT_WORKFLOW_SEARCH_ATTRIBUTES'),
    signals: count('WORKFLOW_EXECUTION_SIGNALED'),
    updates: count('WORKFLOW_EXECUTION_UPDATE_ACCEPTED'),
  };
}

interface HistoryEvent {
  eventType: string;
  markerRecordedEventAttributes?: { markerName?: string };
}

function eventTypeName(type: string): string {
  return type.replace(/^EVENT_TYPE_/, '');
}

export function describeCost(label: string, cost: WorkflowCost): string {
  return `${label}: ${cost.stateTransitions} state transitions, ${cost.events} events (${cost.workflowTasks} workflow tasks, ${cost.activities} activities, ${cost.localActivities} local activities, ${cost.timers} timers, ${cost.searchAttributeUpserts} search-attribute upserts, ${cost.signals} signals, ${cost.updates} updates)`;
}
