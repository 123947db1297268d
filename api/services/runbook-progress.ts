import type { Client } from '@temporalio/client';
import { decodeOptionalFailureToOptionalError } from '@temporalio/common/lib/internal-non-workflow';
import type { RunbookPhase, RunbookProgressView, RunbookStepProgress } from '../../domain/runbooks';
import { TERMINAL_PHASES, type RunbookRow } from '../../db/repositories/runbooks';
import { runbookProgressQuery } from '../../workflows/certificate-runbook';

/** A runbook's progress as it is now: the workflow's own view while it runs, and why its step waits, if it does. */
export interface LiveRunbookProgress {
  phase: RunbookPhase;
  steps: RunbookStepProgress[];
  currentStep: string | null;
  progress: number;
  reason: string | null;
  /** Why the running step waits (an activity retried: Digipoort unavailable, mandates on their way), with its attempt. */
  waiting: { reason: string; attempt: number } | null;
  /** false: the workflow could not be asked; the stored read model is shown. */
  live: boolean;
}

const fromRow = (row: RunbookRow): LiveRunbookProgress => ({
  phase: row.phase,
  steps: row.steps,
  currentStep: row.current_step,
  progress: row.progress,
  reason: row.reason,
  waiting: null,
  live: false,
});

/**
 * Reads the runbook's progress for the console. A finished runbook is its stored read model; one that runs is asked
 * (the `runbookProgress` query: step counts between the stored updates) and described (a retried activity's last
 * failure says why the step waits). When Temporal cannot answer, the stored read model is shown.
 */
export async function liveRunbookProgress(temporal: Client, row: RunbookRow): Promise<LiveRunbookProgress> {
  if (TERMINAL_PHASES.includes(row.phase)) return fromRow(row);
  try {
    const handle = temporal.workflow.getHandle(row.workflow_id, undefined, { firstExecutionRunId: row.workflow_run_id ?? undefined });
    const [view, description] = await Promise.all([handle.query(runbookProgressQuery) as Promise<RunbookProgressView>, handle.describe()]);
    let waiting: LiveRunbookProgress['waiting'] = null;
    for (const pending of description.raw.pendingActivities ?? []) {
      if (!pending.lastFailure || (pending.attempt ?? 0) <= 1) continue;
      // The failure's text travels encoded (the payload codec): decoded with the client's own converter.
      const message = (await decodeOptionalFailureToOptionalError(temporal.workflow.options.loadedDataConverter, pending.lastFailure))?.message;
      if (message) {
        waiting = { reason: message, attempt: pending.attempt ?? 0 };
        break;
      }
    }
    return { phase: view.phase, steps: view.steps, currentStep: view.currentStep, progress: view.progress, reason: view.reason, waiting: view.phase === 'running' ? waiting : null, live: true };
  } catch {
    return fromRow(row);
  }
}
