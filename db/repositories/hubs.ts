import type { Pool, PoolClient } from '../pool';

export interface Hub {
  id: string;
  environmentCode: string;
  participantNumber: string;
  name: string;
  sendReceiveIntervalSeconds: number;
  connectorAllowlist: string[];
  certificateMode: 'own' | 'service-provider';
  portalEnabled: boolean;
  accountantEmail: string | null;
  deletedAt: string | null;
  createdAt: string;
}

interface HubRow {
  id: string;
  environment_code: string;
  participant_number: string;
  name: string;
  send_receive_interval_seconds: number;
  connector_allowlist: string[];
  certificate_mode: 'own' | 'service-provider';
  portal_enabled: boolean;
  accountant_email: string | null;
  deleted_at: Date | null;
  created_at: Date;
}

export function toHub(row: HubRow): Hub {
  return {
    id: row.id,
    environmentCode: row.environment_code,
    participantNumber: row.participant_number,
    name: row.name,
    sendReceiveIntervalSeconds: row.send_receive_interval_seconds,
    connectorAllowlist: row.connector_allowlist,
    certificateMode: row.certificate_mode,
    portalEnabled: row.portal_enabled,
    accountantEmail: row.accountant_email,
    deletedAt: row.deleted_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
  };
}

/** A hub that exists and is not deleted. */
export async function findHub(db: Pool | PoolClient, participant: string): Promise<Hub | undefined> {
  const { rows } = await db.query<HubRow>('SELECT * FROM hubs WHERE participant_number = $1 AND deleted_at IS NULL', [participant]);
  return rows[0] ? toHub(rows[0]) : undefined;
}

export async function findHubById(db: Pool | PoolClient, id: string): Promise<Hub | undefined> {
  const { rows } = await db.query<HubRow>('SELECT * FROM hubs WHERE id = $1', [id]);
  return rows[0] ? toHub(rows[0]) : undefined;
}

export async function listHubs(db: Pool): Promise<Hub[]> {
  const { rows } = await db.query<HubRow>('SELECT * FROM hubs WHERE deleted_at IS NULL ORDER BY participant_number');
  return rows.map(toHub);
}

/** The hub's message types, all kinds present (a missing row means unblocked, no approval). */
export async function messageTypeSettings(
  db: Pool | PoolClient,
  hubId: string,
  kind: string,
): Promise<{ blocked: boolean; approvalWorkflow: 'none' | 'portal' }> {
  const { rows } = await db.query<{ blocked: boolean; approval_workflow: 'none' | 'portal' }>(
    'SELECT blocked, approval_workflow FROM message_types WHERE hub_id = $1 AND kind = $2',
    [hubId, kind],
  );
  return rows[0] ? { blocked: rows[0].blocked, approvalWorkflow: rows[0].approval_workflow } : { blocked: false, approvalWorkflow: 'none' };
}

/** Takes the next message number of the hub (H5), inside the caller's transaction. */
export async function nextMessageNumber(client: PoolClient, hubId: string): Promise<number> {
  const { rows } = await client.query<{ number: string }>(
    'UPDATE hubs SET next_message_number = next_message_number + 1 WHERE id = $1 RETURNING next_message_number - 1 AS number',
    [hubId],
  );
  return Number(rows[0].number);
}
