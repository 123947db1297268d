import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { createDataConverter } from '../../temporal/data-converter';
import { FAILURE_CONVERTER_PATH } from '../../worker/bundle';
import { TEST_PAYLOAD_ENCRYPTION_KEYS } from '../setup/constants';

/**
 * Determinism guard: every recorded history in test/histories must replay on today's workflow code. A change that
 * alters the command sequence of an existing workflow fails here with a DeterminismViolationError; guard it with
 * patched() and record a new history beside the old one.
 */
const dir = path.join(__dirname, '..', 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('replay of recorded workflow histories', () => {
  it('has recorded histories to replay', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s replays without non-determinism', async (file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
    await Worker.runReplayHistory(
      {
        workflowBundle: { codePath: process.env.WORKFLOW_BUNDLE_PATH as string },
        dataConverter: { ...createDataConverter(TEST_PAYLOAD_ENCRYPTION_KEYS), failureConverterPath: FAILURE_CONVERTER_PATH },
        replayName: file,
      },
      history,
    );
  });
});
