import type { Pool, PoolClient } from '../pool';

/** The hub's client organisations by name, for lists and filters that show names instead of ids. */
export async function organisationNames(db: Pool | PoolClient, hubId: string): Promise<{ id: string; name: string }[]> {
  const { rows } = await db.query<{ id: string; name: string }>('SELECT id, name FROM organisations WHERE hub_id = $1 ORDER BY name, id', [hubId]);
  return rows;
}
