import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

export const WORKFLOWS_PATH = require.resolve('../workflows');
export const FAILURE_CONVERTER_PATH = require.resolve('../temporal/failure-converter');

/** Bundles the workflow code for the sandbox (webpack, a few seconds); done once per process or ahead of time. */
export async function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    failureConverterPath: FAILURE_CONVERTER_PATH,
    // Keep webpack quiet: warnings go through Temporal's logger only when something is wrong.
    logger: { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: console.warn, error: console.error },
  });
}
