import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { inTransaction, type Pool } from '../../db/pool';
import type { Hub } from '../../db/repositories/hubs';
import {
  createViaRetrieval,
  viaDataOf,
  viaDataVersionOfRetrieval,
  viaDataVersions,
  viaRetrievalById,
  viaRetrievalsOf,
  viaRetrievalView,
  type ViaRetrievalApiView,
  type ViaRetrievalRow,
} from '../../db/repositories/via';
import { viaRetrieval, type ViaRetrievalInput } from '../../workflows/via-retrieval';
import { HttpError } from '../plugins/errors';

/** VIA retrievals from the staff API: start one, follow it, read the data it stored (C4, C6). */
export interface ViaServiceDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
  clock?: () => Date;
}

const now = (deps: ViaServiceDeps) => (deps.clock ?? (() => new Date()))();

async function startWorkflow(deps: ViaServiceDeps, hub: Hub, row: ViaRetrievalRow): Promise<void> {
  const input: ViaRetrievalInput = { retrievalId: row.id, participant: hub.participantNumber };
  await deps.temporal.workflow.start(viaRetrieval, {
    workflowId: row.workflow_id,
    taskQueue: deps.taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: `VIA ${row.year} of client ${row.organisation_id}`,
  });
}

/**
 * Stores the retrieval (requested) after every check (C4, C6, C7: a refusal stores and sends nothing) and starts its
 * workflow, which sends it. A start that certainly failed ends the retrieval as failed (nothing was sent), which frees
 * the client and year; when that cannot be told, the retrieval stays and `POST .../check` starts its workflow.
 */
export async function startViaRetrieval(deps: ViaServiceDeps, hub: Hub, input: { organisationId: string; year?: number }, requestedBy: string): Promise<ViaRetrievalApiView> {
  const row = await inTransaction(deps.pool, async (db) => {
    const created = await createViaRetrieval(db, { hubId: hub.id, participant: hub.participantNumber, organisationId: input.organisationId, year: input.year, requestedBy, now: now(deps) });
    if (!created) throw new HttpError(404, `no client ${input.organisationId}`);
    return created;
  });
  try {
    await startWorkflow(deps, hub, row);
  } catch (err) {
    let running: boolean | undefined;
    try {
      await deps.temporal.workflow.getHandle(row.workflow_id).describe();
      running = true;
    } catch (describeError) {
      running = describeError instanceof WorkflowNotFoundError ? false : undefined;
    }
    if (running === false) {
      await deps.pool.query(
        `UPDATE via_retrievals SET state = 'failed', reason = 'its workflow could not be started; nothing was sent', finished_at = now() WHERE id = $1 AND state = 'requested' AND attempt = 0`,
        [row.id],
      );
      throw err;
    }
    if (running === undefined) throw new HttpError(503, `VIA retrieval ${row.id} is stored, but whether its workflow started is unknown: POST .../via-retrievals/${row.id}/check starts it if needed`);
  }
  return viaRetrievalView(row);
}

export async function loadViaRetrieval(deps: ViaServiceDeps, hub: Hub, organisationId: string, id: string): Promise<ViaRetrievalApiView> {
  const row = await viaRetrievalById(deps.pool, id);
  if (!row || row.hub_id !== hub.id || row.organisation_id !== organisationId) throw new HttpError(404, `no VIA retrieval ${id}`);
  return viaRetrievalView(row, await viaDataVersionOfRetrieval(deps.pool, row.id));
}

export async function listViaRetrievals(deps: ViaServiceDeps, hub: Hub, organisationId: string, year?: number): Promise<ViaRetrievalApiView[]> {
  const rows = await viaRetrievalsOf(deps.pool, hub.id, organisationId, year);
  return Promise.all(rows.map(async (r) => viaRetrievalView(r, await viaDataVersionOfRetrieval(deps.pool, r.id))));
}

/** A running retrieval whose workflow is gone (a crash between storing and starting) gets it started again. */
export async function checkViaRetrieval(deps: ViaServiceDeps, hub: Hub, organisationId: string, id: string): Promise<ViaRetrievalApiView> {
  const view = await loadViaRetrieval(deps, hub, organisationId, id);
  if (view.state === 'requested' || view.state === 'submitted') {
    const row = (await viaRetrievalById(deps.pool, id))!;
    await startWorkflow(deps, hub, row);
  }
  return view;
}

/** The stored data of a client and year (the latest version unless one is named), with every version's fetch time. */
export async function readViaData(deps: ViaServiceDeps, hub: Hub, organisationId: string, year: number, version?: number) {
  const row = await viaDataOf(deps.pool, hub.id, organisationId, year, version);
  if (!row) throw new HttpError(404, version ? `no version ${version} of the VIA data of ${year} for client ${organisationId}` : `no VIA data of ${year} stored for client ${organisationId}`);
  const versions = await viaDataVersions(deps.pool, organisationId, year);
  return {
    organisationId: row.organisation_id,
    year: row.year,
    version: row.version,
    retrievalId: row.retrieval_id,
    answeredAt: row.answered_at.toISOString(),
    fetchedAt: row.fetched_at.toISOString(),
    data: row.data,
    versions: versions.map((v) => ({ version: v.version, retrievalId: v.retrieval_id, fetchedAt: v.fetched_at.toISOString(), answeredAt: v.answered_at.toISOString() })),
  };
}
