import type { Client } from '@temporalio/client';
import { assertPortalAllowed } from '../../domain/approval';
import { checkReminderOffsets } from '../../domain/deadlines';
import { RuleViolation } from '../../domain/errors';
import type { FilingKind } from '../../domain/filings';
import type { Pool } from '../../db/pool';
import { writeLog } from '../../db/repositories/communication-log';
import { toHub, type Hub } from '../../db/repositories/hubs';
import { reminderMomentsOf, setMessageType, setReminderMoments, type HubReminderMoments } from '../../db/repositories/hub-settings';
import { ensureSendReceiveWorkflow } from './schedules';

/**
 * A hub's settings, changed the same way from the JSON API and the staff console: name, send/receive interval (the
 * schedule follows), connector allowlist, certificate mode, portal (A3), message types (A4) and reminder moments (A1).
 * None of these touches a certificate a runbook locks (groups, work certificate, Becons, master data and mandates do,
 * and their own routes check the locks), so no runbook lock applies here.
 */
export interface HubSettingsDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
}

export interface HubChanges {
  name?: string;
  sendReceiveIntervalSeconds?: number;
  connectorAllowlist?: string[];
  certificateMode?: 'own' | 'service-provider';
  portalEnabled?: boolean;
  accountantEmail?: string | null;
}

export async function changeHub(deps: HubSettingsDeps, hub: Hub, body: HubChanges): Promise<Hub> {
  const { pool } = deps;
  // The hub as loaded for this request; the database constraint guards a concurrent change too.
  const mode = body.certificateMode ?? hub.certificateMode;
  if (body.portalEnabled ?? hub.portalEnabled) assertPortalAllowed(mode);
  if (body.portalEnabled === true) {
    // A3 per administration too: one that files with a service provider's certificate keeps the portal off.
    const { rows: providers } = await pool.query<{ name: string }>(
      `SELECT name FROM administrations WHERE hub_id = $1 AND certificate_mode = 'service-provider' ORDER BY name LIMIT 5`,
      [hub.id],
    );
    if (providers.length) {
      throw new RuleViolation(
        'A3',
        `portal approval needs the firm's own certificate, but administration ${providers.map((p) => `"${p.name}"`).join(', ')} file(s) with a service provider's certificate: switch them to the own certificate first`,
        'conflict',
      );
    }
  }
  const { rows } = await pool.query(
    `UPDATE hubs SET name = COALESCE($2, name), send_receive_interval_seconds = COALESCE($3, send_receive_interval_seconds),
            connector_allowlist = COALESCE($4, connector_allowlist), certificate_mode = COALESCE($5, certificate_mode),
            portal_enabled = COALESCE($6, portal_enabled),
            accountant_email = CASE WHEN $7 THEN $8 ELSE accountant_email END
      WHERE id = $1 RETURNING *`,
    [
      hub.id, body.name ?? null, body.sendReceiveIntervalSeconds ?? null, body.connectorAllowlist ?? null,
      body.certificateMode ?? null, body.portalEnabled ?? null, body.accountantEmail !== undefined, body.accountantEmail ?? null,
    ],
  );
  const changed = toHub(rows[0]);
  await ensureSendReceiveWorkflow(deps.temporal, deps.taskQueue, changed);
  return changed;
}

/**
 * The hub's reminder moments, checked by the domain's rule first (a ValidationError names the field, e.g.
 * `moments[1].daysBefore`, and nothing is stored). Filings offered to the client from then on use them.
 */
export async function changeReminderMoments(pool: Pool, hub: Hub, moments: unknown, by: string): Promise<HubReminderMoments> {
  const checked = checkReminderOffsets(moments, 'moments');
  await setReminderMoments(pool, hub.id, checked, by);
  const text = checked.map((m) => `${m.kind} ${m.daysBefore} day(s) before`).join(', ') || 'none';
  await writeLog(pool, { hubId: hub.id, environment: hub.environmentCode, step: 'process message', level: 'I', text: `reminder moments set by ${by}: ${text}` });
  return reminderMomentsOf(pool, hub.id);
}

/** Blocks or unblocks message types (A4), all in one go. */
export async function changeMessageTypes(pool: Pool, hub: Hub, blocked: ReadonlyMap<FilingKind, boolean>): Promise<void> {
  for (const [kind, value] of blocked) await setMessageType(pool, hub.id, kind, value);
}
