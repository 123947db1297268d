import { ValidationError } from '../../domain/errors';
import { hashPassword, MIN_PASSWORD_LENGTH } from '../../lib/passwords';
import type { Pool, PoolClient } from '../pool';
import { inTransaction } from '../pool';

export type StaffRole = 'accountant' | 'admin';
export const STAFF_ROLES: readonly StaffRole[] = ['accountant', 'admin'];

export interface StaffAccountHub {
  hubId: string;
  participant: string;
  name: string;
  role: StaffRole;
}

export interface StaffAccount {
  id: string;
  email: string;
  name: string;
  hubs: StaffAccountHub[];
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,190}\.[^\s@]{2,}$/;

/** Creates an account with its hubs; refuses a malformed address, a short password or a taken address. */
export async function createStaffAccount(
  pool: Pool,
  input: { email: string; name: string; password: string; hubs: { hubId: string; role: StaffRole }[]; createdBy: string },
): Promise<{ id: string }> {
  const email = input.email.trim();
  if (!EMAIL.test(email)) throw new ValidationError('email', 'not an e-mail address');
  if (!input.name.trim()) throw new ValidationError('name', 'a name is required');
  if (input.password.length < MIN_PASSWORD_LENGTH) throw new ValidationError('password', `a password has at least ${MIN_PASSWORD_LENGTH} characters`);
  if (!input.hubs.length) throw new ValidationError('hubs', 'an account needs at least one hub');
  const passwordHash = await hashPassword(input.password);
  return inTransaction(pool, async (client) => {
    const { rows: taken } = await client.query('SELECT 1 FROM staff_accounts WHERE lower(email) = lower($1)', [email]);
    if (taken[0]) throw new ValidationError('email', `an account for ${email} exists already`);
    const { rows } = await client.query<{ id: string }>(
      'INSERT INTO staff_accounts (email, name, password_hash, created_by) VALUES ($1, $2, $3, $4) RETURNING id',
      [email, input.name.trim(), passwordHash, input.createdBy],
    );
    for (const hub of input.hubs) {
      await client.query('INSERT INTO staff_account_hubs (account_id, hub_id, role) VALUES ($1, $2, $3)', [rows[0].id, hub.hubId, hub.role]);
    }
    return rows[0];
  });
}

/** Sets a new password; every open session of the account ends with the old one. */
export async function setStaffPassword(pool: Pool, email: string, password: string): Promise<boolean> {
  if (password.length < MIN_PASSWORD_LENGTH) throw new ValidationError('password', `a password has at least ${MIN_PASSWORD_LENGTH} characters`);
  const passwordHash = await hashPassword(password);
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query<{ id: string }>('UPDATE staff_accounts SET password_hash = $2 WHERE lower(email) = lower($1) RETURNING id', [email, passwordHash]);
    if (!rows[0]) return false;
    await client.query('DELETE FROM staff_sessions WHERE account_id = $1', [rows[0].id]);
    return true;
  });
}

/** What signing in needs: the stored hash of an enabled account. */
export async function credentialsOf(db: Pool | PoolClient, email: string): Promise<{ id: string; passwordHash: string } | undefined> {
  const { rows } = await db.query<{ id: string; password_hash: string }>(
    'SELECT id, password_hash FROM staff_accounts WHERE lower(email) = lower($1) AND disabled_at IS NULL',
    [email.trim()],
  );
  return rows[0] ? { id: rows[0].id, passwordHash: rows[0].password_hash } : undefined;
}

/** An enabled account and the (not deleted) hubs it may see, by participant number. */
export async function staffAccount(db: Pool | PoolClient, id: string): Promise<StaffAccount | undefined> {
  const { rows } = await db.query<{ id: string; email: string; name: string; hubs: StaffAccountHub[] }>(
    `SELECT a.id, a.email, a.name,
            coalesce((SELECT json_agg(json_build_object('hubId', h.id, 'participant', h.participant_number, 'name', h.name, 'role', m.role)
                                      ORDER BY h.participant_number)
                        FROM staff_account_hubs m JOIN hubs h ON h.id = m.hub_id
                       WHERE m.account_id = a.id AND h.deleted_at IS NULL), '[]') AS hubs
       FROM staff_accounts a WHERE a.id = $1 AND a.disabled_at IS NULL`,
    [id],
  );
  return rows[0];
}

export async function staffAccountByEmail(db: Pool | PoolClient, email: string): Promise<{ id: string } | undefined> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM staff_accounts WHERE lower(email) = lower($1)', [email.trim()]);
  return rows[0];
}

/** The session store of the console (keys are SHA-256 hashes of the cookie's session id). */
export async function saveStaffSession(db: Pool, sidHash: Buffer, accountId: string | null, data: unknown, expiresAt: Date): Promise<void> {
  await db.query(
    `INSERT INTO staff_sessions (sid_hash, account_id, data, expires_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (sid_hash) DO UPDATE SET account_id = EXCLUDED.account_id, data = EXCLUDED.data, expires_at = EXCLUDED.expires_at`,
    [sidHash, accountId, JSON.stringify(data), expiresAt],
  );
}

export async function loadStaffSession(db: Pool, sidHash: Buffer): Promise<unknown> {
  const { rows } = await db.query<{ data: unknown }>('SELECT data FROM staff_sessions WHERE sid_hash = $1 AND expires_at > now()', [sidHash]);
  return rows[0]?.data;
}

export async function deleteStaffSession(db: Pool, sidHash: Buffer): Promise<void> {
  await db.query('DELETE FROM staff_sessions WHERE sid_hash = $1 OR expires_at < now() - interval \'1 day\'', [sidHash]);
}
