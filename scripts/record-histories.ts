/**
 * Records workflow histories for the replay tests (test/histories/*.json): runs each scenario on a throwaway dev
 * server and database with the test codec key, and writes the history as JSON. Run after a deliberate workflow
 * change that is guarded by `patched()`, and commit the new file beside the old ones: old histories must keep
 * replaying.   npm run record:histories [-- <scenario>...]
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { startTestEnvironment } from '../test/setup/environment';
import { HISTORY_SCENARIOS } from '../test/replay/scenarios';
import { startTestContext } from '../test/helpers/temporal';

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const environment = await startTestEnvironment((msg) => console.log(msg));
  Object.assign(process.env, environment.env);
  const ctx = await startTestContext('record');
  try {
    for (const scenario of HISTORY_SCENARIOS) {
      if (wanted.length && !wanted.includes(scenario.name)) continue;
      const workflowId = await scenario.run(ctx);
      const history = await ctx.client.workflow.getHandle(workflowId).fetchHistory();
      const file = path.join(__dirname, '..', 'test', 'histories', `${scenario.name}.json`);
      writeFileSync(file, JSON.stringify(JSON.parse(historyToJSON(history)), null, 1) + '\n');
      console.log(`recorded ${scenario.name}: ${history.events?.length} events -> ${path.relative(process.cwd(), file)}`);
    }
  } finally {
    await ctx.close();
    await environment.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
