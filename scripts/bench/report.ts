import type { BenchReport, RoundFigures } from './run';
import { fmt, formatTable, percentile, ratio, secs } from './stats';

type Cell = { value?: number; text: string };

function cell(value: number | undefined, text?: string): Cell {
  return { value, text: text ?? fmt(value) };
}

/** The bench's table: one column per round (N, 10 N) and, with two rounds, how each figure grew. */
export function formatBenchReport(report: BenchReport): string {
  const rows: { label: string; cells: (r: RoundFigures) => Cell }[] = [
    { label: 'no-op ceiling (a), approved → final per minute', cells: (r) => cell(r.noop.perMinute, fmt(r.noop.perMinute, 0)) },
    { label: 'pipeline (b), approved → final per minute', cells: (r) => cell(r.real.perMinute, fmt(r.real.perMinute, 0)) },
    { label: 'ratio b / a', cells: (r) => cell(ratio(r.real.perMinute, r.noop.perMinute), fmt(ratio(r.real.perMinute, r.noop.perMinute), 2)) },
    ...(['approvalToAck', 'ackToFinal'] as const).flatMap((key) =>
      ([50, 99] as const).flatMap((p) => [
        {
          label: `${key === 'approvalToAck' ? 'approval → ack' : 'ack → final'} p${p}, no-op`,
          cells: (r: RoundFigures) => cell(percentile(r.noop[key], p), secs(percentile(r.noop[key], p))),
        },
        {
          label: `${key === 'approvalToAck' ? 'approval → ack' : 'ack → final'} p${p}, pipeline`,
          cells: (r: RoundFigures) => cell(percentile(r.real[key], p), secs(percentile(r.real[key], p))),
        },
      ]),
    ),
    ...([50, 99] as const).map((p) => ({
      label: `ack → final status stored and told p${p}, pipeline`,
      cells: (r: RoundFigures) => cell(percentile(r.real.ackToStored, p), secs(percentile(r.real.ackToStored, p))),
    })),
    ...([50, 99] as const).map((p) => ({
      label: `workflow task's wait for a worker after approval p${p}: no-op / pipeline`,
      cells: (r: RoundFigures) => {
        const [noop, real] = [percentile(r.noop.taskWaits?.perTask ?? [], p), percentile(r.real.taskWaits?.perTask ?? [], p)];
        return cell(real, `${secs(noop)} / ${secs(real)}`);
      },
    })),
    {
      label: 'all of a filing\'s task waits after approval p50: no-op / pipeline',
      cells: (r) => {
        const [noop, real] = [percentile(r.noop.taskWaits?.perFiling ?? [], 50), percentile(r.real.taskWaits?.perFiling ?? [], 50)];
        return cell(real, `${secs(noop)} / ${secs(real)}`);
      },
    },
    {
      label: 'CPU s during the pipeline round: worker, API, simulator, Temporal, PostgreSQL, bench (of the cores\' s)',
      cells: (r) => {
        const c = r.real.cpu;
        if (!c) return cell(undefined);
        const used = ['worker', 'api', 'simulator', 'temporal', 'postgres', 'bench'].map((name) => fmt(c.parts[name], 0));
        return cell(c.coreSeconds, `${used.join(', ')} (${fmt(c.coreSeconds, 0)})`);
      },
    },
    { label: 'pipeline filings final (at 80) / posted', cells: (r) => cell(r.real.completed, `${r.real.completed} (${r.real.final80}) / ${r.n}`) },
    { label: 'connector posts per minute', cells: (r) => cell(r.real.postedPerMinute, fmt(r.real.postedPerMinute, 0)) },
    {
      label: "status follow-up polls per filing: asked / skipped over the hub's rate",
      cells: (r) => cell(r.real.followUps.taken, `${fmt(r.real.followUps.taken / r.n, 2)} / ${fmt(r.real.followUps.skipped / r.n, 2)}`),
    },
    { label: 'approval updates sent again (timeout): no-op / pipeline', cells: (r) => cell(r.real.updateRetries, `${r.noop.updateRetries} / ${r.real.updateRetries}`) },
    { label: 'worker RSS idle → N awaiting approval (d)', cells: (r) => cell(r.rss.openKb, `${fmt((r.rss.baselineKb ?? NaN) / 1024, 0)} → ${fmt((r.rss.openKb ?? NaN) / 1024, 0)} MB`) },
    {
      label: 'worker RSS per open filing',
      cells: (r) => {
        const per = r.rss.openKb !== undefined && r.rss.baselineKb !== undefined ? (r.rss.openKb - r.rss.baselineKb) / r.n : undefined;
        return cell(per, fmt(per, 0, ' kB'));
      },
    },
    { label: 'history events per filing: pipeline / no-op', cells: (r) => cell(r.real.historyEvents, `${fmt(r.real.historyEvents, 0)} / ${fmt(r.noop.historyEvents, 0)}`) },
    { label: 'state transitions per filing: pipeline / no-op', cells: (r) => cell(r.real.stateTransitions, `${fmt(r.real.stateTransitions, 0)} / ${fmt(r.noop.stateTransitions, 0)}`) },
  ];
  const rounds = report.rounds;
  const growth = rounds.length > 1;
  const headers = ['Figure', ...rounds.map((r) => `N=${r.n}`), ...(growth ? [`growth ×${rounds[1].n / rounds[0].n}`] : [])];
  const body = rows.map((row) => {
    const cells = rounds.map(row.cells);
    const grown = growth ? [fmt(ratio(cells[1].value, cells[0].value), 2, '×')] : [];
    return [row.label, ...cells.map((c) => c.text), ...grown];
  });
  const s = report.signing;
  const c = report.shape.counts;
  const signingRatio = ratio(s.wssPerSecond, s.barePerSecond);
  return [
    formatTable(headers, body),
    '',
    formatTable(
      ['Once per run', 'Figure'],
      [
        ['filing shape (from a finished filing\'s history)', `${c.activities} activities, ${c.localActivities} local activities, ${c.upserts} search-attribute upserts, ${c.updates} update(s), ${c.signals} signals, ${c.timers} timers, ${c.sleeps} timers that fire`],
        ['the hub\'s first send/receive full scan, before the rounds: Digipoort calls, s after set-up', `${fmt(report.firstFullScan.calls, 0)}, ${report.firstFullScan.seconds} s`],
        ['probe filing: history events / state transitions', `${fmt(report.probe.historyEvents, 0)} / ${fmt(report.probe.stateTransitions, 0)}`],
        [`signing (c), ${(s.envelopeBytes / 1000).toFixed(1)} kB envelope: WS-Security / bare crypto.sign per s`, `${fmt(s.wssPerSecond, 0)} / ${fmt(s.barePerSecond, 0)}`],
        ['ratio c (WS-Security / bare)', fmt(signingRatio, 3)],
        ['worker: cached workflows / workflow task, activity, local activity slots', `${report.workerTuning.maxCachedWorkflows} / ${report.workerTuning.maxConcurrentWorkflowTaskExecutions}, ${report.workerTuning.maxConcurrentActivityTaskExecutions}, ${report.workerTuning.maxConcurrentLocalActivityExecutions}`],
        ['machine', report.machine],
        ['run time', `${report.seconds} s`],
      ],
    ),
    ...profileLines(rounds[0]?.real.profiles),
  ].join('\n');
}

/** `--profile`: per part, the code that took the most CPU samples in the pipeline round. */
function profileLines(profiles: RoundFigures['real']['profiles']): string[] {
  if (!profiles) return [];
  const parts = Object.entries(profiles);
  return ['', formatTable(['Part', 'Where its CPU went in the pipeline round (share of samples)'], parts.map(([part, top]) => [part, top.map((t) => `${t.owner} ${(t.share * 100).toFixed(0)} %`).join(', ')]))];
}
