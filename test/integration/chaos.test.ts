import { formatChaosReport, runChaos } from '../../scripts/lib/chaos';

/**
 * The small fault campaign of issue 12 in every test run: the whole system under `npm start`, 12 filings of three
 * clients (two VAT returns per client in one submission lane, an ICP return and a supplement), 30 % of Digipoort calls
 * failing, the worker killed twice and the Temporal dev server once, by their pids. Every filing ends final, exactly
 * once at Digipoort, carrying its own process, and nobody has to step in. (`npm run chaos -- --n 200` runs the large one.)
 */
describe('chaos: faults and crashes under npm start', () => {
  it('12 filings, 30 % faults, two worker kills and a Temporal restart: all final, no duplicate, no misattribution, nobody asked', async () => {
    const report = await runChaos({
      n: 12,
      clients: 3,
      faults: 0.3,
      workerKills: 2,
      temporalRestarts: 1,
      killEveryMs: 5000,
      workflowBundlePath: process.env.WORKFLOW_BUNDLE_PATH,
      log: () => undefined,
    });
    const summary = formatChaosReport(report);
    expect({ summary, problems: report.problems, diagnostics: report.diagnostics }).toEqual({ summary, problems: [], diagnostics: undefined });
    expect(report).toMatchObject({ submitted: 12, final: 12, duplicates: 0, misattributed: 0, needsHuman: 0, lost: 0, unknownReturnMessages: 0, workerKills: 2, temporalRestarts: 1 });
    expect(report.accepted).toBe(12);
  }, 600_000);
});
