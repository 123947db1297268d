/**
 * `npm run bench`: a deadline day at engine speed, on this machine, in one run (scripts/bench/run.ts): on one Temporal
 * dev server started as `npm start` starts it (its own database, simulator, worker and API), (a) the engine's ceiling
 * with no-op workflows of the filing's shape, (b) real VAT filings through the connector and the portal's approval
 * update to the simulator and lifecycle 80, (c) WS-Security signing against bare crypto.sign, (d) the worker's RSS
 * with the filings awaiting approval. Prints a table. Not a test: nothing is asserted.
 * Options: --n (filings per round, default 100), --clients (client organisations per round, default n: one VAT return
 * each), --faults (share of failing Digipoort calls, default 0), --status-step-ms (simulator, default 20), --growth
 * (a second round at 10 n), --keep (keep DATA_DIR and the databases), --profile (CPU profiles of the worker, API and
 * simulator during the pipeline round, summarised; the files stay in test-results/bench-profiles/).
 */
import { formatBenchReport } from './bench/report';
import { runBench } from './bench/run';
import { numericOption } from './lib/cli-options';


async function main(): Promise<void> {
  const n = Math.max(1, Math.round(numericOption('n', 100)));
  const clientsGiven = process.argv.includes('--clients');
  const faults = numericOption('faults', 0);
  if (faults >= 1) {
    process.stderr.write('--faults is a share of calls: below 1\n');
    process.exit(64);
  }
  const report = await runBench({
    n,
    clients: clientsGiven ? Math.max(1, Math.round(numericOption('clients', n))) : undefined,
    faults,
    growth: process.argv.includes('--growth'),
    keep: process.argv.includes('--keep'),
    profile: process.argv.includes('--profile'),
    statusStepMs: numericOption('status-step-ms', 20),
    log: (line) => process.stdout.write(`[bench] ${line}\n`),
  });
  process.stdout.write(`\n${formatBenchReport(report)}\n`);
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
