import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { PlatformActivities } from '../activities/platform';

/**
 * The connectivity check: proves that the API can start a workflow, a worker runs it, and an activity writes to
 * PostgreSQL. Started by `POST /api/platform/checks`; its id is `platform-check-<checkId>`.
 */
export interface PlatformCheckInput {
  checkId: string;
}

export interface PlatformCheckResult {
  checkId: string;
  completedAt: string;
}

const { recordPlatformCheck } = proxyActivities<PlatformActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds', maximumAttempts: 10 },
});

export async function platformCheck(input: PlatformCheckInput): Promise<PlatformCheckResult> {
  const { runId } = workflowInfo();
  const completedAt = await recordPlatformCheck({ checkId: input.checkId, runId });
  return { checkId: input.checkId, completedAt };
}

export const platformCheckWorkflowId = (checkId: string): string => `platform-check-${checkId}`;
