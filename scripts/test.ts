/**
 * `npm test`: runs Jest (one Temporal dev server, one fresh database for the whole run) and ends with the line
 * `N passed, N failed`, whatever Jest printed before it. Extra arguments go to Jest (`npm test -- test/unit`).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ensureChromium } from './lib/chromium';

const root = path.resolve(__dirname, '..');
const resultsDir = path.join(root, 'test-results');
mkdirSync(resultsDir, { recursive: true });
const resultsFile = path.join(resultsDir, 'jest-results.json');
rmSync(resultsFile, { force: true });

// The browser test drives Chromium; a fresh machine gets it from the Debian packages.
ensureChromium((line) => process.stdout.write(`${line}\n`));

const jest = require.resolve('jest/bin/jest');
const run = spawnSync(process.execPath, [jest, '--json', `--outputFile=${resultsFile}`, ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});

let passed = 0;
let failed = 0;
try {
  const results = JSON.parse(readFileSync(resultsFile, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numRuntimeErrorTestSuites: number;
    testResults: { status: string; assertionResults: unknown[] }[];
  };
  passed = results.numPassedTests;
  // A suite that fails to load (or a failing hook) has no failed test of its own: count it as one failure.
  failed = results.numFailedTests + results.testResults.filter((s) => s.status === 'failed' && s.assertionResults.length === 0).length;
} catch {
  failed = Math.max(failed, 1);
}
if (run.status !== 0 && failed === 0) failed = 1;
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(run.status === 0 && failed === 0 ? 0 : 1);
