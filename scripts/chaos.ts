/**
 * `npm run chaos -- --n 200`: the large fault campaign (scripts/lib/chaos.ts) on this machine, with its figures.
 * Options: --n (filings, default 200), --clients (default n/4), --faults (share of failing Digipoort calls, 0.3),
 * --kills (worker kills, 4), --temporal-restarts (1), --kill-every (seconds between kills, 8), --aanleveren-only
 * (faults only on aanleveren), --keep.
 * Exit code 0 when every filing is final with no duplicate, misattribution, loss or person needed; 1 otherwise.
 */
import { formatChaosReport, runChaos } from './lib/chaos';
import { numericOption } from './lib/cli-options';


async function main(): Promise<void> {
  const n = numericOption('n', 200);
  const report = await runChaos({
    n,
    clients: numericOption('clients', Math.max(1, Math.ceil(n / 4))),
    faults: numericOption('faults', 0.3),
    workerKills: numericOption('kills', 4),
    temporalRestarts: numericOption('temporal-restarts', 1),
    killEveryMs: numericOption('kill-every', 8) * 1000,
    faultOperation: process.argv.includes('--aanleveren-only') ? 'aanleveren' : undefined,
    keep: process.argv.includes('--keep'),
  });
  process.stdout.write(`\n${formatChaosReport(report)}\n`);
  const clean = report.final === report.submitted && report.duplicates + report.misattributed + report.needsHuman + report.lost === 0;
  process.exit(clean ? 0 : 1);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
