import { randomBytes } from 'node:crypto';
import { hashToken } from '../../api/plugins/auth';
import { assertNotDeparted } from '../../domain/client-departures';
import type { Pool, PoolClient } from '../pool';
import { departureOf } from './client-departures';

/** Portal login tokens: 256 bits, prefixed so they are recognisable in a leak report; only the hash is stored. */
export const PORTAL_TOKEN_PREFIX = 'fhp_';

/** The link a contact person opens: the token rides in the fragment, so browsers never send it to a server. */
export function portalLoginLink(publicUrl: string, token: string): string {
  return `${publicUrl}/portal/login#t=${token}`;
}

/**
 * C6: a departing (or departed) client's contact persons get no new link. Inside a transaction the client row stays
 * locked (FOR SHARE) until it commits, so a departure that starts meanwhile ends this link too.
 */
export async function assertPortalLinkAllowed(db: Pool | PoolClient, organisationId: string): Promise<void> {
  await db.query('SELECT id FROM organisations WHERE id = $1 FOR SHARE', [organisationId]);
  assertNotDeparted(await departureOf(db, organisationId), 'a new portal link');
}

/** Issues a single-use login token for a contact person; the plain token is returned once and never stored. */
export async function issuePortalToken(
  db: Pool | PoolClient,
  input: { contactPersonId: string; organisationId: string; validHours: number; createdBy: string },
): Promise<{ id: string; token: string; expiresAt: Date }> {
  await assertPortalLinkAllowed(db, input.organisationId);
  const token = PORTAL_TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const { rows } = await db.query<{ id: string; expires_at: Date }>(
    `INSERT INTO portal_tokens (contact_person_id, organisation_id, token_hash, expires_at, created_by)
     VALUES ($1, $2, $3, now() + make_interval(hours => $4), $5) RETURNING id, expires_at`,
    [input.contactPersonId, input.organisationId, hashToken(token), input.validHours, input.createdBy],
  );
  return { id: rows[0].id, token, expiresAt: rows[0].expires_at };
}

/**
 * Ends a client's portal access: every unused link and every session of its contact persons. Answers how many still
 * worked (a used or expired link could not be used anyway).
 */
export async function revokePortalAccess(db: PoolClient, organisationId: string): Promise<{ tokens: number; sessions: number }> {
  const tokens = await db.query(
    'UPDATE portal_tokens SET revoked_at = now() WHERE organisation_id = $1 AND revoked_at IS NULL AND used_at IS NULL AND expires_at > now()',
    [organisationId],
  );
  const sessions = await db.query('UPDATE portal_sessions SET revoked_at = now() WHERE organisation_id = $1 AND revoked_at IS NULL AND expires_at > now()', [organisationId]);
  return { tokens: tokens.rowCount ?? 0, sessions: sessions.rowCount ?? 0 };
}
