import { clientDepartureWorkflowId, isDepartureFinished } from '../../domain/client-departures';
import { inTransaction } from '../../db/pool';
import { createOrRestartDeparture, departureOf, departureView, type DepartureApiView } from '../../db/repositories/client-departures';
import { writeLog } from '../../db/repositories/communication-log';
import type { Hub } from '../../db/repositories/hubs';
import { clientDeparture, type ClientDepartureInput } from '../../workflows/client-departure';
import { HttpError } from '../plugins/errors';
import type { MandateServiceDeps } from './mandates';

/**
 * A departing client (C6): one durable `clientDeparture` workflow per client ends its portal access and revokes every
 * mandate. Asking again answers the departure there is (running or completed); an incomplete one runs again.
 */
async function assertClientInHub(deps: MandateServiceDeps, hub: Hub, organisationId: string): Promise<void> {
  const { rowCount } = await deps.pool.query('SELECT 1 FROM organisations WHERE id = $1 AND hub_id = $2', [organisationId, hub.id]);
  if (!rowCount) throw new HttpError(404, `no client ${organisationId}`);
}

export async function startClientDeparture(deps: MandateServiceDeps, hub: Hub, organisationId: string, by: string): Promise<{ departure: DepartureApiView; started: boolean }> {
  await assertClientInHub(deps, hub, organisationId);
  const workflowId = clientDepartureWorkflowId(hub.participantNumber, organisationId);
  const { row, created, restarted } = await inTransaction(deps.pool, async (db) => {
    const result = await createOrRestartDeparture(db, { hubId: hub.id, organisationId, workflowId, requestedBy: by });
    if (result.created || result.restarted) {
      await writeLog(db, { hubId: hub.id, environment: hub.environmentCode, step: 'process message', level: 'I', text: `departure of client ${organisationId} ${result.created ? 'started' : 'started again'} by ${by}` });
    }
    return result;
  });
  if (!isDepartureFinished(row.phase)) {
    // Also for one found unfinished: a start that failed before is made now; a running one is left as it is. An
    // incomplete departure's outcome is on record before its run ends, so a run still ending is replaced.
    const input: ClientDepartureInput = { departureId: row.id, participant: hub.participantNumber, organisationId };
    await deps.temporal.workflow.start(clientDeparture, {
      workflowId,
      taskQueue: deps.taskQueue,
      args: [input],
      workflowIdConflictPolicy: restarted ? 'TERMINATE_EXISTING' : 'USE_EXISTING',
      staticSummary: `departure of client ${organisationId}`,
    });
  }
  return { departure: departureView((await departureOf(deps.pool, organisationId))!), started: created || restarted };
}

export async function readClientDeparture(deps: MandateServiceDeps, hub: Hub, organisationId: string): Promise<DepartureApiView> {
  await assertClientInHub(deps, hub, organisationId);
  const row = await departureOf(deps.pool, organisationId);
  if (!row) throw new HttpError(404, `client ${organisationId} is not departing`);
  return departureView(row);
}
