import { platformCheck, platformCheckWorkflowId } from '../../workflows/platform-check';
import type { TestContext } from '../helpers/temporal';

/** Workflow runs whose histories are recorded (scripts/record-histories.ts) and replayed (replay.test.ts). */
export interface HistoryScenario {
  name: string;
  /** Runs the workflow to the point worth recording and returns its workflow id. */
  run(ctx: TestContext): Promise<string>;
}

export const HISTORY_SCENARIOS: HistoryScenario[] = [
  {
    name: 'platform-check-v1',
    async run(ctx) {
      const checkId = `recorded-${Date.now()}`;
      await ctx.pool.query('INSERT INTO platform_checks (id, label, workflow_id) VALUES ($1, $2, $3)', [
        checkId,
        'recorded',
        platformCheckWorkflowId(checkId),
      ]);
      const handle = await ctx.client.workflow.start(platformCheck, {
        workflowId: platformCheckWorkflowId(checkId),
        taskQueue: ctx.config.temporal.taskQueue,
        args: [{ checkId }],
      });
      await handle.result();
      return handle.workflowId;
    },
  },
];
