import { createHash } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ValidationError, RuleViolation } from '../../domain/errors';
import { HttpError } from '../plugins/errors';
import {
  E_INVOICE_KIND,
  FILING_KINDS,
  assertKindUnblocked,
  filingKey,
  isFilingKind,
  refuseEInvoice,
  versionsToSupersede,
  assertResettable,
  type FilingKind,
  type DeliveryState,
} from '../../domain/filings';
import { formatPeriod, parsePeriod, type TaxPeriod } from '../../domain/periods';
import { inTransaction, type Pool, type PoolClient } from '../../db/pool';
import { writeLog } from '../../db/repositories/communication-log';
import { messageTypeSettings, nextMessageNumber, type Hub } from '../../db/repositories/hubs';
import { messageByNumber, toMessage, type Message, type MessageRow } from '../../db/repositories/messages';
import { beconNumberFor } from '../../db/repositories/certificates';
import { assertInstanceSize, buildContent, identifierOf, type FilingRequest } from '../../integrations/xbrl/filing-content';
import {
  RETURNS_HOLDING_BACK_ANNUAL_SUPPLEMENT,
  assertNoReturnAwaitingApproval,
  assertThroughPortalWhereRequired,
  dueDateFor,
} from '../../domain/approval';
import type { OffThread } from './off-thread';
import { assertFirstDepositOrResubmission } from './deposits';
import { attachmentsGoWith, checkOutgoingAttachments } from '../../domain/attachments';
import { keepOutgoingAttachments } from '../../db/repositories/attachments';
import { taxIdentifierSearchValue } from '../../lib/search-keys';
import type { ContentTask } from './off-thread-tasks';
import { filing, filingWorkflowId, supersededSignal, type FilingInput } from '../../workflows/filing';
import {
  AdministrationAttribute,
  HubAttribute,
  LifecycleStatusAttribute,
  MessageTypeAttribute,
  OrganisationAttribute,
  PeriodAttribute,
  TaxIdentifierAttribute,
} from '../../workflows/search-attributes';

export type { FilingRequest };

export interface AdministrationRef {
  id: string;
  organisationId: string | null;
}

export interface FilingServiceDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
  clock?: () => Date;
  /** The API's worker threads for CPU-heavy content work; without them it runs inline. */
  offThread?: OffThread;
  /** Key of the TaxIdentifier search attribute's keyed hash: the number itself never goes to Temporal. */
  searchKey: Buffer;
}

/** A message is stored in one transaction; a serialization failure or deadlock runs it again this often, then 503. */
const TRANSACTION_RETRIES = 3;

/** What the stored input keeps of the attachments: their names and types (the files are in message_attachments). */
function attachmentNames(request: FilingRequest): { filename: string; mimeType: string }[] | undefined {
  return request.attachments?.map((a) => ({ filename: a.filename, mimeType: a.mimeType }));
}

/** H14 in the preparation's log line: the attachments kept, and whether they go with the filing. */
function attachmentNote(spec: (typeof FILING_KINDS)[FilingKind], count: number): string {
  if (count === 0) return '';
  return `; ${count} attachment${count === 1 ? '' : 's'} kept with it (H14), ` +
    (attachmentsGoWith(spec) ? 'sent with it as berichtBijlagen' : 'not sent: the receiving process takes none with this message type');
}

/** Builds or checks the content on the API's worker threads when it has them: a ready instance may be 20 MiB. */
function contentOf(deps: FilingServiceDeps, task: ContentTask): Promise<string> {
  // The attachments are no part of the content: they need not travel to the worker thread.
  if (task.request.attachments) task = { ...task, request: { ...task.request, attachments: undefined } };
  if (deps.offThread) return deps.offThread.buildContent(task);
  return Promise.resolve(buildContent(task.kind, task.request, task.identifier, task.period, task.reference, new Date(task.now), task.beconNumber));
}

export interface PreparedFiling {
  message: Message;
  /** The stored row as the transaction wrote it (the connector answers with it, without reading it again). */
  row: MessageRow;
  workflowId: string;
  superseded: number[];
}

/**
 * Whether a filing of this kind may enter the hub for this client, and whether the client must approve it first: A4
 * (the type is not blocked), A1/A3 (approval on the portal when the type is linked to it and the hub has the portal
 * on), K1 (KvK documents only through the portal) and A2 (no annual supplement while a return waits for approval).
 * Prepared filings and held messages routed to a hub (H12) both pass here.
 */
async function admission(db: Pool | PoolClient, hub: Hub, kind: FilingKind, period: TaxPeriod, organisationId: string): Promise<{ approvalRequired: boolean }> {
  const settings = await messageTypeSettings(db, hub.id, kind);
  assertKindUnblocked(kind, settings.blocked);
  const approvalRequired = settings.approvalWorkflow === 'portal' && hub.portalEnabled;
  assertThroughPortalWhereRequired(kind, approvalRequired);
  const { rows: waiting } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM messages WHERE organisation_id = $1 AND kind = ANY($2) AND approval_required
        AND lifecycle IN (0, 10, 20, 30) AND NOT do_not_send`,
    [organisationId, RETURNS_HOLDING_BACK_ANNUAL_SUPPLEMENT],
  );
  assertNoReturnAwaitingApproval(kind, period, waiting[0].n);
  return { approvalRequired };
}

/**
 * Prepares a filing (H4: irreversible): checks H16, A4, A5 and the content, then stores the message with its number
 * and version in one transaction (older unsent versions flagged "do not send", H11) and starts its workflow. Every
 * refusal happens before anything is stored.
 */
export async function prepareFiling(
  deps: FilingServiceDeps,
  hub: Hub,
  administration: AdministrationRef,
  request: FilingRequest,
  options: { actor: string },
): Promise<PreparedFiling> {
  const now = (deps.clock ?? (() => new Date()))();
  if (request.kind === E_INVOICE_KIND) refuseEInvoice();
  if (!isFilingKind(request.kind)) throw new ValidationError('kind', `unknown filing kind "${request.kind}"`);
  assertInstanceSize(request);
  const kind = request.kind;
  const spec = FILING_KINDS[kind];
  const period = parsePeriod(request.period);
  const identifier = identifierOf(kind, request);
  const outgoing = checkOutgoingAttachments(request.attachments);

  // A5: route to the organisation by the identifier in the filing; refuse on a mismatch with the administration's.
  const { column, label } = spec.identifier;
  const { rows: organisations } = await deps.pool.query<{ id: string; name: string }>(
    `SELECT id, name FROM organisations WHERE hub_id = $1 AND ${column} = $2`,
    [hub.id, identifier],
  );
  const organisation = organisations[0];
  if (!organisation) throw new RuleViolation('A5', `no organisation of this hub has ${label} ${identifier}`);
  if (administration.organisationId && administration.organisationId !== organisation.id) {
    throw new RuleViolation('A5', `the ${label} ${identifier} in the filing does not match the organisation of this administration`);
  }
  const { approvalRequired } = await admission(deps.pool, hub, kind, period, organisation.id);
  await assertFirstDepositOrResubmission(deps.pool, { kind, organisationId: organisation.id, period: formatPeriod(period), resubmission: request.document?.resubmission === true });
  // The content is built and checked before anything is stored; the number is assigned after.
  const draftReference = `${hub.participantNumber}-new`;
  const beconNumber = spec.filedWithBecon ? await beconNumberFor(deps.pool, organisation.id, period.year) : undefined;
  const checked = await contentOf(deps, { kind, request, identifier, period, reference: draftReference, now: now.toISOString(), beconNumber });

  const prepared = await inTransaction(deps.pool, async (client: PoolClient) => {
    // The number's UPDATE locks the hub's row until commit: filings of one hub are numbered and versioned one at a time.
    const number = await nextMessageNumber(client, hub.id);
    // A ready instance is stored as checked; figures are built again with the message's own reference (small, fast).
    const content = request.instance !== undefined ? checked : buildContent(kind, request, identifier, period, `FH${hub.participantNumber}-${number}`.slice(0, 20), now, beconNumber);
    const key = filingKey(organisation.id, kind, formatPeriod(period));
    const { version, superseded, supersededNumbers } = await nextVersionOf(client, key);
    const workflowId = filingWorkflowId(hub.participantNumber, number);
    const dueDate = dueDateFor(kind, formatPeriod(period), {
      preparedOn: now.toISOString().slice(0, 10),
      financialYearEnd: request.document?.financialYear.end,
      adoptionDate: request.document?.adoptionDate,
    });
    const { rows } = await client.query<MessageRow>(
      `INSERT INTO messages (hub_id, number, direction, administration_id, organisation_id, kind, berichtsoort, period, filing_key,
         version, lifecycle, delivery_state, approval_required, identity_number, identity_type, input, content_xml, content_sha256,
         workflow_id, due_date)
       VALUES ($1, $2, 'outgoing', $3, $4, $5, $6, $7, $8, $9, 0, 'ready', $10, $11, $12, $13, $14, $15, $16, $17) RETURNING *`,
      [
        hub.id, number, administration.id, organisation.id, kind, spec.berichtsoort, formatPeriod(period), key, version,
        approvalRequired, identifier, spec.identityType,
        JSON.stringify({ ...request, instance: request.instance === undefined ? undefined : '(ready instance)', attachments: attachmentNames(request) }),
        content, createHash('sha256').update(content, 'utf8').digest('hex'), workflowId, dueDate,
      ],
    );
    await keepOutgoingAttachments(client, rows[0].id, outgoing);
    await writeLog(client, {
      hubId: hub.id,
      environment: hub.environmentCode,
      messageId: rows[0].id,
      messageNumber: number,
      step: 'prepare message',
      level: 'I',
      text: `${spec.label} ${formatPeriod(period)} for ${organisation.name} prepared as message ${number}, version ${version} (${options.actor})` +
        (superseded.length ? `; version ${superseded.join(', ')} marked "do not send" (H11)` : '') + attachmentNote(spec, outgoing.length),
    });
    return { row: rows[0], workflowId, superseded, supersededNumbers };
  }, { retries: TRANSACTION_RETRIES });
  await signalSuperseded(deps, hub, prepared.supersededNumbers);
  await startFilingWorkflow(deps, hub, prepared.row);
  return { message: toMessage(prepared.row), row: prepared.row, workflowId: prepared.workflowId, superseded: prepared.superseded };
}

/** H11: the superseded versions' workflows stop waiting (e.g. for the client's approval of content that changed). */
async function signalSuperseded(deps: FilingServiceDeps, hub: Hub, numbers: readonly number[]): Promise<void> {
  for (const number of numbers) {
    await deps.temporal.workflow
      .getHandle(filingWorkflowId(hub.participantNumber, number))
      .signal(supersededSignal)
      .catch(() => undefined);
  }
}

/**
 * H10: a failed message (only the latest version of its filing) is set back to ready and sent again as a new
 * Digipoort process. Refused with H10 otherwise; 404 when the hub has no such filing. Staff API and console alike.
 */
export async function resetFiling(deps: FilingServiceDeps, hub: Hub, number: number, by: string): Promise<MessageRow> {
  const row = await inTransaction(deps.pool, async (client) => {
    const current = await messageByNumber(client, hub.id, number, true);
    if (!current || current.direction !== 'outgoing') throw new HttpError(404, `no filing ${number}`);
    const { rows: latest } = await client.query<{ version: number }>('SELECT max(version) AS version FROM messages WHERE filing_key = $1', [current.filing_key]);
    assertResettable(
      { version: current.version, lifecycle: current.lifecycle ?? 0, deliveryState: current.delivery_state, doNotSend: current.do_not_send },
      latest[0].version,
    );
    const { rows } = await client.query<MessageRow>(
      `UPDATE messages SET delivery_state = 'ready', lifecycle = 50, do_not_send = false, digipoort_status = NULL, digipoort_status_at = NULL,
              attempt_started_at = NULL, workflow_closed_at = NULL, last_status_change_at = now()
        WHERE id = $1 RETURNING *`,
      [current.id],
    );
    await writeLog(client, { hubId: hub.id, environment: hub.environmentCode, messageId: current.id, messageNumber: Number(current.number), step: 'reset', level: 'I', text: `status reset by ${by}: sending again (H10)` });
    return rows[0];
  });
  await restartFilingWorkflow(deps, hub, row);
  return row;
}

/** How long a reset waits for the failed run to finish its last steps (telling the administration) before ending it. */
const PREVIOUS_RUN_GRACE_MS = 10_000;

/**
 * H10: the reset message (already stored as ready) gets a new run. The failed run may still be finishing (its last
 * callback, marking itself closed): starting now would join that run and the resend would never happen, so it is
 * given a moment to end, then terminated; a "closed" mark it wrote after the reset is undone before the new run starts.
 */
export async function restartFilingWorkflow(deps: FilingServiceDeps, hub: Hub, row: MessageRow): Promise<void> {
  const handle = deps.temporal.workflow.getHandle(filingWorkflowId(hub.participantNumber, Number(row.number)));
  const running = await handle.describe().then(
    (description) => description.status.name === 'RUNNING',
    (err: unknown) => {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    },
  );
  if (running) {
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      handle.result().then(() => true, () => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), PREVIOUS_RUN_GRACE_MS))),
    ]);
    clearTimeout(timer);
    if (!ended) await handle.terminate('H10: the message was reset; this failed run was still finishing').catch(() => undefined);
  }
  await deps.pool.query(`UPDATE messages SET workflow_closed_at = NULL WHERE id = $1 AND delivery_state = 'ready'`, [row.id]);
  await startFilingWorkflow(deps, hub, row, true);
}

/** Starts (idempotently) the filing workflow of a stored message; `restart` runs it again after a reset (H10). */
export async function startFilingWorkflow(deps: FilingServiceDeps, hub: Hub, row: MessageRow, restart = false): Promise<void> {
  const input: FilingInput = {
    messageId: row.id,
    participant: hub.participantNumber,
    number: Number(row.number),
    kind: row.kind,
    approvalRequired: row.approval_required,
  };
  await deps.temporal.workflow.start(filing, {
    workflowId: filingWorkflowId(hub.participantNumber, Number(row.number)),
    taskQueue: deps.taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: restart ? 'ALLOW_DUPLICATE' : 'REJECT_DUPLICATE',
    staticSummary: `${FILING_KINDS[row.kind as FilingKind]?.label ?? row.kind} ${row.period ?? ''} — hub ${hub.participantNumber}, message ${row.number} v${row.version}`,
    typedSearchAttributes: [
      { key: HubAttribute, value: hub.participantNumber },
      { key: AdministrationAttribute, value: row.administration_id ?? '' },
      { key: OrganisationAttribute, value: row.organisation_id ?? '' },
      { key: TaxIdentifierAttribute, value: taxIdentifierSearchValue(deps.searchKey, row.identity_number) },
      { key: PeriodAttribute, value: row.period ?? '' },
      { key: MessageTypeAttribute, value: row.berichtsoort },
      { key: LifecycleStatusAttribute, value: row.lifecycle ?? 0 },
    ],
  });
}

/**
 * H12: the administration's hub is gone. The filing is checked as usual and then held as "needs action" (no hub, no
 * number yet) until a person routes it to another hub or lets the system resolve it. Nothing sent is lost.
 */
export async function holdFiling(
  deps: FilingServiceDeps,
  goneHub: Hub,
  administration: AdministrationRef,
  request: FilingRequest,
  options: { actor: string },
): Promise<Message> {
  const now = (deps.clock ?? (() => new Date()))();
  if (request.kind === E_INVOICE_KIND) refuseEInvoice();
  if (!isFilingKind(request.kind)) throw new ValidationError('kind', `unknown filing kind "${request.kind}"`);
  const kind = request.kind;
  const spec = FILING_KINDS[kind];
  const period = parsePeriod(request.period);
  const identifier = identifierOf(kind, request);
  const outgoing = checkOutgoingAttachments(request.attachments);
  const content = await contentOf(deps, { kind, request, identifier, period, reference: 'FH-held', now: now.toISOString() });
  const reason = `H12: hub ${goneHub.participantNumber} cannot be found; route this message to another hub or resolve it automatically`;
  return inTransaction(deps.pool, async (client) => {
    const { rows } = await client.query<MessageRow>(
      `INSERT INTO messages (hub_id, number, direction, administration_id, kind, berichtsoort, period, version, lifecycle,
         delivery_state, identity_number, identity_type, input, content_xml, content_sha256, needs_action_reason)
       VALUES (NULL, NULL, 'outgoing', $1, $2, $3, $4, 1, 0, 'held', $5, $6, $7, $8, $9, $10) RETURNING *`,
      [administration.id, kind, spec.berichtsoort, formatPeriod(period), identifier, spec.identityType, JSON.stringify({ ...request, instance: undefined, attachments: attachmentNames(request) }),
        content, createHash('sha256').update(content, 'utf8').digest('hex'), reason],
    );
    await keepOutgoingAttachments(client, rows[0].id, outgoing);
    await writeLog(client, { hubId: null, environment: goneHub.environmentCode, messageId: rows[0].id, step: 'route message', level: 'F', text: `${reason} (${options.actor})` });
    return toMessage(rows[0]);
  }, { retries: TRANSACTION_RETRIES });
}

/**
 * H12: a held message goes to a hub: the organisation is found there by the filing's identifier (A5), the message gets
 * the hub's next number, becomes a version of that organisation's filing, and its workflow starts. Messages that were
 * handled correctly (not held) cannot be re-routed.
 */
export async function routeHeldMessage(deps: FilingServiceDeps, messageId: string, target: Hub, actor: string): Promise<Message> {
  const routed = await inTransaction(deps.pool, async (client) => {
    const { rows: found } = await client.query<MessageRow>('SELECT * FROM messages WHERE id = $1 FOR UPDATE', [messageId]);
    const row = found[0];
    if (!row || row.delivery_state !== 'held') {
      throw new RuleViolation('H12', 'only messages held as "needs action" can be routed; this one was handled correctly', 'conflict');
    }
    const kind = row.kind as FilingKind;
    const spec = FILING_KINDS[kind];
    const { rows: organisations } = await client.query<{ id: string }>(`SELECT id FROM organisations WHERE hub_id = $1 AND ${spec.identifier.column} = $2`, [target.id, row.identity_number]);
    if (!organisations[0]) throw new RuleViolation('A5', `hub ${target.participantNumber} has no organisation with ${spec.identifier.label} ${row.identity_number}`);
    // The target hub's rules apply as to any filing prepared there: above all, its client approves first (A1).
    const period = parsePeriod(row.period ?? '');
    const { approvalRequired } = await admission(client, target, kind, period, organisations[0].id);
    const resubmission = (row.input as FilingRequest | null)?.document?.resubmission === true;
    await assertFirstDepositOrResubmission(client, { kind, organisationId: organisations[0].id, period: formatPeriod(period), resubmission });
    // The number's UPDATE locks the target hub's row until commit (as in prepareFiling).
    const number = await nextMessageNumber(client, target.id);
    const key = filingKey(organisations[0].id, kind, formatPeriod(period));
    const { version: nextVersion, superseded, supersededNumbers } = await nextVersionOf(client, key);
    const document = (row.input as FilingRequest | null)?.document;
    const dueDate = dueDateFor(kind, formatPeriod(period), {
      preparedOn: row.created_at.toISOString().slice(0, 10),
      financialYearEnd: document?.financialYear.end,
      adoptionDate: document?.adoptionDate,
    });
    const { rows } = await client.query<MessageRow>(
      `UPDATE messages SET hub_id = $2, number = $3, organisation_id = $4, filing_key = $5, version = $6, delivery_state = 'ready',
              needs_action_reason = NULL, resolution = $7, resolved_at = now(), workflow_id = $8, approval_required = $9, due_date = coalesce(due_date, $10)
        WHERE id = $1 RETURNING *`,
      [messageId, target.id, number, organisations[0].id, key, nextVersion, `routed to hub ${target.participantNumber} by ${actor}`,
        filingWorkflowId(target.participantNumber, number), approvalRequired, dueDate],
    );
    await writeLog(client, {
      hubId: target.id,
      environment: target.environmentCode,
      messageId,
      messageNumber: number,
      step: 'route message',
      level: 'I',
      text: `held message routed here as message ${number} (${actor})` +
        (approvalRequired ? '; it goes to the client for approval on the portal first (A1)' : '') +
        (superseded.length ? `; version ${superseded.join(', ')} marked "do not send" (H11)` : ''),
    });
    return { row: rows[0], supersededNumbers };
  }, { retries: TRANSACTION_RETRIES });
  await signalSuperseded(deps, target, routed.supersededNumbers);
  await startFilingWorkflow(deps, target, routed.row);
  return toMessage(routed.row);
}

/**
 * H11: the next version of a filing (its key: client, kind, period) and the older versions it supersedes, with their
 * message numbers (flagged "do not send" in the same transaction).
 */
async function nextVersionOf(client: PoolClient, key: string): Promise<{ version: number; superseded: number[]; supersededNumbers: number[] }> {
  const { rows: versions } = await client.query<{ version: number; lifecycle: 0; delivery_state: DeliveryState }>(
    'SELECT version, lifecycle, delivery_state FROM messages WHERE filing_key = $1 ORDER BY version',
    [key],
  );
  const version = (versions[versions.length - 1]?.version ?? 0) + 1;
  const superseded = versionsToSupersede(versions.map((v) => ({ version: v.version, lifecycle: v.lifecycle, deliveryState: v.delivery_state })));
  const supersededNumbers = superseded.length
    ? (
        await client.query<{ number: string }>(
          `UPDATE messages SET do_not_send = true, delivery_state = 'superseded', last_status_change_at = now()
            WHERE filing_key = $1 AND version = ANY($2) RETURNING number`,
          [key, superseded],
        )
      ).rows.map((r) => Number(r.number))
    : [];
  return { version, superseded, supersededNumbers };
}
