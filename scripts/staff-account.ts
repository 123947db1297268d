/**
 * `npm run staff-account -- --email a@firm.nl --name "Anna de Boer" --hub 12345 --role admin [--password ...]`:
 * creates a staff console account (the first one, before anybody can sign in). Without --password one is generated
 * and printed once. `--reset-password` sets a new password of an existing account (and ends its sessions).
 */
import { parseArgs } from 'node:util';
import { readEnv } from '../config/env';
import { withLocalDefaults } from '../config/local';
import { createPool } from '../db/pool';
import { findHub } from '../db/repositories/hubs';
import { createStaffAccount, setStaffPassword, STAFF_ROLES, type StaffRole } from '../db/repositories/staff-accounts';
import { generatePassword } from '../lib/passwords';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      email: { type: 'string' },
      name: { type: 'string' },
      hub: { type: 'string', multiple: true },
      role: { type: 'string', default: 'accountant' },
      password: { type: 'string' },
      'reset-password': { type: 'boolean', default: false },
    },
  });
  if (!values.email) throw new Error('--email is required');
  const role = values.role as StaffRole;
  if (!STAFF_ROLES.includes(role)) throw new Error(`--role is one of ${STAFF_ROLES.join(', ')}`);
  Object.assign(process.env, withLocalDefaults(process.env));
  const pool = createPool(readEnv('DATABASE_URL') as string, 1);
  try {
    const password = values.password ?? generatePassword();
    if (values['reset-password']) {
      if (!(await setStaffPassword(pool, values.email, password))) throw new Error(`no account for ${values.email}`);
    } else {
      if (!values.name) throw new Error('--name is required');
      const hubs = [];
      for (const participant of values.hub ?? []) {
        const hub = await findHub(pool, participant);
        if (!hub) throw new Error(`no hub ${participant}`);
        hubs.push({ hubId: hub.id, role });
      }
      await createStaffAccount(pool, { email: values.email, name: values.name, password, hubs, createdBy: 'npm run staff-account' });
    }
    process.stdout.write(`staff console account ${values.email}${values.password ? '' : ` — password (shown once): ${password}`}\n`);
  } finally {
    await pool.end();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`staff-account: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
