import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { RuleViolation } from '../../domain/errors';
import { planRunbook, type RunbookInput, type RunbookProgressView } from '../../domain/runbooks';
import { inTransaction, type Pool } from '../../db/pool';
import { lockCertificateSetup } from '../../db/repositories/certificates';
import { writeLog } from '../../db/repositories/communication-log';
import type { Hub } from '../../db/repositories/hubs';
import { loadRunbookWorld, lockCertificates, releaseCertificateLocks, runbookById, runbookView, TERMINAL_PHASES, type RunbookRow } from '../../db/repositories/runbooks';
import {
  cancelRunbookUpdate,
  certificateRunbook,
  certificateRunbookWorkflowId,
  confirmRunbookUpdate,
  retryRunbookUpdate,
  type CertificateRunbookInput,
} from '../../workflows/certificate-runbook';
import { CertificatesAttribute, HubAttribute, RunbookKindAttribute } from '../../workflows/search-attributes';
import { HttpError } from '../plugins/errors';

/** Starting and steering certificate runbooks (RB1–RB5) from the staff API. */
export interface RunbookServiceDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
  clock?: () => Date;
}

/**
 * Checks the runbook against the world now (a refusal names its rule and changes nothing), takes the certificates'
 * locks and starts the workflow, whose first activity computes the plan to confirm.
 */
export async function startRunbook(
  deps: RunbookServiceDeps,
  hub: Hub,
  input: RunbookInput,
  createdBy: string,
  options: { historyLimit?: number } = {},
): Promise<ReturnType<typeof runbookView>> {
  const now = (deps.clock ?? (() => new Date()))();
  const plan = planRunbook(await loadRunbookWorld(deps.pool, hub.id, now), input);
  const workflowId = certificateRunbookWorkflowId(hub.participantNumber, plan.primaryCertificateId);
  const row = await inTransaction(deps.pool, async (db) => {
    await lockCertificateSetup(db, hub.id);
    const { rows } = await db.query<RunbookRow>(
      `INSERT INTO runbooks (hub_id, kind, primary_certificate_id, certificate_ids, input, phase, steps, workflow_id, created_by)
       VALUES ($1, $2, $3, $4, $5, 'planning', '[]', $6, $7) RETURNING *`,
      [hub.id, input.kind, plan.primaryCertificateId, plan.certificateIds, JSON.stringify(input), workflowId, createdBy],
    );
    const held = await lockCertificates(db, rows[0].id, plan.certificateIds);
    if (held) {
      throw new RuleViolation(input.kind, `certificate ${held.certificateId} is already in runbook ${held.runbookId}: one runbook per certificate at a time`, 'conflict');
    }
    return rows[0];
  });
  const workflowInput: CertificateRunbookInput = { runbookId: row.id, hubId: hub.id, participant: hub.participantNumber, kind: input.kind, historyLimit: options.historyLimit };
  try {
    const handle = await deps.temporal.workflow.start(certificateRunbook, {
      workflowId,
      taskQueue: deps.taskQueue,
      args: [workflowInput],
      // One runbook per certificate at a time: a second start while one runs is a conflict, not a second runbook.
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      staticSummary: `${input.kind} for hub ${hub.participantNumber} (started by ${createdBy})`,
      typedSearchAttributes: [
        { key: HubAttribute, value: hub.participantNumber },
        { key: RunbookKindAttribute, value: input.kind },
        { key: CertificatesAttribute, value: plan.certificateIds },
      ],
    });
    await deps.pool.query('UPDATE runbooks SET workflow_run_id = $2 WHERE id = $1', [row.id, handle.firstExecutionRunId]);
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      await deps.pool.query('DELETE FROM runbooks WHERE id = $1', [row.id]);
      throw new RuleViolation(input.kind, `a runbook for certificate ${plan.primaryCertificateId} is already running: one runbook per certificate at a time`, 'conflict');
    }
    // The start may have reached Temporal after all: the locks go only when its workflow certainly does not run.
    const started = await workflowStarted(deps, workflowId);
    if (started === false) {
      await deps.pool.query('DELETE FROM runbooks WHERE id = $1', [row.id]);
      throw err;
    }
    if (started === undefined) {
      throw new HttpError(503, `runbook ${row.id} is stored with its locks, but whether its workflow started is unknown: read it again, or release it (POST .../runbooks/${row.id}/release) once its workflow is not running`);
    }
    await deps.pool.query('UPDATE runbooks SET workflow_run_id = $2 WHERE id = $1', [row.id, started]);
  }
  return runbookView((await runbookById(deps.pool, row.id))!);
}

/** The first run id of the chain running under `workflowId` (it started), false when none runs, undefined when unknown. */
async function workflowStarted(deps: RunbookServiceDeps, workflowId: string): Promise<string | false | undefined> {
  try {
    const description = await deps.temporal.workflow.getHandle(workflowId).describe();
    return description.status.name === 'RUNNING' ? (description.raw.workflowExecutionInfo?.firstRunId || description.runId) : false;
  } catch (err) {
    return err instanceof WorkflowNotFoundError ? false : undefined;
  }
}

/**
 * Releases the certificate locks of a runbook whose workflow no longer runs (terminated, timed out, or never
 * started after a crash): the runbook ends as failed with the reason, the certificates are free. 409 while its workflow
 * still runs: cancel it instead.
 */
export async function releaseRunbook(deps: RunbookServiceDeps, hub: Hub, id: string, by: string): Promise<ReturnType<typeof runbookView>> {
  const row = await loadRunbook(deps.pool, hub, id);
  let status: string;
  try {
    const description = await deps.temporal.workflow.getHandle(row.workflow_id).describe();
    // The workflow id is reused by later runbooks of the same certificate: only this runbook's chain counts.
    const ours = !row.workflow_run_id || description.raw.workflowExecutionInfo?.firstRunId === row.workflow_run_id || description.runId === row.workflow_run_id;
    if (ours && description.status.name === 'RUNNING') {
      throw new RuleViolation(row.kind, `the runbook's workflow ${row.workflow_id} is still running: cancel it (POST .../runbooks/${row.id}/cancel); its locks are released when it ends`, 'conflict');
    }
    status = ours ? description.status.name.toLowerCase().replace(/_/g, ' ') : 'not running';
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    status = 'not found';
  }
  await inTransaction(deps.pool, async (db) => {
    const { rowCount: locks } = await db.query('SELECT 1 FROM runbook_locks WHERE runbook_id = $1', [row.id]);
    const { rows } = await db.query<RunbookRow>('SELECT * FROM runbooks WHERE id = $1 FOR UPDATE', [row.id]);
    const current = rows[0];
    if (TERMINAL_PHASES.includes(current.phase) && !locks) throw new RuleViolation(row.kind, `the runbook is ${current.phase} and holds no locks: nothing to release`, 'conflict');
    const reason = `released by ${by}: its workflow is ${status}${current.reason ? ` (${current.reason})` : ''}`;
    await db.query(
      `UPDATE runbooks SET phase = CASE WHEN phase IN ('completed', 'cancelled', 'failed') THEN phase ELSE 'failed' END,
              reason = CASE WHEN phase IN ('completed', 'cancelled', 'failed') THEN reason ELSE $2 END,
              current_step = CASE WHEN phase IN ('completed', 'cancelled', 'failed') THEN current_step ELSE NULL END,
              finished_at = coalesce(finished_at, now()), updated_at = now()
        WHERE id = $1`,
      [row.id, reason],
    );
    await releaseCertificateLocks(db, row.id);
    await writeLog(db, { hubId: hub.id, environment: hub.environmentCode, step: 'certificate', level: 'F', text: `runbook ${row.kind} ${row.id}: locks of ${(locks ?? 0)} certificate(s) ${reason}` });
  });
  return runbookView((await runbookById(deps.pool, row.id))!);
}

export async function loadRunbook(pool: Pool, hub: Hub, id: string): Promise<RunbookRow> {
  const row = await runbookById(pool, id);
  if (!row || row.hub_id !== hub.id) throw new HttpError(404, `no runbook ${id}`);
  return row;
}

const UPDATES = { confirm: confirmRunbookUpdate, cancel: cancelRunbookUpdate, retry: retryRunbookUpdate } as const;

/** Confirm, cancel or retry: an update whose validator refuses what the runbook's phase does not allow. */
export async function steerRunbook(deps: RunbookServiceDeps, hub: Hub, id: string, action: keyof typeof UPDATES, by: string): Promise<RunbookProgressView & { id: string }> {
  const row = await loadRunbook(deps.pool, hub, id);
  if (TERMINAL_PHASES.includes(row.phase)) throw new RuleViolation(row.kind, `the runbook is ${row.phase}; nothing to ${action}`, 'conflict');
  try {
    // The latest run of this runbook's chain: a long runbook continues as new under the same workflow id.
    const view = await deps.temporal.workflow
      .getHandle(row.workflow_id, undefined, { firstExecutionRunId: row.workflow_run_id ?? undefined })
      .executeUpdate(UPDATES[action], { args: [{ by }] });
    return { id: row.id, ...view };
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const message = err.cause?.message ?? err.message;
      const rule = /^(RB\d|C\d): /.exec(message)?.[1] ?? row.kind;
      throw new RuleViolation(rule, message.replace(/^(RB\d|C\d): /, ''), 'conflict');
    }
    throw err;
  }
}
