import { temporal } from '@temporalio/proto';

/**
 * The filing's shape as the engine sees it, read from the history of a real, finished filing (so it is whatever
 * workflows/filing.ts does at that moment, not a count kept by hand): the commands and messages in their order.
 * The bench's no-op workflow (noop-workflow.ts) replays this sequence with activities that do nothing.
 */
export type ShapeStep =
  | { kind: 'activity'; name: string; ack?: boolean }
  | { kind: 'local'; name: string; ack?: boolean }
  | { kind: 'upsert' }
  /** Wait here for the approval update (the first activity after it is the decision being recorded). */
  | { kind: 'update' }
  /** Wait here for one more status signal. */
  | { kind: 'signal' }
  /** A timer started (reminders): the next wait carries a timeout, so the timer is started and cancelled. */
  | { kind: 'timer' }
  /** A timer that fired (the status follow-up's moments): the workflow sleeps `ms`. */
  | { kind: 'sleep'; ms: number };

export interface FilingShape {
  steps: ShapeStep[];
  counts: { activities: number; localActivities: number; upserts: number; updates: number; signals: number; timers: number; sleeps: number };
  /** Events of the history it was read from. */
  historyEvents: number;
}

/** What shapeFromHistory needs of an event (protobuf's IHistoryEvent fits). */
export interface HistoryEventLike {
  eventType?: number | string | null;
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string | null } | null } | null;
  markerRecordedEventAttributes?: { markerName?: string | null; details?: Record<string, { payloads?: { data?: Uint8Array | null }[] | null }> | null } | null;
  timerStartedEventAttributes?: { timerId?: string | null; startToFireTimeout?: { seconds?: number | string | { toNumber(): number } | null; nanos?: number | null } | null } | null;
  timerFiredEventAttributes?: { timerId?: string | null } | null;
}

const E = temporal.api.enums.v1.EventType;
const EVENT = {
  ACTIVITY_TASK_SCHEDULED: E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
  TIMER_STARTED: E.EVENT_TYPE_TIMER_STARTED,
  TIMER_FIRED: E.EVENT_TYPE_TIMER_FIRED,
  WORKFLOW_EXECUTION_SIGNALED: E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
  MARKER_RECORDED: E.EVENT_TYPE_MARKER_RECORDED,
  UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
  WORKFLOW_EXECUTION_UPDATE_ACCEPTED: E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
} as const;

function typeOf(event: HistoryEventLike): number | undefined {
  if (typeof event.eventType === 'number') return event.eventType;
  if (typeof event.eventType === 'string') return (E as unknown as Record<string, number>)[event.eventType];
  return undefined;
}

/** The activity type of a local-activity marker (the SDK's `core_local_activity` marker carries it in its data). */
function localActivityName(event: HistoryEventLike): string {
  const data = event.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
  if (data) {
    try {
      const parsed = JSON.parse(Buffer.from(data).toString('utf8')) as { activityType?: string; activity_type?: string };
      return parsed.activityType ?? parsed.activity_type ?? 'local';
    } catch {
      // not JSON: unnamed
    }
  }
  return 'local';
}

/** The activity whose completion is Digipoort's acknowledgement (the kenmerk stored): aanleveren, or the sending step. */
const ACK_ACTIVITY = /submit|aanlever|^sendFiling$/i;

type ProtoSeconds = number | string | { toNumber(): number } | null | undefined;

/** Protobuf seconds (a Long in decoded messages) as a number. */
function secondsOf(seconds: ProtoSeconds): number {
  return typeof seconds === 'object' && seconds !== null ? seconds.toNumber() : Number(seconds ?? 0);
}

/** A protobuf duration in ms. */
function durationMs(d: NonNullable<NonNullable<HistoryEventLike['timerStartedEventAttributes']>['startToFireTimeout']> | undefined | null): number {
  if (!d) return 0;
  return secondsOf(d.seconds) * 1000 + Math.round((d.nanos ?? 0) / 1e6);
}

export function shapeFromHistory(events: HistoryEventLike[]): FilingShape {
  const steps: ShapeStep[] = [];
  const timers = new Map<string, { index: number; ms: number }>();
  for (const event of events) {
    switch (typeOf(event)) {
      case EVENT.ACTIVITY_TASK_SCHEDULED:
        steps.push({ kind: 'activity', name: event.activityTaskScheduledEventAttributes?.activityType?.name ?? 'activity' });
        break;
      case EVENT.MARKER_RECORDED:
        if (event.markerRecordedEventAttributes?.markerName === 'core_local_activity') steps.push({ kind: 'local', name: localActivityName(event) });
        break;
      case EVENT.UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
        steps.push({ kind: 'upsert' });
        break;
      case EVENT.WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
        steps.push({ kind: 'update' });
        break;
      case EVENT.WORKFLOW_EXECUTION_SIGNALED:
        steps.push({ kind: 'signal' });
        break;
      case EVENT.TIMER_STARTED:
        timers.set(event.timerStartedEventAttributes?.timerId ?? String(timers.size), { index: steps.length, ms: durationMs(event.timerStartedEventAttributes?.startToFireTimeout) });
        steps.push({ kind: 'timer' });
        break;
      case EVENT.TIMER_FIRED: {
        const timer = timers.get(event.timerFiredEventAttributes?.timerId ?? '');
        if (timer) steps[timer.index] = { kind: 'sleep', ms: timer.ms };
        break;
      }
      default:
        break;
    }
  }
  // The acknowledgement: the last aanleveren-like activity; else the last activity before the first status signal.
  const isCall = (s: ShapeStep): s is Extract<ShapeStep, { kind: 'activity' | 'local' }> => s.kind === 'activity' || s.kind === 'local';
  let ack = steps.map((s, i) => (isCall(s) && ACK_ACTIVITY.test(s.name) ? i : -1)).filter((i) => i >= 0).pop();
  if (ack === undefined) {
    const firstSignal = steps.findIndex((s) => s.kind === 'signal');
    const before = (firstSignal === -1 ? steps : steps.slice(0, firstSignal)).map((s, i) => (isCall(s) ? i : -1)).filter((i) => i >= 0);
    ack = before.pop();
  }
  if (ack !== undefined) {
    const step = steps[ack];
    if (isCall(step)) step.ack = true;
  }
  const count = (kind: ShapeStep['kind']) => steps.filter((s) => s.kind === kind).length;
  return {
    steps,
    counts: {
      activities: count('activity'),
      localActivities: count('local'),
      upserts: count('upsert'),
      updates: count('update'),
      signals: count('signal'),
      timers: count('timer'),
      sleeps: count('sleep'),
    },
    historyEvents: events.length,
  };
}

/** What taskWaits needs of an event: its type and time. */
export interface TimedEventLike {
  eventType?: number | string | null;
  eventTime?: { seconds?: ProtoSeconds; nanos?: number | null } | string | null;
}

function eventTimeMs(event: TimedEventLike): number | undefined {
  const t = event.eventTime;
  if (!t) return undefined;
  if (typeof t === 'string') return Date.parse(t);
  return secondsOf(t.seconds) * 1000 + (t.nanos ?? 0) / 1e6;
}

/**
 * How long each workflow task after the approval update waited for a worker (WorkflowTaskScheduled → Started), in ms:
 * on a saturated machine this queue, not Digipoort's clock or our timers, is what the latency after the ack is made of.
 */
export function taskWaits(events: TimedEventLike[]): number[] {
  const waits: number[] = [];
  let approved = false;
  let scheduledAt: number | undefined;
  for (const event of events) {
    const type = typeOf(event);
    if (type === EVENT.WORKFLOW_EXECUTION_UPDATE_ACCEPTED) approved = true;
    if (type === E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED) scheduledAt = eventTimeMs(event);
    if (type === E.EVENT_TYPE_WORKFLOW_TASK_STARTED && approved) {
      const startedAt = eventTimeMs(event);
      if (scheduledAt !== undefined && startedAt !== undefined) waits.push(startedAt - scheduledAt);
    }
  }
  return waits;
}
