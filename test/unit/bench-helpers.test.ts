import os from 'node:os';
import path from 'node:path';
import { codeOwner, summariseProfile } from '../../scripts/bench/profile';
import { cpuBetween, cpuNow } from '../../scripts/bench/cpu';
import { temporal } from '@temporalio/proto';
import { fmt, formatTable, percentile, perMinute, ratio, secs } from '../../scripts/bench/stats';
import { shapeFromHistory, taskWaits } from '../../scripts/bench/shape';

const E = temporal.api.enums.v1.EventType;

describe('bench helpers (scripts/bench)', () => {
  it('percentiles interpolate between the closest ranks and ignore what is not a number', () => {
    expect(percentile([], 50)).toBeUndefined();
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([4, 1, 3, 2], 50)).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5], 0)).toBe(1);
    expect(percentile([1, 2, 3, 4, 5], 100)).toBe(5);
    expect(percentile(Array.from({ length: 101 }, (_, i) => i), 99)).toBe(99);
    expect(percentile([1, NaN, 3], 50)).toBe(2);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it('rates and ratios are undefined rather than infinite', () => {
    expect(perMinute(100, 30_000)).toBe(200);
    expect(perMinute(0, 30_000)).toBeUndefined();
    expect(perMinute(5, 0)).toBeUndefined();
    expect(ratio(3, 4)).toBe(0.75);
    expect(ratio(3, 0)).toBeUndefined();
    expect(ratio(undefined, 4)).toBeUndefined();
    expect(fmt(undefined)).toBe('–');
    expect(fmt(1.234, 2, ' kB')).toBe('1.23 kB');
    expect(secs(1530)).toBe('1.53 s');
  });

  it('prints a Markdown table with padded columns', () => {
    expect(formatTable(['Figure', 'N=10'], [['throughput', '190'], ['p99', '1.5 s']])).toBe(
      ['| Figure     | N=10  |', '|------------|-------|', '| throughput | 190   |', '| p99        | 1.5 s |'].join('\n'),
    );
  });

  it("reads the filing's shape from its history: activities in order, the acknowledgement, waits and upserts", () => {
    const activity = (name: string) => ({ eventType: E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, activityTaskScheduledEventAttributes: { activityType: { name } } });
    const shape = shapeFromHistory([
      { eventType: E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED },
      { eventType: E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES },
      activity('prepareForSending'),
      { eventType: E.EVENT_TYPE_TIMER_STARTED },
      { eventType: E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED },
      activity('recordDecision'),
      activity('submitToDigipoort'),
      activity('notifyAdministration'),
      { eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED' },
      { eventType: E.EVENT_TYPE_MARKER_RECORDED, markerRecordedEventAttributes: { markerName: 'core_local_activity' } },
      { eventType: E.EVENT_TYPE_MARKER_RECORDED, markerRecordedEventAttributes: { markerName: 'core_patch' } },
      { eventType: E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED },
    ]);
    expect(shape.counts).toEqual({ activities: 4, localActivities: 1, upserts: 1, updates: 1, signals: 1, timers: 1, sleeps: 0 });
    expect(shape.historyEvents).toBe(12);
    expect(shape.steps.map((s) => s.kind)).toEqual(['upsert', 'activity', 'timer', 'update', 'activity', 'activity', 'activity', 'signal', 'local']);
    expect(shape.steps.filter((s) => 'ack' in s && s.ack)).toEqual([{ kind: 'activity', name: 'submitToDigipoort', ack: true }]);
  });

  it('the lean shape: the sending step is the acknowledgement, and a timer that fired is a sleep of its duration', () => {
    const shape = shapeFromHistory([
      { eventType: E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, activityTaskScheduledEventAttributes: { activityType: { name: 'sendFiling' } } },
      { eventType: E.EVENT_TYPE_TIMER_STARTED, timerStartedEventAttributes: { timerId: '1', startToFireTimeout: { seconds: 2, nanos: 500_000_000 } } },
      { eventType: E.EVENT_TYPE_TIMER_STARTED, timerStartedEventAttributes: { timerId: '2', startToFireTimeout: { seconds: 86_400 } } },
      { eventType: E.EVENT_TYPE_TIMER_FIRED, timerFiredEventAttributes: { timerId: '1' } },
      { eventType: E.EVENT_TYPE_MARKER_RECORDED, markerRecordedEventAttributes: { markerName: 'core_local_activity' } },
    ]);
    expect(shape.steps).toEqual([{ kind: 'activity', name: 'sendFiling', ack: true }, { kind: 'sleep', ms: 2500 }, { kind: 'timer' }, { kind: 'local', name: 'local' }]);
    expect(shape.counts).toMatchObject({ timers: 1, sleeps: 1 });
  });

  it("measures each workflow task's wait for a worker after the approval, from the events' times", () => {
    const at = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });
    const events = [
      { eventType: E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, eventTime: at(0) },
      { eventType: E.EVENT_TYPE_WORKFLOW_TASK_STARTED, eventTime: at(9000) },
      { eventType: E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, eventTime: at(10_000) },
      { eventType: E.EVENT_TYPE_WORKFLOW_TASK_STARTED, eventTime: at(12_500) },
      { eventType: E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, eventTime: at(12_600) },
      { eventType: E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, eventTime: at(13_000) },
      { eventType: 'EVENT_TYPE_WORKFLOW_TASK_STARTED', eventTime: new Date(15_250).toISOString() },
      { eventType: E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, eventTime: at(17_000) },
      { eventType: E.EVENT_TYPE_WORKFLOW_TASK_STARTED, eventTime: at(17_040) },
    ];
    // Only the tasks after the update was accepted: the one that took it up belongs to approval → ack.
    expect(taskWaits(events)).toEqual([2250, 40]);
  });

  it('without an aanleveren-like activity the acknowledgement is the last call before the first status signal', () => {
    const activity = (name: string) => ({ eventType: E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, activityTaskScheduledEventAttributes: { activityType: { name } } });
    const shape = shapeFromHistory([activity('a'), activity('b'), { eventType: E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED }, activity('c')]);
    expect(shape.steps.filter((s) => 'ack' in s && s.ack)).toEqual([{ kind: 'activity', name: 'b', ack: true }]);
  });
});

describe('bench: CPU per part of the system (scripts/bench/cpu.ts)', () => {
  it('reads a process tree\'s CPU seconds from /proc, and what each part used between two readings', () => {
    const before = cpuNow({ self: process.pid, gone: 2 ** 22 + 1 });
    // 100 ms of this process's own CPU, however busy the machine is.
    let spin = 0;
    const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
    for (const end = cpu() + 100; cpu() < end; ) spin++;
    const after = cpuNow({ self: process.pid, gone: 2 ** 22 + 1 });
    expect(spin).toBeGreaterThan(0);
    expect(after.self).toBeGreaterThan(0);
    expect(after.gone).toBeUndefined();
    expect(after.postgres).toBeGreaterThanOrEqual(0);
    const used = cpuBetween(before, after, 1000);
    expect(used.parts.self).toBeGreaterThanOrEqual(0);
    expect(used.parts.bench).toBeGreaterThanOrEqual(0.1);
    expect(used.parts.gone).toBeUndefined();
    expect(used.coreSeconds).toBe(os.cpus().length);
  });
});

describe('bench: where the CPU went (scripts/bench/profile.ts)', () => {
  it('names the package, the project file or the V8 category of a sample, and shares the samples among them', () => {
    const root = path.resolve(__dirname, '..', '..');
    expect(codeOwner(`file://${root}/node_modules/@temporalio/worker/lib/worker.js`, 'run')).toBe('@temporalio/worker');
    expect(codeOwner(`file://${root}/node_modules/pg/lib/client.js`, 'query')).toBe('pg');
    expect(codeOwner(`file://${root}/activities/filing.ts`, 'send')).toBe(path.join('activities', 'filing.ts'));
    expect(codeOwner('node:internal/tls/wrap', 'x')).toBe('node:internal/tls/wrap');
    expect(codeOwner('', '(garbage collector)')).toBe('((garbage collector))');
    const profile = {
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: 0 } },
        { id: 2, callFrame: { functionName: 'query', url: `file://${root}/node_modules/pg/lib/client.js`, lineNumber: 1 } },
        { id: 3, callFrame: { functionName: 'send', url: `file://${root}/activities/filing.ts`, lineNumber: 1 } },
      ],
      samples: [2, 2, 3, 2],
      timeDeltas: [10, 10, 20, 20],
    };
    expect(summariseProfile(profile)).toEqual([{ owner: 'pg', share: 40 / 60 }, { owner: path.join('activities', 'filing.ts'), share: 20 / 60 }]);
  });
});
