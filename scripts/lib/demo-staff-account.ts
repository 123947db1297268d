import { createPool } from '../../db/pool';
import { findHub } from '../../db/repositories/hubs';
import { createStaffAccount, setStaffPassword, staffAccountByEmail } from '../../db/repositories/staff-accounts';
import { generatePassword } from '../../lib/passwords';
import { DEMO } from './demo-seed';

/**
 * The demo hub's accountant in the staff console, with a new password at every `npm start` (only its hash is kept;
 * the old one stops working and its sessions end). Undefined when the demo hub is not there.
 */
export async function demoStaffAccount(databaseUrl: string): Promise<{ email: string; password: string } | undefined> {
  const pool = createPool(databaseUrl, 1);
  try {
    const hub = await findHub(pool, DEMO.participant);
    if (!hub) return undefined;
    const email = DEMO.accountantEmail;
    const password = generatePassword();
    if (await staffAccountByEmail(pool, email)) await setStaffPassword(pool, email, password);
    else await createStaffAccount(pool, { email, name: 'Demo-accountant', password, hubs: [{ hubId: hub.id, role: 'admin' }], createdBy: 'npm start (demo)' });
    return { email, password };
  } finally {
    await pool.end();
  }
}
