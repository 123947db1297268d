import { randomBytes } from 'node:crypto';
import { hashToken } from '../../api/plugins/auth';
import type { Pool, PoolClient } from '../pool';

/** Portal login tokens: 256 bits, prefixed so they are recognisable in a leak report; only the hash is stored. */
export const PORTAL_TOKEN_PREFIX = 'fhp_';

/** The link a contact person opens: the token rides in the fragment, so browsers never send it to a server. */
export function portalLoginLink(publicUrl: string, token: string): string {
  return `${publicUrl}/portal/login#t=${token}`;
}

/** Issues a single-use login token for a contact person; the plain token is returned once and never stored. */
export async function issuePortalToken(
  db: Pool | PoolClient,
  input: { contactPersonId: string; organisationId: string; validHours: number; createdBy: string },
): Promise<{ id: string; token: string; expiresAt: Date }> {
  const token = PORTAL_TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const { rows } = await db.query<{ id: string; expires_at: Date }>(
    `INSERT INTO portal_tokens (contact_person_id, organisation_id, token_hash, expires_at, created_by)
     VALUES ($1, $2, $3, now() + make_interval(hours => $4), $5) RETURNING id, expires_at`,
    [input.contactPersonId, input.organisationId, hashToken(token), input.validHours, input.createdBy],
  );
  return { id: rows[0].id, token, expiresAt: rows[0].expires_at };
}
